"""Printed archive copies (纸质存档副本): paper is issued only on request (无须领证). An enterprise asks a department to
print a document for its archive; the request is queued to that department like any filing, decided by its clerk
(approved = printed, with the archive number as the reference), and tracked on the enterprise's pages."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.filings import filing_release_payload, filings_create
from departments.models import Department, Filing, FilingKind
from departments.ports import PrintedCopy
from portal.errors import PortalError, StateConflict
from portal.models import User

from .documents import licence_facts, licence_issue, licence_pdf, receipt_issue, receipt_pdf
from .models import Application, Enterprise, IssuedDocument
from .services import application_audit

DOCUMENTS = {
    IssuedDocument.Kind.LICENCE: ("营业执照(电子副本)", "Business licence (electronic copy)"),
    IssuedDocument.Kind.RECEIPT: ("一网通登记回执", "Combined registration receipt"),
}
DELIVERY = ("collect", "post")
MAX_COPIES = 5


def registration_of(enterprise: Enterprise) -> Application | None:
    """The application that registered the enterprise with the departments (its receipt lists their results)."""
    kinds = (Application.Kind.NEW_COMPANY, Application.Kind.EXISTING_COMPANY)
    return enterprise.applications.filter(kind__in=kinds).exclude(licensed_at=None, kind="new_company").first()


def _problems(enterprise: Enterprise, document: Any, department: Any, copies: Any, delivery: Any, address: Any):
    errors: dict[str, list[str]] = {}
    if document not in DOCUMENTS:
        errors["document"] = [_("Choose the business licence or the registration receipt.")]
    elif document == IssuedDocument.Kind.RECEIPT and registration_of(enterprise) is None:
        errors["document"] = [_("This enterprise has no registration receipt yet.")]
    if not Department.objects.filter(code=str(department or "").upper()).exists():
        errors["department"] = [_("Choose one of the 16 departments.")]
    try:
        copies = int(copies)
    except (TypeError, ValueError):
        copies = 0
    if not 1 <= copies <= MAX_COPIES:
        errors["copies"] = [_("Ask for 1 to %(max)s copies.") % {"max": MAX_COPIES}]
    if delivery not in DELIVERY:
        errors["delivery"] = [_("Choose to collect the copy or to have it posted.")]
    elif delivery == "post" and not str(address or "").strip():
        errors["postal_address"] = [_("Give the address to post the copy to.")]
    return errors, copies


@transaction.atomic
def archive_copy_request(
    *,
    enterprise: Enterprise,
    user: User,
    document: str,
    department: str,
    copies: Any = 1,
    delivery: str = "collect",
    postal_address: str = "",
) -> Application:
    """Queue a request for a printed copy to the department's workbench (or its system); returns the request, an
    application of kind `archive_copy` with one filing."""
    if enterprise.status != Enterprise.Status.ACTIVE:
        raise StateConflict(_("Only an active enterprise can ask for printed copies."), state=enterprise.status)
    errors, copies = _problems(enterprise, document, department, copies, delivery, postal_address)
    if errors:
        raise PortalError(_("The request has errors; nothing was sent."), errors)
    # The copy's number is fixed now; the department prints the document when it handles the request.
    registered = registration_of(enterprise)
    if document == IssuedDocument.Kind.LICENCE or registered is None:
        issued = licence_issue(enterprise)
    else:
        issued = receipt_issue(registered)
    code = department.upper()
    title_zh, title_en = DOCUMENTS[IssuedDocument.Kind(document)]
    request = {
        "document": document,
        "copies": copies,
        "delivery": delivery,
        "postal_address": str(postal_address or "").strip() if delivery == "post" else "",
    }
    application = Application.objects.create(
        kind=Application.Kind.ARCHIVE_COPY,
        applicant=user,
        enterprise=enterprise,
        data=request,
        routed=[code],
        submitted_at=timezone.now(),
    )
    application.submit_to_departments()
    application.save()
    after = {"state": application.state, "kind": application.kind, "document": document, "department": code}
    application_audit(application, "application.submitted", actor=user, before={"state": "draft"}, after=after)
    (filing,) = filings_create(application=application, codes=[code], kind=FilingKind.ARCHIVE_COPY)
    facts = licence_facts(enterprise)
    filing_release_payload(
        filing=filing,
        payload={
            **request,
            "document_title": title_zh,
            "document_title_en": title_en,
            "document_number": issued.number,
            "name_zh": enterprise.name_zh,
            "uscc": enterprise.uscc,
            "legal_rep": facts["legal_rep"],
            "requested_by": user.full_name or user.username,
        },
    )
    return application


def archive_copy_document(filing: Filing) -> PrintedCopy | None:
    """The document an archive-copy filing asks its department to print: the enterprise's licence, or the receipt
    of the application that registered it; None when there is nothing to print."""
    if filing.kind != FilingKind.ARCHIVE_COPY:
        return None
    enterprise = filing.application.enterprise
    if enterprise is None:
        return None
    document = (filing.payload or {}).get("document")
    if document == IssuedDocument.Kind.LICENCE:
        issued, pdf = licence_pdf(enterprise)
    elif document == IssuedDocument.Kind.RECEIPT and (registered := registration_of(enterprise)) is not None:
        issued, pdf = receipt_pdf(registered)
    else:
        return None
    return PrintedCopy(number=issued.number, pdf=pdf)
