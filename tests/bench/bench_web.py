"""Benchmark of the staff web UI on a large ledger (a script, not collected by pytest).

    .venv/bin/python tests/bench/bench_web.py [--reports 10] [--per-report 400] [--updates 200000]

Builds the ledger in its own SQLite file (tests/bench/out/, never the dev database):
10 reports × 400 commitments, two numeric targets on half of them, 200,000 progress
updates with readings. Then it measures, in one process through Django's test client
(full middleware, templates, sessions): the ledger page, a filtered htmx request, the
dashboard, and a minimal Django view beside them; median time of several runs and the
number of SQL queries of each. Finally it checks that the ledger's query count is the
same for a report of 8 commitments and one of 400.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "bench" / "out"
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser()
parser.add_argument("--reports", type=int, default=10)
parser.add_argument("--per-report", type=int, default=400)
parser.add_argument("--updates", type=int, default=200_000)
parser.add_argument("--runs", type=int, default=7)
parser.add_argument("--rebuild", action="store_true", help="build the database again")
args = parser.parse_args()

OUT.mkdir(parents=True, exist_ok=True)
DB = OUT / f"bench-web-{args.reports}x{args.per_report}-{args.updates}.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ["VAR_DIR"] = str(OUT / "var")
os.environ["LEDGER_TODAY"] = "2017-09-30"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402
import random  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

from commitments.models import (  # noqa: E402
    Commitment,
    Department,
    Membership,
    ProgressUpdate,
    Report,
    Section,
    Target,
    TargetReading,
)


def minimal(request):
    return HttpResponse("ok")


urlpatterns = [path("__minimal__/", minimal), path("", include("tracker.urls"))]

KINDS = ["general"] * 6 + ["pollution", "main_target"]


def build() -> None:
    if DB.exists():
        DB.unlink()
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = random.Random(2017)
    user_model = get_user_model()
    with transaction.atomic():
        depts = Department.objects.bulk_create(Department(name=f"市第{i}局") for i in range(25))
        office = Department.objects.create(name="市政府督查室", is_supervision_office=True)
        sup = user_model.objects.create_user("bench_sup", password="x")
        Membership.objects.create(user=sup, department=office, role="supervisor")
        reporter = user_model.objects.create_user("bench_rep", password="x")
        Membership.objects.create(user=reporter, department=depts[0], role="reporter")
        per_commitment = max(args.updates // (args.reports * args.per_report), 1)
        for r in range(args.reports):
            report = Report.objects.create(
                place=f"基准市{r}",
                year=2017,
                title=f"2017年基准市{r}政府工作报告",
                source_text="x",
                source_sha256="0" * 64,
            )
            part = Section.objects.create(
                report=report,
                key="2",
                level="part",
                label="二、",
                title="2017年工作安排",
                order=1,
                start=0,
                end=1,
            )
            chapters = [
                Section.objects.create(
                    report=report,
                    parent=part,
                    key=f"2.{k}",
                    level="chapter",
                    label=f"（{'一二三四五六七八'[k - 1]}）",
                    title=f"第{k}章",
                    order=k,
                    start=k,
                    end=k,
                )
                for k in range(1, 9)
            ]
            cs = Commitment.objects.bulk_create(
                Commitment(
                    report=report,
                    section=chapters[i % 8],
                    code=f"2017-{r}-{i:04d}",
                    seq=i + 1,
                    text=f"基准任务第{i}项：推进重点项目建设，完成年度目标。",
                    start=i * 10,
                    end=i * 10 + 5,
                    kind="practical_matter" if i < 10 else KINDS[i % len(KINDS)],
                    matter_number=i + 1 if i < 10 else None,
                    lead_unit=depts[i % 25],
                    start_date=dt.date(2017, 1, 1),
                    due_date=dt.date(2017, 6, 30) if i % 13 == 0 else dt.date(2017, 12, 31),
                    parsed_due_date=dt.date(2017, 12, 31),
                )
                for i in range(args.per_report)
            )
            Commitment.co_units.through.objects.bulk_create(
                Commitment.co_units.through(
                    commitment_id=c.pk, department_id=depts[(i + 7) % 25].pk
                )
                for i, c in enumerate(cs)
            )
            targets = Target.objects.bulk_create(
                Target(
                    commitment=c,
                    order=k,
                    metric=f"指标{k}",
                    value=Decimal(100 * k),
                    unit="个",
                    text=f"{100 * k}个",
                    start=0,
                    end=1,
                    baseline_value=Decimal(80 * k),
                    baseline_year=2016,
                )
                for i, c in enumerate(cs)
                if i % 2 == 0
                for k in (1, 2)
            )
            by_c: dict[int, list[Target]] = {}
            for t in targets:
                by_c.setdefault(t.commitment_id, []).append(t)
            updates = []
            for c in cs:
                for n in range(per_commitment):
                    day = dt.date(2017, 1, 10) + dt.timedelta(
                        days=int(260 * (n + 1) / per_commitment)
                    )
                    state = rng.choices(["accepted", "returned", "submitted"], [85, 5, 10])[0]
                    reviewed = timezone.make_aware(
                        dt.datetime.combine(day + dt.timedelta(days=3), dt.time(15))
                    )
                    updates.append(
                        ProgressUpdate(
                            commitment=c,
                            author=reporter,
                            as_of=day,
                            claimed_status="in_progress",
                            percent=Decimal(min(100, n * 100 // per_commitment)),
                            narrative="按计划推进。",
                            created_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10))),
                            review_state=state,
                            reviewed_by=sup if state != "submitted" else None,
                            reviewed_at=reviewed if state != "submitted" else None,
                            review_comment="请补充" if state == "returned" else "",
                            is_demo=True,
                        )
                    )
            updates = ProgressUpdate.objects.bulk_create(updates, batch_size=5000)
            readings = [
                TargetReading(
                    update=u, target=t, value=Decimal(int(t.value) * (j + 1) // per_commitment)
                )
                for j, u in enumerate(updates)
                for t in by_c.get(u.commitment_id, [])
                if j % per_commitment % 5 == 4  # one reading round in five updates
                and t.value is not None
            ]
            TargetReading.objects.bulk_create(readings, batch_size=10000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(
        f"built {DB.name} in {time.perf_counter() - t0:.1f} s: "
        f"{Commitment.objects.count()} commitments, {ProgressUpdate.objects.count()} updates, "
        f"{TargetReading.objects.count()} readings"
    )


def build_small() -> Report:
    """A report of 8 commitments with the same kinds of content as the big ones (a
    practical matter and a pollution item with targets, updates, readings), so that the
    query counts compare like with like."""
    existing = Report.objects.filter(place="小市B").first()
    if existing is not None:
        return existing
    depts = list(Department.objects.order_by("pk")[:8])
    author = get_user_model().objects.get(username="bench_rep")
    with transaction.atomic():
        small = Report.objects.create(
            place="小市B", year=2017, title="小报告", source_text="x", source_sha256="0" * 64
        )
        ch = Section.objects.create(
            report=small,
            key="2.1",
            level="chapter",
            label="（一）",
            title="小章",
            order=1,
            start=0,
            end=1,
        )
        cs = Commitment.objects.bulk_create(
            Commitment(
                report=small,
                section=ch,
                code=f"S-{i}",
                seq=i + 1,
                text="小任务。",
                start=i,
                end=i + 1,
                kind="practical_matter" if i == 0 else "pollution" if i == 1 else "general",
                matter_number=1 if i == 0 else None,
                lead_unit=depts[i],
                start_date=dt.date(2017, 1, 1),
                due_date=dt.date(2017, 12, 31),
                parsed_due_date=dt.date(2017, 12, 31),
            )
            for i in range(8)
        )
        for c in cs:
            c.co_units.add(depts[(cs.index(c) + 1) % 8])
            t = Target.objects.create(
                commitment=c,
                order=1,
                metric="指标",
                value=Decimal(10),
                unit="个",
                text="10个",
                start=0,
                end=1,
            )
            u = ProgressUpdate.objects.create(
                commitment=c,
                author=author,
                as_of=dt.date(2017, 6, 25),
                claimed_status="in_progress",
                percent=Decimal(50),
            )
            TargetReading.objects.create(update=u, target=t, value=Decimal(5))
    return small


def measure(client: Client, url: str, *, htmx: bool = False) -> tuple[float, int, int]:
    headers: dict[str, Any] = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    client.get(url, **headers)  # warm-up
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        response = client.get(url, **headers)
        times.append(time.perf_counter() - t0)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    return statistics.median(times) * 1000, len(ctx.captured_queries), len(response.content)


def main() -> None:
    if args.rebuild or not DB.exists():
        build()
    else:
        call_command("migrate", verbosity=0)
    big = Report.objects.filter(place__startswith="基准市").order_by("pk").first()
    assert big is not None
    small = build_small()
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench_sup"))
    rows = [
        ("minimal Django view", "/__minimal__/", False),
        ("ledger page (400 rows, page 1 of 8)", f"/?report={big.pk}", False),
        (
            "ledger, filtered htmx partial",
            f"/?report={big.pk}&kind=general&rag=yellow&rag=red&q=任务&sort=-percent",
            True,
        ),
        ("ledger page 5, sorted by lamp", f"/?report={big.pk}&sort=rag&page=5", False),
        ("dashboard (400 commitments)", f"/dashboard/?report={big.pk}", False),
        ("dashboard as of 2017-05-31", f"/dashboard/?report={big.pk}&as_of=2017-05-31", False),
        ("XLSX export (400 rows)", f"/ledger/export.xlsx?report={big.pk}", False),
    ]
    print(
        f"\n{Commitment.objects.count()} commitments in {Report.objects.count()} reports, "
        f"{ProgressUpdate.objects.count()} updates; median of {args.runs} runs; SQLite {DB.name}\n"
    )
    print(f"{'request':<42} {'median ms':>10} {'queries':>8} {'bytes':>9}")
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
        for name, url, htmx in rows:
            ms, queries, size = measure(client, url, htmx=htmx)
            print(f"{name:<42} {ms:>10.1f} {queries:>8} {size:>9}")
        q_small = measure(client, f"/?report={small.pk}")[1]
        q_big = measure(client, f"/?report={big.pk}")[1]
        d_small = measure(client, f"/dashboard/?report={small.pk}")[1]
        d_big = measure(client, f"/dashboard/?report={big.pk}")[1]
    print(
        f"\nqueries, ledger: 8 rows {q_small} vs 400 rows {q_big}; dashboard: {d_small} vs {d_big}"
        f" -> {'constant' if (q_small, d_small) == (q_big, d_big) else 'GROWS'}"
    )
    print(
        f"settings: RAG_TOLERANCE_PERCENT={settings.RAG_TOLERANCE_PERCENT}, LEDGER_TODAY={settings.LEDGER_TODAY}"
    )


if __name__ == "__main__":
    main()
