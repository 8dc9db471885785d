"""The stored current status of each commitment (当前状态): the rules' answer for today, kept
so that the ledger and the dashboard filter, count and sort in SQL instead of evaluating
every item on every request.

It is a cache with a strict contract, never a second home of the rules:
- its values are only ever written from ``selectors.states.commitment_states`` (the rules)
  by ``services.status.status_refresh``;
- every writer of an input (updates, readings, reviews, targets, assignments, deadlines,
  closures, acknowledgements) bumps ``stamp`` in its own transaction; a row is current
  only while ``fresh_stamp == stamp``, today lies within ``computed_for..valid_until``
  (``rules.next_change``) and the rules' settings are those it was computed under;
- a missing or stale row is recomputed before a screen reads it. Past days are never read
  from here: the as-of screens rebuild them from the append-only history.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from commitments.models.ledger import Commitment
from commitments.rules import Rag


class CommitmentStatus(models.Model):
    commitment = models.OneToOneField(
        Commitment, on_delete=models.CASCADE, primary_key=True, related_name="current"
    )
    stamp = models.BigIntegerField(default=0)  # bumped by every writer of an input
    fresh_stamp = models.BigIntegerField(default=-1)  # the stamp the values were computed at
    rules_key = models.CharField(max_length=40, blank=True)  # the settings they were computed under
    computed_for = models.DateField(null=True)
    valid_until = models.DateField(null=True)  # None: no change foreseen

    # What the internal ledger counts by (claimed, an unreviewed completion as CLAIMED) …
    rag = models.CharField(max_length=20, choices=Rag.choices, blank=True)
    percent = models.FloatField(default=0)
    overdue = models.BooleanField(default=False)  # past the deadline and still open
    stale = models.BooleanField(default=False)  # no update for long and still open
    # … and what the office accepted (leaders' and the public's figures).
    v_rag = models.CharField(max_length=20, choices=Rag.choices, blank=True)
    v_percent = models.FloatField(default=0)
    v_overdue = models.BooleanField(default=False)
    v_stale = models.BooleanField(default=False)

    claim_pending = models.BooleanField(default=False)  # 申报完成·待审核
    acknowledge_late = models.BooleanField(default=False)  # 未签收 past the allowed days
    unacknowledged_since = models.DateField(null=True)
    last_update_as_of = models.DateField(null=True)
    last_verified_as_of = models.DateField(null=True)

    class Meta:
        verbose_name = _("当前状态")
        verbose_name_plural = _("当前状态")
        indexes = [models.Index(fields=["valid_until"], name="status_valid_until")]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=100, v_percent__gte=0, v_percent__lte=100),
                name="status_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment_id}: {self.rag}"


class StatusSnapshot(models.Model):
    """What the rows shown display: the whole state but the calendar's own figures
    (``CommitmentState.snapshot``), written with its ``CommitmentStatus`` and rebuilt for
    today by ``CommitmentState.from_snapshot``. A table of its own, read by primary key for
    the rows of one page, so that the scans of the status columns stay narrow."""

    status = models.OneToOneField(
        CommitmentStatus, on_delete=models.CASCADE, primary_key=True, related_name="shown"
    )
    snapshot = models.JSONField()

    class Meta:
        verbose_name = _("当前状态快照")
        verbose_name_plural = _("当前状态快照")

    def __str__(self) -> str:
        return str(self.status_id)
