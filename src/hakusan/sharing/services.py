"""Writes of the sharing app: STIX bundles in (import, accept, reject). Exports are reads and
live in ``stix_export``/``exports``; they are audited by their callers' services here
(``record_export``).

An inbound bundle is stored whole (``RawStixObject``: every object verbatim), then what maps
becomes sightings: from a partner ``source_kind="partner"``, ``source_id=<bundle pk>`` (never
relayed to other partners by ``partners.policy``); from a file an ``IndicatorSource`` of that
name (``source_kind="feed"``). A *pending* bundle (TAXII POSTs from partners) waits for an
analyst: its sightings are written when it is accepted, never when it is rejected."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hakusan.core import audit
from hakusan.core.models import User
from hakusan.domain import foreign
from hakusan.domain.sharing import tlp as tlp_rules
from hakusan.domain.stix import reading
from hakusan.domain.stix.loading import BundleError, objects_of
from hakusan.indicators import services as indicator_services
from hakusan.indicators.choices import SourceKind
from hakusan.indicators.models import DEFAULT_CONFIDENCE, IndicatorSource, Observable
from hakusan.indicators.services import SightingInput
from hakusan.partners.models import Partner

from .choices import BundleState, ObjectOutcome
from .models import InboundBundle, RawStixObject

__all__ = [
    "ImportReport",
    "accept_bundle",
    "import_bundle",
    "record_export",
    "reject_bundle",
]

REPORT_OBJECT_LIMIT = 2000  # per-object lines kept in the stored report (counts are complete)
_ACTOR_TYPES = ("threat-actor", "intrusion-set")


@dataclass
class ObjectReport:
    stix_id: str
    stix_type: str
    outcome: str  # ObjectOutcome
    reason: str = ""
    observables: list[str] = field(default_factory=list)  # "type:value"
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.stix_id,
            "type": self.stix_type,
            "outcome": self.outcome,
            "reason": self.reason,
            "observables": self.observables[:50],
            "problems": self.problems[:50],
        }


@dataclass
class ImportReport:
    """Per object: ``imported`` (gave at least one observable new to Hakusan), ``merged`` (gave
    only observables we had: they get a new sighting), ``kept`` (stored verbatim only:
    complex patterns, SDOs, relationships, markings), ``skipped`` (unusable, with the reason).
    For a pending bundle the counts say what accepting it would do at the time it came."""

    bundle: InboundBundle
    imported: int = 0
    merged: int = 0
    kept: int = 0
    skipped: int = 0
    new_observables: int = 0
    sightings: int = 0
    objects: list[ObjectReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the bundle as a whole

    @property
    def total(self) -> int:
        return self.imported + self.merged + self.kept + self.skipped

    def counts(self) -> dict[str, int]:
        return {
            "imported": self.imported,
            "merged": self.merged,
            "kept": self.kept,
            "skipped": self.skipped,
            "new_observables": self.new_observables,
            "sightings": self.sightings,
        }

    def as_dict(self) -> dict[str, Any]:
        lines = [o.as_dict() for o in self.objects[:REPORT_OBJECT_LIMIT]]
        return {
            **self.counts(),
            "errors": self.errors,
            "objects": lines,
            "objects_omitted": max(0, len(self.objects) - REPORT_OBJECT_LIMIT),
        }


# --- analysis → sightings --------------------------------------------------------------------


def _inputs(
    results: list[reading.ObjectResult],
    *,
    source_kind: str,
    source_id: int,
    tlp_default: str,
    received_at: datetime,
    provenance: str,
    tlp_floor: str | None = None,
) -> dict[tuple[str, str], SightingInput]:
    """One sighting input per distinct observable of the bundle (objects naming the same value
    fold: earliest first seen, latest last seen, highest confidence, strictest TLP). TLP: the
    object's marking, else ``tlp_default``; never below ``tlp_floor`` (the operator's)."""
    out: dict[tuple[str, str], SightingInput] = {}
    for result in results:
        for found in result.found:
            key = (found.type, found.value)
            seen = found.seen_at or received_at
            last = max(found.last_seen or seen, seen)
            tlp = found.tlp or tlp_default
            if tlp_floor is not None:
                tlp = tlp_rules.most_restrictive([tlp, tlp_floor]) or tlp
            confidence = DEFAULT_CONFIDENCE if found.confidence is None else found.confidence
            item = out.get(key)
            if item is None:
                out[key] = SightingInput(
                    source_kind,
                    source_id,
                    found.type,
                    found.value,
                    found.original,
                    seen,
                    tlp,
                    last_seen=last,
                    confidence=confidence,
                    tags=found.tags,
                    provenance=f"{provenance} {result.stix_id}".strip()[:200],
                )
                continue
            item.seen_at = min(item.seen_at, seen)
            item.last_seen = max(item.last_seen or item.seen_at, last)
            item.confidence = max(item.confidence, confidence)
            item.tlp = tlp_rules.most_restrictive([item.tlp, tlp]) or item.tlp
            item.tags = tuple(dict.fromkeys((*item.tags, *found.tags)))[:10]
    return out


def _existing(keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    by_type: dict[str, list[str]] = {}
    for type_, value in keys:
        by_type.setdefault(type_, []).append(value)
    found: set[tuple[str, str]] = set()
    for type_, values in by_type.items():
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            found.update(
                Observable.objects.filter(type=type_, value__in=chunk).values_list("type", "value")
            )
    return found


def _actor_index() -> dict[str, tuple[int, str]]:
    from hakusan.analysis.models import ThreatActor

    index: dict[str, tuple[int, str]] = {}
    for pk, name, aliases in ThreatActor.objects.values_list("pk", "name", "aliases"):
        for label in [name, *(aliases or [])]:
            if isinstance(label, str) and label.strip():
                index.setdefault(label.strip().casefold(), (pk, name))
    return index


def _actor_reason(body: dict[str, Any], index: dict[str, tuple[int, str]]) -> str:
    labels = [body.get("name"), *(body.get("aliases") or [])]
    for label in labels:
        if isinstance(label, str) and label.strip().casefold() in index:
            pk, name = index[label.strip().casefold()]
            return f"kept: matches threat actor {name} (#{pk})"
    return f"kept: no threat actor named {body.get('name')!r}"


def _build_report(
    bundle: InboundBundle,
    results: list[reading.ObjectResult],
    existing: set[tuple[str, str]],
) -> ImportReport:
    report = ImportReport(bundle=bundle)
    actors = _actor_index() if any(r.stix_type in _ACTOR_TYPES for r in results) else {}
    for result in results:
        keys = [(f.type, f.value) for f in result.found]
        if result.outcome == reading.OBSERVABLES:
            new = any(key not in existing for key in keys)
            outcome = ObjectOutcome.IMPORTED if new else ObjectOutcome.MERGED
            reason = result.reason or (
                _("new observables") if new else _("observables already known")
            )
        elif result.outcome == reading.KEPT:
            outcome, reason = ObjectOutcome.KEPT, result.reason
            if result.stix_type in _ACTOR_TYPES and result.body is not None:
                reason = _actor_reason(result.body, actors)
        else:
            outcome, reason = ObjectOutcome.SKIPPED, result.reason
        setattr(report, str(outcome), getattr(report, str(outcome)) + 1)
        report.objects.append(
            ObjectReport(
                result.stix_id,
                result.stix_type,
                str(outcome),
                reason,
                [f"{t}:{v}" for t, v in keys],
                result.problems,
            )
        )
    distinct = {(f.type, f.value) for r in results for f in r.found}
    report.new_observables = len(distinct - existing)
    return report


def _source_of(bundle: InboundBundle) -> tuple[str, int]:
    if bundle.partner_id is not None:
        return SourceKind.PARTNER, bundle.pk
    assert bundle.source_id is not None
    return SourceKind.FEED, bundle.source_id


def _results_of(bundle: InboundBundle) -> list[reading.ObjectResult]:
    bodies = list(bundle.raw_objects.order_by("id").values_list("body", flat=True))
    return reading.analyse(bodies)


def _apply(
    bundle: InboundBundle,
    results: list[reading.ObjectResult],
    user: User | None,
    tlp_floor: str | None = None,
) -> ImportReport:
    """Write the sightings of analysed objects; the report of what was new."""
    kind, source_id = _source_of(bundle)
    inputs = _inputs(
        results,
        source_kind=kind,
        source_id=source_id,
        tlp_default=bundle.tlp_default,
        received_at=bundle.received_at,
        provenance=f"STIX #{bundle.pk}",
        tlp_floor=tlp_floor,
    )
    existing = _existing(list(inputs))
    report = _build_report(bundle, results, existing)
    if inputs:
        report.sightings = indicator_services.record_sightings(list(inputs.values()), user=user)
    return report


# --- services ---------------------------------------------------------------------------------


def _source(name: str, tlp_default: str, user: User | None) -> IndicatorSource:
    source = IndicatorSource.objects.filter(name=name).first()
    if source is None:
        source = indicator_services.create_source(
            user, name, description=_("STIX import"), default_tlp=tlp_default
        )
    return source


def import_bundle(
    bundle: dict[str, Any] | list[dict[str, Any]],
    *,
    partner: Partner | None = None,
    source_name: str = "",
    tlp_default: str = "amber",
    tlp_floor: str | None = None,
    pending: bool = False,
    user: User | None = None,
    provenance: str = "",
) -> ImportReport:
    """Store a STIX bundle (or a list of objects) and, unless ``pending``, turn what maps into
    sightings. Objects without id or type are skipped with the reason; the others are kept
    verbatim whatever happens to them. Raises ``ValidationError`` when the input is not a
    bundle at all, or names neither a partner nor a source. ``tlp_default``: the TLP of
    objects without a marking; ``tlp_floor`` (the operator's ``--tlp``): no object is stored
    below it (the most restrictive of marking and floor wins). A pending bundle keeps no
    floor for its later acceptance, so the two together are refused (objects marked below the
    floor would be stored at their own marking when accepted)."""
    try:
        tlp_default = tlp_rules.normalise(tlp_default)
        tlp_floor = tlp_rules.normalise(tlp_floor) if tlp_floor else None
    except tlp_rules.UnknownTLP as exc:
        raise ValidationError({"tlp": str(exc)}) from None
    if pending and tlp_floor is not None:
        raise ValidationError(
            {
                "tlp": _(
                    "a TLP floor cannot be kept for a bundle held for review: import it "
                    "without the floor, or without review"
                )
            }
        )
    try:
        objects, bundle_id = objects_of(bundle)
    except BundleError as exc:
        raise ValidationError({"bundle": str(exc)}) from None
    source_name = source_name.strip()
    if foreign.text_problem(source_name) is not None:
        raise ValidationError({"source": _("the source name contains a character we cannot store")})
    # A file name from the command line may carry undecodable bytes (surrogate escapes).
    provenance = provenance.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    if partner is None and not source_name:
        raise ValidationError({"source": _("a STIX import needs a partner or a source name")})
    results = reading.analyse(objects)
    with transaction.atomic():
        source = None if partner is not None else _source(source_name, tlp_default, user)
        inbound = InboundBundle.objects.create(
            partner=partner,
            source=source,
            source_name=(partner.name if partner is not None else source_name)[:200],
            stix_id=bundle_id[:100],
            state=BundleState.PENDING if pending else BundleState.ACCEPTED,
            tlp_default=tlp_default,
            received_by=user if user is not None and user.is_authenticated else None,
            object_count=len(objects),
            provenance=provenance[:500],
        )
        _store_raw(inbound, results)
        if pending:
            report = _build_report(inbound, results, _existing(_keys(results)))
        else:
            report = _apply(inbound, results, user, tlp_floor)
            _outcomes_after_review(inbound, report)
            inbound.reviewed_by = inbound.received_by
            inbound.reviewed_at = inbound.received_at
        inbound.report = report.as_dict()
        inbound.save()
        audit.record(
            user,
            "import",
            inbound,
            detail={
                **_who(partner),
                "source": inbound.source_name,
                "stix_bundle": bundle_id,
                "pending": pending,
                "provenance": provenance[:200],
                "objects": len(objects),
                **report.counts(),
            },
        )
    return report


def _keys(results: list[reading.ObjectResult]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((f.type, f.value) for r in results for f in r.found))


def _who(partner: Partner | None) -> dict[str, Any]:
    return {} if partner is None else {"partner": partner.pk, "partner_name": partner.name}


def _store_raw(inbound: InboundBundle, results: list[reading.ObjectResult]) -> None:
    rows = []
    for result in results:
        if result.body is None:
            continue
        body = result.body
        outcome = {
            reading.OBSERVABLES: ObjectOutcome.IMPORTED,
            reading.KEPT: ObjectOutcome.KEPT,
        }.get(result.outcome, ObjectOutcome.SKIPPED)
        rows.append(
            RawStixObject(
                bundle=inbound,
                stix_id=result.stix_id[:120],
                stix_type=result.stix_type[:100],
                spec_version=str(body.get("spec_version", ""))[:10],
                modified=str(body.get("modified", ""))[:40],
                body=body,
                outcome=outcome,
                reason=result.reason[:500],
            )
        )
    RawStixObject.objects.bulk_create(rows, batch_size=1000)


def _review(bundle: InboundBundle, user: User, state: str) -> InboundBundle:
    locked = InboundBundle.objects.select_for_update().get(pk=bundle.pk)
    if locked.state != BundleState.PENDING:
        raise ValidationError(
            {
                "state": _("bundle #%(pk)s is not pending (%(state)s)")
                % {"pk": locked.pk, "state": locked.state}
            }
        )
    locked.state = state
    locked.reviewed_by = user
    locked.reviewed_at = timezone.now()
    return locked


def accept_bundle(bundle: InboundBundle, user: User) -> ImportReport:
    """Accept a pending bundle: its observables become sightings now."""
    with transaction.atomic():
        locked = _review(bundle, user, BundleState.ACCEPTED)
        report = _apply(locked, _results_of(locked), user)
        locked.report = report.as_dict()
        locked.save()
        _outcomes_after_review(locked, report)
        audit.record(
            user,
            "accept",
            locked,
            detail={**_who(locked.partner), **report.counts()},
        )
    bundle.refresh_from_db()
    return report


def _outcomes_after_review(bundle: InboundBundle, report: ImportReport) -> None:
    merged = [o.stix_id for o in report.objects if o.outcome == ObjectOutcome.MERGED]
    if merged:
        bundle.raw_objects.filter(stix_id__in=merged, outcome=ObjectOutcome.IMPORTED).update(
            outcome=ObjectOutcome.MERGED
        )


def reject_bundle(bundle: InboundBundle, user: User, *, reason: str = "") -> InboundBundle:
    """Reject a pending bundle: nothing of it becomes a sighting (its objects stay on record)."""
    with transaction.atomic():
        locked = _review(bundle, user, BundleState.REJECTED)
        locked.report = {**locked.report, "rejected_reason": reason[:500]}
        locked.save()
        audit.record(
            user, "reject", locked, detail={**_who(locked.partner), "reason": reason[:500]}
        )
    bundle.refresh_from_db()
    return bundle


def record_export(
    user: User | None,
    *,
    destination: str,
    partner: Partner | None = None,
    max_tlp: str,
    counts: dict[str, int],
    scope: dict[str, Any] | None = None,
) -> None:
    """Audit one STIX export (file, TAXII response): who, to whom, at which TLP, how much."""
    audit.record(
        user,
        "export",
        object_type="sharing.stix",
        object_id=destination.rsplit("/", 1)[-1][:64],
        detail={
            **_who(partner),
            "destination": destination[:500],
            "max_tlp": max_tlp,
            **counts,
            **(scope or {}),
        },
    )
