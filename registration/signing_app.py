"""The CA sandbox's signing app (issue 17): the page a demo person opens, as they would open their CA's mobile
signing app or plug in a USB key, to see what they are about to sign, pick one of their certificates and sign.
The signature then goes to the platform exactly as a real app's would (`signature_add`), where it is verified like
any other. Demo only: a real signing app runs on the person's own device with their own key."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.ca_sandbox import sandbox_sign
from departments.models import SandboxCertificate
from portal.errors import PortalError, StateConflict
from portal.models import User

from .selectors import application_for
from .signing import signature_add, signers_required, signing_document


@login_required
def signing_app(request: HttpRequest, pk: int, signer: str) -> HttpResponse:
    """GET: what will be signed and the person's certificates; POST `certificate`: sign with it and hand the
    signature to the platform."""
    if not settings.CA_SANDBOX:  # it signs with keys held on the server: a demo, never a production service
        raise Http404
    user = request.user
    if not isinstance(user, User):  # login_required: always a signed-in account here
        raise PermissionDenied
    application = application_for(user, pk)
    if application.applicant_id != user.pk:
        raise PermissionDenied
    person = next((s for s in signers_required(application) if s.path == signer), None)
    if person is None:
        raise Http404
    # A new company's draft is signed from its review page; a change draft and a correction from the detail page.
    on_review = application.state == "draft" and application.kind != "change"
    page = "registration:review" if on_review else "registration:detail"
    review = reverse(page, args=[application.pk]) + "#signing"
    try:
        document, digest, routed = signing_document(application)
    except PortalError as exc:
        messages.error(request, str(exc.detail))
        return redirect(review)
    certificates = list(
        SandboxCertificate.objects.filter(id_number=person.id_number).select_related("ca").order_by("ca__code", "id")
    )
    error = ""
    if request.method == "POST":
        chosen = next((c for c in certificates if str(c.pk) == request.POST.get("certificate")), None)
        if chosen is None:
            error = _("Choose one of your certificates.")
        else:
            try:
                signature_add(application=application, user=user, signer=signer,
                              cms_base64=_base64(sandbox_sign(chosen, document)))  # fmt: skip
            except (PortalError, StateConflict) as exc:
                problems = getattr(exc, "errors", {}) or {}
                error = "; ".join(problems.get(signer, [])) or str(exc.detail)
            else:
                messages.success(request, _("%(name)s signed.") % {"name": person.name})
                return redirect(review)
    return render(
        request,
        "sandbox/signing_app.html",
        {
            "application": application,
            "person": person,
            "certificates": certificates,
            "digest": digest,
            "routed": routed,
            "name_zh": application.data.get("name_zh", ""),
            "error": error,
            "now": timezone.now(),
        },
        status=400 if error else 200,
    )


def _base64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode()
