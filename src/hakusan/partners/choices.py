from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerKind(models.TextChoices):
    PREFECTURE = "prefecture", _("Prefectural police")
    NPA = "npa", _("National Police Agency")
    JC3 = "jc3", "JC3"
    VENDOR = "vendor", _("Security vendor")
    CARRIER = "carrier", _("Telecom carrier")
    BANK = "bank", _("Bank")
    COMPANY = "company", _("Company (joint-response agreement)")
    OTHER = "other", _("Other")


class DataKind(models.TextChoices):
    """What a partner receives. Collections and feeds each serve one or more of these."""

    INDICATORS = "indicators", _("Indicators and observables")
    CASES = "cases", _("Cases, campaigns and actors")
    PHISHING = "phishing", _("Phishing URLs")
    SMISHING = "smishing", _("Smishing senders and URLs")
    C2 = "c2", _("C2 addresses and domains")


ALL_DATA_KINDS = [kind.value for kind in DataKind]
