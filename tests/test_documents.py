"""Printed documents: the licence copy and the receipt carry the facts, a CJK font, and a QR code to the public
verification page, which tells genuine, current and superseded documents apart."""

import shutil
import subprocess
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from registration.documents import amount_in_chinese
from registration.models import Enterprise, IssuedDocument
from tests.workflow import Api, all_by_clerk_queue, deliver_all, filing, make_clerks, submitted_trader


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("2130000", "贰佰壹拾叁万元整"),
        ("5000000", "伍佰万元整"),
        ("100000000", "壹亿元整"),
        ("1005", "壹仟零伍元整"),
        ("1010000", "壹佰零壹万元整"),
        ("100001", "壹拾万零壹元整"),
        ("10.50", "壹拾元伍角"),
        ("0.05", "伍分"),
        ("0", "零元整"),
        ("12345678.90", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角"),
    ],
)
def test_amounts_in_chinese_capital_numerals(amount, words):
    assert amount_in_chinese(Decimal(amount)) == words


@pytest.fixture
def licensed(seeded, applicant, django_capture_on_commit_callbacks):
    all_by_clerk_queue()
    clerks = make_clerks()
    api = Api(applicant)
    application_id = submitted_trader(api)
    deliver_all()
    Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/approve")
    return api, application_id


def _pdf(api, application_id, kind):
    response = api.client.get(f"/api/v1/applications/{application_id}/documents/{kind}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return response.content


def _qr_text(pdf: bytes, tmp_path) -> str:
    (tmp_path / "doc.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", "doc.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    results = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    assert results, "no QR code found on the first page"
    return results[0].text


@pytest.mark.django_db
def test_licence_pdf_has_the_facts_a_cjk_font_and_a_working_qr(licensed, tmp_path):
    api, application_id = licensed
    enterprise = Enterprise.objects.get()

    pdf = _pdf(api, application_id, "licence")

    reader = PdfReader(BytesIO(pdf))
    text = reader.pages[0].extract_text()
    assert enterprise.name_zh in text and enterprise.uscc in text
    assert "213万元" in text and "贰佰壹拾叁万元整" in text and "东莞市市场监督管理局" in text
    fonts = {str(f.get_object()["/BaseFont"]) for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts and all("CJK" in name for name in fonts)
    document = IssuedDocument.objects.get(kind="licence")
    assert _qr_text(pdf, tmp_path).endswith(f"/verify/{document.number}/")
    (Path(__file__).resolve().parent.parent / "test-artifacts").mkdir(exist_ok=True)
    shutil.copy(tmp_path / "page.png", Path(__file__).resolve().parent.parent / "test-artifacts" / "licence-page1.png")
    assert document.number in text
    assert "441900199005151231" not in text  # no personal ID numbers on the printed licence


@pytest.mark.django_db
def test_receipt_lists_every_department(licensed):
    api, application_id = licensed

    text = PdfReader(BytesIO(_pdf(api, application_id, "receipt"))).pages[0].extract_text()

    for code in ["AIC", "NTAX", "CUSTOMS", "SAFE"]:
        assert code in text
    assert filing(application_id, "AIC").reference_no in text


@pytest.mark.django_db
def test_same_content_same_number_changed_content_supersedes(licensed, client):
    api, application_id = licensed
    _pdf(api, application_id, "licence")
    _pdf(api, application_id, "licence")
    first = IssuedDocument.objects.get(kind="licence")

    enterprise = Enterprise.objects.get()
    enterprise.data = {**enterprise.data, "reg_address": "东莞市虎门镇新地址1号"}
    enterprise.save()
    _pdf(api, application_id, "licence")

    first.refresh_from_db()
    current = IssuedDocument.objects.get(kind="licence", superseded_at__isnull=True)
    assert first.superseded_at is not None and current.number != first.number
    old_page = client.get(f"/verify/{first.number}/").content.decode()
    new_page = client.get(f"/verify/{current.number}/").content.decode()
    assert "superseded" in old_page or "失效" in old_page
    assert enterprise.uscc in new_page and "441900199005151231" not in new_page


@pytest.mark.django_db
def test_unknown_document_number_is_not_genuine(client, seeded):
    response = client.get("/verify/YWTL202611280000001/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_documents_are_for_the_applicant_only(licensed, outsider):
    _api, application_id = licensed

    assert Api(outsider).client.get(f"/api/v1/applications/{application_id}/documents/licence.pdf").status_code == 404
    assert Api(outsider).client.get(f"/applications/{application_id}/documents/receipt.pdf").status_code == 404


@pytest.mark.django_db
def test_no_documents_before_the_licence(seeded, applicant, django_capture_on_commit_callbacks):
    all_by_clerk_queue()
    api = Api(applicant)
    application_id = submitted_trader(api)

    assert api.client.get(f"/api/v1/applications/{application_id}/documents/licence.pdf").status_code == 404


@pytest.mark.django_db
def test_a_filing_copy_is_the_departments_own_form(licensed):
    api, application_id = licensed
    ntax = filing(application_id, "NTAX")

    response = api.client.get(f"/api/v1/applications/{application_id}/documents/filing-ntax.pdf")

    assert response.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert text.index("纳税人名称") < text.index("纳税人识别号") < text.index("办税人姓名")  # the form's own order
    assert "纳税人名称" in text and "纳税人识别号" in text and Enterprise.objects.get().uscc in text
    assert IssuedDocument.objects.get(kind="filing").filing == ntax
    assert api.client.get(f"/api/v1/applications/{application_id}/documents/filing-xyz.pdf").status_code == 404


@pytest.mark.django_db
def test_the_progress_page_links_each_filing_copy(licensed):
    api, application_id = licensed

    page = api.client.get(f"/applications/{application_id}/").content.decode()

    assert f"/applications/{application_id}/documents/filing-ntax.pdf" in page


@pytest.mark.django_db
def test_the_public_page_shows_what_a_printed_licence_carries_as_registered_now(licensed, client):
    # A bank holding a printed licence compares capital, scope, address and legal representative with the register
    # (issue 16); the legal representative appears by name, never by ID number.
    api, application_id = licensed
    _pdf(api, application_id, "licence")
    document = IssuedDocument.objects.get(kind="licence")
    enterprise = Enterprise.objects.get()
    page = client.get(f"/verify/{document.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    facts = page.split('id="register-facts"')[1]
    data = enterprise.data
    for shown in (data["legal_rep"]["name"], data["reg_address"], data["business_scope"], "万元"):
        assert shown in facts
    assert enterprise.data["legal_rep"]["id_number"] not in page


def test_the_receipt_of_a_thirteen_department_registration_fits_one_page(trader, tmp_path):
    import io

    from pypdf import PdfReader

    from registration.documents import receipt_pdf

    application = trader.applications.get(kind="new_company")
    _document, pdf = receipt_pdf(application)

    assert application.filings.count() == 13
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    (tmp_path / "receipt.pdf").write_bytes(pdf)
