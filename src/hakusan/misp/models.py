"""Bookkeeping of the MISP feeds: what each exported event last looked like per audience, so
that re-exports keep uuids and timestamps unless the content changed (a subscribed MISP
instance re-fetches an event only when the manifest's timestamp moves)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hakusan.core.choices import TLP


class FeedEventState(models.Model):
    """One feed event (a case, a campaign, or the shared indicators of one TLP level) as last
    built for an audience (the highest TLP it was built for). ``attributes``: attribute uuid
    -> [content hash, Unix timestamp] of each attribute in it."""

    uuid = models.UUIDField(_("event uuid"))
    audience = models.CharField(_("audience"), max_length=12, choices=TLP.choices)
    key = models.CharField(
        _("key"), max_length=80
    )  # case:C2026-00012, campaign:7, indicators:green
    content_hash = models.CharField(max_length=64)
    timestamp = models.PositiveBigIntegerField()
    attributes = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["uuid", "audience"], name="misp_event_once_per_audience"
            )
        ]
        verbose_name = _("MISP feed event")
        verbose_name_plural = _("MISP feed events")

    def __str__(self) -> str:
        return f"{self.key} ({self.audience})"
