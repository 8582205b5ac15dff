"""Fuzz targets of the web layer and the report import (issue 9 §4): the REST report create,
the TAXII inbound endpoint, the intake JSON Lines and CSV parsers, a federation pull's page,
a MISP feed document and the API's JSON parser. Each answers hostile bytes with its clear error
(or a 4xx), never anything else."""

import base64
import io
import json
import uuid
from typing import Any

from .registry import FuzzTarget, register

# -- seeds: valid documents for the mutators ------------------------------------------------

REPORT = {
    "channel": "visit",
    "kind": "consultation",
    "narrative": "宅配業者を名乗るSMSのURL hxxps://delivery-check[.]example[.]jp にアクセスした。",
    "reporter_name": "山田太郎",
    "damage_amount": 150000,
    "received_at": "2026-11-20T15:00:00+09:00",
    "items": ["SMS送信元 +81 90-0000-5678"],
}
INDICATOR = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created": "2026-11-20T06:00:00.000Z",
    "modified": "2026-11-20T06:00:00.000Z",
    "pattern": "[domain-name:value = 'phish.example.jp']",
    "pattern_type": "stix",
    "valid_from": "2026-11-20T06:00:00Z",
    "confidence": 80,
    "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
}
DOMAIN = {
    "type": "domain-name",
    "spec_version": "2.1",
    "id": "domain-name--5a1b9ba9-2d0c-5c0b-9a57-3e9b7e4b3b0d",
    "value": "phish.example.jp",
}
ENVELOPE = {"objects": [INDICATOR, DOMAIN], "more": False}
REPORT_SEEDS = (json.dumps(REPORT).encode(), json.dumps(REPORT, ensure_ascii=False).encode())
ENVELOPE_SEEDS = (json.dumps(ENVELOPE).encode(), json.dumps({"objects": [INDICATOR]}).encode())
JSONL_SEEDS = (
    b"\n".join(json.dumps({**REPORT, "damage_amount": n}).encode() for n in (0, 5000, None)),
)
CSV_SEEDS = (
    "channel,kind,narrative,damage_amount,received_at,items\n"
    "visit,consultation,不審なSMS,150000,2026/11/20 15:00,SMS送信元 +81 90-0000-5678\n"
    'phone,damage,"複数行の\n説明",¥150,000,\n'.encode(),
)
MISP_SEEDS = (
    json.dumps(
        {
            "Event": {
                "uuid": "5f0c6a2e-1b1a-4c1a-9d1a-0a0b0c0d0e0f",
                "info": "Phishing wave",
                "threat_level_id": "2",
                "Attribute": [{"type": "domain", "value": "phish.example.jp", "to_ids": True}],
                "Tag": [{"name": "tlp:green"}],
            }
        }
    ).encode(),
)

# -- pure targets (no database) -------------------------------------------------------------


def _intake(fmt: str) -> Any:
    def run(data: bytes) -> None:
        from hakusan.domain.intake import parse_reports

        for _row in parse_reports(io.BytesIO(data), fmt):
            pass

    return run


def _federation_page(data: bytes) -> None:
    from hakusan.federation.client import page_from_body

    page_from_body(data, {"X-TAXII-Date-Added-Last": "2026-11-20T06:00:00.000Z"})


def _misp_document(data: bytes) -> None:
    from hakusan.domain.misp import events_in
    from hakusan.misp.fetch import _json

    list(events_in(_json(data, "fuzz.json")))


def _api_parser(data: bytes) -> None:
    from hakusan.core.parsers import SafeJSONParser

    SafeJSONParser().parse(io.BytesIO(data))


def _expected_intake() -> tuple[type[BaseException], ...]:
    return (ValueError,)  # whole-file refusals (no header, a JSON array); rows never raise


# -- targets through Django's test client (a database) --------------------------------------

_STATE: dict[str, Any] = {}


class ServerError(AssertionError):
    """The endpoint answered 5xx: a crash, whatever the body says."""


def _setup_web() -> None:
    """A filing officer with an API token, and a partner allowed to post to ``inbound``."""
    from django.test import Client

    from hakusan.core.models import Department
    from hakusan.core.services import create_user
    from hakusan.partners.services import create_partner
    from hakusan.taxii.services import ensure_default_collections
    from tests.api import token_client

    tag = uuid.uuid4().hex[:8]
    station, _ = Department.objects.get_or_create(
        code="fuzz-station", defaults={"name": "試験警察署", "kind": "station"}
    )
    officer = create_user(
        f"fuzz-{tag}",
        "correct-horse-battery-9",
        role="reception",
        department=station,
        validate=False,
    )
    _partner, key = create_partner(f"Fuzz partner {tag}", max_tlp="green", can_write=True)
    inbound = {c.alias: c for c in ensure_default_collections()}["inbound"]
    _STATE["api"] = token_client(officer)
    _STATE["taxii"] = Client()
    _STATE["taxii_url"] = f"/taxii2/hakusan/collections/{inbound.pk}/objects/"
    _STATE["taxii_auth"] = "Basic " + base64.b64encode(f"p:{key}".encode()).decode()


def _check_status(response: Any, data: bytes) -> None:
    if response.status_code >= 500:
        raise ServerError(f"{response.status_code} for {data[:200]!r}")


def _rest_report_create(data: bytes) -> None:
    response = _STATE["api"].generic("POST", "/api/reports/", data, content_type="application/json")
    _check_status(response, data)


def _taxii_inbound(data: bytes) -> None:
    taxii = "application/taxii+json;version=2.1"
    response = _STATE["taxii"].generic(
        "POST",
        _STATE["taxii_url"],
        data,
        content_type=taxii,
        HTTP_ACCEPT=taxii,
        HTTP_AUTHORIZATION=_STATE["taxii_auth"],
    )
    _check_status(response, data)


def _json_error() -> tuple[type[BaseException], ...]:
    from hakusan.domain.safejson import JSONInputError

    return (JSONInputError,)


def _federation_errors() -> tuple[type[BaseException], ...]:
    from hakusan.federation.client import FederationError

    return (FederationError,)


def _misp_errors() -> tuple[type[BaseException], ...]:
    from hakusan.domain.misp import InvalidMispDocument
    from hakusan.misp.fetch import FetchError

    return (FetchError, InvalidMispDocument)


def _parse_errors() -> tuple[type[BaseException], ...]:
    from rest_framework.exceptions import ParseError

    return (ParseError,)


def register_all() -> None:
    register(FuzzTarget("intake_jsonl", _intake("jsonl"), _expected_intake(), JSONL_SEEDS))
    register(FuzzTarget("intake_csv", _intake("csv"), _expected_intake(), CSV_SEEDS))
    register(FuzzTarget("federation_page", _federation_page, _federation_errors(), ENVELOPE_SEEDS))
    register(FuzzTarget("misp_fetch_json", _misp_document, _misp_errors(), MISP_SEEDS))
    register(FuzzTarget("api_json_parser", _api_parser, _parse_errors(), REPORT_SEEDS))
    register(
        FuzzTarget(
            "rest_report_create",
            _rest_report_create,
            (),
            REPORT_SEEDS,
            needs_db=True,
            setup=_setup_web,
        )
    )
    register(
        FuzzTarget(
            "taxii_inbound", _taxii_inbound, (), ENVELOPE_SEEDS, needs_db=True, setup=_setup_web
        )
    )


register_all()
