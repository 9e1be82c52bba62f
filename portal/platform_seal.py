"""The platform's seal key (电子印章): the key and certificate the platform seals with, the PDFs it issues
(registration/seal.py) and the payloads it delivers to departments (`payload_seal`). From `SEAL_BUNDLE_FILE` (PEM:
the key, the seal certificate, then its chain up to the root) in production, issued by a real CA; without one, a
demo seal made on first use under var/, created once even when several processes start together."""

from __future__ import annotations

import base64
import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .certificates import leaf_certificate, root_certificate

SEAL_NAME = "东莞市商事登记一网通平台"


@dataclass(frozen=True)
class Seal:
    key_pem: bytes
    cert_pem: bytes
    chain_pems: tuple[bytes, ...]  # issuers up to and including the root

    @property
    def root_pem(self) -> bytes:
        return self.chain_pems[-1] if self.chain_pems else self.cert_pem


def _new_key(purpose: str):
    """ECDSA P-256 for the seal; RSA for the sandbox TSA (pyHanko's built-in time-stamping authority is RSA-only)."""
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if purpose == "tsa"
        else ec.generate_private_key(ec.SECP256R1())
    )


def _demo_bundle(purpose: str = "seal") -> bytes:
    """A root and a seal certificate (or, for purpose "tsa", a time-stamping authority's certificate) made with
    `cryptography` (ECDSA P-256), as one PEM bundle: key, certificate, root."""
    now = dt.datetime.now(dt.UTC)
    roles = ("时间戳", "时间戳服务") if purpose == "tsa" else ("印章", "电子印章")
    root_key = _new_key(purpose)
    root_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                           x509.NameAttribute(NameOID.COMMON_NAME, f"{SEAL_NAME} {roles[0]}根 (demo)")])  # fmt: skip
    start = now - dt.timedelta(days=1)
    root = root_certificate(root_key, subject=root_name, not_before=start, days=3650)
    key = _new_key(purpose)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, SEAL_NAME),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"{SEAL_NAME} {roles[1]} (demo)")])  # fmt: skip
    cert = leaf_certificate(key.public_key(), subject=name, issuer=root, issuer_key=root_key, not_before=start,
                            days=3650, time_stamping=purpose == "tsa")  # fmt: skip
    return (
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + cert.public_bytes(serialization.Encoding.PEM)
        + root.public_bytes(serialization.Encoding.PEM)
    )


def _demo_path(purpose: str = "seal") -> Path:
    path = Path(settings.VAR_DIR) / f"platform-{purpose}-demo.pem"
    if not path.exists():
        # Made once: written aside and linked into place, so of two processes starting together one wins and the
        # other reads the winner's seal.
        fd, temporary = tempfile.mkstemp(dir=settings.VAR_DIR, prefix=".seal-")
        with os.fdopen(fd, "wb") as out:
            out.write(_demo_bundle(purpose))
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
    if not configured and getattr(settings, "PRODUCTION", False):
        # Each server would make its own demo seal, and one would call another's documents unsealed.
        raise ImproperlyConfigured("SEAL_BUNDLE_FILE must name the platform seal's PEM bundle in production")
    return _bundle(Path(configured).read_bytes() if configured else _demo_path().read_bytes())


@cache
def sandbox_tsa() -> Seal:
    """The sandbox's time-stamping authority (key, certificate, root), made once under var/."""
    return _bundle(_demo_path("tsa").read_bytes())


def _bundle(raw: bytes) -> Seal:
    blocks = [b"-----BEGIN" + part for part in raw.split(b"-----BEGIN")[1:]]
    key = next(b for b in blocks if b"PRIVATE KEY" in b.split(b"\n", 1)[0])
    certs = [b for b in blocks if b.startswith(b"-----BEGIN CERTIFICATE")]
    return Seal(key_pem=key, cert_pem=certs[0], chain_pems=tuple(certs[1:]))


@cache
def _signing_material() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, list[x509.Certificate]]:
    seal = platform_seal()
    key = serialization.load_pem_private_key(seal.key_pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the platform seal's key must be an ECDSA key")
    chain = [x509.load_pem_x509_certificate(pem) for pem in seal.chain_pems]
    return x509.load_pem_x509_certificate(seal.cert_pem), key, chain


def payload_seal(data: bytes) -> str:
    """The platform's seal on delivered bytes: a detached CMS signature (DER, base64) with the seal certificate and
    its chain, made with `cryptography` (a fraction of a millisecond, once per delivery attempt). A department
    keeps it with the payload as proof of what the platform sent, checkable against the platform's seal root."""
    cert, key, chain = _signing_material()
    builder = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(cert, key, hashes.SHA256())
    for issuer in chain:
        builder = builder.add_certificate(issuer)
    der = builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature])
    return base64.b64encode(der).decode()


def timestamper():
    """Who timestamps the seal (PAdES B-T): SEAL_TSA_URL "sandbox" is the sandbox's own TSA, an http(s) address a
    real RFC 3161 service, empty none (the seal then carries only its signing time)."""
    url = getattr(settings, "SEAL_TSA_URL", "")
    if not url:
        return None
    if url == "sandbox":
        if getattr(settings, "PRODUCTION", False):
            raise ImproperlyConfigured("SEAL_TSA_URL=sandbox is a demo time-stamping authority, not for production")
        from asn1crypto import keys
        from asn1crypto import x509 as asn1_x509
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        tsa = sandbox_tsa()
        key = serialization.load_pem_private_key(tsa.key_pem, password=None)
        key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())  # fmt: skip
        cert = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(tsa.cert_pem).public_bytes(
            serialization.Encoding.DER))  # fmt: skip
        return DummyTimeStamper(tsa_cert=cert, tsa_key=keys.PrivateKeyInfo.load(key_der))
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=10)


def trusted_roots_pem() -> list[bytes]:
    """The roots a sealed document is checked against: the seal's, and the sandbox TSA's when it stamps."""
    roots = [platform_seal().root_pem]
    if getattr(settings, "SEAL_TSA_URL", "") == "sandbox":
        roots.append(sandbox_tsa().root_pem)
    return roots
