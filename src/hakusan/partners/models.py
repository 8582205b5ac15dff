"""Partner organisations that receive (and may send) shared data, and their API credentials."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hakusan.core import tokens
from hakusan.core.choices import TLP

from .choices import ALL_DATA_KINDS, PartnerKind


def _all_kinds() -> list[str]:
    return list(ALL_DATA_KINDS)


class Partner(models.Model):
    """Another prefecture's Hakusan, the NPA, JC3, a vendor, a bank, a company under 共同対処協定.

    ``max_tlp``: the most restrictive TLP level it may receive. ``receives``: the data kinds
    (``DataKind``) it gets. ``can_write``: it may post bundles to inbound collections."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=PartnerKind.choices, default=PartnerKind.OTHER
    )
    max_tlp = models.CharField(
        _("highest TLP it may receive"), max_length=12, choices=TLP.choices, default=TLP.GREEN
    )
    receives = models.JSONField(_("data it receives"), default=_all_kinds, blank=True)
    can_write = models.BooleanField(_("may send data to us"), default=False)
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name

    def receives_kind(self, kind: str) -> bool:
        return kind in (self.receives or [])


class PartnerContact(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("partner contact")
        verbose_name_plural = _("partner contacts")

    def __str__(self) -> str:
        return f"{self.name} ({self.partner})"


# Tokens are stored as SHA-256 digests, like staff API tokens (``core.tokens``).
hash_token = tokens.digest


class PartnerToken(models.Model):
    """An API credential of a partner: ``Authorization: Token <key>`` (or ``Bearer``), or HTTP
    Basic with any user name and the key as password (TAXII clients). Only the digest is kept;
    the key is shown once when created. Revoked tokens stay for the audit trail."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tokens")
    key_digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("partner token")
        verbose_name_plural = _("partner tokens")

    def __str__(self) -> str:
        return f"{self.partner} {self.prefix}…"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
