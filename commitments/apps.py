from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = _("督办台账")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from commitments.services.status import connect_signals

        connect_signals()
