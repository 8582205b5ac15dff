"""Round trip of the OASIS example reports (apt1, poisonivy): import → export → every
observable we took from them is in the export with the same value (unless a warninglist
keeps it back), and the export is strictly valid.

The examples ship with the STIX 2.1 schemas (stix2-validator 3.2.0 wheel, or the cache
`make stix-schemas` fills); without them these tests skip and say so."""

import json

import pytest

from hakusan.domain.observables import canonicalize
from hakusan.domain.stix import mapping, patterns, validation
from hakusan.indicators.models import Observable
from hakusan.sharing import services, stix_export
from hakusan.sharing.stix_export import export_bundle

from .conftest import strictly_valid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stix_schemas")]


def example(name: str) -> dict:
    folder = validation.examples_dir()
    if folder is None or not (folder / f"{name}.json").is_file():
        pytest.skip(
            f"OASIS example {name}.json absent: run `make stix-schemas` (stix2-validator 3.2.0 "
            "wheel) or set HAKUSAN_STIX_SCHEMAS"
        )
    return json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))


def exported_observables(bundle: dict) -> set[tuple[str, str]]:
    out = set()
    for obj in bundle["objects"]:
        if obj["type"] == "indicator":
            for comparison in patterns.parse_simple(obj["pattern"]):
                pair = mapping.from_comparison(comparison)
                assert pair is not None, obj["pattern"]
                out.add((pair[0], canonicalize(*pair)))
        elif obj["type"] == "vulnerability":
            out.update(mapping.from_sco(obj))
    return out


@pytest.mark.parametrize(
    ("name", "expected_min", "kept_patterns"), [("apt1", 10, 2), ("poisonivy", 50, 0)]
)
def test_round_trip(name, expected_min, kept_patterns):
    data = example(name)
    report = services.import_bundle(data, source_name=f"OASIS {name}", tlp_default="green")
    assert report.total == len(data["objects"]) and report.skipped <= 1
    kept_as_pattern = [o for o in report.objects if o.reason.startswith("kept as pattern")]
    assert len(kept_as_pattern) == kept_patterns
    imported = {tuple(text.split(":", 1)) for o in report.objects for text in o.observables}
    assert len(imported) >= expected_min
    bundle = export_bundle(max_tlp="green")
    strictly_valid(bundle)
    flagged = {(o.type, o.value) for o in Observable.objects.exclude(warninglist_hits=[])}
    assert exported_observables(bundle) == imported - flagged
    # every raw object is on record, unknown and complex ones included
    assert report.bundle.raw_objects.count() == len(data["objects"])
    ids = {o["id"] for o in bundle["objects"]}
    assert stix_export.identity_id() in ids


def test_apt1_indicator_values_survive_exactly():
    services.import_bundle(example("apt1"), source_name="OASIS apt1", tlp_default="clear")
    bundle = export_bundle(max_tlp="clear")
    patterns_out = {o["pattern"] for o in bundle["objects"] if o["type"] == "indicator"}
    # apt1 writes "hashes.md5": we write the hash name as STIX spells it (MD5)
    assert "[ipv4-addr:value = '223.166.0.0/15']" in patterns_out
    assert "[file:hashes.MD5 = '001dd76872d80801692ff942308c64e6']" in patterns_out
    assert "[domain-name:value = 'hugesoft.org']" in patterns_out
