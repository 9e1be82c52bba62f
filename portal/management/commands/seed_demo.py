import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from departments.ca_sandbox import sandbox_demo_certificates_ensure
from departments.services import departments_load
from departments.trust import trust_list_sandbox_ensure
from forms_engine.services import codetables_load, data_items_load, department_forms_load
from portal.demo import demo_signers, demo_users_ensure
from portal.models import User
from registration.demo import demo_enterprise_ensure
from registration.demo_history import history_count, history_ensure
from registration.demo_register import PATH as DEMO_REGISTER
from registration.demo_register import demo_register_rows
from registration.models import Enterprise


class Command(BaseCommand):
    help = (
        "Load the 16 departments, routing rules, data dictionary, department forms and code tables, and create the "
        "demo users "
        "(admin, applicant, applicant2, auditor, clerk_<code>) with the given password. Safe to run again. "
        "With --history N, also make sure there are N past registrations for the operations dashboard (topped up "
        "to N: running again with the same N adds none)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True, help="password for every demo user")
        parser.add_argument(
            "--history",
            type=int,
            default=0,
            metavar="N",
            help="top the demo history up to N past registrations (enterprises, completed applications and their "
            "approved filings over the last six months); 0 adds none",
        )
        parser.add_argument("--history-seed", type=int, default=None, help="random seed, for repeatable history")
        parser.add_argument(
            "--demo-enterprise",
            action="store_true",
            help="give the demo applicant a licensed enterprise (the sample electronics trader, registered through "
            "the workflow) to try change registration and printed copies with",
        )

    def handle(
        self,
        *args,
        password: str,
        history: int = 0,
        history_seed: int | None = None,
        demo_enterprise: bool = False,
        **options,
    ):
        if len(password) < 4:
            raise CommandError("--password must have at least 4 characters")
        if history < 0:
            raise CommandError("--history must be 0 or more")
        with transaction.atomic():
            towns, industries = codetables_load()
            items = data_items_load()
            forms = department_forms_load()
            departments = departments_load()
            users = demo_users_ensure(password=password)
            cas, certificates = [], 0
            if settings.CA_SANDBOX:  # demo CAs never reach a production trust list
                cas = trust_list_sandbox_ensure()
                certificates = sandbox_demo_certificates_ensure(demo_signers())
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {departments} departments, {items} data items, {forms} department forms, "
                f"{towns} towns, {industries} industry codes, "
                f"{len(users)} users: {', '.join(users)}"
            )
        )
        if cas or certificates:
            self.stdout.write(f"CA sandbox: {len(cas)} demo CAs, {certificates} demo signing certificates.")
        self.stdout.write(
            "Staff (admin, auditor, clerk_*) confirm each sign-in with an authenticator app (TOTP): at the first "
            "sign-in the portal shows a QR code to scan and then ten recovery codes. Without a phone at hand, "
            "`python manage.py totp_code <username>` prints the code the app would show (demo only)."
        )
        if demo_enterprise:
            enterprise = demo_enterprise_ensure(owner=User.objects.get(username="applicant"))
            if enterprise is not None:
                self.stdout.write(self.style.SUCCESS(f"Demo enterprise for applicant: {enterprise}"))
            # The register as market supervision had it before the portal, loaded as a real one would be.
            call_command("import_register", str(DEMO_REGISTER), quiet=True, stdout=self.stdout)
            founded = Enterprise.objects.filter(uscc=next(demo_register_rows(count=1))["uscc"]).first()
            if founded is not None:
                self.stdout.write(f"applicant2 (李娜) is the legal representative of {founded}: claim it at /start/")
        if history:
            started = time.monotonic()
            added = history_ensure(registrations=history, seed=history_seed)
            self.stdout.write(
                self.style.SUCCESS(
                    f"History: added {added} past registrations in {time.monotonic() - started:.1f} s "
                    f"({history_count()} in all)."
                )
            )
