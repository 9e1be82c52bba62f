from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from forms_engine import canonical
from forms_engine.identity import invisible_problem

from .models import User, mobile_validator


class SignupForm(UserCreationForm):
    """Applicants sign themselves up; every other role is given by an administrator."""

    full_name = forms.CharField(label=_("Name"), max_length=100)
    # Folded to its canonical 11 digits before it is checked: +86, spaces and full-width digits are typed too.
    mobile = forms.CharField(label=_("Mobile"), max_length=30)
    email = forms.EmailField(
        label=_("E-mail (optional)"), required=False, help_text=_("Your messages are also sent here.")
    )

    def clean_mobile(self) -> str:
        number = canonical.mobile(self.cleaned_data["mobile"])
        mobile_validator(number)
        return number

    def clean_full_name(self) -> str:
        name = self.cleaned_data["full_name"].strip()
        problem = invisible_problem(name)
        if problem:
            raise forms.ValidationError(problem)
        return name

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "full_name", "mobile", "email")
