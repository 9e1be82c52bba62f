from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, can_proceed, transition

from portal.fsm import StateMachineModel
from portal.texts import bilingual

from .adapters import delivery_policy


class AdapterKind(models.TextChoices):
    CLERK_QUEUE = "clerk_queue", _("Clerk queue (decided in the workbench)")
    HTTP = "http", _("HTTP to the department's system")


class Department(models.Model):
    """A government department that receives filings (办件) from the one-stop portal. Codes are public API."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200)
    filing_name = models.CharField(_("filing (Chinese)"), max_length=200)
    filing_name_en = models.CharField(_("filing (English)"), max_length=200)
    routed_when = models.CharField(_("routed when (Chinese)"), max_length=300)
    routed_when_en = models.CharField(_("routed when (English)"), max_length=300)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    adapter_kind = models.CharField(
        _("delivery"), max_length=16, choices=AdapterKind.choices, default=AdapterKind.CLERK_QUEUE
    )
    adapter_config = models.JSONField(_("delivery settings"), default=dict, blank=True)
    # Shared secret for HMAC signatures: on requests we send (HTTP adapter) and callbacks we receive.
    hmac_secret = models.CharField(_("signing key"), max_length=128, blank=True)
    sla_hours = models.PositiveIntegerField(
        _("decision time limit (hours)"), default=24, help_text=_("A filing undecided after this is overdue.")
    )
    accepted_ca_codes = models.JSONField(
        _("certification authorities accepted directly"),
        default=list,
        blank=True,
        help_text=_("Codes of the trust list's CAs whose signatures this department accepts itself. Empty: it "
                    "accepts the platform's verification of any CA on the trust list (信息互认)."),
    )  # fmt: skip
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="dependents",
        verbose_name=_("must be approved first"),
        help_text=_("Filings of this department wait until these departments have approved theirs."),
    )

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    def clean(self) -> None:
        _policy, problems = delivery_policy(self.adapter_config)
        if not isinstance(self.adapter_config, dict):
            problems["adapter_config"] = "an object of settings"
        elif self.adapter_kind == AdapterKind.HTTP and not str(self.adapter_config.get("endpoint") or "").strip():
            problems["endpoint"] = "the department system's URL, or “sandbox”"
        if problems:
            messages = [_("%(key)s must be %(what)s.") % {"key": k, "what": v} for k, v in problems.items()]
            raise ValidationError({"adapter_config": messages})

    @property
    def queue(self) -> str:
        """The Celery queue this department's deliveries run on."""
        return f"dept.{self.code.lower()}"

    @property
    def prerequisite_codes(self) -> list[str]:
        return sorted(d.code for d in self.prerequisites.all())

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name

    @property
    def names(self) -> dict[str, str]:
        """The name in both languages, as a message parameter (portal.texts) rendered in the reader's language."""
        return bilingual(self.name, self.name_en)

    @property
    def display_filing_name(self) -> str:
        return self.filing_name_en if (get_language() or "").startswith("en") else self.filing_name

    @property
    def display_routed_when(self) -> str:
        return self.routed_when_en if (get_language() or "").startswith("en") else self.routed_when


class RuleTrigger(models.TextChoices):
    ALWAYS = "always", _("Always")
    NEW_COMPANY = "new_company", _("New company (no licence yet)")
    FOREIGN_TRADE = "foreign_trade", _("Foreign trade: import/export declared or scope matches")
    INDUSTRY = "industry", _("Industry class in the listed codes")
    SCOPE = "scope", _("Business scope matches the keywords")


def validate_industry_codes(value: str) -> None:
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        bounds = entry.split("-")
        if len(bounds) > 2 or not all(b.isdigit() for b in bounds) or len({len(b) for b in bounds}) != 1:
            raise ValidationError(
                _("“%(entry)s” is not a code or a range of codes of equal length such as 8111-8113."),
                params={"entry": entry},
            )


def validate_scope_pattern(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(_("Not a valid keyword pattern: %(error)s"), params={"error": str(exc)}) from None


class RoutingRule(models.Model):
    """One reason to route a department (路由规则). A department is routed when any of its active rules matches.

    Rules are data so admins can add or change them without a deploy; a change creates a new version and the
    old row stays (inactive) so todos and filings can name the exact rule version that produced them.
    """

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="routing_rules")
    trigger = models.CharField(_("trigger"), max_length=16, choices=RuleTrigger.choices)
    industry_codes = models.CharField(
        _("industry codes"),
        max_length=500,
        blank=True,
        validators=[validate_industry_codes],
        help_text=_("GB/T 4754 codes or prefixes, comma-separated; ranges like 13-43 or 8111-8113."),
    )
    scope_pattern = models.CharField(
        _("scope keywords"),
        max_length=1000,
        blank=True,
        validators=[validate_scope_pattern],
        help_text=_("Keywords separated by | (a regular expression), matched in the business scope."),
    )
    todo_text = models.TextField(_("what the enterprise must do (Chinese)"), blank=True)
    todo_text_en = models.TextField(_("what the enterprise must do (English)"), blank=True)
    due_days = models.PositiveSmallIntegerField(_("due within (days)"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["department__sort_order", "trigger", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.department.code}: {self.get_trigger_display()} (v{self.version})"

    def clean(self) -> None:
        if self.trigger == RuleTrigger.INDUSTRY and not self.industry_codes.strip():
            raise ValidationError({"industry_codes": _("An industry rule needs at least one code.")})
        if self.trigger == RuleTrigger.SCOPE and not self.scope_pattern.strip():
            raise ValidationError({"scope_pattern": _("A scope rule needs keywords.")})


class FilingState(models.TextChoices):
    WAITING = "waiting", _("Waiting for other departments")
    QUEUED = "queued", _("Queued for delivery")
    DISPATCHED = "dispatched", _("With the department")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CORRECTION_REQUESTED = "correction_requested", _("Correction requested")
    FAILED = "failed", _("Delivery failed")


class FilingKind(models.TextChoices):
    REGISTRATION = "registration", _("Registration")
    CHANGE_REVIEW = "change_review", _("Change to review")
    UPDATE = "update", _("Update of registered data")
    NEW_OBLIGATION = "new_obligation", _("New obligation after a change")
    ARCHIVE_COPY = "archive_copy", _("Printed archive copy")
    STATUS_NOTICE = "status_notice", _("Notice: the enterprise was cancelled or revoked")


# What a clerk or a department system may write with a decision; longer text is refused, never cut.
REASON_MAX_LENGTH = 1000
REFERENCE_MAX_LENGTH = 60

# Kinds whose payload is the department's own form (the others carry a change to review or a copy request).
FORM_KINDS = (FilingKind.REGISTRATION, FilingKind.UPDATE, FilingKind.NEW_OBLIGATION)


class FilingQuerySet(models.QuerySet):
    def overdue(self, now: dt.datetime | None = None) -> FilingQuerySet:
        """Filings still with their department after the decision was due (its time limit, `sla_hours`)."""
        return self.filter(Filing.overdue_q(now))


class Filing(StateMachineModel, models.Model):
    """A filing (办件): one department's part of an application — its own form, filled, delivered and decided.

    The payload is projected when the filing is released and pinned together with the form version, so the
    department always sees exactly what it was sent. Delivery bookkeeping (attempts, next attempt, last error,
    lease) lives here, in the database, not in the broker.
    """

    Kind = FilingKind

    application = models.ForeignKey("registration.Application", on_delete=models.PROTECT, related_name="filings")
    # What the department is asked to do: register, review or take note of a change, or print an archive copy.
    kind = models.CharField(_("kind"), max_length=16, choices=FilingKind.choices, default=FilingKind.REGISTRATION)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="filings")
    state = FSMField(
        _("state"), default=FilingState.WAITING, choices=FilingState.choices, protected=True, db_index=True
    )
    form_version = models.ForeignKey(
        "forms_engine.FormVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="filings"
    )
    payload = models.JSONField(_("payload"), null=True, blank=True)
    payload_hash = models.CharField(max_length=64, blank=True)
    previous_payload = models.JSONField(
        null=True, blank=True, help_text="the payload of the round before corrections: what the clerk compares with"
    )
    references = models.JSONField(default=dict, blank=True, help_text="reference numbers of prerequisites")
    round = models.PositiveIntegerField(_("delivery round"), default=0)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="a worker holds it until then")
    last_error = models.TextField(_("last error"), blank=True)
    reference_no = models.CharField(_("reference number"), max_length=REFERENCE_MAX_LENGTH, blank=True)
    message = models.TextField(_("message"), blank=True)
    correction_items = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    released_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(
        _("decision due"), null=True, blank=True, db_index=True, help_text="dispatched_at + the department's SLA"
    )
    opened_at = models.DateTimeField(null=True, blank=True, help_text="a clerk first opened this round")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = FilingQuerySet.as_manager()

    class Meta:
        ordering = ["application", "department__sort_order"]
        verbose_name = _("filing")
        verbose_name_plural = _("filings")
        constraints = [models.UniqueConstraint(fields=["application", "department"], name="one_filing_per_department")]
        indexes = [models.Index(fields=["department", "state"])]

    def __str__(self) -> str:
        return f"{self.department.code} #{self.pk} ({self.state})"

    @property
    def uses_department_form(self) -> bool:
        """Registration, update and new-obligation payloads are the department's own form; the others are not."""
        return self.kind in FORM_KINDS

    @property
    def is_decided(self) -> bool:
        return self.state in (FilingState.APPROVED, FilingState.REJECTED, FilingState.CORRECTION_REQUESTED)

    @staticmethod
    def overdue_q(now: dt.datetime | None = None) -> models.Q:
        """The condition of `is_overdue`, for querysets and annotations."""
        return models.Q(state=FilingState.DISPATCHED, due_at__lt=now or timezone.now())

    @property
    def is_overdue(self) -> bool:
        """Still with the department after the decision was due (dispatched_at + the department's time limit)."""
        return self.state == FilingState.DISPATCHED and self.due_at is not None and self.due_at < timezone.now()

    @property
    def can_redispatch(self) -> bool:
        return can_proceed(self.redispatch)

    @property
    def awaits_decision(self) -> bool:
        """With the department, to approve, reject or (a registration) send back."""
        return can_proceed(self.approve)

    # --- Transitions: each records its own bookkeeping; services call them inside a transaction ----------------

    @transition(field=state, source=FilingState.WAITING, target=FilingState.QUEUED)
    def release(self, *, form_version_id: int | None, payload: dict, payload_hash: str, references: dict) -> None:
        """Prerequisites approved: the payload (projected from the data, or a change to review, or a copy request)
        is pinned with its form version and the prerequisites' reference numbers; the first round starts now."""
        self.form_version_id, self.payload, self.payload_hash = form_version_id, payload, payload_hash
        self.references = references
        self.round = 1
        self.released_at = self.next_attempt_at = timezone.now()

    @transition(field=state, source=[FilingState.QUEUED, FilingState.FAILED], target=FilingState.DISPATCHED)
    def dispatch(self) -> None:
        """The adapter delivered the payload; the department has it (clerk queue or its own system), and its time
        limit runs from now. From `failed` only when the department's decision shows it received it after all."""
        self.dispatched_at = timezone.now()
        self.due_at = self.dispatched_at + dt.timedelta(hours=self.department.sla_hours)
        self.next_attempt_at = None

    @transition(field=state, source=FilingState.QUEUED, target=FilingState.FAILED)
    def fail(self) -> None:
        """Delivery kept failing up to the retry limit; an operator can re-dispatch."""
        self.next_attempt_at = None

    @transition(field=state, source=FilingState.FAILED, target=FilingState.QUEUED)
    def redispatch(self) -> None:
        """An operator sends a failed filing again: attempts start over, now."""
        self.attempts, self.claimed_until = 0, None
        self.next_attempt_at = timezone.now()

    def _decided(self, by: Any, message: str) -> None:
        self.decided_at = timezone.now()
        self.decided_by = by if getattr(by, "pk", None) else None
        self.message = message

    @transition(field=state, source=FilingState.DISPATCHED, target=FilingState.APPROVED)
    def approve(self, *, by: Any = None, reference_no: str = "", note: str = "") -> None:
        """The department approved, under its reference number; waiting filings that depend on it are released."""
        self._decided(by, note)
        self.reference_no = reference_no or self.reference_no

    @transition(field=state, source=[FilingState.DISPATCHED, FilingState.QUEUED], target=FilingState.REJECTED)
    def reject(self, *, by: Any = None, reason: str = "") -> None:
        """The department refused (a clerk, its system's callback, or its system refusing the payload)."""
        self._decided(by, reason)

    @transition(field=state, source=FilingState.DISPATCHED, target=FilingState.CORRECTION_REQUESTED)
    def request_correction(self, *, by: Any = None, items: list[str] | tuple[str, ...] = (), reason: str = "") -> None:
        """The department needs the named items corrected; the application goes back to the applicant."""
        self._decided(by, reason)
        self.correction_items = list(dict.fromkeys(items))

    @transition(
        field=state,
        source=[
            FilingState.CORRECTION_REQUESTED, FilingState.DISPATCHED, FilingState.APPROVED, FilingState.REJECTED,
            FilingState.FAILED, FilingState.QUEUED,
        ],
        target=FilingState.QUEUED,
    )  # fmt: skip
    def resend(self, *, form_version_id: int | None, payload: dict, payload_hash: str, references: dict) -> None:
        """After the applicant's corrections: a new round with the new payload; attempts and the last round's
        decision start over."""
        self.previous_payload = self.payload  # the clerk sees what the corrections changed
        self.form_version_id, self.payload, self.payload_hash = form_version_id, payload, payload_hash
        self.references = references
        self.round += 1
        self.attempts, self.last_error, self.claimed_until = 0, "", None
        self.next_attempt_at = timezone.now()
        self.opened_at = self.decided_at = self.decided_by = None
        self.correction_items = []


class SandboxSetting(models.Model):
    """How a simulated department system behaves (demo and fault tests): decide, refuse, fail or hang."""

    class Mode(models.TextChoices):
        APPROVE = "approve", _("Accept, then approve")
        REJECT = "reject", _("Accept, then reject")
        CORRECTION = "correction", _("Accept, then ask for a correction")
        REFUSE = "refuse", _("Refuse the payload (422)")
        FAIL = "fail", _("Answer 503 (system down)")
        TIMEOUT = "timeout", _("Answer too late (time-out)")

    department_code = models.CharField(_("department"), max_length=16, unique=True)
    mode = models.CharField(_("behaviour"), max_length=12, choices=Mode.choices, default=Mode.APPROVE)
    fail_times = models.PositiveIntegerField(
        _("fail the first N requests"), default=0, help_text=_("Then behave as set (0: never fail).")
    )
    decision_delay_seconds = models.FloatField(_("decide after (seconds)"), default=10)
    decide_before_answering = models.BooleanField(
        _("call back before answering the delivery"),
        default=False,
        help_text=_("Decide at once and call the portal back before answering the delivery request itself."),
    )
    hang_seconds = models.FloatField(_("time-out hang (seconds)"), default=15)
    correction_items = models.JSONField(_("items to correct"), default=list, blank=True)
    reason = models.CharField(_("reason given"), max_length=300, blank=True)
    requests_seen = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("sandbox setting")
        verbose_name_plural = _("sandbox settings")

    def __str__(self) -> str:
        return f"{self.department_code}: {self.mode}"


class SandboxReceipt(models.Model):
    """A filing the simulated department system received: one row per idempotency key, however often it is sent."""

    department_code = models.CharField(max_length=16)
    idempotency_key = models.CharField(max_length=100)
    filing_id = models.BigIntegerField()
    round = models.PositiveIntegerField(default=1, help_text="the delivery round, which the callback names")
    payload = models.JSONField()
    callback_url = models.CharField(max_length=300)
    reference_no = models.CharField(max_length=60)
    received_at = models.DateTimeField(auto_now_add=True)
    times_received = models.PositiveIntegerField(default=1)
    decided = models.CharField(max_length=24, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["department_code", "idempotency_key"], name="sandbox_receipt_once")
        ]

    def __str__(self) -> str:
        return f"{self.department_code} {self.reference_no}"


class CertificateAuthority(models.Model):
    """A certification authority on the platform's trust list: whose signing certificates the platform accepts,
    its root certificate, where its revocation lists are published, and which key algorithms it uses. Data that
    admins keep, versioned like routing rules: a change retires the row and adds the next version, so a verified
    signature names the exact entry it was checked against."""

    class Algorithm(models.TextChoices):
        ECDSA = "ecdsa", "ECDSA"
        RSA = "rsa", "RSA"
        SM2 = "sm2", _("SM2 (national algorithm)")

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200)
    root_pem = models.TextField(_("root certificate (PEM)"))
    crl_urls = models.JSONField(_("CRL addresses"), default=list, blank=True)
    ocsp_urls = models.JSONField(_("OCSP addresses"), default=list, blank=True)
    algorithms = models.JSONField(_("key algorithms"), default=list, blank=True)
    valid_from = models.DateTimeField(_("accepted from"))
    valid_until = models.DateTimeField(_("accepted until"))
    # The latest CRL fetched from `crl_urls` (DER), checked against the root before it is kept.
    crl_der = models.BinaryField(null=True, blank=True, editable=False)
    crl_next_update = models.DateTimeField(null=True, blank=True, editable=False)
    crl_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("certification authority")
        verbose_name_plural = _("certification authorities (trust list)")
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=models.Q(is_active=True), name="ca_one_active_version"),
            models.UniqueConstraint(fields=["code", "version"], name="ca_code_version"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name} (v{self.version})"

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name


class SandboxCertificateAuthority(models.Model):
    """A demo CA of the CA sandbox (its private side: the key). `seed_demo` makes three the trust list accepts and
    one it does not. A real CA keeps this in its own hardware; the platform only ever holds its root."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    key_pem = models.TextField()
    cert_pem = models.TextField()
    trusted = models.BooleanField(_("on the trust list"), default=True)
    crl_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = _("sandbox CA")
        verbose_name_plural = _("sandbox CAs")

    def __str__(self) -> str:
        return self.code


class SandboxCertificate(models.Model):
    """A demo person's certificate and key, as their signing app or USB key holds them."""

    ca = models.ForeignKey(SandboxCertificateAuthority, on_delete=models.CASCADE, related_name="certificates")
    holder = models.CharField(_("holder"), max_length=100)
    id_number = models.CharField(_("ID number"), max_length=30, db_index=True)
    serial = models.CharField(_("serial number"), max_length=64)
    signing = models.BooleanField(_("signing certificate"), default=True)
    key_pem = models.TextField()
    cert_pem = models.TextField()
    not_after = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ca__code", "id_number", "-not_after"]
        verbose_name = _("sandbox certificate")
        verbose_name_plural = _("sandbox certificates")

    def __str__(self) -> str:
        return f"{self.ca.code} {self.holder} {self.serial}"
