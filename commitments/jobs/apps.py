from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    """Reminders, urging, summaries and the outbox (严督导): a nested app with its own models,
    admin, tasks and commands. Its tables keep their ``commitments_`` names (moved here
    from the ledger app without moving data)."""

    name = "commitments.jobs"
    label = "jobs"
    verbose_name = _("提醒与摘要")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the tasks in every process (web too), so that ``dispatch_on_commit`` can
        # look them up by name; the worker's autodiscovery alone covers only the worker.
        from commitments.jobs import tasks  # noqa: F401
        from commitments.jobs.returned import on_update_returned
        from commitments.services.review import update_returned

        # A returned update is emailed to its author at once (in the return's transaction).
        update_returned.connect(on_update_returned, dispatch_uid="jobs.update_returned")
