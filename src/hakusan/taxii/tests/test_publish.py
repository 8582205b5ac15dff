"""Publishing outbound collections: what the policy lets out, new versions only on change,
revocation when an item stops being shareable, freshness through ``indicators_changed``."""

import itertools
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from hakusan.indicators.models import Observable
from hakusan.indicators.services import set_do_not_share
from hakusan.taxii import services
from hakusan.taxii.models import Collection, PublishedItem, SharedObject

pytestmark = pytest.mark.django_db(transaction=False)


def domains(prefix: str, n: int) -> list[tuple[str, str]]:
    return [("domain", f"{prefix}{i}.phish-kit.example.jp") for i in range(n)]


def indicators(collection: Collection, *, latest_only: bool = True) -> dict[str, dict]:
    rows = SharedObject.objects.filter(collection=collection, type="indicator")
    if latest_only:
        rows = rows.filter(latest=True)
    return {r.stix_id: json.loads(r.body) for r in rows}


def patterns(collection: Collection) -> set[str]:
    return {o["pattern"] for o in indicators(collection).values() if not o.get("revoked")}


def test_collections_serve_items_at_or_below_their_tlp(collections, feed):
    feed(domains("g", 3), tlp="green", name="green feed")
    feed(domains("a", 2), tlp="amber", name="amber feed")
    feed(domains("c", 1), tlp="clear", name="clear feed")
    services.publish()
    clear, green, amber = (
        collections[a] for a in ("indicators-clear", "indicators-green", "indicators-amber")
    )
    assert len(patterns(clear)) == 1
    assert len(patterns(green)) == 4
    assert len(patterns(amber)) == 6
    assert not any("a0.phish" in p or "a1.phish" in p for p in patterns(green))
    # each item is marked with its own level; identity and the markings up to the
    # collection's level are in the collection once
    marks = {o["pattern"]: o["object_marking_refs"] for o in indicators(amber).values()}
    assert marks["[domain-name:value = 'a0.phish-kit.example.jp']"] == [
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
    ]
    assert marks["[domain-name:value = 'g0.phish-kit.example.jp']"] == [
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    ]
    types = list(SharedObject.objects.filter(collection=green).values_list("type", flat=True))
    assert types.count("identity") == 1
    assert types.count("marking-definition") == 2  # clear and green, not amber
    assert types.count("domain-name") == 4 and types.count("relationship") == 4
    # date_added strictly increasing, microsecond precision
    added = list(
        SharedObject.objects.filter(collection=green)
        .order_by("pk")
        .values_list("date_added", flat=True)
    )
    assert all(b > a for a, b in itertools.pairwise(added))


def test_publish_is_incremental(collections, feed):
    green = collections["indicators-green"]
    feed(domains("g", 5), tlp="green")
    first = services.publish(green)["indicators-green"]
    assert first["new_items"] == 5 and first["versions"] == 15  # SCO, indicator, relationship
    again = services.publish(green)["indicators-green"]
    assert again == {**again, "items": 5, "unchanged": 5, "versions": 0}
    count = SharedObject.objects.filter(collection=green).count()

    # seen again later: the indicator and relationship get a new version (modified moves), the
    # SCO is unchanged and is not written again
    feed(domains("g", 1), tlp="green", when=timezone.now())
    third = services.publish(green)["indicators-green"]
    assert third["changed_items"] == 1 and third["unchanged"] == 4
    assert SharedObject.objects.filter(collection=green).count() == count + 2
    versions = SharedObject.objects.filter(collection=green, type="indicator").order_by(
        "date_added"
    )
    ids = [v.stix_id for v in versions]
    changed = next(i for i in ids if ids.count(i) == 2)
    old, new = versions.filter(stix_id=changed).order_by("version")
    assert new.version > old.version and new.latest and not old.latest
    assert old.first and not new.first


def test_item_no_longer_shareable_is_revoked_then_shared_again(collections, feed):
    green = collections["indicators-green"]
    feed(domains("g", 2), tlp="green")
    services.publish(green)
    obs = Observable.objects.get(value="g0.phish-kit.example.jp")
    set_do_not_share(obs, None, True, reason="test")
    result = services.publish(green)["indicators-green"]
    assert result["revoked_items"] == 1 and result["items"] == 1
    latest = indicators(green)
    revoked = [o for o in latest.values() if o.get("revoked")]
    assert len(revoked) == 1 and "g0.phish-kit" in revoked[0]["pattern"]
    assert PublishedItem.objects.get(collection=green, observable_id=obs.pk).revoked
    # the relationship is revoked too; the SCO stays (SCOs have no revocation)
    rel = SharedObject.objects.get(
        collection=green, type="relationship", latest=True, body__contains='"revoked":true'
    )
    assert json.loads(rel.body)["source_ref"] == revoked[0]["id"]
    # idempotent: nothing more to revoke
    assert services.publish(green)["indicators-green"]["versions"] == 0

    set_do_not_share(obs, None, False, reason="test")
    back = services.publish(green)["indicators-green"]
    assert back["changed_items"] == 1
    now = indicators(green)[revoked[0]["id"]]
    assert not now.get("revoked") and now["modified"] > revoked[0]["modified"]


def test_expired_and_tlp_change_leave_the_collection(collections, feed):
    green = collections["indicators-green"]
    feed(domains("e", 3), tlp="green")
    services.publish(green)
    assert len(patterns(green)) == 3
    Observable.objects.filter(value="e0.phish-kit.example.jp").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    from hakusan.indicators.models import Sighting

    Sighting.objects.filter(observable__value="e1.phish-kit.example.jp").update(tlp="amber")
    assert services.publish(green)["indicators-green"]["revoked_items"] == 2
    live = patterns(green)
    assert live == {"[domain-name:value = 'e2.phish-kit.example.jp']"}


def test_signal_marks_dirty_and_read_publishes_once(
    collections, feed, django_capture_on_commit_callbacks
):
    green = collections["indicators-green"]
    services.publish()
    assert not Collection.objects.get(pk=green.pk).dirty
    with django_capture_on_commit_callbacks(execute=True):
        feed(domains("d", 2), tlp="green")
    green.refresh_from_db()
    assert green.dirty
    assert Collection.objects.filter(direction="outbound", dirty=True).count() == 3
    counts = services.publish_if_dirty(green)
    assert counts is not None and counts["new_items"] == 2
    assert services.publish_if_dirty(green) is None  # clean now


def test_publish_job(collections, feed):
    from hakusan.core import jobs

    feed(domains("j", 2), tlp="clear")
    run = jobs.submit("taxii.publish", {"collection": "indicators-clear"}, inline=True)
    assert run.status == "done", run.error
    assert run.result["indicators-clear"]["new_items"] == 2
    run = jobs.submit("taxii.publish", {}, inline=True)  # the periodic run: dirty ones only
    assert set(run.result) == {"indicators-green", "indicators-amber"}
    assert jobs.submit("taxii.publish", {}, inline=True).result == {}  # nothing dirty
    run = jobs.submit("taxii.publish", {"force": True}, inline=True)
    assert set(run.result) == {"indicators-clear", "indicators-green", "indicators-amber"}


def test_expiry_with_time_alone_is_noticed_by_the_job_and_by_reads(
    collections, feed, make_partner, client
):
    """No signal comes when an expiry passes: the periodic job (and the check before a read)
    finds the collection's live items that expired since its last publish and revokes them."""
    import base64

    from hakusan.core import jobs

    green = collections["indicators-green"]
    feed(domains("x", 3), tlp="green")
    services.publish()
    assert jobs.submit("taxii.publish", {}, inline=True).result == {}  # nothing to do
    published = Collection.objects.get(pk=green.pk).published_at
    # expires a moment after the last publish, already past when the job runs
    Observable.objects.filter(value="x0.phish-kit.example.jp").update(expires_at=timezone.now())
    assert not Collection.objects.filter(direction="outbound", dirty=True).exists()  # no signal
    assert services.needs_publishing(green)
    run = jobs.submit("taxii.publish", {}, inline=True)
    assert run.status == "done", run.error
    assert set(run.result) == {"indicators-green", "indicators-amber"}  # clear never had it
    assert run.result["indicators-green"]["revoked_items"] == 1
    assert Collection.objects.get(pk=green.pk).published_at > published
    assert patterns(green) == {f"[domain-name:value = 'x{i}.phish-kit.example.jp']" for i in (1, 2)}
    assert jobs.submit("taxii.publish", {}, inline=True).result == {}  # handled once

    # the same through a partner's poll, without the job
    Observable.objects.filter(value="x1.phish-kit.example.jp").update(expires_at=timezone.now())
    _partner, key = make_partner("Poller", max_tlp="green")
    token = base64.b64encode(f"partner:{key}".encode()).decode()
    response = client.get(
        f"/taxii2/hakusan/collections/{green.pk}/objects/",
        {"match[type]": "indicator"},
        HTTP_AUTHORIZATION=f"Basic {token}",
        HTTP_ACCEPT="application/taxii+json;version=2.1",
    )
    assert response.status_code == 200
    served = {o["pattern"]: o.get("revoked", False) for o in response.json()["objects"]}
    assert served == {
        "[domain-name:value = 'x0.phish-kit.example.jp']": True,
        "[domain-name:value = 'x1.phish-kit.example.jp']": True,
        "[domain-name:value = 'x2.phish-kit.example.jp']": False,
    }


def test_expiry_check_ignores_what_is_not_served(collections, feed):
    green = collections["indicators-green"]
    feed(domains("n", 1), tlp="green")
    feed(domains("r", 1), tlp="red", name="red feed")  # never in the green collection
    services.publish(green)
    Observable.objects.filter(value="r0.phish-kit.example.jp").update(expires_at=timezone.now())
    assert not services.needs_publishing(green)
    # expired before the last publish: already revoked by it, nothing left to do
    Observable.objects.filter(value="n0.phish-kit.example.jp").update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    services.publish(green)
    assert not services.needs_publishing(green)
    assert services.publish_if_dirty(green) is None


def test_objects_dropped_by_a_format_change_are_revoked(collections, feed, monkeypatch):
    """Collections published before the indicator → SCO relationship became ``related-to``
    held ``based-on`` relationships (another id): the next publish revokes them."""
    from hakusan.sharing import stix_export

    green = collections["indicators-green"]
    feed(domains("f", 2), tlp="green")
    monkeypatch.setattr(stix_export, "INDICATOR_TO_SCO", "based-on")
    services.publish(green)
    monkeypatch.undo()
    result = services.publish(green)["indicators-green"]
    assert result["changed_items"] == 2

    def latest(kind):
        rows = SharedObject.objects.filter(collection=green, type="relationship", latest=True)
        return [
            o
            for o in map(json.loads, rows.values_list("body", flat=True))
            if o["relationship_type"] == kind
        ]

    old, new = latest("based-on"), latest("related-to")
    assert len(old) == 2 and all(o["revoked"] for o in old)
    assert len(new) == 2 and not any(o.get("revoked") for o in new)
    assert services.publish(green)["indicators-green"]["versions"] == 0  # revoked once
    # an item leaving later revokes its live objects; the dropped one is not revoked again
    set_do_not_share(
        Observable.objects.get(value="f0.phish-kit.example.jp"), None, True, reason="test"
    )
    assert services.publish(green)["indicators-green"]["versions"] == 2  # indicator, related-to
    assert len(latest("based-on")) == 2


def test_publishing_an_inbound_collection_is_refused(collections):
    with pytest.raises(ValueError, match="inbound"):
        services.publish(collections["inbound"])
