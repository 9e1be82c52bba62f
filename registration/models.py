from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, can_proceed, transition

from portal.fsm import StateMachineModel


class Enterprise(models.Model):
    """A licensed enterprise in the register (企业登记簿): the current record, changed only through registrations."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active (存续)")
        REVOKED = "revoked", _("Revoked (吊销)")
        DEREGISTERED = "deregistered", _("Deregistered (注销)")

    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name_zh = models.CharField(_("name"), max_length=100)
    name_key = models.CharField(max_length=100, db_index=True, help_text="normalised name for duplicate checks")
    entity_type = models.CharField(_("entity type"), max_length=40)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    established_on = models.DateField(_("date of establishment"))
    data = models.JSONField(_("register data"), default=dict)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="enterprises"
    )
    # Market supervision's version of this record (the register feed, `registration.register_feed`): an event with
    # a version not above it changes nothing. 0 for an enterprise the feed has not spoken of.
    register_version = models.PositiveBigIntegerField(_("register version"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-established_on", "uscc"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.uscc})"


class RegisterEvent(models.Model):
    """One event of the register feed from market supervision's registration system (a licence, a change, a
    cancellation or a revocation), kept once per event id with what the portal did with it (append-only)."""

    class Kind(models.TextChoices):
        LICENCE = "licence", _("Licence issued (设立)")
        CHANGE = "change", _("Change (变更)")
        CANCELLATION = "cancellation", _("Cancellation (注销)")
        REVOCATION = "revocation", _("Revocation (吊销)")

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        STALE = "stale", _("Older than the register: nothing changed")

    event_id = models.CharField(_("event id"), max_length=64, unique=True)
    uscc = models.CharField(_("unified social credit code"), max_length=18, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    version = models.PositiveBigIntegerField(_("register version"))
    sent_at = models.DateTimeField(_("sent at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    body = models.JSONField(_("event"), default=dict)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("register event")
        verbose_name_plural = _("register events")

    def __str__(self) -> str:
        return f"{self.event_id} {self.kind} {self.uscc} v{self.version}"


class EnterpriseChange(models.Model):
    """One change of an enterprise's record: who, when, before and after (append-only)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="changes")
    at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    application = models.ForeignKey("Application", on_delete=models.PROTECT, null=True, related_name="+")
    before = models.JSONField(_("before"), default=dict)
    after = models.JSONField(_("after"), default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("enterprise change")
        verbose_name_plural = _("enterprise changes")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.at:%Y-%m-%d %H:%M}"


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted, awaiting licence")
    IN_PROGRESS = "in_progress", _("In progress at the departments")
    CORRECTION_REQUESTED = "correction_requested", _("Correction requested")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Applications whose data the departments hold (a change once applied, a registration once submitted on to them).
APPLIED_STATES = (ApplicationState.IN_PROGRESS, ApplicationState.COMPLETED, ApplicationState.CORRECTION_REQUESTED)


class Application(StateMachineModel, models.Model):
    """An application (申请) through the one-stop portal: the cloud form's data and where it stands.

    State changes only through the transitions below, called by `registration.services` inside a transaction;
    the state field is protected and doubles as the optimistic lock.
    """

    class Kind(models.TextChoices):
        NEW_COMPANY = "new_company", _("New company")
        EXISTING_COMPANY = "existing_company", _("Company that already holds a licence")
        CHANGE = "change", _("Change registration")
        ARCHIVE_COPY = "archive_copy", _("Printed archive copy")
        REGISTER_NOTICE = "register_notice", _("Notice of a register event")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = FSMField(
        _("state"), default=ApplicationState.DRAFT, choices=ApplicationState.choices, protected=True, db_index=True
    )
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications")
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    data = models.JSONField(_("data"), default=dict, help_text=_("Item key → value, as typed (drafts) or checked."))
    readonly_items = models.JSONField(default=list, blank=True, help_text="register items an applicant cannot edit")
    editable_items = models.JSONField(default=list, blank=True, help_text="items a correction request opened")
    correction_reason = models.TextField(blank=True)
    routed = models.JSONField(default=list, blank=True, help_text="department codes routed at submit")
    submitted_digest = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the signing document as submitted: the signatures that count"
    )
    set_aside = models.JSONField(
        default=dict,
        blank=True,
        help_text="answers no longer needed at submit (an earlier answer changed): kept, never sent, never checked",
    )
    name_key = models.CharField(max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    licensed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            # One change registration per enterprise with market supervision at a time (change_submit also locks
            # the enterprise row, so a second one is refused with 409 before this is ever reached).
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=models.Q(kind="change", state="submitted"),
                name="one_change_under_review_per_enterprise",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.data.get('name_zh') or self.get_kind_display()}"

    @property
    def is_new_company(self) -> bool:
        return self.kind == self.Kind.NEW_COMPANY

    @property
    def is_final(self) -> bool:
        """Completed, rejected or withdrawn: nothing will happen to it any more."""
        return self.state in (ApplicationState.COMPLETED, ApplicationState.REJECTED, ApplicationState.WITHDRAWN)

    @property
    def is_awaiting_correction(self) -> bool:
        return self.state == ApplicationState.CORRECTION_REQUESTED

    @property
    def takes_answers(self) -> bool:
        """The applicant may type and submit now: a draft, or the items a correction request opened."""
        return can_proceed(self.submit_to_departments)

    def submitted_signatures(self):
        """The signatures on exactly what was submitted (the evidence every department receives)."""
        if not self.submitted_digest:
            return self.signatures.none()
        return self.signatures.filter(digest=self.submitted_digest).order_by("signer")

    @property
    def is_unsent_draft(self) -> bool:
        """A draft that was never submitted: nothing went anywhere, so it may be deleted rather than withdrawn."""
        return self.state == ApplicationState.DRAFT and self.submitted_at is None

    @property
    def can_withdraw(self) -> bool:
        return can_proceed(self.withdraw)

    @property
    def is_applied(self) -> bool:
        """The departments hold its data: submitted on to them (in progress, completed, or being corrected)."""
        return self.state in APPLIED_STATES

    # --- Transitions: each records its own bookkeeping; services call them inside a transaction ----------------

    def _submitted(self) -> None:
        self.submitted_at = self.submitted_at or timezone.now()
        self.editable_items, self.correction_reason = [], ""

    @transition(
        field=state,
        source=[ApplicationState.DRAFT, ApplicationState.CORRECTION_REQUESTED],
        target=ApplicationState.SUBMITTED,
    )
    def submit_for_licence(self) -> None:
        """New company before its licence, or a change AIC must review: the AIC filing goes to the AIC clerks."""
        self._submitted()

    @transition(
        field=state,
        source=[ApplicationState.DRAFT, ApplicationState.CORRECTION_REQUESTED],
        target=ApplicationState.IN_PROGRESS,
    )
    def submit_to_departments(self) -> None:
        """Existing company, or a correction after the licence: filings go (again) to the departments."""
        self._submitted()

    @transition(field=state, source=ApplicationState.SUBMITTED, target=ApplicationState.IN_PROGRESS)
    def issue_licence(self, *, enterprise: Enterprise) -> None:
        """AIC approved: the enterprise exists and every other routed department's filing is released."""
        self.enterprise = enterprise
        self.licensed_at = timezone.now()

    @transition(field=state, source=ApplicationState.SUBMITTED, target=ApplicationState.IN_PROGRESS)
    def approve_change(self) -> None:
        """AIC approved a change registration: the record changes and the departments concerned hear of it."""

    @transition(field=state, source=ApplicationState.SUBMITTED, target=ApplicationState.REJECTED)
    def reject(self) -> None:
        """AIC refused the registration or the change. Terminal: the name it held is free again, and a refused
        change leaves the record untouched."""
        self.name_key = ""

    @transition(field=state, source=ApplicationState.IN_PROGRESS, target=ApplicationState.REJECTED)
    def refuse_copy(self) -> None:
        """The department refused to print an archive copy (its message says why). Terminal."""

    @transition(
        field=state,
        source=[ApplicationState.SUBMITTED, ApplicationState.IN_PROGRESS, ApplicationState.CORRECTION_REQUESTED],
        target=ApplicationState.CORRECTION_REQUESTED,
    )
    def request_correction(self, *, items: list[str] | tuple[str, ...] = (), reason: str = "") -> None:
        """A department asked for corrections: the named items become editable for the applicant, with every
        department's reason (a second department may ask while the first request is open)."""
        self.editable_items = sorted(set(self.editable_items) | set(items))
        self.correction_reason = "\n".join(r for r in (self.correction_reason, reason) if r)

    @transition(field=state, source=ApplicationState.IN_PROGRESS, target=ApplicationState.COMPLETED)
    def complete(self) -> None:
        """Every routed filing is decided as its kind requires."""
        self.completed_at = timezone.now()

    def nothing_registered_yet(self) -> bool:
        return self.state == ApplicationState.DRAFT or (self.is_new_company and self.licensed_at is None)

    @transition(
        field=state,
        source=[ApplicationState.DRAFT, ApplicationState.SUBMITTED, ApplicationState.CORRECTION_REQUESTED],
        target=ApplicationState.WITHDRAWN,
        conditions=[nothing_registered_yet],
    )
    def withdraw(self) -> None:
        """The applicant gives up before anything was registered (no licence issued, no filing sent out); the name
        it held is free again."""
        self.name_key = ""

    @transition(
        field=state,
        source=[
            ApplicationState.DRAFT, ApplicationState.SUBMITTED, ApplicationState.CORRECTION_REQUESTED,
            ApplicationState.IN_PROGRESS,
        ],
        target=ApplicationState.WITHDRAWN,
    )  # fmt: skip
    def stop(self) -> None:
        """Market supervision cancelled or revoked the enterprise: nothing more is filed for it; the name it held
        is free again."""
        self.name_key = ""


class NameReservation(models.Model):
    """A company name held by one holder (名称保留): an application from submit until its licence, refusal or
    withdrawal, a change registration while AIC reviews a new name, or the enterprise that carries it. The unique
    key is the database's guarantee that two applications racing for one name cannot both hold it; reads before
    the write are only hints (docs/STYLE.md habit 13)."""

    name_key = models.CharField(max_length=100, unique=True, help_text="names.name_key of the name")
    name_zh = models.CharField(_("name"), max_length=100)
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, null=True, blank=True, related_name="name_reservations"
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, null=True, blank=True, related_name="name_reservations"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("name reservation")
        verbose_name_plural = _("name reservations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(application__isnull=False) ^ models.Q(enterprise__isnull=False),
                name="name_reservation_one_holder",
            )
        ]

    def __str__(self) -> str:
        return self.name_zh


class IssuedDocument(models.Model):
    """A document the portal printed (licence copy, registration receipt): its number is on the paper and in its
    QR code, so anyone can check it online. A new version of the content supersedes the old number."""

    class Kind(models.TextChoices):
        LICENCE = "licence", _("Electronic business licence")
        RECEIPT = "receipt", _("Registration receipt")
        FILING = "filing", _("Copy of a department filing")

    number = models.CharField(_("document number"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="documents")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, null=True, related_name="documents")
    filing = models.ForeignKey("departments.Filing", on_delete=models.PROTECT, null=True, related_name="documents")
    content_hash = models.CharField(max_length=64)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")

    def __str__(self) -> str:
        return self.number


class Institution(models.Model):
    """A department, bank or other body allowed to verify registrations online (信息互认) with an API key."""

    class Kind(models.TextChoices):
        BANK = "bank", _("Bank")
        DEPARTMENT = "department", _("Government department")
        OTHER = "other", _("Other institution")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    key_prefix = models.CharField(_("key prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list)
    purpose_required = models.BooleanField(_("must state a purpose"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.name

    @property
    def is_authenticated(self) -> bool:  # lets DRF treat an institution as the request's user
        return True


class AccessLogEntry(models.Model):
    """Who looked at an enterprise's registration through the verification API, when, why, with what result."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="lookups")
    uscc = models.CharField(_("unified social credit code"), max_length=40, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    status = models.PositiveSmallIntegerField(_("result"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")

    def __str__(self) -> str:
        return f"{self.institution} {self.uscc} {self.at:%Y-%m-%d %H:%M}"


class Todo(models.Model):
    """Something an enterprise must do because a change made a department responsible for it (proactive service).

    It names the routing rule version that produced it, so a later edit of the rule does not rewrite history, and
    it closes itself when the department approves the filing.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused by the department")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="todos")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="todos")
    filing = models.ForeignKey("departments.Filing", on_delete=models.PROTECT, related_name="todos")
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey("departments.RoutingRule", on_delete=models.PROTECT, null=True, related_name="+")
    rule_version = models.PositiveIntegerField(_("rule version"), default=1)
    title = models.CharField(_("title (Chinese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    reason = models.CharField(_("why"), max_length=300, blank=True, help_text="what in the new data routed it")
    needed_items = models.JSONField(
        _("items still needed"), default=list, blank=True, help_text="items the department's form needs and lacks"
    )
    due_date = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "due_date", "id"]
        verbose_name = _("todo")
        verbose_name_plural = _("todos")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.department_id}: {self.title}"

    @property
    def display_title(self) -> str:
        return self.title_en if (get_language() or "").startswith("en") and self.title_en else self.title


class SigningRule(models.Model):
    """Who must sign an application of an entity type (data admins keep): `signers` names people of the form,
    "legal_rep" (a person item) or "investors.natural" (every natural-person entry of a list). Without a rule for
    the entity type, the legal representative and every natural-person investor sign."""

    entity_type = models.CharField(_("entity type"), max_length=40, unique=True)
    signers = models.JSONField(_("who signs"), default=list)

    class Meta:
        ordering = ["entity_type"]
        verbose_name = _("signing rule")
        verbose_name_plural = _("signing rules")

    def __str__(self) -> str:
        return f"{self.entity_type}: {', '.join(self.signers)}"

    # What a rule may name: a person item, or a list of people (every entry, or its natural persons).
    SIGNER_NAMES = ("legal_rep", "finance_officer", "tax_agent", "liaison", "investors", "investors.natural")

    def clean(self) -> None:
        unknown = [s for s in self.signers if s not in self.SIGNER_NAMES] if isinstance(self.signers, list) else [""]
        if unknown or not self.signers:
            raise ValidationError(
                {"signers": _("Name at least one of %(names)s.") % {"names": ", ".join(self.SIGNER_NAMES)}}
            )


class ApplicationSignature(models.Model):
    """One person's signature on an application, as the platform verified it: over the canonical bytes whose
    SHA-256 is `digest` (a change of the data after signing gives another digest: the signature no longer
    counts), with the evidence a department receives."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="signatures")
    signer = models.CharField(
        _("signer"), max_length=40, help_text="the person's path in the form: legal_rep, investors.0"
    )
    name = models.CharField(_("name"), max_length=100)
    id_number = models.CharField(_("ID number"), max_length=30)
    digest = models.CharField(max_length=64)
    cms = models.BinaryField()
    ca_code = models.CharField(_("CA"), max_length=20)
    ca_version = models.PositiveIntegerField(default=1)
    serial = models.CharField(_("certificate serial number"), max_length=64)
    signing_time = models.DateTimeField(_("signing time"), null=True)
    verified_at = models.DateTimeField(_("verified"), auto_now_add=True)

    class Meta:
        ordering = ["application", "signer", "-verified_at"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "signer", "digest", "ca_code"], name="one_signature_per_signer_document_and_ca"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.application_id} {self.signer} {self.ca_code} {self.serial}"
