"""Reference data of the cloud form: the dictionary and each department's current form (docs/CONTRACT.md)."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.pagination import list_schema, paginated

from .models import DataItem
from .projection import referenced_items
from .selectors import data_item_specs, form_version_current, form_version_spec, form_versions_current
from .spec import ItemSpec


def item_json(item: ItemSpec) -> dict:
    """An item as API clients see it: `choices` and `fields` only where they apply."""
    out: dict = {"key": item.key, "label": item.label, "label_en": item.label_en, "type": item.type}
    if item.required:
        out["required"] = True
    if item.multiple:
        out["multiple"] = True
    if item.choices:
        out["choices"] = [{"value": c.value, "label": c.label, "label_en": c.label_en} for c in item.choices]
    if item.fields:
        out["fields"] = [item_json(f) for f in item.fields]
    if item.help or item.help_en:
        out["help"], out["help_en"] = item.help, item.help_en
    return out


class ChoiceOut(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField()


class ItemOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField()
    type = serializers.CharField()
    choices = ChoiceOut(many=True, required=False)
    fields = serializers.ListField(child=serializers.DictField(), required=False)
    departments = serializers.ListField(child=serializers.CharField())


class DataItemListApi(APIView):
    """`GET /api/v1/data-items`: the data dictionary, each item with the departments whose current form uses it."""

    permission_classes = [AllowAny]

    @list_schema(ItemOut)
    def get(self, request: Request) -> Response:
        users: dict[str, set[str]] = {}
        for code, version in form_versions_current().items():
            for field in form_version_spec(version).fields:
                for path in referenced_items(field):
                    users.setdefault(path.split(".")[0], set()).add(code)
        order = list(form_versions_current())
        specs = data_item_specs()

        def items(rows: list[DataItem]) -> list[dict]:
            return [
                {**item_json(specs[row.key]), "departments": sorted(users.get(row.key, ()), key=order.index)}
                for row in rows
            ]

        return paginated(request, DataItem.objects.filter(issued=False), items)


class FormOut(serializers.Serializer):
    department = serializers.CharField()
    title = serializers.CharField()
    title_en = serializers.CharField()
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    fields = serializers.ListField(child=serializers.DictField())


class DepartmentFormApi(APIView):
    """`GET /api/v1/departments/<code>/form`: the current version of a department's form, each field with the
    transform and items it comes from."""

    permission_classes = [AllowAny]

    @extend_schema(responses=FormOut)
    def get(self, request: Request, code: str) -> Response:
        version = form_version_current(code.upper())
        if version is None:
            raise Http404
        spec = form_version_spec(version)
        return Response(
            {
                "department": spec.department,
                "title": version.form.title,
                "title_en": version.form.title_en,
                "version": version.number,
                "published_at": version.published_at,
                "fields": [{**f.to_dict(), "items": sorted(referenced_items(f))} for f in spec.fields],
            }
        )
