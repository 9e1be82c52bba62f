"""Printed documents render every value the portal accepts: rare ideographs (CJK Ext A–C) print as real glyphs and
stay extractable as text, and long strings with no break opportunity wrap inside the page and their table cell."""

import datetime as dt
import re
import subprocess

import pytest
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import ContentStream

from departments.models import Department, Filing, FilingState
from forms_engine.models import FormVersion
from registration.documents import filing_copy_pdf, licence_pdf, receipt_pdf
from registration.models import Application, ApplicationState, Enterprise
from tests.forms_fixtures import sample
from tests.workflow import FOREIGN_TRADE_ROUTE

# Per block, one ideograph Noto CJK has and one it lacks (U+4DB6 and U+2B735 are Unicode 13/14 additions).
RARE = {"Ext A": "㐀䶶", "Ext B": "𡈼𠀀", "Ext C": "𪜀𫜵"}
NAME = "东莞市㐀𡈼𪜀电子贸易有限公司"
LEGAL_REP = "陈䶶𠀀"
ADDRESS = "东莞市南城街道𫜵𪜀路106号"
# A scope of 200 ideographs without punctuation, and strings with no break opportunity at all.
LONG_SCOPE = ("电子产品电子元器件批发货物进出口技术进出口电子产品技术咨询服务" * 7)[:200]
LONG_ID = ("DG4419" + "0123456789" * 20)[:200]
LONG_EMAIL = "chen.zhiming.legal-representative.huaxin-electronics-trading@hxdz-dongguan-nancheng-subdistrict.com.cn"
LONG_REF = ("NTAXDGWM" + "MW20260123" * 6)[:60]  # as long as a reference number may be, in wide letters
MM = 72 / 25.4
MARGIN_X = 16 * MM  # base.html's @page side margins


@pytest.fixture
def rare_and_long(seeded, applicant):
    """A licensed trader, its application and filings, holding rare ideographs and long strings. The rows are
    written directly: this is about printing what the register holds, not about what the forms accept."""
    data = sample("electronics_trader")
    data.update(
        {"name_zh": NAME, "reg_address": f"{ADDRESS}{LONG_ID}", "business_scope": LONG_SCOPE, "email": LONG_EMAIL,
         "legal_rep": {**data["legal_rep"], "name": LEGAL_REP, "email": LONG_EMAIL}}
    )  # fmt: skip
    enterprise = Enterprise.objects.create(
        uscc="91441900MA5D2E8X3K", name_zh=NAME, name_key=NAME, entity_type=data["entity_type"],
        established_on=dt.date(2026, 1, 5), data=data, owner=applicant,
    )  # fmt: skip
    application = Application.objects.create(
        kind=Application.Kind.NEW_COMPANY, state=ApplicationState.IN_PROGRESS, applicant=applicant,
        enterprise=enterprise, data=data, routed=FOREIGN_TRADE_ROUTE,
    )  # fmt: skip
    for code in FOREIGN_TRADE_ROUTE:
        decided = code == "AIC"
        Filing.objects.create(
            application=application, department=Department.objects.get(code=code), reference_no=LONG_REF,
            state=FilingState.APPROVED if decided else FilingState.DISPATCHED,
            decided_at=timezone.now() if decided else None,
        )  # fmt: skip
    ntax = application.filings.get(department__code="NTAX")
    ntax.form_version = FormVersion.objects.filter(form__department_code="NTAX", status="published").latest("number")
    ntax.payload = {
        "纳税人名称": NAME, "纳税人识别号": enterprise.uscc, "注册地址": f"{ADDRESS}{LONG_ID}", "生产经营地址": ADDRESS,
        "经营范围": LONG_SCOPE, "电子邮箱": LONG_EMAIL,
        "法定代表人(负责人)": {"法定代表人姓名": LEGAL_REP, "法定代表人电子邮箱": LONG_EMAIL},
        "投资方信息": [{"投资方名称": NAME, "投资方证件号码": LONG_ID, "投资金额(元)": "2130000.00"}],
    }  # fmt: skip
    ntax.save()
    return enterprise, application, ntax


@pytest.fixture(params=["licence", "receipt", "filing"])
def printed(request, rare_and_long, tmp_path):
    """(kind, path of the PDF, values it must show whole)."""
    enterprise, application, ntax = rare_and_long
    if request.param == "licence":
        _doc, pdf = licence_pdf(enterprise, application)
        values = [NAME, LEGAL_REP, ADDRESS, LONG_ID, LONG_SCOPE]
    elif request.param == "receipt":
        _doc, pdf = receipt_pdf(application)
        values = [NAME, LONG_REF]
    else:
        _doc, pdf = filing_copy_pdf(ntax)
        values = [NAME, LEGAL_REP, ADDRESS, LONG_ID, LONG_SCOPE, LONG_EMAIL]
    path = tmp_path / f"{request.param}.pdf"
    path.write_bytes(pdf)
    return request.param, path, values


def _poppler(*command, errors="strict") -> str:
    out = subprocess.run([*command, "-enc", "UTF-8", "-"], capture_output=True, check=True).stdout
    return out.decode("utf-8", errors)


def _unwrapped(text: str) -> str:
    # Wrapping adds line breaks (and pdftotext may add spaces); the characters must all be there, in order.
    return re.sub(r"\s+", "", text)


@pytest.mark.django_db
def test_rare_ideographs_and_long_strings_come_back_as_text(printed):
    kind, path, values = printed
    by_pypdf = _unwrapped("".join(page.extract_text() for page in PdfReader(path).pages))
    # -raw: the default mode joins "electronics-" + "trading" at a line end, taking the hyphen for a soft one.
    by_poppler = _unwrapped(_poppler("pdftotext", "-raw", path))

    for value in values:
        assert _unwrapped(value) in by_pypdf, f"{kind}: pypdf lost {value!r}"
        assert _unwrapped(value) in by_poppler, f"{kind}: pdftotext lost {value!r}"
    shown = "".join(values)
    for block, chars in RARE.items():
        assert any(char in shown for char in chars), f"{kind}: shows no {block} ideograph"  # the data's own check
        for char in chars:
            if char in shown:
                assert char in by_pypdf and char in by_poppler, f"{kind}: {block} U+{ord(char):04X} missing"


def _fonts(reader: PdfReader) -> dict:
    """Every font the pages use, by (page, resource name): the font and, for a composite font, its CID font."""
    fonts = {}
    for page_no, page in enumerate(reader.pages):
        for name, ref in page["/Resources"]["/Font"].items():
            font = ref.get_object()
            cid_font = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            fonts[(page_no, name)] = (font, cid_font)
    return fonts


def _glyph_codes(reader: PdfReader, page_no: int):
    """(font resource name, 2-byte codes) of every text-showing operation on a page."""
    current = None
    for operands, operator in ContentStream(reader.pages[page_no].get_contents(), reader).operations:
        if operator == b"Tf":
            current = operands[0]
        elif operator in (b"Tj", b"TJ", b"'", b'"'):
            for string in operands[0] if operator == b"TJ" else operands[-1:]:
                if isinstance(string, (bytes, str)):  # not a TJ kerning number; pypdf decodes some to str
                    data = string.original_bytes if hasattr(string, "original_bytes") else bytes(string)
                    yield current, [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


@pytest.mark.django_db
def test_rare_ideographs_print_with_an_embedded_font_that_has_them(printed):
    kind, path, _values = printed
    reader = PdfReader(path)
    fonts = _fonts(reader)
    names = {str(font["/BaseFont"]) for font, _cid in fonts.values()}

    assert any("HanaMinB" in name for name in names), f"{kind}: no Ext B/C font among {names}"
    for font, cid_font in fonts.values():
        name = font["/BaseFont"]
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(cid_font["/FontDescriptor"].get_object()), name
        # WeasyPrint prints a character its font lacks through a custom CMap sending it to .notdef (an empty box)
        # while ToUnicode still gives the character back, so extracted text alone proves nothing. Identity
        # mappings make each code the glyph id itself, and glyph 0 is .notdef.
        assert font["/Encoding"] == "/Identity-H", f"{kind}: {name} prints some character as .notdef"
        assert cid_font.get("/CIDToGIDMap") == "/Identity", name
    shown = [(page_no, *run) for page_no in range(len(reader.pages)) for run in _glyph_codes(reader, page_no)]
    assert shown
    for page_no, resource, codes in shown:
        assert 0 not in codes, f"{kind}: .notdef printed with {fonts[(page_no, resource)][0]['/BaseFont']}"


@pytest.mark.django_db
def test_no_text_runs_off_the_page_or_over_other_text(printed):
    kind, path, _values = printed
    # -bbox writes the <title> (rare ideographs from the PDF's metadata) as UTF-8 surrogate halves; only words count.
    xhtml = _poppler("pdftotext", "-bbox", path, errors="replace")

    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', xhtml, re.S)
    assert pages
    for page_no, (width, height, body) in enumerate(pages, 1):
        width, height = float(width), float(height)
        words = [
            (text, float(x0), float(y0), float(x1), float(y1))
            for x0, y0, x1, y1, text in re.findall(
                r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>', body
            )
        ]
        assert words
        for text, x0, y0, x1, y1 in words:
            # Within the side margins (a run-off line crosses them first), and on the page at top and bottom.
            assert x0 >= MARGIN_X - 1 and x1 <= width - MARGIN_X + 1, f"{kind} p{page_no}: {text!r} x {x0:.0f}–{x1:.0f}"
            assert y0 >= 0 and y1 <= height, f"{kind} p{page_no}: {text!r} y {y0:.0f}–{y1:.0f}"
        # Text spilling out of its cell lands on its neighbour's: no two words may overlap.
        for i, (text, x0, y0, x1, y1) in enumerate(words):
            for other, u0, v0, u1, v1 in words[i + 1 :]:
                overlap_x, overlap_y = min(x1, u1) - max(x0, u0), min(y1, v1) - max(y0, v0)
                assert overlap_x <= 1 or overlap_y <= 1, f"{kind} p{page_no}: {text!r} overlaps {other!r}"
