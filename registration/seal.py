"""The platform's electronic seal on the documents it issues: the licence copy, the receipt and the filing copies
are PDF documents sealed with PAdES (pyHanko), so a changed byte shows, and anyone can check a copy against the
platform's seal certificate (docs/signatures.md). The seal key is portal.platform_seal's."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from portal.blocking import run_blocking
from portal.platform_seal import SEAL_NAME, platform_seal, timestamper, trusted_roots_pem

from .seal_check import SEAL_FIELD, SealCheck, seal_check_with


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


def pdf_seal_check(pdf: bytes) -> SealCheck:
    """Whether `pdf` carries the platform's seal over every byte (a changed byte, an appended page or a seal made
    with another certificate fails). Never raises for a bad file."""
    seal = platform_seal()
    seal_der = x509.load_pem_x509_certificate(seal.cert_pem).public_bytes(serialization.Encoding.DER)
    return seal_check_with(pdf, seal_der, trusted_roots_pem())


def pdf_seal_check_isolated(pdf: bytes) -> SealCheck:
    """`pdf_seal_check` for a file from anyone (the public page): in a child process with a memory and CPU limit,
    so a crafted PDF (a compression bomb in an object stream) can cost that process, never the web worker. A file
    the child cannot finish within its limits is "not sealed"."""
    seal = platform_seal()
    seal_der = x509.load_pem_x509_certificate(seal.cert_pem).public_bytes(serialization.Encoding.DER)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SEAL_CHECK_CERT": base64.b64encode(seal_der).decode(),
        "SEAL_CHECK_ROOTS": base64.b64encode(b"".join(trusted_roots_pem())).decode(),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "registration.seal_check"], input=pdf, capture_output=True, env=env,
            cwd=str(Path(__file__).resolve().parent.parent), timeout=CHECK_SECONDS, preexec_fn=_limits, check=False,
        )  # fmt: skip
        answer = json.loads(done.stdout or b"{}")
    except (subprocess.TimeoutExpired, ValueError, OSError):
        return SealCheck(False, False)
    stamped = answer.get("timestamped_at")
    return SealCheck(
        sealed=bool(answer.get("sealed")),
        unchanged=bool(answer.get("unchanged")),
        document_number=str(answer.get("document_number", "")),
        timestamped_at=dt.datetime.fromisoformat(stamped) if stamped else None,
    )


CHECK_SECONDS = 10
CHECK_MEMORY_BYTES = 1024 * 1024 * 1024


def _limits() -> None:
    """In the child, before it runs: at most CHECK_MEMORY_BYTES of address space and CHECK_SECONDS of CPU."""
    resource.setrlimit(resource.RLIMIT_AS, (CHECK_MEMORY_BYTES, CHECK_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CHECK_SECONDS, CHECK_SECONDS))
