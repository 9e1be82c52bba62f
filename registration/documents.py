"""Printed documents (WeasyPrint, A4, CJK font): the electronic business licence copy and the combined
registration receipt. Each carries a document number and a QR code to the public verification page."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import segno
from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from departments.models import FilingState
from forms_engine.display import payload_rows
from forms_engine.selectors import form_version_spec
from forms_engine.spec import load_items
from portal.calendar import beijing_today

from .models import Application, Enterprise, IssuedDocument
from .seal import pdf_seal

ISSUING_AUTHORITY = "东莞市市场监督管理局"
DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ["", "拾", "佰", "仟"]
BIG_UNITS = ["", "万", "亿", "万亿"]


def amount_in_chinese(amount: Decimal | str) -> str:
    """A yuan amount in capital Chinese numerals as written on financial documents (2130000 → 贰佰壹拾叁万元整)."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    yuan, cents = divmod(int(value * 100), 100)
    words = _integer_words(yuan) + "元" if yuan else ""
    jiao, fen = divmod(cents, 10)
    if not cents:
        return (words or "零元") + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif yuan:
        words += "零"
    if fen:
        words += DIGITS[fen] + "分"
    return words


def _integer_words(number: int) -> str:
    groups = []
    while number:
        number, group = divmod(number, 10000)
        groups.append(group)
    words, zero_pending = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(words)
            continue
        if zero_pending or (words and group < 1000):
            words += "零"
        words += _group_words(group) + BIG_UNITS[index]
        zero_pending = False
    return words


def _group_words(group: int) -> str:
    digits = [int(d) for d in f"{group:04d}"]
    words, zero = "", False
    started = False
    for position, digit in enumerate(digits):
        unit = SMALL_UNITS[3 - position]
        if digit == 0:
            zero = started
            continue
        if zero:
            words += "零"
            zero = False
        words += DIGITS[digit] + unit
        started = True
    return words


def verification_url(number: str) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{reverse('verify-document', args=[number])}"


def _content_hash(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _issue(
    kind: str, enterprise: Enterprise, application: Application | None, content: dict, filing=None
) -> IssuedDocument:
    """The current document for this content: the same number while the content is unchanged; a changed content
    gets a new number and the old one is marked superseded."""
    digest = _content_hash(content)
    with transaction.atomic():
        Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        # A licence is one per enterprise, a receipt one per application, a filing copy one per filing.
        scope = {
            IssuedDocument.Kind.RECEIPT: {"application": application},
            IssuedDocument.Kind.FILING: {"filing": filing},
        }.get(kind, {})
        current = IssuedDocument.objects.filter(
            enterprise=enterprise, kind=kind, superseded_at__isnull=True, **scope
        ).first()
        if current is not None and current.content_hash == digest:
            return current
        if current is not None:
            current.superseded_at = timezone.now()
            current.save(update_fields=["superseded_at"])
        document = IssuedDocument.objects.create(
            number="pending", kind=kind, enterprise=enterprise, application=application, filing=filing,
            content_hash=digest,
        )  # fmt: skip
        document.number = f"YWT{kind[0].upper()}{beijing_today():%Y%m%d}{document.pk:07d}"
        document.save(update_fields=["number"])
        return document


def _qr(number: str) -> str:
    return segno.make(verification_url(number), error="m").svg_data_uri(scale=3, border=2)


def _pdf(template: str, context: dict) -> bytes:
    """The document rendered (WeasyPrint) and sealed by the platform (PAdES), naming its document number."""
    from weasyprint import HTML  # heavy (Pango, fonts): loaded when the first document is printed, not at start-up

    with override("zh-hans"):  # legal documents are issued in Chinese
        html = render_to_string(template, context)
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return pdf_seal(pdf, document_number=context["document"].number)


def licence_facts(enterprise: Enterprise) -> dict:
    data = enterprise.data
    items = load_items()
    entity = items["entity_type"].choice_label(enterprise.entity_type) or enterprise.entity_type
    currency = data.get("capital_currency", "CNY")
    capital = Decimal(str(data.get("reg_capital") or 0))
    wan = format((capital / 10000).normalize(), "f")
    currency_label = items["capital_currency"].choice_label(currency) or currency
    return {
        "name_zh": enterprise.name_zh,
        "uscc": enterprise.uscc,
        "entity_type": entity,
        "legal_rep": (data.get("legal_rep") or {}).get("name", ""),
        "reg_capital_wan": f"{wan}万元" if currency == "CNY" else f"{wan}万{currency_label}",
        "reg_capital_words": amount_in_chinese(capital)
        if currency == "CNY"
        else f"{currency_label}{amount_in_chinese(capital)[:-1]}",
        "established_on": enterprise.established_on,
        "term_until": _term_until(enterprise.established_on, data.get("term_years")),
        "address": data.get("reg_address", ""),
        "business_scope": data.get("business_scope", ""),
        "status": _status_zh(enterprise),
        "authority": ISSUING_AUTHORITY,
    }


def _status_zh(enterprise: Enterprise) -> str:
    with override("zh-hans"):  # documents are issued in Chinese, whatever language the reader browses in
        return str(enterprise.get_status_display())


def _term_until(established, years) -> str:
    """The last day of the term of operation, as the licence writes it, or 长期."""
    if not years:
        return "长期"
    try:
        end = established.replace(year=established.year + int(years))
    except ValueError:  # 29 February
        end = established.replace(year=established.year + int(years), day=28)
    end -= dt.timedelta(days=1)
    return f"{end.year}年{end.month}月{end.day}日"


def licence_issue(enterprise: Enterprise, application: Application | None = None) -> IssuedDocument:
    """The current licence copy's number (issued when the record changed), without printing it."""
    return _issue(IssuedDocument.Kind.LICENCE, enterprise, application, licence_facts(enterprise))


def licence_pdf(enterprise: Enterprise, application: Application | None = None) -> tuple[IssuedDocument, bytes]:
    facts = licence_facts(enterprise)
    document = _issue(IssuedDocument.Kind.LICENCE, enterprise, application, facts)
    return document, _pdf(
        "documents/licence.html",
        {"facts": facts, "document": document, "qr": _qr(document.number), "url": verification_url(document.number)},
    )


def _receipt_content(application: Application) -> tuple[dict, list[dict]]:
    filings = [
        {
            "code": f.department.code,
            "department": f.department.name,
            "filing": f.department.filing_name,
            "state_code": f.state,
            "reference_no": f.reference_no,
            "decided_at": f.decided_at,
        }
        for f in application.filings.select_related("department").order_by("department__sort_order")
    ]
    with override("zh-hans"):
        for row in filings:
            row["state"] = str(FilingState(row["state_code"]).label)
            del row["state_code"]
    return {"application": application.pk, "state": application.state, "filings": filings}, filings


def receipt_issue(application: Application) -> IssuedDocument:
    """The current receipt's number (issued when a department's result changed), without printing it."""
    content, _filings = _receipt_content(application)
    return _issue(IssuedDocument.Kind.RECEIPT, application.enterprise, application, content)


def receipt_pdf(application: Application) -> tuple[IssuedDocument, bytes]:
    enterprise = application.enterprise
    content, filings = _receipt_content(application)
    document = _issue(IssuedDocument.Kind.RECEIPT, enterprise, application, content)
    return document, _pdf(
        "documents/receipt.html",
        {
            "facts": licence_facts(enterprise),
            "application": application,
            "filings": filings,
            "document": document,
            "qr": _qr(document.number),
            "url": verification_url(document.number),
        },
    )


def _filing_content(filing) -> dict:
    return {"filing": filing.pk, "round": filing.round, "payload": filing.payload, "state": filing.state}


def document_is_current(document: IssuedDocument) -> bool:
    """Whether a printed document still says what the register and the filings say now. Judged against the
    register itself — the content is made again from the current record and compared with what was printed —
    never against the last document somebody happened to download."""
    if document.superseded_at is not None:
        return False
    if document.kind == IssuedDocument.Kind.LICENCE:
        content = licence_facts(document.enterprise)
    elif document.kind == IssuedDocument.Kind.RECEIPT and document.application is not None:
        content, _filings = _receipt_content(document.application)
    elif document.kind == IssuedDocument.Kind.FILING and document.filing is not None:
        content = _filing_content(document.filing)
    else:
        return False
    return _content_hash(content) == document.content_hash


def filing_copy_pdf(filing) -> tuple[IssuedDocument, bytes]:
    """A filing as the department received it: its own form, field names and layout, with its version."""
    application = filing.application
    content = _filing_content(filing)
    document = _issue(IssuedDocument.Kind.FILING, application.enterprise, application, content, filing=filing)
    with override("zh-hans"):
        state = str(FilingState(filing.state).label)
    return document, _pdf(
        "documents/filing.html",
        {
            "filing": filing,
            "state": state,
            "rows": payload_rows(filing.payload, form_version_spec(filing.form_version)),
            "document": document,
            "qr": _qr(document.number),
            "url": verification_url(document.number),
        },
    )


def document_response(application: Application, kind: str):
    """The licence copy or the receipt of an application as a PDF download (404 before the licence)."""
    if application.enterprise is None:
        raise Http404
    if kind == IssuedDocument.Kind.LICENCE:
        issued, pdf = licence_pdf(application.enterprise, application)
    elif kind == IssuedDocument.Kind.RECEIPT:
        issued, pdf = receipt_pdf(application)
    elif kind.startswith("filing-"):
        filing = application.filings.filter(department__code=kind.removeprefix("filing-").upper()).first()
        if filing is None or filing.payload is None or not filing.uses_department_form:
            raise Http404
        issued, pdf = filing_copy_pdf(filing)
    else:
        raise Http404
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{kind}-{issued.number}.pdf"'
    return response
