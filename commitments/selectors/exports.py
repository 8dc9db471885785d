"""The ledger as a table: XLSX (with 红黄绿灯 colours) and CSV. Used by the web export
and attached to summary emails, so both show the same columns and figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence

from django.db.models import Prefetch, QuerySet
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from commitments.models import Commitment, ProgressUpdate, Section, Target
from commitments.rules import LAMPS
from commitments.selectors.sections import report_chapter_labels, section_label
from commitments.selectors.states import CommitmentState

COLUMNS: list[tuple[str, int]] = [  # header, width
    ("编号", 14),
    ("章节", 28),
    ("类别", 14),
    ("任务原文", 70),
    ("牵头单位", 18),
    ("配合单位", 22),
    ("责任人", 10),
    ("完成时限", 12),
    ("完成百分比", 10),
    ("红黄绿灯", 14),
    ("填报状态", 10),
    ("审核确认", 10),
    ("最近填报", 12),
    ("目标", 50),
]


# A spreadsheet reads a cell that starts with one of these as a formula (OWASP "CSV
# injection"): a 责任人 typed as =HYPERLINK(...) must stay text in every export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """Text as a spreadsheet shows it, never run: a leading formula character gets the
    apostrophe Excel and LibreOffice read as "this is text" (for CSV, where a cell has no
    type). XLSX cells are typed as strings instead (to_xlsx), so they keep the value as is."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _xlsx_text(value: str) -> str:
    # Control characters other than tab/newline make openpyxl refuse the whole file.
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def export_queryset(qs: QuerySet[Commitment]) -> QuerySet[Commitment]:
    """What the export reads, in three queries whatever the number of rows."""
    return qs.select_related("section", "section__parent", "lead_unit").prefetch_related(
        "co_units", Prefetch("targets", queryset=Target.objects.order_by("order"))
    )


def _status_label(value: str) -> str:
    """The model's own label of a claimed status; "—" before any update."""
    return str(ProgressUpdate.Status(value).label) if value else "—"


def _target_text(t: Target) -> str:
    text = t.text
    if t.baseline_value is not None:
        text += f"（{t.baseline_year}年：{t.baseline_value.normalize():f}{t.unit}）"
    return text


def ledger_rows(
    commitments: Iterable[Commitment], states: dict[int, CommitmentState]
) -> list[list]:
    commitments = list(commitments)
    chapters = report_chapter_labels(*{c.report_id for c in commitments})
    rows = []
    for c in commitments:
        state = states[c.pk]
        chapter = c.section if c.section.level != Section.Level.TOPIC else c.section.parent
        rows.append(
            [
                c.code,
                section_label(chapter, chapters) if chapter else "",
                str(c.get_kind_display()) + (f" {c.matter_number}" if c.matter_number else ""),
                c.text,
                c.lead_unit.name if c.lead_unit else "",
                "、".join(d.name for d in c.co_units.all()),
                c.responsible_person,
                c.due_date,
                state.status.percent,
                # an unreviewed completion is 申报完成·待审核, never 已完成
                state.shown.label,
                _status_label(state.claimed_status),
                _status_label(state.verified_status),
                state.last_update_as_of,
                "；".join(_target_text(t) for t in c.targets.all()),
            ]
        )
    return rows


def to_xlsx(rows: Sequence[Sequence], rags: Sequence[str], *, title: str, day: dt.date) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook starts with one worksheet
    ws.title = "台账"
    ws.append([_xlsx_text(f"{title}（截至 {day:%Y-%m-%d}）")])
    ws["A1"].data_type = "s"
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([h for h, _ in COLUMNS])
    for i, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
        ws.cell(row=2, column=i).font = Font(bold=True)
    rag_col = [h for h, _ in COLUMNS].index("红黄绿灯") + 1
    wrap = Alignment(wrap_text=True, vertical="top")
    # Count rows ourselves: ws.max_row scans every cell, which made this loop quadratic
    # (30 s for a 10,000-row ledger).
    for r, (row, rag) in enumerate(zip(rows, rags, strict=True), start=3):
        ws.append([_xlsx_text(v) if isinstance(v, str) else v for v in row])
        for col, value in enumerate(row, start=1):
            if isinstance(value, str) and value.startswith("="):
                # openpyxl stores "=…" as a formula; typed as a string it is shown, not run.
                ws.cell(row=r, column=col).data_type = "s"
        ws.cell(row=r, column=4).alignment = wrap
        ws.cell(row=r, column=len(COLUMNS)).alignment = wrap
        ws.cell(row=r, column=rag_col).fill = PatternFill("solid", fgColor=LAMPS[rag].xlsx_fill)
        ws.cell(row=r, column=8).number_format = "yyyy-mm-dd"
        ws.cell(row=r, column=13).number_format = "yyyy-mm-dd"
    ws.freeze_panes = "B3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(COLUMNS))}{max(ws.max_row, 2)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(rows: Sequence[Sequence]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([h for h, _ in COLUMNS])
    for row in rows:
        writer.writerow(
            ["" if v is None else spreadsheet_text(v) if isinstance(v, str) else v for v in row]
        )
    # BOM so that Excel opens the Chinese text as UTF-8.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
