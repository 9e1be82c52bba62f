from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = _("Registration")

    def ready(self) -> None:
        from forms_engine.samples import PROVIDERS

        from .selectors import preview_drafts

        PROVIDERS.append(preview_drafts)
