"""The set-based write path of the observable store: observables, sightings, derived links and
enrichment facts of one batch in a handful of statements, whatever the batch size.

Used by ``services`` (reports, cases, imports all come through here) and the jobs; nothing
else calls it. A batch is prepared in Python (fold duplicates, warninglist flags with
``match_many``, derived links, offline enrichment of IP addresses), then written:

- PostgreSQL: the batch's values are looked up once through the unique (type, value) index
  (nested loop: a batch costs the same at 10 M rows as at 10 k); the new ones get ids
  reserved from the sequence and are ``COPY``-ed straight into the tables with their
  sightings, links and facts (rows that cannot exist yet); only the rows of values already
  stored go through ``INSERT … SELECT … ON CONFLICT``. A value stored concurrently by
  another writer sends the batch to the staged path (``COPY`` into temporary tables, then
  upserts of everything), which handles any overlap.
- SQLite: ``executemany`` into temporary staging tables and the same upserts, in one
  transaction per batch.

Re-sighting a value in the same source updates that sighting (count, first/last seen,
confidence, TLP, tags merged) instead of adding a row: a later import's TLP replaces the
stored one, and within one ``ingest`` call (one import) the most restrictive TLP given for the
value stays, whichever batches its rows fall in (see ``_TLP_KEEP``). A value already stored keeps its
warninglist flags (the ``indicators.reflag_warninglists`` job refreshes them when the lists
change); a new one is flagged as it is inserted.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from hakusan.domain.sharing.tlp import LEVELS

from .models import MAX_VALUE_LENGTH, Attribution

log = logging.getLogger(__name__)

BATCH = 50_000
_CACHE_LIMIT = 200_000  # per cache; a full cache is dropped, so memory stays bounded

Key = tuple[str, str]  # (type, canonical value)
# A fact to store: (observable key, enricher, fact key, value, attribution text).
Fact = tuple[Key, str, str, str, str]
# An enricher's result for a key: a Fact's fields and what it is about ("" or "asn").
FoundFact = tuple[Key, str, str, str, str, str]
IP_TYPES = frozenset({"ipv4", "ipv6"})
# The types ``derive`` links from (url → host, registrable; domain → registrable; email →
# domain; a /32 or /128 cidr → its address); other types are not asked.
DERIVING_TYPES = frozenset({"url", "domain", "email", "cidr"})


@dataclass(slots=True)
class SightingInput:
    """One observable seen in one source. ``value`` is canonical (``canonicalize``'s output:
    the parsers and ``detect`` return it so). ``last_seen`` None means ``seen_at``; ``original``
    as written (the canonical value itself, or blank, when written canonically).

    Not frozen, only because a frozen dataclass costs five times as much to create (a bulk
    import makes one per row); treat it as a value."""

    source_kind: str
    source_id: int
    type: str
    value: str
    original: str
    seen_at: datetime
    tlp: str
    last_seen: datetime | None = None
    count: int = 1
    confidence: int = 50
    tags: tuple[str, ...] = ()
    provenance: str = ""
    comment: str = ""


@dataclass
class IngestStats:
    offered: int = 0  # inputs read
    sightings: int = 0  # distinct (observable, source) rows written, new or updated
    new_sightings: int = 0
    observables: int = 0  # distinct observables written, derived ones included
    new_observables: int = 0
    warninglisted: int = 0  # of the distinct observables in the input, flagged
    links: int = 0  # derived links offered (existing ones are kept)
    facts: int = 0  # enrichment facts offered
    batches: int = 0

    def add(self, other: IngestStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


# -- annotation: warninglists, derived links, enrichment ---------------------------------------


class Annotator:
    """Warninglist flags, derived links and offline enrichment for keys, with bounded caches
    (hot values recur in every batch; most values are seen once)."""

    def __init__(self) -> None:
        self._hits: dict[Key, str | None] = {}
        self._derived: dict[Key, tuple[tuple[str, Key], ...]] = {}
        self._index: Any = None
        self._enrichers: list[Any] | None = None

    @property
    def index(self) -> Any:
        if self._index is None:
            from django.conf import settings

            from hakusan.domain.warninglists import WarninglistIndex

            self._index = WarninglistIndex.packaged(cache_dir=Path(settings.DATA_DIR) / "cache")
        return self._index

    @property
    def version(self) -> str:
        return str(self.index.version)

    def hits(self, keys: Sequence[Key]) -> dict[Key, str]:
        """JSON of the hits of each key that is on a list (keys not on any are left out)."""
        cache = self._hits
        todo = [k for k in keys if k not in cache]
        if todo:
            if len(cache) + len(todo) > _CACHE_LIMIT:
                cache.clear()
                todo = list(dict.fromkeys(keys))
            for key, found in zip(
                todo, self.index.match_many(todo, specific_urls=True), strict=True
            ):
                cache[key] = (
                    json.dumps(
                        [
                            {
                                "slug": h.slug,
                                "name": h.name,
                                "category": h.category,
                                "matched": h.matched,
                            }
                            for h in found
                        ],
                        ensure_ascii=False,
                    )
                    if found
                    else None
                )
        out: dict[Key, str] = {}
        for key in keys:
            value = cache[key]
            if value is not None:
                out[key] = value
        return out

    def derived(self, key: Key) -> tuple[tuple[str, Key], ...]:
        """(kind, target) links derived from the value's structure (url → host, …)."""
        if key[0] not in DERIVING_TYPES:
            return ()
        found = self._derived.get(key)
        if found is None:
            found = _derive(key)
            if len(self._derived) >= _CACHE_LIMIT:
                self._derived.clear()
            self._derived[key] = found
            self._learn_from(found)
        return found

    def _learn_from(self, found: tuple[tuple[str, Key], ...]) -> None:
        """A URL's (e-mail's) derivation names its host's (domain's) registrable domain too:
        ``derive`` of the host gives exactly that link (the same ``registrable_domain``), so
        the host need not be derived again. Hosts are mostly new, so this halves the calls."""
        middle = next((t for kind, t in found if kind in ("host", "domain")), None)
        if middle is None or middle[0] != "domain" or middle in self._derived:
            return
        top = next((t for kind, t in found if kind == "registrable"), None)
        self._derived[middle] = (("registrable", top),) if top is not None else ()

    def enrichers(self) -> list[Any]:
        """The offline enrichers that can run (their data present); online ones run only in
        the ``indicators.enrich`` job, never inline."""
        if self._enrichers is None:
            self._enrichers = []
            from hakusan.domain.enrichment import ENRICHERS

            for _name, cls in ENRICHERS.items():
                if getattr(cls, "ONLINE", True):
                    continue
                try:
                    self._enrichers.append(cls())
                except Exception as exc:  # missing data: enrichment is skipped, never fatal
                    log.warning("enricher %s is unavailable, skipped: %s", cls.NAME, exc)
        return self._enrichers

    def enrich(self, keys: Iterable[Key]) -> list[FoundFact]:
        """Facts (key, enricher, fact key, value, attribution, about) for the IP keys. Not cached:
        the store keeps one fact per (observable, enricher, key) and a rolled-back batch must
        not leave a value marked as enriched. An enricher that fails is disabled for the
        process with a warning."""
        todo = [k for k in keys if k[0] in IP_TYPES]
        if not todo:
            return []
        return enrich_with(self.enrichers(), todo)


def enrich_with(enrichers: list[Any], keys: Sequence[Key]) -> list[FoundFact]:
    facts: list[FoundFact] = []
    for enricher in list(enrichers):
        wanted = [k for k in keys if k[0] in enricher.TYPES]
        if not wanted:
            continue
        try:
            results = enricher.enrich_many(wanted)
        except Exception as exc:  # missing or broken data: skip, never fail the ingest
            log.warning("enricher %s failed, skipped for this process: %s", enricher.NAME, exc)
            enrichers.remove(enricher)
            continue
        for key, found in zip(wanted, results, strict=True):
            for fact in found:
                facts.append(
                    (
                        key,
                        fact.enricher,
                        fact.key,
                        str(fact.value)[:500],
                        fact.attribution[:500],
                        fact.about,
                    )
                )
    return facts


def attach_facts(batch: Batch, found: list[FoundFact]) -> None:
    """Add enrichment results to ``batch``: an ``asn`` fact also links the address to its AS
    observable (added to the batch, seen when the address was); a fact about the AS
    (``about="asn"``, its organisation) is kept once on the AS, not on each of its addresses.
    One fact per (observable, enricher, key), the last one found."""
    observables = batch.observables
    asn_of: dict[Key, Key] = {}
    for key, _enricher, name, value, _credit, _about in found:
        if name != "asn" or (asn := asn_key(value)) is None:
            continue
        asn_of[key] = asn
        batch.links.add((key, "asn", asn))
        span = observables[key]
        known = observables.get(asn)
        if known is None:
            observables[asn] = [span[0], span[1]]
        else:
            known[0] = min(known[0], span[0])
            known[1] = max(known[1], span[1])
    kept: dict[tuple[Key, str, str], Fact] = {}
    for key, enricher, name, value, credit, about in found:
        subject = asn_of.get(key) if about == "asn" else key
        if subject is not None:  # an AS fact with no AS named: nowhere to keep it
            kept[(subject, enricher, name)] = (subject, enricher, name, value, credit)
    batch.facts.extend(kept.values())


def _derive(key: Key) -> tuple[tuple[str, Key], ...]:
    """Links of a stored key: its value is canonical (``SightingInput.value`` is), so
    ``derive_canonical`` skips canonicalising it again (the same links as ``derive``)."""
    from hakusan.domain.observables.derive import derive_canonical

    return tuple(
        (kind, (target_type, target))
        for kind, target_type, target in derive_canonical(key[0], key[1])
        if len(target) <= MAX_VALUE_LENGTH and (target_type, target) != key
    )


def asn_key(value: str) -> Key | None:
    from hakusan.domain.observables import InvalidObservable, canonicalize

    try:
        return ("asn", canonicalize("asn", value))
    except (InvalidObservable, ValueError):
        return None


_ANNOTATOR: Annotator | None = None


def annotator() -> Annotator:
    global _ANNOTATOR
    if _ANNOTATOR is None:
        _ANNOTATOR = Annotator()
    return _ANNOTATOR


# -- one batch ---------------------------------------------------------------------------------


@dataclass
class Batch:
    """A batch folded and annotated, ready to write."""

    observables: dict[Key, list[datetime]] = field(default_factory=dict)  # key: [first, last]
    sightings: dict[tuple[str, str, str, int], list[Any]] = field(default_factory=dict)
    hits: dict[Key, str] = field(default_factory=dict)
    links: set[tuple[Key, str, Key]] = field(default_factory=set)
    facts: list[Fact] = field(default_factory=list)
    offered: int = 0
    input_keys: int = 0


# Positions in a folded sighting row.
_ORIG, _FIRST, _LAST, _COUNT, _CONF, _TLP, _TAGS, _PROV, _COMMENT = range(9)


def _stricter(a: str, b: str) -> str:
    from hakusan.domain.sharing import tlp as tlp_rules

    try:
        return tlp_rules.most_restrictive([a, b]) or b
    except tlp_rules.UnknownTLP:  # not a level (bad data): the policy never shares it
        return a if a not in tlp_rules.LEVELS else b


def prepare(items: Iterable[SightingInput], notes: Annotator, *, enrich: bool = True) -> Batch:
    batch = Batch()
    observables = batch.observables
    sightings = batch.sightings
    for it in items:
        batch.offered += 1
        first = it.seen_at
        last = it.last_seen or first
        if last < first:
            first, last = last, first
        key = (it.type, it.value)
        span = observables.get(key)
        if span is None:
            observables[key] = [first, last]
        else:
            if first < span[0]:
                span[0] = first
            if last > span[1]:
                span[1] = last
        skey = (it.type, it.value, it.source_kind, it.source_id)
        row = sightings.get(skey)
        original = it.original[:MAX_VALUE_LENGTH] if it.original != it.value else ""
        if row is None:
            sightings[skey] = [
                original,
                first,
                last,
                it.count,
                it.confidence,
                it.tlp,
                list(it.tags),
                it.provenance[:200],
                it.comment[:1000],
            ]
        else:
            row[_FIRST] = min(row[_FIRST], first)
            row[_LAST] = max(row[_LAST], last)
            row[_COUNT] += it.count
            row[_CONF] = max(row[_CONF], it.confidence)
            if it.tlp != row[_TLP]:  # one value twice in one batch: the stricter level stays
                row[_TLP] = _stricter(row[_TLP], it.tlp)
            row[_ORIG] = row[_ORIG] or original
            for tag in it.tags:
                if tag not in row[_TAGS]:
                    row[_TAGS].append(tag)
            row[_PROV] = it.provenance[:200] or row[_PROV]
            row[_COMMENT] = it.comment[:1000] or row[_COMMENT]
    batch.input_keys = len(observables)
    # Derived links: their targets are observables too (never sighted themselves), and are
    # derived in turn (a URL's host links to its registrable domain as the URL does).
    todo = list(observables.items())
    while todo:
        targets: list[tuple[Key, list[datetime]]] = []
        for key, span in todo:
            for kind, target in notes.derived(key):
                batch.links.add((key, kind, target))
                known = observables.get(target)
                if known is None:
                    observables[target] = known = [span[0], span[1]]
                    targets.append((target, known))
                else:
                    known[0] = min(known[0], span[0])
                    known[1] = max(known[1], span[1])
        todo = targets
    if enrich:
        attach_facts(batch, notes.enrich(observables))
    batch.hits = notes.hits(list(observables))
    return batch


def chunks(items: Iterable[SightingInput], size: int) -> Iterator[list[SightingInput]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def new_run() -> int:
    """An id for one ``ingest`` call, stored on the sightings it writes (``_TLP_KEEP``)."""
    return secrets.randbits(62) + 1


def ingest(
    items: Iterable[SightingInput],
    *,
    user_id: int | None = None,
    batch_size: int = BATCH,
    enrich: bool = True,
    progress: Callable[[IngestStats], None] | None = None,
    pipeline: bool = False,
) -> IngestStats:
    """Write ``items`` in batches of ``batch_size``, one transaction each (or savepoints of
    the caller's transaction); the iterable is consumed lazily, so memory is bounded by the
    batch size whatever the input length.

    ``pipeline``: write each batch on a second thread (its own connection and transaction)
    while the next one is prepared, so Python and the database work at the same time; at
    most two batches wait. Only outside a transaction (bulk imports, jobs): the caller's
    transaction cannot span threads, so inside one this is ignored."""
    notes = annotator()
    run = new_run()
    if pipeline and not connection.in_atomic_block:
        return _ingest_pipelined(items, notes, user_id, batch_size, enrich, progress, run)
    total = IngestStats()
    for chunk in chunks(items, batch_size):
        batch = prepare(chunk, notes, enrich=enrich)
        with transaction.atomic():
            stats = write(batch, notes.version, user_id=user_id, run=run)
        total.add(stats)
        if progress is not None:
            progress(total)
    return total


def _ingest_pipelined(
    items: Iterable[SightingInput],
    notes: Annotator,
    user_id: int | None,
    batch_size: int,
    enrich: bool,
    progress: Callable[[IngestStats], None] | None,
    run: int,
) -> IngestStats:
    import queue
    import threading

    from django.db import connections

    version = notes.version
    total = IngestStats()
    pending: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
    failed: list[BaseException] = []

    def writer() -> None:
        try:
            postgresql = connection.vendor == "postgresql"
            with connection.cursor() as cursor:  # this thread's own connection: a bulk one
                if postgresql:  # staging tables in memory (before any temp table is used)
                    cursor.execute(f"SET temp_buffers = '{_PG_BULK_TEMP_BUFFERS}'")
                else:  # staging in memory, a larger page cache
                    cursor.execute("PRAGMA temp_store = MEMORY")
                    cursor.execute(f"PRAGMA cache_size = -{_SQLITE_BULK_CACHE_KIB}")
            while (batch := pending.get()) is not None:
                if failed:
                    continue  # drain: the producer stops at its next batch
                with transaction.atomic():
                    if postgresql:
                        # The batch's commit does not wait for its WAL flush (overlapping
                        # the next batch); the barrier below makes every batch durable
                        # before ingest() returns.
                        with connection.cursor() as cursor:
                            cursor.execute("SET LOCAL synchronous_commit = off")
                    stats = write(batch, version, user_id=user_id, run=run)
                total.add(stats)
                if progress is not None:
                    progress(total)
            if postgresql and not failed:
                _pg_durability_barrier()
        except BaseException as exc:  # handed to the producer, raised there
            failed.append(exc)
            while pending.get() is not None:
                pass
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer, name="hakusan-ingest-writer", daemon=True)
    thread.start()
    try:
        for chunk in chunks(items, batch_size):
            if failed:
                break
            pending.put(prepare(chunk, notes, enrich=enrich))
    finally:
        pending.put(None)
        thread.join()
    if failed:
        raise failed[0]
    return total


def _pg_durability_barrier() -> None:
    """Commit a transaction that has an id, synchronously: its commit waits for the WAL to
    be flushed up to its commit record, so every earlier (asynchronous) commit of the ingest
    is durable when this returns."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = on")
        cursor.execute("SELECT pg_current_xact_id()")


def _attribution_ids(cursor: Any, texts: set[str]) -> dict[str, int]:
    """The ids of the attributions the batch's facts credit (one or two texts), stored when
    new. Within the writer's transaction, so a rolled-back batch leaves none behind."""
    table = Attribution._meta.db_table
    found: dict[str, int] = {}
    for text in sorted(texts):
        cursor.execute(
            f"INSERT INTO {table} (text) VALUES (%s) ON CONFLICT (text) DO NOTHING", [text]
        )
        cursor.execute(f"SELECT id FROM {table} WHERE text = %s", [text])
        found[text] = cursor.fetchone()[0]
    return found


def write(
    batch: Batch, version: str, *, user_id: int | None = None, run: int | None = None
) -> IngestStats:
    """Write one prepared batch. ``run``: the ``ingest`` call it belongs to (``_TLP_KEEP``);
    None for a batch on its own."""
    stats = IngestStats(
        offered=batch.offered,
        batches=1,
        observables=len(batch.observables),
        warninglisted=sum(1 for k in batch.hits if k in batch.observables),
        links=len(batch.links),
        facts=len(batch.facts),
    )
    if not batch.observables:
        return stats
    writer = _write_postgresql if connection.vendor == "postgresql" else _write_sqlite
    new_obs, rows, new_rows = writer(batch, version, user_id, run)
    stats.new_observables, stats.sightings, stats.new_sightings = new_obs, rows, new_rows
    return stats


# -- PostgreSQL ------------------------------------------------------------------------------

# Staging: session temporary tables, emptied per batch, filled with binary COPY. hk_ids maps
# the batch's (type, value) to observable ids, from the upsert's RETURNING: the later inserts
# join temporary tables only (in memory: work_mem, and temp_buffers on the bulk writer) and
# touch the store's indexes once per row, for the conflict check. Their text keys are
# COLLATE "C": byte comparisons (sorts with abbreviated keys, several times faster than a
# libc locale's) in the same order as the store's UTF-8 code point order (C.UTF-8), so rows
# still reach its indexes in index order.
_PG_BULK_TEMP_BUFFERS = "128MB"  # the pipelined writer's staging (50,000 rows: ~40 MB)
_PG_STAGING = """
SET LOCAL work_mem = '64MB';
SET LOCAL enable_mergejoin = off;
CREATE TEMP TABLE IF NOT EXISTS hk_stage_obs_v3 (
    type text COLLATE "C", value text COLLATE "C", first_seen timestamptz,
    last_seen timestamptz, hits text);
CREATE TEMP TABLE IF NOT EXISTS hk_stage_sight_v3 (
    type text COLLATE "C", value text COLLATE "C", source_kind text COLLATE "C",
    source_id bigint, original text, seen_at timestamptz, last_seen timestamptz,
    count integer, confidence smallint, tlp text, tags text, provenance text, comment text);
CREATE TEMP TABLE IF NOT EXISTS hk_stage_link_v3 (
    from_type text COLLATE "C", from_value text COLLATE "C", kind text,
    to_type text COLLATE "C", to_value text COLLATE "C");
CREATE TEMP TABLE IF NOT EXISTS hk_stage_fact_v4 (
    type text COLLATE "C", value text COLLATE "C", enricher text, key text, fact text,
    attribution bigint);
CREATE TEMP TABLE IF NOT EXISTS hk_ids_v3 (
    type text COLLATE "C", value text COLLATE "C", id bigint, new boolean);
TRUNCATE hk_stage_obs_v3, hk_stage_sight_v3, hk_stage_link_v3, hk_stage_fact_v4, hk_ids_v3;
"""
_PG_COPY = {
    "hk_stage_obs_v3": ["text", "text", "timestamptz", "timestamptz", "text"],
    "hk_stage_sight_v3": [
        *("text", "text", "text", "int8", "text", "timestamptz", "timestamptz", "int4", "int2"),
        *("text", "text", "text", "text"),
    ],
    "hk_stage_link_v3": ["text", "text", "text", "text", "text"],
    "hk_stage_fact_v4": ["text", "text", "text", "text", "text", "int8"],
}

# The TLP a stored sighting keeps when it is written again. A row written earlier by the SAME
# ingest call (an earlier batch of one import: ``ingest_run`` is that call's id) keeps the
# stricter level, as a repeat within one batch does in ``prepare`` -- else a value marked
# red on row 10 and clear on row 60,010 of one file would end up clear. A row of another
# call (a later import, a report) takes the new level. The id on the row costs nothing to
# look up (it is in the conflicting row) and no memory however long the import; unknown
# levels (bad data) rank strictest, as in ``_stricter``.
_TLP_RANK = "CASE {} " + " ".join(f"WHEN '{lv}' THEN {i}" for i, lv in enumerate(LEVELS))
_TLP_RANK += " ELSE 99 END"
_TLP_KEEP = (
    "CASE WHEN s.ingest_run = excluded.ingest_run AND "
    + _TLP_RANK.format("s.tlp")
    + " > "
    + _TLP_RANK.format("excluded.tlp")
    + " THEN s.tlp ELSE excluded.tlp END"
)

# What a sighting row that is already stored becomes (both PostgreSQL write paths): counts
# add up, the span widens, the newest TLP (see ``_TLP_KEEP``) and confidence win, tags merge.
_PG_SIGHTING_CONFLICT = (
    """
    ON CONFLICT (observable_id, source_kind, source_id) DO UPDATE SET
        count = s.count + excluded.count,
        seen_at = least(s.seen_at, excluded.seen_at),
        last_seen = greatest(s.last_seen, excluded.last_seen),
        confidence = excluded.confidence,
        tlp = """
    + _TLP_KEEP
    + """,
        ingest_run = excluded.ingest_run,
        original = CASE WHEN s.original = '' THEN excluded.original ELSE s.original END,
        tags = CASE WHEN excluded.tags = '[]'::jsonb THEN s.tags ELSE (
            SELECT coalesce(jsonb_agg(DISTINCT e), '[]'::jsonb)
            FROM jsonb_array_elements(s.tags || excluded.tags) e) END,
        provenance = CASE WHEN excluded.provenance = '' THEN s.provenance
                          ELSE excluded.provenance END,
        comment = CASE WHEN excluded.comment = '' THEN s.comment ELSE excluded.comment END
    RETURNING (xmax = 0) AS new
"""
)
# A fact already stored takes the new value and credit, and is rewritten only if they differ.
_PG_FACT_CONFLICT = """
ON CONFLICT (observable_id, enricher, key) DO UPDATE SET
    value = excluded.value, attribution_id = excluded.attribution_id, at = excluded.at
WHERE (e.value, e.attribution_id) IS DISTINCT FROM (excluded.value, excluded.attribution_id)"""

_PG_MERGE = (
    """
WITH ins AS (
    INSERT INTO indicators_observable AS o
        (type, value, first_seen, last_seen, warninglist_hits, warninglist_version)
    SELECT type, value, first_seen, last_seen, coalesce(hits, '[]')::jsonb, %(version)s
    FROM hk_stage_obs_v3 ORDER BY type, value
    ON CONFLICT (type, value) DO UPDATE SET
        first_seen = least(o.first_seen, excluded.first_seen),
        last_seen = greatest(o.last_seen, excluded.last_seen)
    WHERE excluded.first_seen < o.first_seen OR excluded.last_seen > o.last_seen
    RETURNING type, value, id, (xmax = 0) AS new
) INSERT INTO hk_ids_v3 SELECT type, value, id, new FROM ins;
INSERT INTO hk_ids_v3
SELECT t.type, t.value, (
    SELECT o.id FROM indicators_observable o
    WHERE o.type = t.type COLLATE "default" AND o.value = t.value COLLATE "default"), false
FROM hk_stage_obs_v3 t LEFT JOIN hk_ids_v3 i ON i.type = t.type AND i.value = t.value
WHERE i.id IS NULL;
SELECT count(*) FILTER (WHERE new) FROM hk_ids_v3;
WITH ins AS (
    INSERT INTO indicators_sighting AS s
        (observable_id, source_kind, source_id, original, seen_at, last_seen, count,
         confidence, false_positive, tlp, tags, provenance, comment, created_by_id, ingest_run)
    SELECT i.id, t.source_kind, t.source_id, t.original, t.seen_at, t.last_seen, t.count,
           t.confidence, false, t.tlp, t.tags::jsonb, t.provenance, t.comment, %(user)s,
           %(run)s
    FROM hk_stage_sight_v3 t JOIN hk_ids_v3 i ON i.type = t.type AND i.value = t.value
    ORDER BY i.id, t.source_kind, t.source_id
"""
    + _PG_SIGHTING_CONFLICT
    + """) SELECT count(*), count(*) FILTER (WHERE new) FROM ins;
INSERT INTO indicators_observablelink (from_observable_id, kind, to_observable_id)
SELECT f.id, l.kind, t.id FROM hk_stage_link_v3 l
JOIN hk_ids_v3 f ON f.type = l.from_type AND f.value = l.from_value
JOIN hk_ids_v3 t ON t.type = l.to_type AND t.value = l.to_value
ORDER BY f.id, l.kind, t.id
ON CONFLICT DO NOTHING;
INSERT INTO indicators_enrichment AS e (observable_id, enricher, key, value, attribution_id, at)
SELECT i.id, f.enricher, f.key, f.fact, f.attribution, now() FROM hk_stage_fact_v4 f
JOIN hk_ids_v3 i ON i.type = f.type AND i.value = f.value
ORDER BY i.id, f.enricher, f.key
"""
    + _PG_FACT_CONFLICT
    + """;
RESET work_mem;
RESET enable_mergejoin;
"""
)


def _copy_rows(cursor: Any, table: str, rows: Iterable[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_PG_COPY[table])
        for row in rows:
            copy.write_row(row)


def _write_postgresql_staged(
    batch: Batch, version: str, user_id: int | None, run: int | None = None
) -> tuple[int, int, int]:
    hits = batch.hits

    def dumps(tags: list[str]) -> str:
        return json.dumps(tags, ensure_ascii=False)

    with connection.cursor() as cursor:
        cursor.execute(_PG_STAGING)
        _copy_rows(
            cursor,
            "hk_stage_obs_v3",
            ((k[0], k[1], f, la, hits.get(k)) for k, (f, la) in batch.observables.items()),
        )
        _copy_rows(
            cursor,
            "hk_stage_sight_v3",
            (
                (t, v, kind, sid, r[0], r[1], r[2], r[3], r[4], r[5], dumps(r[6]), r[7], r[8])
                for (t, v, kind, sid), r in batch.sightings.items()
            ),
        )
        if batch.links:
            _copy_rows(
                cursor,
                "hk_stage_link_v3",
                ((s[0], s[1], kind, t[0], t[1]) for s, kind, t in batch.links),
            )
        if batch.facts:
            credit = _attribution_ids(cursor, {f[4] for f in batch.facts})
            _copy_rows(
                cursor,
                "hk_stage_fact_v4",
                ((k[0], k[1], e, fk, fv, credit[a]) for k, e, fk, fv, a in batch.facts),
            )
        cursor.execute(_PG_MERGE, {"version": version, "user": user_id, "run": run})
        cursor.nextset()  # the ids of the values already stored and unchanged
        cursor.nextset()  # the count of new observables
        (new_obs,) = cursor.fetchone()
        cursor.nextset()
        rows, new_rows = cursor.fetchone()
    return int(new_obs), int(rows), int(new_rows)


# The new-row fast path: the batch's values are looked up once through the unique (type,
# value) index; the new ones get ids reserved from the observables' sequence and are
# COPY-ed straight into the store, with their sightings, links and facts (none of which can
# exist yet: they hang off a new id). Only rows of values already stored go through an
# upsert. A value inserted concurrently by another writer (the COPY meets the unique index)
# rolls the fast path back to its savepoint and the batch is written by the staged upsert
# path below instead, which handles any overlap.
_PG_OBS_COLUMNS = "id, type, value, first_seen, last_seen, warninglist_hits, warninglist_version"
_PG_OBS_TYPES = ["int8", "text", "text", "timestamptz", "timestamptz", "jsonb", "text"]
_PG_SIGHT_COLUMNS = (
    "observable_id, source_kind, source_id, original, seen_at, last_seen, count, confidence,"
    " false_positive, tlp, tags, provenance, comment, created_by_id, ingest_run"
)
_PG_SIGHT_TYPES = [
    *("int8", "text", "int8", "text", "timestamptz", "timestamptz", "int4", "int2", "bool"),
    *("text", "jsonb", "text", "text", "int8", "int8"),
]
_PG_LINK_TYPES = ["int8", "text", "int8"]
_PG_FACT_TYPES = ["int8", "text", "text", "text", "int8", "timestamptz"]

# The batch's keys and the rows of stored values go to temporary tables by binary COPY
# (parameters would be quoted in Python, element by element).
_PG_FAST_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS hk_probe_v4 (ord bigint, type text, value text);
CREATE TEMP TABLE IF NOT EXISTS hk_widen_v4 (
    id bigint, first_seen timestamptz, last_seen timestamptz);
CREATE TEMP TABLE IF NOT EXISTS hk_old_sight_v4 (
    observable_id bigint, source_kind text, source_id bigint, original text,
    seen_at timestamptz, last_seen timestamptz, count integer, confidence smallint, tlp text,
    tags text, provenance text, comment text);
CREATE TEMP TABLE IF NOT EXISTS hk_old_link_v4 (from_id bigint, kind text, to_id bigint);
CREATE TEMP TABLE IF NOT EXISTS hk_old_fact_v5 (
    observable_id bigint, enricher text, key text, value text, attribution_id bigint);
TRUNCATE hk_probe_v4, hk_widen_v4, hk_old_sight_v4, hk_old_link_v4, hk_old_fact_v5;
"""
_PG_FAST_COPY = {
    "hk_probe_v4": ["int8", "text", "text"],
    "hk_widen_v4": ["int8", "timestamptz", "timestamptz"],
    "hk_old_sight_v4": [
        *("int8", "text", "int8", "text", "timestamptz", "timestamptz", "int4", "int2"),
        *("text", "text", "text", "text"),
    ],
    "hk_old_link_v4": ["int8", "text", "int8"],
    "hk_old_fact_v5": ["int8", "text", "text", "text", "int8"],
}
_PG_PROBE = """
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off;
SELECT t.ord, o.id, o.first_seen, o.last_seen FROM hk_probe_v4 t
JOIN indicators_observable o ON o.type = t.type AND o.value = t.value;
RESET enable_hashjoin;
RESET enable_mergejoin;
"""
_PG_WIDEN = """
UPDATE indicators_observable o SET
    first_seen = least(o.first_seen, t.first_seen), last_seen = greatest(o.last_seen, t.last_seen)
FROM hk_widen_v4 t WHERE o.id = t.id
"""
# Ids reserved from the sequence, named by a constant (the name resolved per row, by
# ``pg_get_serial_sequence`` or a cast, was ten times the cost of drawing); only their bounds
# travel when they are contiguous (no other writer drew one meanwhile), else all of them.
_PG_RESERVE = """
CREATE TEMP TABLE IF NOT EXISTS hk_reserved_v4 (id bigint);
TRUNCATE hk_reserved_v4;
INSERT INTO hk_reserved_v4 SELECT nextval(%s::regclass) FROM generate_series(1, %s);
SELECT min(id), max(id) FROM hk_reserved_v4;
"""
_PG_SIGHT_UPSERT = (
    """
WITH ins AS (
    INSERT INTO indicators_sighting AS s
        (observable_id, source_kind, source_id, original, seen_at, last_seen, count,
         confidence, false_positive, tlp, tags, provenance, comment, created_by_id, ingest_run)
    SELECT t.observable_id, t.source_kind, t.source_id, t.original, t.seen_at, t.last_seen,
           t.count, t.confidence, false, t.tlp, coalesce(nullif(t.tags, ''), '[]')::jsonb,
           t.provenance, t.comment, %s, %s
    FROM hk_old_sight_v4 t ORDER BY t.observable_id, t.source_kind, t.source_id
"""
    + _PG_SIGHTING_CONFLICT
    + """) SELECT count(*) FILTER (WHERE new) FROM ins
"""
)
_PG_LINK_UPSERT = """
INSERT INTO indicators_observablelink (from_observable_id, kind, to_observable_id)
SELECT from_id, kind, to_id FROM hk_old_link_v4 ORDER BY from_id, kind, to_id
ON CONFLICT DO NOTHING
"""
_PG_FACT_UPSERT = (
    """
INSERT INTO indicators_enrichment AS e (observable_id, enricher, key, value, attribution_id, at)
SELECT t.*, now() FROM hk_old_fact_v5 t ORDER BY t.observable_id, t.enricher, t.key
"""
    + _PG_FACT_CONFLICT
    + """
"""
)


def _copy_temp(cursor: Any, table: str, rows: Any) -> None:
    with cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_PG_FAST_COPY[table])
        for row in rows:
            copy.write_row(row)


_JSONB_EMPTY = b"\x01[]"  # jsonb's binary form: a version byte, then the JSON text


def _jsonb(text: str) -> bytes:
    return b"\x01" + text.encode()


def _copy_into(cursor: Any, table: str, columns: str, types: list[str], rows: Any) -> None:
    """Binary ``COPY`` of ``rows``; their jsonb values are given in jsonb's binary form (bytes,
    ``_jsonb``): passed through as they are, instead of a JSON dump per value."""
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    class RawJsonb(Dumper):
        format = Format.BINARY
        oid = cursor.adapters.types["jsonb"].oid

        def dump(self, obj: bytes) -> bytes:
            return obj

    cursor.adapters.register_dumper(None, RawJsonb)  # this cursor only, by oid only
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _reserve_ids(cursor: Any, count: int) -> Sequence[int]:
    """``count`` new observable ids, ascending."""
    cursor.execute("SELECT pg_get_serial_sequence('indicators_observable', 'id')")
    (sequence,) = cursor.fetchone()
    cursor.execute(_PG_RESERVE, [sequence, count])
    for _statement in range(3):  # past CREATE, TRUNCATE and INSERT to the SELECT
        cursor.nextset()
    low, high = cursor.fetchone()
    if high - low + 1 == count:
        return range(low, high + 1)
    cursor.execute("SELECT id FROM hk_reserved_v4 ORDER BY id")
    return [row[0] for row in cursor.fetchall()]


def _write_postgresql(
    batch: Batch, version: str, user_id: int | None, run: int | None = None
) -> tuple[int, int, int]:
    from django.db import IntegrityError
    from psycopg import errors

    try:
        with transaction.atomic():  # a savepoint: the fast path is all or nothing
            return _write_postgresql_direct(batch, version, user_id, run)
    except (IntegrityError, errors.UniqueViolation):
        log.info("values stored concurrently: batch written through the staged upsert")
        return _write_postgresql_staged(batch, version, user_id, run)


def _write_postgresql_direct(
    batch: Batch, version: str, user_id: int | None, run: int | None = None
) -> tuple[int, int, int]:
    from django.utils import timezone

    observables = batch.observables
    keys = list(observables)
    ids: dict[Key, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(_PG_FAST_STAGING)
        # One probe of the unique index per value (nested loops: a batch costs the same
        # whatever the store's size).
        _copy_temp(cursor, "hk_probe_v4", ((i, k[0], k[1]) for i, k in enumerate(keys)))
        cursor.execute(_PG_PROBE)
        cursor.nextset()
        cursor.nextset()
        widen: list[tuple[int, datetime, datetime]] = []
        for ordinal, oid, first, last in cursor.fetchall():
            key = keys[ordinal]
            ids[key] = oid
            span = observables[key]
            if span[0] < first or span[1] > last:
                widen.append((oid, span[0], span[1]))
        stored = set(ids)
        if widen:
            widen.sort()
            _copy_temp(cursor, "hk_widen_v4", widen)
            cursor.execute(_PG_WIDEN)
        new_keys = sorted(k for k in keys if k not in stored)
        if new_keys:
            reserved = _reserve_ids(cursor, len(new_keys))
            ids.update(zip(new_keys, reserved, strict=True))
            hits = batch.hits
            _copy_into(
                cursor,
                "indicators_observable",
                _PG_OBS_COLUMNS,
                _PG_OBS_TYPES,
                (
                    (
                        oid,
                        k[0],
                        k[1],
                        observables[k][0],
                        observables[k][1],
                        _jsonb(hits[k]) if k in hits else _JSONB_EMPTY,
                        version,
                    )
                    for k, oid in zip(new_keys, reserved, strict=True)
                ),
            )
        # Sightings: of a new value, new (COPY); of a stored one, upserted.
        fresh: list[tuple[Any, ...]] = []
        old: list[tuple[Any, ...]] = []
        for (t, v, kind, sid), r in batch.sightings.items():
            key = (t, v)
            tags = json.dumps(r[_TAGS], ensure_ascii=False) if r[_TAGS] else ""
            row = (ids[key], kind, sid, r[0], r[1], r[2], r[3], r[4], r[5], tags, r[7], r[8])
            (old if key in stored else fresh).append(row)
        if fresh:
            fresh.sort()  # by observable id first: the unique index's order
            _copy_into(
                cursor,
                "indicators_sighting",
                _PG_SIGHT_COLUMNS,
                _PG_SIGHT_TYPES,
                (
                    (
                        *r[:8],
                        False,
                        r[8],
                        _jsonb(r[9]) if r[9] else _JSONB_EMPTY,
                        *r[10:],
                        user_id,
                        run,
                    )
                    for r in fresh
                ),
            )
        new_rows = len(fresh)
        if old:
            _copy_temp(cursor, "hk_old_sight_v4", old)
            cursor.execute(_PG_SIGHT_UPSERT, [user_id, run])
            (found,) = cursor.fetchone()
            new_rows += int(found)
        # Links and facts: from a new value, new (COPY); from a stored one, upserted.
        if batch.links:
            fresh_links = sorted(
                (ids[s], kind, ids[t]) for s, kind, t in batch.links if s not in stored
            )
            old_links = list((ids[s], kind, ids[t]) for s, kind, t in batch.links if s in stored)
            if fresh_links:
                _copy_into(
                    cursor,
                    "indicators_observablelink",
                    "from_observable_id, kind, to_observable_id",
                    _PG_LINK_TYPES,
                    fresh_links,
                )
            if old_links:
                _copy_temp(cursor, "hk_old_link_v4", old_links)
                cursor.execute(_PG_LINK_UPSERT)
        if batch.facts:
            # One fact per (observable, enricher, key): the last one offered wins, as the
            # upsert would have it.
            credit = _attribution_ids(cursor, {f[4] for f in batch.facts})
            facts = {(ids[k], e, fk): (fv, credit[a]) for k, e, fk, fv, a in batch.facts}
            stored_ids = {ids[k] for k in stored}
            fresh_facts = sorted(
                (oid, e, fk, fv, a)
                for (oid, e, fk), (fv, a) in facts.items()
                if oid not in stored_ids
            )
            old_facts = list(
                (oid, e, fk, fv, a) for (oid, e, fk), (fv, a) in facts.items() if oid in stored_ids
            )
            if fresh_facts:
                at = timezone.now()
                _copy_into(
                    cursor,
                    "indicators_enrichment",
                    "observable_id, enricher, key, value, attribution_id, at",
                    _PG_FACT_TYPES,
                    ((*f, at) for f in fresh_facts),
                )
            if old_facts:
                _copy_temp(cursor, "hk_old_fact_v5", old_facts)
                cursor.execute(_PG_FACT_UPSERT)
    return len(new_keys), len(batch.sightings), new_rows


# -- SQLite ------------------------------------------------------------------------------------

_SQLITE_BULK_CACHE_KIB = 128 * 1024  # page cache of the pipelined writer's connection
_SQLITE_STAGING = [
    "CREATE TEMP TABLE IF NOT EXISTS hk_stage_obs_v2 ("
    " type text, value text, first_seen text, last_seen text, hits text)",
    "CREATE TEMP TABLE IF NOT EXISTS hk_stage_sight_v2 ("
    " observable_id integer, source_kind text, source_id integer, original text,"
    " seen_at text, last_seen text, count integer, confidence integer, tlp text, tags text,"
    " provenance text, comment text)",
    "DELETE FROM hk_stage_obs_v2",
    "DELETE FROM hk_stage_sight_v2",
]

# In (type, value) order, the order of the unique index the rows go into.
_SQLITE_OBSERVABLES = """
INSERT INTO indicators_observable AS o
    (type, value, first_seen, last_seen, warninglist_hits, warninglist_version)
SELECT type, value, first_seen, last_seen, coalesce(hits, '[]'), %s
FROM hk_stage_obs_v2 WHERE true ORDER BY type, value
ON CONFLICT (type, value) DO UPDATE SET
    first_seen = min(o.first_seen, excluded.first_seen),
    last_seen = max(o.last_seen, excluded.last_seen)
WHERE excluded.first_seen < o.first_seen OR excluded.last_seen > o.last_seen
"""

# Each staged value's id, found once through the unique index: the sightings, links and
# facts are then written with ids, without joining on the values again.
_SQLITE_IDS = """
SELECT t.type, t.value, o.id FROM hk_stage_obs_v2 t
JOIN indicators_observable o ON o.type = t.type AND o.value = t.value
"""

_SQLITE_SIGHTINGS = (
    """
INSERT INTO indicators_sighting AS s
    (observable_id, source_kind, source_id, original, seen_at, last_seen, count,
     confidence, false_positive, tlp, tags, provenance, comment, created_by_id, ingest_run)
SELECT t.observable_id, t.source_kind, t.source_id, t.original, t.seen_at, t.last_seen,
       t.count, t.confidence, 0, t.tlp, t.tags, t.provenance, t.comment, %s, %s
FROM hk_stage_sight_v2 t
WHERE true ORDER BY t.observable_id, t.source_kind, t.source_id
ON CONFLICT (observable_id, source_kind, source_id) DO UPDATE SET
    count = s.count + excluded.count,
    seen_at = min(s.seen_at, excluded.seen_at),
    last_seen = max(s.last_seen, excluded.last_seen),
    confidence = excluded.confidence,
    tlp = """
    + _TLP_KEEP
    + """,
    ingest_run = excluded.ingest_run,
    original = CASE WHEN s.original = '' THEN excluded.original ELSE s.original END,
    tags = CASE WHEN excluded.tags = '[]' THEN s.tags ELSE (
        SELECT json_group_array(value) FROM (
            SELECT value FROM json_each(s.tags)
            UNION SELECT value FROM json_each(excluded.tags))) END,
    provenance = CASE WHEN excluded.provenance = '' THEN s.provenance
                      ELSE excluded.provenance END,
    comment = CASE WHEN excluded.comment = '' THEN s.comment ELSE excluded.comment END
"""
)

_SQLITE_LINKS = """
INSERT INTO indicators_observablelink (from_observable_id, kind, to_observable_id)
VALUES (%s, %s, %s) ON CONFLICT DO NOTHING
"""

_SQLITE_FACTS = """
INSERT INTO indicators_enrichment AS e (observable_id, enricher, key, value, attribution_id, at)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (observable_id, enricher, key) DO UPDATE SET
    value = excluded.value, attribution_id = excluded.attribution_id, at = excluded.at
WHERE e.value IS NOT excluded.value OR e.attribution_id IS NOT excluded.attribution_id
"""


def _write_sqlite(
    batch: Batch, version: str, user_id: int | None, run: int | None = None
) -> tuple[int, int, int]:
    from django.utils import timezone

    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for statement in _SQLITE_STAGING:
            cursor.execute(statement)
        hits = batch.hits
        cursor.executemany(
            "INSERT INTO hk_stage_obs_v2 VALUES (%s, %s, %s, %s, %s)",
            [
                (k[0], k[1], adapt(f), adapt(la), hits.get(k))
                for k, (f, la) in batch.observables.items()
            ],
        )
        # Ids only grow (AUTOINCREMENT): rows above the largest id before are new.
        cursor.execute("SELECT coalesce(max(id), 0) FROM indicators_observable")
        (last_obs,) = cursor.fetchone()
        cursor.execute(_SQLITE_OBSERVABLES, [version])
        cursor.execute(_SQLITE_IDS)
        ids: dict[Key, int] = {(t, v): i for t, v, i in cursor.fetchall()}
        new_obs = sum(1 for i in ids.values() if i > last_obs)
        cursor.executemany(
            "INSERT INTO hk_stage_sight_v2 VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    ids[(t, v)],
                    kind,
                    sid,
                    row[_ORIG],
                    adapt(row[_FIRST]),
                    adapt(row[_LAST]),
                    row[_COUNT],
                    row[_CONF],
                    row[_TLP],
                    json.dumps(row[_TAGS], ensure_ascii=False) if row[_TAGS] else "[]",
                    row[_PROV],
                    row[_COMMENT],
                )
                for (t, v, kind, sid), row in batch.sightings.items()
            ],
        )
        cursor.execute("SELECT coalesce(max(id), 0) FROM indicators_sighting")
        (last_sighting,) = cursor.fetchone()
        cursor.execute(_SQLITE_SIGHTINGS, [user_id, run])
        cursor.execute("SELECT count(*) FROM indicators_sighting WHERE id > %s", [last_sighting])
        (new_rows,) = cursor.fetchone()
        if batch.links:
            cursor.executemany(
                _SQLITE_LINKS, sorted((ids[s], kind, ids[t]) for s, kind, t in batch.links)
            )
        if batch.facts:
            at = adapt(timezone.now())
            credit = _attribution_ids(cursor, {f[4] for f in batch.facts})
            cursor.executemany(
                _SQLITE_FACTS,
                sorted((ids[k], e, fk, fv, credit[a], at) for k, e, fk, fv, a in batch.facts),
            )
    return int(new_obs), len(batch.sightings), int(new_rows)
