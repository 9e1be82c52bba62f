"""A simulated department system (部门业务系统沙箱) speaking the HTTP adapter's protocol, for the demo and tests.

It checks the signature, records each filing once per idempotency key, checks the payload against the
department's form (every required field filled, no unknown field), answers with a reference number, and after a
configurable delay calls the portal back with a signed decision. `SandboxSetting` makes it refuse, fail or hang.
"""

from __future__ import annotations

import json
import time

import requests
from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from forms_engine.models import FormVersion
from forms_engine.selectors import form_version_spec
from portal.calendar import beijing_today

from .adapters.http import SIGNATURE_HEADER, canonical_json, sign, signature_valid
from .ca_sandbox import sandbox_crl
from .models import (
    FORM_KINDS,
    Department,
    FilingKind,
    SandboxCertificateAuthority,
    SandboxReceipt,
    SandboxSetting,
)


def payload_problems(payload: dict, department_code: str, version_number: int) -> list[str]:
    """What the department's system would refuse: unknown fields, required fields left empty."""
    version = FormVersion.objects.filter(form__department_code=department_code, number=version_number).first()
    if version is None:
        return [f"unknown form version {version_number}"]
    spec = form_version_spec(version)
    flat: dict = {}
    for key, value in payload.items():
        flat.update(value if isinstance(value, dict) and any(f.group == key for f in spec.fields) else {key: value})
    known = {f.name for f in spec.fields}
    problems = [f"unknown field {name}" for name in flat if name not in known]
    problems += [f"{f.name} is required" for f in spec.fields if f.required and flat.get(f.name) in (None, "", [])]
    return problems


@require_GET
def ca_crl(request: HttpRequest, code: str) -> HttpResponse:
    """A sandbox CA's current revocation list (DER), where its certificates' CRL distribution point says."""
    if not settings.CA_SANDBOX or not SandboxCertificateAuthority.objects.filter(code=code).exists():
        raise Http404
    return HttpResponse(sandbox_crl(code), content_type="application/pkix-crl")


@csrf_exempt
@require_POST
def receive_filing(request: HttpRequest, code: str) -> JsonResponse:
    department = get_object_or_404(Department, code=code.upper())
    if not signature_valid(department.hmac_secret, request.body, request.headers.get(SIGNATURE_HEADER)):
        return JsonResponse({"detail": "bad signature"}, status=403)
    key = request.headers.get("Idempotency-Key", "")
    try:
        body = json.loads(request.body)
        filing_id, payload, round_ = int(body["filing_id"]), body["payload"], int(body.get("round") or 1)
    except (ValueError, KeyError, TypeError, AttributeError):
        return JsonResponse({"detail": "malformed filing"}, status=400)
    setting, _ = SandboxSetting.objects.get_or_create(department_code=department.code)
    if setting.mode == SandboxSetting.Mode.FAIL:
        return JsonResponse({"detail": "system unavailable"}, status=503)
    if setting.fail_times:
        SandboxSetting.objects.filter(pk=setting.pk).update(requests_seen=F("requests_seen") + 1)
        if setting.requests_seen < setting.fail_times:
            return JsonResponse({"detail": "system unavailable"}, status=503)
    receipt = _receipt(department.code, key, filing_id, round_, payload, body.get("callback_url", ""))
    if setting.mode == SandboxSetting.Mode.TIMEOUT:
        time.sleep(setting.hang_seconds)  # the receipt is recorded; the answer comes too late for the client
    if setting.mode == SandboxSetting.Mode.REFUSE:
        return JsonResponse({"detail": setting.reason or "payload refused"}, status=422)
    problems = (
        payload_problems(payload, department.code, int(body.get("form_version") or 0))
        if body.get("kind", FilingKind.REGISTRATION) in FORM_KINDS
        else []
    )
    if problems:
        return JsonResponse({"detail": "; ".join(problems)}, status=422)
    if receipt.times_received == 1 and setting.decide_before_answering:
        # Like a department system that decides at once and calls back before answering the delivery itself.
        decide_later.apply((receipt.pk,))
    elif receipt.times_received == 1 and setting.decision_delay_seconds >= 0:  # negative: never decide (benchmarks)
        decide_later.apply_async((receipt.pk,), countdown=setting.decision_delay_seconds, queue="sandbox")
    return JsonResponse({"reference_no": receipt.reference_no, "received_at": receipt.received_at.isoformat()})


def _receipt(code: str, key: str, filing_id: int, round_: int, payload: dict, callback_url: str) -> SandboxReceipt:
    try:
        with transaction.atomic():
            receipt = SandboxReceipt.objects.create(
                department_code=code, idempotency_key=key, filing_id=filing_id, round=round_, payload=payload,
                callback_url=callback_url, reference_no="",
            )  # fmt: skip
            receipt.reference_no = f"{code}{beijing_today():%Y%m%d}{receipt.pk:06d}"
            receipt.save(update_fields=["reference_no"])
            return receipt
    except IntegrityError:
        SandboxReceipt.objects.filter(department_code=code, idempotency_key=key).update(
            times_received=F("times_received") + 1
        )
        return SandboxReceipt.objects.get(department_code=code, idempotency_key=key)


@shared_task(
    name="departments.sandbox_decide",
    ignore_result=True,
    autoretry_for=(requests.RequestException,),
    retry_backoff=2,
    max_retries=8,
)
def decide_later(receipt_id: int) -> str:
    """The simulated department decides and calls the portal back, signed with the department's key."""
    receipt = SandboxReceipt.objects.get(pk=receipt_id)
    department = Department.objects.get(code=receipt.department_code)
    setting = SandboxSetting.objects.get(department_code=receipt.department_code)
    decision = {
        SandboxSetting.Mode.REJECT: "rejected",
        SandboxSetting.Mode.CORRECTION: "correction_requested",
    }.get(setting.mode, "approved")
    body = canonical_json(
        {
            "filing_id": receipt.filing_id,
            "round": receipt.round,
            "sent_at": timezone.now().isoformat(),
            "decision": decision,
            "reference_no": receipt.reference_no,
            "reason": setting.reason,
            "items": setting.correction_items if decision == "correction_requested" else [],
        }
    )
    response = requests.post(
        receipt.callback_url,
        data=body,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(department.hmac_secret, body)},
        timeout=(3, 15),
    )
    response.raise_for_status()
    SandboxReceipt.objects.filter(pk=receipt.pk).update(decided=decision)
    return f"{decision}: HTTP {response.status_code}"
