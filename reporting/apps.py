from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    """Statistics of the portal's work (the operations dashboard, its API and CSV): reads every other app, is
    read by none."""

    name = "reporting"
    verbose_name = _("Reporting")
