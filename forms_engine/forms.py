from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FieldMapping
from .transforms import transform_names


class FieldMappingForm(forms.ModelForm):
    """One department field of a draft: its name, block, transform and arguments (JSON)."""

    transform = forms.ChoiceField(label=_("Transform"), choices=())
    args = forms.JSONField(
        label=_("Arguments (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "mono"}),
        help_text=_('For example {"item": "reg_capital", "with_unit": true}'),
    )

    class Meta:
        model = FieldMapping
        fields = ("name", "group", "transform", "args", "required")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transform"].choices = [(name, name) for name in transform_names()]

    def clean_args(self):
        value = self.cleaned_data.get("args")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise forms.ValidationError(_('Arguments are a JSON object such as {"item": "name_zh"}.'))
        return value


class PublishForm(forms.Form):
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)
