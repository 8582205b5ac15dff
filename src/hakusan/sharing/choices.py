from django.db import models
from django.utils.translation import gettext_lazy as _


class BundleState(models.TextChoices):
    PENDING = "pending", _("Pending review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class ObjectOutcome(models.TextChoices):
    IMPORTED = "imported", _("Imported")  # gave observables new to Hakusan
    MERGED = "merged", _("Merged")  # gave observables we already had (a new sighting)
    KEPT = "kept", _("Kept as received")  # stored verbatim only (patterns, SDOs, …)
    SKIPPED = "skipped", _("Skipped")  # unusable; the reason says why
