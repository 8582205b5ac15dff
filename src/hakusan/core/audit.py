"""The audit service: the only writer of ``AuditEntry``; and the chain verifier."""

import hashlib
import hmac
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from . import audit_checkpoint, audit_guard
from .audit_key import AuditKeyMissing, audit_key
from .models import AuditEntry, User

GENESIS = "0" * 64
# Arbitrary constant key for PostgreSQL's advisory lock: serialises appends to the chain.
_PG_LOCK_KEY = 0x48414B55


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "detail": entry.detail,
        "ip": entry.ip_address,
    }


def legacy_digest(prev_hash: str, entry: AuditEntry) -> str:
    """Hash version 1 (entries written before migration 0002): plain SHA-256, as it was then.
    ``surrogatepass`` gives the same bytes for any text that could be stored then."""
    body = json.dumps(
        {"prev": prev_hash, **_fields(entry)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def keyed_digest(key: bytes, prev_hash: str, entry: AuditEntry) -> str:
    """Hash version 2: HMAC-SHA256 over the entry, its position and the previous hash. ASCII
    JSON so that any text (a lone surrogate in ``detail`` included) hashes."""
    body = json.dumps(
        {"v": AuditEntry.KEYED_HMAC, "prev": prev_hash, "seq": entry.seq, **_fields(entry)},
        sort_keys=True,
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hmac.new(key, body.encode("ascii"), hashlib.sha256).hexdigest()


def _storable_text(text: str) -> str:
    """Text every database keeps: PostgreSQL refuses NUL and lone surrogates (in text and
    jsonb alike), so they become U+FFFD instead of failing the write being audited."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _float_survives_jsonb(value: float) -> bool:
    """Whether a float reads back from PostgreSQL's jsonb as written: jsonb keeps numbers as
    numeric, so 1e+16 comes back as 10000000000000000 and -0.0 as 0.0 (the hash would no
    longer match). Those are kept as their text instead."""
    text = repr(value)
    return math.isfinite(value) and "e" not in text and text != "-0.0"


def _storable(value: Any) -> Any:
    """``detail`` as plain JSON values with storable text (iterative: depth cannot crash it)."""
    root = json.loads(json.dumps(value or {}, default=str))
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in list(items):
            if isinstance(v, str):
                node[k] = _storable_text(v)
            elif isinstance(v, float) and not _float_survives_jsonb(v):
                node[k] = repr(v)
            elif isinstance(v, dict | list):
                stack.append(v)
        if isinstance(node, dict) and any(
            isinstance(k, str) and _storable_text(k) != k for k in node
        ):
            for k in [k for k in node if _storable_text(k) != k]:
                node[_storable_text(k)] = node.pop(k)
    return root


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    actor: User | None,
    action: str,
    obj: Model | None = None,
    *,
    object_type: str = "",
    object_id: str | int = "",
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one entry. Runs in (or joins) a transaction so it commits with the change."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    user = actor if actor is not None and actor.is_authenticated else None
    key = audit_key()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        last = AuditEntry.objects.order_by("-seq").values_list("entry_hash", "seq").first()
        prev, seq = last or (GENESIS, 0)
        entry = AuditEntry(
            at=timezone.now(),
            actor=user,
            actor_name=user.username if user else "",
            action=action,
            object_type=_storable_text(object_type),
            object_id=_storable_text(str(object_id)),
            detail=_storable(detail),
            ip_address=_client_ip(request),
            prev_hash=prev,
            seq=seq + 1,
            hash_version=AuditEntry.KEYED_HMAC,
        )
        entry.entry_hash = keyed_digest(key, prev, entry)
        entry.save()
        # After commit only: a rolled-back append must not leave the checkpoint ahead.
        transaction.on_commit(partial(audit_checkpoint.sync_after_commit, entry.seq))
    return entry


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int | None  # None: a problem of the log as a whole (tail, checkpoint, triggers)
    message: str
    kind: str = ""  # "no_checkpoint": what ``hakusan audit checkpoint`` is for

    def __str__(self) -> str:
        return self.message if self.entry_id is None else f"entry {self.entry_id}: {self.message}"


def _key_and_checkpoint() -> tuple[bytes | None, audit_checkpoint.Checkpoint | None, str]:
    """The key, the checkpoint, and what stands in the way of either ("" if nothing)."""
    try:
        key = audit_key(create=False)
    except (AuditKeyMissing, ImproperlyConfigured) as exc:
        return None, None, f"{exc}: keyed entries and the checkpoint cannot be verified"
    try:
        checkpoint = audit_checkpoint.read(key)
    except audit_checkpoint.CheckpointInvalid as exc:
        return key, None, str(exc)
    return key, checkpoint, ""


def _entry_problems(
    entry: AuditEntry, prev: str, expected_seq: int, key: bytes | None, keyed_since: int | None
) -> Iterator[str]:
    if entry.seq > expected_seq:
        yield f"entries {expected_seq}..{entry.seq - 1} are missing before it"
    elif entry.seq < expected_seq:
        yield f"position {entry.seq} repeated or out of order (expected {expected_seq})"
    elif entry.prev_hash != prev:
        yield "previous hash does not match: an entry before it was removed or altered"
    if entry.hash_version == AuditEntry.KEYED_HMAC:
        if key is not None and not hmac.compare_digest(
            keyed_digest(key, entry.prev_hash, entry), entry.entry_hash
        ):
            yield "content does not match its keyed hash: entry altered"
    elif entry.hash_version == AuditEntry.LEGACY_SHA256:
        if keyed_since is not None and entry.seq >= keyed_since:
            yield (
                f"unkeyed (legacy) hash where entries are keyed (from #{keyed_since}): "
                "rewritten without the key"
            )
        if legacy_digest(entry.prev_hash, entry) != entry.entry_hash:
            yield "content does not match its hash: entry altered"
    else:
        yield f"unknown hash version {entry.hash_version}"


def verify_chain(batch: int = 5000) -> Iterator[ChainProblem | int]:
    """Yield the number of entries checked so far, and a problem wherever the log is not what
    was written: a broken link, an altered entry, a gap, a removed tail or an emptied log
    (against the checkpoint), a missing trigger. The checkpoint is read first: whatever it
    vouches for had committed before the table is read."""
    key, checkpoint, trouble = _key_and_checkpoint()
    if trouble:
        yield ChainProblem(None, trouble)
    for name in audit_guard.missing(connection):
        yield ChainProblem(None, f"the append-only trigger {name} is missing or disabled")
    for incident in checkpoint.incidents if checkpoint else []:
        yield ChainProblem(
            None, f"found by the application at {incident['detected_at']}: {incident['message']}"
        )
    prev, expected_seq, checked, last_id = GENESIS, 1, 0, 0
    keyed_since = checkpoint.keyed_from if checkpoint else None
    named: tuple[int, str] | None = None  # (seq, hash) of the checkpoint's last entry
    survivors_end: int | None = None  # last position among entries up to that id
    while True:
        rows = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            break
        for entry in rows:
            for message in _entry_problems(entry, prev, expected_seq, key, keyed_since):
                yield ChainProblem(entry.id, message)
            if entry.hash_version == AuditEntry.KEYED_HMAC and keyed_since is None:
                keyed_since = entry.seq  # no legacy entry may follow a keyed one
            if checkpoint is not None and entry.id <= checkpoint.last_id:
                survivors_end = entry.seq
                if entry.id == checkpoint.last_id:
                    named = (entry.seq, entry.entry_hash)
            prev, expected_seq, last_id = entry.entry_hash, entry.seq + 1, entry.id
            checked += 1
        yield checked
    if checkpoint is not None:
        tail = audit_checkpoint.loss(checkpoint, named, survivors_end, checked == 0)
        if tail:
            yield ChainProblem(None, tail)
    elif key is not None and not trouble and checked:
        yield ChainProblem(
            None,
            f"no checkpoint at {audit_checkpoint.path()}: a removed tail cannot be detected "
            "(after upgrading, run 'hakusan audit checkpoint' once)",
            kind="no_checkpoint",
        )
