"""The admin's import (django-import-export) of departments and commitments, through the
two pages a person sees: upload (a preview, nothing written) → confirm (written)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from commitments.models import Commitment, Department
from tests.support.factories import DepartmentFactory, UserFactory
from tests.support.html import form_data, parse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def importer(db):
    return UserFactory(username="import-admin", is_staff=True, is_superuser=True)


@pytest.fixture
def staff(client, importer):
    client.force_login(importer)
    return client


def csv_file(rows: list[list[object]], name: str = "导入.csv") -> SimpleUploadedFile:
    text = "\n".join(",".join(str(v) for v in row) for row in rows) + "\n"
    return SimpleUploadedFile(name, text.encode("utf-8"), "text/csv")


def xlsx_file(rows: list[list[object]], name: str = "导入.xlsx") -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue(), XLSX)


def upload(client, model: str, file: SimpleUploadedFile, fmt: str):
    """Step 1: the import page's form, filled as a person would (the format picked by its
    label), posted with the file. Answers the preview page."""
    url = reverse(f"admin:commitments_{model}_import")
    page = parse(client.get(url).content)
    form = page.find("form", enctype="multipart/form-data")
    data: dict[str, Any] = form_data(form)
    options = form.find("select", name="format").find_all("option")
    data["format"] = next(o.attrs["value"] for o in options if o.text.strip() == fmt)
    data["import_file"] = file
    return client.post(url, data)


def confirm_form(preview):
    forms = [
        f for f in parse(preview.content).find_all("form") if "process_import" in f.attrs["action"]
    ]
    return forms[0] if forms else None


def confirm(client, preview):
    """Step 2: the preview page's confirm form, posted as it stands."""
    form = confirm_form(preview)
    assert form is not None, "no confirm form on the preview page"
    return client.post(form.attrs["action"], form_data(form), follow=True)


def test_departments_import_creates_and_updates_after_confirmation(staff):
    DepartmentFactory(name="市样例档案局", short_name="旧简称")
    before = Department.objects.count()
    preview = upload(
        staff,
        "department",
        csv_file(
            [
                ["name", "short_name", "is_supervision_office"],
                ["市样例档案局", "档案局", "0"],
                ["市样例新设局", "新设局", "1"],
            ]
        ),
        "csv",
    )
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "市样例新设局" in body
    # a preview writes nothing
    assert Department.objects.count() == before
    assert Department.objects.get(name="市样例档案局").short_name == "旧简称"

    done = confirm(staff, preview)
    assert done.status_code == 200
    assert Department.objects.count() == before + 1
    assert Department.objects.get(name="市样例档案局").short_name == "档案局"
    new = Department.objects.get(name="市样例新设局")
    assert (new.short_name, new.is_supervision_office) == ("新设局", True)


def matter_one(anyang) -> Commitment:
    return anyang.commitments.get(kind="practical_matter", matter_number=1)


def test_commitments_import_from_xlsx_changes_what_staff_own(staff, anyang):
    c = matter_one(anyang)
    preview = upload(
        staff,
        "commitment",
        xlsx_file(
            [
                ["id", "responsible_person", "due_date", "weight", "is_public"],
                [c.pk, "赵局长", dt.date(2017, 10, 31), 3, 0],
            ]
        ),
        "xlsx",
    )
    assert preview.status_code == 200
    assert Commitment.objects.get(pk=c.pk).responsible_person == ""  # not yet
    confirm(staff, preview)
    c.refresh_from_db()
    assert (c.responsible_person, c.due_date, c.weight, c.is_public) == (
        "赵局长",
        dt.date(2017, 10, 31),
        3,
        False,
    )
    latest = c.history.latest()  # the import is in the history, with who did it
    assert latest.responsible_person == "赵局长"


def test_issue_8_the_import_cannot_overwrite_the_verbatim_text_code_or_kind(staff, anyang):
    """Issue 8: a spreadsheet round-trip must not rewrite what the report says. The
    sentence, its code, its kind and its matter number are the parser's, not staff's."""
    matter = matter_one(anyang)
    general = anyang.commitments.filter(kind="general").order_by("seq").first()
    originals = {c.pk: (c.text, c.code, c.kind, c.matter_number) for c in (matter, general)}
    preview = upload(
        staff,
        "commitment",
        csv_file(
            [
                ["id", "code", "kind", "matter_number", "text", "responsible_person"],
                [matter.pk, "X-999", "practical_matter", "7", "改写过的原文。", "赵局长"],
                [general.pk, "X-998", "pollution", "", "另一句改写。", "钱处长"],
            ]
        ),
        "csv",
    )
    confirm(staff, preview)
    for c, person in ((matter, "赵局长"), (general, "钱处长")):
        c.refresh_from_db()
        assert (c.text, c.code, c.kind, c.matter_number) == originals[c.pk]
        assert c.responsible_person == person  # the row itself was imported


def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_message(staff, anyang):
    before = Department.objects.count()
    response = upload(
        staff,
        "department",
        SimpleUploadedFile("部门.xlsx", b"this is not a workbook", XLSX),
        "xlsx",
    )
    assert response.status_code == 200
    assert confirm_form(response) is None
    error = parse(response.content).find("ul", cls="errorlist", id="id_import_file_error")
    assert "correct format" in error.text
    assert Department.objects.count() == before


def test_rows_with_bad_values_are_shown_and_nothing_is_written(staff, anyang):
    c = matter_one(anyang)
    other = anyang.commitments.get(kind="practical_matter", matter_number=2)
    response = upload(
        staff,
        "commitment",
        csv_file(
            [
                ["id", "responsible_person", "due_date", "weight"],
                [other.pk, "钱处长", "2017-11-30", "2"],  # a good row…
                [c.pk, "赵局长", "明年", "很多"],  # …and a bad one
            ]
        ),
        "csv",
    )
    assert response.status_code == 200
    assert confirm_form(response) is None  # nothing to confirm
    # the bad row is shown, each bad cell with a message a person can act on
    errors = " ".join(td.text for td in parse(response.content).find_all("td", cls="errors"))
    assert "请输入整数，而不是“很多”。" in errors
    assert "due_date" in errors
    assert "ConversionSyntax" not in response.content.decode()
    for obj in (c, other):
        fresh = Commitment.objects.get(pk=obj.pk)
        assert (fresh.responsible_person, fresh.due_date, fresh.weight) == (
            obj.responsible_person,
            obj.due_date,
            obj.weight,
        )


def test_a_file_without_the_key_column_is_refused(staff, anyang):
    before = Department.objects.count()
    response = upload(
        staff,
        "department",
        csv_file([["short_name", "is_supervision_office"], ["无名局", "0"]]),
        "csv",
    )
    assert confirm_form(response) is None
    assert "name" in parse(response.content).text
    assert Department.objects.count() == before


def test_a_commitment_that_is_not_in_the_report_cannot_be_created_by_import(staff, anyang):
    before = Commitment.objects.count()
    response = upload(
        staff,
        "commitment",
        csv_file([["id", "responsible_person"], ["999999", "赵局长"]]),
        "csv",
    )
    assert confirm_form(response) is None
    assert Commitment.objects.count() == before
