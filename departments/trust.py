"""The trust list (docs/signatures.md): the certification authorities whose signing certificates the platform
accepts, with their revocation lists; each department's own accepted subset; the fewest certificates a founder
needs for all the departments of an application; and the platform's verification of a person's signature against
exactly the CAs every routed department accepts (信息互认: a department that names no CAs accepts the platform's
verification of any CA on the list)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from forms_engine.display import english
from portal.errors import PortalError

from . import ca_sandbox
from .models import CertificateAuthority, Department
from .signatures import SignatureCheck, TrustAnchor, signature_verify

MAX_COVER = 4  # more certificates than this per person is no advice worth giving (and the search stays small)
CRL_RETRY = dt.timedelta(minutes=1)  # after a failed fetch, signatures are not held up fetching it again at once
CRL_MAX_AGE = dt.timedelta(hours=1)  # fetched again after this even when the CA says it is good for longer
CRL_FETCH_SECONDS = 5
CA_FIELDS = ("name", "name_en", "root_pem", "crl_urls", "ocsp_urls", "algorithms", "valid_from", "valid_until")


def _root(pem: str) -> x509.Certificate:
    """The root certificate of a CA entry; PortalError unless it is a self-signed CA certificate."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except (ValueError, x509.ExtensionNotFound):
        raise PortalError(
            _("The trust list entry has errors."), {"root_pem": [_("Not a CA certificate (PEM).")]}
        ) from None
    if not constraints.ca or cert.issuer != cert.subject:
        raise PortalError(_("The trust list entry has errors."), {"root_pem": [_("Not a self-signed CA root.")]})
    return cert


def _algorithm(cert: x509.Certificate) -> str:
    key = cert.public_key()
    return (
        "ecdsa" if isinstance(key, ec.EllipticCurvePublicKey) else "rsa" if isinstance(key, rsa.RSAPublicKey) else "sm2"
    )


def trust_list_add(*, code: str, name: str, name_en: str, root_pem: str, crl_urls: list[str],
                   ocsp_urls: Iterable[str] = ()) -> CertificateAuthority:  # fmt: skip
    """Put a CA on the trust list (version 1), accepted for as long as its root is valid."""
    cert = _root(root_pem)
    return CertificateAuthority.objects.create(
        code=code, name=name, name_en=name_en, root_pem=root_pem, crl_urls=list(crl_urls), ocsp_urls=list(ocsp_urls),
        algorithms=[_algorithm(cert)], valid_from=cert.not_valid_before_utc, valid_until=cert.not_valid_after_utc,
    )  # fmt: skip


def trust_list_revise(*, ca: CertificateAuthority, **changes) -> CertificateAuthority:
    """Change a trust list entry by retiring it and adding the next version (evidence names the version)."""
    with transaction.atomic():
        ca = CertificateAuthority.objects.select_for_update().get(pk=ca.pk)
        if all(getattr(ca, field) == value for field, value in changes.items()):
            return ca
        if "root_pem" in changes:
            _root(changes["root_pem"])
        ca.is_active = False
        ca.save(update_fields=["is_active"])
        successor = CertificateAuthority(code=ca.code, version=ca.version + 1,
                                         **{field: getattr(ca, field) for field in CA_FIELDS})  # fmt: skip
        for field, value in changes.items():
            setattr(successor, field, value)
        successor.save()
        return successor


def trust_list_sandbox_ensure() -> list[str]:
    """The CA sandbox's demo CAs made, and the trusted ones on the trust list (seed_demo, `make run`)."""
    made = ca_sandbox.sandbox_cas_ensure()
    for ca in made:
        if ca.trusted and not CertificateAuthority.objects.filter(code=ca.code).exists():
            trust_list_add(code=ca.code, name=ca.name, name_en=f"{ca.code} (demo CA)", root_pem=ca.cert_pem,
                           crl_urls=[ca_sandbox.sandbox_crl_url(ca.code)])  # fmt: skip
    return [ca.code for ca in made]


def trusted_cas(now: dt.datetime | None = None) -> list[CertificateAuthority]:
    """The active entries of the trust list accepted now."""
    now = now or timezone.now()
    return list(CertificateAuthority.objects.filter(is_active=True, valid_from__lte=now, valid_until__gte=now))


# --- Revocation lists ------------------------------------------------------------------------------------------


def _crl_download(url: str) -> bytes:
    """A CRL from its publication point. The CA sandbox publishes inside this process (asking our own web server
    for it could wait on ourselves); every other address is fetched over HTTP."""
    prefix = ca_sandbox.sandbox_ca_url()
    if url.startswith(prefix) and url.endswith(".crl"):
        return ca_sandbox.sandbox_crl(url[len(prefix) : -len(".crl")])
    response = requests.get(url, timeout=CRL_FETCH_SECONDS)
    response.raise_for_status()
    return response.content


def ca_crl_refresh(ca: CertificateAuthority, *, now: dt.datetime | None = None) -> bool:
    """Fetch the CA's CRL from its first address that answers with a CRL signed by the CA's root; keep it.
    Returns whether one was kept (False: none could be fetched; the one kept before, if any, stays)."""
    now = now or timezone.now()
    root = _root(ca.root_pem)
    for url in ca.crl_urls:
        try:
            raw = _crl_download(url)
            crl = x509.load_der_x509_crl(raw) if raw[:1] == b"\x30" else x509.load_pem_x509_crl(raw)
        except (requests.RequestException, ValueError, LookupError):
            continue
        if crl.issuer != root.subject or not crl.is_signature_valid(root.public_key()):  # type: ignore[arg-type]
            continue
        kept = bytes(ca.crl_der) if ca.crl_der is not None else None
        if not _newer(crl, kept, now):  # an older list replayed, or one already past its next update
            continue
        ca.crl_der = crl.public_bytes(serialization.Encoding.DER)
        ca.crl_next_update = crl.next_update_utc
        ca.crl_fetched_at = now
        ca.save(update_fields=["crl_der", "crl_next_update", "crl_fetched_at"])
        return True
    return False


def _newer(crl: x509.CertificateRevocationList, kept: bytes | None, now: dt.datetime) -> bool:
    """A fetched CRL is kept only if it is still current and not older than the one kept (a replayed older list
    could drop a revocation)."""
    if crl.next_update_utc is not None and crl.next_update_utc < now:
        return False
    if kept is None:
        return True
    previous = x509.load_der_x509_crl(bytes(kept))
    return crl.last_update_utc >= previous.last_update_utc


def ca_crl_current(ca: CertificateAuthority, *, now: dt.datetime | None = None) -> bytes | None:
    """The CA's CRL, fetched again when none is kept, it is past its next update, or older than CRL_MAX_AGE."""
    now = now or timezone.now()
    stale = (
        ca.crl_der is None
        or ca.crl_fetched_at is None
        or now - ca.crl_fetched_at > CRL_MAX_AGE
        or (ca.crl_next_update is not None and ca.crl_next_update < now)
    )
    failed_recently = f"crl-failed:{hashlib.sha256(ca.root_pem.encode()).hexdigest()[:24]}"
    if stale and not cache.get(failed_recently) and not ca_crl_refresh(ca, now=now):
        cache.set(failed_recently, 1, int(CRL_RETRY.total_seconds()))
    return bytes(ca.crl_der) if ca.crl_der is not None else None


def crls_current() -> None:
    """Bring every trusted CA's revocation list up to date (fetching those due) before a submit takes its locks,
    so that checking the signatures again inside them reads what is kept instead of waiting on a CA's server."""
    for ca in trusted_cas():
        ca_crl_current(ca)


def certificate_status(
    ca_code: str,
    serial: str,
    *,
    ca_version: int | None = None,
    now: dt.datetime | None = None,
    cas: list[CertificateAuthority] | None = None,
) -> str:
    """A certificate the platform accepted earlier (against trust list entry `ca_version`), checked again (at
    submit: it may have been revoked since it signed): "good"; "revoked" when the CA's current CRL lists `serial`
    (hex, as SignatureCheck gives it); "unknown" when no current CRL can be had; "untrusted" when the CA has left
    the trust list or its root is no longer the one the certificate was checked against. `cas`: the trust list as
    `trusted_cas(now)` gives it, when the caller checks several certificates and has read it once."""
    now = now or timezone.now()
    ca = next((c for c in (cas if cas is not None else trusted_cas(now)) if c.code == ca_code), None)
    if ca is None:
        return "untrusted"
    if ca_version is not None and ca_version != ca.version:
        earlier = CertificateAuthority.objects.filter(code=ca_code, version=ca_version)
        if earlier.values_list("root_pem", flat=True).first() != ca.root_pem:
            return "untrusted"  # a new root: the old one's certificates are no longer accepted
    der = ca_crl_current(ca, now=now)
    if der is None:
        return "unknown"
    crl = x509.load_der_x509_crl(der)
    if crl.next_update_utc is not None and crl.next_update_utc < now:
        return "unknown"
    return "revoked" if crl.get_revoked_certificate_by_serial_number(int(serial, 16)) is not None else "good"


# --- Which CAs an application's departments accept -------------------------------------------------------------


@dataclass(frozen=True)
class CertificateAdvice:
    """For the departments of an application: the CAs each accepts, those accepted by all (one certificate from
    any of them is enough), else the smallest set of CAs that covers every department."""

    accepted: dict[str, list[str]]  # department code → CA codes it accepts
    by_all: list[str]
    smallest_set: list[str]


def certificate_advice(department_codes: Iterable[str], cas: list[CertificateAuthority] | None = None
                       ) -> CertificateAdvice:  # fmt: skip
    """Which certificates a founder needs for these departments. Exact: the trust list holds a handful of CAs,
    so the smallest covering set is found by trying sets in order of size."""
    listed = [ca.code for ca in (cas if cas is not None else trusted_cas())]
    departments = Department.objects.filter(code__in=list(department_codes)).order_by("sort_order")
    accepted = {d.code: [c for c in listed if not d.accepted_ca_codes or c in d.accepted_ca_codes] for d in departments}
    by_all = [c for c in listed if all(c in codes for codes in accepted.values())]
    smallest: list[str] = by_all[:1]
    if any(not codes for codes in accepted.values()):
        return CertificateAdvice(accepted=accepted, by_all=[], smallest_set=[])  # a department no listed CA serves
    if not by_all:
        for size in range(2, min(len(listed), MAX_COVER) + 1):
            cover = next((set_ for set_ in itertools.combinations(listed, size)
                          if all(set(set_) & set(codes) for codes in accepted.values())), None)  # fmt: skip
            if cover:
                smallest = list(cover)
                break
    return CertificateAdvice(accepted=accepted, by_all=by_all, smallest_set=smallest)


def signature_check(*, data: bytes, cms_der: bytes, id_number: str, department_codes: Iterable[str]) -> SignatureCheck:
    """The platform's verification of one person's signature for an application routed to `department_codes`:
    against every CA on the trust list, then refused early when none of these departments accepts the signer's CA.
    (When no single CA serves them all, a signer signs once with each CA of the smallest covering set:
    `uncovered_departments` says what a signer's signatures still leave out.)"""
    cas = trusted_cas()
    anchors = [TrustAnchor(ca.code, _root(ca.root_pem).public_bytes(serialization.Encoding.DER)) for ca in cas]
    crls = [crl for ca in cas if (crl := ca_crl_current(ca)) is not None]
    check = signature_verify(data=data, cms_der=cms_der, id_number=id_number, anchors=anchors, crls=crls)
    if not check.accepted:
        return check
    advice = certificate_advice(department_codes, cas)
    refusing = [code for code, accepted in advice.accepted.items() if check.ca_code not in accepted]
    if len(refusing) == len(advice.accepted) or (refusing and advice.by_all):
        # Useless here (no department takes it), or a single certificate would serve all and this one does not.
        names = {d.code: d.display_name for d in Department.objects.filter(code__in=refusing)}
        sep = ", " if english() else "、"
        problem = _("A certificate from %(ca)s is not accepted by %(departments)s; use one from %(others)s.") % {
            "ca": check.ca_code,
            "departments": sep.join(names.get(c, c) for c in refusing),
            "others": sep.join(advice.by_all or advice.smallest_set) or "—",
        }
        return SignatureCheck(False, problem, check.ca_code, check.serial, check.holder, check.id_number,
                              check.signing_time)  # fmt: skip
    return check


def uncovered_departments(ca_codes: Iterable[str], advice: CertificateAdvice) -> list[str]:
    """The departments (codes) that accept none of `ca_codes`: what a signer's signatures still leave out."""
    held = set(ca_codes)
    return [code for code, accepted in advice.accepted.items() if not held & set(accepted)]
