"""Interop with the real ``taxii2-client`` against live servers: Hakusan (its WSGI app served by
pytest-django's ``live_server``) and, as a peer, medallion (the OASIS reference server, memory
backend) loaded with the same kind of objects. The same client code runs against both."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from hakusan.taxii.tests import peers

DOMAINS = 667  # × (SCO, indicator, relationship) + identity + 2 markings = 2,004 objects
# medallion's memory backend costs O(n²) per request (it matches every object against every
# manifest record): 2,004 objects take minutes there (bench/taxii.py measures it), so the peer
# gets a tenth of them; the client code is the same.
PEER_DOMAINS = 67
MAX_LENGTH = 60_000
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def domain(i: int) -> str:
    return f"d{i}.kit-{i % 13}.example.jp"


@dataclass
class Peer:
    name: str
    discovery: str
    root: str
    user: str
    password: str
    outbound: str
    inbound: str
    total: int  # latest versions in the outbound collection
    indicators: int
    versioned: str  # an indicator with two versions
    every_version: int

    def collection(self, ident: str, **info: Any) -> Collection:
        url = f"{self.root}collections/{ident}/"
        if info:
            info = {"id": ident, "title": "given", "can_read": True, "can_write": True, **info}
            return Collection(url, user=self.user, password=self.password, collection_info=info)
        return Collection(url, user=self.user, password=self.password)


@pytest.fixture
def hakusan(live_server, transactional_db, settings) -> Peer:
    from hakusan.indicators.ingest import SightingInput
    from hakusan.indicators.models import IndicatorSource
    from hakusan.indicators.services import record_sightings
    from hakusan.partners.services import create_partner
    from hakusan.taxii import services
    from hakusan.taxii.models import SharedObject

    settings.HAKUSAN_TAXII_MAX_CONTENT_LENGTH = MAX_LENGTH
    collections = {c.alias: c for c in services.ensure_default_collections()}
    _partner, key = create_partner("Interop", max_tlp="green", can_write=True)
    source = IndicatorSource.objects.create(name="interop feed")
    record_sightings(
        [
            SightingInput("feed", source.pk, "domain", domain(i), "", T0, "green")
            for i in range(DOMAINS)
        ]
    )
    services.publish(collections["indicators-green"])
    record_sightings([SightingInput("feed", source.pk, "domain", domain(0), "", T1, "green")])
    services.publish(collections["indicators-green"])
    green = SharedObject.objects.filter(collection=collections["indicators-green"])
    return Peer(
        name="hakusan",
        discovery=f"{live_server.url}/taxii2/",
        root=f"{live_server.url}/taxii2/hakusan/",
        user="interop",
        password=key,
        outbound=str(collections["indicators-green"].pk),
        inbound=str(collections["inbound"].pk),
        total=green.filter(latest=True).count(),
        indicators=green.filter(latest=True, type="indicator").count(),
        versioned=green.get(type="indicator", first=False).stix_id,
        every_version=green.count(),
    )


def _medallion_objects() -> tuple[list[dict[str, Any]], str]:
    from hakusan.domain.sharing import tlp
    from hakusan.indicators.models import Observable
    from hakusan.sharing import stix_export

    objects = [
        stix_export.identity_object(),
        *stix_export.marking_objects(tlp.levels_up_to("green")),
    ]
    for i in range(PEER_DOMAINS):
        obs = Observable(type="domain", value=domain(i), first_seen=T0, last_seen=T0)
        objects += stix_export.observable_objects(obs, "green")
    again = Observable(type="domain", value=domain(0), first_seen=T0, last_seen=T1)
    newer = [o for o in stix_export.observable_objects(again, "green") if "modified" in o]
    indicator = next(o["id"] for o in newer if o["type"] == "indicator")
    return objects + newer, indicator


@pytest.fixture
def medallion() -> Any:
    objects, versioned = _medallion_objects()
    outbound, inbound = str(uuid.uuid4()), str(uuid.uuid4())
    served = peers.serve_medallion(
        [
            peers.medallion_collection(
                outbound, "outbound", objects, can_read=True, can_write=False
            ),
            peers.medallion_collection(inbound, "inbound", [], can_read=True, can_write=True),
        ],
        max_content_length=MAX_LENGTH,
    )
    user, password = peers.MEDALLION_USER
    yield Peer(
        name="medallion",
        discovery=f"{served.url}/taxii2/",
        root=f"{served.url}/hakusan/",
        user=user,
        password=password,
        outbound=outbound,
        inbound=inbound,
        total=len({o["id"] for o in objects}),
        indicators=len({o["id"] for o in objects if o["type"] == "indicator"}),
        versioned=versioned,
        every_version=len(objects),
    )
    served.stop()


@pytest.fixture(
    params=[
        # the database must be set up before the parametrised fixture asks for the server
        pytest.param("hakusan", marks=pytest.mark.django_db(transaction=True)),
        "medallion",
    ]
)
def peer(request) -> Peer:
    return request.getfixturevalue(request.param)


def everything(func, per_request: int = 500, **filters: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for envelope in as_pages(func, per_request=per_request, **filters):
        out += envelope.get("objects", [])
    return out


def status_of(exc: requests.HTTPError) -> int:
    return exc.response.status_code


def test_reading(peer):
    """Discovery, API root, collections; paging; filters; versions and single objects."""
    _discovery_api_root_collections(peer)
    _paging_through_everything(peer)
    _filters(peer)
    _versions_and_single_object(peer)


def test_writing(peer):
    """Add objects and poll the status, delete; the errors (401, 403, 406, 415, 413)."""
    _add_objects_poll_status_delete(peer)
    _errors(peer)


def _discovery_api_root_collections(peer):
    server = Server(peer.discovery, user=peer.user, password=peer.password)
    assert server.title and server.api_roots
    assert server.default is not None and server.default.url == peer.root
    root = ApiRoot(peer.root, user=peer.user, password=peer.password)
    assert "application/taxii+json;version=2.1" in root.versions
    assert root.max_content_length == MAX_LENGTH
    found = {c.id: c for c in root.collections}
    assert found[peer.outbound].can_read and not found[peer.outbound].can_write
    assert found[peer.inbound].can_write
    assert "application/stix+json;version=2.1" in found[peer.outbound].media_types


def _paging_through_everything(peer):
    outbound = peer.collection(peer.outbound)
    per_page = (peer.total - 1) // 4  # four full pages and a short one
    pages = list(as_pages(outbound.get_objects, per_request=per_page))
    assert len(pages) == 5 and all(p["more"] for p in pages[:-1])
    assert all(len(p["objects"]) == per_page for p in pages[:-1])
    objects = [o for p in pages for o in p.get("objects", [])]
    assert len(objects) == peer.total
    assert len({o["id"] for o in objects}) == peer.total  # latest version of each, once
    manifest = everything(outbound.get_manifest, per_request=1000)
    assert len(manifest) == peer.total
    assert {m["id"] for m in manifest} == {o["id"] for o in objects}
    if peer.name == "hakusan":
        assert peer.total >= 2000


def _filters(peer):
    outbound = peer.collection(peer.outbound)
    indicators = everything(outbound.get_objects, type="indicator")
    assert len(indicators) == peer.indicators and {o["type"] for o in indicators} == {"indicator"}
    one = outbound.get_objects(id=peer.versioned)["objects"]
    assert [o["id"] for o in one] == [peer.versioned]
    assert one[0]["modified"].startswith("2026-11-20T09:00:00")  # the latest version
    every = everything(outbound.get_objects, version="all", type="indicator,relationship")
    assert len(every) == 2 * peer.indicators + 2
    assert outbound.get_objects(spec_version="2.0").get("objects", []) == []

    # added_after: what the manifest dates say was added after a point, and nothing else
    manifest = sorted(
        everything(outbound.get_manifest, per_request=1000, type="indicator"),
        key=lambda m: m["date_added"],
    )
    cut = manifest[len(manifest) // 2]["date_added"]
    later = everything(outbound.get_objects, added_after=cut, type="indicator")
    assert {o["id"] for o in later} == {m["id"] for m in manifest if m["date_added"] > cut}


def _versions_and_single_object(peer):
    outbound = peer.collection(peer.outbound)
    versions = outbound.object_versions(peer.versioned)["versions"]
    assert len(versions) == 2 and versions[0] != versions[1]
    latest = outbound.get_object(peer.versioned)["objects"]
    first = outbound.get_object(peer.versioned, version="first")["objects"]
    both = outbound.get_object(peer.versioned, version="all")["objects"]
    assert len(latest) == 1 and len(first) == 1 and len(both) == 2
    assert latest[0]["modified"] > first[0]["modified"]
    with pytest.raises(requests.HTTPError) as missing:
        outbound.get_object(f"indicator--{uuid.uuid4()}")
    assert status_of(missing.value) == 404


def _envelope(n: int, tag: str) -> dict[str, Any]:
    objects = []
    for i in range(n):
        value = f"{tag}{i}.inbound.example.com"
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, value)}",
                "created": "2026-11-25T01:02:03.000Z",
                "modified": "2026-11-25T01:02:03.000Z",
                "pattern": f"[domain-name:value = '{value}']",
                "pattern_type": "stix",
                "valid_from": "2026-11-25T01:02:03.000Z",
            }
        )
    return {"objects": objects}


def _add_objects_poll_status_delete(peer):
    inbound = peer.collection(peer.inbound)
    envelope = _envelope(3, "a")
    status = inbound.add_objects(envelope, poll_interval=0.2, timeout=30)
    assert status.status == "complete"
    assert status.total_count == 3 and status.success_count == 3 and status.failure_count == 0
    again = inbound.add_objects(envelope, poll_interval=0.2, timeout=30)
    assert again.failure_count == 3 and again.success_count == 0  # already there
    stored = everything(inbound.get_objects)
    assert {o["id"] for o in stored} == {o["id"] for o in envelope["objects"]}

    gone = envelope["objects"][0]["id"]
    inbound.delete_object(gone)
    with pytest.raises(requests.HTTPError) as deleted:
        inbound.get_object(gone)
    assert status_of(deleted.value) == 404
    assert len(everything(inbound.get_objects)) == 2


def _errors(peer):
    with pytest.raises(requests.HTTPError) as unauthorised:
        Server(peer.discovery, user=peer.user, password="wrong-password").refresh()
    assert status_of(unauthorised.value) == 401

    readonly = peer.collection(peer.outbound, can_write=True)  # the client would refuse: bypass
    with pytest.raises(requests.HTTPError) as forbidden:
        readonly.add_objects(_envelope(1, "f"))
    assert status_of(forbidden.value) == 403

    outbound = peer.collection(peer.outbound)
    with pytest.raises(requests.HTTPError) as not_acceptable:
        outbound.get_objects(accept="application/json")
    assert status_of(not_acceptable.value) == 406

    inbound = peer.collection(peer.inbound)
    with pytest.raises(requests.HTTPError) as media:
        inbound.add_objects(_envelope(1, "m"), content_type="application/json")
    assert status_of(media.value) == 415
    with pytest.raises(requests.HTTPError) as too_large:
        inbound.add_objects(_envelope(400, "big"))
    assert status_of(too_large.value) == 413


# --- Hakusan only ---------------------------------------------------------------------


def _write(path, values: list[str]) -> str:
    path.write_text("\n".join(values) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.django_db(transaction=True)
def test_acceptance_partner_gets_only_what_its_tlp_allows(live_server, tmp_path):
    """A green partner polling indicators-green with taxii2-client gets exactly the clear and
    green indicators imported with ``hakusan indicators import``, never the amber ones; the
    amber collection does not exist for it. No set-up step: the read publishes."""
    from django.core.management import call_command

    from hakusan.partners.services import create_partner
    from hakusan.taxii.services import ensure_default_collections

    collections = {c.alias: c for c in ensure_default_collections()}
    _partner, key = create_partner("P", max_tlp="green")
    green = [f"g{i}.acceptance.example.jp" for i in range(5)]
    clear = [f"c{i}.acceptance.example.jp" for i in range(2)]
    amber = [f"a{i}.acceptance.example.jp" for i in range(4)]
    for name, values, level in (
        ("green", green, "green"),
        ("clear", clear, "clear"),
        ("amber", amber, "amber"),
    ):
        call_command(
            "indicators", "import", _write(tmp_path / f"{name}.txt", values),
            "--source", f"{name} feed", "--tlp", level,
        )  # fmt: skip
    root = f"{live_server.url}/taxii2/hakusan/collections/"
    reader = Collection(f"{root}{collections['indicators-green'].pk}/", user="p", password=key)

    def served() -> set[str]:
        objects = everything(reader.get_objects, type="indicator")
        return {o["pattern"].split("'")[1] for o in objects if not o.get("revoked")}

    assert served() == set(green) | set(clear)
    with pytest.raises(requests.HTTPError) as hidden:
        Collection(f"{root}{collections['indicators-amber'].pk}/", user="p", password=key).refresh()
    assert status_of(hidden.value) == 404

    # fresh without a publish step: a new import marks the collections dirty, the read publishes
    more = ["g-late.acceptance.example.jp"]
    call_command(
        "indicators", "import", _write(tmp_path / "late.txt", more),
        "--source", "green feed", "--tlp", "green",
    )  # fmt: skip
    assert served() == set(green) | set(clear) | set(more)


def test_big_post_is_imported_by_a_job(hakusan, monkeypatch):
    from hakusan.sharing.models import InboundBundle
    from hakusan.taxii import services

    monkeypatch.setattr(services, "INLINE_IMPORT_MAX", 5)
    inbound = hakusan.collection(hakusan.inbound)
    status = inbound.add_objects(_envelope(12, "job"), wait_for_completion=False)
    assert status.status == "pending" and status.pending_count == 12
    status.wait_until_final(poll_interval=0.2, timeout=60)
    assert status.status == "complete" and status.success_count == 12
    assert all("pending review" in s["message"] for s in status.successes)
    bundle = InboundBundle.objects.get(partner__name="Interop")
    assert bundle.state == "pending" and bundle.object_count == 12
