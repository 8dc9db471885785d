"""python manage.py send_reminders [--as-of DATE] [--dry-run]

The same service as the scheduled jobs (reminder digests, and the monthly reporting call
on its days), for any day: ``--as-of 2017-10-15 --dry-run`` shows who would get what that
day without writing or sending anything; without ``--dry-run`` it writes the outbox and
sends it in this process (a worker, if one runs, may send some: the claim keeps it once).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commitments import clock
from commitments.jobs.models import EmailKind
from commitments.jobs.outbox import outbox_send_now
from commitments.jobs.reminders import (
    Batch,
    Item,
    Plan,
    RunResult,
    reminders_run,
    reporting_call_run,
)

KIND_LABELS = dict(EmailKind.choices)


def describe(it: Item) -> str:
    c = it.context
    kind = str(KIND_LABELS.get(it.kind, it.kind))
    if it.kind == EmailKind.DUE_SOON:
        when = f"≤{it.window.rsplit('/', 1)[1]}天，剩{c['days_left']}天"
    elif it.kind == EmailKind.OVERDUE:
        when = f"逾期{c['overdue_days']}天" + ("，已升级" if c.get("escalated") else "")
    elif it.kind == EmailKind.ESCALATION:
        when = f"逾期{c['overdue_days']}天，牵头单位：{c['lead_unit'] or '—'}"
    elif it.kind == EmailKind.STALE:
        when = f"{c.get('days_since_update', '?')}天未更新"
    elif it.kind == EmailKind.RETURNED:
        when = f"退回意见：{c.get('comment', '')[:30]}"
    else:
        when = f"进度{c['percent']}%"
    return f"[{kind} · {when}] {c['code']} {c['text'][:30]}（时限 {c['due_date']}）"


def parse_day(value: str | None) -> dt.date:
    if not value:
        return clock.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of 应为 YYYY-MM-DD / must be YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Send (or with --dry-run, show) the reminder digests and the monthly reporting call "
        "the scheduled jobs would send on a day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", dest="as_of", help="the ledger day, YYYY-MM-DD (default: today)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="show, write nothing, send nothing"
        )

    def handle(self, *args: Any, as_of: str | None, dry_run: bool, **options: Any) -> None:
        day = parse_day(as_of)
        mode = (
            "预演，不写入、不发送 / dry run: nothing written, nothing sent"
            if dry_run
            else "发送 / sending"
        )
        self.stdout.write(
            self.style.MIGRATE_HEADING(f"督办提醒 reminders · {day:%Y-%m-%d} · {mode}")
        )
        jobs = [
            ("督办提醒 reminder digests", reminders_run),
            ("每月报送 reporting call", reporting_call_run),
        ]
        ids: list[int] = []
        for title, run in jobs:
            # Each batch of people is shown as it is screened: the output streams, and a
            # real run keeps no list of every item.
            self.stdout.write(self.style.HTTP_INFO(f"\n{title}"))
            result = run(day=day, dry_run=dry_run, on_batch=self.show_batch)
            self.show_totals(result)
            ids += result.notification_ids
        if dry_run or not ids:
            return
        flushed = outbox_send_now(ids)
        style = (
            self.style.SUCCESS if not (flushed.retrying or flushed.failed) else self.style.WARNING
        )
        self.stdout.write(style(flushed.closing_line()))

    def show_batch(self, plan: Plan, batch: Batch) -> None:
        for uid in sorted(batch, key=lambda u: (plan.people[u].name, u)):
            person, items = plan.people[uid], batch[uid]
            self.stdout.write(f"  {person.name} <{person.email}>：{len(items)} 项 items")
            for it in items:
                self.stdout.write(f"    · {describe(it)}")

    def show_totals(self, result: RunResult) -> None:
        plan: Plan = result.plan
        out = self.stdout
        if plan.note:
            out.write(f"  {plan.note}")
        out.write(
            f"  合计 total: {plan.recipient_count} 封邮件 emails, {plan.item_count} 项 items"
            + ("" if result.dry_run else f" (outbox ids {len(result.notification_ids)})")
        )
        out.write(
            f"  跳过 skipped: 停用 inactive {len(plan.skipped_inactive)} · "
            f"无邮箱 no email {len(plan.skipped_no_email)} · "
            f"全部退订 opted out {len(plan.opted_out_people)} 人 people "
            f"({plan.opted_out_items} 项 items) · "
            f"此前已提醒 already told {plan.already_told} 项 items · "
            f"本期邮件已发出、顺延 deferred {len(plan.deferred_people)} 人 people"
        )
