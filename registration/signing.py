"""Signing an application (issue 17, docs/signatures.md): who must sign (SigningRule, by entity type), the exact
bytes they sign (the canonical JSON of what submit will check and send), each signature verified by the platform
against the CAs every routed department accepts, and what is still missing before submit. A signature counts only
for the document it signed: change the data and it must be signed again."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from departments.adapters.http import canonical_json
from departments.models import CertificateAuthority, Department
from departments.trust import (
    CertificateAdvice,
    certificate_advice,
    certificate_status,
    signature_check,
    trusted_cas,
    uncovered_departments,
)
from forms_engine.display import english
from forms_engine.validation import validate
from portal.errors import PortalError, StateConflict
from portal.models import User

from .change_check import change_signing_basis
from .models import Application, ApplicationSignature, ApplicationState, SigningRule
from .selectors import application_answers, application_form, enterprise_current_data

DEFAULT_SIGNERS = ("legal_rep", "investors.natural")
SIGNABLE_STATES = (ApplicationState.DRAFT, ApplicationState.CORRECTION_REQUESTED)


@dataclass
class Signer:
    """One person who must sign: their path in the form, name and ID number as the application gives them, and
    their signature on the current document, if any."""

    path: str
    name: str
    id_number: str
    signatures: list[ApplicationSignature] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)  # routed departments none of the signatures serves
    lapsed: str = ""  # why a signature made earlier no longer counts (revoked since, CA withdrawn)

    @property
    def signature(self) -> ApplicationSignature | None:
        return self.signatures[0] if self.signatures else None

    @property
    def signed(self) -> bool:
        """Signed for every routed department (one certificate, or one per CA of the smallest covering set)."""
        return bool(self.signatures) and not self.uncovered


@dataclass
class SigningStatus:
    document: bytes
    digest: str
    signers: list[Signer]
    advice: CertificateAdvice
    stale: list[str] = field(default_factory=list)  # signers whose signature is on an earlier version of the data


@dataclass(frozen=True)
class Checked:
    """What a signature is made on: `routed`, the departments whose accepted CAs count; `data`, what is signed
    (an application's checked answers; a change's items before and after); `people`, the record the signers are read
    from (the answers; the enterprise's record as the change will leave it)."""

    routed: list[str]
    data: dict
    people: dict


def signing_document(application: Application) -> tuple[bytes, str, list[str]]:
    """(the bytes to sign, their SHA-256 in hex, the routed departments): the canonical JSON of the application's
    checked answers, its kind and routing. PortalError with every problem when the answers are not complete yet
    (nothing is signed that submit would refuse)."""
    checked = signing_basis(application)
    document = document_bytes(application, checked)
    return document, hashlib.sha256(document).hexdigest(), checked.routed


def signing_basis(application: Application) -> Checked:
    """What the application's signatures are made on, checked; PortalError with every problem while it is
    incomplete. A change registration signs its items against the record as it is now (`change_signing_basis`)."""
    if application.kind == Application.Kind.CHANGE:
        routed, covered, people = change_signing_basis(application)
        return Checked(routed, covered, people)
    routed, form = application_form(application)
    result = validate(application_answers(application, form), form.items)
    if result.errors:
        raise PortalError(_("Correct the application before it is signed; see “errors”."), result.errors)
    return Checked(routed, result.cleaned, result.cleaned)


def document_bytes(application: Application, checked: Checked) -> bytes:
    """The canonical bytes signed: what is signed, the kind and the routing, as compact sorted JSON."""
    return canonical_json(
        {"application": application.pk, "kind": application.kind, "routed": checked.routed, "data": checked.data}
    )


def signers_required(application: Application, people: dict | None = None) -> list[Signer]:
    """The people the signing rule of the application's entity type names, in the form's order, as the checked
    answers give them (ID numbers in their one canonical spelling, set-aside answers brought back); for a change,
    as the record will be after it (the new legal representative signs). Pass `people` (`Checked.people`) when the
    caller has just checked them."""
    data = people if people is not None else _people(application)
    rule = SigningRule.objects.filter(entity_type=data.get("entity_type") or "").first()
    wanted = rule.signers if rule is not None else list(DEFAULT_SIGNERS)
    signers = []
    for name in wanted:
        key, _dot, which = name.partition(".")
        value = data.get(key)
        if isinstance(value, dict) and not which:
            signers.append(Signer(key, str(value.get("name", "")), str(value.get("id_number", ""))))
        elif isinstance(value, list):
            for index, entry in enumerate(value):
                natural = isinstance(entry, dict) and entry.get("kind", "natural") == "natural"
                if isinstance(entry, dict) and (which != "natural" or natural):
                    signers.append(
                        Signer(f"{key}.{index}", str(entry.get("name", "")), str(entry.get("id_number", "")))
                    )
    # One person signs once even when they hold two roles (the legal representative is also an investor).
    once: dict[str, Signer] = {}
    for signer in signers:
        once.setdefault(signer.id_number, signer)
    return list(once.values())


def _people(application: Application) -> dict:
    """The record the signers are read from, checked where it can be (as typed where it cannot yet)."""
    try:
        return signing_basis(application).people
    except PortalError:
        if application.kind == Application.Kind.CHANGE:
            assert application.enterprise is not None
            return {**enterprise_current_data(application.enterprise), **application.data}
        _routed, form = application_form(application)
        return application_answers(application, form)


def signing_status(application: Application) -> SigningStatus:
    """What is to be signed, by whom, who has signed this version, and which certificates serve all the routed
    departments."""
    checked = signing_basis(application)
    document = document_bytes(application, checked)
    digest = hashlib.sha256(document).hexdigest()
    advice = certificate_advice(checked.routed)
    signers = _with_signatures(application, digest, advice, checked.people)
    _lapsed(signers, advice)  # shown as not signed, with why, as submit will find them
    earlier = set(application.signatures.exclude(digest=digest).values_list("signer", flat=True))
    stale = [s.path for s in signers if not s.signatures and s.path in earlier]
    return SigningStatus(document, digest, signers, advice, stale)


def _with_signatures(application: Application, digest: str, advice: CertificateAdvice, people: dict) -> list[Signer]:
    signers = signers_required(application, people)
    current = list(application.signatures.filter(digest=digest).order_by("ca_code"))
    for signer in signers:
        # The person, not only the place in the form: a change's document does not name who signs it, and the
        # legal representative at `legal_rep` may have changed since someone else signed there.
        signer.signatures = [s for s in current if s.signer == signer.path and s.id_number == signer.id_number]
        signer.uncovered = uncovered_departments([s.ca_code for s in signer.signatures], advice)
    return signers


def signature_add(*, application: Application, user: User, signer: str, cms_base64: str) -> ApplicationSignature:
    """Record one person's signature once the platform has verified it. Raises PortalError naming the signer
    (400) for a signature that is refused, StateConflict when the application cannot be signed now."""
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.state not in SIGNABLE_STATES:
            raise StateConflict(_("This application cannot be signed in its current state."), state=application.state)
        checked = signing_basis(application)
        document = document_bytes(application, checked)
        digest = hashlib.sha256(document).hexdigest()
        person = next((s for s in signers_required(application, checked.people) if s.path == signer), None)
        if person is None:
            raise PortalError(_("The request has errors; see “errors”."),
                              {"signer": [_("Nobody with this path must sign this application.")]})  # fmt: skip
        try:
            cms_der = base64.b64decode(cms_base64, validate=True)
        except (binascii.Error, ValueError):
            raise PortalError(_("The request has errors; see “errors”."),
                              {signer: [_("The signature is not base64.")]}) from None  # fmt: skip
        check = signature_check(
            data=document, cms_der=cms_der, id_number=person.id_number, department_codes=checked.routed
        )
        if not check.accepted:
            raise PortalError(_("%(name)s's signature was refused.") % {"name": person.name}, {signer: [check.problem]})
        ca = CertificateAuthority.objects.filter(code=check.ca_code, is_active=True).first()
        signature, _created = ApplicationSignature.objects.update_or_create(
            application=application, signer=signer, digest=digest, ca_code=check.ca_code,
            defaults={"name": person.name, "id_number": person.id_number, "cms": cms_der,
                      "ca_version": ca.version if ca else 1, "serial": check.serial,
                      "signing_time": check.signing_time},
        )  # fmt: skip
        return signature


def _lapsed(signers: list[Signer], advice: CertificateAdvice) -> dict[str, str]:
    """Signatures that no longer count at submit, taken off their signers: the certificate was revoked after it
    signed, its CA left the trust list, or its revocation status cannot be checked now. Signer path → why."""
    why = {}
    cas = trusted_cas()  # read once for every signature
    for signer in signers:
        kept = []
        for signature in signer.signatures:
            status = certificate_status(signature.ca_code, signature.serial, ca_version=signature.ca_version, cas=cas)
            if status == "good":
                kept.append(signature)
            elif status == "revoked":
                why[signer.path] = _("%(name)s's certificate was revoked after signing: sign again with a valid "
                                     "certificate.") % {"name": signer.name}  # fmt: skip
            elif status == "untrusted":
                why[signer.path] = _("%(ca)s is no longer on the platform's trust list: %(name)s signs again with "
                                     "a certificate from another CA.") % {
                    "ca": signature.ca_code, "name": signer.name,
                }  # fmt: skip
            else:
                why[signer.path] = _("Whether %(name)s's certificate has been revoked cannot be checked now; try "
                                     "again later.") % {"name": signer.name}  # fmt: skip
        if len(kept) != len(signer.signatures):
            signer.lapsed = why[signer.path]
            signer.signatures = kept
            signer.uncovered = uncovered_departments([s.ca_code for s in kept], advice)
    return why


def signatures_missing(application: Application, digest: str, checked: Checked) -> dict[str, list[str]]:
    """Who still has to sign the document with `digest` (made of `checked`) for its routed departments, as errors
    under "signatures.<signer path>" (for submit)."""
    routed = checked.routed
    advice = certificate_advice(routed)
    earlier = set(application.signatures.exclude(digest=digest).values_list("signer", flat=True))
    names = {d.code: d.display_name for d in Department.objects.filter(code__in=routed)}
    sep = ", " if english() else "、"
    missing = {}
    signers = _with_signatures(application, digest, advice, checked.people)
    if not signers:
        return {"signatures": [_("Nobody to sign was found in the application (legal representative).")]}
    lapsed = _lapsed(signers, advice)
    for s in signers:
        if s.signed:
            continue
        if s.path in lapsed and not s.signatures:
            message = lapsed[s.path]
        elif s.signatures:
            message = _("%(name)s's signatures are not accepted by %(departments)s: also sign with a certificate "
                        "they accept (%(cas)s).") % {
                "name": s.name, "departments": sep.join(names.get(c, c) for c in s.uncovered),
                "cas": sep.join(sorted({ca for c in s.uncovered for ca in advice.accepted.get(c, [])})),
            }  # fmt: skip
        elif s.path in earlier:
            message = _("%(name)s signed an earlier version; the data changed since: sign again.") % {"name": s.name}
        else:
            message = _("%(name)s has not signed yet.") % {"name": s.name}
        missing[f"signatures.{s.path}"] = [message]
    return missing
