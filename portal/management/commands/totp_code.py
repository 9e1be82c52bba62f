"""`python manage.py totp_code USERNAME` — the current code of a staff user's authenticator, for the demo and
tests, where nobody holds the phone. Refused in production: there only the person's own app knows the code."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import User


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


class Command(BaseCommand):
    help = "Print the current TOTP code of a staff user's authenticator (demo only; refused in production)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        if settings.PRODUCTION:
            raise CommandError("totp_code is for the demo: in production only the user's own app has the code")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        # The confirmed authenticator, or the one being enrolled on the second-factor page right now.
        device = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "-id").first()
        if device is None:
            raise CommandError(f"{username} has no authenticator yet: sign in once to start enrolling")
        self.stdout.write(current_code(device))
