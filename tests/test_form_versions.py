"""Admins change a mapping in a draft, preview it and publish it; published versions never change."""

import pytest
from django.core.management import call_command
from django.utils import translation

from forms_engine.models import DepartmentForm, FieldMapping, FormVersion, PublishedVersionError
from forms_engine.samples import preview_samples
from forms_engine.selectors import form_version_current, form_version_spec
from forms_engine.services import field_mapping_save, form_draft_open, form_version_publish, mapping_preview
from portal.errors import PortalError, StateConflict


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The engine's messages are asserted in English here (the pages' tests read them in Chinese)."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


def ntax():
    return DepartmentForm.objects.get(department_code="NTAX")


def test_seeding_again_creates_no_new_versions(seeded):
    call_command("seed_demo", password="again-1234", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert FormVersion.objects.count() == 16
    assert set(FormVersion.objects.values_list("number", flat=True)) == {1}


def test_a_published_version_cannot_change(seeded):
    mapping = form_version_current("NTAX").mappings.first()
    mapping.name = "改名"

    with pytest.raises(PublishedVersionError):
        mapping.save()
    with pytest.raises(PublishedVersionError):
        mapping.delete()
    with pytest.raises(StateConflict):
        field_mapping_save(version=form_version_current("NTAX"), mapping=mapping, name="改名")


def test_draft_copies_the_current_version_and_is_reused(seeded, admin_user):
    draft = form_draft_open(form=ntax(), user=admin_user)

    assert (draft.number, draft.status) == (2, "draft")
    assert form_version_spec(draft).fields == form_version_spec(form_version_current("NTAX")).fields
    assert form_draft_open(form=ntax(), user=admin_user) == draft


def test_change_preview_publish_makes_version_two_current_and_keeps_version_one(seeded, admin_user):
    v1 = form_version_current("NTAX")
    draft = form_draft_open(form=ntax(), user=admin_user)
    mapping = draft.mappings.get(name="纳税人名称")
    field_mapping_save(version=draft, mapping=mapping, name="纳税人名称(全称)")

    projection, problems = mapping_preview(version=draft, data=preview_samples()["electronics_trader"])
    assert problems == {}
    assert projection.payload["纳税人名称(全称)"] == "东莞市华信电子贸易有限公司"

    form_version_publish(version=draft, user=admin_user, note="全称")

    current = form_version_current("NTAX")
    assert current.number == 2 and current.published_by == admin_user
    v1.refresh_from_db()
    assert v1.mappings.filter(name="纳税人名称").exists()
    assert not current.mappings.filter(name="纳税人名称").exists()


def test_an_invalid_mapping_cannot_be_published_and_says_why(seeded, admin_user):
    draft = form_draft_open(form=ntax(), user=admin_user)
    field_mapping_save(version=draft, name="新字段", transform="item", args={"item": "shoe_size"})
    field_mapping_save(version=draft, name="另一个", transform="no_such_transform", args={})

    with pytest.raises(PortalError) as refused:
        form_version_publish(version=draft, user=admin_user)

    assert refused.value.errors == {
        "新字段": ["unknown item “shoe_size”"],
        "另一个": ["unknown transform “no_such_transform”"],
    }
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert form_version_current("NTAX").number == 1


def test_publishing_twice_is_refused(seeded, admin_user):
    draft = form_draft_open(form=ntax(), user=admin_user)
    form_version_publish(version=draft, user=admin_user)

    with pytest.raises(StateConflict):
        form_version_publish(version=draft, user=admin_user)


def test_only_one_draft_per_form(seeded, admin_user):
    from django.db import IntegrityError

    form_draft_open(form=ntax(), user=admin_user)

    with pytest.raises(IntegrityError):
        FormVersion.objects.create(form=ntax(), number=99)


def test_removed_field_is_gone_from_new_version_only(seeded, admin_user):
    from forms_engine.services import field_mapping_delete

    draft = form_draft_open(form=ntax(), user=admin_user)
    count = draft.mappings.count()
    field_mapping_delete(mapping=draft.mappings.get(name="纳税人名称"))
    form_version_publish(version=draft, user=admin_user)

    assert FieldMapping.objects.filter(version__number=2, version__form=ntax()).count() == count - 1
    assert FieldMapping.objects.filter(version__number=1, version__form=ntax(), name="纳税人名称").exists()


def test_published_choice_values_cannot_be_removed(seeded):
    from django.core.exceptions import ValidationError

    from forms_engine.models import DataItem

    item = DataItem.objects.get(key="entity_type")
    item.choices = [c for c in item.choices if c["value"] != "individual_business"]

    with pytest.raises(ValidationError, match="individual_business"):
        item.full_clean()


def test_choices_may_be_added_and_relabelled(seeded):
    from forms_engine.models import DataItem

    item = DataItem.objects.get(key="capital_currency")
    item.choices = [*item.choices, {"value": "SGD", "label": "新加坡元", "label_en": "Singapore dollar"}]
    item.choices[0]["label_en"] = "Renminbi"

    item.full_clean()
