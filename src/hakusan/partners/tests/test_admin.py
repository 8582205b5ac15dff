"""The partner admin: creating a partner issues a token shown once; rotate/revoke actions;
tokens are read-only; edits go through the services (audited); administrators only."""

import re
from typing import Any

import pytest

from hakusan.core.models import AuditEntry
from hakusan.partners.models import Partner, PartnerToken, hash_token

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/partners/partner/add/"
LIST_URL = "/admin/partners/partner/"


@pytest.fixture
def admin_client(make_user, login) -> Any:
    return login(make_user("admin", "cyber"))


def form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "富山県警察",
        "kind": "prefecture",
        "max_tlp": "amber",
        "receives": ["indicators", "phishing"],
        "can_write": "on",
        "active": "on",
        "notes": "",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-name": "佐藤 花子",
        "contacts-0-role": "サイバー課",
        "contacts-0-email": "sato@example.jp",
        "contacts-0-phone": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def keys_in(page: str) -> set[str]:
    """Whole 43-character URL-safe words: what a token key looks like."""
    return set(re.findall(r"(?<![\w-])[\w-]{43}(?![\w-])", page))


def test_add_issues_a_token_shown_once(admin_client) -> None:
    response = admin_client.post(ADD_URL, form(), follow=True)
    assert response.status_code == 200
    partner = Partner.objects.get(name="富山県警察")
    assert (partner.kind, partner.max_tlp, partner.can_write) == ("prefecture", "amber", True)
    assert partner.receives == ["indicators", "phishing"]
    assert list(partner.contacts.values_list("name", "email")) == [("佐藤 花子", "sato@example.jp")]
    token = PartnerToken.objects.get(partner=partner)
    page = response.content.decode()
    keys = keys_in(page)
    assert any(hash_token(k) == token.key_digest for k in keys)
    assert token.created_by is not None
    # The change page afterwards shows the prefix only.
    again = admin_client.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()
    assert token.prefix in again
    assert not any(hash_token(k) == token.key_digest for k in keys_in(again))
    entries = AuditEntry.objects.filter(object_type="partners.partner", object_id=str(partner.pk))
    assert {"partner.create", "partner.token.issue", "partner.contacts.change"} <= set(
        entries.values_list("action", flat=True)
    )


def test_add_validation_errors_stay_on_the_form(admin_client) -> None:
    response = admin_client.post(ADD_URL, form(max_tlp="purple"))
    assert response.status_code == 200  # the form again, with the error
    assert not Partner.objects.exists()
    assert not PartnerToken.objects.exists()


def test_change_goes_through_the_service(admin_client, make_partner) -> None:
    partner, _key = make_partner("北陸銀行", max_tlp="green", kind="bank")
    url = f"/admin/partners/partner/{partner.pk}/change/"
    token = partner.tokens.get()
    data = form(
        name="北陸銀行",
        kind="bank",
        max_tlp="amber",
        receives=["phishing"],
        can_write=None,
        **{
            "contacts-TOTAL_FORMS": "0",
            "contacts-0-name": None,
            "contacts-0-role": None,
            "contacts-0-email": None,
            "contacts-0-phone": None,
            "tokens-TOTAL_FORMS": "1",
            "tokens-INITIAL_FORMS": "1",
            "tokens-MIN_NUM_FORMS": "0",
            "tokens-MAX_NUM_FORMS": "1000",
            "tokens-0-id": str(token.pk),
            "tokens-0-partner": str(partner.pk),
        },
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    partner.refresh_from_db()
    assert (partner.max_tlp, partner.receives) == ("amber", ["phishing"])
    entry = AuditEntry.objects.get(action="partner.change", object_id=str(partner.pk))
    assert entry.detail["before"] == {"max_tlp": "green", "receives": partner_default_kinds()}
    assert entry.detail["after"] == {"max_tlp": "amber", "receives": ["phishing"]}


def partner_default_kinds() -> list[str]:
    from hakusan.partners.choices import ALL_DATA_KINDS

    return list(ALL_DATA_KINDS)


def test_rotate_action_shows_each_new_key(admin_client, make_partner) -> None:
    first, old_first = make_partner("A社")
    second, old_second = make_partner("B社")
    response = admin_client.post(
        LIST_URL,
        {"action": "rotate_tokens", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert response.status_code == 200
    keys = keys_in(response.content.decode())
    live = PartnerToken.objects.filter(revoked_at__isnull=True)
    assert {t.key_digest for t in live} == {hash_token(k) for k in keys}
    assert live.count() == 2
    assert not {old_first, old_second} & keys
    assert PartnerToken.objects.filter(revoked_at__isnull=False).count() == 2


def test_revoke_action(admin_client, make_partner) -> None:
    partner, _key = make_partner("C社")
    admin_client.post(LIST_URL, {"action": "revoke_all_tokens", "_selected_action": [partner.pk]})
    assert not partner.tokens.filter(revoked_at__isnull=True).exists()
    assert AuditEntry.objects.filter(action="partner.token.revoke").count() == 1


def test_list_shows_live_tokens(admin_client, make_partner) -> None:
    make_partner("D社")
    page = admin_client.get(LIST_URL).content.decode()
    assert "D社" in page


def test_tokens_and_partners_cannot_be_deleted_or_added_by_hand(admin_client, make_partner) -> None:
    partner, _key = make_partner("E社")
    assert admin_client.get(f"/admin/partners/partner/{partner.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/partners/partnertoken/").status_code == 404  # not registered


@pytest.mark.parametrize("role", ["analyst", "supervisor", "reception"])
def test_other_roles_do_not_reach_it(make_user, login, role: str) -> None:
    client = login(make_user(role, "cyber"))
    response = client.get(LIST_URL)
    assert response.status_code in (302, 403)
    assert "/admin/login/" in response.get("Location", "/admin/login/")
