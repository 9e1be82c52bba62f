"""A licensed demo enterprise for `make run`, registered through the real workflow, so that change registration,
todos and printed copies can be tried at once (the history of `--history` has no payloads to change)."""

from __future__ import annotations

import base64
import copy

from django.conf import settings
from django.utils import timezone

from departments.ca_sandbox import sandbox_sign
from departments.decisions import filing_approve
from departments.models import AdapterKind, Filing, FilingState, SandboxCertificate
from forms_engine.samples import _shipped
from portal.models import User

from .models import Enterprise
from .services import application_create, application_submit
from .signing import signature_add, signers_required, signing_document


def _sign_in_sandbox(application, owner: User) -> None:
    """Each person who must sign does, with their first signing certificate from a trusted sandbox CA (as they
    would in the signing app). Needs the CA sandbox (`trust_list_sandbox_ensure`, demo certificates)."""
    document, _digest, _routed = signing_document(application)
    for signer in signers_required(application):
        certificate = (
            SandboxCertificate.objects.filter(id_number=signer.id_number, signing=True, revoked_at__isnull=True,
                                              ca__trusted=True, not_after__gt=timezone.now())  # fmt: skip
            .order_by("ca__code", "id")
            .first()
        )
        if certificate is None:
            raise ValueError(f"{signer.name} holds no sandbox signing certificate: run seed_demo first")
        cms = base64.b64encode(sandbox_sign(certificate, document)).decode()
        signature_add(application=application, user=owner, signer=signer.path, cms_base64=cms)


def demo_enterprise_ensure(*, owner: User) -> Enterprise | None:
    """The electronics trader of the samples, owned by `owner`: submitted, licensed by the AIC clerk and approved by
    every department deciding in the workbench. Departments on HTTP get theirs when the worker runs (the sandbox
    decides them). Returns None when the owner already has an enterprise (safe to run again)."""
    if Enterprise.objects.filter(owner=owner).exists():
        return None
    data = copy.deepcopy(_shipped()["electronics_trader"])
    application = application_create(applicant=owner, kind="new_company", data=data)
    application.refresh_from_db()  # the answers were saved through the autosave path
    if settings.SIGNATURES_REQUIRED:
        _sign_in_sandbox(application, owner)
    application_submit(application=application, user=owner)
    while True:
        pending = list(
            Filing.objects.filter(
                application=application, state=FilingState.DISPATCHED, department__adapter_kind=AdapterKind.CLERK_QUEUE
            ).select_related("department")
        )
        if not pending:
            break
        for filing in pending:
            clerk = User.objects.filter(department=filing.department).order_by("id").first()
            filing_approve(filing_id=filing.pk, actor=clerk)
    application.refresh_from_db()
    return application.enterprise
