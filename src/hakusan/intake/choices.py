from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    VISIT = "visit", _("In person")
    PHONE = "phone", _("Telephone")
    WEB = "web", _("Web")
    EMAIL = "email", _("E-mail")
    IHC = "ihc", _("Internet Hotline Center")
    PATROL = "patrol", _("Cyber patrol")
    PARTNER = "partner", _("Outside organisation")


class ReportKind(models.TextChoices):
    REPORT = "report", _("Report")
    CONSULTATION = "consultation", _("Consultation")
    INFORMATION = "information", _("Information")


class VictimKind(models.TextChoices):
    PERSON = "person", _("Individual")
    COMPANY = "company", _("Company")
    ORGANISATION = "organisation", _("Organisation")


class OrgSize(models.TextChoices):
    NONE = "", _("(not applicable)")
    LARGE = "large", _("Large enterprise")
    SME = "sme", _("Small or medium enterprise")
    ORGANISATION = "organisation", _("Organisation")


class ReportStatus(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    ROUTED = "routed", _("Routed")
    CASE_OPENED = "case_opened", _("Case opened")
    CLOSED = "closed", _("Closed")


class ItemKind(models.TextChoices):
    URL = "url", _("URL")
    SMS_SENDER = "sms_sender", _("SMS sender")
    MAIL_HEADER = "mail_header", _("Mail header")
    ACCOUNT = "account", _("Account number")
    WALLET = "wallet", _("Wallet address")
    OTHER = "other", _("Other")


class RoutingStepKind(models.TextChoices):
    ROUTE = "route", _("Routed")
    ESCALATE = "escalate", _("Escalated")
    ACCEPT = "accept", _("Accepted")
