"""The supervision cycle in the status rules and in the database: the approved deadline for
the lamps, done-late against the original one, a reopening undoing a completion, claimed vs
verified, 未签收 after N days, the colour of the urging notice an item calls for; and the
invariants the database keeps whatever the code does."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from commitments.models import Acknowledgement, Closure, ExtensionRequest, Instruction
from commitments.rules import (
    ClaimInput,
    Rag,
    acknowledgement_late,
    evaluate,
    ledger_status,
    urging_level,
)
from tests.support.factories import (
    CommitmentFactory,
    DepartmentFactory,
    ProgressUpdateFactory,
    UserFactory,
)

START, ORIGINAL, EXTENDED = dt.date(2017, 1, 1), dt.date(2017, 6, 30), dt.date(2017, 9, 30)


def ev(day, claim=None, **kw):
    return evaluate(
        day=day,
        start_date=START,
        due_date=kw.pop("due_date", EXTENDED),
        targets=[],
        claim=claim,
        **kw,
    )


def claim(as_of, status="completed", percent=None):
    return ClaimInput(as_of=as_of, status=status, percent=Decimal(percent) if percent else None)


def test_lamps_follow_the_approved_deadline():
    day = dt.date(2017, 7, 15)
    assert ev(day, claim(day, "in_progress", "60"), due_date=ORIGINAL).rag == Rag.RED
    assert ev(day, claim(day, "in_progress", "60"), original_due_date=ORIGINAL).rag != Rag.RED


def test_done_late_is_against_the_original_deadline():
    done = claim(dt.date(2017, 8, 1))
    assert ev(dt.date(2017, 8, 2), done).rag == Rag.COMPLETED
    assert ev(dt.date(2017, 8, 2), done, original_due_date=ORIGINAL).rag == Rag.COMPLETED_LATE


def test_a_reopening_undoes_the_completion():
    done = claim(dt.date(2017, 6, 1))
    assert ev(dt.date(2017, 6, 2), done).is_done
    reopened = ev(dt.date(2017, 6, 2), done, reopened=True, closed=True)
    assert not reopened.is_done and reopened.is_open and not reopened.closed
    assert reopened.percent == 0.0  # nor does its 100% stand


def test_closed_items_are_not_open():
    assert not ev(dt.date(2017, 6, 2), claim(dt.date(2017, 6, 1)), closed=True).is_open


def test_ledger_status_shows_an_unreviewed_completion_as_claimed():
    day = dt.date(2017, 6, 2)
    claimed = ev(day, claim(dt.date(2017, 6, 1)))
    unverified = ev(day, claim(dt.date(2017, 5, 1), "in_progress", "50"))
    shown = ledger_status(claimed=claimed, verified=unverified)
    assert shown.rag == Rag.CLAIMED and not shown.is_done and not shown.is_open
    assert ledger_status(claimed=claimed, verified=claimed).rag == Rag.COMPLETED


def test_acknowledgement_late_after_n_days():
    day = dt.date(2017, 9, 30)
    assert not acknowledgement_late(assigned_on=day - dt.timedelta(days=3), day=day, within_days=3)
    assert acknowledgement_late(assigned_on=day - dt.timedelta(days=4), day=day, within_days=3)


@pytest.mark.parametrize(
    "day, percent, level",
    [
        (dt.date(2017, 10, 1), "99", "red"),  # past the deadline
        (dt.date(2017, 6, 30), "10", "yellow"),  # half the time gone, a tenth done
        (dt.date(2017, 9, 25), "99", "blue"),  # five days left
        (dt.date(2017, 6, 30), "60", None),  # on track
    ],
)
def test_the_urging_colour(day, percent, level):
    status = ev(day, claim(day, "in_progress", percent))
    assert urging_level(status=status, due_date=EXTENDED, day=day, due_soon_days=7) == level


def test_done_items_call_for_no_urging():
    day = dt.date(2017, 10, 1)
    status = ev(day, claim(day))
    assert urging_level(status=status, due_date=EXTENDED, day=day, due_soon_days=7) is None


# -- the database keeps the invariants ---------------------------------------------------------


@pytest.fixture
def item(db):
    return CommitmentFactory.create(due_date=ORIGINAL)


def test_a_granted_date_is_after_the_deadline_it_extends(item):
    user = UserFactory.create()
    base = dict(commitment=item, requested_by=user, requested_on=ORIGINAL, due_date_before=ORIGINAL,
                requested_due_date=EXTENDED, reason="x", decided_by=user, decided_at=timezone.now())  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionRequest.objects.create(state="granted", granted_due_date=ORIGINAL, **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionRequest.objects.create(state="granted", granted_due_date=None, **base)
    ExtensionRequest.objects.create(state="granted", granted_due_date=EXTENDED, **base)


def test_a_decision_has_a_decider_and_a_time(item):
    user = UserFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionRequest.objects.create(
            commitment=item, requested_by=user, requested_on=ORIGINAL, due_date_before=ORIGINAL,
            requested_due_date=EXTENDED, reason="x", state="refused", decision_comment="否",
        )  # fmt: skip


def test_a_refusal_has_a_comment(item):
    user = UserFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionRequest.objects.create(
            commitment=item, requested_by=user, requested_on=ORIGINAL, due_date_before=ORIGINAL,
            requested_due_date=EXTENDED, reason="x", state="refused", decided_by=user,
            decided_at=timezone.now(),
        )  # fmt: skip


def test_the_deadline_never_moves_before_the_original(item):
    item.original_due_date = ORIGINAL
    item.due_date = ORIGINAL - dt.timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        item.save()


def test_one_standing_closure_and_a_reopening_has_a_reason(item):
    user = UserFactory.create()
    update = ProgressUpdateFactory.create(commitment=item, author=user, claimed_status="completed")
    Closure.objects.create(commitment=item, update=update, closed_by=user, closed_on=ORIGINAL)
    with pytest.raises(IntegrityError), transaction.atomic():
        Closure.objects.create(commitment=item, update=update, closed_by=user, closed_on=ORIGINAL)
    with pytest.raises(IntegrityError), transaction.atomic():
        Closure.objects.filter(commitment=item).update(reopened_at=timezone.now(), reopened_by=user)


def test_an_acknowledgement_has_who_and_when_and_one_stands_per_unit(item):
    dept, user = DepartmentFactory.create(), UserFactory.create()
    Acknowledgement.objects.create(
        commitment=item, department=dept, role="lead", assigned_on=ORIGINAL
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Acknowledgement.objects.create(
            commitment=item, department=dept, role="co", assigned_on=ORIGINAL
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Acknowledgement.objects.filter(commitment=item).update(acknowledged_by=user)


def test_an_instruction_has_text(item):
    with pytest.raises(IntegrityError), transaction.atomic():
        Instruction.objects.create(
            commitment=item, author=UserFactory.create(), text="", created_on=ORIGINAL
        )
