"""`python manage.py register_event KIND USCC [...]` — play market supervision in the demo: push one signed event
of the register feed to a running portal (docs/register-feed.md), as the AIC registration system would."""

from __future__ import annotations

import json
import uuid

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from departments.adapters.http import SIGNATURE_HEADER, sign
from departments.models import Department
from registration.demo_register import demo_register_rows
from registration.models import Enterprise, RegisterEvent


class Command(BaseCommand):
    help = "Push a signed register event (licence, change, cancellation, revocation) to the portal."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=RegisterEvent.Kind.values)
        parser.add_argument("uscc", nargs="?", default="", help="the enterprise (licence: a new one when omitted)")
        parser.add_argument("--data", default="", help="register items as JSON (licence, change)")
        parser.add_argument("--reason", default="")
        parser.add_argument("--register-version", type=int, default=0, help="default: the register's version + 1")
        parser.add_argument("--url", default="", help="the portal's address (default PORTAL_BASE_URL)")

    def handle(self, *args, kind: str, uscc: str, data: str, reason: str, register_version: int, url: str, **options):
        try:
            items = json.loads(data) if data else {}
        except ValueError as exc:
            raise CommandError(f"--data is not JSON: {exc}") from None
        event: dict = {"event_id": f"sandbox-{uuid.uuid4().hex[:16]}", "kind": kind, "reason": reason,
                       "sent_at": timezone.now().isoformat()}  # fmt: skip
        if kind == RegisterEvent.Kind.LICENCE and not uscc:
            row = next(demo_register_rows(count=1, seed=uuid.uuid4().int & 0xFFFF_FFFF))
            uscc, items = row.pop("uscc"), {**{k: v for k, v in row.items() if k not in ("version", "status")},
                                             **items}  # fmt: skip
            event["established_on"] = items.pop("established_on")
        elif kind == RegisterEvent.Kind.LICENCE:
            event["established_on"] = items.pop("established_on", timezone.localdate().isoformat())
        if not uscc:
            raise CommandError("give the enterprise's code")
        current = Enterprise.objects.filter(uscc=uscc).values_list("register_version", flat=True).first() or 0
        event.update(uscc=uscc, version=register_version or current + 1, data=items)
        raw = json.dumps(event, ensure_ascii=False).encode()
        secret = Department.objects.get(code="AIC").hmac_secret
        target = (url or settings.PORTAL_BASE_URL).rstrip("/") + "/api/v1/register/events"
        answer = requests.post(
            target, data=raw, timeout=30,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, raw)},
        )  # fmt: skip
        self.stdout.write(f"{answer.status_code} {answer.text}")
        if answer.status_code != 200:
            raise CommandError("the portal refused the event")
