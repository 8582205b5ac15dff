"""``hakusan token …``: staff API tokens.

    hakusan token create USERNAME [--label L] [--days N]
    hakusan token list [USERNAME]
    hakusan token revoke USERNAME [--prefix P]

``create`` prints the new key alone on the last line, so that scripts can take it with
``tail -1``; only its digest is stored and it cannot be shown again. Every token expires
(default ``HAKUSAN_API_TOKEN_DAYS``). Changes are audited (with no actor unless ``--user``
names one); keys are never logged.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from hakusan.core import services
from hakusan.core.models import ApiToken, User


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


class Command(BaseCommand):
    help = "Staff API tokens: create (the key alone on the last line, shown once), list, revoke."

    def add_arguments(self, parser: CommandParser) -> None:
        common = CommandParser(add_help=False)
        common.add_argument(
            "--user", default=None, help="user name the change is recorded under (audit)"
        )
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a token and print its key", parents=[common])
        create.add_argument("username")
        create.add_argument("--label", default="", help="what the token is for")
        create.add_argument(
            "--days",
            type=int,
            default=None,
            help="days until it expires (default HAKUSAN_API_TOKEN_DAYS, at most "
            f"{services.MAX_API_TOKEN_DAYS})",
        )
        listing = sub.add_parser("list", help="tokens (prefix, state, expiry, last use)")
        listing.add_argument("username", nargs="?", default=None)
        revoke = sub.add_parser(
            "revoke", help="revoke the user's live tokens (or one by prefix)", parents=[common]
        )
        revoke.add_argument("username")
        revoke.add_argument("--prefix", default=None, help="the token's first characters")

    def handle(self, *args: Any, **o: Any) -> None:
        action = o["action"]
        try:
            if action == "create":
                actor = self._user(o["user"], "--user")
                owner = self._owner(o["username"])
                token, key = services.issue_api_token(
                    owner, label=o["label"], days=o["days"], actor=actor
                )
                self.stdout.write(
                    f"token {token.prefix}… of {owner.username}, expires "
                    f"{_when(token.expires_at)} (store it now: it is not shown again):"
                )
                self.stdout.write(key)
            elif action == "list":
                self._list(self._owner(o["username"]) if o["username"] else None)
            else:
                actor = self._user(o["user"], "--user")
                owner = self._owner(o["username"])
                revoked = services.revoke_api_tokens(owner, prefix=o["prefix"], actor=actor)
                prefixes = ", ".join(f"{t.prefix}…" for t in revoked) or "none were live"
                self.stdout.write(f"{owner.username}: revoked {len(revoked)} token(s): {prefixes}")
        except ValidationError as exc:
            raise CommandError(_errors(exc)) from None

    def _user(self, username: str | None, what: str) -> User | None:
        if not username:
            return None
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"{what}: no user {username!r}") from None

    def _owner(self, username: str) -> User:
        owner = self._user(username, "username")
        if owner is None:
            raise CommandError("username: empty")
        return owner

    def _list(self, owner: User | None) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "created_at")
        if owner is not None:
            tokens = tokens.filter(user=owner)
        now = timezone.now()
        header = ("user", "prefix", "state", "expires", "last used", "label")
        rows = [
            (
                t.user.username,
                f"{t.prefix}…",
                "revoked"
                if t.revoked_at is not None
                else ("expired" if now >= t.expires_at else "live"),
                _when(t.expires_at),
                _when(t.last_used_at),
                t.label,
            )
            for t in tokens
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
