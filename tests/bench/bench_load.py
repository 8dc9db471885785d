"""Bounded load test: gunicorn + PostgreSQL on loopback, staff browsing while department
reporters record progress (a script, not collected by pytest).

    .venv/bin/python tests/bench/bench_load.py [--scale 1] [--duration 30] [--connections 8]
        [--writers 2] [--workers 2] [--database-url postgres] [--rebuild]
        [--phases ledger,plain,mixed]

The ledger (benchdata.py, the same build as bench_web.py) lives in the PostgreSQL
database bench_load_<n>x (created if missing, built once, reused: each run adds only its
own updates). gunicorn serves the app with ``--workers`` sync workers on a free port of
127.0.0.1, DEBUG off, with the bench settings (tests.bench.bench_settings), which add the
plain views of plainviews.py under /__plain__/. A small asyncio client (httpx) then keeps
``--connections`` connections busy, each a person logged in through the real login form,
for ``--duration`` seconds per phase, with no think time:

- ``ledger``: the ledger page of the 400-item report (4,000 at 10×), 50 rows;
- ``plain``: the plain Django view of the same 50 rows with the same columns;
- ``mixed``: ``connections - writers`` supervision-office staff browse (ledger page, htmx
  lamp filter, an item page, the dashboard, in turn) while ``writers`` department
  reporters each open one of their unit's items and post its update form as the browser
  does (htmx, multipart, the CSRF token the page carried), every update with a unique
  marker in its narrative.

Per phase: requests, throughput, p50/p99 latency per kind of request, errors (anything
that is not 2xx/3xx, a connection failure, a redirect to the login page, or an update
form answered without the saved panel). Afterwards the database is read: every update the
client was told was saved must be there exactly once (none lost, none duplicated). The
script exits non-zero when a request failed or an update was lost or duplicated.

The client runs on the same machine as gunicorn and PostgreSQL and takes CPU from them:
compare figures taken on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench import benchdata  # noqa: E402

parser = argparse.ArgumentParser(
    description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
)
parser.add_argument("--scale", type=int, default=1, help="size factor (1: 400-item reports)")
parser.add_argument(
    "--database-url",
    default="postgres",
    help="postgres (default: bench_load_<n>x), sqlite, or a URL ({scale} is replaced)",
)
parser.add_argument("--duration", type=float, default=30, help="seconds per phase")
parser.add_argument("--connections", type=int, default=8)
parser.add_argument("--writers", type=int, default=2, help="of the connections, reporters")
parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
parser.add_argument("--phases", default="ledger,plain,mixed")
parser.add_argument("--rebuild", action="store_true", help="build the database again")
args = parser.parse_args()

URL = benchdata.database_url(args.database_url, kind="load", scale=args.scale)
SIZES = benchdata.Sizes(args.scale)
benchdata.prepare_database(URL, rebuild=args.rebuild)
benchdata.setup_django(URL)

import httpx  # noqa: E402
from django.db import connection  # noqa: E402

from commitments.models import Commitment, ProgressUpdate  # noqa: E402

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
MARK = "基准负载"


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)  # kind -> first error seen
    acknowledged: list[str] = field(default_factory=list)  # markers answered as saved
    attempted: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def record(self, kind: str, seconds: float, error: str | None = None) -> None:
        self.latencies[kind].append(seconds)
        if error is not None:
            self.errors[kind] += 1
            self.samples.setdefault(kind, error)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def start_gunicorn(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **benchdata.environment(URL)}
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "tracker.wsgi:application",
        "--workers",
        str(args.workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
        "--error-logfile",
        str(log),
    ]
    return subprocess.Popen(command, cwd=benchdata.ROOT, env=env)


def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/accounts/login/", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within 90 s")


async def login(client: httpx.AsyncClient, username: str) -> None:
    page = await client.get("/accounts/login/")
    token = CSRF.search(page.content)
    assert page.status_code == 200 and token, ("login page", page.status_code)
    answer = await client.post(
        "/accounts/login/",
        data={
            "username": username,
            "password": benchdata.PASSWORD,
            "csrfmiddlewaretoken": token.group(1).decode(),
        },
    )
    assert answer.status_code == 302, (username, answer.status_code, answer.text[:300])


def failure(response: httpx.Response) -> str | None:
    if not 200 <= response.status_code < 400:
        return f"HTTP {response.status_code} {response.request.method} {response.request.url}"
    if response.status_code in (301, 302) and "/accounts/login/" in response.headers.get(
        "location", ""
    ):
        return f"sent to the login page: {response.request.url}"
    return None


async def timed(
    stats: Stats,
    kind: str,
    call: Awaitable[httpx.Response],
    check: Callable[[httpx.Response], str | None] = failure,
) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        response = await call
    except httpx.HTTPError as e:
        stats.record(kind, time.perf_counter() - start, f"{type(e).__name__}: {e}")
        return None
    stats.record(kind, time.perf_counter() - start, check(response))
    return response


@dataclass
class World:
    report: int
    items: list[int]  # every item of the report
    writable: dict[str, list[int]]  # reporter -> items of their unit without numeric targets


def world() -> World:
    report = benchdata.big_report()
    items = list(Commitment.objects.filter(report=report).values_list("pk", flat=True))
    writable: dict[str, list[int]] = {}
    for k in range(benchdata.UNITS):
        pks = list(
            Commitment.objects.filter(
                report=report, lead_unit__name=f"市第{k}局", targets__isnull=True
            ).values_list("pk", flat=True)
        )
        if pks:
            writable[f"bench_rep{k}"] = pks
    return World(report.pk, items, writable)


async def browse(
    client: httpx.AsyncClient, stats: Stats, w: World, until: float, kinds: list[str]
) -> None:
    rng = random.Random()
    n = 0
    while time.monotonic() < until:
        kind = kinds[n % len(kinds)]
        n += 1
        if kind == "ledger":
            call = client.get(f"/?report={w.report}")
        elif kind == "plain":
            call = client.get(f"/__plain__/ledger/?report={w.report}")
        elif kind == "htmx filter":
            call = client.get(
                f"/?report={w.report}&rag=red&rag=yellow", headers={"HX-Request": "true"}
            )
        elif kind == "item page":
            call = client.get(f"/c/{rng.choice(w.items)}/")
        else:
            call = client.get(f"/dashboard/?report={w.report}")
        await timed(stats, kind, call)


def saved(response: httpx.Response) -> str | None:
    """htmx's answer to a saved update is the refreshed panel, retargeted (422: errors)."""
    if response.status_code != 200 or response.headers.get("HX-Retarget") != "#updates-panel":
        return f"update not saved: HTTP {response.status_code} {response.text[:300]!r}"
    return None


async def write(
    client: httpx.AsyncClient, stats: Stats, items: list[int], until: float, tag: str
) -> None:
    rng = random.Random()
    n = 0
    while time.monotonic() < until:
        pk = rng.choice(items)
        page = await timed(stats, "item page (reporter)", client.get(f"/c/{pk}/"))
        if page is None or page.status_code != 200:
            continue
        token = CSRF.search(page.content.split(f'action="/c/{pk}/update/"'.encode(), 1)[-1])
        if token is None:
            stats.record("update POST", 0.0, f"no update form on /c/{pk}/")
            continue
        n += 1
        marker = f"{MARK} {tag}-{n}"
        stats.attempted.append(marker)

        csrf = token.group(1).decode()
        answer = await timed(
            stats,
            "update POST",
            # as the browser sends the form through htmx: multipart, no file chosen
            client.post(
                f"/c/{pk}/update/",
                data={
                    "csrfmiddlewaretoken": csrf,
                    "claimed_status": "in_progress",
                    "as_of": benchdata.TODAY,
                    "percent": str(rng.randint(1, 99)),
                    "narrative": marker,
                    "links": "",
                },
                files={"files": ("", b"", "application/octet-stream")},
                headers={"HX-Request": "true", "X-CSRFToken": csrf},
            ),
            check=saved,
        )
        if answer is not None and saved(answer) is None:
            stats.acknowledged.append(marker)


async def phase(name: str, base: str, w: World, run_id: str) -> Stats:
    stats = Stats()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients: list[httpx.AsyncClient] = []
    jobs = []
    writers = args.writers if name == "mixed" else 0
    reporters = list(w.writable)
    try:
        people = []
        for i in range(args.connections):
            client = httpx.AsyncClient(base_url=base, timeout=120, limits=limits)
            clients.append(client)
            if i < writers:
                username = reporters[i % len(reporters)]
            else:
                k = i % benchdata.SUPERVISORS
                username = f"bench_sup{k}" if k else "bench_sup"
            people.append(username)
            await login(client, username)
        start = time.perf_counter()
        until = time.monotonic() + args.duration
        for i, (client, username) in enumerate(zip(clients, people, strict=True)):
            if i < writers:
                jobs.append(write(client, stats, w.writable[username], until, f"{run_id}-{i}"))
            elif name == "mixed":
                kinds = ["ledger", "htmx filter", "item page", "dashboard"]
                jobs.append(browse(client, stats, w, until, kinds[i % 4 :] + kinds[: i % 4]))
            else:
                jobs.append(browse(client, stats, w, until, [name]))
        await asyncio.gather(*jobs)
        stats.elapsed = time.perf_counter() - start
    finally:
        for client in clients:
            await client.aclose()
    return stats


def report_phase(name: str, stats: Stats) -> None:
    print(
        f"\n{name}: {stats.requests} requests in {stats.elapsed:.1f} s = "
        f"{stats.requests / stats.elapsed:.1f} req/s, errors {sum(stats.errors.values())}"
    )
    print(f"  {'request':<24} {'n':>6} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for kind, values in stats.latencies.items():
        print(
            f"  {kind:<24} {len(values):>6} {len(values) / stats.elapsed:>7.1f} "
            f"{percentile(values, 50) * 1000:>8.0f} {percentile(values, 99) * 1000:>8.0f} "
            f"{stats.errors[kind]:>7}"
        )
    for kind, sample in stats.samples.items():
        print(f"  first error ({kind}): {sample}")


def check_updates(stats: Stats, run_id: str) -> tuple[int, int, int]:
    """(lost, duplicated, saved without an answer): read from the database."""
    found = Counter(
        ProgressUpdate.objects.filter(narrative__startswith=f"{MARK} {run_id}-").values_list(
            "narrative", flat=True
        )
    )
    acknowledged = set(stats.acknowledged)
    lost = sum(1 for m in acknowledged if found[m] == 0)
    duplicated = sum(1 for m, n in found.items() if n > 1)
    unanswered = sum(1 for m in found if m not in acknowledged)
    return lost, duplicated, unanswered


def main() -> None:
    t0 = time.perf_counter()
    benchdata.ensure(SIZES, rebuild=args.rebuild)
    w = world()
    assert len(w.writable) >= args.writers, "not enough units with items to write to"
    updates_before = ProgressUpdate.objects.count()
    connection.close()
    ready = time.perf_counter() - t0

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = benchdata.OUT / f"gunicorn-load-{args.scale}x.log"
    log.unlink(missing_ok=True)
    server = start_gunicorn(port, log)
    results: dict[str, Stats] = {}
    run_id = f"{int(time.time()):x}"
    try:
        wait_ready(base, server)
        for name in [p.strip() for p in args.phases.split(",") if p.strip()]:
            results[name] = asyncio.run(phase(name, base, w, run_id))
            report_phase(name, results[name])
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    print(
        f"\n{SIZES}, {connection.vendor} {URL.rsplit('/', 1)[-1]} ({updates_before:,} updates "
        f"before); gunicorn {args.workers} sync workers, {args.connections} connections, "
        f"{args.duration:.0f} s per phase; {os.cpu_count()} CPUs shared with the client, "
        f"load {os.getloadavg()[0]:.2f}; database ready in {ready:.0f} s"
    )
    head = f"{'phase':<8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    print(head)
    print("-" * len(head))
    for name, stats in results.items():
        values = [v for vs in stats.latencies.values() for v in vs]
        print(
            f"{name:<8} {stats.requests / stats.elapsed:>7.1f} {percentile(values, 50) * 1000:>8.0f}"
            f" {percentile(values, 99) * 1000:>8.0f} {sum(stats.errors.values()):>7}"
        )
    if "ledger" in results and "plain" in results:
        ledger, plain = results["ledger"], results["plain"]
        ratio = (ledger.requests / ledger.elapsed) / (plain.requests / plain.elapsed)
        print(f"ledger throughput / plain view's: {ratio:.2f}")
    bad = sum(sum(s.errors.values()) for s in results.values())
    if "mixed" in results:
        mixed = results["mixed"]
        lost, duplicated, unanswered = check_updates(mixed, run_id)
        print(
            f"updates: {len(mixed.attempted)} posted, {len(mixed.acknowledged)} answered as saved; "
            f"in the database: lost {lost}, duplicated {duplicated}, "
            f"saved without an answer {unanswered}"
        )
        bad += lost + duplicated
    if bad:
        print(f"FAILED: {bad} errors or lost/duplicated updates (gunicorn's log: {log})")
        sys.exit(1)


if __name__ == "__main__":
    main()
