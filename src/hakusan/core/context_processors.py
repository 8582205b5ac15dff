from typing import Any

from django.http import HttpRequest

from . import access


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "nav_can_import": access.user_can(user, access.CAN_IMPORT),
        "nav_can_open_cases": access.user_can(user, access.CAN_OPEN_CASES),
        "nav_is_admin": access.user_can(user, access.CAN_CONFIGURE),
    }
