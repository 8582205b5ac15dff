import datetime
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import TWO_FACTOR_ROLES, DepartmentKind, JobStatus, Role


class Department(models.Model):
    """A division of prefectural HQ (本部の課) or a police station (警察署)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=DepartmentKind.choices)
    is_cyber_division = models.BooleanField(_("cyber division"), default=False)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


# Audit entries name their actor; deleting a user would rewrite (or orphan) those entries.
USER_DELETE_REFUSED = "users are deactivated, never deleted (core.services.deactivate_user)"


class UserQuerySet(models.QuerySet["User"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(USER_DELETE_REFUSED)


class HakusanUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("department"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.RECEPTION)

    objects: ClassVar[HakusanUserManager] = HakusanUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        full = f"{self.last_name} {self.first_name}".strip()
        return full or self.username

    @property
    def requires_two_factor(self) -> bool:
        return self.is_superuser or self.role in TWO_FACTOR_ROLES

    def has_role(self, *roles: str) -> bool:
        return self.role in roles or (self.is_superuser and Role.ADMIN in roles)

    def __str__(self) -> str:
        return self.display_name

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError(USER_DELETE_REFUSED)


AUDIT_APPEND_ONLY = "audit entries are append-only (written by core.audit.record alone)"


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Bulk writes are refused here, before SQL; the database triggers refuse the rest."""

    def update(self, **kwargs: object) -> int:
        raise PermissionError(AUDIT_APPEND_ONLY)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(AUDIT_APPEND_ONLY)

    def bulk_update(self, *args: object, **kwargs: object) -> int:
        raise PermissionError(AUDIT_APPEND_ONLY)

    def bulk_create(self, *args: object, **kwargs: object) -> list["AuditEntry"]:  # type: ignore[override]
        raise PermissionError(AUDIT_APPEND_ONLY)

    def update_or_create(  # type: ignore[override]
        self, *args: object, **kwargs: object
    ) -> tuple["AuditEntry", bool]:
        raise PermissionError(AUDIT_APPEND_ONLY)


class AuditEntry(models.Model):
    """Append-only, hash-chained log of views, changes, exports and logins.

    Each entry's hash covers its content, its position and the previous entry's hash, keyed
    with a secret kept outside the database (HMAC-SHA256; ``hash_version`` 2). Entries written
    before the key existed keep their plain SHA-256 (``hash_version`` 1). A head checkpoint
    outside the database catches a removed tail; triggers refuse UPDATE and DELETE
    (``hakusan audit verify``; docs/architecture.md, "Audit log: threat model").
    """

    LEGACY_SHA256 = 1
    KEYED_HMAC = 2

    at = models.DateTimeField(_("at"), db_index=True)
    # Users are never deleted (the actor is kept as written); PROTECT refuses it here too.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)
    seq = models.PositiveBigIntegerField(unique=True)  # position in the chain, from 1
    hash_version = models.PositiveSmallIntegerField()

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError(AUDIT_APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError(AUDIT_APPEND_ONLY)


class JobRun(models.Model):
    """One run of a registered job, in-process or on a Celery worker: same code either way."""

    name = models.CharField(max_length=80, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=120, blank=True)
    # Touched while the job runs: a RUNNING job on another host whose heartbeat is old is
    # taken for dead (its process cannot be checked from here). See core.jobs.reap_stale_runs.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, int(100 * self.progress_done / self.progress_total))

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


class Sequence(models.Model):
    """Named counters for human-readable numbers (R2026-000123); blocks are reserved at once
    so bulk imports take one row lock, not one per report."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)


class ApiToken(models.Model):
    """A staff API credential: ``Authorization: Token <key>`` (or ``Bearer <key>``). Only the
    SHA-256 digest of the key is stored (``core.tokens``); the key is shown once, when the
    token is issued (``core.services.issue_api_token``). Every token expires; revoked and
    expired tokens stay for the audit trail."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"

    def live_at(self, when: datetime.datetime) -> bool:
        return self.revoked_at is None and when < self.expires_at
