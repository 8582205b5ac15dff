"""Writes of partners and their credentials. Every change is audited; token keys are returned
once and only their digests are stored."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hakusan.core import audit
from hakusan.core.models import User
from hakusan.domain.sharing import tlp as tlp_rules

from .choices import ALL_DATA_KINDS
from .models import Partner, PartnerToken, hash_token

TOKEN_BYTES = 32


def _check_kinds(receives: list[str]) -> list[str]:
    unknown = sorted(set(receives) - set(ALL_DATA_KINDS))
    if unknown:
        raise ValidationError(
            {
                "receives": f"unknown data kind(s): {', '.join(unknown)} (known: {', '.join(ALL_DATA_KINDS)})"
            }
        )
    return list(dict.fromkeys(receives))


@transaction.atomic
def create_partner(
    name: str,
    *,
    max_tlp: str,
    kind: str = "other",
    can_write: bool = False,
    receives: list[str] | None = None,
    notes: str = "",
    user: User | None = None,
) -> tuple[Partner, str]:
    """Create a partner with one token; returns the partner and the token key (shown once)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "a partner needs a name"})
    if Partner.objects.filter(name=name).exists():
        raise ValidationError({"name": f"a partner named {name!r} already exists"})
    try:
        level = tlp_rules.normalise(max_tlp)
    except tlp_rules.UnknownTLP as exc:
        raise ValidationError({"max_tlp": str(exc)}) from None
    partner = Partner(
        name=name,
        kind=kind,
        max_tlp=level,
        can_write=can_write,
        receives=_check_kinds(receives if receives is not None else list(ALL_DATA_KINDS)),
        notes=notes,
        created_by=user,
    )
    partner.full_clean()
    partner.save()
    audit.record(
        user,
        "partner.create",
        partner,
        detail={"max_tlp": level, "can_write": can_write, "receives": partner.receives},
    )
    _token, key = issue_token(partner, user=user)
    return partner, key


@transaction.atomic
def issue_token(
    partner: Partner, *, label: str = "", user: User | None = None
) -> tuple[PartnerToken, str]:
    key = secrets.token_urlsafe(TOKEN_BYTES)
    token = PartnerToken.objects.create(
        partner=partner, key_digest=hash_token(key), prefix=key[:8], label=label, created_by=user
    )
    audit.record(
        user, "partner.token.issue", partner, detail={"token": token.pk, "prefix": token.prefix}
    )
    return token, key


@transaction.atomic
def revoke_token(token: PartnerToken, *, user: User | None = None) -> PartnerToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            user,
            "partner.token.revoke",
            token.partner,
            detail={"token": token.pk, "prefix": token.prefix},
        )
    return token


@transaction.atomic
def rotate_token(partner: Partner, *, user: User | None = None) -> tuple[PartnerToken, str]:
    """Revoke every live token of the partner and issue a new one."""
    for token in partner.tokens.filter(revoked_at__isnull=True):
        revoke_token(token, user=user)
    return issue_token(partner, label="rotated", user=user)
