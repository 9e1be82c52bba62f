from django.core.management.base import BaseCommand, CommandError

from registration.models import Institution
from registration.verification import institution_create


class Command(BaseCommand):
    help = "Create an institution (bank, department …) and print its new API key once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the institution's name")
        parser.add_argument("--scope", action="append", default=None, help="scope (repeatable; default: verify)")
        parser.add_argument("--kind", default="other", choices=Institution.Kind.values)
        parser.add_argument("--no-purpose", action="store_true", help="lookups need not state a purpose")

    def handle(self, *args, name: str, scope, kind: str, no_purpose: bool, **options):
        if Institution.objects.filter(name=name).exists():
            raise CommandError(f"an institution named {name!r} already exists; revoke it in the admin first")
        _institution, key = institution_create(
            name=name, kind=kind, scopes=scope or ["verify"], purpose_required=not no_purpose
        )
        self.stdout.write(key)
