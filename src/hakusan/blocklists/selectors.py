"""Reads for the blocklist feeds: their data version (for ETag/Last-Modified) and their items.

What is in a feed is decided by ``partners.policy`` (the one gate for data leaving) plus the feed
rule of ``hakusan.domain.blocklists.feeds``: a *verified* sighting — eligible for the partner,
tagged with the feed's tag, confidence at least :func:`min_confidence`."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Exists, Max, Min, OuterRef, QuerySet
from django.utils import timezone

from hakusan.domain.blocklists import FeedItem, FeedSpec, brands_from_tags, compute_etag
from hakusan.domain.sharing import tlp as tlp_rules
from hakusan.indicators.models import IndicatorSource, Observable, Sighting
from hakusan.partners.models import Partner
from hakusan.partners.policy import eligible_sightings, shareable_for

from .models import FeedState

DEFAULT_MIN_CONFIDENCE = 50
WINDOW = 20_000  # observable ids per query
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ATTRIBUTION = re.compile(r"Attribution:\s*([^\n—;]+?)\s*(?:—|;|\n|$)", re.IGNORECASE)


def min_confidence() -> int:
    """``settings.HAKUSAN_BLOCKLIST_MIN_CONFIDENCE`` (0–100), else 50."""
    value = getattr(settings, "HAKUSAN_BLOCKLIST_MIN_CONFIDENCE", None)
    if value is None or value == "":
        return DEFAULT_MIN_CONFIDENCE
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= 100:
        raise ImproperlyConfigured(
            f"HAKUSAN_BLOCKLIST_MIN_CONFIDENCE={value!r}: expected an integer from 0 to 100"
        )
    return number


def feed_state() -> FeedState:
    state = FeedState.objects.filter(pk=1).first()
    if state is None:
        state, _created = FeedState.objects.get_or_create(pk=1)
    return state


def tag_filter(tag: str) -> dict[str, str]:
    """Sightings whose tags hold ``tag`` (case-insensitive, whole tag): the JSON text of the
    list contains ``"tag"`` with its quotes. Works on SQLite and PostgreSQL alike."""
    return {"tags__icontains": f'"{tag}"'}


def verified_sightings(partner: Partner, spec: FeedSpec, threshold: int) -> QuerySet[Sighting]:
    return eligible_sightings(partner.max_tlp).filter(
        confidence__gte=threshold, **tag_filter(spec.tag)
    )


def feed_observables(
    partner: Partner, spec: FeedSpec, threshold: int, now: datetime | None = None
) -> QuerySet[Observable]:
    verified = verified_sightings(partner, spec, threshold)
    return shareable_for(partner, types=list(spec.types), now=now).filter(
        Exists(verified.filter(observable=OuterRef("pk")))
    )


@dataclass(frozen=True)
class FeedVersion:
    etag: str
    last_modified: datetime


def feed_version(
    partner: Partner, spec: FeedSpec, fmt: str, threshold: int, now: datetime | None = None
) -> FeedVersion:
    """The ETag and Last-Modified of a feed without reading it: from the data generation
    (bumped on every ``indicators_changed``), the newest sighting id (a write that did not
    announce itself still changes the tag), and the expiries passed by now (time alone takes
    indicators out of a feed)."""
    now = now or timezone.now()
    state = feed_state()
    newest = Sighting.objects.aggregate(m=Max("id"))["m"] or 0
    expired = Observable.objects.filter(expires_at__lte=now).aggregate(
        n=Count("id"), last=Max("expires_at")
    )
    etag = compute_etag(
        spec.name,
        fmt,
        partner.max_tlp,
        threshold,
        state.generation,
        state.changed_at.isoformat(),
        newest,
        expired["n"],
    )
    changed = max(state.changed_at, expired["last"] or _EPOCH)
    return FeedVersion(etag, changed.replace(microsecond=0))


def feed_attribution(partner: Partner, spec: FeedSpec, threshold: int) -> tuple[str, ...]:
    """Credits of the indicator sources in the feed: the ``Attribution: …`` line of a source's
    description, for sources with at least one verified sighting (one indexed lookup each)."""
    verified = verified_sightings(partner, spec, threshold)
    credits: dict[str, None] = {}
    for source in IndicatorSource.objects.filter(description__icontains="attribution:").order_by(
        "name"
    ):
        match = _ATTRIBUTION.search(source.description)
        if match and verified.filter(source_kind="feed", source_id=source.pk).exists():
            credits[match.group(1).strip()] = None
    return tuple(credits)


def feed_items(
    partner: Partner,
    spec: FeedSpec,
    threshold: int,
    *,
    now: datetime | None = None,
    window: int = WINDOW,
) -> Iterator[FeedItem]:
    """The feed's items in observable id order, read one window of ``window`` ids at a time: each
    window is a short query (no server-side cursor held while the response is sent), and the
    id range keeps every query's cost proportional to its window — a LIMIT instead would make
    SQLite, which reads the type index, check and sort every row of the type on every page.
    ``first_seen``/``last_seen``/``confidence``/brands come from the verified sightings only."""
    now = now or timezone.now()
    observables = feed_observables(partner, spec, threshold, now=now)
    verified = verified_sightings(partner, spec, threshold)
    bounds = Observable.objects.filter(type__in=spec.types).aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return
    for start in range(bounds["low"] - 1, bounds["high"], window):
        # share_tlp_rank: annotated by the sharing policy (unknown to the type checker)
        page = (
            observables.filter(pk__gt=start, pk__lte=start + window)
            .order_by("pk")
            .values_list(
                "pk",
                "type",
                "value",
                "share_tlp_rank",  # type: ignore[misc]
            )
        )
        rows = list(page)
        if rows:
            # the verified sightings of the same id range (the unique index leads with it)
            window_sightings = verified.filter(
                observable_id__gt=start, observable_id__lte=start + window
            )
            yield from _items(rows, window_sightings)


def _items(
    rows: list[tuple[int, str, str, int]], verified: QuerySet[Sighting]
) -> Iterator[FeedItem]:
    wanted = {r[0] for r in rows}
    seen: dict[int, list] = {}
    for obs_id, first, latest, confidence, tags in verified.values_list(
        "observable_id", "seen_at", "last_seen", "confidence", "tags"
    ):
        if obs_id not in wanted:
            continue
        known = seen.get(obs_id)
        brands = brands_from_tags(tags or [])
        if known is None:
            seen[obs_id] = [first, latest, confidence, dict.fromkeys(brands)]
        else:
            known[0] = min(known[0], first)
            known[1] = max(known[1], latest)
            known[2] = max(known[2], confidence)
            known[3].update(dict.fromkeys(brands))
    for obs_id, type_, value, rank in rows:
        found = seen.get(obs_id)
        if found is None:  # changed between the two queries: left out of this response
            continue
        yield FeedItem(
            type=type_,
            value=value,
            brands=tuple(sorted(found[3])),
            first_seen=found[0],
            last_seen=found[1],
            tlp=tlp_rules.LEVELS[rank],
            confidence=found[2],
        )
