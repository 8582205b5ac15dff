"""TAXII collections: the audited create/update services and the admin that saves through
them (administrators only; object counts read-only)."""

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from hakusan.core.models import AuditEntry
from hakusan.taxii import services
from hakusan.taxii.models import Collection, SharedObject

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/taxii/collection/"
ADD_URL = "/admin/taxii/collection/add/"


def entries(collection: Collection, action: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action=action, object_type="taxii.collection", object_id=str(collection.pk)
        )
    )


# --- services ---------------------------------------------------------------------------


def test_create_collection_is_audited_and_starts_dirty(admin_user_obj, make_partner) -> None:
    partner, _key = make_partner("北陸銀行", max_tlp="green", kind="bank")
    collection = services.create_collection(
        "phishing-green",
        title="Phishing URLs (TLP:GREEN)",
        direction="outbound",
        tlp="TLP:GREEN",
        kinds=["phishing", "phishing"],
        partners=[partner],
        user=admin_user_obj,
    )
    collection.refresh_from_db()
    assert (collection.api_root, collection.tlp, collection.kinds) == (
        "hakusan",
        "green",
        ["phishing"],
    )
    assert collection.dirty
    assert list(collection.partners.all()) == [partner]
    [entry] = entries(collection, "taxii.collection.create")
    assert entry.actor == admin_user_obj
    assert entry.detail["partners"] == [partner.pk]
    assert entry.detail["tlp"] == "green"
    assert collection.can_read(partner)


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"alias": "bad alias"}, "alias", "not a slug"),
        ({"alias": ""}, "alias", "needs an alias"),
        ({"api_root": "x/y"}, "api_root", "not a slug"),
        ({"title": "  "}, "title", "needs a title"),
        ({"direction": "sideways"}, "direction", "unknown direction 'sideways'"),
        ({"tlp": "purple"}, "tlp", "unknown TLP level 'purple'"),
        ({"kinds": ["phishing", "ransom"]}, "kinds", "unknown data kind(s): ransom"),
        ({"kinds": []}, "kinds", "at least one data kind"),
        ({"partners": [987654]}, "partners", "unknown partner id(s): 987654"),
        ({"alias": "indicators-green"}, "alias", "already has a collection with alias"),
    ],
)
def test_create_collection_rejects_bad_input(
    collections, overrides: dict[str, Any], field: str, fragment: str
) -> None:
    spec: dict[str, Any] = {
        "alias": "new-one",
        "title": "New",
        "direction": "outbound",
        "tlp": "green",
        "kinds": ["indicators"],
    }
    spec.update(overrides)
    alias = spec.pop("alias")
    before = Collection.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.create_collection(alias, **spec)
    assert any(fragment in m for m in caught.value.message_dict[field])
    assert Collection.objects.count() == before
    assert not AuditEntry.objects.filter(action="taxii.collection.create").exists()


def test_inbound_collection_may_have_no_kinds(db) -> None:
    collection = services.create_collection(
        "posts", title="Posts", direction="inbound", tlp="amber", kinds=[]
    )
    assert collection.kinds == [] and not collection.outbound


def test_update_collection_records_before_and_after(collections, make_partner) -> None:
    partner, _key = make_partner("富山県警察", max_tlp="amber", kind="prefecture")
    green = collections["indicators-green"]
    Collection.objects.filter(pk=green.pk).update(dirty=False)
    green.refresh_from_db()
    services.update_collection(green, tlp="amber", title="Indicators", partners=[partner.pk])
    green.refresh_from_db()
    assert (green.tlp, green.title, green.dirty) == ("amber", "Indicators", True)
    assert list(green.partners.all()) == [partner]
    [entry] = entries(green, "taxii.collection.change")
    assert entry.detail["before"] == {
        "tlp": "green",
        "title": "Indicators (TLP:GREEN and below)",
        "partners": [],
    }
    assert entry.detail["after"] == {
        "tlp": "amber",
        "title": "Indicators",
        "partners": [partner.pk],
    }


def test_update_without_a_change_writes_nothing(collections) -> None:
    green = collections["indicators-green"]
    services.update_collection(green, tlp="TLP:GREEN", kinds=["indicators"])
    assert not entries(green, "taxii.collection.change")


def test_update_refuses_fixed_fields_and_bad_values(collections) -> None:
    green = collections["indicators-green"]
    with pytest.raises(ValidationError, match="cannot change: direction"):
        services.update_collection(green, direction="inbound")
    with pytest.raises(ValidationError, match="already has a collection with alias"):
        services.update_collection(green, alias="indicators-amber")
    with pytest.raises(ValidationError, match="at least one data kind"):
        services.update_collection(green, kinds=[])
    green.refresh_from_db()
    assert (green.alias, green.direction, green.kinds) == (
        "indicators-green",
        "outbound",
        ["indicators"],
    )


# --- admin ------------------------------------------------------------------------------


@pytest.fixture
def admin_user_obj(make_user) -> Any:
    return make_user("admin", "cyber")


@pytest.fixture
def admin_client(admin_user_obj, login) -> Any:
    return login(admin_user_obj)


def add_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "api_root": "hakusan",
        "alias": "phishing-clear",
        "title": "フィッシングURL (TLP:CLEAR)",
        "description": "",
        "direction": "outbound",
        "tlp": "clear",
        "kinds": ["phishing"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_add_saves_through_the_service(admin_client, admin_user_obj, make_partner) -> None:
    partner, _key = make_partner("デモ銀行", max_tlp="green")
    response = admin_client.post(ADD_URL, add_form(partners=[partner.pk]))
    assert response.status_code == 302, response.content.decode()[:3000]
    collection = Collection.objects.get(alias="phishing-clear")
    assert (collection.tlp, collection.kinds, collection.dirty) == ("clear", ["phishing"], True)
    assert list(collection.partners.all()) == [partner]
    [entry] = entries(collection, "taxii.collection.create")
    assert entry.actor == admin_user_obj and entry.detail["partners"] == [partner.pk]


def test_admin_add_errors_stay_on_the_form(admin_client, collections) -> None:
    before = Collection.objects.count()
    response = admin_client.post(ADD_URL, add_form(alias="indicators-green"))
    assert response.status_code == 200
    assert "already has a collection with alias" in response.content.decode()
    response = admin_client.post(ADD_URL, add_form(kinds=None))
    assert response.status_code == 200
    assert "at least one data kind" in response.content.decode()
    assert Collection.objects.count() == before
    assert not AuditEntry.objects.filter(action="taxii.collection.create").exists()


def test_admin_change_goes_through_the_service(admin_client, collections) -> None:
    green = collections["indicators-green"]
    url = f"/admin/taxii/collection/{green.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    response = admin_client.post(
        url,
        {
            "alias": "indicators-green",
            "title": green.title,
            "description": green.description,
            "tlp": "amber",
            "kinds": ["indicators", "phishing"],
            # Fixed fields are not form fields on change: posting them changes nothing.
            "direction": "inbound",
            "api_root": "elsewhere",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    green.refresh_from_db()
    assert (green.tlp, green.kinds, green.direction, green.api_root) == (
        "amber",
        ["indicators", "phishing"],
        "outbound",
        "hakusan",
    )
    [entry] = entries(green, "taxii.collection.change")
    assert entry.detail["after"] == {"tlp": "amber", "kinds": ["indicators", "phishing"]}


def test_admin_lists_object_counts(admin_client, collections, feed) -> None:
    feed([("domain", "phish.example.jp"), ("ipv4", "192.0.2.44")], tlp="green")
    services.publish(collections["indicators-green"])
    green = collections["indicators-green"]
    versions = SharedObject.objects.filter(collection=green).count()
    latest = SharedObject.objects.filter(collection=green, latest=True).count()
    assert versions > 0
    page = admin_client.get(LIST_URL).content.decode()
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*?indicators-green(?:(?!</tr>).)*</tr>", page, re.S)
    assert row is not None
    cells = re.findall(r'class="field-(object_versions|objects_latest)">(\d+)<', row.group(0))
    assert dict(cells) == {"object_versions": str(versions), "objects_latest": str(latest)}
    detail = admin_client.get(f"/admin/taxii/collection/{green.pk}/change/").content.decode()
    assert f'<div class="readonly">{versions}</div>' in detail


def test_collections_cannot_be_deleted(admin_client, collections) -> None:
    green = collections["indicators-green"]
    assert admin_client.get(f"/admin/taxii/collection/{green.pk}/delete/").status_code == 403


@pytest.mark.parametrize("role", ["analyst", "supervisor", "reception"])
def test_other_roles_do_not_reach_it(make_user, login, role: str) -> None:
    client = login(make_user(role, "cyber"))
    response = client.get(LIST_URL)
    assert response.status_code in (302, 403)
    assert "/admin/login/" in response.get("Location", "/admin/login/")
    assert client.post(ADD_URL, add_form()).status_code in (302, 403)
    assert not Collection.objects.filter(alias="phishing-clear").exists()
