from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hakusan.core.choices import TLP
from hakusan.core.models import Department

from .choices import (
    Channel,
    ItemKind,
    OrgSize,
    ReportKind,
    ReportStatus,
    RoutingStepKind,
    VictimKind,
)


class Category(models.Model):
    """A consultation category (サイバー犯罪相談 区分): configurable, seeded from the taxonomy."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    observable_hints = models.JSONField(default=list, blank=True)
    cyber_division = models.BooleanField(_("taken by the cyber division"), default=False)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ja").startswith("en") else self.name_ja

    def __str__(self) -> str:
        return self.name


class Report(models.Model):
    """A 通報・相談 as received, with its triage and routing state."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=15, choices=ReportKind.choices)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("received by"),
    )
    receiving_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="received_reports",
        verbose_name=_("receiving department"),
    )
    reporter_name = models.CharField(_("reporter name"), max_length=100, blank=True)
    reporter_contact = models.CharField(_("reporter contact"), max_length=200, blank=True)
    victim_kind = models.CharField(
        _("victim type"), max_length=15, choices=VictimKind.choices, default=VictimKind.PERSON
    )
    victim_name = models.CharField(_("victim name"), max_length=200, blank=True)
    victim_contact = models.CharField(_("victim contact"), max_length=200, blank=True)
    victim_org_size = models.CharField(
        _("organisation size"), max_length=15, choices=OrgSize.choices, blank=True
    )
    victim_industry = models.CharField(_("industry"), max_length=100, blank=True)
    narrative = models.TextField(_("narrative (5W1H)"))
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    damage_amount = models.PositiveBigIntegerField(_("damage amount (yen)"), null=True, blank=True)
    damage_from = models.DateField(_("damage from"), null=True, blank=True)
    damage_to = models.DateField(_("damage to"), null=True, blank=True)
    tlp = models.CharField(max_length=12, choices=TLP.choices, default=TLP.AMBER)
    external_ref = models.CharField(
        _("external reference"), max_length=100, blank=True, db_index=True
    )
    # Bulk imports are idempotent: a row whose key is stored is skipped on a re-run
    # (domain/intake/keys.py). NULL for reports filed otherwise; NULLs never collide.
    import_key = models.CharField(
        _("import key"), max_length=160, null=True, blank=True, unique=True, editable=False
    )

    status = models.CharField(
        _("status"),
        max_length=15,
        choices=ReportStatus.choices,
        default=ReportStatus.NEW,
        db_index=True,
    )
    # Triage: what the system suggested, with reasons, and what the officer confirmed.
    suggested_category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suggested category"),
    )
    suggested_needs_cyber = models.BooleanField(default=False)
    suggestion = models.JSONField(default=dict, blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("category"),
    )
    needs_cyber = models.BooleanField(_("cyber division must take it"), null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    # Routing: where it is now and by when it must be taken up.
    assigned_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_reports",
        verbose_name=_("assigned department"),
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return self.number

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return bool(self.due_at and not self.accepted_at and self.due_at < timezone.now())


class ReportItem(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(
        _("kind"), max_length=15, choices=ItemKind.choices, default=ItemKind.OTHER
    )
    text = models.TextField(_("content"))

    class Meta:
        ordering = ["id"]


class Attachment(models.Model):
    """An uploaded file, kept as evidence: hashed, never executed, rendered or served inline."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    declared_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    file = models.FileField(upload_to="attachments/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)


class TriageDecision(models.Model):
    """An officer's confirmation or correction of a suggestion: the model's training data."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="triage_decisions")
    suggested_category = models.CharField(max_length=40, blank=True)
    confirmed_category = models.CharField(max_length=40)
    suggested_needs_cyber = models.BooleanField()
    confirmed_needs_cyber = models.BooleanField()
    text = models.TextField()  # the text the decision was made on, frozen for training
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at"]

    @property
    def corrected(self) -> bool:
        return self.suggested_category != self.confirmed_category


class TriageModel(models.Model):
    """A trained category model on disk, with how well it did on held-out decisions."""

    path = models.CharField(max_length=500)
    trained_at = models.DateTimeField()
    n_samples = models.PositiveIntegerField()
    metrics = models.JSONField(default=dict)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-trained_at"]


class RoutingRule(models.Model):
    """Configurable routing: the first active rule (by priority) whose conditions all hold."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    active = models.BooleanField(_("active"), default=True)
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("category")
    )
    needs_cyber = models.BooleanField(_("cyber division required"), null=True, blank=True)
    observable_type = models.CharField(_("observable type"), max_length=20, blank=True)
    min_damage = models.PositiveBigIntegerField(_("minimum damage (yen)"), null=True, blank=True)
    victim_kind = models.CharField(
        _("victim type"), max_length=15, choices=VictimKind.choices, blank=True
    )
    target_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, verbose_name=_("route to")
    )
    sla_hours = models.PositiveIntegerField(_("deadline (hours)"), default=24)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name


class RoutingStep(models.Model):
    """Every routing step: who, when, why (rule or officer's reason), and the deadline set."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="routing_steps")
    kind = models.CharField(max_length=10, choices=RoutingStepKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # null: the system (escalation job)
    from_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(RoutingRule, on_delete=models.SET_NULL, null=True, blank=True)
    reason = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["to_department", "report"])]
