"""Inbound STIX: every bundle received (from a partner or a file) and every object in it,
verbatim, so nothing a partner sent is lost even when we cannot map it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hakusan.core.choices import TLP

from .choices import BundleState, ObjectOutcome


class InboundBundle(models.Model):
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_bundles",
        verbose_name=_("partner"),
    )
    source = models.ForeignKey(
        "indicators.IndicatorSource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("indicator source"),
    )
    source_name = models.CharField(_("source name"), max_length=200, blank=True)
    stix_id = models.CharField(_("STIX bundle id"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    state = models.CharField(
        _("state"), max_length=10, choices=BundleState.choices, default=BundleState.PENDING
    )
    tlp_default = models.CharField(
        _("default TLP"), max_length=12, choices=TLP.choices, default=TLP.AMBER
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received by"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    object_count = models.PositiveIntegerField(_("objects"), default=0)
    report = models.JSONField(_("import report"), default=dict, blank=True)
    provenance = models.CharField(_("provenance"), max_length=500, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["state", "received_at"])]
        verbose_name = _("inbound STIX bundle")
        verbose_name_plural = _("inbound STIX bundles")

    def __str__(self) -> str:
        who = self.partner.name if self.partner_id else self.source_name  # type: ignore[union-attr]
        return f"#{self.pk} {who} ({self.get_state_display()})"


class RawStixObject(models.Model):
    """One object of an inbound bundle, exactly as received."""

    bundle = models.ForeignKey(
        InboundBundle,
        on_delete=models.CASCADE,
        related_name="raw_objects",
        verbose_name=_("bundle"),
    )
    stix_id = models.CharField(_("STIX id"), max_length=120)
    stix_type = models.CharField(_("STIX type"), max_length=100)
    spec_version = models.CharField(_("spec version"), max_length=10, blank=True)
    modified = models.CharField(_("modified"), max_length=40, blank=True)
    body = models.JSONField(_("object"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=ObjectOutcome.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["bundle", "id"]
        indexes = [
            models.Index(fields=["stix_id"]),
            models.Index(fields=["stix_type", "bundle"]),
        ]
        verbose_name = _("received STIX object")
        verbose_name_plural = _("received STIX objects")

    def __str__(self) -> str:
        return self.stix_id
