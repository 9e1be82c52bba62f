"""The platform's electronic seal on the documents it issues: the licence copy, the receipt and the filing copies
are PDF documents sealed with PAdES (pyHanko), so a changed byte shows, and anyone can check a copy against the
platform's seal certificate (docs/signatures.md). The seal key is portal.platform_seal's."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from portal.blocking import run_blocking
from portal.platform_seal import SEAL_NAME, platform_seal, timestamper, trusted_roots_pem

SEAL_FIELD = "PlatformSeal"


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
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper())
    out = run_blocking(pdf_signer.async_sign_pdf, writer)
    return out.getvalue()


@dataclass(frozen=True)
class SealCheck:
    """What a PDF says of itself: sealed by this platform's seal, unchanged since, and its document number."""

    sealed: bool
    unchanged: bool
    document_number: str = ""
    timestamped_at: dt.datetime | None = None  # by a trusted time-stamping authority, when the seal carries one


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
    roots = [
        asn1_x509.Certificate.load(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))
        for pem in trusted_roots_pem()
    ]
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sealed = [s for s in reader.embedded_signatures if s.field_name == SEAL_FIELD]
        if not sealed:
            return SealCheck(False, False)
        signature = sealed[-1]
        number = str(signature.sig_object.get("/Reason", "")).removeprefix("文件编号 ").strip()
        context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        status = run_blocking(async_validate_pdf_signature, signature, signer_validation_context=context)
    except Exception:  # noqa: BLE001 — a damaged or foreign file is "not sealed", never a crash
        return SealCheck(False, False)
    # Sealed by the platform: made with the platform's seal certificate. Unchanged: the signature holds over every
    # byte and the certificate chains to the seal's root.
    by_platform = status.signing_cert is not None and status.signing_cert.dump() == seal_der
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    unchanged = bool(by_platform and status.intact and status.valid and status.trusted and whole)
    stamp = status.timestamp_validity
    stamped = stamp.timestamp if stamp is not None and stamp.intact and stamp.valid and stamp.trusted else None
    return SealCheck(sealed=by_platform, unchanged=unchanged, document_number=number, timestamped_at=stamped)
