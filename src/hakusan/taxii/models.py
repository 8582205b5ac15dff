"""TAXII 2.1 server: collections, the STIX objects they hold (every version), publishing state
and the status resources of inbound posts.

Outbound collections are *materialised*: ``services.publish`` writes what the sharing policy
lets out as ``SharedObject`` rows, a new version only when an object's content changed, so a
partner's poll is an indexed range scan on (collection, date_added) and the bodies are served
as stored text, never rebuilt per request."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hakusan.core.choices import TLP
from hakusan.domain.sharing import tlp as tlp_rules
from hakusan.partners.models import Partner

from .choices import Direction, StatusValue

DEFAULT_API_ROOT = "hakusan"


class Collection(models.Model):
    """A TAXII collection under an API root.

    Outbound (we publish, partners read): readable by a partner when its ``max_tlp`` allows the
    collection's ``tlp``, it receives one of the collection's data ``kinds`` and (when a partner
    list is set) it is on the list. Each outbound collection serves every shareable item at or
    below its TLP. Inbound (partners post): writable by partners with ``can_write`` (and on the
    list, when set); a partner reads back only the objects it posted itself."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    api_root = models.SlugField(_("API root"), max_length=50, default=DEFAULT_API_ROOT)
    alias = models.SlugField(_("alias"), max_length=100)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    tlp = models.CharField(_("TLP"), max_length=12, choices=TLP.choices, default=TLP.GREEN)
    kinds = models.JSONField(_("data kinds"), default=list, blank=True)
    partners = models.ManyToManyField(
        Partner,
        blank=True,
        related_name="taxii_collections",
        verbose_name=_("partners allowed (all when empty)"),
    )
    # Set (cheaply) whenever what may be shared could have changed; the next read publishes.
    dirty = models.BooleanField(_("needs publishing"), default=True)
    published_at = models.DateTimeField(_("last published"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["api_root", "alias"]
        constraints = [
            models.UniqueConstraint(fields=["api_root", "alias"], name="taxii_collection_alias")
        ]
        verbose_name = _("TAXII collection")
        verbose_name_plural = _("TAXII collections")

    def __str__(self) -> str:
        return f"{self.api_root}/{self.alias}"

    @property
    def outbound(self) -> bool:
        return self.direction == Direction.OUTBOUND

    def _listed(self, partner: Partner, listed: set[int] | None) -> bool:
        if listed is None:
            listed = set(self.partners.values_list("pk", flat=True))
        return not listed or partner.pk in listed

    def can_read(self, partner: Partner, listed: set[int] | None = None) -> bool:
        if not partner.active or not self._listed(partner, listed):
            return False
        if self.outbound:
            return tlp_rules.allows(self.tlp, partner.max_tlp) and any(
                partner.receives_kind(kind) for kind in self.kinds
            )
        return partner.can_write  # its own posts only

    def can_write(self, partner: Partner, listed: set[int] | None = None) -> bool:
        return (
            not self.outbound
            and partner.active
            and partner.can_write
            and self._listed(partner, listed)
        )


class SharedObject(models.Model):
    """One version of one STIX object in one collection. ``date_added`` is unique and strictly
    increasing per collection (microseconds): the paging key. ``latest``/``first`` flag the
    newest and oldest version of each object id (``match[version]=last|first``)."""

    collection = models.ForeignKey(
        Collection, on_delete=models.CASCADE, related_name="shared_objects"
    )
    stix_id = models.CharField(max_length=120)
    type = models.CharField(max_length=60)
    spec_version = models.CharField(max_length=10, default="2.1")
    version = models.DateTimeField()
    date_added = models.DateTimeField()
    latest = models.BooleanField(default=True)
    first = models.BooleanField(default=True)
    body = models.TextField()
    content_hash = models.CharField(max_length=64)
    # Inbound: the partner who posted it (it reads back only its own). Null when we published.
    posted_by = models.ForeignKey(
        Partner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "date_added"], name="taxii_object_date_added"
            )
        ]
        indexes = [models.Index(fields=["collection", "stix_id"], name="taxii_object_stix_id")]
        verbose_name = _("shared STIX object")
        verbose_name_plural = _("shared STIX objects")

    def __str__(self) -> str:
        return f"{self.stix_id} @ {self.version.isoformat()}"


class PublishedItem(models.Model):
    """What the last publish wrote for one observable in one outbound collection: the content
    hash and version of each of its STIX objects. Lets a publish skip unchanged items without
    reading any ``SharedObject`` and revoke the indicator of items no longer shareable."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="+")
    observable_id = models.BigIntegerField()
    digest = models.CharField(max_length=64)
    # {stix id: [content hash, version (STIX timestamp; blank for SCOs)]}
    hashes = models.JSONField(default=dict)
    indicator_id = models.CharField(max_length=120, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "observable_id"], name="taxii_published_once"
            )
        ]


class Status(models.Model):
    """The TAXII status resource of one POST to a collection's objects endpoint."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    api_root = models.SlugField(max_length=50)
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="statuses")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=StatusValue.choices)
    request_timestamp = models.DateTimeField(default=timezone.now)
    total_count = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    pending_count = models.PositiveIntegerField(default=0)
    successes = models.JSONField(default=list, blank=True)
    failures = models.JSONField(default=list, blank=True)
    pendings = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("TAXII status")
        verbose_name_plural = _("TAXII statuses")

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"
