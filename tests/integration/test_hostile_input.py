"""Hostile input at the web entry points (issue 9 §4): the hardening probe's findings, each
answered with a clear 4xx naming the problem, never a 500 or a traceback."""

import base64
import json
from typing import Any

import pytest

from tests.api import NARRATIVE, token_client

pytestmark = pytest.mark.django_db

TAXII = "application/taxii+json;version=2.1"
INDICATOR = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created": "2026-11-20T06:00:00.000Z",
    "modified": "2026-11-20T06:00:00.000Z",
    "pattern": "[domain-name:value = 'phish.example.jp']",
    "pattern_type": "stix",
    "valid_from": "2026-11-20T06:00:00Z",
}


def report_body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"channel": "visit", "kind": "consultation", "narrative": NARRATIVE}
    values.update(overrides)
    return values


@pytest.fixture
def api(officer) -> Any:
    return token_client(officer)


def post_report(api: Any, raw: str | bytes, **extra: Any) -> Any:
    return api.generic("POST", "/api/reports/", raw, content_type="application/json", **extra)


# --- REST: /api/reports/ ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("[" * 100_000, "深すぎ"),
        (json.dumps(report_body(narrative="\ud800")), "サロゲート"),
        (json.dumps(report_body(damage_amount=float("inf"))), "Infinity"),
        (json.dumps(report_body(damage_amount=float("nan"))), "NaN"),
        (json.dumps(report_body(damage_amount=10**1000)), "長すぎ"),
        ('{"narrative": "x",, }', "JSON"),
        (b'{"narrative": "\xff"}', "UTF-8"),
    ],
)
def test_hostile_report_body_is_400_in_japanese(api, raw, problem) -> None:
    response = post_report(api, raw)
    assert response.status_code == 400, response.content[:300]
    detail = response.json()["detail"]
    assert problem in detail, detail


def test_report_error_names_where(api) -> None:
    body = json.dumps({"channel": "visit", "items": ["ok", "\udc00"]})
    detail = post_report(api, body).json()["detail"]
    assert "$.items[1]" in detail
    offset = post_report(api, '{"channel": 1,, }').json()["detail"]
    assert "バイト位置 14" in offset  # where the second comma stands


def test_report_errors_in_english_for_an_english_client(api) -> None:
    response = post_report(api, "[" * 100_000, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["detail"]


def test_a_valid_report_still_files(api) -> None:
    response = post_report(api, json.dumps(report_body(damage_amount=12000)))
    assert response.status_code == 201, response.content


# --- TAXII inbound ----------------------------------------------------------------------------


@pytest.fixture
def inbound(client, make_partner) -> Any:
    from hakusan.taxii.services import ensure_default_collections

    collection = {c.alias: c for c in ensure_default_collections()}["inbound"]
    _writer, key = make_partner("Writer", can_write=True)
    token = base64.b64encode(f"partner:{key}".encode()).decode()

    def post(raw: str | bytes) -> Any:
        return client.generic(
            "POST",
            f"/taxii2/hakusan/collections/{collection.pk}/objects/",
            raw,
            content_type=TAXII,
            HTTP_ACCEPT=TAXII,
            HTTP_AUTHORIZATION=f"Basic {token}",
            HTTP_ACCEPT_LANGUAGE="ja",
        )

    return post


@pytest.mark.parametrize(
    ("raw", "status", "problem"),
    [
        ("[" * 100_000, 400, "nested deeper than"),
        (json.dumps({"objects": [{**INDICATOR, "name": "\ud800"}]}), 400, "lone surrogate"),
        (json.dumps({"objects": [{**INDICATOR, "confidence": float("inf")}]}), 400, "Infinity"),
        (json.dumps({"objects": [{**INDICATOR, "confidence": 10**1000}]}), 400, "too long"),
        (b'{"objects": [{"name": "\xff"}]}', 400, "UTF-8"),
        (json.dumps([INDICATOR]), 422, "TAXII envelope"),
        (json.dumps({"objects": [1, "x"]}), 422, "objects[0] is not a STIX object"),
        (json.dumps({"objects": [{**INDICATOR, "id": 5}]}), 422, "'id' must look like"),
        (json.dumps({"objects": [{**INDICATOR, "modified": 5}]}), 422, "objects[0]"),
        (json.dumps({"objects": [{**INDICATOR, "modified": []}]}), 422, "objects[0]"),
        # Longer than the stored columns, or NUL: PostgreSQL refused these with a 500.
        (
            json.dumps({"objects": [{**INDICATOR, "id": "indicator--" + "0" * 200}]}),
            422,
            "'id' is longer than 120",
        ),
        (json.dumps({"objects": [{**INDICATOR, "spec_version": "2.1" * 10}]}), 422, "longer"),
        (json.dumps({"objects": [{**INDICATOR, "name": "a\u0000b"}]}), 422, "NUL"),
    ],
)
def test_hostile_taxii_post_is_4xx_in_english(inbound, raw, status, problem) -> None:
    response = inbound(raw)
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["http_status"] == str(status)
    assert problem in body["description"], body


def test_a_valid_taxii_post_is_accepted(inbound) -> None:
    response = inbound(json.dumps({"objects": [INDICATOR]}))
    assert response.status_code == 202, response.content


# --- audit ------------------------------------------------------------------------------------


def test_audit_entry_with_a_lone_surrogate_in_its_detail_does_not_crash(officer) -> None:
    """Entry points refuse lone surrogates; should one still reach the audit log (a future
    caller), recording it must not crash the request that caused it."""
    from hakusan.core import audit
    from hakusan.core.models import AuditEntry

    audit.record(officer, "probe", None, detail={"value": "\ud800", "\udc00": "key"})
    entry = AuditEntry.objects.filter(action="probe").get()
    assert entry.detail


# --- web forms and the bulk import ------------------------------------------------------------


def test_form_input_cannot_carry_a_lone_surrogate() -> None:
    """Django decodes form bodies from UTF-8 with replacement: the UTF-8 form of a surrogate
    (ED A0 80), percent-encoded or raw in a multipart part, arrives as U+FFFD, never as one."""
    import io

    from django.http import QueryDict
    from django.http.multipartparser import MultiPartParser

    assert "\ud800" not in QueryDict("narrative=%ED%A0%80x")["narrative"]
    body = b'--X\r\nContent-Disposition: form-data; name="n"\r\n\r\n\xed\xa0\x80y\r\n--X--\r\n'
    meta = {"CONTENT_TYPE": "multipart/form-data; boundary=X", "CONTENT_LENGTH": len(body)}
    fields, _files = MultiPartParser(meta, io.BytesIO(body), [], "utf-8").parse()
    fields["n"].encode("utf-8")  # no lone surrogate in it


def test_web_bulk_import_rejects_hostile_rows_and_keeps_the_rest(login, analyst) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from hakusan.core.jobs import execute
    from hakusan.core.models import JobRun
    from hakusan.intake.models import Report

    def row(**overrides: Any) -> bytes:
        return json.dumps(report_body(**overrides)).encode() + b"\n"

    hostile = [
        b'{"narrative": ' + b"[" * 50_000 + b"\n",
        row(narrative="\ud800"),
        row(damage_amount=float("inf")),
        row(damage_amount=float("nan")),
        b'{"narrative": "x", "damage_amount": ' + b"9" * 5000 + b"}\n",
        row(damage_amount={"yen": 5}),
        b"[1, 2]\n",
    ]
    data = row(narrative="一件目 " + NARRATIVE) + b"".join(hostile) + row()
    client = login(analyst)
    upload = SimpleUploadedFile("reports.jsonl", data, "application/json")
    client.post(reverse("intake:import"), {"file": upload, "department": "kanazawa-chuo"})
    run = JobRun.objects.get()
    execute(run.pk)
    run.refresh_from_db()
    assert run.status == "done", run.error
    assert (run.result["imported"], run.result["rejected"]) == (2, len(hostile))
    assert Report.objects.count() == 2


# --- MISP fetch -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"[" * 100_000, "nested deeper than"),
        (b'{"Event": {"info": "\\ud800"}}', "lone surrogate"),
        (b'{"Event": {"threat_level_id": NaN}}', "NaN"),
        (b'{"Event": {"info": "\xff"}}', "UTF-8"),
    ],
)
def test_misp_fetch_refuses_hostile_json_with_one_clear_error(tmp_path, raw, problem) -> None:
    from hakusan.misp.fetch import FetchError, load

    path = tmp_path / "event.json"
    path.write_bytes(raw)
    with pytest.raises(FetchError, match=problem) as info:
        list(load(str(path)))
    assert str(path) in str(info.value)
