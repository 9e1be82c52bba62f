from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from .models import User, mobile_validator


class SignupForm(UserCreationForm):
    """Applicants sign themselves up; every other role is given by an administrator."""

    full_name = forms.CharField(label=_("Name"), max_length=100)
    mobile = forms.CharField(label=_("Mobile"), max_length=11, validators=[mobile_validator])
    email = forms.EmailField(
        label=_("E-mail (optional)"), required=False, help_text=_("Your messages are also sent here.")
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "full_name", "mobile", "email")
