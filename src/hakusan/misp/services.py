"""MISP feeds out (events a MISP instance subscribes to) and MISP events in (as sightings).

Export. A feed is built for an audience (the highest TLP its reader is cleared for) from what
``partners.policy`` lets leave, and nothing else:

- one event per case (info = case number and case type: never the title, summary or anything
  about victims), holding the shareable observables the case saw, each with the TLP of its
  case sighting; cases marked above the audience are left out entirely;
- one event per campaign (info = "Hakusan campaign <id>"), the same from its cases;
- one "shared indicators" event per TLP level up to the audience: every shareable observable,
  at the TLP the policy lets it leave with.

Attributes carry their own ``tlp:`` tag; an event's tag is the most restrictive of its
attributes'. Event uuids are uuid5 of the exporting organisation's uuid and the object
(``case:C2026-00012``), attribute uuids uuid5 of the event's and the value, so re-exports
update events instead of duplicating them; ``FeedEventState`` remembers each event's content
hash and timestamp per audience, and timestamps move only when content changes.

Import. MISP events (files, lists, feeds) become sightings of an ``IndicatorSource`` named
``misp:<creator org>`` (kind ``feed``, provenance ``misp event <uuid>``): attributes mapped
by ``hakusan.domain.misp``, canonicalised, TLP from their tags (the event's TLP as default),
``to_ids=false`` at lower confidence, other tags and galaxies kept as sighting tags; threat
actor galaxy clusters become ``analysis.ThreatActor`` rows (through ``analysis.services``).
Every attribute not imported is reported with its reason.
"""

from __future__ import annotations

import json
import logging
import uuid as uuidlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from pymisp import MISPAttribute, MISPEvent, MISPOrganisation

from hakusan.analysis.models import Campaign, CampaignCase, CampaignTag, CaseTag
from hakusan.cases.choices import CaseStatus
from hakusan.cases.models import Case
from hakusan.core import audit
from hakusan.core.choices import TLP
from hakusan.core.models import User
from hakusan.domain.foreign import text_problem
from hakusan.domain.misp import (
    EventRecord,
    GalaxyRef,
    InvalidMispDocument,
    UnsupportedMispType,
    attribute_uuid,
    canonical_value,
    content_hash,
    event_uuid,
    export_target,
    import_parts,
    is_tlp_tag,
    parse_event,
    skip_reason,
    tlp_tag,
    value_hashes,
)
from hakusan.domain.observables import InvalidObservable
from hakusan.domain.sharing import tlp as tlp_rules
from hakusan.indicators.choices import SourceKind
from hakusan.indicators.models import MAX_VALUE_LENGTH, IndicatorSource, Observable
from hakusan.indicators.services import SightingInput, create_source, record_sightings
from hakusan.partners.models import Partner
from hakusan.partners.policy import eligible_sightings, shareable_observables

from .models import FeedEventState

log = logging.getLogger(__name__)

__all__ = [
    "Feed",
    "ImportReport",
    "build_feed",
    "export_feed",
    "feed_kinds_for",
    "import_events",
    "org_identity",
]

CASES = "cases"
INDICATORS = "indicators"
FEED_KINDS = (CASES, INDICATORS)
DEFAULT_ORG_NAME = "Hakusan"
TO_IDS_CONFIDENCE = 50
NOT_TO_IDS_CONFIDENCE = 25
MAX_TAG = 100
ACTOR_GALAXIES = ("threat-actor", "mitre-intrusion-set")
TECHNIQUE_GALAXIES = ("mitre-attack-pattern",)


# --- identity ---------------------------------------------------------------------------------


def org_identity() -> tuple[str, str]:
    """(name, uuid) of the organisation the feed names as creator (``Orgc``). Settings
    ``HAKUSAN_MISP_ORG_NAME`` / ``HAKUSAN_MISP_ORG_UUID``; without a uuid, one derived from the
    name (stable, so event uuids stay put)."""
    name = str(getattr(settings, "HAKUSAN_MISP_ORG_NAME", "") or DEFAULT_ORG_NAME)
    configured = str(getattr(settings, "HAKUSAN_MISP_ORG_UUID", "") or "")
    if configured:
        return name, str(uuidlib.UUID(configured))
    return name, str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"hakusan:misp-org:{name}"))


def feed_kinds_for(partner: Partner) -> tuple[str, ...]:
    """What a partner's feed holds: case/campaign events if it receives cases, the shared
    indicator events if it receives indicators."""
    receives = set(partner.receives or [])
    return tuple(kind for kind in FEED_KINDS if kind in receives)


# --- export -----------------------------------------------------------------------------------


@dataclass
class _Attr:
    type: str  # MISP type
    category: str
    value: str
    to_ids: bool
    tlp: str
    tags: list[str]


@dataclass
class _Draft:
    key: str
    info: str
    date: date | None  # None: the day the content last changed
    analysis: int
    tags: list[str]
    attrs: list[_Attr]


@dataclass
class Feed:
    """A built feed: ``events`` event uuid -> ``{"Event": {...}}`` (feed format)."""

    audience: str
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # event uuid -> key

    @property
    def manifest(self) -> dict[str, dict[str, Any]]:
        """``manifest.json``: event uuid -> the metadata MISP's feed fetcher compares."""
        out: dict[str, dict[str, Any]] = {}
        for uuid, doc in self.events.items():
            event = doc["Event"]
            out[uuid] = {
                "info": event["info"],
                "Orgc": event["Orgc"],
                "Tag": event.get("Tag", []),
                "date": event["date"],
                "analysis": event["analysis"],
                "threat_level_id": event["threat_level_id"],
                "timestamp": event["timestamp"],
                "publish_timestamp": event["publish_timestamp"],
            }
        return out

    def hashes_csv(self) -> str:
        """``hashes.csv``: ``md5(value),event uuid`` per attribute value (each part of a
        composite), as MISP's feed cache reads it."""
        lines: list[str] = []
        for uuid, doc in self.events.items():
            for attr in doc["Event"].get("Attribute", []):
                lines.extend(f"{h},{uuid}" for h in value_hashes(attr["type"], attr["value"]))
        return "".join(line + "\n" for line in lines)

    @property
    def attribute_count(self) -> int:
        return sum(len(d["Event"].get("Attribute", [])) for d in self.events.values())


def _observable_attr(obs_type: str, value: str, level: str) -> _Attr | None:
    try:
        target, extra = export_target(obs_type, value)
    except ValueError:
        log.warning("observable type %s has no MISP mapping; not exported", obs_type)
        return None
    return _Attr(
        target.type, target.category, value, target.to_ids, level, [tlp_tag(level), *extra]
    )


def _case_info(case: Case) -> str:
    return f"Hakusan case {case.number} ({case.case_type.name_en})"


def _drafts(
    max_tlp: str, kinds: Sequence[str], only_keys: set[str] | None, now: datetime
) -> list[_Draft]:
    levels = tlp_rules.levels_up_to(max_tlp)
    shareable = shareable_observables(max_tlp, now=now)
    wanted = (lambda key: True) if only_keys is None else (lambda key: key in only_keys)
    drafts: list[_Draft] = []
    if CASES in kinds and (
        only_keys is None or any(k.split(":")[0] in ("case", "campaign") for k in only_keys)
    ):
        # Eligible case sightings of shareable observables, in cases marked within the audience.
        rows = (
            eligible_sightings(max_tlp)
            .filter(source_kind=SourceKind.CASE, observable__in=shareable.values("pk"))
            .values_list("source_id", "tlp", "observable__type", "observable__value")
        )
        by_case: dict[int, dict[tuple[str, str], str]] = defaultdict(dict)
        for case_id, level, obs_type, value in rows.iterator(chunk_size=5000):
            by_case[case_id][(obs_type, value)] = level
        cases = {
            c.pk: c
            for c in Case.objects.filter(pk__in=list(by_case), tlp__in=levels).select_related(
                "case_type"
            )
        }
        case_tags: dict[int, list[str]] = defaultdict(list)
        for tag in CaseTag.objects.filter(case_id__in=list(cases)).order_by("pk"):
            case_tags[tag.case_id].append(tag.machine_tag[:255])
        for case in sorted(cases.values(), key=lambda c: c.number):
            key = f"case:{case.number}"
            if not wanted(key):
                continue
            attrs = [
                a
                for (obs_type, value), level in sorted(by_case[case.pk].items())
                if (a := _observable_attr(obs_type, value, level)) is not None
            ]
            closed = case.status == CaseStatus.CLOSED
            drafts.append(
                _Draft(
                    key,
                    _case_info(case),
                    case.opened_at.date(),
                    2 if closed else 1,
                    case_tags[case.pk],
                    attrs,
                )
            )
        # Campaigns: the same from their cases (only cases within the audience count).
        campaigns = Campaign.objects.filter(tlp__in=levels).order_by("pk")
        members: dict[int, list[int]] = defaultdict(list)
        for campaign_id, case_id in CampaignCase.objects.filter(
            campaign__in=campaigns, case_id__in=list(cases)
        ).values_list("campaign_id", "case_id"):
            members[campaign_id].append(case_id)
        campaign_tags: dict[int, list[str]] = defaultdict(list)
        for ctag in CampaignTag.objects.filter(campaign_id__in=list(members)).order_by("pk"):
            campaign_tags[ctag.campaign_id].append(ctag.machine_tag[:255])
        for campaign in campaigns.filter(pk__in=list(members)):
            key = f"campaign:{campaign.pk}"
            if not wanted(key):
                continue
            best: dict[tuple[str, str], str] = {}
            for case_id in members[campaign.pk]:
                for obs_key, level in by_case[case_id].items():
                    current = best.get(obs_key)
                    if current is None or tlp_rules.rank(level) < tlp_rules.rank(current):
                        best[obs_key] = level
            attrs = [
                a
                for (obs_type, value), level in sorted(best.items())
                if (a := _observable_attr(obs_type, value, level)) is not None
            ]
            drafts.append(
                _Draft(
                    key,
                    f"Hakusan campaign {campaign.pk}",
                    campaign.created_at.date(),
                    1,
                    campaign_tags[campaign.pk],
                    attrs,
                )
            )
    if INDICATORS in kinds:
        by_level: dict[str, list[_Attr]] = defaultdict(list)
        todo = [lvl for lvl in levels if wanted(f"indicators:{lvl}")]
        if todo:
            annotated: Any = shareable.order_by("type", "value")  # share_tlp_rank: annotation
            for obs_type, value, rank in annotated.values_list(
                "type", "value", "share_tlp_rank"
            ).iterator(chunk_size=5000):
                level = tlp_rules.LEVELS[rank]
                if level in todo and (a := _observable_attr(obs_type, value, level)) is not None:
                    by_level[level].append(a)
        for level in todo:
            if by_level[level]:
                drafts.append(
                    _Draft(
                        f"indicators:{level}",
                        f"Hakusan shared indicators TLP:{level.upper()}",
                        None,
                        1,
                        [],
                        by_level[level],
                    )
                )
    return [d for d in drafts if d.attrs]


def _attr_hash(a: _Attr) -> str:
    return content_hash([a.type, a.category, a.value, a.to_ids, sorted(a.tags)])[:32]


def _stamp(
    draft: _Draft,
    audience: str,
    org: tuple[str, str],
    now: datetime,
    persist: bool,
    states: dict[str, FeedEventState],
) -> tuple[str, dict[str, Any]]:
    """The event in feed format, with uuids and timestamps kept from the last build unless the
    content changed (and the state updated when ``persist``)."""
    euuid = event_uuid(org[1], draft.key)
    level = tlp_rules.most_restrictive(a.tlp for a in draft.attrs) or "red"
    event_tags = [tlp_tag(level), *[t for t in draft.tags if not is_tlp_tag(t)]]
    state = states.get(euuid)
    old_attrs: dict[str, list[Any]] = dict(state.attributes) if state else {}
    now_ts = int(now.timestamp())
    attr_state: dict[str, list[Any]] = {}
    items = []
    for a in draft.attrs:
        auuid = attribute_uuid(euuid, a.type, a.value)
        digest = _attr_hash(a)
        previous = old_attrs.get(auuid)
        ts = int(previous[1]) if previous and previous[0] == digest else now_ts
        attr_state[auuid] = [digest, ts]
        items.append((auuid, a, ts))
    body_hash = content_hash(
        [
            draft.info,
            draft.analysis,
            draft.date.isoformat() if draft.date else None,
            sorted(event_tags),
            sorted((u, v[0]) for u, v in attr_state.items()),
        ]
    )
    if state is not None and state.content_hash == body_hash:
        ts = int(state.timestamp)
    else:
        ts = max([now_ts, *(t for _, _, t in items)])
    if persist and (state is None or state.content_hash != body_hash):
        _save_state(euuid, audience, draft.key, body_hash, ts, attr_state, now)

    event = MISPEvent()
    event.uuid = euuid
    event.info = draft.info
    event.set_date(draft.date or datetime.fromtimestamp(ts, tz=UTC).date())
    event.analysis = draft.analysis
    event.threat_level_id = 4
    event.published = True
    event.timestamp = ts
    event.publish_timestamp = ts
    orgc = MISPOrganisation()
    orgc.name, orgc.uuid = org
    event.Orgc = orgc
    for tag in event_tags:
        event.add_tag(tag)
    for auuid, a, ats in items:
        attribute = MISPAttribute()
        attribute.from_dict(
            uuid=auuid,
            type=a.type,
            category=a.category,
            value=a.value,
            to_ids=a.to_ids,
            comment="",
            timestamp=ats,
            disable_correlation=False,
        )
        for tag in a.tags:
            attribute.add_tag(tag)
        event.attributes.append(attribute)
    return euuid, event.to_feed(with_local_tags=False)


def _save_state(
    euuid: str,
    audience: str,
    key: str,
    digest: str,
    ts: int,
    attrs: dict[str, list[Any]],
    now: datetime,
) -> None:
    values = {
        "key": key,
        "content_hash": digest,
        "timestamp": ts,
        "attributes": attrs,
        "updated_at": now,
    }
    try:
        with transaction.atomic():
            FeedEventState.objects.update_or_create(uuid=euuid, audience=audience, defaults=values)
    except IntegrityError:  # built concurrently: the other build wrote the same content
        FeedEventState.objects.filter(uuid=euuid, audience=audience).update(**values)


def build_feed(
    max_tlp: str,
    *,
    kinds: Sequence[str] = FEED_KINDS,
    only_uuid: str | None = None,
    persist: bool = True,
    now: datetime | None = None,
) -> Feed:
    """The feed for readers cleared up to ``max_tlp``. ``only_uuid``: build just that event
    (a feed reader fetching one ``<uuid>.json``; unknown uuids give an empty feed)."""
    audience = tlp_rules.normalise(max_tlp)
    unknown = [k for k in kinds if k not in FEED_KINDS]
    if unknown:
        raise ValidationError({"kinds": f"unknown feed content {unknown} (known: {FEED_KINDS})"})
    now = now or timezone.now()
    org = org_identity()
    only_keys = None
    if only_uuid is not None:
        try:
            uuidlib.UUID(only_uuid)
        except ValueError:
            return Feed(audience)
        state = FeedEventState.objects.filter(uuid=only_uuid, audience=audience).first()
        if state is None:
            return Feed(audience)
        only_keys = {state.key}
    feed = Feed(audience)
    drafts = _drafts(audience, kinds, only_keys, now)
    uuids = [event_uuid(org[1], d.key) for d in drafts]
    states = {
        str(s.uuid): s for s in FeedEventState.objects.filter(audience=audience, uuid__in=uuids)
    }
    for draft in drafts:
        euuid, doc = _stamp(draft, audience, org, now, persist, states)
        feed.events[euuid] = doc
        feed.keys[euuid] = draft.key
    return feed


def export_feed(
    outdir: Any,
    *,
    max_tlp: str,
    kinds: Sequence[str] = FEED_KINDS,
    partner: Partner | None = None,
    user: User | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Feed:
    """Write the feed into ``outdir`` (``manifest.json``, ``<uuid>.json``, ``hashes.csv``);
    files of events no longer in the feed are removed. Audited."""
    from pathlib import Path

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    feed = build_feed(max_tlp, kinds=kinds)
    total = len(feed.events)
    for i, (euuid, doc) in enumerate(sorted(feed.events.items()), 1):
        _write(out / f"{euuid}.json", json.dumps(doc, ensure_ascii=False, indent=1))
        if progress is not None:
            progress(i, total)
    _write(out / "manifest.json", json.dumps(feed.manifest, ensure_ascii=False, indent=1))
    _write(out / "hashes.csv", feed.hashes_csv())
    stale = 0
    for path in out.glob("*.json"):
        stem = path.stem
        if path.name != "manifest.json" and _is_uuid(stem) and stem not in feed.events:
            path.unlink()
            stale += 1
    audit.record(
        user,
        "export",
        object_type="misp.feed",
        object_id=partner.pk if partner else "",
        detail={
            "format": "misp-feed",
            "tlp": feed.audience,
            "kinds": list(kinds),
            "partner": partner.pk if partner else None,
            "partner_name": partner.name if partner else None,
            "events": total,
            "attributes": feed.attribute_count,
            "removed": stale,
            "outdir": str(out),
        },
    )
    return feed


def _write(path: Any, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _is_uuid(text: str) -> bool:
    try:
        uuidlib.UUID(text)
    except ValueError:
        return False
    return True


# --- import -----------------------------------------------------------------------------------


@dataclass
class Skipped:
    event: str
    attribute: str
    type: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {
            "event": self.event,
            "attribute": self.attribute,
            "type": self.type,
            "reason": self.reason,
        }


@dataclass
class ImportReport:
    events: int = 0
    attributes: int = 0
    imported: int = 0  # observables new to the store
    merged: int = 0  # values already stored (a sighting added or updated)
    skipped: list[Skipped] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    actors_not_created: list[str] = field(default_factory=list)
    techniques: list[str] = field(default_factory=list)

    def reasons(self) -> dict[str, int]:
        counts = Counter(
            s.reason.split(":", 1)[0] if s.reason.startswith("invalid") else s.reason
            for s in self.skipped
        )
        return dict(counts.most_common())

    def as_dict(self, max_skipped: int = 200) -> dict[str, Any]:
        return {
            "events": self.events,
            "attributes": self.attributes,
            "imported": self.imported,
            "merged": self.merged,
            "skipped": len(self.skipped),
            "skipped_by_reason": self.reasons(),
            "skipped_detail": [s.as_dict() for s in self.skipped[:max_skipped]],
            "sources": self.sources,
            "actors": self.actors,
            "actors_not_created": self.actors_not_created,
            "techniques": self.techniques,
        }


def _source(user: User | None, name: str, default_tlp: str) -> IndicatorSource:
    found = IndicatorSource.objects.filter(name=name).first()
    if found is not None:
        return found
    try:
        return create_source(user, name, description="MISP import", default_tlp=default_tlp)
    except ValidationError:  # created concurrently
        return IndicatorSource.objects.get(name=name)


def _tlp_of(tags: Iterable[str]) -> tuple[str | None, str | None]:
    """(most restrictive TLP the ``tlp:`` tags name, the first unknown ``tlp:`` tag): an
    element with an unknown level is not imported (never guessed lower)."""
    levels = []
    for tag in tags:
        if not is_tlp_tag(tag):
            continue
        try:
            levels.append(tlp_rules.normalise(tag))
        except tlp_rules.UnknownTLP:
            return None, tag.strip()[:60]
    return tlp_rules.most_restrictive(levels), None


def _strictest(*levels: str | None) -> str | None:
    return tlp_rules.most_restrictive(level for level in levels if level)


def _release_levels(items: list[SightingInput]) -> list[SightingInput]:
    """One value in several events of one source: each event is its own release, so the
    value may be shared as its least restrictive release allows (as the sharing policy does
    with several sightings). Within one event the most restrictive level already stands
    (attribute, event and operator tags); ingest would otherwise keep the stricter of any two
    rows, and a feed that lists a CLEAR indicator beside an AMBER case would lose the CLEAR."""
    per_event: dict[tuple[int, str, str], dict[str, str]] = defaultdict(dict)
    for item in items:
        levels = per_event[(item.source_id, item.type, item.value)]
        current = levels.get(item.provenance)
        levels[item.provenance] = _strictest(current, item.tlp) or item.tlp
    released = {
        key: tlp_rules.least_restrictive(levels.values()) for key, levels in per_event.items()
    }
    return [
        replace(item, tlp=level)
        if (level := released[(item.source_id, item.type, item.value)]) and level != item.tlp
        else item
        for item in items
    ]


def _clip_tags(tags: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t[:MAX_TAG] for t in tags if t.strip()))


def _seen(
    record: EventRecord, attr_first: datetime | None, attr_ts: datetime | None, now: datetime
) -> datetime:
    if attr_first is not None:
        return attr_first
    if attr_ts is not None:
        return attr_ts
    if record.date is not None:
        return datetime(record.date.year, record.date.month, record.date.day, tzinfo=UTC)
    return now


def _actors(user: User | None, refs: Iterable[GalaxyRef], report: ImportReport) -> None:
    """Threat-actor clusters -> ``analysis.ThreatActor`` via ``analysis.services`` (needs an
    analyst: without one the actors are reported, not created)."""
    from hakusan.analysis.access import CAN_ANALYSE
    from hakusan.analysis.services import actor_from_galaxy
    from hakusan.core.access import user_can
    from hakusan.domain.attribution import GalaxyKind, packaged_index

    index = None
    for ref in refs:
        if ref.galaxy in TECHNIQUE_GALAXIES:
            if ref.value not in report.techniques:
                report.techniques.append(ref.value)
            continue
        if ref.galaxy not in ACTOR_GALAXIES:
            continue
        label = f"{ref.galaxy}: {ref.value}"
        if label in report.actors or any(x.startswith(label) for x in report.actors_not_created):
            continue
        index = index or packaged_index()
        # Old events give the galaxy's uuid for every cluster: fall back to the value, an
        # exact name first, then an exact alias (Sofacy is now an alias of APT28), the same
        # galaxy preferred.
        cluster = index.get(ref.uuid) if ref.uuid else None
        if cluster is None or cluster.kind != GalaxyKind.ACTOR:
            exact = sorted(
                (
                    m
                    for m in index.search(ref.value, kinds=[GalaxyKind.ACTOR], limit=20)
                    if m.rank <= 1
                ),
                key=lambda m: (m.cluster.galaxy != ref.galaxy, m.rank),
            )
            cluster = exact[0].cluster if exact else None
        if cluster is None:
            report.actors_not_created.append(f"{label} (not in the packaged galaxies)")
            continue
        if user is None or not user_can(user, CAN_ANALYSE):
            report.actors_not_created.append(f"{label} (import as an analyst to create actors)")
            continue
        try:
            actor = actor_from_galaxy(user, cluster.uuid)
        except (ValidationError, PermissionDenied) as exc:
            report.actors_not_created.append(f"{label} ({exc})")
            continue
        report.actors.append(f"{label} -> {actor.name}")


def import_events(
    user: User | None,
    events: Iterable[dict[str, Any]],
    *,
    source_name: str | None = None,
    default_tlp: str | None = None,
    origin: str = "",
    now: datetime | None = None,
) -> ImportReport:
    """Import MISP event dicts (from ``hakusan.domain.misp.events_in``) as sightings. Audited
    (one entry for the import, with its counts)."""
    if default_tlp is not None:
        default_tlp = tlp_rules.normalise(default_tlp)
    if source_name is not None and not (0 < len(source_name.strip()) <= 100):
        raise ValidationError({"source": "a source name of 1 to 100 characters"})
    now = now or timezone.now()
    report = ImportReport()
    items: list[SightingInput] = []
    uuids: list[str] = []
    for raw in events:
        report.events += 1
        try:
            record = parse_event(raw)
        except InvalidMispDocument as exc:  # malformed event-level field: this event only
            label = raw.get("uuid") if isinstance(raw, dict) else None
            label = label[:60] if isinstance(label, str) and not text_problem(label) else ""
            report.skipped.append(Skipped(label, "", "", f"invalid event: {exc}"))
            continue
        uuids.append(record.uuid)
        for bad in record.rejected:
            report.attributes += 1
            report.skipped.append(
                Skipped(record.uuid, bad.uuid, bad.type, f"invalid: {bad.reason}")
            )
        event_level, bad_tag = _tlp_of(record.tags)
        # The most restrictive of the event's tag and the operator's level; AMBER if neither.
        event_tlp = _strictest(event_level, default_tlp) or TLP.AMBER
        name = (source_name or f"misp:{record.orgc or 'unknown'}").strip()[:100]
        source = _source(user, name, event_tlp)
        if source.name not in report.sources:
            report.sources.append(source.name)
        event_tags = [t for t in record.tags if not is_tlp_tag(t)]
        refs = list(record.galaxies)
        provenance = f"misp event {record.uuid}"[:200]
        for attr in record.attributes:
            report.attributes += 1
            if attr.deleted:
                report.skipped.append(Skipped(record.uuid, attr.uuid, attr.type, "deleted in MISP"))
                continue
            try:
                parts = import_parts(attr.type, attr.value, attr.tags)
            except UnsupportedMispType:
                report.skipped.append(
                    Skipped(record.uuid, attr.uuid, attr.type, f"skipped: {skip_reason(attr.type)}")
                )
                continue
            except ValueError as exc:
                report.skipped.append(Skipped(record.uuid, attr.uuid, attr.type, f"invalid: {exc}"))
                continue
            own_level, bad_own = _tlp_of(attr.tags)
            if bad_tag or bad_own:
                report.skipped.append(
                    Skipped(
                        record.uuid,
                        attr.uuid,
                        attr.type,
                        f"invalid: unknown TLP tag {bad_tag or bad_own!r} "
                        f"on the {'event' if bad_tag else 'attribute'}",
                    )
                )
                continue
            level = _strictest(own_level, event_level, default_tlp) or TLP.AMBER
            refs.extend(attr.galaxies)
            tags = _clip_tags(
                [
                    *event_tags,
                    *(t for t in attr.tags if not is_tlp_tag(t)),
                    *(g.tag for g in attr.galaxies),
                    *(g.tag for g in record.galaxies),
                    f"misp-category:{attr.category}" if attr.category else "",
                    f"misp-object:{attr.object_name}" if attr.object_name else "",
                    "" if attr.to_ids else "misp:to_ids=false",
                ]
            )
            seen = _seen(record, attr.first_seen, attr.timestamp, now)
            last = attr.last_seen if attr.last_seen and attr.last_seen >= seen else seen
            for part in parts:
                try:
                    kind, value = canonical_value(part.type, part.raw)
                except InvalidObservable as exc:
                    report.skipped.append(
                        Skipped(record.uuid, attr.uuid, attr.type, f"invalid: {exc}")
                    )
                    continue
                if len(value) > MAX_VALUE_LENGTH:
                    report.skipped.append(
                        Skipped(
                            record.uuid,
                            attr.uuid,
                            attr.type,
                            f"invalid: value over {MAX_VALUE_LENGTH} characters",
                        )
                    )
                    continue
                comment = "; ".join(x for x in (attr.comment.strip(), part.note) if x)[:1000]
                items.append(
                    SightingInput(
                        SourceKind.FEED,
                        source.pk,
                        kind,
                        value,
                        part.raw.strip() if part.raw.strip() != value else "",
                        seen,
                        level,
                        last_seen=last,
                        confidence=TO_IDS_CONFIDENCE if attr.to_ids else NOT_TO_IDS_CONFIDENCE,
                        tags=tags,
                        provenance=provenance,
                        comment=comment,
                    )
                )
        _actors(user, refs, report)
    items = _release_levels(items)
    keys = {(i.type, i.value) for i in items}
    existing: set[tuple[str, str]] = set()
    pairs = list(keys)
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        by_type: dict[str, list[str]] = defaultdict(list)
        for t, v in chunk:
            by_type[t].append(v)
        for t, values in by_type.items():
            existing.update(
                (t, v)
                for v in Observable.objects.filter(type=t, value__in=values).values_list(
                    "value", flat=True
                )
            )
    counted: set[tuple[str, str]] = set()
    for item in items:
        key = (item.type, item.value)
        if key in existing or key in counted:
            report.merged += 1
        else:
            report.imported += 1
            counted.add(key)
    with transaction.atomic():
        if items:
            record_sightings(items, user=user)
        audit.record(
            user,
            "import",
            object_type="misp.import",
            object_id=uuids[0] if len(uuids) == 1 else "",
            detail={
                # a path from the command line may hold undecodable bytes (surrogate escapes)
                "origin": origin.encode("utf-8", "replace").decode("utf-8")[:500],
                "events": uuids[:100],
                **{
                    k: v for k, v in report.as_dict(max_skipped=20).items() if k != "skipped_detail"
                },
            },
        )
    return report
