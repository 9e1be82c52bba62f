from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = _("Registration")

    def ready(self) -> None:
        # Plug-ins of the apps below, imported here because models must be loaded first: registration's newest
        # drafts as preview samples for the form engine, and the port through which departments reports decisions.
        from departments.ports import registration_port_plug
        from forms_engine.samples import PROVIDERS

        from .decisions import RegistrationDecisions
        from .selectors import preview_drafts

        PROVIDERS.append(preview_drafts)
        registration_port_plug(RegistrationDecisions())
