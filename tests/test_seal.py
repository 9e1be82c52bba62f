"""The platform's seal on the documents it issues (issue 17): a sealed licence validates with pyHanko against the
platform's seal certificate; one changed byte, or a PDF not sealed by the platform, does not."""

import time

import pytest
from django.test import override_settings

from registration.documents import licence_pdf
from registration.seal import pdf_seal, pdf_seal_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def licence(trader):
    return licence_pdf(trader)


def test_the_licence_is_sealed_by_the_platform_and_unchanged(licence):
    document, pdf = licence

    check = pdf_seal_check(pdf)

    assert check.sealed and check.unchanged and check.document_number == document.number
    assert check.timestamped_at is not None  # the sandbox's time-stamping authority (PAdES B-T)


@override_settings(SEAL_TSA_URL="")
def test_without_a_time_stamping_authority_the_seal_carries_no_timestamp(trader):
    _document, pdf = licence_pdf(trader)

    check = pdf_seal_check(pdf)

    assert check.sealed and check.unchanged and check.timestamped_at is None


def test_the_seal_validates_with_pyhankos_own_validator(licence):
    import io

    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from registration.seal import platform_seal

    _document, pdf = licence
    seal = platform_seal()
    root = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(seal.root_pem).public_bytes(serialization.Encoding.DER)
    )
    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures

    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root], allow_fetching=False))

    assert status.intact and status.valid and status.trusted
    assert status.signing_cert.dump() == x509.load_pem_x509_certificate(seal.cert_pem).public_bytes(
        serialization.Encoding.DER
    )


def test_one_changed_byte_breaks_the_seal(licence):
    _document, pdf = licence
    at = pdf.index(b"/Contents") - 200  # inside the signed range, in the document's own objects
    changed = pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]

    check = pdf_seal_check(changed)

    assert not check.unchanged


def test_an_unsealed_or_foreign_pdf_is_not_sealed_by_the_platform(licence):
    _document, pdf = licence
    unsealed = pdf[: pdf.rindex(b"%%EOF", 0, pdf.rindex(b"%%EOF")) + 5]  # the file before the seal's update

    assert pdf_seal_check(unsealed) == pdf_seal_check(b"not a pdf") == pdf_seal_check(b"")
    assert not pdf_seal_check(unsealed).sealed


def test_sealing_a_pdf_costs_milliseconds(licence):
    _document, pdf = licence
    unsealed = pdf[: pdf.rindex(b"%%EOF", 0, pdf.rindex(b"%%EOF")) + 5]
    started = time.perf_counter()
    for _ in range(5):
        sealed = pdf_seal(unsealed, document_number="YWTL0")
    print(f"seal: {(time.perf_counter() - started) / 5 * 1000:.1f} ms per PDF")
    assert pdf_seal_check(sealed).sealed


def test_the_verification_page_says_unchanged_for_a_genuine_pdf_and_changed_for_a_tampered_one(client, licence):
    from django.core.files.uploadedfile import SimpleUploadedFile

    document, pdf = licence
    at = pdf.index(b"/Contents") - 200
    tampered = pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]

    genuine = client.post("/verify/", {"pdf": SimpleUploadedFile("licence.pdf", pdf, "application/pdf")})
    changed = client.post("/verify/", {"pdf": SimpleUploadedFile("licence.pdf", tampered, "application/pdf")})
    foreign = client.post("/verify/", {"pdf": SimpleUploadedFile("x.pdf", b"%PDF-1.7 nothing", "application/pdf")})
    missing = client.post("/verify/", {})

    assert (
        genuine.status_code == 200
        and "未经改动" in genuine.content.decode()
        and document.number in genuine.content.decode()
    )
    assert genuine.context["current"] is True
    assert changed.context["check"].sealed and not changed.context["check"].unchanged
    assert "已被改动" in changed.content.decode()
    assert not foreign.context["check"].sealed
    assert missing.status_code == 400


def test_uploads_from_one_address_are_limited(client, licence):
    from django.core.cache import cache
    from django.core.files.uploadedfile import SimpleUploadedFile

    cache.clear()
    for _ in range(20):
        assert client.post("/verify/", {}).status_code == 400  # counted even when no file came
    refused = client.post("/verify/", {"pdf": SimpleUploadedFile("x.pdf", licence[1], "application/pdf")})

    assert refused.status_code == 429
    cache.clear()


def test_production_needs_a_real_seal_and_no_sandbox_time_stamping(settings):
    from django.core.exceptions import ImproperlyConfigured

    from portal.platform_seal import platform_seal, timestamper

    settings.PRODUCTION, settings.SEAL_BUNDLE_FILE, settings.SEAL_TSA_URL = True, "", "sandbox"
    platform_seal.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured):
            platform_seal()
        with pytest.raises(ImproperlyConfigured):
            timestamper()
    finally:
        platform_seal.cache_clear()


def test_the_sandbox_signing_app_and_crls_are_not_served_when_the_ca_sandbox_is_off(client, settings, trader):
    from departments.trust import trust_list_sandbox_ensure

    trust_list_sandbox_ensure()
    application = trader.applications.get(kind="new_company")
    client.force_login(application.applicant)
    settings.CA_SANDBOX = False

    assert client.get("/sandbox/ca/GDCA.crl").status_code == 404
    assert client.get(f"/sandbox/sign/{application.pk}/legal_rep/").status_code == 404
