"""Fuzz targets of the file imports (issue 9 §4): STIX bundles (load and map, strict validation,
the import service), MISP events (parse and map, the import service) and indicator files (each
format). Each answers hostile bytes with its clear error, or reads what it can and rejects the
rest per object, attribute or row; anything else is a crash."""

import io
import json
from typing import Any

from .registry import FuzzTarget, register

# -- seeds ----------------------------------------------------------------------------------

_MARKING_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
STIX_BUNDLE = {
    "type": "bundle",
    "id": "bundle--0c6a1f3e-8f1b-4f2e-9d1a-2b3c4d5e6f70",
    "objects": [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-11-20T06:00:00.000Z",
            "modified": "2026-11-20T06:00:00.000Z",
            "name": "Phishing site",
            "pattern": "[domain-name:value = 'phish.example.jp']",
            "pattern_type": "stix",
            "valid_from": "2026-11-20T06:00:00Z",
            "confidence": 80,
            "labels": ["phishing"],
            "object_marking_refs": [_MARKING_GREEN],
        },
        {
            "type": "observed-data",
            "spec_version": "2.1",
            "id": "observed-data--1a2b3c4d-0000-4000-8000-000000000001",
            "created": "2026-11-20T06:00:00.000Z",
            "modified": "2026-11-20T06:00:00.000Z",
            "first_observed": "2026-11-20T06:00:00Z",
            "last_observed": "2026-11-20T06:00:00Z",
            "number_observed": 1,
            "objects": {"0": {"type": "ipv4-addr", "value": "192.0.2.10"}},
        },
        {
            "type": "file",
            "spec_version": "2.1",
            "id": "file--1a2b3c4d-0000-4000-8000-000000000002",
            "name": "invoice.exe",
            "hashes": {"MD5": "d41d8cd98f00b204e9800998ecf8427e"},
        },
        {
            "type": "vulnerability",
            "spec_version": "2.1",
            "id": "vulnerability--1a2b3c4d-0000-4000-8000-000000000003",
            "created": "2026-11-20T06:00:00.000Z",
            "modified": "2026-11-20T06:00:00.000Z",
            "name": "CVE-2026-0001",
            "external_references": [{"source_name": "cve", "external_id": "CVE-2026-0001"}],
        },
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": "marking-definition--1a2b3c4d-0000-4000-8000-000000000004",
            "created": "2026-11-20T06:00:00.000Z",
            "name": "TLP:AMBER",
            "extensions": {
                "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                    "extension_type": "property-extension",
                    "tlp_2_0": "amber",
                }
            },
        },
        {
            "type": "threat-actor",
            "spec_version": "2.1",
            "id": "threat-actor--1a2b3c4d-0000-4000-8000-000000000005",
            "created": "2026-11-20T06:00:00.000Z",
            "modified": "2026-11-20T06:00:00.000Z",
            "name": "Example Actor",
            "aliases": ["Sample Group"],
        },
    ],
}
STIX_KEYS = [
    "type",
    "id",
    "objects",
    "pattern",
    "pattern_type",
    "labels",
    "indicator_types",
    "object_marking_refs",
    "extensions",
    "external_references",
    "hashes",
    "name",
    "aliases",
    "confidence",
    "created",
    "modified",
    "valid_from",
    "value",
    "number",
]
STIX_SEEDS = (
    json.dumps(STIX_BUNDLE).encode(),
    json.dumps(STIX_BUNDLE["objects"], ensure_ascii=False, indent=1).encode(),
)

MISP_ATTRIBUTE = {
    "uuid": "5f0c6a2e-1b1a-4c1a-9d1a-0a0b0c0d0e01",
    "type": "ip-dst|port",
    "category": "Network activity",
    "value": "192.0.2.20|8080",
    "to_ids": True,
    "comment": "C2",
    "timestamp": "1763618400",
    "Tag": [{"name": "tlp:green"}, {"name": 'misp-galaxy:threat-actor="APT10"'}],
}
MISP_EVENT = {
    "Event": {
        "uuid": "5f0c6a2e-1b1a-4c1a-9d1a-0a0b0c0d0e0f",
        "info": "Phishing wave",
        "date": "2026-11-20",
        "timestamp": "1763618400",
        "Orgc": {"name": "CSIRT Example"},
        "Tag": [{"name": "tlp:amber"}, "phishing"],
        "Attribute": [
            MISP_ATTRIBUTE,
            {"type": "domain", "value": "phish.example.jp", "to_ids": "1"},
            {"type": "link", "value": "https://blog.example.jp/post"},
        ],
        "Object": [
            {
                "name": "file",
                "Attribute": [
                    {"type": "filename|md5", "value": "a.exe|d41d8cd98f00b204e9800998ecf8427e"}
                ],
            }
        ],
        "Galaxy": [
            {
                "type": "mitre-attack-pattern",
                "GalaxyCluster": [{"value": "Phishing - T1566", "type": "mitre-attack-pattern"}],
            }
        ],
    }
}
MISP_KEYS = [
    "Event",
    "uuid",
    "info",
    "Orgc",
    "Tag",
    "Attribute",
    "Object",
    "Galaxy",
    "GalaxyCluster",
    "type",
    "value",
    "to_ids",
    "deleted",
    "timestamp",
    "first_seen",
    "name",
]
MISP_SEEDS = (json.dumps(MISP_EVENT).encode(), json.dumps([MISP_EVENT["Event"]]).encode())

INDICATOR_SEEDS = {
    "plain": (
        b"# feed\n192.0.2.30  # kit\nhxxps://a[.]phish[.]example[.]jp/x\nipv4:192.0.2.31\n"
        b"ip-dst|port:192.0.2.32|8080\n",
    ),
    "csv": (
        b"type,value,first_seen,last_seen,confidence,tags,comment,tlp\n"
        b"ipv4,192.0.2.33,2026-11-20,2026-11-21,50,a;b,note,amber\n"
        b",phish.example.jp,,,99%,tlp:green,,\n",
    ),
    "jsonl": (
        b'{"type": "ipv4", "value": "192.0.2.34", "confidence": 50, "tags": ["a", "tlp:red"]}\n'
        b'{"value": "phish.example.jp", "first_seen": "2026-11-20", "tlp": "green"}\n',
    ),
    "misp": (
        b"uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag\n"
        b"5f,1,Network activity,ip-dst|port,192.0.2.35|80,c,1,20261120,,tlp:green\n"
        b"5g,1,Payload delivery,filename|md5,a.exe|d41d8cd98f00b204e9800998ecf8427e,,0,"
        b"1763618400,,\n",
    ),
}

# -- STIX -----------------------------------------------------------------------------------


def _stix_load(data: bytes) -> None:
    from hakusan.domain.stix import reading
    from hakusan.domain.stix.loading import loads, objects_of

    objects, _bundle_id = objects_of(loads(data))
    reading.analyse(objects)


def _stix_validate(data: bytes) -> None:
    from hakusan.domain.stix import validation

    result = validation.validate_text(data)
    if not result.valid and not result.errors:
        raise AssertionError("an invalid result without a reason")


def _stix_import(data: bytes) -> None:
    from hakusan.domain.stix.loading import loads
    from hakusan.sharing import services

    services.import_bundle(loads(data), source_name="fuzz feed", provenance="fuzz")


def _bundle_errors() -> tuple[type[BaseException], ...]:
    from hakusan.domain.stix.loading import BundleError

    return (BundleError,)


def _import_errors() -> tuple[type[BaseException], ...]:
    from django.core.exceptions import ValidationError

    from hakusan.domain.stix.loading import BundleError

    return (BundleError, ValidationError)


# -- MISP -----------------------------------------------------------------------------------


def _misp_events(data: bytes) -> None:
    from hakusan.domain import safejson
    from hakusan.domain.misp import (
        InvalidMispDocument,
        canonical_value,
        events_in,
        import_parts,
        parse_event,
        tlp_of_tags,
    )
    from hakusan.domain.observables import InvalidObservable

    for event in events_in(safejson.loads(data)):
        try:
            record = parse_event(event)
        except InvalidMispDocument:
            continue  # this event is rejected, the others are read
        tlp_of_tags(record.tags)
        for attr in record.attributes:
            tlp_of_tags(attr.tags)
            try:
                parts = import_parts(attr.type, attr.value, attr.tags)
            except ValueError:  # unsupported type, composite without "|": a reject
                continue
            for part in parts:
                try:
                    canonical_value(part.type, part.raw)
                except InvalidObservable:
                    continue


def _misp_import(data: bytes) -> None:
    from hakusan.domain import safejson
    from hakusan.domain.misp import events_in
    from hakusan.misp.services import import_events

    import_events(None, list(events_in(safejson.loads(data))), source_name="fuzz misp")


def _misp_errors() -> tuple[type[BaseException], ...]:
    from hakusan.domain.misp import InvalidMispDocument
    from hakusan.domain.safejson import JSONInputError

    return (JSONInputError, InvalidMispDocument)


# -- indicator files ------------------------------------------------------------------------


class FileRefused(Exception):
    """parse_indicators refused the whole file before any row (its documented ValueError)."""


def _indicators(fmt: str) -> Any:
    def run(data: bytes) -> None:
        from hakusan.domain.indicators.parse import parse_indicators

        try:
            rows = parse_indicators(io.BytesIO(data), fmt)
        except ValueError as exc:
            raise FileRefused(str(exc)) from None
        for _row in rows:  # rows never raise: a bad one is a RowError
            pass

    return run


def register_all() -> None:
    from hakusan.domain.stix import validation

    register(FuzzTarget("stix_load", _stix_load, _bundle_errors(), STIX_SEEDS))
    if validation.schemas_root() is not None:  # the OASIS schemas (make stix-schemas)
        register(FuzzTarget("stix_validate", _stix_validate, (), STIX_SEEDS))
    register(FuzzTarget("stix_import", _stix_import, _import_errors(), STIX_SEEDS, needs_db=True))
    register(FuzzTarget("misp_events", _misp_events, _misp_errors(), MISP_SEEDS))
    register(FuzzTarget("misp_import", _misp_import, _misp_errors(), MISP_SEEDS, needs_db=True))
    for fmt, seeds in INDICATOR_SEEDS.items():
        register(FuzzTarget(f"indicators_{fmt}", _indicators(fmt), (FileRefused,), seeds))


register_all()
