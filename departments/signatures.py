"""Electronic signatures the platform verifies (issue 17, docs/signatures.md): a CMS/CAdES detached signature over
the canonical bytes of what will be delivered, checked with pyHanko and pyhanko-certvalidator against the trust
list: the path to a trusted root, validity now (the signature is checked as it arrives, so "now" is the signing
time up to the network), revocation from the CA's CRL (hard fail: unknown status is a refusal), the key usage of
a signing certificate (non-repudiation), the signed data unchanged, and the ID number in the certificate's subject
(serialNumber, GB/T 20518) being the person it signs for.

SM2/SM3 signatures (the national algorithms) are recognised and refused with a clear message: no maintained Python
library validates SM2 CMS signatures and certificate paths (ADR 0024)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from django.utils.translation import gettext as _
from pyhanko.sign.validation import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from portal.blocking import run_blocking

# 1.2.156.10197.1.501: SM2 signature with SM3 (GM/T 0006); 1.2.156.10197.1.301.1: the SM2 public key.
SM2_OIDS = {"1.2.156.10197.1.501", "1.2.156.10197.1.301", "1.2.156.10197.1.301.1"}


@dataclass(frozen=True)
class TrustAnchor:
    """A root the platform accepts: its trust-list code and the certificate (DER)."""

    code: str
    cert_der: bytes


@dataclass(frozen=True)
class SignatureCheck:
    """What the platform found: `accepted`, else `problem` (translated, for the signer); and the evidence a
    department receives: the CA's code, the certificate's serial number (hex), the holder's name and ID number
    as the certificate states them, the signing time the signer reported."""

    accepted: bool
    problem: str = ""
    ca_code: str = ""
    serial: str = ""
    holder: str = ""
    id_number: str = ""
    signing_time: dt.datetime | None = None


def signature_verify(
    *, data: bytes, cms_der: bytes, id_number: str, anchors: list[TrustAnchor], crls: list[bytes]
) -> SignatureCheck:
    """Check a detached CMS signature (DER) over `data` made for the person with `id_number`, against `anchors`
    (the roots accepted for this application) and the CAs' current `crls` (DER). Never raises for a bad
    signature: the answer says why it is refused."""
    try:
        info = cms.ContentInfo.load(cms_der)
        if info["content_type"].native != "signed_data":
            raise ValueError("not signed data")
        signed = info["content"]
        signer = signed["signer_infos"][0]
        algorithm = signer["signature_algorithm"]["algorithm"].dotted
        attached = signed["encap_content_info"]["content"].native is not None
        sm2 = algorithm in SM2_OIDS or _uses_sm2(signed)
    except Exception:  # noqa: BLE001 — asn1crypto raises many kinds on arbitrary bytes: all mean "not a signature"
        return SignatureCheck(False, _("This is not a CMS signature (PKCS #7 signed data, DER, base64)."))
    if sm2:
        return SignatureCheck(
            False,
            _("SM2 signatures cannot be verified by the platform yet; sign with an RSA or ECDSA certificate."),
        )
    if attached:
        return SignatureCheck(False, _("The signature must be detached (made over the document, not carrying it)."))
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(a.cert_der) for a in anchors],
        crls=[asn1_crl.CertificateList.load(c) for c in crls],
        allow_fetching=False,
        revocation_mode="hard-fail",
    )
    try:
        status = run_blocking(async_validate_detached_cms, data, signed, signer_validation_context=context)
        cert = status.signing_cert
        subject = cert.subject.native if cert is not None else {}  # a crafted subject can fail to decode
        found = SignatureCheck(
            False,
            ca_code=_anchor_code(status, anchors),
            serial=format(cert.serial_number, "X") if cert is not None else "",
            holder=str(subject.get("common_name", "")),
            id_number=str(subject.get("serial_number", "")),
            signing_time=status.signer_reported_dt,
        )
    except Exception:  # noqa: BLE001 — a malformed structure deep inside is a refused signature, not a crash
        return SignatureCheck(False, _("The signature could not be read; sign the document again."))
    problem = _problem(status, found, id_number)
    return SignatureCheck(problem == "", problem, found.ca_code, found.serial, found.holder, found.id_number,
                          found.signing_time)  # fmt: skip


def _uses_sm2(signed: cms.SignedData) -> bool:
    certs = [c.chosen for c in signed["certificates"] or [] if c.name == "certificate"]
    return any(c["tbs_certificate"]["subject_public_key_info"]["algorithm"]["algorithm"].dotted in SM2_OIDS
               for c in certs)  # fmt: skip


def _anchor_code(status, anchors: list[TrustAnchor]) -> str:
    path = status.validation_path
    if path is None:
        return ""
    root = path.trust_anchor.authority.certificate if hasattr(path.trust_anchor, "authority") else None
    root_der = root.dump() if root is not None else b""
    return next((a.code for a in anchors if a.cert_der == root_der), "")


def _problem(status, found: SignatureCheck, id_number: str) -> str:
    """Why the signature is refused ("" when it is accepted), most basic reason first."""
    indication = str(status.trust_problem_indic or "")
    if not status.intact:
        return _("The signed document is not the one submitted: it changed after signing. Sign it again.")
    if not status.valid:
        return _("The signature does not match its certificate.")
    if status.revoked or "REVOKED" in indication:
        return _("The certificate was revoked by its CA.")
    if "NO_CERTIFICATE_CHAIN_FOUND" in indication:
        return _("The certificate is from a CA that is not accepted for this application.")
    if "OUT_OF_BOUNDS" in indication or "EXPIRED" in indication or "NOT_YET_VALID" in indication:
        return _("The certificate is not valid now (expired or not yet valid).")
    if "CHAIN_CONSTRAINTS" in indication:
        return _("The certificate is not a signing certificate (its key usage does not allow signatures).")
    if "TRY_LATER" in indication or "REVOCATION" in indication:
        return _("The certificate's revocation status is unknown (the CA's CRL could not be checked); try later.")
    if not status.trusted:
        return _("The certificate could not be verified to an accepted CA.")
    if found.signing_time is None:
        return _("The signature carries no signing time; sign with a signing app that records it.")
    if found.id_number.strip().upper() != (id_number or "").strip().upper():
        return _("The certificate belongs to another person (ID number %(theirs)s), not the one who must sign.") % {
            "theirs": _masked(found.id_number)
        }
    return ""


def _masked(id_number: str) -> str:
    """An ID number as a message may show it: the last four characters only."""
    return "…" + id_number[-4:] if len(id_number) > 4 else id_number
