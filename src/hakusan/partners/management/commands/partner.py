"""``hakusan partner …``: partner organisations and their API tokens.

    hakusan partner create NAME --max-tlp LEVEL [--can-write] [--kind K]
                                [--receives indicators,phishing,...] [--contact "name,email,phone"]
    hakusan partner list
    hakusan partner rotate NAME
    hakusan partner revoke NAME [--token-prefix P]
    hakusan partner deactivate NAME

``create`` and ``rotate`` print the new token alone on the last line, so that scripts can take
it with ``tail -1``; it is not stored and cannot be shown again. Every change is audited (with
no actor unless ``--user`` names one).
"""

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Max, Q

from hakusan.core.models import User
from hakusan.domain.sharing import tlp as tlp_rules
from hakusan.partners import services
from hakusan.partners.choices import ALL_DATA_KINDS, PartnerKind
from hakusan.partners.models import Partner


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def _width(text: str) -> int:
    """Display width: Japanese (wide) characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def parse_contact(text: str) -> services.ContactInput:
    """``"name,email,phone"`` (email and phone optional)."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) > 3 or not parts[0]:
        raise CommandError(f'--contact {text!r}: expected "name,email,phone" (name required)')
    parts += [""] * (3 - len(parts))
    return services.ContactInput(name=parts[0], email=parts[1], phone=parts[2])


class Command(BaseCommand):
    help = (
        "Partner organisations and their API tokens: create, list, rotate, revoke, deactivate. "
        "create/rotate print the new token alone on the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        common = CommandParser(add_help=False)
        common.add_argument(
            "--user", default=None, help="user name the change is recorded under (audit)"
        )
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser(
            "create", help="add a partner and print its first token", parents=[common]
        )
        create.add_argument("name")
        create.add_argument(
            "--max-tlp",
            required=True,
            help=f"most restrictive TLP it may receive: {', '.join(tlp_rules.LEVELS)}",
        )
        create.add_argument("--can-write", action="store_true", help="it may send data to us")
        create.add_argument(
            "--kind",
            default=PartnerKind.OTHER.value,
            help=f"one of {', '.join(PartnerKind.values)}",
        )
        create.add_argument(
            "--receives",
            default=None,
            help=f"comma-separated data kinds (default: all of {','.join(ALL_DATA_KINDS)})",
        )
        create.add_argument(
            "--contact",
            action="append",
            default=[],
            help='"name,email,phone" (repeatable)',
        )
        create.add_argument("--notes", default="")
        sub.add_parser("list", help="partners with their tokens")
        rotate = sub.add_parser(
            "rotate", help="revoke the live tokens and print a new one", parents=[common]
        )
        rotate.add_argument("name")
        revoke = sub.add_parser(
            "revoke", help="revoke all live tokens (or one by prefix)", parents=[common]
        )
        revoke.add_argument("name")
        revoke.add_argument("--token-prefix", default=None, help="the token's first characters")
        deactivate = sub.add_parser(
            "deactivate", help="stop all access and all sharing", parents=[common]
        )
        deactivate.add_argument("name")

    def handle(self, *args: Any, **o: Any) -> None:
        user = self._user(o.get("user"))
        action = o["action"]
        try:
            if action == "create":
                self._create(o, user)
            elif action == "list":
                self._list()
            elif action == "rotate":
                partner = self._partner(o["name"])
                live = partner.tokens.filter(revoked_at__isnull=True).count()
                token, key = services.rotate_token(partner, user=user)
                self.stdout.write(
                    f"partner {partner.name}: revoked {live} token(s), new token {token.prefix}… "
                    "(store it now: it is not shown again)"
                )
                self.stdout.write(key)
            elif action == "revoke":
                partner = self._partner(o["name"])
                revoked = services.revoke_tokens(partner, prefix=o["token_prefix"], user=user)
                prefixes = ", ".join(f"{t.prefix}…" for t in revoked) or "none were live"
                self.stdout.write(
                    f"partner {partner.name}: revoked {len(revoked)} token(s): {prefixes}"
                )
            elif action == "deactivate":
                partner = self._partner(o["name"])
                was_active = partner.active
                services.deactivate_partner(partner, user=user)
                self.stdout.write(
                    f"partner {partner.name}: deactivated (its tokens no longer work, it receives nothing)"
                    if was_active
                    else f"partner {partner.name}: was already inactive"
                )
        except ValidationError as exc:
            raise CommandError(_errors(exc)) from None

    def _user(self, username: str | None) -> User | None:
        if not username:
            return None
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"--user: no user {username!r}") from None

    def _partner(self, name: str) -> Partner:
        try:
            return Partner.objects.get(name=name.strip())
        except Partner.DoesNotExist:
            known = ", ".join(Partner.objects.values_list("name", flat=True)[:20]) or "none"
            raise CommandError(f"no partner named {name!r} (partners: {known})") from None

    def _create(self, o: dict[str, Any], user: User | None) -> None:
        receives = None
        if o["receives"] is not None:
            receives = [kind.strip() for kind in o["receives"].split(",") if kind.strip()]
        contacts = [parse_contact(text) for text in o["contact"]]
        partner, key = services.create_partner(
            o["name"],
            max_tlp=o["max_tlp"],
            kind=o["kind"],
            can_write=o["can_write"],
            receives=receives,
            notes=o["notes"],
            contacts=contacts,
            user=user,
        )
        prefix = key[:8]
        self.stdout.write(f"partner created: {partner.name}")
        self.stdout.write(f"  kind:      {partner.kind}")
        self.stdout.write(f"  max TLP:   TLP:{partner.max_tlp.upper()}")
        self.stdout.write(f"  can write: {'yes' if partner.can_write else 'no'}")
        self.stdout.write(f"  receives:  {', '.join(partner.receives) or '(nothing)'}")
        for contact in partner.contacts.all():
            details = ", ".join(x for x in (contact.email, contact.phone) if x)
            self.stdout.write(f"  contact:   {contact.name}" + (f" ({details})" if details else ""))
        self.stdout.write(f"token {prefix}… (store it now: it is not shown again):")
        self.stdout.write(key)

    def _list(self) -> None:
        partners = Partner.objects.annotate(
            live_tokens=Count("tokens", filter=Q(tokens__revoked_at__isnull=True)),
            last_used=Max("tokens__last_used_at"),
        ).order_by("name")
        header = ("name", "kind", "max TLP", "can write", "active", "live tokens", "last used")
        rows = [
            (
                p.name,
                p.kind,
                p.max_tlp,
                "yes" if p.can_write else "no",
                "yes" if p.active else "no",
                str(p.live_tokens),
                p.last_used.strftime("%Y-%m-%d %H:%M") if p.last_used else "never",
            )
            for p in partners
        ]
        if not rows:
            self.stdout.write("no partners")
            return
        widths = [max(_width(row[i]) for row in (header, *rows)) for i in range(len(header))]
        for row in (header, *rows):
            self.stdout.write(
                "  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip()
            )
