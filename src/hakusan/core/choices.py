from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RECEPTION = "reception", _("Reception officer")
    ANALYST = "analyst", _("Cyber analyst")
    INVESTIGATOR = "investigator", _("Investigator")
    SUPERVISOR = "supervisor", _("Supervisor")
    CSIRT = "csirt", _("CSIRT")
    ADMIN = "admin", _("Administrator")


# Roles whose accounts must use TOTP two-factor authentication.
TWO_FACTOR_ROLES = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.ADMIN})


class DepartmentKind(models.TextChoices):
    HQ_DIVISION = "hq", _("HQ division")
    STATION = "station", _("Police station")
    OTHER = "other", _("Other")


class TLP(models.TextChoices):
    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
