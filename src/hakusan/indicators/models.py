from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hakusan.core.choices import TLP

from .choices import ObservableType, SourceKind

MAX_VALUE_LENGTH = 2048
DEFAULT_CONFIDENCE = 50


class Observable(models.Model):
    """A (type, canonical value) pair, stored once. Where it was seen lives in ``Sighting``.

    ``warninglist_hits``: the warninglists the value is on (``[{slug, name, category,
    matched}]``, empty when none) as of the lists' ``warninglist_version``; a warninglisted
    value is kept and shown, flagged, and left out of correlation counts and exports.
    ``expires_at``: after it the indicator is left out of exports (blocklists, feeds), never
    out of analysis. ``first_seen``/``last_seen`` span its sightings. ``do_not_share``: an
    analyst's veto; the sharing policy (``partners.policy``) never lets it leave."""

    type = models.CharField(_("type"), max_length=20, choices=ObservableType.choices)
    value = models.CharField(_("value"), max_length=MAX_VALUE_LENGTH)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    warninglist_hits = models.JSONField(_("warninglist hits"), default=list, blank=True)
    warninglist_version = models.CharField(
        _("warninglist version"), max_length=64, blank=True, default=""
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # db_default: the set-based ingest inserts rows in raw SQL without naming this column.
    do_not_share = models.BooleanField(_("do not share"), default=False, db_default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["type", "value"], name="observable_unique")]
        # Exports ask "what expired since …" (TAXII revocations, blocklist ETags).
        indexes = [models.Index(fields=["expires_at"], name="observable_expires")]
        verbose_name = _("observable")
        verbose_name_plural = _("observables")

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"

    @property
    def warninglisted(self) -> bool:
        return bool(self.warninglist_hits)

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class Sighting(models.Model):
    """An observable seen in a source record. Correlation of a value is a lookup of these rows:
    linear in sightings, no pairwise table.

    One row per (observable, source): seeing the value again in the same source (a feed
    re-imported) widens ``seen_at`` (first seen there) … ``last_seen`` and adds to ``count``.
    ``original`` is the value as written, blank when written exactly as the canonical value.
    ``false_positive``: an analyst judged this sighting wrong; it stays, and lowers the
    indicator's decay score. ``provenance``: how the sighting came in when the source alone
    does not say it."""

    # The unique (observable, source_kind, source_id) index leads with observable_id, so the
    # foreign key needs no index of its own; nor does created_by (rarely queried).
    # No database constraint (here, on links and on facts): its check, a probe of the
    # observables' primary key per row at commit, was half of a bulk ingest's database time
    # on PostgreSQL (docs/benchmarks.md, "Correlation store"). The only writer, ``ingest``,
    # takes the ids from the store in the same transaction; observables are deleted only
    # through the ORM, which cascades itself.
    observable = models.ForeignKey(
        Observable,
        on_delete=models.CASCADE,
        related_name="sightings",
        db_index=False,
        db_constraint=False,
    )
    source_kind = models.CharField(max_length=10, choices=SourceKind.choices)
    source_id = models.BigIntegerField()
    original = models.CharField(_("as written"), max_length=MAX_VALUE_LENGTH, blank=True)
    seen_at = models.DateTimeField(_("first seen"))
    tlp = models.CharField(max_length=12, choices=TLP.choices, default=TLP.AMBER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    last_seen = models.DateTimeField(_("last seen"))
    count = models.PositiveIntegerField(_("times seen"), default=1)
    confidence = models.PositiveSmallIntegerField(
        _("confidence"), default=DEFAULT_CONFIDENCE, validators=[MaxValueValidator(100)]
    )
    false_positive = models.BooleanField(_("false positive"), default=False)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    provenance = models.CharField(_("provenance"), max_length=200, blank=True)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    # The ingest call (one import) that last wrote the row: its later batches keep the
    # stricter TLP of the row (see ingest._TLP_KEEP). None for rows written otherwise.
    ingest_run = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["source_kind", "source_id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["observable", "source_kind", "source_id"], name="sighting_once_per_source"
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__lte=100), name="sighting_confidence_0_100"
            ),
        ]

    @property
    def as_written(self) -> str:
        return self.original or self.observable.value


class IndicatorSource(models.Model):
    """A named source of indicator imports (a feed, a partner's list, a vendor's report).
    Its sightings have source kind ``feed`` and source id = this row's id."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    default_tlp = models.CharField(
        _("default TLP"), max_length=12, choices=TLP.choices, default=TLP.AMBER
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("indicator source")
        verbose_name_plural = _("indicator sources")

    def __str__(self) -> str:
        return self.name


class ObservableLink(models.Model):
    """A link derived from an observable's structure or its enrichment: a URL to its host and
    registrable domain, an e-mail address to its domain, an IP address to its ASN. Values
    that share a target correlate through it ("a.evil.example/x" and "b.evil.example" via
    "evil.example") without any pairwise row."""

    pk = models.CompositePrimaryKey("from_observable", "kind", "to_observable")
    # No database constraints: see ``Sighting.observable``.
    from_observable = models.ForeignKey(
        Observable,
        on_delete=models.CASCADE,
        related_name="links_out",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("kind"), max_length=20)
    to_observable = models.ForeignKey(
        Observable,
        on_delete=models.CASCADE,
        related_name="links_in",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        # What shares a target: counted and sampled from this index alone (newest first).
        indexes = [models.Index(fields=["to_observable", "from_observable"], name="link_to_from")]
        verbose_name = _("observable link")
        verbose_name_plural = _("observable links")


class Attribution(models.Model):
    """The credit a data source's licence requires beside its facts ("ASN data: RouteViews …
    CC BY 4.0, via @ip-location-db/asn 2.3.x"): stored once and referenced by every fact,
    rather than repeated on each (it was most of a fact's row)."""

    text = models.CharField(_("attribution"), max_length=500, unique=True)

    class Meta:
        verbose_name = _("attribution")
        verbose_name_plural = _("attributions")

    def __str__(self) -> str:
        return self.text


class Enrichment(models.Model):
    """A fact about an observable from an enricher (IP → ASN, AS organisation, country), with
    the attribution its data licence requires. One per (observable, enricher, key)."""

    pk = models.CompositePrimaryKey("observable", "enricher", "key")
    # No database constraint: see ``Sighting.observable``.
    observable = models.ForeignKey(
        Observable,
        on_delete=models.CASCADE,
        related_name="enrichments",
        db_index=False,
        db_constraint=False,
    )
    enricher = models.CharField(_("enricher"), max_length=40)
    key = models.CharField(_("key"), max_length=40)
    value = models.CharField(_("value"), max_length=500)
    # No database constraint, as above: the bulk writers take the id from the table in the
    # same transaction, and attributions are never deleted (PROTECT).
    attribution = models.ForeignKey(
        Attribution,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("enrichment")
        verbose_name_plural = _("enrichments")
