"""The audit service: the only writer of ``AuditEntry``; and the chain verifier."""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from .models import AuditEntry, User

GENESIS = "0" * 64
# Arbitrary constant key for PostgreSQL's advisory lock: serialises appends to the chain.
_PG_LOCK_KEY = 0x48414B55


def _digest(prev_hash: str, entry: AuditEntry) -> str:
    body = json.dumps(
        {
            "prev": prev_hash,
            "at": entry.at.isoformat(),
            "actor": entry.actor_id,
            "actor_name": entry.actor_name,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "detail": entry.detail,
            "ip": entry.ip_address,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


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
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        last = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
        prev = last or GENESIS
        entry = AuditEntry(
            at=timezone.now(),
            actor=user,
            actor_name=user.username if user else "",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            detail=json.loads(json.dumps(detail or {}, default=str)),
            ip_address=_client_ip(request),
            prev_hash=prev,
        )
        entry.entry_hash = _digest(prev, entry)
        entry.save()
    return entry


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    message: str


def verify_chain(batch: int = 5000) -> Iterator[ChainProblem | int]:
    """Yield the number of entries checked so far, and a problem wherever the chain breaks."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            return
        for entry in rows:
            if entry.prev_hash != prev:
                yield ChainProblem(
                    entry.id,
                    "previous hash does not match: an entry before it was removed or altered",
                )
            if _digest(entry.prev_hash, entry) != entry.entry_hash:
                yield ChainProblem(entry.id, "content does not match its hash: entry altered")
            prev = entry.entry_hash
            last_id = entry.id
            checked += 1
        yield checked
