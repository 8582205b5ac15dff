"""The key a client presents as ``Authorization: Token <key>`` or ``Authorization: Bearer
<key>``: one reading of the header for staff API tokens and partner tokens, with the same
refusals (each caller words its own 401 through ``refuse``)."""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.authentication import get_authorization_header

TOKEN_SCHEMES = (b"token", b"bearer")

Refuse = Callable[[str, str], Exception]


def scheme_and_credentials(request: Any) -> tuple[bytes, list[bytes]]:
    """The header's scheme (lower case) and what follows it, split on white space."""
    parts = get_authorization_header(request).split()
    if not parts:
        return b"", []
    return parts[0].lower(), parts[1:]


def presented_key(request: Any, refuse: Refuse, non_ascii_message: str) -> str | None:
    """The key after ``Token``/``Bearer``; None when the request uses another scheme (or none).
    A malformed header raises ``refuse(message, code)``."""
    scheme, rest = scheme_and_credentials(request)
    if scheme not in TOKEN_SCHEMES:
        return None
    if len(rest) != 1:
        problem = _("no key") if not rest else _("spaces in the key")
        raise refuse(
            _(
                "malformed Authorization header: expected 'Token <key>' or "
                "'Bearer <key>' (%(problem)s)"
            )
            % {"problem": problem},
            "malformed_header",
        )
    try:
        return rest[0].decode("ascii")
    except UnicodeDecodeError:
        raise refuse(non_ascii_message, "malformed_token") from None
