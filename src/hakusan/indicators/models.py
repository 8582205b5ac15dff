from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hakusan.core.choices import TLP

from .choices import ObservableType, SourceKind

MAX_VALUE_LENGTH = 2048


class Observable(models.Model):
    """A (type, canonical value) pair, stored once. Where it was seen lives in ``Sighting``."""

    type = models.CharField(_("type"), max_length=20, choices=ObservableType.choices)
    value = models.CharField(_("value"), max_length=MAX_VALUE_LENGTH)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["type", "value"], name="observable_unique")]
        verbose_name = _("observable")
        verbose_name_plural = _("observables")

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


class Sighting(models.Model):
    """An observable seen in a source record. Correlation of a value is a lookup of these rows:
    linear in sightings, no pairwise table."""

    observable = models.ForeignKey(Observable, on_delete=models.CASCADE, related_name="sightings")
    source_kind = models.CharField(max_length=10, choices=SourceKind.choices)
    source_id = models.BigIntegerField()
    original = models.CharField(_("as written"), max_length=MAX_VALUE_LENGTH, blank=True)
    seen_at = models.DateTimeField(_("seen at"))
    tlp = models.CharField(max_length=12, choices=TLP.choices, default=TLP.AMBER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["observable", "source_kind", "source_id"]),
            models.Index(fields=["source_kind", "source_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["observable", "source_kind", "source_id"], name="sighting_once_per_source"
            )
        ]
