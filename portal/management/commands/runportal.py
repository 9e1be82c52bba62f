"""Run the embedded portal: the web server and a Celery worker (with beat) together; Ctrl-C stops both."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.tasks import ping


class Command(BaseCommand):
    help = "Serve the portal with gunicorn and run a Celery worker with embedded beat; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--demo-password", default="", help="printed with the demo logins")

    def handle(self, *args, host: str, port: int, workers: int, demo_password: str, **options):
        # Threads: real-name sign-in's callback calls the sandbox identity provider mounted in this same server.
        web = [
            sys.executable, "-m", "gunicorn", "portal.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(workers), "--threads", "4", "--timeout", "60",
            "--access-logfile", "-", "--error-logfile", "-",
        ]  # fmt: skip
        worker = [
            sys.executable, "-m", "celery", "-A", "portal", "worker", "--beat",
            "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME,
            "--concurrency", "2", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        url = f"http://{host}:{port}/"
        # Department systems (the sandbox) call back to this server.
        env = {**os.environ, "PORTAL_BASE_URL": url.rstrip("/")}
        children = [subprocess.Popen(web, env=env), subprocess.Popen(worker, env=env)]  # noqa: S603 — fixed commands

        def stop(*_args):
            raise KeyboardInterrupt

        # Explicit handlers: a shell that starts us in the background leaves SIGINT ignored.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            self._wait_until_up(url + "healthz", children)
            self._banner(url, demo_password)
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            raise CommandError("a child process stopped; shutting down the other")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the web server and the worker…")
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()

    def _wait_until_up(self, health_url: str, children: list[subprocess.Popen]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(child.poll() is not None for child in children):
                raise CommandError("the web server or the worker failed to start (see the log above)")
            try:
                with urllib.request.urlopen(health_url, timeout=2):  # noqa: S310 — our own loopback URL
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise CommandError(f"{health_url} did not answer within 60 s")
        # The banner promises a working worker too: one task through the broker proves it.
        try:
            ping.delay().get(timeout=max(5.0, deadline - time.monotonic()))
        except Exception as exc:
            raise CommandError(f"the Celery worker did not answer a ping: {exc}") from exc

    def _banner(self, url: str, demo_password: str) -> None:
        line = "=" * 64
        self.stdout.write(self.style.SUCCESS(f"\n{line}\n 一网通 portal is running:  {url}\n{line}"))
        self.stdout.write(f" Admin and API schema:  {url}admin/   {url}api/schema/")
        if demo_password:
            self.stdout.write(f" Demo logins (password “{demo_password}”):")
            self.stdout.write("   admin        — administrator (Django admin, form mappings, dashboard at /dashboard/)")
            self.stdout.write("   applicant    — owns a licensed demo company (try a change registration)")
            self.stdout.write("   applicant2   — 李娜 (real-name verified): her company was licensed before the portal")
            self.stdout.write("   auditor      — reads everything, changes nothing (dashboard at /dashboard/)")
            self.stdout.write("   clerk_aic, clerk_ntax, … clerk_fire — one clerk per department")
            self.stdout.write(" Staff confirm sign-in with an authenticator app (QR code at the first sign-in);")
            self.stdout.write("   without a phone: python manage.py totp_code clerk_ntax")
            self.stdout.write(f" Real-name sign-in (sandbox identity platform): {url}accounts/login/ → 统一身份认证")
            self.stdout.write("   陈志明 is the demo company's legal representative; 李秀英 acts for no company")
            self.stdout.write(" Register feed: 1,000 enterprises licensed before the portal; applicant2 (李娜)")
            self.stdout.write("   represents the first: claim it at /start/.")
            self.stdout.write(" Play market supervision (docs/register-feed.md):")
            self.stdout.write("   python manage.py register_event revocation <uscc> --reason 连续六个月未开业")
        self.stdout.write(f" Press Ctrl-C to stop.\n{line}\n")
