"""An admin changes a mapping in the browser, watches the preview, publishes: version 2 becomes current and
version 1 is unchanged."""

import pytest

from forms_engine.models import FormVersion
from forms_engine.selectors import form_version_current
from tests.browser.conftest import critical_violations, log_in, shot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_changes_previews_and_publishes_a_mapping(page, admin_user, seeded):
    log_in(page, admin_user.username, PASSWORD)
    page.goto(page.base + "/manage/forms/NTAX/")
    page.click("#open-draft")
    page.wait_for_url("**/manage/forms/NTAX/?version=2")

    row = page.locator("tr", has=page.locator("strong", has_text="纳税人名称")).first
    row.locator("button.edit").click()
    editor = page.locator("form[hx-post*='/fields/']")
    editor.locator("input[name=name]").fill("纳税人名称(全称)")
    editor.locator("button[type=submit]:not([name=cancel])").click()

    preview = page.locator("#preview pre.payload")
    preview.filter(has_text="纳税人名称(全称)").wait_for()
    assert "东莞市华信电子贸易有限公司" in preview.inner_text()
    shot(page, "form-mapping-draft-preview")
    shot(page, "form-mapping-draft-preview-viewport", full_page=False)

    page.fill("#id_note", "纳税人名称改为全称")
    page.click("#publish")
    page.locator(".message.success").wait_for()
    shot(page, "form-mapping-published")

    assert form_version_current("NTAX").number == 2
    page.goto(page.base + "/manage/forms/NTAX/?version=1")
    assert page.locator("strong", has_text="纳税人名称").first.inner_text() == "纳税人名称"
    assert page.locator("strong", has_text="纳税人名称(全称)").count() == 0


def test_invalid_mapping_is_shown_in_the_row_and_blocks_publishing(page, admin_user, seeded):
    log_in(page, admin_user.username, PASSWORD)
    page.goto(page.base + "/manage/forms/HRSS/")
    page.click("#open-draft")
    page.wait_for_url("**/manage/forms/HRSS/?version=2")

    row = page.locator("#mapping-rows tr").first
    row.locator("button.edit").click()
    editor = page.locator("form[hx-post*='/fields/']")
    editor.locator("input[name=arg_item]").fill("legal_rep.shoe_size")
    editor.locator("button[type=submit]:not([name=cancel])").click()
    page.locator("#mapping-rows .field-errors", has_text="legal_rep.shoe_size").wait_for()
    page.locator("#preview .form-errors", has_text="legal_rep.shoe_size").wait_for()

    page.click("#publish")
    page.locator(".message.error").first.wait_for()
    shot(page, "form-mapping-refused")
    assert form_version_current("HRSS").number == 1


def _settled(page) -> None:
    """htmx has swapped and processed the last response (its new inputs answer events)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_mapping_is_built_from_lists_and_a_draft_can_be_discarded(page, admin_user, seeded, language):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])
    log_in(page, admin_user.username, PASSWORD)
    page.goto(page.base + "/manage/forms/NTAX/")
    page.click("#open-draft")
    page.wait_for_url("**/manage/forms/NTAX/?version=2")

    row = page.locator("#mapping-rows tr").first
    row.locator("button.edit").click()
    editor = page.locator("form[hx-post*='/fields/']")
    editor.wait_for()
    _settled(page)
    editor.locator("select[name=transform]").select_option("yuan_to_wan")
    editor.locator("input[name=arg_with_unit]").wait_for()  # the chosen transform's own arguments
    assert "万" in editor.locator(".transform-doc").inner_text()
    editor.locator("input[name=arg_item]").fill("reg_capital")
    editor.locator("input[name=arg_with_unit]").check()
    shot(page, f"form-mapping-structured-{language}", full_page=False)
    editor.locator("button[type=submit]:not([name=cancel])").click()
    page.locator("#mapping-rows tr").first.locator("code", has_text="yuan_to_wan").wait_for()

    _settled(page)
    page.locator("#mapping-rows tr").first.locator("button.edit").click()
    editor = page.locator("form[hx-post*='/fields/']")
    editor.wait_for()
    _settled(page)
    editor.locator("select[name=transform]").select_option("map_value")
    editor.locator("textarea[name=arg_table]").wait_for()
    editor.locator("input[name=arg_item]").fill("industry_code")
    editor.locator("textarea[name=arg_table]").fill('{"A": 1,')
    editor.locator("button[type=submit]:not([name=cancel])").click()
    error = page.locator("#mapping-rows .field-errors", has_text="JSON")
    error.wait_for()  # the refused edit is shown in the row, what was typed kept
    assert ("第 1 行" if language == "zh-hans" else "line 1") in error.inner_text()
    assert critical_violations(page) == []
    shot(page, f"form-mapping-bad-json-{language}", full_page=False)

    page.click("#discard-draft")
    page.locator("#consequences").wait_for()
    shot(page, f"form-mapping-discard-{language}", full_page=False)
    page.click("#confirm")
    page.locator(".message.success").wait_for()
    assert form_version_current("NTAX").number == 1
    assert not FormVersion.objects.filter(form__department_code="NTAX", status="draft").exists()
