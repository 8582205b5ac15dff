"""``hakusan createuser``: add a user with a role and department (and optionally an API token)."""

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hakusan.core.choices import Role
from hakusan.core.models import Department
from hakusan.core.services import MAX_API_TOKEN_DAYS, create_user, issue_api_token


class Command(BaseCommand):
    help = "Create a user. The password is read from --password-stdin or asked for."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", choices=Role.values, default=Role.RECEPTION)
        parser.add_argument("--department", help="department code")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--superuser", action="store_true")
        parser.add_argument("--password-stdin", action="store_true")
        parser.add_argument(
            "--token",
            action="store_true",
            help="also create an API token and print it alone on the last line (shown once)",
        )
        parser.add_argument(
            "--token-days",
            type=int,
            default=None,
            help="days until the token expires (default HAKUSAN_API_TOKEN_DAYS, "
            f"at most {MAX_API_TOKEN_DAYS})",
        )

    def handle(self, *args: Any, **o: Any) -> None:
        days = o["token_days"]
        if days is not None and not o["token"]:
            raise CommandError("--token-days: only with --token")
        if days is not None and not 1 <= days <= MAX_API_TOKEN_DAYS:
            raise CommandError(f"--token-days: from 1 to {MAX_API_TOKEN_DAYS}, not {days}")
        dept = None
        if o["department"]:
            try:
                dept = Department.objects.get(code=o["department"])
            except Department.DoesNotExist:
                codes = ", ".join(Department.objects.values_list("code", flat=True))
                raise CommandError(
                    f"--department: unknown code {o['department']!r} (known: {codes})"
                ) from None
        if o["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords differ")
        try:
            user = create_user(
                o["username"],
                password,
                role=o["role"],
                department=dept,
                first_name=o["first_name"],
                last_name=o["last_name"],
                email=o["email"],
                is_superuser=o["superuser"],
            )
        except ValidationError as exc:
            raise CommandError("password: " + " ".join(exc.messages)) from None
        self.stdout.write(f"created {user.username} ({user.get_role_display()})")
        if o["token"]:
            token, key = issue_api_token(user, label="createuser", days=days)
            expires = token.expires_at.date().isoformat()
            self.stdout.write(f"API token {token.prefix}… expires {expires}; it is shown only now:")
            self.stdout.write(key)
