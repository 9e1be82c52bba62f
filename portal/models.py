from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

mobile_validator = RegexValidator(
    r"^1[3-9]\d{9}$", _("Enter an 11-digit mainland mobile number starting with 13–19."), code="mobile"
)


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    CLERK = "clerk", _("Department clerk")
    ADMIN = "admin", _("Administrator")
    AUDITOR = "auditor", _("Auditor")


class User(AbstractUser):
    """A person using the portal. The role decides what they see; a clerk works for exactly one department."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.APPLICANT)
    full_name = models.CharField(_("name"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True, validators=[mobile_validator])
    department = models.ForeignKey(
        "departments.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clerks",
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # The database, not only the forms, keeps "a clerk belongs to exactly one department" true.
            models.CheckConstraint(
                condition=(Q(role="clerk") & Q(department__isnull=False))
                | (~Q(role="clerk") & Q(department__isnull=True)),
                name="clerk_has_exactly_one_department",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_applicant(self) -> bool:
        return self.role == Role.APPLICANT

    @property
    def is_clerk(self) -> bool:
        return self.role == Role.CLERK

    @property
    def is_portal_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_auditor(self) -> bool:
        return self.role == Role.AUDITOR

    @property
    def reads_everything(self) -> bool:
        """Admins and auditors may read every application and filing; only admins may change them."""
        return self.is_portal_admin or self.is_auditor
