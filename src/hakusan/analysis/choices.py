from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    CLOSED = "closed", _("Closed")


class Confidence(models.TextChoices):
    """Words of estimative probability for an attribution hypothesis."""

    LOW = "low", _("Low confidence")
    MODERATE = "moderate", _("Moderate confidence")
    HIGH = "high", _("High confidence")


class ActorSource(models.TextChoices):
    GALAXY = "galaxy", _("MISP galaxy")
    MANUAL = "manual", _("Entered by an analyst")


class TagKind(models.TextChoices):
    """What a galaxy cluster is (``hakusan.domain.attribution.GalaxyKind``)."""

    ACTOR = "actor", _("Threat actor")
    TECHNIQUE = "technique", _("ATT&CK technique")
    MALWARE = "malware", _("Malware")
    RANSOMWARE = "ransomware", _("Ransomware family")
    TOOL = "tool", _("Tool")
