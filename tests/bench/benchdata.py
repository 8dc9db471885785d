"""The benchmark ledger, shared by bench_web.py and bench_load.py (not collected by pytest).

One size factor decides everything: ``--scale 1`` is 10 reports × 400 commitments with
200,000 progress updates (50 per commitment); ``--scale 10`` is 10 reports × 4,000
commitments with 2,000,000 updates (still 50 per commitment), so the report a page shows
holds 4,000 items. Half of the commitments have two numeric targets, one update round in
five carries readings.

The database is SQLite (a file under tests/bench/out/, never the dev database) or
PostgreSQL (``postgres://postgres@127.0.0.1:5432/<name>``, created when missing). It is
built once, in one transaction, with bulk inserts, and reused while it holds the expected
size; ``--rebuild`` builds it again.

People (one password, ``PASSWORD``): ``bench_sup`` and ``bench_sup1``… in the supervision
office, ``bench_admin`` a superuser, ``bench_rep`` and ``bench_rep<k>`` reporters of the
k-th unit ``市第<k>局``.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "bench" / "out"
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/{name}"
PASSWORD = "bench-pass-2017"
TODAY = "2017-09-30"  # the ledger's today (LEDGER_TODAY)
PLACE = "基准市"  # the big reports' place prefix
SMALL_PLACE = "小市B"  # a report of 8 commitments, for query counts
UNITS = 25
SUPERVISORS = 8
KINDS = ["general"] * 6 + ["pollution", "main_target"]


@dataclass(frozen=True)
class Sizes:
    scale: int
    reports: int = 10

    @property
    def per_report(self) -> int:
        return 400 * self.scale

    @property
    def updates(self) -> int:
        return 200_000 * self.scale

    def __str__(self) -> str:
        return (
            f"{self.scale}×: {self.reports} reports × {self.per_report} commitments, "
            f"{self.updates:,} updates"
        )


def database_url(given: str | None, *, kind: str, scale: int) -> str:
    """``given`` as is, with ``{scale}`` filled in; ``postgres`` alone for the default
    PostgreSQL database ``bench_<kind>_<scale>x``; nothing for the SQLite file."""
    name = f"bench_{kind}_{scale}x"
    if not given or given == "sqlite":
        return f"sqlite:///{OUT / f'{name}.sqlite3'}"
    if given in ("postgres", "postgresql", "pg"):
        return PG_DEFAULT.format(name=name)
    return given.replace("{scale}", str(scale))


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "pgsql://"))


def _pg_admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), name


def database_exists(url: str) -> bool:
    if not is_postgres(url):
        return Path(url.removeprefix("sqlite:///")).exists()
    import psycopg

    admin, name = _pg_admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


def prepare_database(url: str, *, rebuild: bool) -> None:
    """Before Django starts: drop the database on ``rebuild``, create it when missing."""
    if not is_postgres(url):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        if rebuild:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    admin, name = _pg_admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        if rebuild:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def environment(url: str, *, settings: str = "tests.bench.bench_settings") -> dict[str, str]:
    """The environment the app runs under in a benchmark (in-process or gunicorn)."""
    return {
        "DATABASE_URL": url,
        "VAR_DIR": str(OUT / "var"),
        "LEDGER_TODAY": TODAY,
        "DJANGO_SETTINGS_MODULE": settings,
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        "APP_ENV": "development",
        # nothing listens there: a benchmark never reaches anybody's Celery broker
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "EMAIL_URL": "memorymail://",
        # the bench settings (tests.bench.bench_settings) add the plain views
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }


def setup_django(url: str, *, settings: str = "tests.bench.bench_settings") -> None:
    for key, value in environment(url, settings=settings).items():
        if key != "PYTHONPATH":
            os.environ[key] = value
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def is_built(sizes: Sizes) -> bool:
    from commitments.models import Commitment, Report

    reports = list(
        Report.objects.filter(place__startswith=PLACE, year=2017)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return (
        len(reports) == sizes.reports
        and Commitment.objects.filter(report_id=reports[-1]).count() == sizes.per_report
        and Report.objects.filter(place=SMALL_PLACE).exists()
    )


def ensure(sizes: Sizes, *, rebuild: bool = False, quiet: bool = False) -> None:
    """Migrate; build the ledger unless it is there at this size; the people always."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # DEBUG is off, as in production: the pages need the hashed static files' manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    if rebuild or not is_built(sizes):
        call_command("flush", interactive=False, verbosity=0)
        build(sizes, quiet=quiet)
    ensure_people()
    # The data went in with bulk_create (no signals): bring every stored current status up
    # to the day, off the clock, as `manage.py refresh_status` does after a deploy.
    call_command("refresh_status", verbosity=0, stdout=_Quiet() if quiet else None)
    # Steady state, as autovacuum leaves a live database: the build and the refresh left
    # dead row versions behind and the planner without statistics.
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


class _Quiet:
    def write(self, *args: object, **kwargs: object) -> None:
        pass

    def flush(self) -> None:
        pass


def big_report():  # -> Report
    from commitments.models import Report

    report = Report.objects.filter(place__startswith=PLACE).order_by("pk").first()
    assert report is not None, "the benchmark ledger is not built"
    return report


def small_report():  # -> Report
    from commitments.models import Report

    return Report.objects.get(place=SMALL_PLACE)


def build(sizes: Sizes, *, quiet: bool = False) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from commitments.models import (
        Commitment,
        Department,
        Membership,
        ProgressUpdate,
        Report,
        Section,
        Target,
        TargetReading,
    )

    t0 = time.perf_counter()
    rng = random.Random(2017)
    user_model = get_user_model()
    per_commitment = max(sizes.updates // (sizes.reports * sizes.per_report), 1)
    with transaction.atomic():
        depts = Department.objects.bulk_create(Department(name=f"市第{i}局") for i in range(UNITS))
        office = Department.objects.create(name="市政府督查室", is_supervision_office=True)
        sup = user_model.objects.create_user("bench_sup", password=PASSWORD)
        Membership.objects.create(user=sup, department=office, role="supervisor")
        reporter = user_model.objects.create_user("bench_rep", password=PASSWORD)
        Membership.objects.create(user=reporter, department=depts[0], role="reporter")
        for r in range(sizes.reports):
            report = Report.objects.create(
                place=f"{PLACE}{r}",
                year=2017,
                title=f"2017年{PLACE}{r}政府工作报告",
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
                (
                    Commitment(
                        report=report,
                        section=chapters[i % 8],
                        code=f"2017-{r}-{i:05d}",
                        seq=i + 1,
                        text=f"基准任务第{i}项：推进重点项目建设，完成年度目标。",
                        start=i * 10,
                        end=i * 10 + 5,
                        kind="practical_matter" if i < 10 else KINDS[i % len(KINDS)],
                        matter_number=i + 1 if i < 10 else None,
                        lead_unit=depts[i % UNITS],
                        start_date=dt.date(2017, 1, 1),
                        due_date=dt.date(2017, 6, 30) if i % 13 == 0 else dt.date(2017, 12, 31),
                        parsed_due_date=dt.date(2017, 12, 31),
                    )
                    for i in range(sizes.per_report)
                ),
                batch_size=2000,
            )
            Commitment.co_units.through.objects.bulk_create(
                (
                    Commitment.co_units.through(
                        commitment_id=c.pk, department_id=depts[(i + 7) % UNITS].pk
                    )
                    for i, c in enumerate(cs)
                ),
                batch_size=5000,
            )
            targets = Target.objects.bulk_create(
                (
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
                ),
                batch_size=2000,
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
            del updates, readings
            if not quiet:
                print(
                    f"  report {r + 1}/{sizes.reports} written ({time.perf_counter() - t0:.0f} s)",
                    flush=True,
                )
        build_small(depts, reporter)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    if not quiet:
        print(
            f"built {sizes} in {time.perf_counter() - t0:.0f} s: "
            f"{Commitment.objects.count()} commitments, {ProgressUpdate.objects.count()} updates, "
            f"{TargetReading.objects.count()} readings",
            flush=True,
        )


def build_small(depts, author) -> None:
    """A report of 8 commitments with the same kinds of content as the big ones (a
    practical matter and a pollution item with targets, updates, readings), so that the
    query counts compare like with like."""
    from commitments.models import (
        Commitment,
        ProgressUpdate,
        Report,
        Section,
        Target,
        TargetReading,
    )

    small = Report.objects.create(
        place=SMALL_PLACE, year=2017, title="小报告", source_text="x", source_sha256="0" * 64
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
    for i, c in enumerate(cs):
        c.co_units.add(depts[(i + 1) % 8])
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


def ensure_people() -> None:
    """The benchmark's people, with one password (hashed once): idempotent."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from commitments.models import Department, Membership

    user_model = get_user_model()
    hashed = make_password(PASSWORD)  # hashing is slow on purpose: once for everybody
    office = Department.objects.get(is_supervision_office=True, name="市政府督查室")
    wanted: list[tuple[str, Department | None, str]] = [
        (f"bench_sup{k}" if k else "bench_sup", office, "supervisor") for k in range(SUPERVISORS)
    ]
    units = {d.name: d for d in Department.objects.filter(name__startswith="市第")}
    wanted += [(f"bench_rep{k}", units[f"市第{k}局"], "reporter") for k in range(UNITS)]
    wanted += [("bench_rep", units["市第0局"], "reporter"), ("bench_admin", None, "")]
    for username, dept, role in wanted:
        user, created = user_model.objects.get_or_create(username=username)
        if created:
            user.password = hashed
            user.is_superuser = user.is_staff = username == "bench_admin"
            user.save()
        if dept is not None:
            Membership.objects.get_or_create(user=user, department=dept, defaults={"role": role})
