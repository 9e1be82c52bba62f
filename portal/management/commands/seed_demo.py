from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from departments.services import departments_load
from forms_engine.services import codetables_load, data_items_load, department_forms_load
from portal.services import demo_users_ensure


class Command(BaseCommand):
    help = (
        "Load the 16 departments, routing rules, data dictionary, department forms and code tables, and create the "
        "demo users "
        "(admin, applicant, applicant2, auditor, clerk_<code>) with the given password. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True, help="password for every demo user")

    def handle(self, *args, password: str, **options):
        if len(password) < 4:
            raise CommandError("--password must have at least 4 characters")
        with transaction.atomic():
            towns, industries = codetables_load()
            items = data_items_load()
            forms = department_forms_load()
            departments = departments_load()
            users = demo_users_ensure(password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {departments} departments, {items} data items, {forms} department forms, "
                f"{towns} towns, {industries} industry codes, "
                f"{len(users)} users: {', '.join(users)}"
            )
        )
