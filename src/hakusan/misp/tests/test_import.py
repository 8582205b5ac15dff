"""MISP events in: mapping, reasons for everything not imported, TLP, confidence, actors, real
OSINT events from PyMISP's source distribution, feeds over HTTP, and the export round trip."""

import http.server
import json
import threading
from functools import partial
from io import StringIO

import pytest
from django.core.management import call_command

from hakusan.core.models import AuditEntry
from hakusan.indicators.models import IndicatorSource, Observable, Sighting
from hakusan.misp.fetch import FetchError, load
from hakusan.misp.services import export_feed, import_events

from .conftest import SDIST

pytestmark = pytest.mark.django_db

EVENT_UUID = "5f0e6a1c-3b7d-4c11-9a55-2d1f8e7a9b01"


def event(attributes, tags=("tlp:green",), orgc="CSIRT-X", **extra):
    return {
        "uuid": EVENT_UUID,
        "info": "phishing wave",
        "date": "2026-04-01",
        "Orgc": {"name": orgc, "uuid": "1d4a5c0e-7f7b-4b43-8a2b-6a3e0b9f3c11"},
        "Tag": [{"name": t} for t in tags],
        "Attribute": attributes,
        **extra,
    }


def attr(uuid, type_, value, to_ids=True, tags=(), **kw):
    return {
        "uuid": uuid,
        "type": type_,
        "category": "Network activity",
        "value": value,
        "to_ids": to_ids,
        "timestamp": "1775000000",
        "Tag": [{"name": t} for t in tags],
        **kw,
    }


def sighting(value):
    return Sighting.objects.select_related("observable").get(observable__value=value)


def test_import_maps_reports_and_sets_tlp_confidence(db):
    report = import_events(
        None,
        [
            event(
                [
                    attr("a1", "ip-dst|port", "192.0.2.5|8443"),
                    attr("a2", "hostname", "Login.Evil.Example", to_ids=False),
                    attr(
                        "a3",
                        "url",
                        "hxxps://evil[.]example/x",
                        tags=["tlp:amber", "kill-chain:delivery"],
                    ),
                    attr("a4", "regkey", "HKLM\\Software\\x"),
                    attr("a5", "md5", "not-a-hash"),
                    attr("a6", "link", "https://blog.example.com/post"),
                    attr("a7", "domain", "gone.example", deleted=True),
                ]
            )
        ],
    )
    assert (report.imported, report.merged, report.attributes) == (3, 0, 7)
    reasons = {s.attribute: s.reason for s in report.skipped}
    assert reasons["a4"] == "skipped: unsupported type regkey"
    assert reasons["a5"].startswith("invalid: invalid md5")
    assert reasons["a6"].startswith("skipped: unsupported type link")
    assert reasons["a7"] == "deleted in MISP"
    ip = sighting("192.0.2.5")
    assert (ip.tlp, ip.confidence, ip.comment) == ("green", 50, "port 8443")
    assert ip.provenance == f"misp event {EVENT_UUID}"
    assert ip.source_kind == "feed"
    assert IndicatorSource.objects.get(pk=ip.source_id).name == "misp:CSIRT-X"
    host = sighting("login.evil.example")
    assert host.confidence < ip.confidence and "misp:to_ids=false" in host.tags
    url = sighting("https://evil.example/x")
    assert url.tlp == "amber" and "kill-chain:delivery" in url.tags
    assert url.original == "hxxps://evil[.]example/x"
    entry = AuditEntry.objects.filter(action="import", object_type="misp.import").latest("id")
    assert entry.detail["imported"] == 3 and entry.detail["skipped"] == 4


def test_reimport_merges_and_default_tlp(db):
    doc = event([attr("b1", "domain", "evil.example")], tags=())
    first = import_events(None, [doc], default_tlp="clear", source_name="partner feed")
    again = import_events(None, [doc], default_tlp="clear", source_name="partner feed")
    assert (first.imported, again.imported, again.merged) == (1, 0, 1)
    s = sighting("evil.example")
    assert s.tlp == "clear" and s.count == 2
    assert IndicatorSource.objects.get(pk=s.source_id).name == "partner feed"
    no_tag = import_events(None, [event([attr("b2", "domain", "other.example")], tags=())])
    assert no_tag.imported == 1 and sighting("other.example").tlp == "amber"


def test_objects_are_flattened_and_galaxies_kept(db, analyst):
    doc = event(
        [],
        tags=("tlp:clear", 'misp-galaxy:threat-actor="Lazarus Group"'),
        Object=[
            {
                "name": "file",
                "Attribute": [
                    {
                        "uuid": "o1",
                        "type": "sha256",
                        "category": "Payload delivery",
                        "value": "C" * 64,
                        "to_ids": True,
                    }
                ],
            }
        ],
        Galaxy=[
            {
                "type": "mitre-attack-pattern",
                "GalaxyCluster": [
                    {"uuid": "", "type": "mitre-attack-pattern", "value": "Phishing - T1566"}
                ],
            }
        ],
    )
    without_user = import_events(None, [doc])
    assert without_user.actors == [] and without_user.actors_not_created
    report = import_events(analyst, [doc])
    assert report.actors and "Lazarus" in report.actors[0]
    assert report.techniques == ["Phishing - T1566"]
    from hakusan.analysis.models import ThreatActor

    assert ThreatActor.objects.filter(galaxy="threat-actor").count() == 1
    s = sighting("c" * 64)
    assert s.tlp == "clear"
    assert 'misp-galaxy:mitre-attack-pattern="Phishing - T1566"' in s.tags
    assert "misp-object:file" in s.tags


@pytest.mark.skipif(
    not SDIST.is_dir(),
    reason=(
        f"PyMISP's test events are absent ({SDIST}): run the Makefile step that extracts the "
        "pinned pymisp sdist into .cache/pymisp-sdist/"
    ),
)
def test_real_osint_events_from_pymisp(db):
    files = [
        "reportlab_testfiles/to_delete2.json",
        "reportlab_testfiles/long_event.json",
        "reportlab_testfiles/mainly_objects_1.json",
        "57c4445b-c548-4654-af0b-4be3950d210f.json",
    ]
    events = [e for f in files for _, e in load(str(SDIST / f))]
    report = import_events(None, events)
    assert report.events == 4
    assert report.imported > 300
    assert report.sources == ["misp:CIRCL"]
    reasons = report.reasons()
    assert (
        reasons.get(
            "skipped: unsupported type link (a reference to a write-up, not an indicator)", 0
        )
        > 50
    )
    # every attribute is accounted for: imported/merged parts, or skipped with a reason
    assert len(report.skipped) < report.attributes
    total = Sighting.objects.filter(source_kind="feed").count()
    assert total == Observable.objects.filter(sightings__source_kind="feed").distinct().count()
    # the events are TLP:WHITE -> clear; objects were flattened (mainly_objects has no
    # top-level attributes)
    assert set(Sighting.objects.values_list("tlp", flat=True)) == {"clear"}
    ip_port = [s for s in report.skipped if s.type == "ip-dst|port"]
    assert not ip_port
    assert Observable.objects.filter(type="ipv4").count() > 50


def test_round_trip_export_import(make_case, sight, clean, feed_source, tmp_path):
    case = make_case("amber")
    sight(
        "case",
        case.pk,
        [
            ("domain", "evil.example"),
            ("ipv4", "192.0.2.10"),
            ("eth", "0x" + "ab" * 20),
            ("sns_account", "x:badguy"),
            ("phone", "+81312345678"),
            ("cve", "CVE-2024-3400"),
        ],
        tlp="amber",
    )
    sight(
        "feed",
        feed_source.pk,
        [
            ("md5", "a" * 32),
            ("domain", "evil.example"),
            ("asn", "AS64500"),
            ("filename", "請求書.exe"),
        ],
        tlp="clear",
    )
    sight("manual", 1, [("url", "https://evil.example/login")], tlp="green")
    clean()
    from hakusan.partners.policy import share_tlp, shareable_observables

    before = {(o.type, o.value, share_tlp(o)) for o in shareable_observables("red")}
    export_feed(tmp_path, max_tlp="red")
    Sighting.objects.all().delete()
    Observable.objects.all().delete()
    report = import_events(None, [e for _, e in load(str(tmp_path))])
    assert not report.skipped
    clean()
    after = {(o.type, o.value, share_tlp(o)) for o in shareable_observables("red")}
    assert after == before
    assert len(before) == 10


class _Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != "Token s3cret":
            self.send_error(403, "token required")
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "feed"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=root))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_import_feed_over_http_with_header(served, make_case, sight, clean, feed_source):
    root, base = served
    sight("feed", feed_source.pk, [("domain", "evil.example")], tlp="green")
    clean()
    export_feed(root, max_tlp="green")
    Sighting.objects.all().delete()
    Observable.objects.all().delete()
    with pytest.raises(FetchError, match="HTTP 403"):
        list(load(base + "/"))
    out = StringIO()
    call_command(
        "misp",
        "import",
        base + "/",
        "--header",
        "Authorization: Token s3cret",
        "--source",
        "hakusan-peer",
        stdout=out,
    )
    assert "1 imported" in out.getvalue()
    assert sighting("evil.example").tlp == "green"


def test_cli_reports_skips(tmp_path, db):
    path = tmp_path / "event.json"
    path.write_text(
        json.dumps(
            {"Event": event([attr("c1", "yara", "rule x {}"), attr("c2", "ip-src", "999.1.1.1")])}
        )
    )
    out = StringIO()
    call_command("misp", "import", str(path), stdout=out)
    text = out.getvalue()
    assert "0 imported" in text and "skipped: unsupported type yara" in text
    assert "attribute c2 (ip-src): invalid" in text
    from django.core.management.base import CommandError

    (tmp_path / "bad.json").write_text('{"type": "bundle"}')
    with pytest.raises(CommandError, match="not a MISP event"):
        call_command("misp", "import", str(tmp_path / "bad.json"))
    with pytest.raises(CommandError, match="no such file"):
        call_command("misp", "import", str(tmp_path / "missing.json"))
