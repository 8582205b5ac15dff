"""What the objects of an inbound bundle give us: observables (canonical, with times,
confidence, TLP and labels), objects kept as they are (complex patterns, SDOs we do not map),
and objects skipped (with the reason). No database here: the sharing service stores the
result."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hakusan.domain import foreign
from hakusan.domain.observables import InvalidObservable, canonicalize

from . import mapping
from .ids import parse_timestamp
from .markings import tlp_of_marking, tlp_of_refs
from .patterns import NotSimple, parse_simple

OBSERVABLES = "observables"
KEPT = "kept"
SKIPPED = "skipped"

# SDOs and SROs we keep verbatim (threat actors and intrusion sets are also matched to our
# actors by the service).
KEPT_TYPES = frozenset(
    {
        "attack-pattern",
        "campaign",
        "course-of-action",
        "grouping",
        "identity",
        "infrastructure",
        "intrusion-set",
        "location",
        "malware",
        "malware-analysis",
        "note",
        "opinion",
        "relationship",
        "report",
        "sighting",
        "threat-actor",
        "tool",
        "extension-definition",
        "language-content",
    }
)


@dataclass
class Found:
    """One observable an object gives."""

    type: str
    value: str  # canonical
    original: str
    seen_at: datetime | None = None
    last_seen: datetime | None = None
    confidence: int | None = None
    tlp: str | None = None
    tags: tuple[str, ...] = ()


@dataclass
class ObjectResult:
    index: int
    stix_id: str
    stix_type: str
    outcome: str  # OBSERVABLES, KEPT or SKIPPED
    reason: str = ""
    found: list[Found] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # values of the object we could not use
    body: dict[str, Any] | None = None  # the object verbatim (None when it is not an object)


def _time(obj: dict[str, Any], *names: str) -> datetime | None:
    for name in names:
        value = obj.get(name)
        if isinstance(value, str):
            try:
                return parse_timestamp(value)
            except ValueError:
                continue
    return None


def _clean(value: Any) -> str:
    """A string fit for the report and a text column, else ""."""
    if isinstance(value, str) and foreign.text_problem(value) is None:
        return value[:120]
    return ""


def _confidence(obj: dict[str, Any]) -> int | None:
    value = obj.get("confidence")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100:
        return value
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _tags(obj: dict[str, Any]) -> tuple[str, ...]:
    labels = [
        *(_list(obj.get("labels"))),
        *(_list(obj.get("indicator_types"))),
    ]
    return tuple(dict.fromkeys(str(label)[:64] for label in labels if isinstance(label, str)))[:10]


def _canonical(pairs: list[tuple[str, str]], problems: list[str]) -> Iterator[tuple[str, str, str]]:
    for our_type, raw in pairs:
        try:
            yield our_type, canonicalize(our_type, raw), raw
        except InvalidObservable as exc:
            problems.append(f"{our_type} {raw[:80]!r}: {exc.reason}")


def _observables(
    result: ObjectResult,
    obj: dict[str, Any],
    pairs: list[tuple[str, str]],
    markings: dict[str, str],
    *,
    seen_names: tuple[str, ...],
    last_names: tuple[str, ...],
) -> None:
    refs = obj.get("object_marking_refs")
    tlp = tlp_of_refs(refs if isinstance(refs, list) else [], markings)
    seen_at = _time(obj, *seen_names)
    last_seen = _time(obj, *last_names)
    for our_type, value, original in _canonical(pairs, result.problems):
        result.found.append(
            Found(
                our_type,
                value,
                original if original != value else "",
                seen_at,
                last_seen,
                _confidence(obj),
                tlp,
                _tags(obj),
            )
        )


def _indicator(result: ObjectResult, obj: dict[str, Any], markings: dict[str, str]) -> None:
    pattern, pattern_type = obj.get("pattern"), obj.get("pattern_type", "stix")
    if not isinstance(pattern, str):
        result.outcome, result.reason = SKIPPED, "indicator without a pattern"
        return
    if pattern_type != "stix":
        result.outcome, result.reason = KEPT, f"kept as pattern: pattern type {pattern_type}"
        return
    try:
        comparisons = parse_simple(pattern)
    except NotSimple as exc:
        result.outcome, result.reason = KEPT, f"kept as pattern: {exc}"
        return
    pairs = []
    for comparison in comparisons:
        pair = mapping.from_comparison(comparison)
        if pair is None:
            path = ".".join(comparison.path)
            result.problems.append(f"{comparison.object_type}:{path} is not an observable type")
        else:
            pairs.append(pair)
    _observables(
        result,
        obj,
        pairs,
        markings,
        seen_names=("valid_from", "created"),
        last_names=("modified", "valid_from", "created"),
    )


def _observed_data(result: ObjectResult, obj: dict[str, Any], markings: dict[str, str]) -> None:
    embedded = obj.get("objects")  # STIX 2.0 style: the SCOs inside the object
    pairs: list[tuple[str, str]] = []
    if isinstance(embedded, dict):
        for sco in embedded.values():
            if isinstance(sco, dict):
                pairs.extend(mapping.from_sco(sco))
    _observables(
        result,
        obj,
        pairs,
        markings,
        seen_names=("first_observed", "created"),
        last_names=("last_observed", "modified"),
    )


def analyse(objects: list[Any]) -> list[ObjectResult]:
    """One result per input object, in order."""
    markings: dict[str, str] = {}
    for obj in objects:
        if isinstance(obj, dict) and obj.get("type") == "marking-definition":
            level = tlp_of_marking(obj)
            if level is not None and isinstance(obj.get("id"), str):
                markings[obj["id"]] = level
    results = []
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict):
            results.append(
                ObjectResult(index, "", "", SKIPPED, f"not a JSON object ({type(obj).__name__})")
            )
            continue
        problem = foreign.unstorable(obj)
        if problem is not None:  # not kept verbatim either: the database could not hold it
            results.append(
                ObjectResult(
                    index, _clean(obj.get("id")), _clean(obj.get("type")), SKIPPED, problem
                )
            )
            continue
        stix_id, stix_type = obj.get("id"), obj.get("type")
        if not isinstance(stix_type, str) or not stix_type:
            results.append(
                ObjectResult(index, str(stix_id or ""), "", SKIPPED, "no type", body=obj)
            )
            continue
        if not isinstance(stix_id, str) or not stix_id:
            results.append(ObjectResult(index, "", stix_type, SKIPPED, "no id", body=obj))
            continue
        if not stix_id.startswith(f"{stix_type}--"):
            results.append(
                ObjectResult(
                    index,
                    stix_id,
                    stix_type,
                    SKIPPED,
                    f"id does not start with {stix_type}--",
                    body=obj,
                )
            )
            continue
        result = ObjectResult(index, stix_id, stix_type, OBSERVABLES, body=obj)
        if stix_type == "indicator":
            _indicator(result, obj, markings)
        elif stix_type == "observed-data":
            _observed_data(result, obj, markings)
        elif stix_type in mapping.SCO_TYPES or stix_type == "vulnerability":
            pairs = mapping.from_sco(obj)
            if not pairs and stix_type == "vulnerability":
                result.outcome, result.reason = KEPT, "kept: vulnerability without a CVE id"
            else:
                _observables(
                    result,
                    obj,
                    pairs,
                    markings,
                    seen_names=("created",),
                    last_names=("modified",),
                )
        elif stix_type == "marking-definition":
            level = markings.get(stix_id)
            result.outcome = KEPT
            result.reason = f"TLP:{level.upper()} marking" if level else "kept: marking"
        elif stix_type in KEPT_TYPES:
            result.outcome, result.reason = KEPT, f"kept: {stix_type}"
        else:
            result.outcome, result.reason = KEPT, f"kept: type {stix_type} is not mapped"
        if result.outcome == OBSERVABLES and not result.found:
            result.outcome = SKIPPED if stix_type != "observed-data" else KEPT
            result.reason = "; ".join(result.problems) or "no observable we can use"
        results.append(result)
    return results
