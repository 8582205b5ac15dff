from django.db import models
from django.utils.translation import gettext_lazy as _

from hakusan.domain.observables import ObservableType as DomainType

# Labels for the foundation's observable types; the values come from the domain enum.
_LABELS = {
    "ipv4": _("IPv4 address"),
    "ipv6": _("IPv6 address"),
    "domain": _("Domain"),
    "url": _("URL"),
    "email": _("E-mail address"),
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha256": "SHA-256",
    "phone": _("Phone number"),
    "btc": _("Bitcoin address"),
    "eth": _("Ethereum address"),
    "cve": "CVE",
    "cidr": _("Network (CIDR)"),
    "asn": _("AS number"),
    "mutex": _("Mutex"),
    "filename": _("File name"),
    "user_agent": _("User agent"),
    "ja3": "JA3",
    "ssdeep": "ssdeep",
    "tlsh": "TLSH",
    "bank_account": _("Bank account"),
    "sns_account": _("SNS account"),
    "tel_sms_sender": _("SMS sender"),
}
ObservableType = models.TextChoices(  # type: ignore[call-overload]
    "ObservableType", [(t.name, (t.value, _LABELS.get(t.value, t.value))) for t in DomainType]
)


class SourceKind(models.TextChoices):
    REPORT = "report", _("Report")
    CASE = "case", _("Case")
    FEED = "feed", _("Feed entry")
    SENSOR = "sensor", _("Sensor alert")
    PARTNER = "partner", _("Partner bundle")
    MANUAL = "manual", _("Manual")


class LinkKind(models.TextChoices):
    """Kinds of derived links (``ObservableLink.kind``); the derivation names them."""

    HOST = "host", _("Host")
    REGISTRABLE = "registrable", _("Registrable domain")
    DOMAIN = "domain", _("Domain")
    ASN = "asn", _("AS number")
