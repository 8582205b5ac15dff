"""Federation with other TAXII 2.1 servers (another prefecture's Hakusan, the NPA, a vendor).

``PullSource``: a remote collection we pull from, incrementally (``added_after`` watermark and
the ``next`` cursor of an interrupted pagination are kept after every imported page).
``PushTarget``: a remote inbound collection we post our shareable indicators to; what was
pushed is remembered per observable (``PushedObject``) so that only changes go again.

Credentials are stored in the database (or named by an environment variable), never in the
repository or the audit log."""

import os
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hakusan.core.choices import TLP

# After a failure, the next try waits RETRY_BASE_SECONDS * 2**(failures-1), at most
# MAX_BACKOFF_SECONDS.
RETRY_BASE_SECONDS = 60
MAX_BACKOFF_SECONDS = 24 * 3600


class RemoteCollection(models.Model):
    """What a pull source and a push target share: where, as whom, for which partner, when."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    api_root_url = models.URLField(
        _("API root URL"),
        max_length=500,
        help_text=_("e.g. https://taxii.example.jp/taxii2/hakusan/"),
    )
    collection = models.CharField(
        _("collection"), max_length=200, help_text=_("collection id, alias or title")
    )
    collection_id = models.CharField(
        _("resolved collection id"), max_length=200, blank=True, default=""
    )
    username = models.CharField(_("user name"), max_length=200, blank=True)
    password = models.CharField(
        _("password or token"),
        max_length=500,
        blank=True,
        help_text=_("stored in the database; leave empty to use the environment variable"),
    )
    password_env = models.CharField(
        _("password environment variable"),
        max_length=100,
        blank=True,
        help_text=_("name of an environment variable holding the password or token"),
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("partner"),
    )
    verify_tls = models.BooleanField(_("verify TLS certificate"), default=True)
    timeout_seconds = models.PositiveIntegerField(_("request timeout (seconds)"), default=60)
    interval_seconds = models.PositiveIntegerField(_("interval (seconds)"), default=3600)
    enabled = models.BooleanField(_("enabled"), default=True)

    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    # A run claims the row until this time (renewed as it goes) so two runs never overlap.
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def secret(self) -> str:
        """The password or token: from the environment variable when one is named."""
        if self.password_env:
            return os.environ.get(self.password_env, "")
        return self.password

    def backoff(self) -> timedelta:
        """How long to wait after the current run of consecutive failures."""
        if not self.failures:
            return timedelta(seconds=self.interval_seconds)
        seconds = RETRY_BASE_SECONDS * 2 ** min(self.failures - 1, 30)
        return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))

    def is_due(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.enabled and (self.next_run_at is None or self.next_run_at <= now)


class PullSource(RemoteCollection):
    """A remote TAXII collection we pull indicators from.

    ``trusted``: pulled bundles are accepted at once; otherwise they wait for an analyst's
    review. ``tlp_default``: the TLP of objects that carry no marking. ``added_after``: the
    watermark, the last ``X-TAXII-Date-Added-Last`` the server sent for an imported page (kept
    as the server wrote it, so no precision is lost). ``next_cursor``: the server's ``next`` of
    an interrupted pagination, valid with the ``added_after`` it was started with
    (``cursor_added_after``)."""

    trusted = models.BooleanField(_("trusted (accept without review)"), default=False)
    tlp_default = models.CharField(
        _("TLP of unmarked objects"), max_length=12, choices=TLP.choices, default=TLP.AMBER
    )
    page_size = models.PositiveIntegerField(_("objects per request"), default=500)
    added_after = models.CharField(_("added-after watermark"), max_length=64, blank=True)
    next_cursor = models.CharField(_("pagination cursor"), max_length=1000, blank=True)
    cursor_added_after = models.CharField(max_length=64, blank=True)
    objects_pulled = models.PositiveBigIntegerField(_("objects pulled"), default=0)

    class Meta(RemoteCollection.Meta):
        verbose_name = _("TAXII pull source")
        verbose_name_plural = _("TAXII pull sources")


class PushTarget(RemoteCollection):
    """A remote inbound TAXII collection we post our shareable indicators to, filtered for
    ``partner`` by the sharing policy (its highest TLP, the data kinds it receives)."""

    objects_pushed = models.PositiveBigIntegerField(_("objects pushed"), default=0)

    class Meta(RemoteCollection.Meta):
        verbose_name = _("TAXII push target")
        verbose_name_plural = _("TAXII push targets")


class PushedObject(models.Model):
    """What a push target last received for one observable: a digest of the STIX objects, so
    the next push sends only what is new or changed."""

    target = models.ForeignKey(PushTarget, on_delete=models.CASCADE, related_name="pushed")
    observable = models.ForeignKey(
        "indicators.Observable", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    digest = models.CharField(max_length=64)
    pushed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["target", "observable"], name="pushed_once_per_target")
        ]
        verbose_name = _("pushed object")
        verbose_name_plural = _("pushed objects")
