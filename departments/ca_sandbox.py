"""The CA sandbox: demo certification authorities that issue demo people's signing certificates, publish CRLs and
revoke, so the whole signing path can be tried without a real CA (docs/signatures.md). Like the department sandbox
it is a stand-in for outside systems; nothing in the platform's verification trusts it specially: its roots enter
the trust list as any CA's would.

Pure functions over `cryptography` objects (keys, certificates, CRLs); the sandbox's models keep them as PEM.
Certificates follow what Chinese e-government signing certificates carry: the holder's name as commonName and the
ID number in the subject's serialNumber attribute (GB/T 20518), key usage digitalSignature + nonRepudiation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portal.certificates import leaf_certificate, root_certificate

CA_YEARS = 10


@dataclass(frozen=True)
class Issued:
    """A key pair and its certificate (PEM), as a CA hands them to a person's signing app or USB key."""

    key_pem: bytes
    cert_pem: bytes

    @property
    def key(self) -> ec.EllipticCurvePrivateKey:
        key = serialization.load_pem_private_key(self.key_pem, password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key

    @property
    def cert(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)


def _pem(key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> Issued:
    return Issued(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        cert.public_bytes(serialization.Encoding.PEM),
    )


def ca_create(*, name: str, organisation: str, now: dt.datetime) -> Issued:
    """A self-signed root CA (ECDSA P-256, SHA-256) valid for CA_YEARS from `now`."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    cert = root_certificate(key, subject=subject, not_before=now - dt.timedelta(days=1), days=365 * CA_YEARS)
    return _pem(key, cert)


def person_certificate_issue(
    ca: Issued,
    *,
    name: str,
    id_number: str,
    crl_url: str,
    not_before: dt.datetime,
    days: int = 365,
    signing: bool = True,
) -> Issued:
    """A person's certificate from `ca`: commonName the name, serialNumber the ID number, a CRL distribution point.
    `signing=False` makes an encryption certificate (keyEncipherment only): a signature made with it is refused."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, id_number),
        ]
    )
    cert = leaf_certificate(key.public_key(), subject=subject, issuer=ca.cert, issuer_key=ca.key,
                            not_before=not_before, days=days, signing=signing, crl_url=crl_url)  # fmt: skip
    return _pem(key, cert)


def crl_issue(ca: Issued, *, revoked: dict[int, dt.datetime], number: int, now: dt.datetime) -> bytes:
    """The CA's CRL (DER): the revoked serial numbers with their revocation times, valid for a day."""
    ca_cert, ca_key = ca.cert, ca.key
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - dt.timedelta(minutes=1))
        .next_update(now + dt.timedelta(days=1))
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    for serial, at in sorted(revoked.items()):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(at).build()
        )
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def cms_sign(holder: Issued, data: bytes, *, chain: list[bytes], signing_time: dt.datetime) -> bytes:
    """What a signing app or USB key returns: a detached CAdES signature (CMS SignedData, DER) over `data` with
    the signing time and the certificates of `chain` (PEM) included. The sandbox's signing app uses this; a real
    one runs on the person's phone or key, and the platform only ever sees its result."""
    from asn1crypto import keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from portal.blocking import run_blocking

    def asn1(pem: bytes) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))

    key_der = holder.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = SimpleSigner(
        signing_cert=asn1(holder.cert_pem),
        signing_key=keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([asn1(pem) for pem in chain]),
    )
    signed = run_blocking(
        signer.async_sign_general_data,
        data,
        "sha256",
        detached=True,
        use_cades=True,
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=signing_time),
    )
    return signed.dump()


# --- The sandbox's records: demo CAs and the certificates they issued ------------------------------------------

# (code, name, on the trust list): three CAs the platform accepts and one it does not, to try a refusal.
DEMO_CAS = (
    ("GDCA", "演示 数安时代认证中心", True),
    ("NETCA", "演示 广东省电子商务认证中心", True),
    ("CFCA", "演示 中国金融认证中心", True),
    ("ROGUE", "演示 未受信任的证书机构", False),
)


def sandbox_ca_url() -> str:
    """Where the CA sandbox publishes (its CRLs are `<this>/<code>.crl`)."""
    from django.conf import settings

    return f"{settings.PORTAL_BASE_URL}/sandbox/ca/"


def sandbox_crl_url(code: str) -> str:
    return f"{sandbox_ca_url()}{code}.crl"


def sandbox_cas_ensure(*, now: dt.datetime | None = None) -> list:
    """Make the demo CAs that are missing; returns those made (SandboxCertificateAuthority rows). Safe to run
    again. Putting the trusted ones on the trust list is the trust list's business (`trust_list_sandbox_ensure`)."""
    from django.utils import timezone

    from .models import SandboxCertificateAuthority

    now = now or timezone.now()
    made = []
    for code, name, trusted in DEMO_CAS:
        if SandboxCertificateAuthority.objects.filter(code=code).exists():
            continue
        issued = ca_create(name=name, organisation=f"{code} (demo)", now=now)
        made.append(
            SandboxCertificateAuthority.objects.create(
                code=code, name=name, key_pem=issued.key_pem.decode(), cert_pem=issued.cert_pem.decode(),
                trusted=trusted,
            )
        )  # fmt: skip
    return made


def _issued(ca) -> Issued:
    return Issued(ca.key_pem.encode(), ca.cert_pem.encode())


def sandbox_certificate_issue(*, ca_code: str, holder: str, id_number: str, signing: bool = True, days: int = 365,
                              not_before: dt.datetime | None = None):  # fmt: skip
    """A demo person's certificate from a sandbox CA (what a CA's registration desk hands out)."""
    from django.utils import timezone

    from .models import SandboxCertificate, SandboxCertificateAuthority

    ca = SandboxCertificateAuthority.objects.get(code=ca_code)
    start = not_before or timezone.now() - dt.timedelta(minutes=5)
    issued = person_certificate_issue(_issued(ca), name=holder, id_number=id_number, crl_url=sandbox_crl_url(ca_code),
                                      not_before=start, days=days, signing=signing)  # fmt: skip
    return SandboxCertificate.objects.create(
        ca=ca, holder=holder, id_number=id_number, serial=format(issued.cert.serial_number, "X"), signing=signing,
        key_pem=issued.key_pem.decode(), cert_pem=issued.cert_pem.decode(), not_after=start + dt.timedelta(days=days),
    )  # fmt: skip


def sandbox_revoke(certificate) -> None:
    """The CA revokes a certificate: it appears on the CA's next CRL."""
    from django.utils import timezone

    if certificate.revoked_at is None:
        certificate.revoked_at = timezone.now()
        certificate.save(update_fields=["revoked_at"])


def sandbox_crl(code: str, *, now: dt.datetime | None = None) -> bytes:
    """The sandbox CA's current CRL (DER), numbered one up each time it is published."""
    from django.db import transaction
    from django.utils import timezone

    from .models import SandboxCertificateAuthority

    with transaction.atomic():
        ca = SandboxCertificateAuthority.objects.select_for_update().get(code=code)
        ca.crl_number += 1
        ca.save(update_fields=["crl_number"])
        revoked = {int(c.serial, 16): c.revoked_at for c in ca.certificates.all() if c.revoked_at is not None}
        return crl_issue(_issued(ca), revoked=revoked, number=ca.crl_number, now=now or timezone.now())


def sandbox_sign(certificate, data: bytes, *, now: dt.datetime | None = None) -> bytes:
    """The sandbox signing app signs `data` with a demo person's certificate (detached CAdES, DER)."""
    from django.utils import timezone

    holder = Issued(certificate.key_pem.encode(), certificate.cert_pem.encode())
    return cms_sign(holder, data, chain=[certificate.ca.cert_pem.encode()], signing_time=now or timezone.now())


def sandbox_demo_certificates_ensure(people: list[tuple[str, str]]) -> int:
    """Each demo person gets a signing certificate from every trusted sandbox CA; the first also gets what a
    refusal is tried with: one from the untrusted CA, a revoked one, an expired one and an encryption-only one.
    Returns how many were issued (0 when they exist). Needs `sandbox_cas_ensure`."""
    from django.utils import timezone

    from .models import SandboxCertificate, SandboxCertificateAuthority

    issued = 0
    trusted = list(SandboxCertificateAuthority.objects.filter(trusted=True).values_list("code", flat=True))
    for index, (holder, id_number) in enumerate(people):
        if SandboxCertificate.objects.filter(id_number=id_number).exists():
            continue
        for code in trusted:
            sandbox_certificate_issue(ca_code=code, holder=holder, id_number=id_number)
            issued += 1
        if index == 0 and trusted:
            sandbox_certificate_issue(ca_code="ROGUE", holder=holder, id_number=id_number)
            sandbox_revoke(sandbox_certificate_issue(ca_code=trusted[0], holder=holder, id_number=id_number))
            sandbox_certificate_issue(ca_code=trusted[-1], holder=holder, id_number=id_number, days=1,
                                      not_before=timezone.now() - dt.timedelta(days=3))  # fmt: skip
            sandbox_certificate_issue(ca_code=trusted[0], holder=holder, id_number=id_number, signing=False)
            issued += 4
    return issued
