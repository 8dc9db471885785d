"""Today, for the ledger.

In production this is the local date (Asia/Shanghai). A demo of a past year sets
LEDGER_TODAY=2017-09-30 so that the dashboard, reminders and summaries all live on that
day; time-frozen tests move it with time_machine as usual.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone


def today() -> dt.date:
    return settings.LEDGER_TODAY or timezone.localdate()
