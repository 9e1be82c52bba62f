from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .texts import render_stored

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
    # Real-name identity (统一身份认证): what the identity provider vouched for at the last real-name sign-in. Only
    # that sign-in writes these; the applicant acts for an enterprise as the person with this ID number.
    identity_subject = models.CharField(_("identity provider subject"), max_length=255, blank=True, editable=False)
    verified_name = models.CharField(_("verified name"), max_length=100, blank=True, editable=False)
    verified_id_number = models.CharField(_("verified ID number"), max_length=18, blank=True, editable=False)
    identity_verified_at = models.DateTimeField(_("identity verified at"), null=True, blank=True, editable=False)

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
            # One account per person of the identity provider, and per verified ID number.
            models.UniqueConstraint(
                fields=["identity_subject"], condition=~Q(identity_subject=""), name="one_account_per_identity"
            ),
            models.UniqueConstraint(
                fields=["verified_id_number"], condition=~Q(verified_id_number=""), name="one_account_per_id_number"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_applicant(self) -> bool:
        return self.role == Role.APPLICANT

    @property
    def is_real_name_verified(self) -> bool:
        return bool(self.verified_id_number)

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


class AuditEvent(models.Model):
    """An append-only record of something that happened (审计事件): a transition, a decision, a data change, a
    delivery attempt, a verification lookup. Each row carries the hash of the previous row of its stream (one
    stream per application, or per object outside applications), so deleting or editing a row breaks the chain
    (`portal.audit.audit_chain_verify`)."""

    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(_("actor"), max_length=150, blank=True, help_text=_("Who, when not a user."))
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=40)
    application_id = models.BigIntegerField(_("application"), null=True, blank=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)  # a clerk's reason in full, as the applicant read it
    stream = models.CharField(max_length=80, db_index=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit events are append-only")


class AuditChainHead(models.Model):
    """The last hash of one audit stream. Its row lock orders that stream's writers, so the chain never forks;
    streams are per application, so unrelated applications never wait for each other."""

    stream = models.CharField(max_length=80, unique=True)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.stream} {self.last_hash[:12]}"


class Notification(models.Model):
    """A message in a user's in-app inbox, also sent by e-mail."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # The title and body as messages and parameters (portal.texts), rendered in the reader's language; `title`
    # and `body` keep the text as first written, for the admin and for messages written before this existed.
    texts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.title

    @property
    def title_shown(self) -> str:
        """The title in the reader's (active) language."""
        return render_stored(self.texts["title"]) if "title" in self.texts else self.title

    @property
    def body_shown(self) -> str:
        return render_stored(self.texts["body"]) if "body" in self.texts else self.body
