"""Benchmark of the staff web UI on a large ledger, beside plain Django and the admin
(a script, not collected by pytest).

    .venv/bin/python tests/bench/bench_web.py [--scale 1] [--runs 20]
        [--database-url sqlite|postgres|postgres://postgres@127.0.0.1:5432/bench_web_{scale}x]
        [--rebuild] [--counts-at 1,10] [--only ledger]

The ledger is built once per size and database (benchdata.py: ``--scale 1`` is 10 reports
× 400 commitments and 200,000 updates, ``--scale 10`` ten times both, so the report shown
holds 4,000 items), in tests/bench/out/bench_web_<n>x.sqlite3 by default or, with
``--database-url postgres``, in the PostgreSQL database bench_web_<n>x (created if
missing).

In one process, through Django's test client (full middleware, templates, sessions, DEBUG
off), each app page is measured beside

- a plain Django view rendering the same rows with the same columns (plainviews.py:
  select_related, no filters, no status rules; for the dashboards an aggregate view,
  ``values().annotate(Count)`` per chapter and unit), and
- the Django admin: the changelist of the same report's commitments (its filtered
  changelist for the htmx filter, its import-export download for the exports), as a
  superuser.

Requests are interleaved (every request of the table once per round, the order rotated
each round) and the median of ``--runs`` rounds is shown, with the SQL queries of one more
request. Then the query counts of the app pages for the 8-item report and at each size of
``--counts-at`` whose database is built (a subprocess per size): a count that grows with the
report is marked.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench import benchdata  # noqa: E402

parser = argparse.ArgumentParser(
    description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
)
parser.add_argument("--scale", type=int, default=1, help="size factor (1: 400-item reports)")
parser.add_argument(
    "--database-url",
    default="",
    help="sqlite (default), postgres, or a URL ({scale} is replaced by the size factor)",
)
parser.add_argument("--runs", type=int, default=20, help="interleaved rounds (median)")
parser.add_argument("--rebuild", action="store_true", help="build the database again")
parser.add_argument(
    "--counts-at",
    default="1,10",
    help="sizes whose query counts are printed, where their database is built",
)
parser.add_argument("--only", default="", help="measure only pages whose name contains this")
parser.add_argument("--counts-only", action="store_true", help=argparse.SUPPRESS)
args = parser.parse_args()

URL = benchdata.database_url(args.database_url, kind="web", scale=args.scale)
SIZES = benchdata.Sizes(args.scale)
if args.counts_only:
    if not benchdata.database_exists(URL):
        print(json.dumps({"missing": True}))
        sys.exit(0)
else:
    benchdata.prepare_database(URL, rebuild=args.rebuild)
benchdata.setup_django(URL)

import django  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from import_export.forms import SelectableFieldsExportForm  # noqa: E402

from commitments.context_processors import nav  # noqa: E402
from commitments.models import Commitment, ProgressUpdate, Report  # noqa: E402

AS_OF = "2017-05-31"


@dataclass
class Req:
    url: str
    method: str = "get"
    data: dict[str, Any] | None = None
    htmx: bool = False
    who: str = "staff"  # or "admin"
    times: list[float] = field(default_factory=list)
    queries: int = 0
    size: int = 0

    def send(self, clients: dict[str, Client]) -> Any:
        headers = {"HX-Request": "true"} if self.htmx else {}
        client = clients[self.who]
        if self.method == "post":
            response = client.post(self.url, self.data or {}, headers=headers)
        else:
            response = client.get(self.url, headers=headers)
        assert response.status_code == 200, (self.url, response.status_code)
        return response

    @property
    def ms(self) -> float:
        return statistics.median(self.times) * 1000


@dataclass
class Page:
    name: str
    app: Req
    plain: Req
    admin: Req


def admin_export(report: Report, fmt: str) -> Req:
    """The import-export download of the report's commitments from the admin, every field
    ticked, as the admin's export form posts it."""
    model_admin: Any = admin.site._registry[Commitment]
    formats = model_admin.get_export_formats()
    index = next(i for i, f in enumerate(formats) if f().get_title().lower() == fmt)
    resource = model_admin.get_export_resource_classes(None)[0]
    data = {"resource": "0", "format": str(index)}
    for name in resource().get_export_order():
        data[SelectableFieldsExportForm.create_boolean_field_name(resource, name)] = "on"
    return Req(
        f"/admin/commitments/commitment/export/?report__id__exact={report.pk}",
        method="post",
        data=data,
        who="admin",
    )


def pages_for(report: Report) -> list[Page]:
    pk = report.pk
    changelist = f"/admin/commitments/commitment/?report__id__exact={pk}"
    plain_ledger = f"/__plain__/ledger/?report={pk}"
    plain_board = f"/__plain__/dashboard/?report={pk}"
    pages = [
        Page(
            "ledger (50 rows)",
            Req(f"/?report={pk}"),
            Req(plain_ledger),
            Req(changelist, who="admin"),
        ),
        Page(
            "ledger htmx filter (red+yellow)",
            Req(f"/?report={pk}&rag=red&rag=yellow", htmx=True),
            Req(plain_ledger, htmx=True),
            Req(f"{changelist}&kind__exact=general", who="admin"),
        ),
        Page(
            "dashboard",
            Req(f"/dashboard/?report={pk}"),
            Req(plain_board),
            Req(changelist, who="admin"),
        ),
        Page(
            f"dashboard as of {AS_OF}",
            Req(f"/dashboard/?report={pk}&as_of={AS_OF}"),
            Req(f"{plain_board}&as_of={AS_OF}"),
            Req(changelist, who="admin"),
        ),
        Page(
            "export CSV (all rows)",
            Req(f"/ledger/export.csv?report={pk}"),
            Req(f"/__plain__/export.csv?report={pk}"),
            admin_export(report, "csv"),
        ),
        Page(
            "export XLSX (all rows)",
            Req(f"/ledger/export.xlsx?report={pk}"),
            Req(f"/__plain__/export.xlsx?report={pk}"),
            admin_export(report, "xlsx"),
        ),
    ]
    return [p for p in pages if args.only.lower() in p.name.lower()]


def clients() -> dict[str, Client]:
    users = get_user_model().objects
    staff, superuser = Client(), Client()
    staff.force_login(users.get(username="bench_sup"))
    superuser.force_login(users.get(username="bench_admin"))
    return {"staff": staff, "admin": superuser}


def count_queries(req: Req, cs: dict[str, Client]) -> int:
    """Statements executed (counted as they run: the debug log keeps only 9,000)."""
    n = 0

    def counter(execute, sql, params, many, context):
        nonlocal n
        n += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        req.send(cs)
    return n


def nav_ms(runs: int) -> float:
    """The app's navigation counts (the nav context processor, on every staff page the
    site's templates render, the admin's too; the plain views do without)."""
    request = RequestFactory().get("/")
    request.user = get_user_model().objects.get(username="bench_sup")
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        nav(request)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:]) * 1000


def app_counts(report: Report, cs: dict[str, Client]) -> dict[str, int]:
    return {p.name: count_queries(p.app, cs) for p in pages_for(report)}


def counts_only() -> None:
    if not benchdata.is_built(SIZES):
        print(json.dumps({"missing": True}))
        return
    cs = clients()
    print(json.dumps({"counts": app_counts(benchdata.big_report(), cs)}))


def other_counts(scale: int) -> dict[str, int] | None:
    given = args.database_url
    if given and given not in ("sqlite", "postgres", "postgresql", "pg") and "{scale}" not in given:
        return None  # a fixed URL names one size only
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--counts-only",
            "--scale",
            str(scale),
            "--database-url",
            given or "sqlite",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    return None if got.get("missing") else got["counts"]


def main() -> None:
    if args.counts_only:
        counts_only()
        return
    t0 = time.perf_counter()
    benchdata.ensure(SIZES, rebuild=args.rebuild)
    built_in = time.perf_counter() - t0
    big, small = benchdata.big_report(), benchdata.small_report()
    cs = clients()
    pages = pages_for(big)
    reqs = [r for p in pages for r in (p.app, p.plain, p.admin)]

    for r in reqs:  # warm-up (template loading, first connection)
        response = r.send(cs)
        r.size = len(response.content)
    ledger_rows = cs["staff"].get(f"/?report={big.pk}").content.count(b'<tr class="row-')
    plain_rows = (
        cs["staff"].get(f"/__plain__/ledger/?report={big.pk}").content.count(b'<tr class="row-')
    )
    assert ledger_rows == plain_rows == 50, (ledger_rows, plain_rows)

    t1 = time.perf_counter()
    for round_ in range(args.runs):
        k = round_ % len(reqs)
        for r in reqs[k:] + reqs[:k]:
            start = time.perf_counter()
            r.send(cs)
            r.times.append(time.perf_counter() - start)
        print(
            f"  round {round_ + 1}/{args.runs} ({time.perf_counter() - t1:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    measured_in = time.perf_counter() - t1
    for r in reqs:
        r.queries = count_queries(r, cs)

    vendor = connection.vendor
    db = URL.rsplit("/", 1)[-1]
    print(
        f"\n{SIZES} — shown report: {Commitment.objects.filter(report=big).count()} items; "
        f"{Commitment.objects.count()} commitments, {ProgressUpdate.objects.count():,} updates "
        f"in the database\n{vendor} {db}; median of {args.runs} interleaved rounds; "
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; "
        f"database ready in {built_in:.0f} s, measured in {measured_in:.0f} s\n"
    )
    head = (
        f"{'page':<32} {'app ms':>8} {'q':>4} {'plain ms':>9} {'q':>4} {'admin ms':>9} {'q':>4}"
        f" {'×plain':>7} {'×admin':>7}"
    )
    print(head)
    print("-" * len(head))
    for p in pages:
        print(
            f"{p.name:<32} {p.app.ms:>8.1f} {p.app.queries:>4} {p.plain.ms:>9.1f} "
            f"{p.plain.queries:>4} {p.admin.ms:>9.1f} {p.admin.queries:>4} "
            f"{p.app.ms / p.plain.ms:>7.2f} {p.app.ms / p.admin.ms:>7.2f}"
        )
    print(
        "\nplain: plainviews.py (same rows and columns, select_related, no status rules, "
        "Django's own context processors); admin: the commitment changelist of the report "
        "(filtered by kind for the htmx row), its import-export download for the exports"
    )
    print(
        f"of every app and admin page: the navigation counts (context_processors.nav) "
        f"{nav_ms(min(args.runs, 10)):.1f} ms"
    )

    # Query counts: the 8-item report, this size, and the other sizes already built.
    columns: list[tuple[str, dict[str, int]]] = [("8 items", app_counts(small, cs))]
    sizes = sorted({int(s) for s in args.counts_at.split(",") if s.strip()} | {args.scale})
    for scale in sizes:
        label = f"{scale}× ({400 * scale} items)"
        if scale == args.scale:
            columns.append((label, {p.name: p.app.queries for p in pages}))
        else:
            got = other_counts(scale)
            if got is None:
                print(f"(no {scale}× database built: run --scale {scale} once for its counts)")
            else:
                columns.append((label, got))
    print(f"\nSQL queries per app page ({vendor})")
    print(f"{'page':<32}" + "".join(f" {label:>18}" for label, _ in columns) + "  constant?")
    for p in pages:
        values = [c.get(p.name) for _, c in columns]
        same = len({v for v in values if v is not None}) == 1
        print(
            f"{p.name:<32}"
            + "".join(f" {'' if v is None else v:>18}" for v in values)
            + f"  {'yes' if same else 'GROWS'}"
        )


if __name__ == "__main__":
    main()
