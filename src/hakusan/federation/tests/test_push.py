"""Pushes of our shareable indicators to a real TAXII 2.1 inbound collection (medallion)."""

from datetime import UTC, datetime, timedelta

import pytest

from hakusan.core.models import AuditEntry
from hakusan.federation import services
from hakusan.federation.models import PushedObject
from hakusan.indicators.ingest import SightingInput
from hakusan.indicators.services import create_source, record_sightings

from .conftest import PASSWORD, USER

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def _sight(source_id: int, value: str, tlp: str, *, at: datetime = T0, kind: str = "feed"):
    record_sightings(
        [
            SightingInput(
                source_kind=kind,
                source_id=source_id,
                type="domain",
                value=value,
                original=value,
                seen_at=at,
                tlp=tlp,
            )
        ]
    )


def _patterns(peer) -> set[str]:
    return {o["pattern"] for o in peer.collection["objects"] if o["type"] == "indicator"}


def test_pushes_what_the_partner_may_receive_then_only_changes(peer, make_partner):
    partner, _key = make_partner("Fukui Pref. Police", max_tlp="green")
    feed = create_source(None, "phishing feed")
    _sight(feed.pk, "shop-login.example.jp", "green")
    _sight(feed.pk, "parcel-info.example.jp", "clear")
    _sight(feed.pk, "secret-c2.example.jp", "amber")  # above the partner's TLP
    _sight(77, "victim-only.example.jp", "green", kind="report")  # reports never leave
    target = services.create_push_target(
        "fukui-inbound",
        api_root_url=peer.api_root_url,
        collection="phishing",
        partner=partner,
        username=USER,
        password=PASSWORD,
    )

    first = services.push(target)

    assert first.ok, first.error
    assert (first.considered, first.sent, first.unchanged) == (2, 2, 0)
    assert first.failed == 0 and first.accepted == first.objects
    assert _patterns(peer) == {
        "[domain-name:value = 'shop-login.example.jp']",
        "[domain-name:value = 'parcel-info.example.jp']",
    }
    types = {o["type"] for o in peer.collection["objects"]}
    assert {"identity", "marking-definition", "domain-name", "relationship"} <= types
    assert PushedObject.objects.filter(target=target).count() == 2

    again = services.push(target)
    assert again.ok and (again.sent, again.unchanged, again.objects) == (0, 2, 0)

    _sight(feed.pk, "shop-login.example.jp", "green", at=T0 + timedelta(days=2))
    third = services.push(target)
    assert third.ok and (third.sent, third.unchanged) == (1, 1)
    shop = [
        o
        for o in peer.collection["objects"]
        if o["type"] == "indicator" and "shop-login" in o["pattern"]
    ]
    assert len(shop) == 2  # a new version of the indicator (modified = last seen)

    entry = AuditEntry.objects.filter(action="federation.push").latest("id")
    assert entry.detail["partner_name"] == partner.name and entry.detail["sent"] == 1


def test_push_errors_are_recorded(peer, make_partner):
    partner, _key = make_partner("Ishikawa NPA liaison", max_tlp="green")
    target = services.create_push_target(
        "wrong",
        api_root_url=peer.api_root_url,
        collection="phishing",
        partner=partner,
        username=USER,
        password="not-it",
    )
    result = services.push(target)
    assert not result.ok and "401" in result.error
    target.refresh_from_db()
    assert target.failures == 1 and "401" in target.last_error

    partner.receives = ["cases"]
    partner.save()
    result = services.push(target)
    assert "does not receive indicators" in result.error
