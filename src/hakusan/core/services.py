"""Core writes: numbering, departments and users (audited)."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, tokens
from .choices import DepartmentKind, Role
from .models import ApiToken, Department, Sequence, User


def reserve_numbers(name: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers of sequence ``name``; returns the first."""
    if count < 1:
        raise ValueError("count must be positive")
    with transaction.atomic():
        Sequence.objects.get_or_create(name=name)
        Sequence.objects.filter(name=name).update(value=F("value") + count)
        last = Sequence.objects.select_for_update().values_list("value", flat=True).get(name=name)
    return last - count + 1


def create_department(
    code: str,
    name: str,
    kind: str = DepartmentKind.STATION,
    *,
    is_cyber_division: bool = False,
    actor: User | None = None,
) -> Department:
    with transaction.atomic():
        dept = Department.objects.create(
            code=code, name=name, kind=kind, is_cyber_division=is_cyber_division
        )
        audit.record(actor, "create", dept, detail={"code": code})
    return dept


def create_user(
    username: str,
    password: str,
    *,
    role: str = Role.RECEPTION,
    department: Department | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_superuser: bool = False,
    actor: User | None = None,
    validate: bool = True,
) -> User:
    from django.contrib.auth.password_validation import validate_password

    if role not in Role.values:
        raise ValueError(f"role: unknown role {role!r} (one of {', '.join(Role.values)})")
    user = User(
        username=username,
        role=role,
        department=department,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_superuser=is_superuser,
        is_staff=is_superuser or role == Role.ADMIN,
    )
    if validate:
        validate_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        user.save()
        audit.record(actor, "create", user, detail={"username": username, "role": role})
    return user


# --- staff API tokens -------------------------------------------------------------------------

# Every token expires; the longest lifetime an administrator may give one.
MAX_API_TOKEN_DAYS = 730


def issue_api_token(
    user: User,
    *,
    label: str = "",
    days: int | None = None,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """A new API token of ``user``; returns it and its key, which is not stored and cannot be
    shown again. Expires after ``days`` (default ``HAKUSAN_API_TOKEN_DAYS``)."""
    days = settings.HAKUSAN_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= MAX_API_TOKEN_DAYS:
        raise ValidationError(
            {
                "days": _("an API token lives from 1 to %(max)d days, not %(days)d")
                % {"max": MAX_API_TOKEN_DAYS, "days": days}
            }
        )
    if not user.is_active:
        raise ValidationError(
            {"user": _("%(user)s is not active: no API token") % {"user": user.username}}
        )
    key = tokens.new_key()
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            digest=tokens.digest(key),
            prefix=tokens.prefix(key),
            label=label,
            created_at=now,
            created_by=actor,
            expires_at=now + datetime.timedelta(days=days),
        )
        audit.record(
            actor,
            "api_token.create",
            token,
            detail={
                "user": user.username,
                "prefix": token.prefix,
                "label": label,
                "expires_at": token.expires_at.isoformat(),
            },
        )
    return token, key


def revoke_api_token(token: ApiToken, *, actor: User | None = None) -> ApiToken:
    """The token stops working at once; revoking a revoked token changes nothing."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit.record(
                actor,
                "api_token.revoke",
                locked,
                detail={"user": locked.user.username, "prefix": locked.prefix},
            )
    token.revoked_at = locked.revoked_at
    return token


def revoke_api_tokens(
    user: User, *, prefix: str | None = None, actor: User | None = None
) -> list[ApiToken]:
    """Revoke the user's live tokens, or the one whose key starts with ``prefix`` (or is the
    whole key), which must name exactly one."""
    live = list(user.api_tokens.filter(revoked_at__isnull=True).order_by("pk"))
    if prefix is not None:
        if not prefix:
            raise ValidationError({"prefix": _("an empty token prefix matches every token")})
        if len(prefix) > tokens.PREFIX_LENGTH:  # the whole key
            live = [t for t in live if tokens.matches(prefix, t.digest)]
        else:
            live = [t for t in live if t.prefix.startswith(prefix)]
        if len(live) != 1:
            raise ValidationError(
                {
                    "prefix": _("%(count)d live tokens of %(user)s start with %(prefix)s")
                    % {"count": len(live), "user": user.username, "prefix": prefix}
                }
            )
    return [revoke_api_token(token, actor=actor) for token in live]


def deactivate_user(user: User, *, actor: User | None = None, request: object = None) -> bool:
    """Users are deactivated, never deleted: their audit entries keep naming them as written.
    Returns False if the user was already inactive (nothing recorded)."""
    from django.http import HttpRequest

    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            return False
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        audit.record(
            actor,
            "deactivate",
            locked,
            detail={"username": locked.username},
            request=request if isinstance(request, HttpRequest) else None,
        )
    user.is_active = False
    return True
