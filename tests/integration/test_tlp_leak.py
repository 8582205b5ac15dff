"""Nothing above a partner's TLP ever reaches it, whichever importer brought the indicator in
and whichever partner-facing output the partner reads (issue 9: MISP CSV rows tagged tlp:red
were stored GREEN and served over TAXII and the blocklist feeds).

A property test: hypothesis draws, for every importer (MISP attribute CSV, CSV, JSON Lines, a
plain list, a STIX bundle, MISP events), rows with random ``tlp:`` tags / markings (the row's,
the event's) and a random operator level (``--tlp``). The level each value must be stored at
is computed here from the rule: the most restrictive of row, event and ``--tlp``; with none of
them, the importer's default. Then one partner per TLP level reads everything it can: TAXII
2.1 objects of every collection it may read, the phishing/smishing/c2 blocklists in txt, csv
and json, the MISP feed (manifest, every event, hashes.csv) and the STIX export for it. A value
may appear in a partner's output only when its level is at or below the partner's, marked with
that level; every value a partner may have does appear in its TAXII objects (so the outputs
read are not empty by accident). Each example runs in a transaction rolled back at its end."""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hakusan.domain.sharing import tlp as tlp_rules
from hakusan.domain.sharing.tlp import LEVELS, STIX_MARKING_IDS

pytestmark = pytest.mark.django_db

IMPORTERS = ("misp-csv", "csv", "jsonl", "plain", "stix", "misp-event")
# The level a row gets when neither it, its event nor the operator names one.
DEFAULT_LEVEL = {
    "misp-csv": "green",  # the CLI's default for a new source
    "csv": "green",
    "jsonl": "green",
    "plain": "green",
    "stix": "amber",
    "misp-event": "amber",
}
FEEDS = ("phishing", "smishing", "c2")
ACCEPT = "application/taxii+json;version=2.1"
_counter = itertools.count()

levels = st.sampled_from(LEVELS)
maybe_level = st.none() | levels
# A row: (its own tlp: tag or marking, its event's tag: MISP formats only).
rows = st.lists(st.tuples(maybe_level, maybe_level), min_size=0, max_size=3)
plan = st.fixed_dictionaries({name: st.tuples(maybe_level, rows) for name in IMPORTERS})


@dataclass(frozen=True)
class Row:
    value: str
    own: str | None
    event: str | None


def strictest(*given: str | None) -> str | None:
    return tlp_rules.most_restrictive(level for level in given if level)


def expected_level(importer: str, row: Row, floor: str | None) -> str:
    event = row.event if importer in ("misp-csv", "misp-event") else None
    own = row.own if importer != "plain" else None
    return strictest(own, event, floor) or DEFAULT_LEVEL[importer]


# -- the importers, as an operator uses them ----------------------------------------------------


def _import_file(path: Path, source: str, floor: str | None, fmt: str) -> None:
    from hakusan.core import jobs
    from hakusan.core.choices import JobStatus

    params: dict[str, Any] = {"path": str(path), "source": source, "tlp": floor, "fmt": fmt}
    if fmt == "plain":
        params["tags"] = ["phishing"]
    params["source_tlp"] = "green"  # what `hakusan indicators import` sets for a new source
    run = jobs.submit("indicators.import", params, inline=True)
    assert run.status == JobStatus.DONE, run.error
    assert run.result["rejected"] == 0, run.result["errors"]


def import_misp_csv(tmp: Path, rows: list[Row], floor: str | None, source: str) -> None:
    lines = [
        "uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,"
        "object_uuid,object_name,object_meta_category,event_info,event_date,event_tag"
    ]
    for i, row in enumerate(rows):
        own = ",".join(["phishing", *([f"tlp:{row.own}"] if row.own else [])])
        event = f"tlp:{row.event}" if row.event else ""
        lines.append(
            f'a{i},1,Payload delivery,url,{row.value},,1,20261120,,"{own}",,,,Ev,2026-11-20,'
            f'"{event}"'
        )
    path = tmp / "attributes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _import_file(path, source, floor, "misp-csv")


def import_csv(tmp: Path, rows: list[Row], floor: str | None, source: str) -> None:
    lines = ["type,value,confidence,tags,tlp"]
    for i, row in enumerate(rows):
        # alternate the two ways a CSV can say it: a tlp: tag or the tlp column
        if row.own and i % 2:
            lines.append(f'url,{row.value},80,"phishing,tlp:{row.own}",')
        else:
            lines.append(f"url,{row.value},80,phishing,{row.own or ''}")
    path = tmp / "indicators.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _import_file(path, source, floor, "csv")


def import_jsonl(tmp: Path, rows: list[Row], floor: str | None, source: str) -> None:
    lines = []
    for row in rows:
        tags = ["phishing", *([f"TLP:{row.own.upper()}"] if row.own else [])]
        lines.append(json.dumps({"type": "url", "value": row.value, "tags": tags}))
    path = tmp / "indicators.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _import_file(path, source, floor, "jsonl")


def import_plain(tmp: Path, rows: list[Row], floor: str | None, source: str) -> None:
    path = tmp / "list.txt"
    path.write_text("".join(f"{row.value}\n" for row in rows), encoding="utf-8")
    _import_file(path, source, floor, "plain")


def import_stix(_tmp: Path, rows: list[Row], floor: str | None, source: str) -> None:
    from hakusan.sharing.services import import_bundle

    objects = []
    for row in rows:
        obj = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{next(_counter):012d}",
            "created": "2026-11-20T00:00:00.000Z",
            "modified": "2026-11-20T00:00:00.000Z",
            "valid_from": "2026-11-20T00:00:00Z",
            "pattern": f"[url:value = '{row.value}']",
            "pattern_type": "stix",
            "confidence": 80,
            "labels": ["phishing"],
        }
        if row.own:
            obj["object_marking_refs"] = [STIX_MARKING_IDS[row.own]]
        objects.append(obj)
    bundle = {"type": "bundle", "id": f"bundle--{_uuid()}", "objects": objects}
    # as `hakusan stix import FILE --source NAME [--tlp LEVEL]`
    import_bundle(bundle, source_name=source, tlp_default=floor or "amber", tlp_floor=floor)


def import_misp_events(_tmp: Path, rows: list[Row], floor: str | None, source: str) -> None:
    from hakusan.misp.services import import_events

    events = []
    for row in rows:  # one event per row: each row has its own event tag
        events.append(
            {
                "uuid": _uuid(),
                "info": "phishing wave",
                "date": "2026-11-20",
                "Orgc": {"name": "CSIRT-X"},
                "Tag": [{"name": f"tlp:{row.event}"}] if row.event else [],
                "Attribute": [
                    {
                        "uuid": _uuid(),
                        "type": "url",
                        "category": "Payload delivery",
                        "value": row.value,
                        "to_ids": True,
                        "timestamp": "1763596800",
                        "Tag": [
                            {"name": "phishing"},
                            *([{"name": f"tlp:{row.own}"}] if row.own else []),
                        ],
                    }
                ],
            }
        )
    import_events(None, events, source_name=source, default_tlp=floor)


IMPORT = {
    "misp-csv": import_misp_csv,
    "csv": import_csv,
    "jsonl": import_jsonl,
    "plain": import_plain,
    "stix": import_stix,
    "misp-event": import_misp_events,
}


def _uuid() -> str:
    return f"5f0e6a1c-0000-4000-8000-{next(_counter):012d}"


# -- what a partner receives --------------------------------------------------------------------


def _text(response: Any) -> str:
    assert response.status_code == 200, (response.status_code, response.content[:300])
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def taxii_objects(client: Any, key: str) -> list[dict[str, Any]]:
    auth = "Basic " + base64.b64encode(f"p:{key}".encode()).decode()
    headers = {"HTTP_AUTHORIZATION": auth, "HTTP_ACCEPT": ACCEPT}
    listing = json.loads(_text(client.get("/taxii2/hakusan/collections/", **headers)))
    out: list[dict[str, Any]] = []
    for collection in listing.get("collections", []):
        if not collection["can_read"]:
            continue
        path = f"/taxii2/hakusan/collections/{collection['id']}/objects/"
        query = "?limit=1000"
        while True:
            page = json.loads(_text(client.get(path + query, **headers)))
            out.extend(page.get("objects", []))
            if not page.get("more"):
                break
            query = f"?limit=1000&next={page['next']}"
    return out


def other_outputs(client: Any, partner: Any, key: str) -> dict[str, str]:
    """Every other partner-facing output, by name: blocklist feeds, MISP feed, STIX export."""
    from hakusan.sharing.stix_export import export_bundle

    token = {"HTTP_AUTHORIZATION": f"Token {key}"}
    out = {}
    for feed, fmt in itertools.product(FEEDS, ("txt", "csv", "json")):
        out[f"feeds/{feed}.{fmt}"] = _text(client.get(f"/feeds/{feed}.{fmt}", **token))
    manifest = _text(client.get("/misp/feed/manifest.json", **token))
    out["misp/manifest.json"] = manifest
    for uuid in json.loads(manifest):
        out[f"misp/{uuid}.json"] = _text(client.get(f"/misp/feed/{uuid}.json", **token))
    out["misp/hashes.csv"] = _text(client.get("/misp/feed/hashes.csv", **token))
    out["stix export"] = json.dumps(export_bundle(partner=partner))
    return out


def taxii_ceiling(partner: Any) -> str | None:
    from hakusan.taxii.models import Collection

    readable = [c.tlp for c in Collection.objects.all() if c.outbound and c.can_read(partner)]
    return tlp_rules.most_restrictive(readable)


def marking_level(obj: dict[str, Any]) -> str | None:
    by_id = {marking: level for level, marking in STIX_MARKING_IDS.items()}
    found = [by_id[ref] for ref in obj.get("object_marking_refs", []) if ref in by_id]
    return tlp_rules.most_restrictive(found)


# -- the property -------------------------------------------------------------------------------


@settings(
    max_examples=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=plan)
def test_nothing_above_a_partners_tlp_reaches_it(
    plan: dict[str, tuple[str | None, list[tuple[str | None, str | None]]]],
    client: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from hakusan.partners.services import create_partner
    from hakusan.taxii.services import ensure_default_collections

    n = next(_counter)
    expected: dict[str, str] = {}
    with transaction.atomic():
        with django_capture_on_commit_callbacks(execute=True):
            ensure_default_collections()
            for importer, (floor, drawn) in plan.items():
                batch = [
                    Row(f"https://{importer}-{i}.t{n}.phish.example.jp/login", own, event)
                    for i, (own, event) in enumerate(drawn)
                ]
                if not batch:
                    continue
                work = tmp_path / f"{n}-{importer}"
                work.mkdir()
                IMPORT[importer](work, batch, floor, f"{importer} {n}")
                for row in batch:
                    expected[row.value] = expected_level(importer, row, floor)
        partners = [
            create_partner(f"Partner {level} {n}", max_tlp=level, kind="vendor") for level in LEVELS
        ]
        for partner, key in partners:
            check_partner(client, partner, key, expected)
        transaction.set_rollback(True)


def check_partner(client: Any, partner: Any, key: str, expected: dict[str, str]) -> None:
    cleared = partner.max_tlp
    allowed = {v for v, level in expected.items() if tlp_rules.allows(level, cleared)}
    objects = taxii_objects(client, key)
    seen_in_taxii = set()
    for obj in objects:
        text = json.dumps(obj)
        for value, level in expected.items():
            if value in text:
                assert value in allowed, (
                    f"TAXII leaked TLP:{level} {value} to a TLP:{cleared} partner"
                )
                seen_in_taxii.add(value)
                if obj.get("type") == "indicator":
                    assert marking_level(obj) == level, (value, obj.get("object_marking_refs"))
    # TAXII serves up to the most restrictive collection the partner may read (AMBER)
    ceiling = taxii_ceiling(partner)
    in_taxii = {v for v in allowed if ceiling and tlp_rules.allows(expected[v], ceiling)}
    assert seen_in_taxii == in_taxii, f"TLP:{cleared} partner misses {in_taxii - seen_in_taxii}"
    for name, text in other_outputs(client, partner, key).items():
        for value, level in expected.items():
            if value in text:
                assert value in allowed, (
                    f"{name} leaked TLP:{level} {value} to a TLP:{cleared} partner"
                )
    # the phishing feed carries every allowed value, marked with its level
    feed = json.loads(_text(client.get("/feeds/phishing.json", HTTP_AUTHORIZATION=f"Token {key}")))
    items = {item["value"]: item["tlp"] for item in feed["items"]}
    assert {v: items.get(v) for v in allowed} == {v: expected[v] for v in allowed}
