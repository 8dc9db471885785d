"""Forms of the staff UI. They turn request data into typed values and inline errors;
the writes themselves happen in commitments.services, which checks again what must never pass."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from commitments.models import Commitment, Department, Milestone, ProgressUpdate, Target
from commitments.validators import (
    correction_check,
    evidence_file_check,
    parse_id,
    reading_check,
    update_as_of_check,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        # ISO format whatever the language: that is what <input type=date> sends and shows.
        super().__init__(format="%Y-%m-%d", **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ProgressUpdateForm(forms.Form):
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
    files = MultipleFileField(label=_("佐证附件"), required=False)
    links = forms.CharField(
        label=_("佐证链接"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://"}),
        help_text=_("每行一个链接。"),
    )
    corrects = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        commitment: Commitment,
        targets: list[Target] | None = None,
        author=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.commitment = commitment
        self.author = author
        targets = targets if targets is not None else list(commitment.targets.all())
        self.targets = [t for t in targets if t.value is not None and t.direction != "achieve"]
        for t in self.targets:
            self.fields[f"target_{t.pk}"] = forms.DecimalField(
                label=t.metric,
                required=False,
                max_digits=18,
                decimal_places=4,
                help_text=_("目标 %(text)s") % {"text": t.text},
                error_messages={"invalid": _("请输入数字，例如 12.5（不要带逗号、单位或文字）。")},
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )
            self.fields[f"target_{t.pk}"].target = t
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

    def clean(self) -> dict:
        data = super().clean()
        data["corrects"] = self._corrected_update(data.get("corrects"))
        for t in self.targets:
            name = f"target_{t.pk}"
            value = data.get(name)
            if value is None:
                continue
            try:
                reading_check(target=t, value=value)
            except ValidationError as e:
                self.add_error(name, e)
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


class ReturnForm(forms.Form):
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


class AssignForm(forms.ModelForm):
    """明责任、定时限: units, person and dates. The model's clean() keeps due >= start."""

    class Meta:
        model = Commitment
        fields = ["lead_unit", "co_units", "responsible_person", "start_date", "due_date"]
        widgets = {
            "start_date": DateInput(),
            "due_date": DateInput(),
            "co_units": forms.CheckboxSelectMultiple(attrs={"class": "checkgrid"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = Department.objects.order_by("name")
        self.fields["co_units"].queryset = Department.objects.order_by("name")
        self.fields["co_units"].help_text = _("可多选；牵头单位不会同时作为配合单位。")


class MilestoneForm(forms.ModelForm):
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
        return super()._check_values(value)


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

    def __init__(self, *args, commitments, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].queryset = commitments

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("lead_unit") and not data.get("due_date"):
            raise ValidationError(_("请选择牵头单位或完成时限。"))
        return data
