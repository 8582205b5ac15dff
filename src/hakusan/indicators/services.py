"""Writes of observables and sightings. Observables are stored once; sightings link them to
their sources. Every path (reports, cases, imports) goes through ``ingest.ingest``: set-based
upserts with warninglist flags, derived links and offline enrichment, so ingest stays linear.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hakusan.core import audit
from hakusan.core.choices import TLP
from hakusan.core.models import User
from hakusan.domain.indicators import IndicatorRow
from hakusan.domain.observables import Extracted
from hakusan.domain.sharing import tlp as tlp_rules

from . import ingest as store
from .choices import SourceKind
from .ingest import IngestStats, SightingInput
from .models import (
    DEFAULT_CONFIDENCE,
    MAX_VALUE_LENGTH,
    IndicatorSource,
    Observable,
    Sighting,
)
from .signals import announce

__all__ = [
    "IngestStats",
    "SightingInput",
    "copy_sightings",
    "create_source",
    "enrich_pending",
    "import_indicators",
    "mark_false_positive",
    "protect_personal_data",
    "record_sightings",
    "reflag_stale",
    "reflag_warninglists",
    "set_do_not_share",
    "set_expiry",
    "sightings_from_extracted",
]


def sightings_from_extracted(
    source_kind: str, source_id: int, found: Iterable[Extracted], *, seen_at: datetime, tlp: str
) -> list[SightingInput]:
    return [
        SightingInput(source_kind, source_id, str(e.type), e.value, e.original, seen_at, tlp)
        for e in found
        if len(e.value) <= MAX_VALUE_LENGTH
    ]


def record_sightings(items: Sequence[SightingInput], *, user: User | None = None) -> int:
    """Store the observables (once each, flagged, linked, enriched) and one sighting per
    (observable, source); a value seen again in a source adds to that sighting's count.
    Returns the number of sighting rows offered (duplicates per source are folded)."""
    if not items:
        return 0
    stats = store.ingest(items, user_id=user.pk if user is not None else None)
    announce("sightings")
    return stats.sightings


def copy_sightings(
    from_kind: str,
    from_ids: Iterable[int],
    to_kind: str,
    to_id: int,
    *,
    tlp: str,
    user: User | None = None,
) -> int:
    """Link every observable of some sources to another (e.g. reports → the case opened)."""
    now = timezone.now()
    existing = Sighting.objects.filter(source_kind=from_kind, source_id__in=list(from_ids))
    rows = {
        s.observable_id: Sighting(
            observable_id=s.observable_id,
            source_kind=to_kind,
            source_id=to_id,
            original=s.original,
            seen_at=now,
            last_seen=now,
            tlp=tlp,
            created_by=user,
        )
        for s in existing.only("observable_id", "original")
    }
    Sighting.objects.bulk_create(list(rows.values()), ignore_conflicts=True, batch_size=500)
    if rows:
        Observable.objects.filter(pk__in=list(rows), last_seen__lt=now).update(last_seen=now)
        announce("sightings")
    return len(rows)


# --- imports ------------------------------------------------------------------------------


def create_source(
    user: User | None, name: str, *, description: str = "", default_tlp: str = TLP.AMBER
) -> IndicatorSource:
    """A named source for imports (audited). Names are unique."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("a source needs a name")})
    if default_tlp not in TLP.values:
        raise ValidationError({"default_tlp": _("unknown TLP %(tlp)s") % {"tlp": default_tlp}})
    with transaction.atomic():
        if IndicatorSource.objects.filter(name=name).exists():
            raise ValidationError({"name": _("a source named %(name)s exists") % {"name": name}})
        source = IndicatorSource.objects.create(
            name=name[:100], description=description, default_tlp=default_tlp, created_by=user
        )
        audit.record(user, "create", source, detail={"name": source.name, "tlp": default_tlp})
    return source


def row_tlp(row_level: str | None, floor: str | None, default: str) -> str:
    """A row's TLP: the most restrictive of what the file says (``row_level``) and the
    operator's ``floor``; ``default`` only when neither says anything."""
    given = [level for level in (row_level, floor) if level]
    return tlp_rules.most_restrictive(given) or default


def _split_tlp_tags(tags: Sequence[str]) -> tuple[tuple[str, ...], str | None]:
    """``--tag tlp:amber`` is a TLP, not a tag: (other tags, most restrictive level)."""
    levels, rest = [], []
    for tag in tags:
        if not tag.strip().lower().startswith("tlp:"):
            rest.append(tag)
            continue
        try:
            levels.append(tlp_rules.normalise(tag))
        except tlp_rules.UnknownTLP:
            raise ValidationError(
                {"tags": _("unknown TLP tag %(tag)s") % {"tag": tag.strip()[:40]}}
            ) from None
    return tuple(rest), tlp_rules.most_restrictive(levels)


def import_inputs(
    source: IndicatorSource,
    rows: Iterable[IndicatorRow],
    *,
    tlp: str | None,
    tags: Sequence[str] = (),
    now: datetime | None = None,
    default_tlp: str | None = None,
) -> Iterator[SightingInput]:
    """Sightings of ``source`` (kind ``feed``) for parsed rows; undated rows are seen now.
    TLP per row: the most restrictive of the row's own (``IndicatorRow.tlp``) and ``tlp``;
    rows with neither take ``default_tlp`` (the source's)."""
    now = now or timezone.now()
    extra = tuple(tags)
    default = default_tlp or source.default_tlp
    for row in rows:
        first = row.first_seen or now
        yield SightingInput(
            SourceKind.FEED,
            source.pk,
            row.type,
            row.value,
            row.original,
            first,
            row_tlp(row.tlp, tlp, default),
            last_seen=row.last_seen or first,
            confidence=DEFAULT_CONFIDENCE if row.confidence is None else row.confidence,
            tags=tuple(dict.fromkeys((*row.tags, *extra))) if extra else row.tags,
            comment=row.comment,
        )


def import_indicators(
    user: User | None,
    source: IndicatorSource,
    rows: Iterable[IndicatorRow],
    *,
    tlp: str | None = None,
    tags: Sequence[str] = (),
    file_name: str = "",
    batch_size: int = store.BATCH,
    progress: Callable[[IngestStats], None] | None = None,
) -> IngestStats:
    """Import parsed indicator rows as sightings of ``source``: streamed in batches (each
    its own transaction, so a long import does not hold one), re-imported values update
    their sighting (count, last seen). One audit entry for the import.

    TLP: ``tlp`` (and any ``tlp:`` among ``tags``) is a floor; a row marked more restrictive
    by its file keeps its level; rows marked by neither take the source's default TLP."""
    if tlp is not None and tlp not in TLP.values:
        raise ValidationError({"tlp": _("unknown TLP %(tlp)s") % {"tlp": tlp}})
    tags, tagged = _split_tlp_tags(tags)
    tlp = tlp_rules.most_restrictive([level for level in (tlp, tagged) if level])
    stats = store.ingest(
        import_inputs(source, rows, tlp=tlp, tags=tags),
        user_id=user.pk if user is not None else None,
        batch_size=batch_size,
        progress=progress,
        pipeline=True,
    )
    audit.record(
        user,
        "import",
        source,
        detail={
            "file": file_name,
            "tlp": tlp,
            "default_tlp": source.default_tlp,
            "tags": list(tags),
            **stats.as_dict(),
        },
    )
    announce("import")
    return stats


# --- lifecycle ----------------------------------------------------------------------------


def mark_false_positive(
    sighting: Sighting, user: User | None, *, false_positive: bool = True, reason: str = ""
) -> Sighting:
    """Mark (or unmark) a sighting as a false positive: it stays, and lowers the indicator's
    decay score."""
    with transaction.atomic():
        sighting.false_positive = false_positive
        sighting.save(update_fields=["false_positive"])
        audit.record(
            user,
            "false_positive" if false_positive else "not_false_positive",
            sighting.observable,
            detail={
                "sighting": sighting.pk,
                "source": f"{sighting.source_kind}:{sighting.source_id}",
                "reason": reason.strip()[:500],
            },
        )
        announce("false_positive")
    return sighting


def set_expiry(
    observable: Observable, user: User | None, expires_at: datetime | None, *, reason: str = ""
) -> Observable:
    """Set (or clear, with None) when the indicator leaves exports; analysis still sees it."""
    if expires_at is not None and timezone.is_naive(expires_at):
        raise ValidationError({"expires_at": _("give the time with its time zone")})
    with transaction.atomic():
        before = observable.expires_at
        observable.expires_at = expires_at
        observable.save(update_fields=["expires_at"])
        audit.record(
            user,
            "expiry",
            observable,
            detail={"from": before, "to": expires_at, "reason": reason.strip()[:500]},
        )
        announce("expiry")
    return observable


# Observable types that identify a person when they are a reporter's or victim's contact.
PERSONAL_CONTACT_TYPES = frozenset({"email", "phone"})


def protect_personal_data(
    keys: Iterable[tuple[str, str]], *, user: User | None, reason: str
) -> int:
    """Flag do-not-share the observables that are a reporter's or victim's own contact (e-mail,
    phone), creating them if they are not stored yet so that a later sighting (a case the report
    is linked to, a feed) cannot make them shareable. Personal data never leaves in machine-
    readable sharing; an analyst may lift the flag (audited). Returns how many were flagged."""
    wanted: dict[str, set[str]] = {}
    for kind, value in keys:
        if kind in PERSONAL_CONTACT_TYPES and value and len(value) <= MAX_VALUE_LENGTH:
            wanted.setdefault(kind, set()).add(value)
    if not wanted:
        return 0
    now = timezone.now()
    flagged = 0
    with transaction.atomic():
        for kind, values in wanted.items():
            Observable.objects.bulk_create(
                [
                    Observable(type=kind, value=v, first_seen=now, last_seen=now, do_not_share=True)
                    for v in sorted(values)
                ],
                ignore_conflicts=True,
            )
            flagged += Observable.objects.filter(
                type=kind, value__in=values, do_not_share=False
            ).update(do_not_share=True)
        audit.record(
            user,
            "do_not_share",
            object_type="indicators.observable",
            detail={
                "reason": reason[:500],
                "values": sum(len(v) for v in wanted.values()),
                "newly_flagged": flagged,
            },
        )
        announce("do_not_share")
    return flagged


def set_do_not_share(
    observable: Observable, user: User | None, do_not_share: bool, *, reason: str = ""
) -> Observable:
    """Veto (or allow again) sharing of an observable with any partner, in any format."""
    with transaction.atomic():
        observable.do_not_share = do_not_share
        observable.save(update_fields=["do_not_share"])
        audit.record(
            user,
            "do_not_share" if do_not_share else "may_share",
            observable,
            detail={"reason": reason.strip()[:500]},
        )
        announce("do_not_share")
    return observable


# --- maintenance jobs -----------------------------------------------------------------------


def _batches_after(queryset: Any, size: int) -> Iterator[list[tuple[int, str, str]]]:
    last = 0
    while True:
        rows = list(
            queryset.filter(pk__gt=last).order_by("pk").values_list("pk", "type", "value")[:size]
        )
        if not rows:
            return
        last = rows[-1][0]
        yield rows


def reflag_warninglists(
    *, batch_size: int = 10_000, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Recompute the warninglist flags of observables flagged with another version of the
    lists than the current one (all of them after a list update), in batches."""
    result = reflag_stale(Observable.objects.all(), batch_size=batch_size, progress=progress)
    if result["checked"]:
        audit.record(
            None,
            "reflag",
            object_type="indicators.observable",
            detail=result,
        )
        announce("warninglists")
    return result


def reflag_stale(
    observables: Any,
    *,
    batch_size: int = 10_000,
    progress: Callable[[int], None] | None = None,
    lazy: bool = False,
) -> dict[str, Any]:
    """The re-flagging itself, on a queryset of observables (a migration passes its
    historical model's): no audit entry, no signal. ``lazy``: with no observables at all (a
    new database), return at once rather than build the lists' index (seconds)."""
    checked = flagged = 0
    if lazy and not observables.exists():
        return {"version": "", "checked": 0, "flagged": 0}
    notes = store.annotator()
    version = notes.version
    stale = observables.exclude(warninglist_version=version)
    for rows in _batches_after(stale, batch_size):
        keys = [(t, v) for _pk, t, v in rows]
        matched = notes.index.match_many(keys, specific_urls=True)
        values = []
        for (pk, _t, _v), found in zip(rows, matched, strict=True):
            hits = [
                {"slug": h.slug, "name": h.name, "category": h.category, "matched": h.matched}
                for h in found
            ]
            flagged += bool(hits)
            values.append((pk, hits))
        _store_flags(values, version)
        checked += len(rows)
        if progress is not None:
            progress(checked)
    return {"version": version, "checked": checked, "flagged": flagged}


def _store_flags(values: list[tuple[int, list[dict[str, str]]]], version: str) -> None:
    import json

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE indicators_observable o SET warninglist_hits = v.hits::jsonb,"
                " warninglist_version = %s FROM (SELECT unnest(%s::bigint[]) AS id,"
                " unnest(%s::text[]) AS hits) v WHERE o.id = v.id",
                [version, [pk for pk, _ in values], [json.dumps(h) for _, h in values]],
            )
        else:
            cursor.executemany(
                "UPDATE indicators_observable SET warninglist_hits = %s,"
                " warninglist_version = %s WHERE id = %s",
                [(json.dumps(h), version, pk) for pk, h in values],
            )


def enrich_pending(
    *,
    batch_size: int = 10_000,
    allow_online: Iterable[str] = (),
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Enrich the IP addresses that have no facts yet from each enabled enricher (offline
    ones always; online ones only when named in ``allow_online``)."""
    from hakusan.domain.enrichment import enabled_enrichers

    enrichers: list[Any] = []
    for cls in enabled_enrichers(allow_online=allow_online):
        try:
            enrichers.append(cls())
        except Exception as exc:  # missing data: skipped with a warning, not a failure
            store.log.warning("enricher %s is unavailable, skipped: %s", cls.NAME, exc)
    checked = facts = 0
    for enricher in enrichers:
        pending = Observable.objects.filter(type__in=sorted(enricher.TYPES)).exclude(
            enrichments__enricher=enricher.NAME
        )
        for rows in _batches_after(pending, batch_size):
            keys = [(t, v) for _pk, t, v in rows]
            active = [enricher]
            found = store.enrich_with(active, keys)  # drops the enricher if it fails
            batch = store.Batch()
            spans = dict(
                Observable.objects.filter(pk__in=[pk for pk, _t, _v in rows]).values_list(
                    "pk", "first_seen"
                )
            )
            for pk, t, v in rows:
                batch.observables[(t, v)] = [spans[pk], spans[pk]]
            store.attach_facts(batch, found)
            batch.hits = store.annotator().hits(list(batch.observables))
            with transaction.atomic():
                store.write(batch, store.annotator().version)
            checked += len(rows)
            facts += len(found)
            if progress is not None:
                progress(checked)
            if not active:
                break
    return {"checked": checked, "facts": facts, "enrichers": [e.NAME for e in enrichers]}
