"""Signing an application through the API (issue 17): the document and who signs it, a signature from each
trusted demo CA accepted, each kind of bad signature refused with 400 naming the signer, a change of the data
voiding the signatures (and saying so), and submit waiting for every signature when signatures are required."""

import base64

import pytest
from django.test import override_settings

from departments.ca_sandbox import sandbox_certificate_issue, sandbox_revoke, sandbox_sign
from departments.models import CertificateAuthority, Department, SandboxCertificate
from departments.trust import ca_crl_refresh, trust_list_sandbox_ensure
from registration.models import SigningRule
from tests.forms_fixtures import sample
from tests.workflow import Api

pytestmark = pytest.mark.django_db

CHEN = ("陈志明", "441900199005151231")  # the trader's legal representative and first investor
LI = ("李晓燕", "441900200101012464")  # its second investor


@pytest.fixture
def draft(seeded, applicant):
    trust_list_sandbox_ensure()
    api = Api(applicant)
    response = api.post("/applications", {"kind": "new_company", "data": sample("electronics_trader")})
    assert response.status_code == 201, response.json()
    return api, response.json()["id"]


def sign(api, application_id, signer, holder, ca="GDCA", **issue):
    document = base64.b64decode(api.get(f"/applications/{application_id}/signing").json()["document"])
    certificate = sandbox_certificate_issue(ca_code=ca, holder=holder[0], id_number=holder[1], **issue)
    cms = base64.b64encode(sandbox_sign(certificate, document)).decode()
    return api.post(f"/applications/{application_id}/signatures", {"signer": signer, "cms": cms})


def test_the_signing_document_names_who_signs_and_the_certificates_accepted_everywhere(draft):
    api, application_id = draft

    body = api.get(f"/applications/{application_id}/signing").json()

    assert [(s["signer"], s["name"], s["signed"]) for s in body["signers"]] == [
        ("legal_rep", CHEN[0], False),
        ("investors.1", LI[0], False),
    ]  # fmt: skip  — 陈志明 is also investor 0: he signs once
    assert body["certificates"]["accepted_by_all"] == ["CFCA", "GDCA", "NETCA"]
    assert len(body["certificates"]["by_department"]) == 13
    assert base64.b64decode(body["document"]).startswith(b"{")


@pytest.mark.parametrize("ca", ["GDCA", "NETCA", "CFCA"])
def test_a_signature_from_each_trusted_demo_ca_is_accepted(draft, ca):
    api, application_id = draft

    response = sign(api, application_id, "legal_rep", CHEN, ca=ca)

    assert response.status_code == 201, response.json()
    assert response.json()["ca"] == ca
    signers = api.get(f"/applications/{application_id}/signing").json()["signers"]
    assert signers[0]["signed"] and signers[0]["ca"] == ca and not signers[1]["signed"]


@pytest.mark.parametrize(
    "case, issue, words",
    [
        ("untrusted", {"ca": "ROGUE"}, "not accepted"),
        ("expired", {"days": 1, "not_before": "3 days ago"}, "not valid now"),
        ("encryption", {"signing": False}, "key usage"),
        ("another person", {"holder": LI}, "another person"),
    ],
)
def test_a_bad_signature_is_refused_naming_the_signer(draft, case, issue, words):
    import datetime as dt

    from django.utils import timezone

    api, application_id = draft
    holder = issue.pop("holder", CHEN)
    if issue.get("not_before") == "3 days ago":
        issue["not_before"] = timezone.now() - dt.timedelta(days=3)
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = sign(api, application_id, "legal_rep", holder, **issue)

    assert response.status_code == 400
    assert CHEN[0] in response.json()["detail"] and words in response.json()["errors"]["legal_rep"][0]


def test_a_revoked_certificate_is_refused(draft):
    api, application_id = draft
    document = base64.b64decode(api.get(f"/applications/{application_id}/signing").json()["document"])
    certificate = sandbox_certificate_issue(ca_code="NETCA", holder=CHEN[0], id_number=CHEN[1])
    sandbox_revoke(certificate)
    ca_crl_refresh(CertificateAuthority.objects.get(code="NETCA", is_active=True))
    cms = base64.b64encode(sandbox_sign(certificate, document)).decode()
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = api.post(f"/applications/{application_id}/signatures", {"signer": "legal_rep", "cms": cms})

    assert response.status_code == 400 and "revoked" in response.json()["errors"]["legal_rep"][0]


def test_a_signature_over_other_bytes_is_refused(draft):
    api, application_id = draft
    certificate = sandbox_certificate_issue(ca_code="GDCA", holder=CHEN[0], id_number=CHEN[1])
    cms = base64.b64encode(sandbox_sign(certificate, b"something else")).decode()
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = api.post(f"/applications/{application_id}/signatures", {"signer": "legal_rep", "cms": cms})

    assert response.status_code == 400 and "changed after signing" in response.json()["errors"]["legal_rep"][0]


def test_changing_the_data_voids_the_signatures_and_says_so(draft):
    api, application_id = draft
    assert sign(api, application_id, "legal_rep", CHEN).status_code == 201

    api.patch(f"/applications/{application_id}", {"data": {"phone": "0769-22998877"}})
    body = api.get(f"/applications/{application_id}/signing").json()

    assert not body["signers"][0]["signed"] and body["stale"] == ["legal_rep"]


@override_settings(SIGNATURES_REQUIRED=True)
def test_submit_waits_for_every_signature_when_they_are_required(draft):
    api, application_id = draft
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    refused = api.post(f"/applications/{application_id}/submit")
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"signatures.legal_rep", "signatures.investors.1"}
    assert sign(api, application_id, "legal_rep", CHEN).status_code == 201
    assert sign(api, application_id, "investors.1", LI, ca="CFCA").status_code == 201

    submitted = api.post(f"/applications/{application_id}/submit")

    assert submitted.status_code == 200, submitted.json()


def test_a_department_accepting_only_some_cas_refuses_others_early(draft):
    api, application_id = draft
    Department.objects.filter(code="CUSTOMS").update(accepted_ca_codes=["CFCA"])
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    advice = api.get(f"/applications/{application_id}/signing").json()["certificates"]
    refused = sign(api, application_id, "legal_rep", CHEN, ca="GDCA")

    assert advice["accepted_by_all"] == ["CFCA"]
    assert refused.status_code == 400 and "Customs" in refused.json()["errors"]["legal_rep"][0]
    assert sign(api, application_id, "legal_rep", CHEN, ca="CFCA").status_code == 201


def test_a_signing_rule_is_data(draft):
    api, application_id = draft
    SigningRule.objects.create(entity_type="llc_natural_controlled", signers=["legal_rep"])

    signers = api.get(f"/applications/{application_id}/signing").json()["signers"]

    assert [s["signer"] for s in signers] == ["legal_rep"]
    assert SandboxCertificate.objects.count() == 0  # nothing issued by asking


@override_settings(SIGNATURES_REQUIRED=True)
def test_departments_see_the_signature_evidence_of_what_was_submitted(draft, django_capture_on_commit_callbacks):
    from departments.models import Filing
    from portal.models import Role, User

    api, application_id = draft
    assert sign(api, application_id, "legal_rep", CHEN).status_code == 201
    assert sign(api, application_id, "investors.1", LI, ca="NETCA").status_code == 201
    assert api.post(f"/applications/{application_id}/submit").status_code == 200
    aic = Filing.objects.get(application_id=application_id, department__code="AIC")
    clerk = User.objects.create_user(username="aic_clerk_sig", password="x-pass-1234", role=Role.CLERK,
                                     department=aic.department)  # fmt: skip

    evidence = Api(clerk).get(f"/filings/{aic.pk}").json()["signatures"]
    page = Api(clerk).client.get(f"/workbench/filings/{aic.pk}/").content.decode()

    assert [(e["signer"], e["ca"]) for e in evidence] == [("investors.1", "NETCA"), ("legal_rep", "GDCA")]
    assert all(e["serial"] and e["verified_at"] for e in evidence)
    assert 'id="signature-evidence"' in page and "NETCA" in page


@override_settings(SIGNATURES_REQUIRED=True)
def test_a_delivery_carries_the_platforms_seal_on_the_payload_and_the_signatures(draft):
    import json

    from asn1crypto import cms
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign.validation import validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    from departments.adapters import Delivery
    from departments.adapters.http import HttpAdapter, canonical_json
    from portal.platform_seal import platform_seal

    api, application_id = draft
    sign(api, application_id, "legal_rep", CHEN)
    sign(api, application_id, "investors.1", LI)
    assert api.post(f"/applications/{application_id}/submit").status_code == 200
    sent = {}

    class Answer:
        status_code = 202
        text = ""

        def json(self):
            return {"reference": "R-1"}

    def post(url, data, **kwargs):
        sent["body"] = json.loads(data)
        return Answer()

    from unittest import mock

    from departments.filings import _signature_evidence
    from departments.models import Filing

    aic = Filing.objects.get(application_id=application_id, department__code="AIC")
    payload = {"纳税人名称": "东莞市华信电子贸易有限公司"}
    delivery = Delivery(filing_id=aic.pk, department="AIC", round=1, payload=payload, payload_hash="x", form_version=1,
                        config={"endpoint": "http://127.0.0.1:9/x"}, secret="s",
                        signatures=_signature_evidence(aic))  # fmt: skip
    with mock.patch("departments.adapters.http._session") as session:
        session.return_value.post.side_effect = post
        HttpAdapter().deliver(delivery)

    body = sent["body"]
    assert [s["signer"] for s in body["signatures"]] == ["investors.1", "legal_rep"]
    seal = platform_seal()
    root = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(seal.root_pem).public_bytes(serialization.Encoding.DER)
    )
    signed = cms.ContentInfo.load(__import__("base64").b64decode(body["payload_seal"]))["content"]
    status = validate_detached_cms(canonical_json(body["payload"]), signed,
                                   signer_validation_context=ValidationContext(trust_roots=[root]))  # fmt: skip
    assert status.intact and status.valid and status.trusted
    tampered = validate_detached_cms(canonical_json({**body["payload"], "x": 1}), signed,
                                     signer_validation_context=ValidationContext(trust_roots=[root]))  # fmt: skip
    assert not tampered.intact


@override_settings(SIGNATURES_REQUIRED=True)
def test_when_no_one_ca_serves_all_departments_each_signer_signs_once_per_ca_of_the_smallest_set(draft):
    api, application_id = draft
    Department.objects.filter(code="CUSTOMS").update(accepted_ca_codes=["CFCA"])
    Department.objects.filter(code="NTAX").update(accepted_ca_codes=["GDCA"])
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    advice = api.get(f"/applications/{application_id}/signing").json()["certificates"]
    assert advice["accepted_by_all"] == [] and sorted(advice["smallest_set"]) == ["CFCA", "GDCA"]
    assert sign(api, application_id, "legal_rep", CHEN, ca="ROGUE").status_code == 400  # not on the trust list
    assert sign(api, application_id, "legal_rep", CHEN, ca="GDCA").status_code == 201
    halfway = api.post(f"/applications/{application_id}/submit")
    assert halfway.status_code == 400 and "Customs" in halfway.json()["errors"]["signatures.legal_rep"][0]
    for person, path in ((CHEN, "legal_rep"), (LI, "investors.1")):
        assert sign(api, application_id, path, person, ca="CFCA").status_code == 201
    assert sign(api, application_id, "investors.1", LI, ca="GDCA").status_code == 201

    signers = api.get(f"/applications/{application_id}/signing").json()["signers"]
    submitted = api.post(f"/applications/{application_id}/submit")

    assert [sorted(s["cas"]) for s in signers] == [["CFCA", "GDCA"], ["CFCA", "GDCA"]]
    assert submitted.status_code == 200, submitted.json()


def test_a_signing_rule_names_only_people_of_the_form(seeded):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        SigningRule(entity_type="llc_natural_sole", signers=["legal_rep.x"]).full_clean()
    with pytest.raises(ValidationError):
        SigningRule(entity_type="llc_natural_sole", signers=[]).full_clean()
    SigningRule(entity_type="llc_natural_sole", signers=["legal_rep", "investors"]).full_clean()


def test_a_signer_typed_in_full_width_digits_is_matched_in_the_canonical_spelling(draft):
    api, application_id = draft
    data = sample("electronics_trader")["legal_rep"]
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in data["id_number"])
    api.patch(f"/applications/{application_id}", {"data": {"legal_rep": {**data, "id_number": wide}}})

    signers = api.get(f"/applications/{application_id}/signing").json()["signers"]

    assert signers[0]["id_number_tail"] == CHEN[1][-4:]
    assert sign(api, application_id, "legal_rep", CHEN).status_code == 201


@override_settings(SIGNATURES_REQUIRED=True)
def test_a_certificate_revoked_between_signing_and_submit_no_longer_counts(draft):
    api, application_id = draft
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    document = base64.b64decode(api.get(f"/applications/{application_id}/signing").json()["document"])
    chen = sandbox_certificate_issue(ca_code="NETCA", holder=CHEN[0], id_number=CHEN[1])
    cms = base64.b64encode(sandbox_sign(chen, document)).decode()
    signed = api.post(f"/applications/{application_id}/signatures", {"signer": "legal_rep", "cms": cms})
    assert signed.status_code == 201
    assert sign(api, application_id, "investors.1", LI).status_code == 201
    sandbox_revoke(chen)
    ca_crl_refresh(CertificateAuthority.objects.get(code="NETCA", is_active=True))

    refused = api.post(f"/applications/{application_id}/submit")

    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"signatures.legal_rep"}
    assert "revoked after signing" in refused.json()["errors"]["signatures.legal_rep"][0]
    assert sign(api, application_id, "legal_rep", CHEN, ca="GDCA").status_code == 201
    assert api.post(f"/applications/{application_id}/submit").status_code == 200


@override_settings(SIGNATURES_REQUIRED=True)
def test_a_ca_taken_off_the_trust_list_after_signing_no_longer_counts(draft):
    from departments.trust import trust_list_revise

    api, application_id = draft
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert sign(api, application_id, "legal_rep", CHEN, ca="CFCA").status_code == 201
    assert sign(api, application_id, "investors.1", LI, ca="GDCA").status_code == 201
    from django.utils import timezone

    ended = timezone.now() - timezone.timedelta(minutes=1)
    trust_list_revise(ca=CertificateAuthority.objects.get(code="CFCA", is_active=True), valid_until=ended)

    refused = api.post(f"/applications/{application_id}/submit")

    assert refused.status_code == 400
    assert "no longer on the platform's trust list" in refused.json()["errors"]["signatures.legal_rep"][0]
