"""Role checks shared by views, API permissions and selectors (one place for access rules)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission

from .choices import Role
from .models import User

# Who may do what, by role. Need-to-know on individual records is in each app's selectors.
CAN_FILE_REPORTS = frozenset(
    {Role.RECEPTION, Role.ANALYST, Role.INVESTIGATOR, Role.SUPERVISOR, Role.CSIRT, Role.ADMIN}
)
CAN_TRIAGE_AND_ROUTE = frozenset({Role.RECEPTION, Role.ANALYST, Role.SUPERVISOR, Role.ADMIN})
CAN_OPEN_CASES = frozenset({Role.ANALYST, Role.INVESTIGATOR, Role.SUPERVISOR, Role.ADMIN})
CAN_IMPORT = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.ADMIN})
CAN_CONFIGURE = frozenset({Role.ADMIN})
SEES_ALL_REPORTS = frozenset({Role.ADMIN})


def user_can(user: Any, allowed: frozenset[str]) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.role in allowed)


def require_roles(allowed: frozenset[str]) -> Callable[..., Any]:
    """View decorator: login required, then one of the roles, else 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not user_can(request.user, allowed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class RolePermission(BasePermission):
    """DRF permission: ``allowed_roles`` for reads, ``write_roles`` for unsafe methods."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user: User = request.user
        if not getattr(user, "is_authenticated", False):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            allowed = getattr(view, "read_roles", CAN_FILE_REPORTS)
        else:
            allowed = getattr(view, "write_roles", CAN_FILE_REPORTS)
        action = getattr(view, "action", None)
        per_action = getattr(view, "action_roles", {})
        if action in per_action:
            allowed = per_action[action]
        return user_can(user, allowed)
