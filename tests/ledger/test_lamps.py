"""One colour table for the lamps (``rules.LAMPS``) and one order (``Rag.ORDER``): the
XLSX export, the reminder digests and the summaries all take their colours from it, so
changing a colour there changes it everywhere."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from commitments.jobs import emails, reminders, summaries
from commitments.rules import LAMPS, LampColors, Rag
from commitments.selectors.exports import COLUMNS, to_xlsx

ODD = LampColors(fill="#123456", ink="#654321", bar="#abcdef")


def test_every_lamp_has_colours_and_a_place_in_the_order():
    assert set(LAMPS) == set(Rag.labels) == set(Rag.SHOWN_ORDER) >= set(Rag.ORDER)
    assert len(Rag.SHOWN_ORDER) == len(set(Rag.SHOWN_ORDER))


def test_the_xlsx_export_fills_the_lamp_cell_from_the_table(monkeypatch):
    monkeypatch.setitem(LAMPS, Rag.RED, ODD)
    row = ["" for _ in COLUMNS]
    body = to_xlsx([row], [Rag.RED], title="台账", day=dt.date(2017, 6, 30))
    ws = load_workbook(io.BytesIO(body)).active
    assert ws is not None
    cell = ws.cell(row=3, column=[h for h, _ in COLUMNS].index("红黄绿灯") + 1)
    assert cell.fill.fgColor.rgb.endswith("123456")


def test_the_reminder_digest_badge_takes_the_table_colours(monkeypatch):
    monkeypatch.setitem(LAMPS, Rag.RED, ODD)
    item = {
        "code": "2017-2.1-01", "text": "新建道路", "due_date": "2017-06-30", "days_left": -3,
        "overdue_days": 3, "percent": 10.0, "rag": Rag.RED, "rag_label": "红灯",
        "lead_unit": "", "responsible_person": "", "url": "http://x/c/1/",
    }  # fmt: skip
    ctx = reminders.digest_context(
        name="张三", day=dt.date(2017, 7, 3), items=[{"kind": "overdue", "context": item}]
    )
    html = emails.render("reminder-digest", ctx).html
    assert "background:#123456;color:#654321;" in html


@pytest.mark.parametrize("rag", [Rag.RED, Rag.GREEN])
def test_the_summary_bars_and_badges_take_the_table_colours(monkeypatch, rag):
    monkeypatch.setitem(LAMPS, rag, ODD)
    counts = dict.fromkeys(Rag.ORDER, 0) | {rag: 2}
    matter = {
        "id": 1, "code": "2017-2.1-01", "text": "新建道路", "lead_unit": "", "number": 1,
        "due_date": "2017-12-31", "percent": 50.0, "rag": rag, "rag_label": "x",
        "overdue_days": 0, "url": "http://x/c/1/", "targets": [],
    }  # fmt: skip
    figures = {
        "title": "摘要",
        "headline": {"total": 2, "rag": counts, "completed": 0, "overdue": 0, "behind": 0,
                     "on_track": 0, "not_started": 0, "stale": 0, "average_percent": 50.0},
        "chapters": [{"key": "2.1", "label": "（一）", "total": 2, "rag": counts,
                      "average_percent": 50.0}],
        "departments": [],
        "practical_matters": [matter],
        "pollution": [],
        "compared_with": {},
        "changes": {},
    }  # fmt: skip
    html, _text = summaries.render_summary(figures)
    assert "background:#abcdef" in html  # the stacked bar and the legend
    assert "background:#123456;color:#654321;" in html  # the matter's badge
