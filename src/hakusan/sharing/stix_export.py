"""STIX 2.1 objects for what leaves Hakusan.

Every function here writes plain JSON-serialisable dicts with deterministic ids (the same data
exported twice gives the same objects), marked with the TLP 2.0 marking definitions and
authored by our identity. Callers pass only what ``partners.policy`` let through:
``observable_objects`` takes an observable from ``policy.shareable_observables`` and its
``policy.share_tlp``. Nothing narrative is ever written: no case titles or summaries, no
report text, no reporter or victim fields (see docs/sharing/stix.md)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Max, Min, Sum

from hakusan.domain.sharing import tlp as tlp_rules
from hakusan.domain.stix import mapping
from hakusan.domain.stix.ids import our_id, timestamp
from hakusan.domain.stix.markings import marking_definitions
from hakusan.indicators.models import Observable, Sighting
from hakusan.partners import policy
from hakusan.partners.models import Partner

if TYPE_CHECKING:
    from hakusan.analysis.models import Campaign, ThreatActor
    from hakusan.cases.models import Case

IDENTITY_CREATED = "2026-01-01T00:00:00.000Z"

__all__ = [
    "ExportStats",
    "actor_object",
    "export_bundle",
    "extension_objects",
    "identity_id",
    "identity_object",
    "indicator_id",
    "marking_objects",
    "marking_ref",
    "observable_objects",
    "organisation_name",
    "sighting_object",
]


def organisation_name() -> str:
    return str(getattr(settings, "HAKUSAN_ORGANISATION", "Hakusan") or "Hakusan")


@functools.lru_cache(maxsize=8)
def _identity_id_for(name: str) -> str:
    return our_id("identity", name)


def identity_id() -> str:
    # Cached per name: it is asked for once per exported object (~25 % of export time).
    return _identity_id_for(organisation_name())


def identity_object() -> dict[str, Any]:
    """The identity every object we author names as ``created_by_ref``."""
    name = organisation_name()
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id(),
        "created": IDENTITY_CREATED,
        "modified": IDENTITY_CREATED,
        "name": name,
        "description": f"{name} (Hakusan cyber-operations platform)",
        "identity_class": "organization",
        "sectors": ["government"],
    }


def marking_objects(levels: list[str]) -> list[dict[str, Any]]:
    """The OASIS TLP 2.0 marking-definition objects of ``levels`` (once each)."""
    return marking_definitions(levels)


def marking_ref(level: str) -> str:
    return tlp_rules.STIX_MARKING_IDS[tlp_rules.normalise(level)]


def extension_objects(sco_types: list[str]) -> list[dict[str, Any]]:
    """The extension-definitions of our custom SCO types (``phone-number`` …), once each."""
    author = identity_id()
    return [mapping.extension_definition(sco_type, author) for sco_type in dict.fromkeys(sco_types)]


def indicator_id(type_: str, value: str) -> str:
    return our_id("indicator", f"{type_}:{value}")


# The relationship type linking an indicator to its SCO. ``related-to`` is one of the three
# types STIX 2.1 allows between any objects (§4.4), so the OASIS validator's strict check 202
# (relationship-types) accepts it; ``based-on`` (what OpenCTI writes) is in the spec's table
# for indicator → observed-data only and fails that check for indicator → SCO.
INDICATOR_TO_SCO = "related-to"


def relationship_id(source_ref: str, relationship_type: str, target_ref: str) -> str:
    return our_id("relationship", f"{source_ref}/{relationship_type}/{target_ref}")


def relationship(
    source_ref: str,
    relationship_type: str,
    target_ref: str,
    *,
    created: str,
    modified: str,
    markings: list[str],
) -> dict[str, Any]:
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "id": relationship_id(source_ref, relationship_type, target_ref),
        "created_by_ref": identity_id(),
        "created": created,
        "modified": modified,
        "relationship_type": relationship_type,
        "source_ref": source_ref,
        "target_ref": target_ref,
        "object_marking_refs": markings,
    }


def _times(observable: Observable) -> tuple[datetime, datetime]:
    first = observable.first_seen
    last = max(observable.last_seen or first, first)
    return first, last


def observable_objects(observable: Observable, tlp: str) -> list[dict[str, Any]]:
    """The STIX objects of one shareable observable, marked ``tlp``:

    - its SCO(s) (deterministic ids), and for our custom SCO types the extension-definition;
    - an ``indicator`` (id from type and value; ``valid_from``/``created`` = first seen,
      ``modified`` = last seen, so a re-sighting makes a new version), ``pattern_type: stix``;
    - a ``related-to`` relationship indicator → SCO (``INDICATOR_TO_SCO``).

    A CVE is a ``vulnerability`` instead (no indicator: it is not something to detect).
    Objects may repeat between observables (extension-definitions): deduplicate by id."""
    level = tlp_rules.normalise(tlp)
    markings = [marking_ref(level)]
    author = identity_id()
    form = mapping.to_stix(observable.type, observable.value, identity_id=author)
    first, last = _times(observable)
    created, modified = timestamp(first), timestamp(last)
    out: list[dict[str, Any]] = extension_objects(form.custom_types)
    if form.sdo is not None:
        sdo = dict(form.sdo)
        sdo.update(
            created_by_ref=author,
            created=created,
            modified=modified,
            object_marking_refs=markings,
        )
        out.append(sdo)
        return out
    for sco in form.scos:
        out.append({**sco, "object_marking_refs": markings})
    if form.pattern is None:
        return out
    indicator: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator_id(observable.type, observable.value),
        "created_by_ref": author,
        "created": created,
        "modified": modified,
        "name": f"{observable.type}: {observable.value}"[:250],
        "description": f"Observable of type {observable.type} shared by {organisation_name()}.",
        "pattern": form.pattern,
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": created,
    }
    expires = getattr(observable, "expires_at", None)
    if expires is not None and expires > first:
        indicator["valid_until"] = timestamp(expires)
    confidence = getattr(observable, "share_confidence", None)
    if confidence is not None:
        indicator["confidence"] = max(0, min(100, int(confidence)))
    indicator["object_marking_refs"] = markings
    out.append(indicator)
    for sco in form.scos:
        out.append(
            relationship(
                indicator["id"],
                INDICATOR_TO_SCO,
                sco["id"],
                created=created,
                modified=modified,
                markings=markings,
            )
        )
    return out


# --- bundles ----------------------------------------------------------------------------------

_CHUNK = 2000


@dataclass
class ExportStats:
    """What a bundle holds and what was left out (and why), for the CLI and the audit."""

    observables: int = 0
    sightings: int = 0
    cases: int = 0
    campaigns: int = 0
    actors: int = 0
    objects: int = 0
    omitted: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "observables": self.observables,
            "sightings": self.sightings,
            "cases": self.cases,
            "campaigns": self.campaigns,
            "actors": self.actors,
            "objects": self.objects,
        }


class _Collector:
    """Objects of a bundle, once each by id, with the markings and extensions they use."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.levels: set[str] = set()

    def add(self, obj: dict[str, Any]) -> None:
        self.objects.setdefault(obj["id"], obj)
        for ref in obj.get("object_marking_refs", ()):
            self.levels.add(_LEVEL_OF_REF[ref])

    def bundle(self) -> dict[str, Any]:
        head = [identity_object(), *marking_objects(sorted(self.levels))]
        return {
            "type": "bundle",
            "id": f"bundle--{uuid.uuid4()}",
            "objects": head + [o for i, o in self.objects.items() if i != head[0]["id"]],
        }


_LEVEL_OF_REF = {ref: level for level, ref in tlp_rules.STIX_MARKING_IDS.items()}


def _ts(value: datetime | None, default: datetime) -> str:
    return timestamp(value or default)


def _observable_ref(observable: Observable) -> str:
    if observable.type == "cve":
        return our_id("vulnerability", observable.value)
    return indicator_id(observable.type, observable.value)


def _case_observable_ids(case_ids: list[int]) -> set[int]:
    return set(
        Sighting.objects.filter(source_kind="case", source_id__in=case_ids).values_list(
            "observable_id", flat=True
        )
    )


def _sighting_facts(ids: list[int], max_tlp: str) -> dict[int, tuple[int, datetime, datetime]]:
    facts: dict[int, tuple[int, datetime, datetime]] = {}
    eligible = policy.eligible_sightings(max_tlp)
    for start in range(0, len(ids), _CHUNK):
        rows = (
            eligible.filter(observable_id__in=ids[start : start + _CHUNK])
            .order_by()
            .values("observable_id")
            .annotate(total=Sum("count"), first=Min("seen_at"), last=Max("last_seen"))
        )
        for row in rows:
            facts[row["observable_id"]] = (row["total"], row["first"], row["last"])
    return facts


def sighting_object(
    observable: Observable, tlp: str, count: int, first: datetime, last: datetime
) -> dict[str, Any]:
    """Our sightings of an exported indicator, as one STIX ``sighting`` (count, first/last
    seen, sighted by us). Deterministic id: one per indicator, new versions as it changes."""
    ref = _observable_ref(observable)
    last = max(last, first)
    return {
        "type": "sighting",
        "spec_version": "2.1",
        "id": our_id("sighting", f"{ref}/{identity_id()}"),
        "created_by_ref": identity_id(),
        "created": timestamp(first),
        "modified": timestamp(last),
        "first_seen": timestamp(first),
        "last_seen": timestamp(last),
        "count": max(1, min(int(count), 999_999_999)),
        "sighting_of_ref": ref,
        "where_sighted_refs": [identity_id()],
        "object_marking_refs": [marking_ref(tlp)],
    }


def actor_object(actor: Any, *, tlp: str) -> dict[str, Any]:
    """A threat actor as ``intrusion-set`` (galaxy intrusion sets) or ``threat-actor``: name,
    aliases and its galaxy reference; never the analyst's description."""
    stix_type = "intrusion-set" if "intrusion-set" in (actor.galaxy or "") else "threat-actor"
    created = timestamp(actor.created_at)
    obj: dict[str, Any] = {
        "type": stix_type,
        "spec_version": "2.1",
        "id": our_id(stix_type, str(actor.galaxy_uuid or f"actor/{actor.pk}")),
        "created_by_ref": identity_id(),
        "created": created,
        "modified": created,
        "name": actor.name,
    }
    aliases = [a for a in actor.aliases or [] if isinstance(a, str) and a and a != actor.name]
    if aliases:
        obj["aliases"] = aliases
    if stix_type == "threat-actor":
        obj["threat_actor_types"] = ["criminal"] if not actor.galaxy_uuid else ["unknown"]
    if actor.galaxy_uuid:
        obj["external_references"] = [
            {
                "source_name": f"misp-galaxy:{actor.galaxy}" if actor.galaxy else "misp-galaxy",
                "external_id": actor.external_id or str(actor.galaxy_uuid),
            }
        ]
    obj["object_marking_refs"] = [marking_ref(tlp)]
    return obj


def export_bundle(
    *,
    max_tlp: str | None = None,
    partner: Partner | None = None,
    cases: list[Case] | None = None,
    campaigns: list[Campaign] | None = None,
    actors: list[ThreatActor] | None = None,
    include_sightings: bool = True,
    include_observables: bool = True,
    progress: Callable[[int], None] | None = None,
    stats: ExportStats | None = None,
) -> dict[str, Any]:
    """A STIX 2.1 bundle of what a recipient cleared up to ``max_tlp`` (or ``partner``) may
    have, through ``partners.policy``:

    - observables (``observable_objects``): all shareable ones, or with ``cases``/``campaigns``
      only those linked to them;
    - cases as ``grouping`` (context ``suspicious-activity``) named by number and case type
      ONLY (titles and summaries may hold victims' personal data), ``object_refs`` = the
      case's shareable indicators; a case above the TLP, or with nothing shareable, is left
      out (``stats.omitted`` says so);
    - campaigns as ``campaign`` (name only), ``indicates`` relationships from their
      indicators, ``attributed-to`` their actor;
    - actors as ``threat-actor``/``intrusion-set``;
    - with ``include_sightings`` one ``sighting`` per indicator (count, first/last seen)."""
    if partner is not None:
        if not partner.active:
            raise ValueError(f"partner {partner.name} is not active")
        max_tlp = partner.max_tlp
    if max_tlp is None:
        raise ValueError("export_bundle needs max_tlp or partner")
    max_tlp = tlp_rules.normalise(max_tlp)
    stats = stats if stats is not None else ExportStats()
    out = _Collector()
    cases, campaigns, actors = list(cases or []), list(campaigns or []), list(actors or [])

    kept_cases = []
    for case in cases:
        if tlp_rules.allows(case.tlp, max_tlp):
            kept_cases.append(case)
        else:
            stats.omitted.append(
                f"case {case.number}: TLP:{case.tlp.upper()} above TLP:{max_tlp.upper()}"
            )
    kept_campaigns = []
    for campaign in campaigns:
        if tlp_rules.allows(campaign.tlp, max_tlp):
            kept_campaigns.append(campaign)
        else:
            stats.omitted.append(
                f"campaign {campaign.pk}: TLP:{campaign.tlp.upper()} above TLP:{max_tlp.upper()}"
            )
    campaign_cases = {c.pk: list(c.cases.values_list("pk", flat=True)) for c in kept_campaigns}
    scoped = bool(cases or campaigns)
    wanted: set[int] | None = None
    if scoped:
        wanted = _case_observable_ids(
            [c.pk for c in kept_cases] + [pk for ids in campaign_cases.values() for pk in ids]
        )

    shareable = policy.shareable_observables(max_tlp)
    if wanted is not None:
        shareable = shareable.filter(pk__in=wanted)
    refs_by_observable: dict[int, str] = {}
    tlp_by_observable: dict[int, str] = {}
    exported: list[Observable] = []
    if include_observables or scoped:
        done = 0
        for observable in shareable.order_by("pk").iterator(chunk_size=_CHUNK):
            level = policy.share_tlp(observable)
            for obj in observable_objects(observable, level):
                out.add(obj)
            refs_by_observable[observable.pk] = _observable_ref(observable)
            tlp_by_observable[observable.pk] = level
            exported.append(observable)
            done += 1
            if progress is not None and done % 500 == 0:
                progress(done)
        if progress is not None:
            progress(done)
    stats.observables = len(exported)

    if include_sightings and exported:
        facts = _sighting_facts([o.pk for o in exported], max_tlp)
        for observable in exported:
            if observable.type == "cve" or observable.pk not in facts:
                continue
            count, first, last = facts[observable.pk]
            out.add(
                sighting_object(observable, tlp_by_observable[observable.pk], count, first, last)
            )
            stats.sightings += 1

    for case in kept_cases:
        ids = _case_observable_ids([case.pk])
        refs = sorted({refs_by_observable[i] for i in ids if i in refs_by_observable})
        if not refs:
            stats.omitted.append(f"case {case.number}: no shareable indicator")
            continue
        created = timestamp(case.opened_at)
        out.add(
            {
                "type": "grouping",
                "spec_version": "2.1",
                "id": our_id("grouping", case.number),
                "created_by_ref": identity_id(),
                "created": created,
                "modified": _ts(max(case.updated_at, case.opened_at), case.opened_at),
                "name": f"{case.number} {case.case_type.name_en}",
                "description": (
                    f"Indicators of case {case.number} ({case.case_type.name_en}) "
                    f"shared by {organisation_name()}."
                ),
                "context": "suspicious-activity",
                "object_refs": refs,
                "object_marking_refs": [marking_ref(case.tlp)],
            }
        )
        stats.cases += 1

    actor_objects: dict[int, dict[str, Any]] = {}

    def add_actor(actor: ThreatActor, level: str) -> dict[str, Any]:
        if actor.pk not in actor_objects:
            actor_objects[actor.pk] = actor_object(actor, tlp=level)
            out.add(actor_objects[actor.pk])
            stats.actors += 1
        return actor_objects[actor.pk]

    for actor in actors:
        add_actor(actor, "clear" if actor.galaxy_uuid else max_tlp)

    for campaign in kept_campaigns:
        created = timestamp(campaign.created_at)
        modified = _ts(max(campaign.updated_at, campaign.created_at), campaign.created_at)
        markings = [marking_ref(campaign.tlp)]
        campaign_obj: dict[str, Any] = {
            "type": "campaign",
            "spec_version": "2.1",
            "id": our_id("campaign", f"campaign/{campaign.pk}"),
            "created_by_ref": identity_id(),
            "created": created,
            "modified": modified,
            "name": campaign.name,
            "description": f"Campaign tracked by {organisation_name()}.",
            "object_marking_refs": markings,
        }
        out.add(campaign_obj)
        stats.campaigns += 1
        ids = _case_observable_ids(campaign_cases[campaign.pk])
        for pk in sorted(ids):
            ref = refs_by_observable.get(pk)
            if ref is None or not ref.startswith("indicator--"):
                continue
            level = tlp_rules.most_restrictive([campaign.tlp, tlp_by_observable[pk]]) or max_tlp
            out.add(
                relationship(
                    ref,
                    "indicates",
                    campaign_obj["id"],
                    created=created,
                    modified=modified,
                    markings=[marking_ref(level)],
                )
            )
        if campaign.actor is not None:
            actor_obj = add_actor(campaign.actor, campaign.tlp)
            out.add(
                relationship(
                    campaign_obj["id"],
                    "attributed-to",
                    actor_obj["id"],
                    created=created,
                    modified=modified,
                    markings=markings,
                )
            )

    bundle = out.bundle()
    stats.objects = len(bundle["objects"])
    return bundle
