from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    INVESTIGATING = "investigating", _("Investigating")
    REFERRED = "referred", _("Referred to prosecutors")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class MemberRole(models.TextChoices):
    LEAD = "lead", _("Lead investigator")
    MEMBER = "member", _("Member")
    ANALYST = "analyst", _("Analyst")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    NOT_APPLICABLE = "na", _("Not applicable")


class TimelineKind(models.TextChoices):
    NOTE = "note", _("Note")
    EVENT = "event", _("Event")
    SYSTEM = "system", _("System")


# Ransomware record fields as the NPA reports them (TAXONOMY §5).
class RansomMethod(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    ENCRYPTION = "encryption", _("Encryption")
    DOUBLE_EXTORTION = "double_extortion", _("Double extortion")
    NOWARE = "noware", _("No-ware ransom (theft without encryption)")


class InfectionRoute(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    VPN = "vpn", _("VPN device")
    RDP = "rdp", _("Remote desktop")
    MAIL = "mail", _("Suspicious e-mail")
    OTHER = "other", _("Other")


class PatchState(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    APPLIED = "applied", _("Latest patches applied")
    NOT_APPLIED = "not_applied", _("Not applied")


class BackupState(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    NONE = "none", _("No backup")
    RESTORED = "restored", _("Backup existed and was restored")
    PARTIAL = "partial", _("Backup existed, partly restored")
    FAILED = "failed", _("Backup existed but could not be restored")
    ENCRYPTED = "encrypted", _("Backup was encrypted too")


class RecoveryPeriod(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    UNDER_WEEK = "lt1w", _("Immediately to under one week")
    UNDER_MONTH = "lt1m", _("One week to under one month")
    UNDER_2MONTHS = "lt2m", _("One to under two months")
    OVER_2MONTHS = "ge2m", _("Two months or more")
    RECOVERING = "recovering", _("Still recovering")


class CostBand(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    UNDER_1M = "lt1m", _("Under 1 million yen")
    UNDER_5M = "lt5m", _("1 to 5 million yen")
    UNDER_10M = "lt10m", _("5 to 10 million yen")
    UNDER_50M = "lt50m", _("10 to 50 million yen")
    OVER_50M = "ge50m", _("50 million yen or more")
