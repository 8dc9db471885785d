"""Benchmark: one reminder run and one summary build on a large ledger.

Run: .venv/bin/python tests/bench/bench_jobs.py [--small 1000] [--large 10000] [--people 1000]
     [--database-url postgres://postgres@127.0.0.1:5432/bench_jobsrel]

Peak memory: the reminder run is measured in a fresh process of its own (the ledger is
built by another), which reports its peak resident set (``VmHWM``, what the kernel saw,
the interpreter and Django included), its resident set before the run, and with
``--tracemalloc`` the peak of Python allocations and where they were made. Queries are
counted there by a statement wrapper that keeps no SQL text (Django's query log would keep
every statement's text, the bulk inserts' included, and weigh on the figure it measures).
With ``--database-url`` the database is emptied (flushed) before use — give it a database
of its own.

Only one size (for the issue's figures): ``--size 10000 --people 1000``, or
``--size 10000 --people 10000``.

Goal: the reminder run's process peaks at no more than ``--max-peak-mb`` (200 MB) at any
size, 10,000 recipients included — the run screens and writes a batch of people at a time;
the script fails past it.

A fresh SQLite database (in a temporary directory) gets ``--users`` people (320
departments with two reporters and a manager each, the supervision office, leaders; a few
inactive or without an address) and first ``--small``, then ``--large`` commitments with a
plausible progress history. For each size it times, and counts the SQL queries of:

- one reminder run for 2017-10-15 (plan + outbox write), then the outbox flush (locmem
  mail backend), checking that the emails sent equal the people with something due,
  counted independently from the status rule;
- one weekly summary build (figures, HTML, XLSX).

It fails if the reading queries grow with the number of commitments. Writes are bulk
inserts and updates in batches (SQLite takes at most 999 parameters a statement), so their
count grows with the rows written, one statement per batch, never one per commitment.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
# tracemalloc slows the run several times over: on request only (--tracemalloc).
TRACE = "--tracemalloc" in sys.argv
DAY = dt.date(2017, 10, 15)
TZ = ZoneInfo("Asia/Shanghai")


def setup_django(database_url: str | None = None, *, fresh: bool = True) -> str:
    """Set Django up on ``database_url`` (a new SQLite file when None) and return the URL.
    ``fresh``: migrate, and empty a given database."""
    tmp = tempfile.mkdtemp(prefix="bench-jobs-")
    os.environ["VAR_DIR"] = tmp
    url = database_url or f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["DATABASE_URL"] = url
    os.environ["EMAIL_URL"] = "memorymail://"  # Django's locmem backend
    os.environ["LEDGER_TODAY"] = ""
    os.environ["LOG_LEVEL"] = "ERROR"
    # As a worker runs in production: with DEBUG on, Django keeps the text of the last
    # 9,000 statements (bulk inserts and rendered digests among them) in memory.
    os.environ.setdefault("DEBUG", "false")
    # The flushes a run queues go to an in-process broker, not to a Redis others use.
    os.environ["REDIS_URL"] = "memory://"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if not fresh:
        return url
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if database_url:
        call_command("flush", interactive=False, verbosity=0)
    return url


def aware(day: dt.date, hour: int = 17) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


class World:
    """Bulk-built ledger; ``grow(n)`` adds commitments up to n."""

    def __init__(self, n_users: int, seed: int = 2017) -> None:
        from django.contrib.auth.models import User

        from commitments.models import Department, Membership, Report, Section

        self.rng = random.Random(seed)
        self.report = Report.objects.create(
            place="基准",
            year=2017,
            title="2017年基准市政府工作报告",
            source_text="基准。",
            source_sha256="0" * 64,
        )
        self.chapters = Section.objects.bulk_create(
            [
                Section(report=self.report, key=f"2.{i}", level="chapter", label=f"（{'一二三四五六七八'[i - 1]}）",
                        title=f"第{i}章", order=i, start=i * 1000, end=i * 1000 + 999)
                for i in range(1, 9)
            ]
        )  # fmt: skip
        n_office = n_leaders = 20
        n_depts = (n_users - n_office - n_leaders) // 3
        self.depts = Department.objects.bulk_create(
            [Department(name=f"基准局{i:03d}") for i in range(n_depts)]
        )
        office = Department.objects.create(name="基准督查室", is_supervision_office=True)
        gov = Department.objects.create(name="基准政府办")
        users = [
            User(username=f"u{i:04d}", email=f"u{i:04d}@bench.example.gov.cn", password="!", last_name="基",
                 first_name=f"准{i}")
            for i in range(n_depts * 3 + n_office + n_leaders)
        ]  # fmt: skip
        # A few who cannot be mailed: they must be skipped and counted.
        for u in users[5:15]:
            u.is_active = False
        for u in users[20:30]:
            u.email = ""
        User.objects.bulk_create(users)
        users = list(User.objects.order_by("pk"))
        self.users = users
        members = []
        self.reporters: dict[int, list[int]] = {}
        for i, d in enumerate(self.depts):
            r1, r2, m = users[3 * i], users[3 * i + 1], users[3 * i + 2]
            members += [Membership(user=r1, department=d, role="reporter"),
                        Membership(user=r2, department=d, role="reporter"),
                        Membership(user=m, department=d, role="manager")]  # fmt: skip
            self.reporters[d.pk] = [r1.pk, r2.pk]
        rest = users[n_depts * 3 :]
        members += [
            Membership(user=u, department=office, role="supervisor") for u in rest[:n_office]
        ]
        members += [Membership(user=u, department=gov, role="leader") for u in rest[n_office:]]
        Membership.objects.bulk_create(members)
        self.supervisor = rest[0]
        self.count = 0

    def grow(self, n: int) -> None:
        from commitments.models import Commitment, ProgressUpdate, Target

        rng = self.rng
        new = []
        for seq in range(self.count + 1, n + 1):
            kind, matter = "general", None
            if seq <= 10:
                kind, matter = "practical_matter", seq
            elif seq % 20 == 0:
                kind = "pollution"
            due = (
                dt.date(2017, 12, 31)
                if rng.random() < 0.7
                else dt.date(2017, 3, 1) + dt.timedelta(days=rng.randrange(305))
            )
            new.append(
                Commitment(
                    report=self.report, section=self.chapters[seq % 8], code=f"B-{seq:05d}", seq=seq,
                    text=f"第{seq}项基准任务：推进某项工作。", start=seq * 10, end=seq * 10 + 9, kind=kind,
                    matter_number=matter, lead_unit=self.depts[seq % len(self.depts)],
                    start_date=dt.date(2017, 1, 1), due_date=due, parsed_due_date=due,
                )
            )  # fmt: skip
        Commitment.objects.bulk_create(new, batch_size=500)
        fresh = list(Commitment.objects.filter(seq__gt=self.count).order_by("seq"))
        through = Commitment.co_units.through
        through.objects.bulk_create(
            [
                through(
                    commitment_id=c.pk,
                    department_id=self.depts[(c.seq * 7 + 3) % len(self.depts)].pk,
                )
                for c in fresh
                if c.seq % 5 == 0
            ],
            batch_size=500,
        )
        Target.objects.bulk_create(
            [
                Target(commitment=c, order=1, metric="数量", value=Decimal(100), unit="个", text="完成100个",
                       start=c.start, end=c.end)
                for c in fresh
                if c.kind != "general"
            ],
            batch_size=500,
        )  # fmt: skip
        updates = []
        for c in fresh:
            assert c.lead_unit_id is not None
            for k in range(rng.choice([0, 0, 1, 1, 2, 3])):
                as_of = dt.date(2017, 2, 1) + dt.timedelta(days=rng.randrange(250))
                done = k > 0 and rng.random() < 0.25
                returned = not done and rng.random() < 0.02 and as_of > dt.date(2017, 9, 20)
                updates.append(
                    ProgressUpdate(
                        commitment=c, author_id=self.reporters[c.lead_unit_id][k % 2],
                        created_at=aware(as_of), as_of=as_of,
                        claimed_status="completed" if done else "in_progress",
                        percent=Decimal(100 if done else rng.randrange(5, 95)), narrative="进展。",
                        review_state="returned" if returned else "submitted",
                        reviewed_by=self.supervisor if returned else None,
                        reviewed_at=aware(as_of + dt.timedelta(days=2), 10) if returned else None,
                        review_comment="请补充佐证。" if returned else "",
                    )
                )  # fmt: skip
        ProgressUpdate.objects.bulk_create(updates, batch_size=500)
        self.count = n


def people_with_something_due(day: dt.date) -> set[int]:
    """Counted independently of reminders.py: from the status rule, the memberships and the
    returned updates, who has anything due, overdue, stale, returned or escalated."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from commitments.models import Commitment, Membership, ProgressUpdate
    from commitments.selectors.states import commitment_states, end_of_day

    qs = Commitment.objects.filter(in_source=True, lead_unit__isnull=False)
    states = commitment_states(qs, day=day)
    info = {c.pk: c for c in qs.prefetch_related("co_units")}
    members = list(Membership.objects.select_related("user", "department"))
    actors: dict[int | None, set[int]] = {}
    managers: dict[int | None, set[int]] = {}
    office = {
        m.user_id for m in members if m.role == "supervisor" or m.department.is_supervision_office
    }
    for m in members:
        if m.role in ("reporter", "manager"):
            actors.setdefault(m.department_id, set()).add(m.user_id)
        if m.role == "manager":
            managers.setdefault(m.department_id, set()).add(m.user_id)
    out: set[int] = set()
    for pk, st in states.items():
        s, c = st.status, info[pk]
        if not s.is_open:
            continue
        days_left = (c.due_date - day).days
        if s.overdue_days > 0 or days_left <= max(settings.REMINDER_WINDOWS) or s.stale:
            for d in [c.lead_unit_id, *[x.pk for x in c.co_units.all()]]:
                out |= actors.get(d, set())
        if s.overdue_days > settings.ESCALATE_AFTER_DAYS:
            out |= managers.get(c.lead_unit_id, set()) | office
    eod = end_of_day(day)
    for u in ProgressUpdate.objects.filter(
        review_state="returned",
        reviewed_at__lte=eod,
        reviewed_at__gt=eod - dt.timedelta(days=settings.RETURNED_LOOKBACK_DAYS),
    ):
        answered = ProgressUpdate.objects.filter(
            Q(commitment=u.commitment_id), created_at__gt=u.created_at, created_at__lte=eod
        ).exists()
        if not answered:
            out.add(u.author_id)
    return out & set(
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .values_list("pk", flat=True)
    )


def counted(fn):
    """``fn()``, its time, and its statements by kind (SELECT, INSERT, …), counted by a
    wrapper that keeps no SQL text: whatever the number of statements."""
    from django.db import connection

    kinds: Counter[str] = Counter()

    def count(execute, sql, params, many, context):
        kinds[sql.split(None, 1)[0].upper()] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
    return result, elapsed, sum(kinds.values()), kinds


def vm_status() -> dict[str, float]:
    """This process's resident set now (VmRSS) and at its peak (VmHWM), in MB."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    return out


def fresh_run(url: str, day: dt.date) -> dict:
    """One reminder run for ``day`` in a fresh process (``--run-only``), its figures."""
    import json

    cmd = [sys.executable, __file__, "--run-only", day.isoformat(), "--database-url", url]
    cmd += ["--tracemalloc"] if TRACE else []
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(out.returncode)
    lines = out.stdout.splitlines()
    for line in lines:
        if not line.startswith("RUN "):
            print(f"  {line}")
    return json.loads(next(x for x in lines if x.startswith("RUN "))[4:])


def run_only(url: str, day: dt.date) -> None:
    """The measured process: Django on the built database, one reminder run, its figures."""
    import json
    import tracemalloc

    setup_django(url, fresh=False)
    from django.db import connection

    from commitments.jobs.reminders import reminders_run

    connection.ensure_connection()
    before = vm_status()["VmRSS"]
    if TRACE:
        tracemalloc.start(25)
    result, elapsed, queries, kinds = counted(lambda: reminders_run(day=day))
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if TRACE else 0.0
    if TRACE:
        snap = tracemalloc.take_snapshot()
        tracemalloc.stop()
        for stat in snap.statistics("lineno")[:12]:
            print(f"tracemalloc (at the end) {stat}")
    vm = vm_status()
    plan = result.plan
    figures = {
        "run_s": elapsed,
        "run_q": queries,
        "run_kinds": dict(kinds),
        "rss_before_mb": before,
        "peak_mb": vm["VmHWM"],
        "traced_mb": traced,
        "emails": len(result.notification_ids),
        "items": plan.item_count,
        "skipped": [len(plan.skipped_inactive), len(plan.skipped_no_email)],
    }
    print("RUN " + json.dumps(figures))


def measure(world: World, url: str) -> dict:
    from django.core import mail

    from commitments.jobs.models import Notification, NotificationItem, Summary
    from commitments.jobs.outbox import outbox_flush
    from commitments.jobs.reminders import reminders_run
    from commitments.jobs.summaries import summary_build, summary_request
    from commitments.models import Commitment, ProgressUpdate

    Notification.objects.all().delete()
    NotificationItem.objects.all().delete()
    Summary.objects.all().delete()
    mail.outbox = []

    expected = people_with_something_due(DAY)
    run = fresh_run(url, DAY)
    notification_ids = sorted(
        Notification.objects.filter(key__startswith=f"reminders:{DAY.isoformat()}:").values_list(
            "pk", flat=True
        )
    )
    assert run["emails"] == len(notification_ids), (run["emails"], len(notification_ids))
    flush, t_flush, q_flush, _ = counted(
        lambda: outbox_flush(limit=None, budget_seconds=3600, give_up_after=10**9)
    )
    sent_to = {m.to[0] for m in mail.outbox}
    assert flush.sent == len(mail.outbox) == len(notification_ids), "one email per outbox row"
    assert len(sent_to) == len(mail.outbox), "one digest per person"
    emails_expected = {u.email for u in world.users if u.pk in expected}
    assert sent_to == emails_expected, (len(sent_to), len(emails_expected))

    def build():
        s = summary_request(kind="weekly", day=dt.date(2017, 10, 16), report=world.report)
        assert summary_build(s.pk)
        return s

    first_emails = len(mail.outbox)
    again, t_again, q_again, _ = counted(lambda: reminders_run(day=DAY))
    assert again.notification_ids == [] and again.plan.item_count == 0, "a second run sends nothing"
    mail.outbox = []
    nxt, t_next, q_next, _ = counted(lambda: reminders_run(day=DAY + dt.timedelta(days=1)))
    outbox_flush(limit=None, budget_seconds=3600, give_up_after=10**9)

    summary, t_sum, q_sum, k_sum = counted(build)
    summary.refresh_from_db()
    return {
        "commitments": Commitment.objects.count(),
        "updates": ProgressUpdate.objects.count(),
        "users": len(world.users),
        "emails": first_emails,
        "expected_people": len(expected),
        **run,
        "flush_s": t_flush, "flush_q": q_flush,
        "again_s": t_again, "again_q": q_again,
        "next_s": t_next, "next_q": q_next, "next_emails": len(mail.outbox), "next_items": nxt.plan.item_count,
        "sum_s": t_sum, "sum_q": q_sum, "sum_kinds": k_sum,
        "xlsx_kb": len(bytes(summary.xlsx)) / 1024,
    }  # fmt: skip


def report(r: dict) -> None:
    reads = r["run_kinds"]["SELECT"]
    writes = r["run_q"] - reads
    print(
        f"\n== {r['commitments']:,} commitments, {r['updates']:,} updates, {r['users']:,} users =="
    )
    print(
        f"reminder run (plan + outbox write): {r['run_s']:.2f} s, {r['run_q']} queries "
        f"({reads} reads, {writes} batched writes) → {r['emails']} digests, {r['items']:,} items"
    )
    print(
        f"  peak resident memory of the run's own process (VmHWM): {r['peak_mb']:.0f} MB "
        f"(before the run, Django set up and connected: {r['rss_before_mb']:.0f} MB)"
    )
    if TRACE:
        print(f"  reminder run peak Python allocations (tracemalloc): {r['traced_mb']:.0f} MB")
    print(
        f"  emails sent {r['emails']} == people with something due {r['expected_people']} "
        f"(skipped: {r['skipped'][0]} inactive, {r['skipped'][1]} without email)"
    )
    print(
        f"outbox flush: {r['flush_s']:.2f} s, {r['flush_q']} queries "
        f"({r['flush_q'] / max(r['emails'], 1):.1f} per email: claim, read, record)"
    )
    print(f"same day again: {r['again_s']:.2f} s, {r['again_q']} queries → nothing to send")
    print(
        f"next day's run (2017-10-16): {r['next_s']:.2f} s, {r['next_q']} queries → "
        f"{r['next_emails']} digests, {r['next_items']:,} new items"
    )
    print(f"summary build: {r['sum_s']:.2f} s, {r['sum_q']} queries "
          f"({dict(r['sum_kinds'])}); XLSX {r['xlsx_kb']:.0f} KB")  # fmt: skip


def one_size(args: argparse.Namespace) -> None:
    """Build the ledger with ``args.size`` commitments and measure it (in this process)."""
    import resource

    url = setup_django(args.database_url)
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    t0 = time.perf_counter()
    world = World(args.people)
    world.grow(args.size)
    print(
        f"built {args.size:,} commitments, {args.people:,} people in {time.perf_counter() - t0:.1f} s"
    )
    connection.close()  # the run's process gets the database to itself (SQLite: no lock)
    r = measure(world, url)
    report(r)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the building process (ru_maxrss): {peak:.0f} MB")
    # Four reads per batch of recipients (what they were already told, their opt-outs;
    # lock the batch's emails, read their items back); the rest is the plan, which must
    # not grow with the ledger.
    from django.conf import settings

    batches = -(-r["emails"] // settings.REMINDER_BATCH_SIZE)
    plan_reads = r["run_kinds"]["SELECT"] - 4 * batches
    print(f"reminder reads: {plan_reads} for the plan + 4 per batch × {batches} batches")
    print(f"RESULT select={plan_reads} sum_select={r['sum_kinds']['SELECT']}")
    if not TRACE:  # tracemalloc's own bookkeeping weighs on the peak
        assert r["peak_mb"] <= args.max_peak_mb, (
            f"the reminder run peaked at {r['peak_mb']:.0f} MB, over {args.max_peak_mb:.0f} MB"
        )
        print(f"reminder run peak {r['peak_mb']:.0f} MB ≤ {args.max_peak_mb:.0f} MB: goal met")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--large", type=int, default=10000)
    ap.add_argument("--people", "--users", dest="people", type=int, default=1000)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--tracemalloc", action="store_true")
    ap.add_argument("--max-peak-mb", type=float, default=200.0)
    ap.add_argument("--size", type=int, default=None, help="one size only, in this process")
    ap.add_argument("--run-only", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run_only:
        run_only(args.database_url, dt.date.fromisoformat(args.run_only))
        return
    if args.size is not None:
        one_size(args)
        return
    selects = []
    for size in (args.small, args.large):
        cmd = [sys.executable, __file__, "--size", str(size), "--people", str(args.people)]
        cmd += ["--max-peak-mb", str(args.max_peak_mb)]
        cmd += ["--tracemalloc"] if args.tracemalloc else []
        if args.database_url:
            cmd += ["--database-url", args.database_url]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        sys.stdout.write(out.stdout)
        if out.returncode:
            sys.stderr.write(out.stderr)
            raise SystemExit(out.returncode)
        line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT"))
        selects.append(dict(kv.split("=") for kv in line.split()[1:]))
    small, large = selects
    assert small["select"] == large["select"], "reminder reads grew with the ledger"
    assert small["sum_select"] == large["sum_select"], "summary reads grew with the ledger"
    print(
        f"\nreads do not grow with the ledger: reminder plan {small['select']} = "
        f"{large['select']}, summary {small['sum_select']} = {large['sum_select']}"
    )


if __name__ == "__main__":
    main()
