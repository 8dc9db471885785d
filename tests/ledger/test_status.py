"""Status rules (红黄绿灯) at their boundaries, with time frozen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from commitments.models import Commitment
from commitments.rules import ClaimInput, Rag, TargetInput, evaluate, percent_of, target_fraction
from commitments.selectors.states import commitment_states
from tests.support.factories import CommitmentFactory, TargetFactory, UserFactory
from tests.support.webutil import record

START, DUE = dt.date(2017, 1, 1), dt.date(2017, 12, 31)
SPAN = (DUE - START).days  # 364


def at(day: dt.date) -> time_machine.travel:
    return time_machine.travel(
        dt.datetime.combine(day, dt.time(12)).replace(tzinfo=dt.timezone(dt.timedelta(hours=8))),
        tick=False,
    )


def claim(day: dt.date, status: str = "in_progress", percent: str | None = "50") -> ClaimInput:
    return ClaimInput(as_of=day, status=status, percent=Decimal(percent) if percent else None)


def ev(day: dt.date, c: ClaimInput | None, **kw):
    return evaluate(
        day=day,
        start_date=START,
        due_date=DUE,
        targets=[],
        claim=c,
        tolerance=15,
        stale_after_days=45,
        **kw,
    )


def day_at_elapsed(share: float) -> dt.date:
    return START + dt.timedelta(days=round(SPAN * share))


class TestOverdue:
    def test_on_the_due_date_it_is_not_yet_red(self):
        assert ev(DUE, claim(DUE - dt.timedelta(days=1), percent="99")).rag == Rag.GREEN

    def test_the_day_after_the_due_date_it_is_red(self):
        result = ev(DUE + dt.timedelta(days=1), claim(DUE, percent="99"))
        assert (result.rag, result.overdue_days) == (Rag.RED, 1)

    def test_completed_on_the_due_date_is_completed(self):
        assert ev(DUE + dt.timedelta(days=30), claim(DUE, "completed")).rag == Rag.COMPLETED

    def test_completed_a_day_late_is_completed_late(self):
        late = DUE + dt.timedelta(days=1)
        assert ev(late + dt.timedelta(days=5), claim(late, "completed")).rag == Rag.COMPLETED_LATE


class TestBehind:
    def test_exactly_at_the_tolerance_is_green(self):
        day = START + dt.timedelta(days=182)  # 50.0% of the time gone
        r = ev(day, claim(day, percent="35"))
        assert r.elapsed == 50.0 and r.rag == Rag.GREEN

    def test_just_past_the_tolerance_is_yellow(self):
        day = START + dt.timedelta(days=182)
        r = ev(day, claim(day, percent="34.9"))
        assert r.rag == Rag.YELLOW and r.reason.startswith("behind")

    def test_tolerance_comes_from_settings(self, settings):
        settings.RAG_TOLERANCE_PERCENT = 5
        day = START + dt.timedelta(days=182)
        r = evaluate(
            day=day, start_date=START, due_date=DUE, targets=[], claim=claim(day, percent="44")
        )
        assert r.rag == Rag.YELLOW


class TestStale:
    def test_exactly_n_days_is_not_stale(self):
        last = dt.date(2017, 3, 1)
        day = last + dt.timedelta(days=45)
        r = ev(day, claim(last, percent="60"))
        assert not r.stale and r.rag == Rag.GREEN

    def test_one_more_day_is_stale_yellow(self):
        last = dt.date(2017, 3, 1)
        day = last + dt.timedelta(days=46)
        r = ev(day, claim(last, percent="60"))
        assert r.stale and r.rag == Rag.YELLOW

    def test_never_updated_counts_from_the_start_date(self):
        assert ev(START + dt.timedelta(days=10), None).rag == Rag.NOT_STARTED
        assert ev(START + dt.timedelta(days=46), None).stale


class TestNotStarted:
    def test_no_update_early_in_the_year_is_grey(self):
        assert ev(START, None).rag == Rag.NOT_STARTED

    def test_a_not_started_claim_is_grey(self):
        assert (
            ev(dt.date(2017, 1, 20), claim(dt.date(2017, 1, 20), "not_started", None)).rag
            == Rag.NOT_STARTED
        )


class TestPercent:
    def test_from_readings_where_there_are_targets(self):
        targets = [
            TargetInput(
                value=Decimal(118),
                direction="increase",
                qualifier="",
                baseline=None,
                reading=Decimal(59),
            ),
            TargetInput(
                value=Decimal(50), direction="increase", qualifier="", baseline=None, reading=None
            ),
        ]
        assert percent_of(targets=targets, claim=claim(START, percent="90")) == 25.0

    def test_as_reported_without_numeric_targets(self):
        assert percent_of(targets=[], claim=claim(START, percent="42.5")) == 42.5

    def test_reach_from_a_baseline(self):
        # 城市低保 240 → 250 元: at 245 half the distance is covered
        t = TargetInput(
            value=Decimal(250),
            direction="increase",
            qualifier="reach",
            baseline=Decimal(240),
            reading=Decimal(245),
        )
        assert target_fraction(t) == 0.5

    def test_decrease_with_a_baseline(self):
        t = TargetInput(
            value=Decimal(80),
            direction="decrease",
            qualifier="",
            baseline=Decimal(100),
            reading=Decimal(90),
        )
        assert target_fraction(t) == 0.5
        assert (
            target_fraction(
                TargetInput(
                    value=Decimal(80),
                    direction="decrease",
                    qualifier="",
                    baseline=Decimal(100),
                    reading=Decimal(79),
                )
            )
            == 1.0
        )

    def test_over_achievement_is_capped(self):
        t = TargetInput(
            value=Decimal(10),
            direction="increase",
            qualifier="at_least",
            baseline=None,
            reading=Decimal(15),
        )
        assert target_fraction(t) == 1.0


@pytest.mark.django_db
class TestWithFrozenTime:
    """The selector, the ledger and the page use today's date: freeze it and step over
    each boundary."""

    def commitment(self) -> Commitment:
        return CommitmentFactory.create(start_date=START, due_date=dt.date(2017, 6, 30))

    def state(self, c):
        return commitment_states(Commitment.objects.filter(pk=c.pk))[c.pk]

    def test_red_from_the_day_after_the_due_date(self):
        c = self.commitment()
        author = UserFactory.create()
        with at(dt.date(2017, 6, 1)):
            record(c, author, as_of=dt.date(2017, 6, 1), percent="95")
        with at(dt.date(2017, 6, 30)):
            assert self.state(c).status.rag == Rag.GREEN
        with at(dt.date(2017, 7, 1)):
            assert self.state(c).status.rag == Rag.RED

    def test_stale_flips_after_the_setting(self, settings):
        settings.STALE_AFTER_DAYS = 10
        c = CommitmentFactory.create(start_date=START, due_date=DUE)
        with at(dt.date(2017, 1, 5)):
            record(c, UserFactory.create(), as_of=dt.date(2017, 1, 5), percent="5")
        with at(dt.date(2017, 1, 15)):
            assert not self.state(c).status.stale
        with at(dt.date(2017, 1, 16)):
            state = self.state(c)
            assert state.status.stale and state.status.rag == Rag.YELLOW

    def test_ledger_today_pins_the_day(self, settings):
        c = self.commitment()
        settings.LEDGER_TODAY = dt.date(2017, 3, 1)
        with at(dt.date(2026, 1, 1)):
            assert self.state(c).status.rag != Rag.RED

    def test_numeric_targets_drive_the_lamp(self):
        c = CommitmentFactory.create(start_date=START, due_date=DUE)
        t = TargetFactory.create(commitment=c, value=Decimal(100), unit="个")
        with at(dt.date(2017, 7, 2)):  # half the year gone
            record(
                c,
                UserFactory.create(),
                as_of=dt.date(2017, 7, 1),
                percent="90",
                readings={t: Decimal(30)},
            )
            state = self.state(c)
            assert state.status.percent == 30.0  # from the reading, not the typed 90
            assert state.status.rag == Rag.YELLOW
