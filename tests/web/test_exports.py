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
