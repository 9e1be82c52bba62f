"""The trust list and the CA sandbox (issue 17): demo CAs on the list, CRLs fetched and checked against the root,
revocation taking effect, each department's accepted CAs changing the "fewest certificates" advice, and a
signature some routed department cannot accept refused early, naming it."""

import pytest
from django.utils import translation

from departments.ca_sandbox import sandbox_certificate_issue, sandbox_revoke, sandbox_sign
from departments.models import CertificateAuthority, Department, SandboxCertificateAuthority
from departments.trust import (
    ca_crl_refresh,
    certificate_advice,
    signature_check,
    trust_list_revise,
    trust_list_sandbox_ensure,
    trusted_cas,
)
from portal.errors import PortalError

pytestmark = pytest.mark.django_db

CHEN = ("陈志明", "441900199005151231")
DATA = b"canonical bytes of an application"
TRADER = ["AIC", "NTAX", "LTAX", "PSB", "HRSS", "SI", "HPF", "STATS", "PBOC", "COMMERCE", "CUSTOMS", "CIQ", "SAFE"]


@pytest.fixture
def sandbox(seeded):
    trust_list_sandbox_ensure()


def signed_by(ca_code: str, **issue) -> bytes:
    certificate = sandbox_certificate_issue(ca_code=ca_code, holder=CHEN[0], id_number=CHEN[1], **issue)
    return sandbox_sign(certificate, DATA)


def test_the_sandbox_makes_three_trusted_cas_and_one_untrusted(sandbox):
    assert sorted(SandboxCertificateAuthority.objects.values_list("code", flat=True)) == [
        "CFCA", "GDCA", "NETCA", "ROGUE"
    ]  # fmt: skip
    assert sorted(ca.code for ca in trusted_cas()) == ["CFCA", "GDCA", "NETCA"]
    assert trust_list_sandbox_ensure() == []  # again: nothing new


@pytest.mark.parametrize("code", ["GDCA", "NETCA", "CFCA"])
def test_a_sandbox_signature_from_each_trusted_ca_is_accepted(sandbox, code):
    check = signature_check(data=DATA, cms_der=signed_by(code), id_number=CHEN[1], department_codes=TRADER)

    assert check.accepted, check.problem
    assert check.ca_code == code and check.holder == CHEN[0]


def test_the_untrusted_sandbox_ca_is_refused(sandbox):
    with translation.override("en"):
        check = signature_check(data=DATA, cms_der=signed_by("ROGUE"), id_number=CHEN[1], department_codes=TRADER)

    assert not check.accepted and "not accepted" in check.problem


def test_a_revoked_certificate_is_refused_once_the_crl_is_fetched_again(sandbox):
    certificate = sandbox_certificate_issue(ca_code="GDCA", holder=CHEN[0], id_number=CHEN[1])
    cms_der = sandbox_sign(certificate, DATA)
    assert signature_check(data=DATA, cms_der=cms_der, id_number=CHEN[1], department_codes=TRADER).accepted

    sandbox_revoke(certificate)
    assert ca_crl_refresh(CertificateAuthority.objects.get(code="GDCA", is_active=True))
    with translation.override("en"):
        check = signature_check(data=DATA, cms_der=cms_der, id_number=CHEN[1], department_codes=TRADER)

    assert not check.accepted and "revoked" in check.problem


def test_a_crl_not_signed_by_the_roots_key_is_not_kept(sandbox):
    gdca = CertificateAuthority.objects.get(code="GDCA", is_active=True)
    rogue_url = gdca.crl_urls[0].replace("GDCA", "ROGUE")
    gdca.crl_urls = [rogue_url]
    gdca.save()

    assert ca_crl_refresh(gdca) is False
    assert gdca.crl_der is None


def test_no_department_naming_cas_means_any_listed_ca_serves_all(sandbox):
    advice = certificate_advice(TRADER)

    assert advice.by_all == ["CFCA", "GDCA", "NETCA"] and advice.smallest_set == ["CFCA"]
    assert len(advice.accepted) == 13


def test_a_departments_own_list_changes_the_advice_and_refuses_early(sandbox):
    from departments.trust import uncovered_departments

    Department.objects.filter(code="NTAX").update(accepted_ca_codes=["GDCA", "NETCA"])
    Department.objects.filter(code="CUSTOMS").update(accepted_ca_codes=["NETCA", "CFCA"])

    assert certificate_advice(TRADER).by_all == ["NETCA"]
    with translation.override("en"):  # one CA would serve all: another that leaves some out is refused at once
        check = signature_check(data=DATA, cms_der=signed_by("GDCA"), id_number=CHEN[1], department_codes=TRADER)
    assert not check.accepted and "Customs" in check.problem and "NETCA" in check.problem
    Department.objects.filter(code="CUSTOMS").update(accepted_ca_codes=["CFCA"])
    advice = certificate_advice(TRADER)
    assert advice.by_all == [] and sorted(advice.smallest_set) == ["CFCA", "GDCA"]
    # No single CA serves all: a GDCA signature is one of the two each signer makes, and leaves Customs out.
    check = signature_check(data=DATA, cms_der=signed_by("GDCA"), id_number=CHEN[1], department_codes=TRADER)
    assert check.accepted and uncovered_departments(["GDCA"], advice) == ["CUSTOMS"]


def test_revising_an_entry_keeps_the_old_version(sandbox):
    gdca = CertificateAuthority.objects.get(code="GDCA", is_active=True)

    successor = trust_list_revise(ca=gdca, name_en="GDCA (demo, renamed)")

    assert successor.version == 2 and successor.is_active
    assert CertificateAuthority.objects.get(pk=gdca.pk).is_active is False
    with pytest.raises(PortalError):
        trust_list_revise(ca=successor, root_pem="-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----")


def test_an_admin_keeps_the_trust_list_and_others_cannot(client, sandbox, admin_user, applicant):
    gdca = CertificateAuthority.objects.get(code="GDCA", is_active=True)
    client.force_login(applicant)
    assert client.get("/admin/departments/certificateauthority/").status_code == 302  # to the admin's login

    client.force_login(admin_user)

    assert client.get("/admin/departments/certificateauthority/").status_code == 200
    assert client.get(f"/admin/departments/certificateauthority/{gdca.pk}/change/").status_code == 200
    assert client.get("/admin/departments/certificateauthority/add/").status_code == 200


def test_the_start_page_says_up_front_which_certificate_serves_all_the_departments(client, sandbox):
    page = client.get("/start/", {"import_export": "true", "industry_code": "5179"}, HTTP_ACCEPT_LANGUAGE="en")

    advice = page.context["preview"]["certificates"]
    assert advice.by_all == ["CFCA", "GDCA", "NETCA"] and len(advice.accepted) == 13
    assert "accepted by all 13 of your departments" in page.content.decode()
    Department.objects.filter(code="CUSTOMS").update(accepted_ca_codes=["CFCA"])
    Department.objects.filter(code="NTAX").update(accepted_ca_codes=["GDCA"])
    narrowed = client.get(
        "/start/preview/", {"import_export": "true", "industry_code": "5179"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "certificates from CFCA + GDCA" in narrowed.content.decode()


def test_an_older_crl_replayed_is_not_kept_over_a_newer_one(sandbox, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from departments import trust
    from departments.ca_sandbox import Issued, crl_issue

    gdca = CertificateAuthority.objects.get(code="GDCA", is_active=True)
    assert ca_crl_refresh(gdca)
    kept = bytes(gdca.crl_der)
    ca = SandboxCertificateAuthority.objects.get(code="GDCA")
    older = crl_issue(Issued(ca.key_pem.encode(), ca.cert_pem.encode()), revoked={}, number=1,
                      now=timezone.now() - dt.timedelta(hours=2))  # fmt: skip
    monkeypatch.setattr(trust, "_crl_download", lambda url: older)

    assert ca_crl_refresh(gdca) is False
    gdca.refresh_from_db()
    assert bytes(gdca.crl_der) == kept


def test_a_department_no_listed_ca_serves_gets_no_advice_rather_than_a_long_search(sandbox):
    Department.objects.filter(code="CUSTOMS").update(accepted_ca_codes=["NOT-LISTED"])

    advice = certificate_advice(TRADER)

    assert advice.by_all == [] and advice.smallest_set == [] and advice.accepted["CUSTOMS"] == []
