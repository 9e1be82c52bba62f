"""The platform's electronic seal (电子印章) on the documents it issues: the licence copy, the receipt and the
filing copies are PDF documents sealed with PAdES (pyHanko), so a changed byte shows, and anyone can check a copy
against the platform's seal certificate (docs/signatures.md).

The seal key and certificate come from `SEAL_BUNDLE_FILE` (PEM: the key, the seal certificate, then its chain up to
the root) in production, issued by a real CA. Without one, a demo seal is made on first use under var/: its own
root "东莞一网通平台印章 (demo)" and a seal certificate, created once even when several processes start together."""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

from portal.blocking import run_blocking

SEAL_FIELD = "PlatformSeal"
SEAL_NAME = "东莞市商事登记一网通平台"


@dataclass(frozen=True)
class Seal:
    key_pem: bytes
    cert_pem: bytes
    chain_pems: tuple[bytes, ...]  # issuers up to and including the root

    @property
    def root_pem(self) -> bytes:
        return self.chain_pems[-1] if self.chain_pems else self.cert_pem


def _demo_bundle() -> bytes:
    """A root and a seal certificate made with `cryptography` (ECDSA P-256), as one PEM bundle."""
    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                           x509.NameAttribute(NameOID.COMMON_NAME, f"{SEAL_NAME} 印章根 (demo)")])  # fmt: skip
    root = (
        x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name).public_key(root_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, SEAL_NAME),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"{SEAL_NAME} 电子印章 (demo)")])  # fmt: skip
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(root_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )  # fmt: skip
    return (
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + cert.public_bytes(serialization.Encoding.PEM)
        + root.public_bytes(serialization.Encoding.PEM)
    )


def _demo_path() -> Path:
    path = Path(settings.VAR_DIR) / "platform-seal-demo.pem"
    if not path.exists():
        # Made once: written aside and linked into place, so of two processes starting together one wins and the
        # other reads the winner's seal.
        fd, temporary = tempfile.mkstemp(dir=settings.VAR_DIR, prefix=".seal-")
        with os.fdopen(fd, "wb") as out:
            out.write(_demo_bundle())
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path


@cache
def platform_seal() -> Seal:
    """The seal in use: SEAL_BUNDLE_FILE, else the demo seal under var/."""
    configured = getattr(settings, "SEAL_BUNDLE_FILE", "")
    raw = Path(configured).read_bytes() if configured else _demo_path().read_bytes()
    blocks = [b"-----BEGIN" + part for part in raw.split(b"-----BEGIN")[1:]]
    key = next(b for b in blocks if b"PRIVATE KEY" in b.split(b"\n", 1)[0])
    certs = [b for b in blocks if b.startswith(b"-----BEGIN CERTIFICATE")]
    return Seal(key_pem=key, cert_pem=certs[0], chain_pems=tuple(certs[1:]))


def pdf_seal(pdf: bytes, *, document_number: str) -> bytes:
    """`pdf` sealed by the platform: an incremental PAdES signature over the whole file (its reason names the
    document number, which the verification page reads back)."""
    from asn1crypto import keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    seal = platform_seal()

    def asn1(pem: bytes) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))

    key = serialization.load_pem_private_key(seal.key_pem, password=None)
    key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    signer = signers.SimpleSigner(
        signing_cert=asn1(seal.cert_pem),
        signing_key=keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([asn1(pem) for pem in seal.chain_pems]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=f"文件编号 {document_number}", name=SEAL_NAME,
    )  # fmt: skip
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = run_blocking(signers.PdfSigner(meta, signer=signer).async_sign_pdf, writer)
    return out.getvalue()


@dataclass(frozen=True)
class SealCheck:
    """What a PDF says of itself: sealed by this platform's seal, unchanged since, and its document number."""

    sealed: bool
    unchanged: bool
    document_number: str = ""


def pdf_seal_check(pdf: bytes) -> SealCheck:
    """Whether `pdf` carries the platform's seal over every byte (a changed byte, an appended page or a seal made
    with another certificate fails). Never raises for a bad file."""
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    seal = platform_seal()
    seal_der = x509.load_pem_x509_certificate(seal.cert_pem).public_bytes(serialization.Encoding.DER)
    root = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(seal.root_pem).public_bytes(serialization.Encoding.DER)
    )
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sealed = [s for s in reader.embedded_signatures if s.field_name == SEAL_FIELD]
        if not sealed:
            return SealCheck(False, False)
        signature = sealed[-1]
        number = str(signature.sig_object.get("/Reason", "")).removeprefix("文件编号 ").strip()
        context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
        status = run_blocking(async_validate_pdf_signature, signature, signer_validation_context=context)
    except Exception:  # noqa: BLE001 — a damaged or foreign file is "not sealed", never a crash
        return SealCheck(False, False)
    # Sealed by the platform: made with the platform's seal certificate. Unchanged: the signature holds over every
    # byte and the certificate chains to the seal's root.
    by_platform = status.signing_cert is not None and status.signing_cert.dump() == seal_der
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    unchanged = bool(by_platform and status.intact and status.valid and status.trusted and whole)
    return SealCheck(sealed=by_platform, unchanged=unchanged, document_number=number)
