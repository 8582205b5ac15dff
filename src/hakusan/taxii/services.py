"""Writes of the TAXII server: default collections, publishing outbound collections, inbound
posts and their status resources, deletes. Each runs in one transaction and is audited
(publishing by a summary entry; partner requests are audited one entry each by the views)."""

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from hakusan.core import audit
from hakusan.domain.foreign import unstorable
from hakusan.domain.sharing import tlp as tlp_rules
from hakusan.partners.choices import ALL_DATA_KINDS, DataKind
from hakusan.partners.models import Partner

from . import protocol
from .choices import Direction, StatusValue
from .models import DEFAULT_API_ROOT, Collection, PublishedItem, SharedObject, Status

log = logging.getLogger(__name__)

ONE_MICROSECOND = timedelta(microseconds=1)
ONE_MILLISECOND = timedelta(milliseconds=1)
# Observables read and turned into STIX per batch while publishing.
PUBLISH_BATCH = 2000
# Rows per INSERT batch and ids per IN (…) list.
INSERT_BATCH = 5000
# Inbound posts with more objects than this are imported by a job (status pending till done).
INLINE_IMPORT_MAX = 200
# PublishedItem key of the collection-level objects (our identity, the TLP markings).
COLLECTION_ITEM = -1
COLLECTION_TYPES = frozenset({"extension-definition", "marking-definition", "identity"})
# Prefix of the content hash (in PublishedItem.hashes) of an object an item no longer has.
DROPPED = "dropped:"

DEFAULT_COLLECTIONS: tuple[dict[str, Any], ...] = (
    {
        "alias": "indicators-clear",
        "title": "Indicators (TLP:CLEAR)",
        "description": "Shareable indicators marked TLP:CLEAR.",
        "direction": Direction.OUTBOUND,
        "tlp": "clear",
        "kinds": [DataKind.INDICATORS.value],
    },
    {
        "alias": "indicators-green",
        "title": "Indicators (TLP:GREEN and below)",
        "description": "Shareable indicators marked TLP:CLEAR or TLP:GREEN.",
        "direction": Direction.OUTBOUND,
        "tlp": "green",
        "kinds": [DataKind.INDICATORS.value],
    },
    {
        "alias": "indicators-amber",
        "title": "Indicators (TLP:AMBER and below)",
        "description": "Shareable indicators marked TLP:CLEAR, TLP:GREEN or TLP:AMBER.",
        "direction": Direction.OUTBOUND,
        "tlp": "amber",
        "kinds": [DataKind.INDICATORS.value],
    },
    {
        "alias": "inbound",
        "title": "Inbound",
        "description": "Partners post STIX 2.1 objects here; analysts review them before use.",
        "direction": Direction.INBOUND,
        "tlp": "amber",
        "kinds": [DataKind.INDICATORS.value],
    },
)


def ensure_default_collections() -> list[Collection]:
    """The seeded API root ``hakusan`` and its four collections (idempotent; the data
    migration creates them on install)."""
    made = []
    for spec in DEFAULT_COLLECTIONS:
        collection, _created = Collection.objects.get_or_create(
            api_root=DEFAULT_API_ROOT, alias=spec["alias"], defaults=dict(spec)
        )
        made.append(collection)
    return made


def mark_dirty(**_kwargs: Any) -> int:
    """Receiver of ``indicators_changed``: one cheap UPDATE; the next read publishes."""
    return Collection.objects.filter(direction=Direction.OUTBOUND, dirty=False).update(dirty=True)


# --- storing versions ------------------------------------------------------------------


@dataclass
class NewVersion:
    obj: dict[str, Any]
    body: str
    digest: str
    version: datetime | None  # None: no modified/created → the version is date_added


def new_version(obj: dict[str, Any]) -> NewVersion:
    body = protocol.canonical(obj)
    stamp = protocol.object_version(obj)
    return NewVersion(
        obj,
        body,
        protocol.content_hash(body),
        protocol.parse_timestamp(stamp, "version") if stamp else None,
    )


class _Clock:
    """Hands out date_added values: unique, strictly increasing per collection, never before
    now. Used under the collection's lock (see ``_lock``)."""

    def __init__(self, collection: Collection) -> None:
        last = SharedObject.objects.filter(collection=collection).aggregate(m=Max("date_added"))[
            "m"
        ]
        now = timezone.now()
        self.value = max(now, last + ONE_MICROSECOND) if last else now

    def tick(self) -> datetime:
        value = self.value
        self.value += ONE_MICROSECOND
        return value


def _lock(collection: Collection) -> None:
    """Serialise writers of one collection until commit: date_added order must be commit
    order, or a client paging by date could miss rows committed late. PostgreSQL: a row lock;
    SQLite: the database write lock this UPDATE takes. It changes no value (``published_at``
    is the moment the last publish reflects: see ``expired_since_publish``)."""
    Collection.objects.filter(pk=collection.pk).update(dirty=F("dirty"))


_SHARED_COLUMNS = (
    "collection",
    "stix_id",
    "type",
    "spec_version",
    "version",
    "date_added",
    "latest",
    "first",
    "body",
    "content_hash",
    "posted_by",
)


def _insert_sql(model: Any, fields: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(f).column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"


def _executemany(sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Set-based insert: Django's ``bulk_create`` spends more time building model instances
    and SQL than the database spends writing (300k rows: minutes against seconds)."""
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(sql, rows[start : start + INSERT_BATCH])


def _update_in_chunks(pks: list[int], **values: Any) -> None:
    for start in range(0, len(pks), INSERT_BATCH):
        SharedObject.objects.filter(pk__in=pks[start : start + INSERT_BATCH]).update(**values)


def _datetime_param() -> Any:
    """Datetime → query parameter as Django's backend would write it (SQLite: naive UTC text,
    as ``adapt_datetimefield_value`` does, minus its per-value overhead)."""
    if connection.vendor == "sqlite":
        return lambda value: str(value.astimezone(UTC).replace(tzinfo=None))
    return connection.ops.adapt_datetimefield_value


@dataclass
class _Row:
    stix_id: str
    type: str
    spec_version: str
    version: datetime
    date_added: datetime
    latest: bool
    first: bool
    body: str
    digest: str


def store_versions(
    collection: Collection,
    versions: Sequence[NewVersion],
    *,
    clock: _Clock,
    posted_by: Partner | None = None,
    maybe_existing: Iterable[str] | None = None,
) -> tuple[list[tuple[str, datetime]], list[NewVersion]]:
    """Insert versions, keeping ``latest``/``first`` right; returns the (id, version) pairs
    stored, and the versions already in the collection (same id and version), not stored
    again. ``maybe_existing``: the ids that may already have versions (all when None)."""
    ids = {v.obj["id"] for v in versions}
    lookup = ids if maybe_existing is None else ids & set(maybe_existing)
    known: dict[str, list[tuple[int, datetime, bool, bool]]] = defaultdict(list)
    lookup_list = list(lookup)
    for start in range(0, len(lookup_list), INSERT_BATCH):
        for pk, stix_id, version, latest, first in SharedObject.objects.filter(
            collection=collection, stix_id__in=lookup_list[start : start + INSERT_BATCH]
        ).values_list("pk", "stix_id", "version", "latest", "first"):
            known[stix_id].append((pk, version, latest, first))
    unset_latest: list[int] = []
    unset_first: list[int] = []
    rows: list[_Row] = []
    fresh: dict[str, list[_Row]] = defaultdict(list)
    duplicates: list[NewVersion] = []
    for item in versions:
        stix_id = item.obj["id"]
        added = clock.tick()
        version = item.version or added
        old = known.get(stix_id)
        new = fresh.get(stix_id)
        latest = first = True
        if old or new:
            stamps = [v for _pk, v, _l, _f in old or ()] + [r.version for r in new or ()]
            if item.version is not None and version in stamps:
                duplicates.append(item)
                continue
            latest, first = version > max(stamps), version < min(stamps)
            if latest:
                unset_latest += [pk for pk, _v, is_latest, _f in old or () if is_latest]
                for row in new or ():
                    row.latest = False
            if first:
                unset_first += [pk for pk, _v, _l, is_first in old or () if is_first]
                for row in new or ():
                    row.first = False
        row = _Row(
            stix_id,
            str(item.obj.get("type", "")),
            protocol.object_spec_version(item.obj),
            version,
            added,
            latest,
            first,
            item.body,
            item.digest,
        )
        rows.append(row)
        fresh[stix_id].append(row)
    _update_in_chunks(unset_latest, latest=False)
    _update_in_chunks(unset_first, first=False)
    collection_id = Collection._meta.pk.get_db_prep_value(collection.pk, connection)
    partner_id = posted_by.pk if posted_by is not None else None
    stamp = _datetime_param()
    _executemany(
        _insert_sql(SharedObject, _SHARED_COLUMNS),
        [
            (
                collection_id,
                r.stix_id,
                r.type,
                r.spec_version,
                stamp(r.version),
                stamp(r.date_added),
                r.latest,
                r.first,
                r.body,
                r.digest,
                partner_id,
            )
            for r in rows
        ],
    )
    return [(r.stix_id, r.version) for r in rows], duplicates


# --- publishing (outbound) --------------------------------------------------------------


def _bump(obj: dict[str, Any], previous: str | None) -> dict[str, Any]:
    """An object with ``modified`` must move forward past the version we published last
    (an item shared again after a revocation would otherwise go back in time)."""
    if "modified" not in obj or not previous:
        return obj
    before = protocol.parse_timestamp(previous, "version")
    current = protocol.parse_timestamp(obj["modified"], "modified")
    if current > before:
        return obj
    stamp = max(timezone.now(), before + ONE_MILLISECOND)
    return {**obj, "modified": protocol.stix_timestamp(stamp)}


@dataclass
class _Counts:
    items: int = 0
    unchanged: int = 0
    new_items: int = 0
    changed_items: int = 0
    revoked_items: int = 0
    versions: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


# (item key, its objects' versions, its fingerprint)
Pending = list[tuple[int, list[NewVersion], str]]

# What ``stix_export.observable_objects`` reads from an observable: when none of it changed
# (and the export format did not: see ``_format_key``) the item's objects are unchanged and
# are not even rebuilt. Keep in step with stix_export.
_OBSERVABLE_FIELDS = ("type", "value", "first_seen", "last_seen", "expires_at")


def _format_key() -> str:
    """A hash of the export format: the objects of a fixed canary observable and our
    identity. A change of stix_export's output (or of the organisation name) changes it, and
    with it every item's fingerprint: the next publish rebuilds everything."""
    from hakusan.indicators.models import Observable
    from hakusan.sharing import stix_export

    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    canary = Observable(type="domain", value="canary.example.jp", first_seen=epoch, last_seen=epoch)
    canary.share_confidence = 50  # type: ignore[attr-defined]
    objects = [*stix_export.observable_objects(canary, "green"), stix_export.identity_object()]
    return protocol.content_hash(protocol.canonical({"objects": objects}))


def _fingerprint(format_key: str, obs: Any) -> str:
    expires = obs.expires_at.isoformat() if obs.expires_at else ""
    text = (
        f"{format_key}|{obs.first_seen.isoformat()}|{obs.last_seen.isoformat()}|{expires}|"
        f"{obs.share_confidence}|{obs.share_tlp_rank}"
    )
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _flush(
    collection: Collection,
    pending: Pending,
    state: dict[int, tuple[str, bool]],
    clock: _Clock,
    counts: _Counts,
) -> None:
    """Write the queued items: new versions of the objects whose content hash changed, and
    the items' new publishing state."""
    if not pending:
        return
    seen = [key for key, _v, _d in pending if key in state]
    old_hashes: dict[int, tuple[dict[str, list[str]], str]] = {}
    if seen:
        old_hashes = {
            key: (hashes, indicator)
            for key, hashes, indicator in PublishedItem.objects.filter(
                collection=collection, observable_id__in=seen
            ).values_list("observable_id", "hashes", "indicator_id")
        }
    versions: list[NewVersion] = []
    maybe_existing: set[str] = set()
    items: list[tuple[int, str, dict[str, list[str]], str]] = []
    dropped: list[tuple[dict[str, list[str]], str]] = []
    for key, item_versions, digest in pending:
        old, indicator_id = old_hashes.get(key, ({}, ""))
        hashes: dict[str, list[str]] = dict(old)
        if key != COLLECTION_ITEM:
            current = {v.obj["id"] for v in item_versions}
            dropped += [
                (hashes, stix_id)
                for stix_id, (old_digest, old_version) in old.items()
                if old_version and stix_id not in current and not old_digest.startswith(DROPPED)
            ]
        for version in item_versions:
            stix_id = version.obj["id"]
            if version.obj.get("type") == "indicator":
                indicator_id = stix_id
            previous = old.get(stix_id)
            if previous is not None:
                maybe_existing.add(stix_id)
                if previous[0] == version.digest:
                    continue
                version = new_version(_bump(version.obj, previous[1]))
            versions.append(version)
            hashes[stix_id] = [version.digest, protocol.object_version(version.obj) or ""]
        items.append((key, digest, hashes, indicator_id))
        if key in old_hashes:
            counts.changed_items += 1
        else:
            counts.new_items += 1
        state[key] = (digest, False)
    versions += _revoke_dropped(collection, dropped)
    maybe_existing.update(stix_id for _hashes, stix_id in dropped)
    stored, _dups = store_versions(collection, versions, clock=clock, maybe_existing=maybe_existing)
    counts.versions += len(stored)
    _save_items(collection, items, replace=list(old_hashes))
    pending.clear()


def _revoke_dropped(
    collection: Collection, dropped: list[tuple[dict[str, list[str]], str]]
) -> list[NewVersion]:
    """Revoked versions of SDOs/SROs an item no longer has though it is still shared (the
    export format changed: e.g. the indicator → SCO relationship type, whose id is derived
    from it), so partners do not keep a stale object. Their entry in the item's hashes is
    marked ``DROPPED`` (not revoked again; bumped past if the object ever comes back)."""
    ids = list(dict.fromkeys(stix_id for _hashes, stix_id in dropped))
    bodies: dict[str, str] = {}
    for at in range(0, len(ids), INSERT_BATCH):
        bodies.update(
            SharedObject.objects.filter(
                collection=collection, stix_id__in=ids[at : at + INSERT_BATCH], latest=True
            ).values_list("stix_id", "body")
        )
    made: dict[str, NewVersion] = {}
    for hashes, stix_id in dropped:
        version = hashes[stix_id][1]
        if stix_id in bodies and stix_id not in made:
            obj = json.loads(bodies[stix_id])
            if not obj.get("revoked"):
                made[stix_id] = new_version(_bump({**obj, "revoked": True}, version))
        revoked = made.get(stix_id)
        if revoked is not None and revoked.version is not None:
            hashes[stix_id] = [DROPPED + revoked.digest, protocol.stix_timestamp(revoked.version)]
        else:
            hashes[stix_id] = [DROPPED + hashes[stix_id][0], version]
    return list(made.values())


def _save_items(
    collection: Collection,
    items: list[tuple[int, str, dict[str, list[str]], str]],
    *,
    replace: list[int],
    revoked: bool = False,
) -> None:
    """(Re)write PublishedItem rows: delete + insert (cheaper than row-by-row updates)."""
    for start in range(0, len(replace), INSERT_BATCH):
        PublishedItem.objects.filter(
            collection=collection, observable_id__in=replace[start : start + INSERT_BATCH]
        ).delete()
    collection_id = Collection._meta.pk.get_db_prep_value(collection.pk, connection)
    json_field = PublishedItem._meta.get_field("hashes")
    _executemany(
        _insert_sql(
            PublishedItem,
            ("collection", "observable_id", "digest", "hashes", "indicator_id", "revoked"),
        ),
        [
            (
                collection_id,
                key,
                digest,
                json_field.get_db_prep_save(hashes, connection),
                indicator_id,
                revoked,
            )
            for key, digest, hashes, indicator_id in items
        ],
    )


def _revoke(collection: Collection, keys: list[int], clock: _Clock, counts: _Counts) -> None:
    """Publish a revoked version of the SDOs/SROs (the indicator, its relationships) of items
    no longer shareable. SCOs have no revocation in STIX: they stay as they were."""
    for start in range(0, len(keys), PUBLISH_BATCH):
        chunk = keys[start : start + PUBLISH_BATCH]
        rows = list(
            PublishedItem.objects.filter(
                collection=collection, observable_id__in=chunk
            ).values_list("observable_id", "hashes", "indicator_id")
        )
        ids = [stix_id for _key, hashes, _i in rows for stix_id, h in hashes.items() if h[1]]
        bodies: dict[str, str] = {}
        for at in range(0, len(ids), INSERT_BATCH):
            bodies.update(
                SharedObject.objects.filter(
                    collection=collection, stix_id__in=ids[at : at + INSERT_BATCH], latest=True
                ).values_list("stix_id", "body")
            )
        versions = []
        items = []
        for key, hashes, indicator_id in rows:
            for stix_id, (_digest, version) in list(hashes.items()):
                if not version or stix_id not in bodies:
                    continue
                obj = json.loads(bodies[stix_id])
                if obj.get("revoked"):
                    continue
                revoked = new_version(_bump({**obj, "revoked": True}, version))
                versions.append(revoked)
                hashes[stix_id] = [
                    revoked.digest,
                    protocol.stix_timestamp(revoked.version) if revoked.version else "",
                ]
            items.append((key, "", hashes, indicator_id))
        stored, _dups = store_versions(collection, versions, clock=clock)
        counts.versions += len(stored)
        counts.revoked_items += len(items)
        _save_items(collection, items, replace=[key for key, *_rest in items], revoked=True)


def _publish_one(collection: Collection, now: datetime | None = None) -> dict[str, Any]:
    from hakusan.partners.policy import share_tlp, shareable_observables
    from hakusan.sharing import stix_export

    counts = _Counts()
    clock = _Clock(collection)
    state: dict[int, tuple[str, bool]] = {
        key: (digest, revoked)
        for key, digest, revoked in PublishedItem.objects.filter(collection=collection).values_list(
            "observable_id", "digest", "revoked"
        )
    }
    pending: Pending = []
    header = [
        stix_export.identity_object(),
        *stix_export.marking_objects(tlp_rules.levels_up_to(collection.tlp)),
    ]
    _queue_collection_item(header, state, pending)
    _flush(collection, pending, state, clock, _Counts())
    format_key = _format_key()
    # Objects many items share (extension-definitions of custom SCO types) belong to the
    # collection, not to one item.
    common: dict[str, dict[str, Any]] = {}
    shared: set[int] = set()
    observables = (
        shareable_observables(collection.tlp, now=now).only(*_OBSERVABLE_FIELDS).order_by("pk")
    )
    for obs in observables.iterator(chunk_size=PUBLISH_BATCH):
        shared.add(obs.pk)
        counts.items += 1
        fingerprint = _fingerprint(format_key, obs)
        previous = state.get(obs.pk)
        if previous is not None and previous[0] == fingerprint and not previous[1]:
            counts.unchanged += 1
            continue
        versions = []
        for obj in stix_export.observable_objects(obs, share_tlp(obs)):
            if obj["type"] in COLLECTION_TYPES:
                common[obj["id"]] = obj
            else:
                versions.append(new_version(obj))
        pending.append((obs.pk, versions, fingerprint))
        if len(pending) >= PUBLISH_BATCH:
            _flush(collection, pending, state, clock, counts)
    _flush(collection, pending, state, clock, counts)
    if common:
        _queue_collection_item([*header, *common.values()], state, pending)
        _flush(collection, pending, state, clock, _Counts())
    gone = [
        key
        for key, (_digest, revoked) in state.items()
        if key != COLLECTION_ITEM and not revoked and key not in shared
    ]
    if gone:
        _revoke(collection, gone, clock, counts)
    return counts.as_dict()


def _queue_collection_item(
    objects: list[dict[str, Any]], state: dict[int, tuple[str, bool]], pending: Pending
) -> None:
    """The collection-level objects (identity, markings, extension-definitions): queued when
    their content changed."""
    versions = [new_version(obj) for obj in objects]
    digest = protocol.content_hash("|".join(v.digest for v in versions))
    previous = state.get(COLLECTION_ITEM)
    if previous is None or previous[0] != digest:
        pending.append((COLLECTION_ITEM, versions, digest))


def publish(collection: Collection | None = None, *, now: datetime | None = None) -> dict:
    """Materialise what the sharing policy lets out into outbound collections (one, or all):
    a new version only for objects whose content changed; a revoked version of the indicator
    of items no longer shareable. Returns counts per collection alias."""
    targets = (
        [collection]
        if collection is not None
        else list(Collection.objects.filter(direction=Direction.OUTBOUND))
    )
    result: dict[str, Any] = {}
    for target in targets:
        if not target.outbound:
            raise ValueError(f"collection {target} is inbound: nothing to publish")
        with transaction.atomic():
            _lock(target)
            counts = _publish_locked(target, now)
        result[target.alias] = counts
    return result


def _publish_locked(collection: Collection, now: datetime | None) -> dict[str, Any]:
    """Publish under the collection's lock: clear ``dirty``, publish as of ``now`` and record
    that moment as ``published_at`` (what expired up to it has been revoked)."""
    moment = now or timezone.now()
    Collection.objects.filter(pk=collection.pk).update(dirty=False)
    counts = _publish_one(collection, now=moment)
    Collection.objects.filter(pk=collection.pk).update(published_at=moment)
    audit.record(
        None,
        "taxii.publish",
        collection,
        detail={"collection": collection.alias, "tlp": collection.tlp, **counts},
    )
    collection.dirty, collection.published_at = False, moment
    return counts


def expired_since_publish(
    collection: Collection, published_at: datetime | None, now: datetime | None = None
) -> bool:
    """Whether an observable the collection serves (published, not revoked) expired after the
    collection was last published (``published_at``) and by ``now``. Expiry comes with time,
    not with a change anyone signals, so ``dirty`` never says it. A range on
    ``Observable.expires_at`` joined to the collection's live items: cheap."""
    from hakusan.indicators.models import Observable

    moment = now or timezone.now()
    live = PublishedItem.objects.filter(collection=collection, revoked=False).values(
        "observable_id"
    )
    expired = Observable.objects.filter(expires_at__lte=moment, pk__in=live)
    if published_at is not None:
        expired = expired.filter(expires_at__gt=published_at)
    return expired.exists()


def needs_publishing(collection: Collection, now: datetime | None = None) -> bool:
    """Marked dirty (something shareable may have changed), or an item it serves expired since
    its last publish. Reads the collection's current state from the database."""
    row = Collection.objects.filter(pk=collection.pk).values_list("dirty", "published_at").first()
    if row is None:
        return False
    dirty, published_at = row
    return bool(dirty) or expired_since_publish(collection, published_at, now)


def publish_if_dirty(collection: Collection, *, now: datetime | None = None) -> dict | None:
    """Before serving a read, and in the periodic job: publish when the collection was marked
    dirty or an item it serves has expired since its last publish (revoked then). Checked
    again under the collection's lock, so concurrent readers wait for one publish and then
    find nothing to do."""
    if not collection.outbound or not needs_publishing(collection, now):
        return None
    with transaction.atomic():
        _lock(collection)
        if not needs_publishing(collection, now):
            return None
        return _publish_locked(collection, now)


# --- inbound --------------------------------------------------------------------------


class EnvelopeError(ValueError):
    pass


ENVELOPE_MEMBERS = frozenset({"objects", "more", "next"})


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


# What the columns of a stored object hold (SharedObject): longer is refused, not truncated.
_STORED_LIMITS = (
    ("id", SharedObject._meta.get_field("stix_id").max_length or 0),
    ("type", SharedObject._meta.get_field("type").max_length or 0),
    ("spec_version", SharedObject._meta.get_field("spec_version").max_length or 0),
)


def check_envelope(envelope: Any) -> list[dict[str, Any]]:
    """The objects of a TAXII envelope (TAXII 2.1 §3.7: ``objects``, optionally ``more`` and
    ``next``), each a JSON object with a STIX ``id`` and ``type``. Anything else is refused,
    naming the problem: a post that is not an envelope must not be acknowledged as accepted."""
    if not isinstance(envelope, dict):
        raise EnvelopeError(
            f"the body must be a TAXII envelope, a JSON object with 'objects' (got a JSON "
            f"{_json_kind(envelope)})"
        )
    if envelope.get("type") == "bundle":
        raise EnvelopeError(
            "the body is a STIX bundle; post a TAXII envelope instead: "
            '{"objects": [the bundle\'s objects]}'
        )
    unknown = sorted(set(envelope) - ENVELOPE_MEMBERS)
    if unknown:
        raise EnvelopeError(
            f"not a TAXII envelope: unknown member(s) {', '.join(map(repr, unknown))} (an "
            "envelope has 'objects', and optionally 'more' and 'next')"
        )
    if "objects" not in envelope:
        raise EnvelopeError("the TAXII envelope has no 'objects': nothing to add")
    objects = envelope["objects"]
    if not isinstance(objects, list):
        raise EnvelopeError(f"'objects' must be a list (got a JSON {_json_kind(objects)})")
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict):
            raise EnvelopeError(
                f"objects[{index}] is not a STIX object (got a JSON {_json_kind(obj)})"
            )
        stix_id, kind = obj.get("id"), obj.get("type")
        if not isinstance(kind, str) or not kind:
            raise EnvelopeError(f"objects[{index}] has no 'type'")
        if not isinstance(stix_id, str) or not stix_id.startswith(f"{kind}--"):
            raise EnvelopeError(f"objects[{index}]: 'id' must look like '{kind}--<uuid>'")
        for member in ("created", "modified", "spec_version"):
            if member in obj and not isinstance(obj[member], str):
                raise EnvelopeError(
                    f"objects[{index}]: '{member}' must be a string (got a JSON "
                    f"{_json_kind(obj[member])})"
                )
        for member, limit in _STORED_LIMITS:
            if member in obj and len(obj[member]) > limit:
                raise EnvelopeError(
                    f"objects[{index}]: '{member}' is longer than {limit} characters"
                )
        problem = unstorable(obj)
        if problem:
            raise EnvelopeError(f"objects[{index}]: {problem}")
        stamp = protocol.object_version(obj)
        if stamp:
            try:
                protocol.parse_timestamp(stamp, f"objects[{index}] modified/created")
            except protocol.ProtocolError as exc:
                raise EnvelopeError(exc.description) from None
    return objects


def _detail(stix_id: str, version: str, message: str = "") -> dict[str, str]:
    detail = {"id": stix_id, "version": version}
    if message:
        detail["message"] = message
    return detail


def _version_text(row: SharedObject) -> str:
    return protocol.stix_timestamp(row.version)


def add_objects(collection: Collection, partner: Partner, objects: list[dict[str, Any]]) -> Status:
    """Store a partner's posted objects in an inbound collection and record a status; the
    import into our store (``sharing.services.import_bundle``, pending an analyst's review)
    runs now for small posts, in a job for big ones (the status stays pending till done)."""
    status = _store_post(collection, partner, objects)
    if status.status == StatusValue.COMPLETE:
        return status
    if status.pending_count <= INLINE_IMPORT_MAX:
        return import_status(status.pk)
    from hakusan.core import jobs

    jobs.submit("taxii.import_inbound", {"status": str(status.pk)})
    return status


@transaction.atomic
def _store_post(collection: Collection, partner: Partner, objects: list[dict[str, Any]]) -> Status:
    if collection.outbound:
        raise ValueError(f"collection {collection} is outbound: partners cannot post to it")
    _lock(collection)
    clock = _Clock(collection)
    versions = [new_version(obj) for obj in objects]
    rows, duplicates = store_versions(collection, versions, clock=clock, posted_by=partner)
    failures = [
        _detail(d.obj["id"], protocol.object_version(d.obj) or "", "already in the collection")
        for d in duplicates
    ]
    status = Status.objects.create(
        api_root=collection.api_root,
        collection=collection,
        partner=partner,
        status=StatusValue.PENDING,
        total_count=len(objects),
        failure_count=len(failures),
        failures=failures,
        pending_count=len(rows),
        pendings=[_detail(stix_id, protocol.stix_timestamp(v)) for stix_id, v in rows],
    )
    audit.record(
        None,
        "taxii.post",
        status,
        detail={
            "partner": partner.pk,
            "partner_name": partner.name,
            "collection": collection.alias,
            "objects": len(objects),
            "stored": len(rows),
        },
    )
    if not rows:
        Status.objects.filter(pk=status.pk).update(status=StatusValue.COMPLETE)
        status.status = StatusValue.COMPLETE
    return status


def _outcomes(report: Any) -> dict[str, tuple[bool, str]]:
    """Per-object outcome of ``sharing.services.import_bundle``: {stix id: (ok, message)}.
    Skipped objects are failures (with the reason); the others wait for an analyst's review."""
    result: dict[str, tuple[bool, str]] = {}
    for line in report.objects:
        if line.outcome == "skipped":
            result[line.stix_id] = (False, line.reason or "skipped")
        else:
            result[line.stix_id] = (True, f"{line.outcome}; pending review")
    return result


def import_status(status_id: Any) -> Status:
    """Import the pending objects of a status into the store and complete the status."""
    from hakusan.sharing.services import import_bundle

    status = Status.objects.select_related("partner", "collection").get(pk=status_id)
    if status.status == StatusValue.COMPLETE:
        return status
    pending = {(p["id"], p["version"]) for p in status.pendings}
    ids = {stix_id for stix_id, _v in pending}
    bodies = [
        (row.stix_id, _version_text(row), row.body)
        for row in SharedObject.objects.filter(
            collection=status.collection, stix_id__in=list(ids), posted_by=status.partner
        ).only("stix_id", "version", "body")
    ]
    objects = [
        json.loads(body) for stix_id, version, body in bodies if (stix_id, version) in pending
    ]
    try:
        report = import_bundle(
            objects, partner=status.partner, pending=True, provenance=f"TAXII status {status.pk}"
        )
        outcomes = _outcomes(report)
        error = ""
    except Exception as exc:  # the status reports the failure to the partner
        log.exception("TAXII inbound import failed (status %s)", status.pk)
        outcomes, error = {}, f"import failed: {type(exc).__name__}"
    successes: list[dict[str, str]] = []
    failures: list[dict[str, str]] = list(status.failures)
    for item in status.pendings:
        ok, message = outcomes.get(item["id"], (not error, error))
        (successes if ok else failures).append(_detail(item["id"], item["version"], message))
    with transaction.atomic():
        Status.objects.filter(pk=status.pk).update(
            status=StatusValue.COMPLETE,
            success_count=len(successes),
            successes=successes,
            failure_count=len(failures),
            failures=failures,
            pending_count=0,
            pendings=[],
        )
    status.refresh_from_db()
    return status


@transaction.atomic
def delete_versions(
    collection: Collection, stix_id: str, rows: Sequence[SharedObject], *, partner: Partner
) -> int:
    """Remove versions of an object from a collection (not from our store: what a partner
    sent and we imported stays as its sightings). Keeps ``latest``/``first`` right."""
    _lock(collection)
    deleted, _per_model = SharedObject.objects.filter(pk__in=[r.pk for r in rows]).delete()
    rest = SharedObject.objects.filter(collection=collection, stix_id=stix_id)
    newest = rest.order_by("-version").first()
    oldest = rest.order_by("version").first()
    if newest is not None and not newest.latest:
        rest.filter(pk=newest.pk).update(latest=True)
    if oldest is not None and not oldest.first:
        rest.filter(pk=oldest.pk).update(first=True)
    audit.record(
        None,
        "taxii.delete",
        collection,
        detail={
            "partner": partner.pk,
            "partner_name": partner.name,
            "collection": collection.alias,
            "object": stix_id,
            "versions": deleted,
        },
    )
    return deleted


# --- collections (configuration) -------------------------------------------------------

# What ``update_collection`` may change. The API root and the direction are fixed: status
# resources name the API root, and an outbound collection's published versions (or an inbound
# one's partner posts) make no sense in the other direction. Create a new collection instead.
EDITABLE_COLLECTION_FIELDS = ("alias", "title", "description", "tlp", "kinds", "partners")


def _check_slug(value: Any, field: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError({field: f"a collection needs an {field.replace('_', ' ')}"})
    try:
        validate_slug(text)
    except ValidationError:
        raise ValidationError(
            {field: f"{text!r} is not a slug (letters, digits, '-' and '_' only)"}
        ) from None
    limit = int(getattr(Collection._meta.get_field(field), "max_length", 0) or 0)
    if len(text) > limit:
        raise ValidationError({field: f"{field.replace('_', ' ')} longer than {limit} characters"})
    return text


def _check_collection_tlp(value: Any) -> str:
    try:
        return tlp_rules.normalise(str(value or ""))
    except tlp_rules.UnknownTLP as exc:
        raise ValidationError({"tlp": str(exc)}) from None


def _check_collection_kinds(kinds: Iterable[str], direction: str) -> list[str]:
    cleaned = list(dict.fromkeys(str(kind).strip() for kind in kinds))
    unknown = sorted(set(cleaned) - set(ALL_DATA_KINDS))
    if unknown:
        raise ValidationError(
            {
                "kinds": f"unknown data kind(s): {', '.join(unknown)} "
                f"(known: {', '.join(ALL_DATA_KINDS)})"
            }
        )
    if direction == Direction.OUTBOUND and not cleaned:
        raise ValidationError(
            {
                "kinds": "an outbound collection needs at least one data kind (no partner could read it)"
            }
        )
    return cleaned


def _check_partners(partners: Iterable[Partner | int]) -> list[Partner]:
    wanted = [p.pk if isinstance(p, Partner) else int(p) for p in partners]
    found = {p.pk: p for p in Partner.objects.filter(pk__in=wanted)}
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise ValidationError(
            {"partners": f"unknown partner id(s): {', '.join(str(pk) for pk in missing)}"}
        )
    return [found[pk] for pk in dict.fromkeys(wanted)]


def _check_alias_free(api_root: str, alias: str, exclude: Any = None) -> None:
    clash = Collection.objects.filter(api_root=api_root, alias=alias)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError(
            {"alias": f"API root {api_root!r} already has a collection with alias {alias!r}"}
        )


def check_collection(
    *,
    alias: Any,
    title: Any,
    direction: Any,
    tlp: Any,
    kinds: Iterable[str],
    api_root: Any = DEFAULT_API_ROOT,
    description: Any = "",
    partners: Iterable[Partner | int] = (),
    exclude: Any = None,
) -> dict[str, Any]:
    """The cleaned fields of a collection, or a ``ValidationError`` naming each bad field (the
    admin form calls this too, so its errors stay on the form)."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}

    def attempt(field: str, check: Any) -> None:
        try:
            cleaned[field] = check()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)

    attempt("api_root", lambda: _check_slug(api_root, "api_root"))
    attempt("alias", lambda: _check_slug(alias, "alias"))

    def check_title() -> str:
        text = str(title or "").strip()
        if not text:
            raise ValidationError({"title": "a collection needs a title"})
        return text

    def check_direction() -> str:
        if direction not in Direction.values:
            raise ValidationError(
                {
                    "direction": f"unknown direction {direction!r} "
                    f"(known: {', '.join(Direction.values)})"
                }
            )
        return str(direction)

    attempt("title", check_title)
    attempt("direction", check_direction)
    attempt("tlp", lambda: _check_collection_tlp(tlp))
    if "direction" in cleaned:
        attempt("kinds", lambda: _check_collection_kinds(kinds, cleaned["direction"]))
    attempt("partners", lambda: _check_partners(partners))
    cleaned["description"] = str(description or "").strip()
    if "api_root" in cleaned and "alias" in cleaned:
        attempt(
            "_alias_free",
            lambda: _check_alias_free(cleaned["api_root"], cleaned["alias"], exclude),
        )
        cleaned.pop("_alias_free", None)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _collection_detail(collection: Collection, partners: Sequence[Partner]) -> dict[str, Any]:
    return {
        "api_root": collection.api_root,
        "alias": collection.alias,
        "title": collection.title,
        "direction": collection.direction,
        "tlp": collection.tlp,
        "kinds": list(collection.kinds),
        "partners": sorted(p.pk for p in partners),
    }


@transaction.atomic
def create_collection(
    alias: str,
    *,
    title: str,
    direction: str,
    tlp: str,
    kinds: Iterable[str],
    api_root: str = DEFAULT_API_ROOT,
    description: str = "",
    partners: Iterable[Partner | int] = (),
    user: Any = None,
) -> Collection:
    """A new TAXII collection (audited). An outbound one starts dirty: the first read
    publishes it. ``partners``: the partners allowed (all that qualify when empty)."""
    cleaned = check_collection(
        alias=alias,
        title=title,
        direction=direction,
        tlp=tlp,
        kinds=kinds,
        api_root=api_root,
        description=description,
        partners=partners,
    )
    allowed = cleaned.pop("partners")
    collection = Collection(**cleaned, dirty=True)
    collection.full_clean()
    collection.save()
    collection.partners.set(allowed)
    audit.record(
        user, "taxii.collection.create", collection, detail=_collection_detail(collection, allowed)
    )
    return collection


@transaction.atomic
def update_collection(collection: Collection, *, user: Any = None, **changes: Any) -> Collection:
    """Change a collection's ``EDITABLE_COLLECTION_FIELDS`` (audited with before and after).
    A TLP change of an outbound collection marks it dirty: the next read republishes it
    (items above the new level are revoked, items up to it added)."""
    unknown = sorted(set(changes) - set(EDITABLE_COLLECTION_FIELDS))
    if unknown:
        raise ValidationError(
            {
                "__all__": f"cannot change: {', '.join(unknown)} "
                f"(editable: {', '.join(EDITABLE_COLLECTION_FIELDS)})"
            }
        )
    current = Collection.objects.select_for_update().get(pk=collection.pk)
    current_partners = list(current.partners.order_by("pk"))
    merged: dict[str, Any] = {
        "alias": current.alias,
        "title": current.title,
        "description": current.description,
        "tlp": current.tlp,
        "kinds": current.kinds,
        "partners": current_partners,
        **changes,
    }
    cleaned = check_collection(
        api_root=current.api_root, direction=current.direction, exclude=current.pk, **merged
    )
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    fields: list[str] = []
    for field in ("alias", "title", "description", "tlp", "kinds"):
        if field in changes and getattr(current, field) != cleaned[field]:
            before[field], after[field] = getattr(current, field), cleaned[field]
            setattr(collection, field, cleaned[field])
            fields.append(field)
    new_partners = sorted(p.pk for p in cleaned["partners"])
    old_partners = [p.pk for p in current_partners]
    partners_changed = "partners" in changes and new_partners != old_partners
    if partners_changed:
        before["partners"], after["partners"] = old_partners, new_partners
    if not fields and not partners_changed:
        return collection
    if "tlp" in fields and current.outbound:
        collection.dirty = True
        fields.append("dirty")
    if fields:
        collection.full_clean()
        collection.save(update_fields=fields)
    if partners_changed:
        collection.partners.set(cleaned["partners"])
    audit.record(
        user,
        "taxii.collection.change",
        collection,
        detail={"collection": collection.alias, "before": before, "after": after},
    )
    return collection
