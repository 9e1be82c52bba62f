"""Making X.509 certificates with `cryptography`, for what the platform makes itself in demos and tests: the CA
sandbox's roots and people's certificates, the demo seal and the sandbox time-stamping authority. One place, so a
root and a leaf carry the same extensions wherever they are made."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes


def _key_usage(*, sign: bool = False, encipher: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign, content_commitment=sign, key_encipherment=encipher, data_encipherment=False,
        key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False,
    )  # fmt: skip


def root_certificate(key: Any, *, subject: x509.Name, not_before: dt.datetime, days: int) -> x509.Certificate:
    """A self-signed root that may sign certificates and CRLs (no intermediate below it), SHA-256."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def leaf_certificate(
    public_key: Any,
    *,
    subject: x509.Name,
    issuer: x509.Certificate,
    issuer_key: Any,
    not_before: dt.datetime,
    days: int,
    signing: bool = True,
    time_stamping: bool = False,
    crl_url: str = "",
) -> x509.Certificate:
    """An end-entity certificate from `issuer`: for signing (digitalSignature + nonRepudiation), or with
    `signing=False` for encryption only; `time_stamping` adds the critical RFC 3161 extended key usage; `crl_url`
    a CRL distribution point."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=signing, encipher=not signing), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if time_stamping:
        builder = builder.add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())
