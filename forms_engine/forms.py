import json
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .display import english
from .models import FieldMapping
from .selectors import data_item_specs
from .transforms import (
    ANY,
    BOOLEAN,
    DEPARTMENT,
    FIELD,
    FIELDS,
    INTEGER,
    ITEM,
    ITEMS,
    NUMBER,
    REGISTRY,
    TABLE,
    TEXT,
    transform_names,
)

ARG_PREFIX = "arg_"
# What each kind of argument is, for the label of its input.
KIND_HINTS = {
    ITEM: _("a data item"), ITEMS: _("data items, one per line"), TEXT: _("text"), INTEGER: _("a whole number"),
    NUMBER: _("a number"), BOOLEAN: _("yes or no"), TABLE: _("a table, as JSON"), FIELDS: _("sub-fields, as JSON"),
    DEPARTMENT: _("a department"), ANY: _("a value, as JSON"), FIELD: _("another field of this form"),
}  # fmt: skip


def item_paths() -> list[tuple[str, str]]:
    """(path, label) of every data item and every sub-field of a person or list: what an item argument names."""
    paths = []
    for key, item in data_item_specs().items():
        label = item.label_en if english() else item.label
        paths.append((key, label))
        paths += [(f"{key}.{sub.key}", f"{label} · {sub.label_en if english() else sub.label}") for sub in item.fields]
    return paths


class FieldMappingForm(forms.ModelForm):
    """One department field of a draft: its name, block, the transform chosen from the list (its description shown),
    and the transform's arguments, each an input of its kind (a data item from the dictionary, a number, yes/no, a
    department …); only tables and sub-field lists are typed as JSON. A post with the arguments as one JSON object
    (`args`, without `structured`) is still taken."""

    transform = forms.ChoiceField(label=_("Transform"), choices=())
    args = forms.JSONField(label=_("Arguments (JSON)"), required=False, widget=forms.HiddenInput)
    structured = forms.CharField(required=False, widget=forms.HiddenInput, initial="1")

    class Meta:
        model = FieldMapping
        fields = ("name", "group", "transform", "args", "required")

    def __init__(self, *args, field_names: tuple[str, ...] = (), fields_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transform"].choices = [(name, f"{name} — {REGISTRY[name].doc}") for name in transform_names()]
        self.fields["transform"].widget.attrs["class"] = "transform-choice"
        if fields_url:  # choosing another transform shows its arguments (htmx), keeping what was typed
            self.fields["transform"].widget.attrs.update(
                {"hx-get": fields_url, "hx-trigger": "change", "hx-target": "closest .mapping-fields",
                 "hx-swap": "outerHTML", "hx-include": "closest .mapping-fields"}
            )  # fmt: skip
        chosen = self.data.get("transform") if self.is_bound else None
        chosen = chosen or self.initial.get("transform") or (self.instance.transform if self.instance.pk else "item")
        self.transform = REGISTRY.get(chosen) or REGISTRY["item"]
        current = dict(self.instance.args or {}) if self.instance.pk else dict(self.initial.get("args") or {})
        self.stored_args = current
        raw_json = self.is_bound and not self.data.get("structured")  # the arguments come as one JSON object
        for name, param in self.transform.params.items():
            self.fields[ARG_PREFIX + name] = self._arg_field(name, param, current.get(name), field_names)
            self.fields[ARG_PREFIX + name].required &= not raw_json
        # The required flag last, after the arguments.
        self.fields["required"] = self.fields.pop("required")

    @property
    def description(self):
        return self.transform.doc

    def _arg_field(self, name: str, param, value, field_names) -> forms.Field:
        label = f"{name} ({KIND_HINTS.get(param.kind, param.kind)})"
        common = {"label": label, "required": param.required and param.kind != BOOLEAN}
        if param.choices:
            field = forms.ChoiceField(choices=[("", "—"), *[(c, c) for c in param.choices]], **common)
        elif param.kind == ITEM:
            field = forms.CharField(
                widget=forms.TextInput(attrs={"list": "item-paths", "autocomplete": "off"}), **common
            )
        elif param.kind == ITEMS:
            field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
            value = "\n".join(value) if isinstance(value, list) else value
        elif param.kind == BOOLEAN:
            field = forms.BooleanField(**common)
        elif param.kind == DEPARTMENT:
            field = forms.ChoiceField(choices=[("", "—"), *[(c, c) for c in settings.DEPARTMENT_CODES]], **common)
        elif param.kind == FIELD:
            field = forms.ChoiceField(choices=[("", "—"), *[(n, n) for n in field_names]], **common)
        elif param.kind in (TABLE, FIELDS, ANY):
            field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "mono"}),
                                    **common)  # fmt: skip
            value = None if value is None else json.dumps(value, ensure_ascii=False)
        else:  # text, integer, number; a text argument keeps its spaces (a separator " / ")
            field = forms.CharField(strip=param.kind != TEXT, **common)
            value = None if value is None else str(value)
        field.initial = value
        field.kind = param.kind
        return field

    def clean(self):
        cleaned = super().clean()
        if not self.data.get("structured"):
            value = cleaned.get("args")
            if value in (None, ""):
                cleaned["args"] = {}
            elif not isinstance(value, dict):
                self.add_error("args", _('Arguments are a JSON object such as {"item": "name_zh"}.'))
            return cleaned
        args = {}
        for name in self.transform.params:
            field = self.fields[ARG_PREFIX + name]
            raw = cleaned.get(ARG_PREFIX + name)
            if field.kind == BOOLEAN:
                if raw:
                    args[name] = True  # unticked is the transform's default, false
                continue
            if raw in (None, ""):
                if raw == "" and self.stored_args.get(name) == "":
                    args[name] = ""  # an empty text on purpose (join with no separator) stays empty
                continue
            try:
                args[name] = _typed(field.kind, raw)
            except ValueError as exc:
                self.add_error(ARG_PREFIX + name, str(exc))
        cleaned["args"] = args
        return cleaned


def _typed(kind: str, raw):
    """An argument's input as the value the mapping stores; ValueError with a translated message."""
    if kind == ITEMS:
        return [line.strip() for line in str(raw).splitlines() if line.strip()]
    if kind == INTEGER:
        try:
            return int(str(raw).strip())
        except ValueError:
            raise ValueError(_("Enter a whole number.")) from None
    if kind == NUMBER:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return str(number)
    if kind in (TABLE, FIELDS, ANY):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(
                _("This is not valid JSON: look at line %(line)d, column %(col)d (a missing quote, comma or bracket).")
                % {"line": exc.lineno, "col": exc.colno}
            ) from None
        if kind == TABLE and not isinstance(value, dict):
            raise ValueError(_('A table is a JSON object such as {"A": "1"}.'))
        if kind == FIELDS and not isinstance(value, list):
            raise ValueError(_('Sub-fields are a JSON list such as [{"name": "…", "transform": "item", …}].'))
        return value
    return raw


class PublishForm(forms.Form):
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)
