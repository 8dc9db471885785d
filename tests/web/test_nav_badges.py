"""The navigation badges on every staff page count a queue up to a cap, then say "99+": a
long review queue must not make every page slower."""

from __future__ import annotations

import datetime as dt

import pytest

from commitments.context_processors import BADGE_CAP
from commitments.models import ProgressUpdate
from tests.support.html import parse
from tests.support.webutil import make_cast


@pytest.fixture
def cast(anyang):
    return make_cast(anyang)


def _badge(client) -> str:
    page = parse(client.get("/").content.decode())
    return page.find("b", id="nav-review-badge").text.strip()


def _submit(cast, n: int) -> None:
    ProgressUpdate.objects.bulk_create(
        ProgressUpdate(
            commitment=cast.mine,
            author=cast.reporter,
            as_of=dt.date(2017, 6, 1),
            claimed_status="in_progress",
            percent=10,
            narrative=f"第{i}次",
        )
        for i in range(n)
    )


def test_review_badge_counts_the_queue(cast):
    _submit(cast, 3)
    assert _badge(cast.client("supervisor")) == "3"


def test_review_badge_stops_at_the_cap(cast):
    _submit(cast, BADGE_CAP + 20)
    assert _badge(cast.client("supervisor")) == f"{BADGE_CAP}+"
    # the desk itself gives the exact figure
    body = cast.client("supervisor").get("/review/").content.decode()
    assert str(BADGE_CAP + 20) in body


def test_each_badge_query_reads_at_most_the_cap(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = cast.client("supervisor")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/")
    counts = [
        q["sql"]
        for q in ctx.captured_queries
        if "COUNT(" in q["sql"]
        and any(
            t in q["sql"]
            for t in ("progressupdate", "acknowledgement", "urgingnotice", "extensionrequest")
        )
    ]
    assert len(counts) >= 3
    assert all(f"LIMIT {BADGE_CAP + 1}" in sql for sql in counts), counts
