"""The stored current status (CommitmentStatus) and the rules agree.

- ``rules.next_change``: nothing the rows store moves before the day it names (hypothesis);
- the rows, kept up to date the way the screens do it, equal the rules' answer for every
  commitment on every day of the demo year;
- today's ledger and dashboard read from the rows give what the history gives;
- a write invalidates; a refresh that raced with a write leaves the row stale, not wrong.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from commitments import clock
from commitments.models import Commitment, CommitmentStatus, ProgressUpdate, StatusSnapshot
from commitments.rules import (
    ClaimInput,
    Rag,
    TargetInput,
    acknowledgement_late,
    evaluate,
    next_change,
)
from commitments.selectors.dashboard import dashboard_build
from commitments.selectors.ledger import (
    SORTS,
    Current,
    LedgerWant,
    current_states,
    ledger_as_of,
    ledger_current,
    status_values,
)
from commitments.selectors.states import CommitmentState, commitment_states
from commitments.services import status as status_service
from commitments.services.status import VALUE_FIELDS, status_invalidate, status_refresh
from tests.support.factories import UserFactory

# -- next_change ---------------------------------------------------------------------------------

dates = st.dates(min_value=dt.date(2016, 6, 1), max_value=dt.date(2018, 6, 1))


@st.composite
def cases(draw):
    start = draw(dates)
    due = start + dt.timedelta(days=draw(st.integers(0, 500)))
    day = start + dt.timedelta(days=draw(st.integers(-40, 700)))
    targets = [
        TargetInput(
            value=draw(st.sampled_from([None, Decimal(0), Decimal(50), Decimal(100)])),
            direction=draw(st.sampled_from(["increase", "decrease", "maintain", "achieve"])),
            qualifier=draw(st.sampled_from(["", "reach"])),
            baseline=draw(st.sampled_from([None, Decimal(20), Decimal(200)])),
            reading=draw(
                st.sampled_from([None, Decimal(0), Decimal(30), Decimal(90), Decimal(150)])
            ),
        )
        for _ in range(draw(st.integers(0, 2)))
    ]
    claim = draw(
        st.one_of(
            st.none(),
            st.builds(
                ClaimInput,
                as_of=st.just(day - dt.timedelta(days=draw(st.integers(0, 200)))),
                status=st.sampled_from(["not_started", "in_progress", "completed"]),
                percent=st.sampled_from([None, Decimal(0), Decimal(35), Decimal(80)]),
            ),
        )
    )
    unack = draw(st.one_of(st.none(), st.just(day - dt.timedelta(days=draw(st.integers(0, 10))))))
    return {
        "day": day,
        "start_date": start,
        "due_date": due,
        "targets": targets,
        "claim": claim,
        "closed": draw(st.booleans()),
        "reopened": draw(st.booleans()),
        "tolerance": draw(st.sampled_from([0, 15, 40])),
        "stale_after_days": draw(st.sampled_from([1, 45])),
        "unack": unack,
    }


def _evaluate(case: dict, day: dt.date):
    return evaluate(
        day=day,
        start_date=case["start_date"],
        due_date=case["due_date"],
        targets=case["targets"],
        claim=case["claim"],
        closed=case["closed"],
        reopened=case["reopened"],
        tolerance=case["tolerance"],
        stale_after_days=case["stale_after_days"],
    )


def _signature(case: dict, day: dt.date) -> tuple:
    r = _evaluate(case, day)
    late = case["unack"] is not None and acknowledgement_late(
        assigned_on=case["unack"], day=day, within_days=3
    )
    return (r.rag, r.stale, r.overdue_days > 0, r.behind, r.is_open, r.percent, late)


@hsettings(max_examples=400, deadline=None)
@given(cases())
def test_nothing_moves_before_next_change(case):
    day = case["day"]
    first = _signature(case, day)
    claim = case["claim"]
    change = next_change(
        day=day,
        start_date=case["start_date"],
        due_date=case["due_date"],
        last_seen=[claim.as_of if claim else None],
        percents=[first[5]],
        unacknowledged_since=case["unack"],
        tolerance=case["tolerance"],
        stale_after_days=case["stale_after_days"],
        within_days=3,
    )
    assert change is None or change > day
    last = (change - dt.timedelta(days=1)) if change else day + dt.timedelta(days=800)
    result = _evaluate(case, day)
    span = {"start_date": case["start_date"], "due_date": case["due_date"]}
    d = day
    while d <= last:
        assert _signature(case, d) == first, (d, change)
        # … and the whole answer is the first one carried to the day (what the rows show)
        assert result.carried_to(d, **span) == _evaluate(case, d), (d, change)
        d += dt.timedelta(days=1)


def test_next_change_names_the_deadline():
    start, due = dt.date(2017, 1, 1), dt.date(2017, 6, 30)
    change = next_change(
        day=dt.date(2017, 6, 1),
        start_date=start,
        due_date=due,
        last_seen=[dt.date(2017, 5, 31)],
        percents=[100.0],
        tolerance=15,
        stale_after_days=45,
    )
    assert change == dt.date(2017, 7, 1)


# -- the rows against the rules, day by day --------------------------------------------------------


def _rows_agree(day: dt.date) -> int:
    """Bring the rows up to ``day`` as the screens do; compare with the rules. Returns the
    number of rows the refresh recomputed."""
    current = status_refresh(Commitment.objects.all())
    assert current.day == day
    states = commitment_states(Commitment.objects.all(), day=day)
    expected = {pk: status_values(s) for pk, s in states.items()}
    stored = {
        r["pk"]: {f: r[f] for f in VALUE_FIELDS}
        for r in CommitmentStatus.objects.values("pk", *VALUE_FIELDS)
    }
    assert stored.keys() == expected.keys()
    wrong = [(pk, stored[pk], expected[pk]) for pk in expected if stored[pk] != expected[pk]]
    assert not wrong, (day, len(wrong), wrong[:3])
    # What the rows shown display: the whole state, rebuilt from the row for the day.
    shown = {
        pk: CommitmentState.from_snapshot(snapshot, day)
        for pk, snapshot in StatusSnapshot.objects.values_list("pk", "snapshot")
    }
    differ = [(pk, shown[pk], states[pk]) for pk in states if shown[pk] != states[pk]]
    assert not differ, (day, len(differ), differ[:3])
    return current.refreshed


@pytest.mark.django_db
def test_rows_agree_with_the_rules_every_day_of_the_demo_year(anyang, settings):
    settings.LEDGER_TODAY = dt.date(2017, 12, 31)
    call_command("demo_data", as_of="2017-12-31", stdout=StringIO())
    assert ProgressUpdate.objects.count() > 300
    recomputed = []
    day = dt.date(2017, 1, 1)
    while day <= dt.date(2017, 12, 31):
        settings.LEDGER_TODAY = day
        recomputed.append(_rows_agree(day))
        day += dt.timedelta(days=1)
    # The shortcut is one: after the first day, most days recompute few rows.
    total = Commitment.objects.count()
    assert recomputed[0] == total
    assert sorted(recomputed)[len(recomputed) // 2] < total // 10
    # Going back in time recomputes (rows computed for a later day are not used).
    back = dt.date(2017, 3, 1)
    settings.LEDGER_TODAY = back
    later = CommitmentStatus.objects.filter(computed_for__gt=back).count()
    assert later > 0
    assert _rows_agree(back) == later


# -- today's screens: rows and history give the same answer -----------------------------------------


@pytest.fixture(scope="class")
def demo_year(django_db_setup, django_db_blocker):
    """The demo history up to 2017-09-30, written once for the tests of a class (it takes
    seconds). It is written inside a transaction rolled back after the class's last test;
    each test's own transaction nests in it (a savepoint), so what a test changes is undone
    after that test, and the next test sees the demo as written."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(LEDGER_TODAY=dt.date(2017, 9, 30)):
            call_command("demo_data", as_of="2017-09-30", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_year, anyang, settings):
    settings.LEDGER_TODAY = dt.date(2017, 9, 30)
    return anyang


def _board(board):
    return (
        board.total,
        board.by_rag,
        board.percent,
        board.verified_completed,
        board.claimed_pending,
        [(g.key, g.name, g.total, g.counts, g.percent) for g in board.chapters],
        [(g.key, g.name, g.total, g.counts, g.percent) for g in board.departments],
        [r.commitment.pk for r in board.overdue],
        [r.commitment.pk for r in board.stale],
        [r.commitment.pk for r in board.unacknowledged],
        (board.overdue_total, board.stale_total, board.unacknowledged_total),
        [(r.commitment.pk, r.shown.rag, r.shown.percent) for r in board.matters],
        [(r.commitment.pk, r.shown.rag, [t.reading for t in r.targets]) for r in board.pollution],
        (board.matters_total, board.pollution_total),
        [(r.commitment.pk, r.shown.rag) for r in board.overdue],
    )


def _claim_completed(c: Commitment) -> None:
    ProgressUpdate.objects.create(
        commitment=c,
        author=UserFactory.create(),
        as_of=dt.date(2017, 9, 29),
        claimed_status="completed",
        percent=Decimal(100),
    )


class TestTodayFromTheDemoYear:
    """Today's screens from the stored rows against the history, on the demo year (written
    once for the class by ``demo_year``)."""

    @pytest.mark.django_db
    def test_ledger_and_dashboard_from_rows_equal_them_from_history(self, demo):
        qs = Commitment.objects.filter(report=demo)
        day = dt.date(2017, 9, 30)
        current = status_refresh(qs)
        seen_lamps = set()
        for basis in ("claimed", "verified"):
            for sort in SORTS:
                for overdue, stale in ((False, False), (True, False), (False, True)):
                    for rags in (
                        frozenset(),
                        frozenset({Rag.RED, Rag.GREEN}),
                        frozenset({Rag.CLAIMED}),
                    ):
                        want = LedgerWant(
                            basis=basis, overdue=overdue, stale=stale, rags=rags, sort=sort
                        )
                        rows, _current = ledger_current(qs, want, status_refresh)
                        history, _states = ledger_as_of(qs, day, want)
                        assert list(rows.ids) == list(history.ids), want
                        assert len(rows.ids) == len(history.ids)
                        assert rows.counts == history.counts, want
                        assert (rows.verified_done, rows.claimed_pending, rows.unacknowledged) == (
                            history.verified_done,
                            history.claimed_pending,
                            history.unacknowledged,
                        )
                        seen_lamps |= {r for r, n in rows.counts.items() if n}
        # the demo exercises the lamps the comparison is about
        assert {Rag.RED, Rag.YELLOW, Rag.GREEN, Rag.COMPLETED} <= seen_lamps
        # the rows shown: their whole state from the stored rows equals the history's
        ids = list(qs.values_list("pk", flat=True))
        assert current_states(ids, current) == commitment_states(qs, day=day)

        everyone = Commitment.objects.all()
        for kw in (
            {"basis": "claimed"},
            {"basis": "verified"},
            {"verified_only": True, "list_limit": 30},
        ):
            from_rows = dashboard_build(
                report=demo, commitments=everyone, day=day, refresh=status_refresh, **kw
            )
            from_history = dashboard_build(report=demo, commitments=everyone, day=day, **kw)
            assert _board(from_rows) == _board(from_history), kw
            assert from_rows.overdue_total and from_rows.total == qs.count()

    @pytest.mark.django_db
    def test_a_row_without_snapshot_is_computed_from_the_history(self, demo):
        qs = Commitment.objects.filter(report=demo)
        current = status_refresh(qs)
        ids = list(qs.values_list("pk", flat=True))
        blank = ids[:5]
        StatusSnapshot.objects.filter(pk__in=blank).delete()
        states = current_states(ids, current)
        assert states == commitment_states(qs, day=current.day)
        assert set(states) == set(ids)

    @pytest.mark.django_db
    def test_the_ledger_refreshes_only_rows_that_are_not_current(self, demo, settings):
        """The ledger's counts check in the same query that every row is current: when all
        are, nothing is refreshed; a written, a missing or an expired row is refreshed before
        the counts are given."""
        qs = Commitment.objects.filter(report=demo)
        status_refresh(qs)

        def no_refresh(_qs):
            raise AssertionError("every row was current")

        want = LedgerWant()
        before, current = ledger_current(qs, want, no_refresh)
        assert current.refreshed == 0

        c = qs.filter(updates__isnull=True).earliest("seq")
        _claim_completed(c)
        CommitmentStatus.objects.filter(pk=qs.exclude(pk=c.pk).earliest("seq").pk).delete()
        after, current = ledger_current(qs, want, status_refresh)
        assert current.refreshed == 2
        assert after.counts[Rag.CLAIMED] == before.counts[Rag.CLAIMED] + 1
        assert len(after.ids) == len(before.ids) == qs.count()

        settings.LEDGER_TODAY = dt.date(2018, 3, 1)  # rows expire (deadlines pass)
        later, current = ledger_current(qs, want, status_refresh)
        assert current.refreshed > 0
        assert later.counts == ledger_as_of(qs, dt.date(2018, 3, 1), want)[0].counts

    @pytest.mark.django_db
    def test_the_dashboard_refreshes_only_rows_that_are_not_current(self, demo, settings):
        """The dashboard's tallies check in the same query that every row is current, as the
        ledger's counts do: nothing is refreshed when all are; a written or a missing row is
        refreshed before the figures are given, and they equal the history's."""
        qs = Commitment.objects.filter(report=demo)
        everyone = Commitment.objects.all()
        day = clock.today()
        status_refresh(qs)
        calls: list[int] = []

        def no_refresh(_qs):
            raise AssertionError("every row was current")

        def counted_refresh(rows):
            current = status_refresh(rows)
            calls.append(current.refreshed)
            return current

        before = dashboard_build(report=demo, commitments=everyone, day=day, refresh=no_refresh)
        c = qs.filter(updates__isnull=True).earliest("seq")
        _claim_completed(c)
        CommitmentStatus.objects.filter(pk=qs.exclude(pk=c.pk).earliest("seq").pk).delete()
        after = dashboard_build(report=demo, commitments=everyone, day=day, refresh=counted_refresh)
        assert calls == [2]
        assert after.claimed_pending == before.claimed_pending + 1
        assert _board(after) == _board(dashboard_build(report=demo, commitments=everyone, day=day))

    @pytest.mark.django_db
    def test_a_dashboard_whose_refresh_yielded_is_rebuilt_from_the_history(self, demo):
        """A refresh that yields to a concurrent one (``status_refresh`` lets a deadlocked chunk
        go) can leave rows not current, a new one still blank: the board is then rebuilt from
        the history, never counted from those rows."""
        qs = Commitment.objects.filter(report=demo)
        everyone = Commitment.objects.all()
        day = clock.today()
        status_refresh(qs)
        CommitmentStatus.objects.filter(pk=qs.earliest("seq").pk).delete()
        _claim_completed(qs.filter(updates__isnull=True).latest("seq"))

        def yielded(_rows):
            return Current(day=day, refreshed=0)

        board = dashboard_build(report=demo, commitments=everyone, day=day, refresh=yielded)
        assert _board(board) == _board(dashboard_build(report=demo, commitments=everyone, day=day))


# -- invalidation ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_write_makes_the_row_stale_and_the_next_read_sees_it(anyang):
    c = Commitment.objects.filter(report=anyang, updates__isnull=True).first()
    assert c is not None
    status_refresh(Commitment.objects.all())
    assert CommitmentStatus.objects.get(pk=c.pk).rag != Rag.CLAIMED
    _claim_completed(c)
    row = CommitmentStatus.objects.get(pk=c.pk)
    assert row.fresh_stamp != row.stamp  # stale until read
    assert status_refresh(Commitment.objects.filter(pk=c.pk)).refreshed == 1
    assert CommitmentStatus.objects.get(pk=c.pk).rag == Rag.CLAIMED


@pytest.mark.django_db
def test_a_refresh_racing_a_write_stays_stale(anyang, monkeypatch):
    c = Commitment.objects.filter(report=anyang).earliest("seq")
    status_invalidate([c.pk])
    real = status_service.commitment_states

    def write_meanwhile(*args, **kwargs):
        result = real(*args, **kwargs)  # what the refresh saw …
        status_invalidate([c.pk])  # … then a writer commits
        return result

    monkeypatch.setattr(status_service, "commitment_states", write_meanwhile)
    status_refresh(Commitment.objects.filter(pk=c.pk))
    row = CommitmentStatus.objects.get(pk=c.pk)
    assert row.fresh_stamp != row.stamp
    monkeypatch.setattr(status_service, "commitment_states", real)
    assert status_refresh(Commitment.objects.filter(pk=c.pk)).refreshed == 1


@pytest.mark.django_db
def test_changed_rules_settings_recompute(anyang, settings):
    settings.LEDGER_TODAY = dt.date(2017, 9, 30)
    status_refresh(Commitment.objects.all())
    assert status_refresh(Commitment.objects.all()).refreshed == 0
    settings.STALE_AFTER_DAYS = 10
    assert status_refresh(Commitment.objects.all()).refreshed == Commitment.objects.count()
    _rows_agree(dt.date(2017, 9, 30))


@pytest.mark.django_db
def test_refresh_status_command(anyang):
    out = StringIO()
    call_command("refresh_status", stdout=out)
    assert str(Commitment.objects.count()) in out.getvalue()
    assert status_refresh(Commitment.objects.all()).refreshed == 0
    out = StringIO()
    call_command("refresh_status", "--all", stdout=out)
    assert str(Commitment.objects.count()) in out.getvalue()
