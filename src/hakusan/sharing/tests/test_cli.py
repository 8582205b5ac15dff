"""hakusan stix export / import / validate."""

import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from hakusan.core.models import AuditEntry
from hakusan.domain.stix import validation
from hakusan.indicators.models import Observable, Sighting
from hakusan.sharing.models import InboundBundle

from .conftest import strictly_valid
from .test_import import sample_bundle

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 1, 10, tzinfo=UTC)


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("stix", *args, stdout=out)
    return out.getvalue()


def test_import_prints_the_report(tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(sample_bundle()), encoding="utf-8")
    out = run("import", str(path), "--source", "CLI feed", "--tlp", "green")
    assert "imported 4, merged 0, kept 3, skipped 4" in out
    assert "kept as pattern" in out and "no id" in out
    assert "domain 'not a domain': contains characters" in out
    assert Sighting.objects.filter(source_kind="feed").count() == 5


def test_import_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"type": "bundle",\n  "objects": [,]}', encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 2, column 15: Expecting value"):
        run("import", str(path), "--source", "CLI feed")
    with pytest.raises(CommandError, match="no partner"):
        run("import", str(path), "--partner", "Nobody")
    assert not InboundBundle.objects.exists()


def test_import_pending_for_a_partner(tmp_path, make_partner):
    make_partner("CSIRT Example")
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(sample_bundle()), encoding="utf-8")
    out = run("import", str(path), "--partner", "CSIRT Example", "--pending")
    assert "pending review" in out
    assert InboundBundle.objects.get().state == "pending" and not Sighting.objects.exists()


@pytest.mark.usefixtures("stix_schemas")
def test_export_then_validate(tmp_path):
    obs = Observable.objects.create(
        type="domain", value="phish.example.jp", first_seen=T0, last_seen=T0
    )
    Sighting.objects.create(
        observable=obs, source_kind="feed", source_id=1, seen_at=T0, last_seen=T0, tlp="green"
    )
    out_file = tmp_path / "out.json"
    run("export", "--tlp", "amber", "--out", str(out_file))
    bundle = json.loads(out_file.read_text(encoding="utf-8"))
    strictly_valid(bundle)
    assert any(o.get("value") == "phish.example.jp" for o in bundle["objects"])
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert entry.detail["max_tlp"] == "amber" and entry.detail["observables"] == 1
    assert entry.detail["destination"] == str(out_file) and entry.object_id == "out.json"
    assert "valid STIX 2.1" in run("validate", str(out_file))


@pytest.mark.usefixtures("stix_schemas")
def test_validate_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"type": "indicator", "spec_version": "2.1", "id": "indicator--1"}),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="not valid STIX"):
        run("validate", str(bad))
    broken = tmp_path / "broken.json"
    broken.write_text("{\n\n  nope", encoding="utf-8")
    with pytest.raises(CommandError, match="line 3, column 3"):
        run("validate", str(broken))


def test_export_refuses_unknown_cases(tmp_path):
    with pytest.raises(CommandError, match="no case C2026-99999"):
        run("export", "--tlp", "green", "--case", "C2026-99999", "--out", str(tmp_path / "x"))


@pytest.mark.usefixtures("stix_schemas")
def test_the_validator_is_live():
    # a check that cannot fail would prove nothing: an indicator without name/description is
    # valid STIX but fails strict mode, an indicator without a pattern is invalid outright
    result = validation.validate_object(
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z",
        }
    )
    assert not result.valid and any("pattern" in e for e in result.errors)


@pytest.mark.usefixtures("stix_schemas")
def test_validation_is_plain_strict_no_check_disabled():
    # check 202 (relationship-types) is on: indicator → SCO ``based-on`` is not a suggested
    # relationship and fails strict mode; the ``related-to`` we export passes
    from hakusan.sharing import stix_export

    indicator = stix_export.indicator_id("domain", "phish.example.jp")
    sco = "domain-name--1ed3a4a1-9a2b-5d2e-8d5b-8b1c1c1f4c11"
    stamp = "2026-01-01T00:00:00.000Z"

    def rel(kind):
        return stix_export.relationship(
            indicator,
            kind,
            sco,
            created=stamp,
            modified=stamp,
            markings=[stix_export.marking_ref("green")],
        )

    refused = validation.validate_object(rel("based-on"))
    assert not refused.valid
    assert any("based-on" in e and "suggested" in e for e in refused.errors), refused.errors
    assert validation.validate_object(rel("related-to")).clean
    assert stix_export.INDICATOR_TO_SCO == "related-to"
