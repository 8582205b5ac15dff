"""Campaigns (cases tied by shared infrastructure), threat actors, attribution hypotheses,
ATT&CK/galaxy tags, and the cached campaign suggestions.

Galaxy clusters (techniques, intrusion sets, malware, ransomware families) are not copied into
the database: tags and actors point at them by uuid and keep the value they had when tagged, so
a newer ``pymispgalaxies`` never changes what an analyst recorded."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hakusan.cases.models import Case
from hakusan.core.choices import TLP

from .choices import ActorSource, CampaignStatus, Confidence, TagKind


class ThreatActor(models.Model):
    """An actor an analyst works with: from a galaxy cluster (uuid) or entered by hand."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    galaxy_uuid = models.UUIDField(_("galaxy cluster"), null=True, blank=True, unique=True)
    galaxy = models.CharField(_("galaxy"), max_length=60, blank=True)
    external_id = models.CharField(_("external id"), max_length=20, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=ActorSource.choices, default=ActorSource.MANUAL
    )
    country = models.CharField(_("suspected country"), max_length=10, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("threat actor")
        verbose_name_plural = _("threat actors")

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE
    )
    tlp = models.CharField(max_length=12, choices=TLP.choices, default=TLP.AMBER)
    actor = models.ForeignKey(
        ThreatActor,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("threat actor"),
    )
    cases = models.ManyToManyField(Case, through="CampaignCase", related_name="campaigns")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class CampaignCase(models.Model):
    """A case in a campaign, with the evidence that put it there (the shared observables:
    ``{"source": "suggestion"|"manual", "score": …, "ties": [{"observable_id", "type",
    "value", "weight", "case_ids"}]}``; values canonical, shown defanged)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="memberships")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="campaign_memberships")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "case"], name="campaign_case_once")
        ]


class ActorHypothesis(models.Model):
    """ "This campaign is the work of that actor", with a confidence and the evidence:
    ``{"observables": [ids], "techniques": [cluster uuids], "refs": [free text]}``."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="hypotheses")
    actor = models.ForeignKey(
        ThreatActor, on_delete=models.PROTECT, related_name="hypotheses", verbose_name=_("actor")
    )
    confidence = models.CharField(_("confidence"), max_length=10, choices=Confidence.choices)
    rationale = models.TextField(_("rationale"))
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("actor hypothesis")
        verbose_name_plural = _("actor hypotheses")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "actor"], name="hypothesis_once_per_actor")
        ]


class GalaxyTag(models.Model):
    """A galaxy cluster (technique, actor, malware …) as it was when tagged."""

    cluster_uuid = models.UUIDField()
    galaxy = models.CharField(max_length=60)
    kind = models.CharField(max_length=12, choices=TagKind.choices)
    value = models.CharField(max_length=300)  # as in MISP: "menuPass - G0045"
    name = models.CharField(max_length=300)
    external_id = models.CharField(max_length=20, blank=True)  # T1486, G0045
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["kind", "name"]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.external_id})" if self.external_id else self.name

    @property
    def machine_tag(self) -> str:
        return f'misp-galaxy:{self.galaxy}="{self.value}"'


class CaseTag(GalaxyTag):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="galaxy_tags")

    class Meta(GalaxyTag.Meta):
        constraints = [
            models.UniqueConstraint(fields=["case", "cluster_uuid"], name="case_tag_once")
        ]


class CampaignTag(GalaxyTag):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tags")

    class Meta(GalaxyTag.Meta):
        constraints = [
            models.UniqueConstraint(fields=["campaign", "cluster_uuid"], name="campaign_tag_once")
        ]


class SuggestionSnapshot(models.Model):
    """The last campaign suggestions computed for a scope (``all``: every case; ``user:<id>``:
    the cases one user may see), with the fingerprint of the data they were computed from.
    Suggestions hold ids only: ``[{"case_ids", "score", "ties": [{"observable_id", "weight",
    "case_ids"}]}]``; pages resolve and filter them for the reader."""

    scope = models.CharField(max_length=40, unique=True)
    fingerprint = models.CharField(max_length=64)
    computed_at = models.DateTimeField()
    case_count = models.PositiveIntegerField(default=0)
    suggestions = models.JSONField(default=list)
    stats = models.JSONField(default=dict)
    params = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("campaign suggestion snapshot")
