"""refresh_status: bring every commitment's stored current status up to today.

Not needed for correctness (the screens refresh what is stale before they read), but
useful after a deploy or a bulk change to pay the cost once, off the request path.
``--all`` recomputes every row, stale or not.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from commitments.models import Commitment
from commitments.services.status import status_invalidate, status_refresh


class Command(BaseCommand):
    help = "Recompute the stored current status of commitments (当前状态) that are stale."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="recompute every row")

    def handle(self, *args: Any, all: bool, **options: Any) -> None:
        commitments = Commitment.objects.all()
        with transaction.atomic():
            if all:
                status_invalidate(commitments)
            current = status_refresh(commitments)
        self.stdout.write(
            f"当前状态已更新 {current.refreshed} 项（截至 {current.day}） / "
            f"refreshed {current.refreshed} of {commitments.count()} for {current.day}"
        )
