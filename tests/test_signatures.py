"""Electronic signatures verified by the platform (issue 17): a signature from each trusted demo CA is accepted;
an untrusted CA, an expired or revoked certificate, an encryption certificate, another person's certificate, a
changed document and an SM2 signature are each refused with their own translated reason. Pure: no database."""

import datetime as dt
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils import translation

from departments.ca_sandbox import ca_create, cms_sign, crl_issue, person_certificate_issue
from departments.signatures import SignatureCheck, TrustAnchor, signature_verify

NOW = dt.datetime.now(dt.UTC)
CHEN = ("陈志明", "441900199005151231")
LI = ("李娜", "441900198704160028")
DATA = "东莞市华信电子贸易有限公司 的设立登记：规范化的提交内容".encode()


def der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def world():
    cas = {
        code: ca_create(name=f"演示CA {code}", organisation=f"{code} 演示", now=NOW)
        for code in ("GDCA", "NETCA", "CFCA")
    }
    rogue = ca_create(name="演示CA 未受信任", organisation="无名", now=NOW)
    people = {
        code: person_certificate_issue(ca, name=CHEN[0], id_number=CHEN[1], crl_url=f"http://127.0.0.1/ca/{code}.crl",
                                       not_before=NOW - dt.timedelta(hours=1))
        for code, ca in cas.items()
    }  # fmt: skip
    revoked = person_certificate_issue(cas["GDCA"], name=LI[0], id_number=LI[1], crl_url="http://x/crl",
                                       not_before=NOW - dt.timedelta(hours=1))  # fmt: skip
    gdca_revoked = {revoked.cert.serial_number: NOW - dt.timedelta(minutes=5)}
    crls = {
        code: crl_issue(ca, revoked=gdca_revoked if code == "GDCA" else {}, number=1, now=NOW)
        for code, ca in cas.items()
    }
    return {"cas": cas, "rogue": rogue, "people": people, "revoked": revoked, "crls": crls}


def verify(world, holder, ca_pem, *, data=DATA, signed=DATA, id_number=CHEN[1]) -> SignatureCheck:
    signature = cms_sign(holder, signed, chain=[ca_pem], signing_time=NOW)
    anchors = [TrustAnchor(code, der(ca.cert_pem)) for code, ca in world["cas"].items()]
    return signature_verify(
        data=data, cms_der=signature, id_number=id_number, anchors=anchors, crls=list(world["crls"].values())
    )


@pytest.mark.parametrize("code", ["GDCA", "NETCA", "CFCA"])
def test_a_signature_from_each_trusted_ca_is_accepted_with_its_evidence(world, code):
    check = verify(world, world["people"][code], world["cas"][code].cert_pem)

    assert check.accepted, check.problem
    assert (check.ca_code, check.holder, check.id_number) == (code, CHEN[0], CHEN[1])
    assert check.serial == format(world["people"][code].cert.serial_number, "X")
    assert check.signing_time is not None and abs(check.signing_time - NOW) < dt.timedelta(seconds=1)


def test_a_certificate_from_an_untrusted_ca_is_refused(world):
    rogue = world["rogue"]
    holder = person_certificate_issue(rogue, name=CHEN[0], id_number=CHEN[1], crl_url="http://x/crl",
                                      not_before=NOW - dt.timedelta(hours=1))  # fmt: skip
    with translation.override("en"):
        check = verify(world, holder, rogue.cert_pem)

    assert not check.accepted and "not accepted" in check.problem


def test_an_expired_certificate_is_refused(world):
    ca = world["cas"]["NETCA"]
    expired = person_certificate_issue(ca, name=CHEN[0], id_number=CHEN[1], crl_url="http://x/crl",
                                       not_before=NOW - dt.timedelta(days=3), days=1)  # fmt: skip
    with translation.override("en"):
        check = verify(world, expired, ca.cert_pem)

    assert not check.accepted and "not valid now" in check.problem


def test_a_revoked_certificate_is_refused(world):
    with translation.override("en"):
        check = verify(world, world["revoked"], world["cas"]["GDCA"].cert_pem, id_number=LI[1])

    assert not check.accepted and "revoked" in check.problem


def test_an_encryption_certificate_cannot_sign(world):
    ca = world["cas"]["CFCA"]
    encryption = person_certificate_issue(ca, name=CHEN[0], id_number=CHEN[1], crl_url="http://x/crl",
                                          not_before=NOW - dt.timedelta(hours=1), signing=False)  # fmt: skip
    with translation.override("en"):
        check = verify(world, encryption, ca.cert_pem)

    assert not check.accepted and "key usage" in check.problem


def test_another_persons_certificate_is_refused_without_showing_their_id_number(world):
    with translation.override("en"):
        check = verify(world, world["people"]["GDCA"], world["cas"]["GDCA"].cert_pem, id_number=LI[1])

    assert not check.accepted and "another person" in check.problem
    assert CHEN[1] not in check.problem and CHEN[1][-4:] in check.problem


def test_a_document_changed_after_signing_is_refused(world):
    with translation.override("en"):
        check = verify(world, world["people"]["GDCA"], world["cas"]["GDCA"].cert_pem, data=DATA + b" ")

    assert not check.accepted and "changed after signing" in check.problem


def test_garbage_is_refused_not_crashed(world):
    anchors = [TrustAnchor("GDCA", der(world["cas"]["GDCA"].cert_pem))]

    garbage = signature_verify(data=DATA, cms_der=b"\x30\x03\x02\x01\x01", id_number=CHEN[1], anchors=anchors, crls=[])

    assert not garbage.accepted and garbage.problem


def test_the_reasons_are_translated(world):
    with translation.override("zh-hans"):
        check = verify(world, world["revoked"], world["cas"]["GDCA"].cert_pem, id_number=LI[1])

    assert "吊销" in check.problem


def test_signing_and_verifying_one_signature_costs_milliseconds(world):
    """Measured, not a speed target (the note reports it): one CAdES signature and its full verification."""
    ca = world["cas"]["GDCA"]
    started = time.perf_counter()
    for _ in range(5):
        check = verify(world, world["people"]["GDCA"], ca.cert_pem)
    per_signature_ms = (time.perf_counter() - started) / 5 * 1000
    assert check.accepted
    print(f"sign + verify: {per_signature_ms:.1f} ms per signature")
