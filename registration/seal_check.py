"""Checking the platform's seal on a PDF (registration/seal.py), without Django: `python -m registration.seal_check`
reads a PDF on standard input and prints the answer as JSON, so the public verification page can run it in a
child process with a memory and CPU limit (a crafted PDF must not take the web worker down)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import sys
from dataclasses import dataclass

from portal.blocking import run_blocking

SEAL_FIELD = "PlatformSeal"


@dataclass(frozen=True)
class SealCheck:
    """What a PDF says of itself: sealed by this platform's seal, unchanged since, and its document number."""

    sealed: bool
    unchanged: bool
    document_number: str = ""
    timestamped_at: dt.datetime | None = None  # by a trusted time-stamping authority, when the seal carries one


def seal_check_with(pdf: bytes, seal_der: bytes, roots_pem: list[bytes]) -> SealCheck:
    """Whether `pdf`'s last "PlatformSeal" signature was made with the certificate `seal_der`, covers every byte
    and chains to one of `roots_pem`. Never raises for a bad file."""
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    roots = [asn1_x509.Certificate.load(asn1_pem.unarmor(pem)[2]) for pem in roots_pem]
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sealed = [s for s in reader.embedded_signatures if s.field_name == SEAL_FIELD]
        if not sealed:
            return SealCheck(False, False)
        signature = sealed[-1]
        if signature.signer_cert.dump() != seal_der:  # not the platform's: no need to validate further
            return SealCheck(False, False)
        number = str(signature.sig_object.get("/Reason", "")).removeprefix("文件编号 ").strip()
        context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        status = run_blocking(async_validate_pdf_signature, signature, signer_validation_context=context,
                              skip_diff=True)  # fmt: skip
    except Exception:  # noqa: BLE001 — a damaged or foreign file is "not sealed", never a crash
        return SealCheck(False, False)
    # Sealed by the platform: made with the platform's seal certificate. Unchanged: the signature holds over every
    # byte (nothing appended after it) and the certificate chains to the seal's root.
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    unchanged = bool(status.intact and status.valid and status.trusted and whole)
    stamp = status.timestamp_validity
    stamped = stamp.timestamp if stamp is not None and stamp.intact and stamp.valid and stamp.trusted else None
    return SealCheck(sealed=True, unchanged=unchanged, document_number=number, timestamped_at=stamped)


def _roots(raw: bytes) -> list[bytes]:
    return [b"-----BEGIN" + part for part in raw.split(b"-----BEGIN")[1:]]


if __name__ == "__main__":
    check = seal_check_with(
        sys.stdin.buffer.read(),
        base64.b64decode(os.environ["SEAL_CHECK_CERT"]),
        _roots(base64.b64decode(os.environ["SEAL_CHECK_ROOTS"])),
    )
    stamped = check.timestamped_at.isoformat() if check.timestamped_at else None
    json.dump({"sealed": check.sealed, "unchanged": check.unchanged, "document_number": check.document_number,
               "timestamped_at": stamped}, sys.stdout)  # fmt: skip
