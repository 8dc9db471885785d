"""The ledger as it stood on any past day, rebuilt from the append-only updates: an
update counts once it was written, an acceptance once it was given, a return from the day
it was returned."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from commitments.models import Commitment
from commitments.rules import Rag
from commitments.selectors.states import commitment_states
from commitments.services.progress import update_review_accept, update_review_return
from tests.support.webutil import make_cast, record

TZ = dt.timezone(dt.timedelta(hours=8))


def at(y, m, d, h=10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=TZ)


@pytest.fixture
def cast(anyang):
    return make_cast(anyang)


def state(c, day):
    return commitment_states(Commitment.objects.filter(pk=c.pk), day=day)[c.pk]


def test_an_update_counts_from_the_day_it_was_written(cast):
    # written on 5 July about 30 June: on 1 July nobody knew yet
    record(
        cast.theirs,
        cast.other_reporter,
        as_of=dt.date(2017, 6, 30),
        percent="60",
        created_at=at(2017, 7, 5),
    )
    assert state(cast.theirs, dt.date(2017, 7, 1)).claimed_status == ""
    assert state(cast.theirs, dt.date(2017, 7, 5)).status.percent == 60.0


def test_verified_status_counts_from_the_acceptance(cast):
    u = record(
        cast.theirs,
        cast.other_reporter,
        as_of=dt.date(2017, 6, 25),
        percent="50",
        created_at=at(2017, 6, 25),
    )
    update_review_accept(update=u, reviewer=cast.supervisor, now=at(2017, 7, 3))
    assert state(cast.theirs, dt.date(2017, 7, 2)).verified_status == ""
    assert state(cast.theirs, dt.date(2017, 7, 3)).verified_status == "in_progress"
    assert state(cast.theirs, dt.date(2017, 7, 3)).verified.percent == 50.0


def test_a_returned_update_counts_until_it_was_returned(cast):
    u = record(
        cast.theirs,
        cast.other_reporter,
        as_of=dt.date(2017, 6, 25),
        status="completed",
        percent=None,
        created_at=at(2017, 6, 25),
    )
    update_review_return(update=u, reviewer=cast.supervisor, comment="未完成", now=at(2017, 6, 28))
    assert state(cast.theirs, dt.date(2017, 6, 27)).status.rag == Rag.COMPLETED
    assert state(cast.theirs, dt.date(2017, 6, 28)).status.rag != Rag.COMPLETED


def test_readings_are_rebuilt_too(cast):
    t = cast.mine.targets.filter(value__isnull=False).order_by("order").first()  # 118 roads
    record(
        cast.mine,
        cast.reporter,
        as_of=dt.date(2017, 4, 25),
        readings={t: Decimal(20)},
        percent=None,
        created_at=at(2017, 4, 25),
    )
    record(
        cast.mine,
        cast.reporter,
        as_of=dt.date(2017, 8, 25),
        readings={t: Decimal(80)},
        percent=None,
        created_at=at(2017, 8, 25),
    )
    april, august = state(cast.mine, dt.date(2017, 5, 1)), state(cast.mine, dt.date(2017, 9, 1))
    assert april.status.percent < august.status.percent


def test_screens_summaries_and_status_read_the_same_reading_on_a_day(cast):
    """One as-of reading query (selectors.states.latest_reading): the commitment page and
    dashboard (readings_on), the summaries' target rows and the status rule's percent all
    see the April reading on 1 May, the August one on 1 September, and never a returned
    update's reading after its return, nor a reading written after the day."""
    from commitments.jobs.summaries import _target_rows
    from commitments.selectors.states import readings_on

    t = cast.mine.targets.filter(value__isnull=False).order_by("order").first()  # 118 roads
    for as_of, value in ((dt.date(2017, 4, 25), 20), (dt.date(2017, 8, 25), 80)):
        record(cast.mine, cast.reporter, as_of=as_of, readings={t: Decimal(value)},
               percent=None, created_at=at(as_of.year, as_of.month, as_of.day))  # fmt: skip
    wrong = record(cast.mine, cast.reporter, as_of=dt.date(2017, 8, 26),
                   readings={t: Decimal(118)}, percent=None, created_at=at(2017, 8, 26))  # fmt: skip
    update_review_return(update=wrong, reviewer=cast.supervisor, comment="数据有误",
                         now=at(2017, 8, 27))  # fmt: skip
    late = record(cast.mine, cast.reporter, as_of=dt.date(2017, 4, 30),
                  readings={t: Decimal(50)}, percent=None, created_at=at(2017, 5, 2))  # fmt: skip
    assert late.pk

    def seen(day: dt.date) -> set[str]:
        rows = [r for r in _target_rows([cast.mine.pk], day)[cast.mine.pk] if r["text"] == t.text]
        return {
            format(readings_on([t.pk], day)[t.pk].normalize(), "f"),
            rows[0]["reading"],
        }

    assert seen(dt.date(2017, 5, 1)) == {"20"}
    assert seen(dt.date(2017, 8, 26)) == {"118"}  # claimed, not yet returned
    assert seen(dt.date(2017, 9, 1)) == {"80"}
    assert readings_on([t.pk], dt.date(2017, 4, 1)) == {}
    assert (
        state(cast.mine, dt.date(2017, 5, 1)).status.percent
        < state(cast.mine, dt.date(2017, 9, 1)).status.percent
    )


def test_dashboard_as_of_a_past_day(cast):
    record(
        cast.theirs,
        cast.other_reporter,
        as_of=dt.date(2017, 8, 25),
        status="completed",
        percent=None,
        created_at=at(2017, 8, 25),
    )
    client = cast.client("supervisor")
    now = client.get("/dashboard/").content.decode()
    before = client.get("/dashboard/", {"as_of": "2017-08-01"}).content.decode()
    assert "历史回溯" in before and "历史回溯" not in now.split('id="board"')[1]

    def claimed_count(body: str) -> int:
        # not reviewed: 申报完成·待审核, never 已完成
        legend = body[body.index('class="legend"') :]
        item = legend[legend.index('lamp-claimed"') :]
        return int(item.split("<b>")[1].split("</b>")[0])

    assert claimed_count(now) == claimed_count(before) + 1


def test_dashboard_as_of_partial_for_htmx(cast):
    response = cast.client("leader").get(
        "/dashboard/", {"as_of": "2017-05-01"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body and body.strip().startswith('<div id="board">')
    assert "2017年5月1日" in body


def test_future_as_of_is_today(cast):
    response = cast.client("leader").get("/dashboard/", {"as_of": "2999-01-01"})
    assert response.status_code == 200
    assert "历史回溯" not in response.content.decode().split('id="board"')[1]


def test_with_a_pinned_demo_day_an_update_recorded_now_counts_today(cast, settings):
    """LEDGER_TODAY pins a past day for demos; an update written now about that day shows
    on the ledger's today, but not on the days before it."""
    settings.LEDGER_TODAY = dt.date(2017, 9, 30)
    u = record(
        cast.theirs,
        cast.other_reporter,
        as_of=dt.date(2017, 9, 30),
        status="completed",
        percent=None,
    )
    assert u.created_at.date() > dt.date(2017, 9, 30)  # written in real time
    assert state(cast.theirs, dt.date(2017, 9, 30)).status.rag == Rag.COMPLETED
    assert state(cast.theirs, dt.date(2017, 9, 29)).claimed_status == ""
    update_review_accept(update=u, reviewer=cast.supervisor)
    assert state(cast.theirs, dt.date(2017, 9, 30)).verified.rag == Rag.COMPLETED
