"""One definition of "a target progress can be computed from" (``rules.is_measurable``):
the model, the status rules and the progress form agree on every kind of target."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commitments.forms import ProgressUpdateForm
from commitments.models import Target
from commitments.rules import TargetInput, percent_of
from tests.support.factories import CommitmentFactory, TargetFactory

D = Target.Direction
TABLE = [
    # value, direction, measurable
    (Decimal("118"), D.INCREASE, True),
    (Decimal("4.5"), D.DECREASE, True),
    (Decimal("0"), D.MAINTAIN, True),
    (Decimal("100"), D.ACHIEVE, False),  # "实现…": reached or not, no share of a distance
    (None, D.INCREASE, False),  # a target without a number
    (None, D.ACHIEVE, False),
]


@pytest.mark.parametrize(("value", "direction", "measurable"), TABLE)
def test_target_is_measurable(value, direction, measurable):
    target = Target(value=value, direction=direction)
    assert target.is_measurable is measurable
    assert TargetInput.of(target, reading=None).is_measurable is measurable


@pytest.mark.parametrize(("value", "direction", "measurable"), TABLE)
def test_only_measurable_targets_count_towards_percent(value, direction, measurable):
    """A measurable target read at its value is 100 % done; any other is left out, so the
    percent falls back to the reported one (here none: 0)."""
    t = TargetInput(value=value, direction=direction, qualifier="", baseline=None, reading=value)
    assert percent_of(targets=[t], claim=None) == (100.0 if measurable else 0.0)


@pytest.mark.django_db
def test_progress_form_asks_for_readings_of_measurable_targets_only():
    c = CommitmentFactory.create()
    targets = [
        TargetFactory.create(commitment=c, order=i, value=value, direction=direction)
        for i, (value, direction, _) in enumerate(TABLE, start=1)
    ]
    form = ProgressUpdateForm(commitment=c, targets=targets)
    asked = {name for name in form.fields if name.startswith("target_")}
    assert asked == {f"target_{t.pk}" for t, row in zip(targets, TABLE, strict=True) if row[2]}
