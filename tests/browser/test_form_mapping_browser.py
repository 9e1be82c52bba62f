"""An admin changes a mapping in the browser, watches the preview, publishes: version 2 becomes current and
version 1 is unchanged."""

import pytest

from forms_engine.selectors import form_version_current
from tests.browser.conftest import log_in, shot
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
    editor.locator("textarea[name=args]").fill('{"item": "legal_rep.shoe_size"}')
    editor.locator("button[type=submit]:not([name=cancel])").click()
    page.locator("#mapping-rows .field-errors", has_text="legal_rep.shoe_size").wait_for()
    page.locator("#preview .form-errors", has_text="legal_rep.shoe_size").wait_for()

    page.click("#publish")
    page.locator(".message.error").first.wait_for()
    shot(page, "form-mapping-refused")
    assert form_version_current("HRSS").number == 1
