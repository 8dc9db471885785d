"""python manage.py send_summaries [--as-of DATE] [--dry-run] [--period weekly|monthly]

Build and mail the weekly (default) or monthly summary of the last complete week or month
before the day, as the scheduled job does. ``--dry-run`` computes the figures and lists
the recipients, and writes and sends nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from commitments.jobs.management.commands.send_reminders import parse_day
from commitments.jobs.models import Summary
from commitments.jobs.outbox import outbox_send_now
from commitments.jobs.summaries import (
    current_reports,
    summaries_send_due,
    summary_figures,
    summary_period,
    summary_recipients,
    summary_title,
)


class Command(BaseCommand):
    help = "Build and send the weekly or monthly summary for leaders (or show it, --dry-run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", dest="as_of", help="the day the job runs, YYYY-MM-DD (default: today)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="show, write nothing, send nothing"
        )
        parser.add_argument("--period", choices=["weekly", "monthly"], default="weekly")

    def handle(
        self, *args: Any, as_of: str | None, dry_run: bool, period: str, **options: Any
    ) -> None:
        day = parse_day(as_of)
        start, end = summary_period(period, day)
        out = self.stdout
        mode = "预演 / dry run" if dry_run else "生成并发送 / building and sending"
        out.write(
            self.style.MIGRATE_HEADING(f"进展摘要 summaries · {period} · {start} – {end} · {mode}")
        )
        people, ids = summary_recipients()
        for uid in sorted(ids, key=lambda u: people[u].name):
            p = people[uid]
            flag = "" if p.is_active and p.email else "（跳过：停用或无邮箱 skipped）"
            out.write(f"  收件人 recipient: {p.name} <{p.email}>{flag}")
        if dry_run:
            for report in current_reports(day):
                draft = Summary(
                    report=report,
                    kind=period,
                    period_start=start,
                    period_end=end,
                    title=summary_title(report, period, start, end),
                )
                figures = summary_figures(draft).figures
                h = figures["headline"]
                out.write(f"  {draft.title}")
                out.write(
                    f"    任务 {h['total']} · 完成 {h['completed']} · 正常 {h['on_track']} · 滞后 {h['behind']} · "
                    f"逾期 {h['overdue']} · 未启动 {h['not_started']} · 平均进度 {h['average_percent']}%"
                )
                ch = figures["changes"]
                out.write(
                    f"    本期变化: 新完成 {len(ch['newly_completed'])} · 新逾期 {len(ch['newly_overdue'])} · "
                    f"调整时限 {len(ch['deadlines_moved'])}"
                )
            return
        made = summaries_send_due(kind=period, day=day)
        for s in made:
            out.write(
                f"  {s.title}: {s.get_state_display()} ({s.state}){' ' + s.error if s.error else ''}"
            )
        notification_ids = [n for s in made for n in s.notifications.values_list("pk", flat=True)]
        if notification_ids:
            flushed = outbox_send_now(notification_ids)
            style = (
                self.style.SUCCESS
                if not (flushed.retrying or flushed.failed)
                else self.style.WARNING
            )
            out.write(style(flushed.closing_line()))
