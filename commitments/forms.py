"""Forms of the staff UI. They turn request data into typed values and inline errors;
the writes themselves happen in commitments.services, which checks again what must never pass."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from commitments.models import Commitment, Department, Milestone, ProgressUpdate, Target
from commitments.rules import TargetInput, reading_oddity
from commitments.selectors.review import AGE_CHOICES, DeskFilter
from commitments.selectors.units import unit_choices
from commitments.validators import (
    correction_check,
    evidence_file_check,
    parse_id,
    reading_check,
    update_as_of_check,
)


def decimal_plain(value: Decimal) -> str:
    """A reading as a person types it: 250, 2.5, 0.75 — never 2.5E+2 (what
    ``Decimal.normalize()`` gives for 250) nor 250.0000 (the column's scale)."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def units_in_pinyin_order(field: forms.ModelChoiceField) -> None:
    """Offer a unit field's choices in pinyin order, by the units' one display name; the
    field still validates against its queryset."""
    blank = [("", field.empty_label)] if getattr(field, "empty_label", None) is not None else []
    field.choices = [*blank, *unit_choices(field.queryset)]


class NoSilentTruncation:
    """Text over a field's limit is refused with a message, never cut by the browser: the
    ``maxlength`` attribute Django puts on inputs makes a browser drop the excess of a paste
    without a word. It becomes ``data-maxlength`` (app.js shows a counter) and the form's
    own length check says what is too long."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            limit = field.widget.attrs.pop("maxlength", None)
            if limit is not None:
                field.widget.attrs["data-maxlength"] = limit
                field.error_messages["max_length"] = _(
                    "最多 %(limit_value)d 字，现有 %(show_value)d 字，请精简后再提交。"
                )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        # ISO format whatever the language: that is what <input type=date> sends and shows.
        super().__init__(format="%Y-%m-%d", **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class TargetReadingField(forms.DecimalField):
    """The reading of one numeric target; the template shows the target's unit beside it."""

    target: Target


class ProgressUpdateForm(NoSilentTruncation, forms.Form):
    """Record progress: a claimed status, one reading per numeric target, a narrative,
    the day it describes, evidence files and links."""

    claimed_status = forms.ChoiceField(
        label=_("填报状态"),
        choices=ProgressUpdate.Status.choices,
        initial=ProgressUpdate.Status.IN_PROGRESS,
        widget=forms.RadioSelect,
    )
    as_of = forms.DateField(label=_("截至日期"), widget=DateInput())
    percent = forms.DecimalField(
        label=_("完成百分比"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=4,
        decimal_places=1,
        help_text=_("有量化指标的任务按指标读数自动计算。"),
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "100"}),
    )
    narrative = forms.CharField(
        label=_("进展情况"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )
    # django-stubs: the form metaclass pops declared fields, so this does not shadow BaseForm.files.
    files = MultipleFileField(label=_("佐证附件"), required=False)  # type: ignore[assignment]
    links = forms.CharField(
        label=_("佐证链接"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://"}),
        help_text=_("每行一个链接。"),
    )
    corrects = forms.IntegerField(required=False, widget=forms.HiddenInput)
    confirm_readings = forms.BooleanField(label=_("确认无误"), required=False)

    def __init__(
        self,
        *args,
        commitment: Commitment,
        targets: list[Target] | None = None,
        open_notices: list | None = None,
        open_instructions: list | None = None,
        author=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.commitment = commitment
        # The update can answer urging notices sent to the unit and instructions on the item.
        if open_notices:
            self.fields["answers"] = forms.ModelMultipleChoiceField(
                label=_("本次进展答复督办单"),
                queryset=type(open_notices[0]).objects.filter(pk__in=[n.pk for n in open_notices]),
                required=False,
                initial=[n.pk for n in open_notices],
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields["answers"].label_from_instance = lambda n: (  # type: ignore[attr-defined]
                _("第 %(n)s 号%(level)s，%(d)s 前答复")
                % {"n": n.pk, "level": n.get_level_display(), "d": n.reply_by.isoformat()}
            )
        if open_instructions:
            self.fields["responds_to"] = forms.ModelMultipleChoiceField(
                label=_("本次进展报告批示落实情况"),
                queryset=type(open_instructions[0]).objects.filter(
                    pk__in=[i.pk for i in open_instructions]
                ),
                required=False,
                initial=[i.pk for i in open_instructions],
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields["responds_to"].label_from_instance = (  # type: ignore[attr-defined]
                lambda i: f"{i.author.get_full_name() or i.author.get_username()}：{i.text[:40]}"
            )
        self.author = author
        targets = targets if targets is not None else list(commitment.targets.all())
        self.targets = [t for t in targets if t.is_measurable]
        for t in self.targets:
            field = TargetReadingField(
                label=t.metric,
                required=False,
                max_digits=18,
                decimal_places=4,
                help_text=_("目标 %(text)s") % {"text": t.text},
                error_messages={"invalid": _("请输入数字，例如 12.5（不要带逗号、单位或文字）。")},
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )
            field.target = t
            self.fields[f"target_{t.pk}"] = field
        self.fields["files"].help_text = _(
            "可多选；单个文件不超过 %(mb)s MB，类型：%(types)s。"
        ) % {
            "mb": _mb(),
            "types": ", ".join(_allowed()),
        }

    @property
    def target_fields(self) -> list[forms.BoundField]:
        return [self[f"target_{t.pk}"] for t in self.targets]

    def clean_as_of(self) -> dt.date:
        as_of = self.cleaned_data["as_of"]
        update_as_of_check(as_of=as_of, report_year=self.commitment.report.year)
        return as_of

    def clean_files(self) -> list:
        files = self.cleaned_data.get("files") or []
        errors = []
        for f in files:
            try:
                evidence_file_check(f)
            except ValidationError as e:
                errors.extend(e.messages)
        if errors:
            raise ValidationError(errors)
        return files

    def clean_links(self) -> list[str]:
        validate = URLValidator(schemes=["http", "https"])
        links = [line.strip() for line in self.cleaned_data.get("links", "").splitlines()]
        links = [link for link in links if link]
        bad = []
        for link in links:
            try:
                validate(link)
            except ValidationError:
                bad.append(link)
        if bad:
            raise ValidationError(_("不是有效的链接：%(links)s") % {"links": "、".join(bad)})
        return links

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        data["corrects"] = self._corrected_update(data.get("corrects"))
        odd: list[tuple[str, str]] = []
        for t in self.targets:
            name = f"target_{t.pk}"
            value = data.get(name)
            if value is None:
                continue
            try:
                reading_check(target=t, value=value)
            except ValidationError as e:
                self.add_error(name, e)
                continue
            oddity = reading_oddity(TargetInput.of(t, value))
            if oddity is not None:
                odd.append((name, self._oddity_message(t, value, oddity)))
        # A reading far off its target is saved only once the person confirms it.
        self.needs_confirmation = bool(odd) and not data.get("confirm_readings")
        if self.needs_confirmation:
            for name, message in odd:
                self.add_error(name, message)
        return data

    def _corrected_update(self, pk: int | None) -> ProgressUpdate | None:
        """The returned update this one corrects (the hidden field carries its id). Errors
        go to the top of the form: the field itself is hidden."""
        if pk is None:
            return None
        wrong = self.commitment.updates.filter(pk=pk).first() if parse_id(str(pk)) else None
        if wrong is None:
            self.add_error(None, _("要更正的进展不存在。"))
            return None
        try:
            correction_check(corrects=wrong, commitment=self.commitment, author=self.author)
        except ValidationError as e:
            self.add_error(None, e)
            return None
        return wrong

    def _oddity_message(self, target: Target, value: Decimal, oddity: str) -> str:
        unit, shown = target.unit, decimal_plain(value)
        if oddity == "over":
            return _(
                "%(value)s%(unit)s 是目标 %(target)s%(unit)s 的 %(times)s 倍，请核对单位和位数；"
                "确认无误请勾选“确认无误”后再提交。"
            ) % {
                "value": shown,
                "unit": unit,
                "target": decimal_plain(target.value) if target.value is not None else "—",
                "times": f"{value / target.value:.1f}" if target.value else "—",
            }
        return _("%(value)s%(unit)s 小于零，请核对；确认无误请勾选“确认无误”后再提交。") % {
            "value": shown,
            "unit": unit,
        }

    @property
    def readings(self) -> dict[Target, Decimal]:
        return {
            t: self.cleaned_data[f"target_{t.pk}"]
            for t in self.targets
            if self.cleaned_data.get(f"target_{t.pk}") is not None
        }


def _mb() -> str:
    from django.conf import settings

    return f"{settings.EVIDENCE_MAX_BYTES / 1024 / 1024:g}"


def _allowed() -> list[str]:
    from django.conf import settings

    return list(settings.EVIDENCE_ALLOWED_EXTENSIONS)


class ReturnForm(NoSilentTruncation, forms.Form):
    comment = forms.CharField(
        label=_("退回意见"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": _("退回时必须填写意见。")},
    )


class AcceptForm(forms.Form):
    """The optional comment of an acceptance; a form (not request.POST) so that what the
    database cannot store (a NUL character) or too long a text is refused, not a 500."""

    comment = forms.CharField(label=_("审核意见"), required=False, max_length=2000)


class AssignForm(NoSilentTruncation, forms.ModelForm):
    """明责任、定时限: units, person and dates. The model's clean() keeps due >= start."""

    class Meta:
        model = Commitment
        fields = ["lead_unit", "co_units", "responsible_person", "start_date", "due_date"]
        widgets = {
            "start_date": DateInput(),
            "due_date": DateInput(),
            "co_units": forms.CheckboxSelectMultiple(attrs={"class": "checkgrid"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lead_unit = cast(forms.ModelChoiceField, self.fields["lead_unit"])
        lead_unit.queryset = Department.objects.order_by("name")
        co_units = cast(forms.ModelMultipleChoiceField, self.fields["co_units"])
        co_units.queryset = Department.objects.order_by("name")
        units_in_pinyin_order(lead_unit)
        units_in_pinyin_order(co_units)
        self.fields["co_units"].help_text = _("可多选；牵头单位不会同时作为配合单位。")


class MilestoneForm(NoSilentTruncation, forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "due_date"]
        widgets = {"due_date": DateInput()}


class IdsField(forms.ModelMultipleChoiceField):
    """Commitments chosen by id. Each id must be a positive integer the database can hold:
    a 20-digit id raised OverflowError on SQLite before it reached the query."""

    def _check_values(self, value):
        for v in value:
            if parse_id(str(v)) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": v},
                )
        return super()._check_values(value)  # type: ignore[misc]  # django-stubs omits it


class UnitField(forms.ModelChoiceField):
    """A department by id, with the same bound as IdsField."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if parse_id(str(value)) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class BulkAssignForm(forms.Form):
    ids = IdsField(
        queryset=Commitment.objects.none(),
        error_messages={"required": _("请先勾选任务。")},
    )
    lead_unit = UnitField(
        label=_("牵头单位"), queryset=Department.objects.order_by("name"), required=False
    )
    due_date = forms.DateField(label=_("完成时限"), required=False, widget=DateInput())

    def __init__(self, *args: Any, commitments: QuerySet[Commitment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["ids"]).queryset = commitments
        units_in_pinyin_order(cast(forms.ModelChoiceField, self.fields["lead_unit"]))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if not data.get("lead_unit") and not data.get("due_date"):
            raise ValidationError(_("请选择牵头单位或完成时限。"))
        return data


class ReportImportForm(NoSilentTruncation, forms.Form):
    """A report to read: a text file, or its text pasted; the place and year where the
    report does not say them."""

    file = forms.FileField(
        label=_("报告文件"), required=False, help_text=_("纯文本，UTF-8 或 GBK/GB18030 编码")
    )
    text = forms.CharField(
        label=_("或粘贴报告全文"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    place = forms.CharField(
        label=_("地方"),
        max_length=50,
        required=False,
        help_text=_("报告未写明时填写，带“省/市/县/区”，如：安阳市"),
    )
    year = forms.IntegerField(
        label=_("年度"),
        required=False,
        min_value=1949,
        max_value=2200,
        help_text=_("报告未写明时填写"),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        file, text = data.get("file"), (data.get("text") or "").strip()
        if bool(file) == bool(text):
            raise ValidationError(_("请上传一个报告文件，或粘贴报告全文（二者选一）。"))
        limit = settings.REPORT_MAX_BYTES
        if file is not None and file.size is not None and file.size > limit:
            raise ValidationError(
                _("文件过大（%(size)s 字节），上限为 %(limit)s 字节。"),
                params={"size": file.size, "limit": limit},
            )
        raw = file.read() if file is not None else text.encode("utf-8")
        if len(raw) > limit:
            raise ValidationError(
                _("文件过大（%(size)s 字节），上限为 %(limit)s 字节。"),
                params={"size": len(raw), "limit": limit},
            )
        data["raw"] = raw
        data["source_name"] = file.name if file is not None else ""
        return data


# -- the supervision cycle (督办流程) ------------------------------------------------------------


class ExtensionRequestForm(forms.Form):
    requested_due_date = forms.DateField(label=_("申请延期至"), widget=DateInput())
    reason = forms.CharField(
        label=_("延期理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写延期理由。")},
    )
    progress_note = forms.CharField(
        label=_("目前进展"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审批"),
        choices=[("grant", _("批准")), ("refuse", _("不予批准"))],
        widget=forms.RadioSelect,
    )
    granted_due_date = forms.DateField(label=_("批准延期至"), required=False, widget=DateInput())
    comment = forms.CharField(
        label=_("审批意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "grant" and not data.get("granted_due_date"):
            self.add_error("granted_due_date", _("请填写批准的完成时限。"))
        if data.get("decision") == "refuse" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("不予批准时必须填写意见。"))
        return data


def _urging_levels() -> list[tuple[str, str]]:
    from commitments.models import UrgingNotice

    return [(value, str(label)) for value, label in UrgingNotice.Level.choices]


class UrgingIssueForm(forms.Form):
    level = forms.ChoiceField(label=_("督办单颜色"), choices=_urging_levels)
    reply_by = forms.DateField(label=_("答复期限"), widget=DateInput())
    message = forms.CharField(
        label=_("督办事项"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class UrgingBulkForm(forms.Form):
    """The office's bulk issue from the proposals: each ticked row is "<commitment id>:<colour>"."""

    picks = forms.MultipleChoiceField(
        choices=[], error_messages={"required": _("请先勾选要签发的督办单。")}
    )
    reply_by = forms.DateField(label=_("答复期限"), widget=DateInput())
    message = forms.CharField(label=_("督办事项"), max_length=2000, required=False)

    def __init__(self, *args, allowed: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        picks = self.fields["picks"]
        assert isinstance(picks, forms.MultipleChoiceField)
        picks.choices = [(a, a) for a in allowed]


class UrgingAnswerForm(forms.Form):
    text = forms.CharField(
        label=_("书面答复"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写书面答复。")},
    )


class InstructionForm(forms.Form):
    text = forms.CharField(
        label=_("批示内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写批示内容。")},
    )


class InstructionBulkForm(InstructionForm):
    ids = forms.ModelMultipleChoiceField(
        queryset=Commitment.objects.none(), error_messages={"required": _("请先勾选任务。")}
    )

    def __init__(self, *args, commitments, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        ids = self.fields["ids"]
        assert isinstance(ids, forms.ModelMultipleChoiceField)
        ids.queryset = commitments


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("重新打开理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("重新打开时必须填写理由。")},
    )


class ReviewDeskForm(NoSilentTruncation, forms.Form):
    """The review desk's filters (a GET form; the state lives in the URL). Bad values are
    dropped with a message, never a 500."""

    unit = forms.TypedChoiceField(label=_("单位"), required=False, coerce=int, empty_value=None)
    chapter = forms.TypedChoiceField(label=_("章节"), required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(
        label=_("类别"), required=False, choices=[("", _("全部类别")), *Commitment.Kind.choices]
    )
    age = forms.TypedChoiceField(
        label=_("等待"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("不限")), *[(str(n), _("超过 %(n)s 天") % {"n": n}) for n in AGE_CHOICES]],
    )
    evidence = forms.ChoiceField(
        label=_("佐证材料"),
        required=False,
        choices=[("", _("不限")), ("yes", _("有佐证")), ("no", _("无佐证"))],
    )
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    sort = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[("old", _("最早提交在前")), ("new", _("最新提交在前"))],
    )

    def __init__(self, *args, chapters: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["unit"]).choices = [
            ("", _("全部单位")),
            *unit_choices(),
        ]
        cast(forms.ChoiceField, self.fields["chapter"]).choices = [
            ("", _("全部章节")),
            *[(str(pk), name[:36]) for pk, name in chapters],
        ]
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("编号、原文、进展或填报人"), "type": "search"}
        )

    def desk_filter(self) -> DeskFilter:
        data = self.cleaned_data if self.is_valid() else {}
        evidence = data.get("evidence") or ""
        return DeskFilter(
            unit=data.get("unit"),
            chapter=data.get("chapter"),
            kind=data.get("kind") or "",
            older_than_days=data.get("age"),
            evidence={"yes": True, "no": False}.get(evidence),
            text=data.get("q") or "",
            newest_first=data.get("sort") == "new",
        )
