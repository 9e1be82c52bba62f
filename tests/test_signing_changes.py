"""Corrections and change registrations are signed the same way as the application (issue 17): a change is kept
as a draft until the people the signing rule names (on the record as the change leaves it: a new legal
representative signs) have signed exactly it; corrected data must be signed again before it is sent."""

import base64

import pytest

from departments.ca_sandbox import sandbox_certificate_issue, sandbox_sign
from departments.models import Filing
from departments.trust import trust_list_sandbox_ensure
from registration.models import Application, EnterpriseChange
from tests.forms_fixtures import sample
from tests.workflow import NEW_ADDRESS, Api, change, filing

pytestmark = pytest.mark.django_db

CHEN = ("陈志明", "441900199005151231")  # the trader's legal representative and first investor
LI = ("李晓燕", "441900200101012464")  # its second investor
WANG = ("王建国", "110101198001010053")  # a new legal representative


@pytest.fixture
def signing(trader, settings):
    """The licensed trader (registered while signatures were off), then signatures required."""
    trust_list_sandbox_ensure()
    settings.SIGNATURES_REQUIRED = True
    return trader


def sign(api, application_id, signer, holder, ca="GDCA"):
    document = base64.b64decode(api.get(f"/applications/{application_id}/signing").json()["document"])
    certificate = sandbox_certificate_issue(ca_code=ca, holder=holder[0], id_number=holder[1])
    cms = base64.b64encode(sandbox_sign(certificate, document)).decode()
    return api.post(f"/applications/{application_id}/signatures", {"signer": signer, "cms": cms})


FOUNDERS = (("legal_rep", CHEN), ("investors.1", LI))  # who signs the trader's forms as registered


def sign_all(api, application_id, people=FOUNDERS):
    """Each of `people` ((place in the form, (name, ID number))) signs; every signature is taken."""
    for signer, holder in people:
        signed = sign(api, application_id, signer, holder)
        assert signed.status_code == 201, (signer, signed.json())


def test_a_change_waits_as_a_draft_until_everyone_named_has_signed_it(world, signing):
    api, clerks = world
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    before = dict(signing.data)

    filed = change(api, signing, {"reg_address": NEW_ADDRESS})

    assert filed.status_code == 201, filed.json()
    assert filed.json()["state"] == "draft"
    change_id = filed.json()["id"]
    signing.refresh_from_db()
    assert signing.data == before and not Filing.objects.filter(application_id=change_id).exists()
    body = api.get(f"/applications/{change_id}/signing").json()
    assert [(s["signer"], s["name"]) for s in body["signers"]] == [("legal_rep", CHEN[0]), ("investors.1", LI[0])]
    assert body["certificates"]["accepted_by_all"] == ["CFCA", "GDCA", "NETCA"]
    signed = base64.b64decode(body["document"]).decode()
    assert signing.uscc in signed and NEW_ADDRESS in signed and '"before"' in signed

    refused = api.post(f"/applications/{change_id}/submit")
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"signatures.legal_rep", "signatures.investors.1"}
    assert Application.objects.get(pk=change_id).state == "draft"

    assert sign(api, change_id, "legal_rep", CHEN).status_code == 201
    assert sign(api, change_id, "investors.1", LI, ca="NETCA").status_code == 201
    submitted = api.post(f"/applications/{change_id}/submit")

    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "submitted"
    review = filing(change_id, "AIC")
    assert review.kind == "change_review" and review.payload["after"]["reg_address"] == NEW_ADDRESS
    assert Api(clerks["AIC"]).post(f"/filings/{review.pk}/approve").status_code == 200
    signing.refresh_from_db()
    assert signing.data["reg_address"] == NEW_ADDRESS
    update = Filing.objects.filter(application_id=change_id, kind="update").select_related("department").first()
    assert update is not None  # departments holding the address hear of it, with the change's signatures
    evidence = Api(clerks[update.department.code]).get(f"/filings/{update.pk}").json()["signatures"]
    assert [(e["signer"], e["ca"]) for e in evidence] == [("investors.1", "NETCA"), ("legal_rep", "GDCA")]


def test_a_new_legal_representative_signs_the_change_that_names_them(world, signing):
    api, _clerks = world
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    new_rep = {**signing.data["legal_rep"], "name": WANG[0], "id_number": WANG[1]}
    change_id = change(api, signing, {"legal_rep": new_rep}).json()["id"]

    body = api.get(f"/applications/{change_id}/signing").json()
    assert body["signers"][0]["signer"] == "legal_rep" and body["signers"][0]["name"] == WANG[0]

    by_outgoing = sign(api, change_id, "legal_rep", CHEN)
    assert by_outgoing.status_code == 400
    assert "ID number" in by_outgoing.json()["errors"]["legal_rep"][0]
    assert sign(api, change_id, "legal_rep", WANG).status_code == 201


def test_a_signed_change_is_void_once_the_record_moves_under_it(world, signing):
    api, _clerks = world
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    change_id = change(api, signing, {"phone": "0769-22998877"}).json()["id"]
    sign_all(api, change_id)
    signing.data = {**signing.data, "phone": "0769-22001100"}  # the register moved (another change, the feed)
    signing.save()

    refused = api.post(f"/applications/{change_id}/submit")

    assert refused.status_code == 400
    assert "signed an earlier version" in refused.json()["errors"]["signatures.legal_rep"][0]
    assert not EnterpriseChange.objects.filter(application_id=change_id).exists()
    assert api.get(f"/applications/{change_id}/signing").json()["stale"] == ["legal_rep", "investors.1"]


def test_a_change_draft_is_filed_as_a_whole_and_may_be_deleted(world, signing):
    api, _clerks = world
    change_id = change(api, signing, {"phone": "0769-22998877"}).json()["id"]

    assert api.patch(f"/applications/{change_id}", {"data": {"phone": "0769-22001100"}}).status_code == 409
    assert api.client.delete(f"/api/v1/applications/{change_id}").status_code == 204
    assert not Application.objects.filter(pk=change_id).exists()


def test_a_change_draft_is_only_its_applicants_to_sign(world, signing, outsider):
    api, _clerks = world
    change_id = change(api, signing, {"phone": "0769-22998877"}).json()["id"]

    document = base64.b64decode(api.get(f"/applications/{change_id}/signing").json()["document"])
    cms = base64.b64encode(sandbox_sign(sandbox_certificate_issue(ca_code="GDCA", holder=CHEN[0], id_number=CHEN[1]),
                                        document)).decode()  # fmt: skip
    stranger = Api(outsider)

    assert stranger.get(f"/applications/{change_id}/signing").status_code == 404
    signed = stranger.post(f"/applications/{change_id}/signatures", {"signer": "legal_rep", "cms": cms})
    assert signed.status_code == 404
    assert stranger.post(f"/applications/{change_id}/submit").status_code == 404
    assert not Application.objects.get(pk=change_id).signatures.exists()


def test_corrected_data_is_signed_again_before_it_is_sent(world, settings):
    api, clerks = world
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    trust_list_sandbox_ensure()
    settings.SIGNATURES_REQUIRED = True
    created = api.post("/applications", {"kind": "new_company", "data": sample("electronics_trader")})
    application_id = created.json()["id"]
    sign_all(api, application_id)
    assert api.post(f"/applications/{application_id}/submit").status_code == 200
    asked = Api(clerks["AIC"]).post(
        f"/filings/{filing(application_id, 'AIC').pk}/request-correction",
        {"items": ["phone"], "reason": "电话无法接通"},
    )
    assert asked.status_code == 200, asked.json()
    assert api.patch(f"/applications/{application_id}", {"data": {"phone": "0769-22998877"}}).status_code == 200

    refused = api.post(f"/applications/{application_id}/submit")
    assert refused.status_code == 400
    assert "signed an earlier version" in refused.json()["errors"]["signatures.legal_rep"][0]
    sign_all(api, application_id)
    resent = api.post(f"/applications/{application_id}/submit")

    assert resent.status_code == 200, resent.json()
    assert "0769-22998877" in str(filing(application_id, "AIC").payload)


def _sign_in_the_app(client, application_id, signer, holder):
    certificate = sandbox_certificate_issue(ca_code="CFCA", holder=holder[0], id_number=holder[1])
    response = client.post(f"/sandbox/sign/{application_id}/{signer}/", {"certificate": certificate.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def test_the_change_page_keeps_a_draft_that_is_signed_in_the_app_and_submitted(world, signing, client, settings):
    settings.CA_SANDBOX = True
    client.force_login(signing.owner)

    filed = client.post(f"/enterprises/{signing.uscc}/change/", {"phone": "0769-22998877"}, HTTP_ACCEPT_LANGUAGE="en")

    change_id = Application.objects.get(kind="change", enterprise=signing).pk
    assert filed.status_code == 302 and filed["Location"] == f"/applications/{change_id}/"
    page = client.get(filed["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "saved as a draft" in page and 'id="change-draft-note"' in page
    assert f'href="/sandbox/sign/{change_id}/legal_rep/"' in page and 'id="submit-change-draft"' in page
    assert "not signed yet" in page

    early = client.post(f"/applications/{change_id}/review/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "has not signed yet" in early.content.decode()
    assert Application.objects.get(pk=change_id).state == "draft"

    back = _sign_in_the_app(client, change_id, "legal_rep", CHEN)
    assert back["Location"] == f"/applications/{change_id}/#signing"
    _sign_in_the_app(client, change_id, "investors.1", LI)
    submitted = client.post(f"/applications/{change_id}/review/", HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert "Change registered" in submitted.content.decode()
    signing.refresh_from_db()
    assert signing.data["phone"] == "0769-22998877"
    assert client.get(f"/applications/{change_id}/form/company/").status_code == 302  # no form pages


def test_a_correction_saved_in_the_page_asks_for_signatures_then_is_sent(world, settings, client):
    api, clerks = world
    trust_list_sandbox_ensure()
    settings.SIGNATURES_REQUIRED = True
    settings.CA_SANDBOX = True
    created = api.post("/applications", {"kind": "new_company", "data": sample("electronics_trader")})
    application_id = created.json()["id"]
    sign_all(api, application_id)
    assert api.post(f"/applications/{application_id}/submit").status_code == 200
    Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/request-correction",
                            {"items": ["phone"], "reason": "电话无法接通"})  # fmt: skip
    client.force_login(Application.objects.get(pk=application_id).applicant)

    saved = client.post(f"/applications/{application_id}/correct/", {"phone": "0769-22998877"},
                        HTTP_ACCEPT_LANGUAGE="en", follow=True)  # fmt: skip

    page = saved.content.decode()
    assert "Your corrections are saved" in page and 'id="signing"' in page and "signed an earlier version" in page
    assert Application.objects.get(pk=application_id).data["phone"] == "0769-22998877"
    assert _sign_in_the_app(client, application_id, "legal_rep", CHEN)["Location"].endswith("#signing")
    _sign_in_the_app(client, application_id, "investors.1", LI)
    sent = client.post(f"/applications/{application_id}/correct/", {"phone": "0769-22998877"},
                       HTTP_ACCEPT_LANGUAGE="en", follow=True)  # fmt: skip

    assert "Corrections sent" in sent.content.decode()
    assert Application.objects.get(pk=application_id).state != "correction_requested"


def test_a_signature_counts_only_for_the_person_who_made_it_not_the_place_in_the_form(world, signing):
    # A change's document names the items, not the people: when the legal representative changes between signing and
    # submit, the signature made at `legal_rep` by the outgoing one does not count for the incoming one.
    api, clerks = world
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    phone_change = change(api, signing, {"phone": "0769-22998877"}).json()["id"]
    sign_all(api, phone_change)
    new_rep = {**signing.data["legal_rep"], "name": WANG[0], "id_number": WANG[1]}
    rep_change = change(api, signing, {"legal_rep": new_rep}).json()["id"]
    sign_all(api, rep_change, (("legal_rep", WANG), ("investors.0", CHEN), ("investors.1", LI)))  # 陈志明: investor
    assert api.post(f"/applications/{rep_change}/submit").status_code == 200
    assert Api(clerks["AIC"]).post(f"/filings/{filing(rep_change, 'AIC').pk}/approve").status_code == 200

    status = api.get(f"/applications/{phone_change}/signing").json()
    refused = api.post(f"/applications/{phone_change}/submit")

    assert status["signers"][0]["name"] == WANG[0] and not status["signers"][0]["signed"]
    # 王建国 signs as the legal representative; 陈志明, now only an investor, signs at his new place too.
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"signatures.legal_rep", "signatures.investors.0"}
    assert not EnterpriseChange.objects.filter(application_id=phone_change).exists()


def test_the_later_submitted_of_two_changes_is_the_current_record(world, signing):
    # Drafted first, submitted last: its value is what the departments heard last, so it is the current one.
    api, _clerks = world
    first = change(api, signing, {"bank_account": "44001234567890"})  # a department's item, not the register's
    assert first.status_code == 201, first.json()
    second = change(api, signing, {"bank_account": "44009999999999"}).json()["id"]
    for change_id in (second, first.json()["id"]):
        sign_all(api, change_id)
        assert api.post(f"/applications/{change_id}/submit").status_code == 200, change_id

    from registration.selectors import enterprise_current_data

    assert enterprise_current_data(signing)["bank_account"] == "44001234567890"


def test_a_signature_whose_certificate_was_revoked_since_shows_as_to_sign_again(world, signing):
    from departments.ca_sandbox import sandbox_revoke
    from departments.models import CertificateAuthority
    from departments.trust import ca_crl_refresh

    api, _clerks = world
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    change_id = change(api, signing, {"phone": "0769-22998877"}).json()["id"]
    document = base64.b64decode(api.get(f"/applications/{change_id}/signing").json()["document"])
    chen = sandbox_certificate_issue(ca_code="NETCA", holder=CHEN[0], id_number=CHEN[1])
    cms = base64.b64encode(sandbox_sign(chen, document)).decode()
    assert api.post(f"/applications/{change_id}/signatures", {"signer": "legal_rep", "cms": cms}).status_code == 201
    sandbox_revoke(chen)
    ca_crl_refresh(CertificateAuthority.objects.get(code="NETCA", is_active=True))

    legal_rep = api.get(f"/applications/{change_id}/signing").json()["signers"][0]

    assert not legal_rep["signed"] and "revoked after signing" in legal_rep["lapsed"]


def test_an_application_of_a_kind_that_belongs_to_an_enterprise_cannot_be_created_directly(world):
    api, _clerks = world
    for kind in ("change", "archive_copy"):
        response = api.post("/applications", {"kind": kind, "data": {}})
        assert response.status_code == 400 and "kind" in response.json()["errors"]
