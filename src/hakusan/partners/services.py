"""Writes of partners and their credentials. Every change is audited; token keys are returned
once and only their digests are stored."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hakusan.core import audit
from hakusan.core.models import User
from hakusan.core.tokens import new_key
from hakusan.domain.sharing import tlp as tlp_rules

from .choices import ALL_DATA_KINDS, PartnerKind
from .models import Partner, PartnerContact, PartnerToken, hash_token

# Fields an administrator may change after creation (through ``update_partner``).
EDITABLE_FIELDS = ("name", "kind", "max_tlp", "receives", "can_write", "active", "notes")


@dataclass(frozen=True)
class ContactInput:
    name: str
    email: str = ""
    phone: str = ""
    role: str = ""


def _check_kinds(receives: Iterable[str]) -> list[str]:
    receives = [str(kind).strip() for kind in receives]
    unknown = sorted(set(receives) - set(ALL_DATA_KINDS))
    if unknown:
        raise ValidationError(
            {
                "receives": f"unknown data kind(s): {', '.join(unknown)} "
                f"(known: {', '.join(ALL_DATA_KINDS)})"
            }
        )
    return list(dict.fromkeys(receives))


def _check_tlp(max_tlp: str) -> str:
    try:
        return tlp_rules.normalise(max_tlp)
    except tlp_rules.UnknownTLP as exc:
        raise ValidationError({"max_tlp": str(exc)}) from None


def _check_kind(kind: str) -> str:
    if kind not in PartnerKind.values:
        raise ValidationError(
            {"kind": f"unknown partner kind {kind!r} (known: {', '.join(PartnerKind.values)})"}
        )
    return kind


def _check_name(name: str, *, exclude: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "a partner needs a name"})
    clash = Partner.objects.filter(name=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"name": f"a partner named {name!r} already exists"})
    return name


@transaction.atomic
def create_partner(
    name: str,
    *,
    max_tlp: str,
    kind: str = "other",
    can_write: bool = False,
    receives: list[str] | None = None,
    notes: str = "",
    contacts: Iterable[ContactInput] = (),
    user: User | None = None,
) -> tuple[Partner, str]:
    """Create a partner with one token; returns the partner and the token key (shown once)."""
    partner = Partner(
        name=_check_name(name),
        kind=_check_kind(kind),
        max_tlp=_check_tlp(max_tlp),
        can_write=can_write,
        receives=_check_kinds(receives if receives is not None else list(ALL_DATA_KINDS)),
        notes=notes,
        created_by=user,
    )
    partner.full_clean()
    partner.save()
    added = [_add_contact(partner, contact) for contact in contacts]
    audit.record(
        user,
        "partner.create",
        partner,
        detail={
            "name": partner.name,
            "kind": partner.kind,
            "max_tlp": partner.max_tlp,
            "can_write": can_write,
            "receives": partner.receives,
            "contacts": [c.name for c in added],
        },
    )
    _token, key = issue_token(partner, user=user)
    return partner, key


def _add_contact(partner: Partner, contact: ContactInput) -> PartnerContact:
    row = PartnerContact(
        partner=partner,
        name=contact.name.strip(),
        email=contact.email.strip(),
        phone=contact.phone.strip(),
        role=contact.role.strip(),
    )
    if not row.name:
        raise ValidationError({"contacts": "a contact needs a name"})
    try:
        row.full_clean()
    except ValidationError as exc:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        raise ValidationError({"contacts": f"contact {row.name!r}: {problems}"}) from None
    row.save()
    return row


@transaction.atomic
def add_contact(
    partner: Partner, contact: ContactInput, *, user: User | None = None
) -> PartnerContact:
    row = _add_contact(partner, contact)
    audit.record(user, "partner.contact.add", partner, detail={"contact": row.pk, "name": row.name})
    return row


@transaction.atomic
def update_partner(partner: Partner, *, user: User | None = None, **changes: Any) -> Partner:
    """Change a partner's settings (``EDITABLE_FIELDS``); the audit entry has before and after.
    Raising ``max_tlp`` or adding data kinds widens what leaves: it is recorded like any change."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({"__all__": f"cannot change: {', '.join(unknown)}"})
    current = Partner.objects.select_for_update().get(pk=partner.pk)
    cleaned: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "name":
            value = _check_name(value, exclude=partner.pk)
        elif field == "kind":
            value = _check_kind(value)
        elif field == "max_tlp":
            value = _check_tlp(value)
        elif field == "receives":
            value = _check_kinds(value)
        elif field in ("can_write", "active"):
            value = bool(value)
        if getattr(current, field) != value:
            cleaned[field] = value
    if not cleaned:
        return partner
    before = {field: getattr(current, field) for field in cleaned}
    for field, value in cleaned.items():
        setattr(partner, field, value)
    partner.full_clean()
    partner.save(update_fields=list(cleaned))
    action = "partner.change"
    if cleaned.keys() == {"active"}:
        action = "partner.activate" if cleaned["active"] else "partner.deactivate"
    audit.record(user, action, partner, detail={"before": before, "after": cleaned})
    return partner


def deactivate_partner(partner: Partner, *, user: User | None = None) -> Partner:
    """The partner's tokens stop working at once (kept, so it can be reactivated); it receives
    nothing (``policy.shareable_for``)."""
    return update_partner(partner, active=False, user=user)


@transaction.atomic
def record_contact_changes(
    partner: Partner,
    *,
    added: list[str],
    changed: list[str],
    deleted: list[str],
    user: User | None = None,
) -> None:
    """Audit contact edits made in the admin's inline form (the form saved them)."""
    if added or changed or deleted:
        audit.record(
            user,
            "partner.contacts.change",
            partner,
            detail={"added": added, "changed": changed, "deleted": deleted},
        )


@transaction.atomic
def issue_token(
    partner: Partner, *, label: str = "", user: User | None = None
) -> tuple[PartnerToken, str]:
    key = new_key()
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
def revoke_tokens(
    partner: Partner, *, prefix: str | None = None, user: User | None = None
) -> list[PartnerToken]:
    """Revoke the partner's live tokens, or the one whose key starts with ``prefix``. An
    unknown or ambiguous prefix is an error (nothing is revoked)."""
    live = partner.tokens.select_for_update().filter(revoked_at__isnull=True).order_by("pk")
    if prefix is not None:
        prefix = prefix.strip()
        if not prefix:
            raise ValidationError({"prefix": "an empty token prefix matches every token"})
        # The prefix shown is the key's first 8 characters; a longer value (the whole key)
        # matches on those.
        matching = [
            t
            for t in live
            if (t.prefix == prefix[:8] if len(prefix) >= 8 else t.prefix.startswith(prefix))
        ]
        if not matching:
            raise ValidationError(
                {"prefix": f"partner {partner.name!r} has no live token starting {prefix!r}"}
            )
        if len(matching) > 1:
            raise ValidationError(
                {
                    "prefix": f"{len(matching)} live tokens of {partner.name!r} start "
                    f"{prefix!r}: give more of the prefix"
                }
            )
        tokens = matching
    else:
        tokens = list(live)
    return [revoke_token(token, user=user) for token in tokens]


@transaction.atomic
def rotate_token(partner: Partner, *, user: User | None = None) -> tuple[PartnerToken, str]:
    """Revoke every live token of the partner and issue a new one."""
    revoke_tokens(partner, user=user)
    return issue_token(partner, label="rotated", user=user)
