"""Third-party apps under Chinese names in the admin (django-axes: 登录保护, django-celery-results:
任务结果); otherwise their own AppConfigs."""

from __future__ import annotations

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django_celery_results.apps import CeleryResultConfig


class AxesConfig(AxesAppConfig):
    verbose_name = _("登录保护")


class CeleryResultsConfig(CeleryResultConfig):
    verbose_name = _("任务结果")
