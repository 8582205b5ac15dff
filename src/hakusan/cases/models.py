from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hakusan.core.choices import TLP
from hakusan.core.models import Department
from hakusan.intake.choices import OrgSize
from hakusan.intake.models import Report

from .choices import (
    BackupState,
    CaseStatus,
    CostBand,
    InfectionRoute,
    MemberRole,
    PatchState,
    RansomMethod,
    RecoveryPeriod,
    TaskStatus,
    TimelineKind,
)


class CaseType(models.Model):
    """A configurable case type (ランサムウェア, 不正アクセス …) with its playbook."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    has_ransomware_record = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("case type")
        verbose_name_plural = _("case types")

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ja").startswith("en") else self.name_ja

    def __str__(self) -> str:
        return self.name


class PlaybookStep(models.Model):
    """One task template of a case type's playbook, copied into each new case."""

    case_type = models.ForeignKey(CaseType, on_delete=models.CASCADE, related_name="playbook")
    order = models.PositiveSmallIntegerField(default=100)
    title_ja = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    guidance_ja = models.TextField(blank=True)
    guidance_en = models.TextField(blank=True)
    due_hours = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["case_type", "order", "id"]


class Case(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, verbose_name=_("case type"))
    status = models.CharField(
        _("status"),
        max_length=15,
        choices=CaseStatus.choices,
        default=CaseStatus.RECEIVED,
        db_index=True,
    )
    lead_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("lead department"),
    )
    summary = models.TextField(_("summary"), blank=True)
    tlp = models.CharField(max_length=12, choices=TLP.choices, default=TLP.AMBER)
    reports = models.ManyToManyField(Report, related_name="cases", blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class CaseMember(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_memberships"
    )
    role = models.CharField(max_length=10, choices=MemberRole.choices, default=MemberRole.MEMBER)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="member_once")]


class Task(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("title"), max_length=200)
    guidance = models.TextField(_("guidance"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("assignee"),
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=5, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    order = models.PositiveSmallIntegerField(default=100)
    from_playbook = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["order", "id"]


class TimelineEntry(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=TimelineKind.choices, default=TimelineKind.NOTE)
    text = models.TextField(_("text"))

    class Meta:
        ordering = ["-at", "-id"]


class RansomwareRecord(models.Model):
    """First-response answers of the ransomware playbook, as structured fields (TAXONOMY §4–5)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="ransomware")
    org_size = models.CharField(
        _("organisation size"), max_length=15, choices=OrgSize.choices, blank=True
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    method = models.CharField(_("method"), max_length=20, choices=RansomMethod.choices, blank=True)
    ransom_demanded = models.BooleanField(_("ransom demanded"), null=True, blank=True)
    ransom_payment_means = models.CharField(
        _("means of payment demanded"), max_length=100, blank=True
    )
    infection_route = models.CharField(
        _("infection route"), max_length=10, choices=InfectionRoute.choices, blank=True
    )
    patch_state = models.CharField(
        _("patch state"), max_length=12, choices=PatchState.choices, blank=True
    )
    backup_state = models.CharField(
        _("backup and restore"), max_length=12, choices=BackupState.choices, blank=True
    )
    recovery_period = models.CharField(
        _("recovery period"), max_length=12, choices=RecoveryPeriod.choices, blank=True
    )
    cost_band = models.CharField(
        _("investigation and recovery cost"), max_length=6, choices=CostBand.choices, blank=True
    )
    logs_preserved = models.BooleanField(
        _("communication and access logs preserved"), null=True, blank=True
    )
    devices_kept_powered = models.BooleanField(
        _("VPN and firewall devices kept powered on"), null=True, blank=True
    )
    server_data_preserved = models.BooleanField(
        _("affected servers' data preserved"), null=True, blank=True
    )
    system_diagram_obtained = models.BooleanField(
        _("system diagram obtained"), null=True, blank=True
    )
    ransom_note = models.TextField(_("ransom note (text)"), blank=True)
    family = models.CharField(_("ransomware family"), max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
