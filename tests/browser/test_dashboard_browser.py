"""The operations dashboard in Chromium: an auditor sees the charts drawn (not just present in the markup), in
Chinese and English, on a desktop and on a 375 px phone without sideways scrolling, switches to the daily view
and downloads the filings."""

from __future__ import annotations

import pytest

from registration.demo_history import history_ensure
from tests.browser.conftest import critical_violations, log_in, shot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def history(seeded):
    history_ensure(registrations=400, seed=8)


def drawn(page, selector: str) -> list[dict]:
    """The on-screen boxes of the matching SVG shapes (a shape with no area is not drawn)."""
    return page.eval_on_selector_all(
        selector, "nodes => nodes.map(n => { const r = n.getBoundingClientRect(); return {w: r.width, h: r.height}; })"
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_auditor_sees_the_charts_on_a_desktop_and_a_phone(page, history, auditor, language):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])
    log_in(page, auditor.username, PASSWORD)

    page.click("header nav a[href='/dashboard/']")
    page.wait_for_url("**/dashboard/")
    page.wait_for_load_state("networkidle")

    charts = page.locator("main svg[role=img]")
    assert charts.count() == 5
    for index in range(5):
        chart = charts.nth(index)
        assert chart.is_visible()
        assert chart.get_attribute("aria-labelledby")
        assert chart.locator(":scope > title").text_content().strip()
    columns = drawn(page, "svg.columns rect.column")
    assert len(columns) == 26 and sum(1 for c in columns if c["h"] > 5) >= 20  # registrations every week
    slices = drawn(page, "svg.donut circle.donut-slice")
    assert len(slices) == 3 and all(s["w"] > 100 for s in slices)  # services, high-tech, traditional
    assert all(b["w"] > 0 for b in drawn(page, "#decisions-title ~ rect.bar"))
    assert page.locator("table.filings-table tbody tr").count() == 16
    if language == "en":
        assert page.locator("h1").inner_text() == "Operations dashboard"
        assert "Registrations per week" in page.locator("#registrations-title").text_content()
    assert critical_violations(page) == []
    shot(page, f"dashboard-{language}-1280")

    page.set_viewport_size({"width": 375, "height": 800})
    page.wait_for_timeout(150)
    width = page.evaluate("document.documentElement.scrollWidth")
    shot(page, f"dashboard-{language}-375")
    assert width <= 375, f"the dashboard scrolls sideways at 375 px ({width} px wide)"
    assert charts.first.bounding_box()["width"] <= 375


def test_daily_view_and_filings_download(page, history, admin_user):
    log_in(page, admin_user.username, PASSWORD)
    page.goto(page.base + "/dashboard/")

    page.click("a.pill[href='?by=day']")
    page.wait_for_url("**/dashboard/?by=day")
    assert len(drawn(page, "svg.columns rect.column")) == 30
    assert page.locator("a.pill.current").get_attribute("href") == "?by=day"

    with page.expect_download() as download:
        page.click("a[href='/dashboard/filings.csv']")
    assert download.value.suggested_filename.startswith("filings-")
    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115 — read once
    assert text.count("\n") > 400 * 9  # every filing of the 400 registrations, and a header
