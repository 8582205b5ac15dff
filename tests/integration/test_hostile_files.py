"""Hostile files for the file imports (issue 9 §4): the hardening probe's findings for
``stix import``/``stix validate``, ``misp import`` and ``indicators import``, each now a clear
error (or a per-object, per-attribute, per-row reject), never a traceback."""

import json
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from hakusan.core.models import AuditEntry
from hakusan.domain.stix import validation
from hakusan.indicators.models import Observable, Sighting
from hakusan.misp.services import import_events
from hakusan.sharing.models import InboundBundle, RawStixObject
from hakusan.sharing.services import import_bundle

pytestmark = pytest.mark.django_db


def indicator(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd{n:02d}",
        "created": "2026-11-20T06:00:00.000Z",
        "modified": "2026-11-20T06:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '192.0.2.{n}']",
        "pattern_type": "stix",
        "valid_from": "2026-11-20T06:00:00Z",
        **extra,
    }


def bundle(*objects: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "bundle",
        "id": "bundle--0c6a1f3e-8f1b-4f2e-9d1a-2b3c4d5e6f70",
        "objects": list(objects),
    }


def stix(*args: str) -> str:
    out = StringIO()
    call_command("stix", *args, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return str(path)


# --- STIX ----------------------------------------------------------------------------------


@pytest.mark.skipif(validation.schemas_root() is None, reason="STIX 2.1 schemas absent")
def test_stix_validate_on_an_empty_list_is_invalid_not_an_attribute_error(tmp_path):
    out = StringIO()
    with pytest.raises(CommandError, match=r"not valid STIX 2\.1"):
        call_command("stix", "validate", write(tmp_path, "empty.json", "[]"), stdout=out)
    assert "an empty list: no STIX objects" in out.getvalue()


@pytest.mark.skipif(validation.schemas_root() is None, reason="STIX 2.1 schemas absent")
def test_stix_validate_names_the_object_the_validator_cannot_check(tmp_path):
    # "external_references": [1] made the OASIS validator raise a TypeError
    text = json.dumps(bundle(indicator(1), indicator(2, external_references=[1])))
    out = StringIO()
    with pytest.raises(CommandError, match=r"not valid STIX 2\.1"):
        call_command("stix", "validate", write(tmp_path, "odd.json", text), stdout=out)
    assert "objects[1] (indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd02): malformed" in (
        out.getvalue()
    )


@pytest.mark.parametrize("action", ["import", "validate"])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000, "nested deeper than 64 levels"),
        ('{"a":' * 5_000 + "1" + "}" * 5_000, "nested deeper than 64 levels"),
        (json.dumps(bundle(indicator(1))).replace('"stix"', "Infinity"), "Infinity"),
        (
            json.dumps(bundle(indicator(1, confidence=1))).replace(": 1}", ": " + "9" * 5000 + "}"),
            r"\$.objects\[0\].confidence: number with 5000 digits",
        ),
        (json.dumps(bundle(indicator(1, name="\ud800"))), "lone surrogate"),
        ("5", "got int"),
    ],
)
def test_stix_hostile_documents_are_one_clear_error(tmp_path, action, content, message):
    if action == "validate" and validation.schemas_root() is None:
        pytest.skip("STIX 2.1 schemas absent")
    path = write(tmp_path, "hostile.json", content)
    args = ["--source", "feed"] if action == "import" else []
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("stix", action, path, *args, stdout=out)
    # import: the reason is the error; validate: also the reasons printed before it
    assert re.search(message, str(refused.value) + out.getvalue())
    assert "\n" not in str(refused.value)
    assert not InboundBundle.objects.exists()


def test_an_infinite_confidence_from_a_parsed_bundle_skips_that_object_only():
    # TAXII and federation hand the service parsed JSON: Infinity there was an IntegrityError
    # (SQLite's JSON_VALID) for the whole bundle; now that object is skipped, the others kept.
    report = import_bundle(
        bundle(indicator(1, confidence=float("inf")), indicator(2), indicator(3, name="\ud800")),
        source_name="feed",
    )
    assert (report.imported, report.skipped) == (1, 2)
    reasons = {o.stix_id: o.reason for o in report.objects}
    assert "is not finite" in reasons["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd01"]
    assert "lone surrogate" in reasons["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd03"]
    assert list(RawStixObject.objects.values_list("stix_id", flat=True)) == [
        "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd02"
    ]
    assert Observable.objects.get().value == "192.0.2.2"
    assert AuditEntry.objects.filter(action="import").exists()


def test_a_lone_surrogate_in_a_bundle_id_does_not_reach_the_audit_hash():
    data = {**bundle(indicator(1)), "id": "bundle--\ud800"}
    report = import_bundle(data, source_name="feed")
    assert report.imported == 1
    entry = AuditEntry.objects.filter(action="import").latest("id")
    assert entry.detail["stix_bundle"] == ""


# --- MISP ----------------------------------------------------------------------------------


def misp_event(**extra: Any) -> dict[str, Any]:
    return {
        "uuid": "5f0c6a2e-1b1a-4c1a-9d1a-0a0b0c0d0e0f",
        "info": "Phishing wave",
        "Orgc": {"name": "CSIRT Example"},
        "Tag": [{"name": "tlp:green"}],
        "Attribute": [
            {"uuid": "a1", "type": "ip-dst", "value": "192.0.2.40"},
            {"uuid": "a2", "type": "ip-dst", "value": "192.0.2.41", "Tag": 5},
            {"uuid": "a3", "type": "domain", "value": "phish.example.jp", "to_ids": [1]},
            "not an attribute",
            {"uuid": "a5", "type": "ip-dst", "value": "192.0.2.42", "comment": "a\x00b"},
            {"uuid": "a6", "type": "ip-dst", "value": "192.0.2.43"},
        ],
        **extra,
    }


def test_misp_tag_5_rejects_that_attribute_only():
    report = import_events(None, [misp_event()], source_name="misp feed")
    assert report.imported == 2
    assert set(Observable.objects.values_list("value", flat=True)) == {"192.0.2.40", "192.0.2.43"}
    invalid = {s.attribute: s.reason for s in report.skipped}
    assert "$.Event.Attribute[1].Tag: expected a list, got a number" in invalid["a2"]
    assert "$.Event.Attribute[2].to_ids: expected a boolean, got a list" in invalid["a3"]
    assert "$.Event.Attribute[4].comment: contains a NUL character" in invalid["a5"]
    assert any("Attribute[3]: expected an object, got text" in r for r in invalid.values())
    assert report.attributes == 6


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"Tag": 5}, "$.Event.Tag: expected a list, got a number"),
        ({"Attribute": "x"}, "$.Event.Attribute: expected a list, got text"),
        ({"Orgc": ["x"]}, "$.Event.Orgc: expected an object, got a list"),
        ({"info": {"a": 1}}, "$.Event.info: expected text, got an object"),
    ],
)
def test_misp_malformed_event_is_one_skipped_event(extra, message):
    good = {**misp_event(), "uuid": "5f0c6a2e-1b1a-4c1a-9d1a-0a0b0c0d0e10", "Attribute": []}
    good["Attribute"] = [{"uuid": "b1", "type": "ip-dst", "value": "192.0.2.50"}]
    report = import_events(None, [misp_event(**extra), good], source_name="misp feed")
    assert report.events == 2 and report.imported == 1
    (skip,) = [s for s in report.skipped if s.reason.startswith("invalid event")]
    assert message in skip.reason
    assert skip.event == "5f0c6a2e-1b1a-4c1a-9d1a-0a0b0c0d0e0f"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000, "nested deeper"),
        ('{"Event": {"uuid": "x", "Attribute": [], "n": Infinity}}', "Infinity"),
        ('[{"Event": 5}]', "'Event' is not an object"),
        ("[1]", "not a MISP event"),
    ],
)
def test_misp_import_hostile_documents_are_one_clear_error(tmp_path, content, message):
    with pytest.raises(CommandError, match=message):
        call_command("misp", "import", write(tmp_path, "event.json", content), stdout=StringIO())
    assert not Sighting.objects.exists()


# --- indicator files -----------------------------------------------------------------------

BIG = "9" * 5000


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("rows.csv", f"value,confidence\n192.0.2.61,50\n192.0.2.62,{BIG}\n192.0.2.63,60\n"),
        (
            "rows.jsonl",
            '{"value": "192.0.2.61", "confidence": 50}\n'
            f'{{"value": "192.0.2.62", "confidence": {BIG}}}\n'
            '{"value": "192.0.2.63", "confidence": 60}\n',
        ),
        (
            "rows.jsonl",
            '{"value": "192.0.2.61", "confidence": 50}\n'
            f'{{"value": "192.0.2.62", "confidence": "{BIG}"}}\n'
            '{"value": "192.0.2.63", "confidence": 60}\n',
        ),
        (
            "misp.csv",
            "uuid,event_id,category,type,value,comment,to_ids,date\n"
            "u1,1,Network activity,ip-dst,192.0.2.61,,1,20261120\n"
            f"u2,1,Network activity,ip-dst,192.0.2.62,,1,{BIG}\n"
            "u3,1,Network activity,ip-dst,192.0.2.63,,1,20261120\n",
        ),
    ],
)
# The import job runs in a thread after commit, as in the CLI: these tests commit.
@pytest.mark.django_db(transaction=True)
def test_a_5000_digit_number_rejects_its_row_only(tmp_path, capsys, name, content):
    # Before: "Exceeds the limit (4300 digits)" aborted the import, 0 of 3 rows kept.
    path = write(tmp_path, name, content)
    call_command("indicators", "import", path, "--source", "feed", stdout=StringIO())
    assert set(Observable.objects.values_list("value", flat=True)) == {"192.0.2.61", "192.0.2.63"}
    out = capsys.readouterr().out
    line = 2 if name.endswith(".jsonl") else 3  # the CSV files have a header line
    assert "rejected 1 row(s)" in out and f"line {line}," in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"[1, 2]\n", "starts a JSON array"),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_indicator_file_refused_whole_is_one_line_without_a_logged_traceback(
    tmp_path, caplog, content, message
):
    path = write(tmp_path, "feed.jsonl", content)
    with pytest.raises(CommandError, match=message) as failed:
        call_command("indicators", "import", path, "--source", "feed", stdout=StringIO())
    assert "\n" not in str(failed.value)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_the_bench_crashes_of_stix_load_are_skips_now():
    # Found by bench/fuzz.py: an embedded SCO whose type is a list (TypeError: unhashable) and
    # a 5,721-digit number in a pattern (int() refused beyond 4,300 digits).
    from hakusan.domain.stix import reading

    results = reading.analyse(
        [
            {
                "type": "observed-data",
                "id": "observed-data--1",
                "objects": {"0": {"type": ["ipv4-addr"], "value": "192.0.2.1"}},
            },
            indicator(1, pattern="[autonomous-system:number = " + "9" * 5721 + "]"),
        ]
    )
    assert [r.outcome for r in results] == ["kept", "kept"]
    assert "out of range" in results[1].reason
