"""``hakusan partner …``: the token alone on the last line, clear errors, every action audited."""

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hakusan.core.models import AuditEntry
from hakusan.partners.models import Partner, PartnerToken, hash_token

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("partner", *args, stdout=out)
    return out.getvalue().splitlines()


def actions(partner: Partner) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="partners.partner", object_id=str(partner.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_create_prints_the_token_alone_last() -> None:
    lines = run(
        "create",
        "石川県警察本部",
        "--max-tlp",
        "TLP:AMBER",
        "--can-write",
        "--kind",
        "prefecture",
        "--receives",
        "indicators, phishing",
        "--contact",
        "山田 太郎,yamada@example.jp,076-000-0000",
        "--contact",
        "当直",
    )
    key = lines[-1]
    assert " " not in key and len(key) == 43
    partner = Partner.objects.get(name="石川県警察本部")
    assert (partner.max_tlp, partner.can_write, partner.kind) == ("amber", True, "prefecture")
    assert partner.receives == ["indicators", "phishing"]
    assert sorted(partner.contacts.values_list("name", "email", "phone")) == [
        ("山田 太郎", "yamada@example.jp", "076-000-0000"),
        ("当直", "", ""),
    ]
    token = PartnerToken.objects.get(partner=partner)
    assert token.key_digest == hash_token(key) and token.prefix == key[:8]
    text = "\n".join(lines[:-1])
    assert "TLP:AMBER" in text and "indicators, phishing" in text and key[:8] in text
    assert key not in text  # shown once, on its own line
    assert actions(partner) == ["partner.create", "partner.token.issue"]


def test_create_defaults() -> None:
    run("create", "Vendor", "--max-tlp", "green")
    partner = Partner.objects.get(name="Vendor")
    assert partner.kind == "other" and not partner.can_write
    assert partner.receives == ["indicators", "cases", "phishing", "smishing", "c2"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-tlp", "purple"], "'purple'"),
        (["--max-tlp", "green", "--receives", "indicators,malware"], "malware"),
        (["--max-tlp", "green", "--kind", "embassy"], "'embassy'"),
        (["--max-tlp", "green", "--contact", "a,b@example.jp,1,extra"], "name,email,phone"),
        (["--max-tlp", "green", "--contact", "山田,not-an-email"], "山田"),
    ],
)
def test_create_errors_name_the_bad_value(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("create", "Bad", *args)
    assert not Partner.objects.filter(name="Bad").exists()  # nothing half-created
    assert not AuditEntry.objects.filter(action="partner.create").exists()


def test_create_twice_is_an_error() -> None:
    run("create", "Twice", "--max-tlp", "green")
    with pytest.raises(CommandError, match="already exists"):
        run("create", "Twice", "--max-tlp", "green")


def test_missing_max_tlp_is_an_error() -> None:
    with pytest.raises(CommandError, match="--max-tlp"):
        run("create", "NoLevel")


@pytest.mark.parametrize("action", ["rotate", "revoke", "deactivate"])
def test_unknown_partner(action: str, make_partner) -> None:
    make_partner("Known")
    with pytest.raises(CommandError, match=r"no partner named 'Ghost'.*Known"):
        run(action, "Ghost")


def test_rotate(make_partner) -> None:
    partner, old = make_partner("JC3", max_tlp="amber")
    lines = run("rotate", "JC3")
    new = lines[-1]
    assert new != old and len(new) == 43 and "revoked 1 token" in lines[0]
    live = PartnerToken.objects.filter(partner=partner, revoked_at__isnull=True)
    assert [t.key_digest for t in live] == [hash_token(new)]
    assert actions(partner)[-2:] == ["partner.token.revoke", "partner.token.issue"]


def test_revoke_all_and_by_prefix(make_partner) -> None:
    from hakusan.partners.services import issue_token

    partner, first = make_partner("Bank")
    _t, second = issue_token(partner)
    assert (
        "revoked 1 token(s): " + first[:8] in run("revoke", "Bank", "--token-prefix", first[:5])[0]
    )
    assert PartnerToken.objects.get(prefix=second[:8]).revoked_at is None
    with pytest.raises(CommandError, match="no live token starting"):
        run("revoke", "Bank", "--token-prefix", first[:8])  # already revoked
    assert "revoked 1 token(s)" in run("revoke", "Bank")[0]
    assert "revoked 0 token(s)" in run("revoke", "Bank")[0]
    assert not PartnerToken.objects.filter(partner=partner, revoked_at__isnull=True).exists()
    assert actions(partner).count("partner.token.revoke") == 2


def test_ambiguous_prefix_revokes_nothing(make_partner) -> None:
    partner, _key = make_partner("Ambiguous")
    from hakusan.partners.services import issue_token

    issue_token(partner)
    PartnerToken.objects.filter(partner=partner).update(prefix="samepref")
    with pytest.raises(CommandError, match="2 live tokens"):
        run("revoke", "Ambiguous", "--token-prefix", "same")
    assert PartnerToken.objects.filter(partner=partner, revoked_at__isnull=True).count() == 2


def test_deactivate(make_partner) -> None:
    partner, _key = make_partner("Carrier")
    assert "deactivated" in run("deactivate", "Carrier")[0]
    partner.refresh_from_db()
    assert not partner.active
    assert "already inactive" in run("deactivate", "Carrier")[0]
    assert actions(partner).count("partner.deactivate") == 1


def test_user_is_recorded(make_partner, make_user) -> None:
    admin = make_user("admin", "cyber")
    make_partner("Audited")
    run("rotate", "Audited", "--user", admin.username)
    entry = AuditEntry.objects.filter(action="partner.token.issue").order_by("-id").first()
    assert entry is not None and entry.actor == admin
    with pytest.raises(CommandError, match="no user 'nobody'"):
        run("rotate", "Audited", "--user", "nobody")


def test_list(make_partner) -> None:
    from django.utils import timezone

    assert run("list") == ["no partners"]
    partner, _key = make_partner("警察庁", max_tlp="amber+strict", kind="npa", can_write=True)
    make_partner("Vendor B")
    PartnerToken.objects.filter(partner=partner).update(last_used_at=timezone.now())
    lines = run("list")
    assert lines[0].split() == [
        "name", "kind", "max", "TLP", "can", "write", "active", "live", "tokens", "last", "used",
    ]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["警察庁"][1:6] == ["npa", "amber+strict", "yes", "yes", "1"]
    assert rows["Vendor"][2:] == ["other", "green", "no", "yes", "1", "never"]
    # Columns line up (wide Japanese characters count twice).
    assert len({_col(line, "amber+strict", "green") for line in lines[1:]}) == 1


def _col(line: str, *needles: str) -> int:
    from hakusan.partners.management.commands.partner import _width

    for needle in needles:
        if needle in line:
            return _width(line[: line.index(needle)])
    raise AssertionError(line)


def test_console_script_maps_to_the_command(capsys: Any) -> None:
    from hakusan.cli import main

    with pytest.raises(SystemExit):
        main(["hakusan", "partner", "--help"])
    assert "rotate" in capsys.readouterr().out
