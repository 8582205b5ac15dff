"""The audit log's head checkpoint: a file outside the database holding the chain's length, its
last entry's id and hash, and the position from which entries are keyed, with an HMAC.

``sync()`` runs after each committed append: under a file lock (several gunicorn workers and
Celery processes append), it checks that the entry the previous checkpoint named is still in
the table unchanged, then moves the checkpoint to the table's head. It only moves forward; a
head that went backwards or changed is written down as an incident that ``verify`` reports
for ever, so appends after a truncation do not wipe out the evidence; a missing checkpoint is
re-created by an append only at the start of the keyed log. Written atomically
(temporary file, fsync, rename); optionally copied to syslog.
"""

import fcntl
import hashlib
import hmac
import json
import logging
import os
import syslog
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from .audit_key import audit_key
from .models import AuditEntry

FORMAT = 1
MAX_INCIDENTS = 100
log = logging.getLogger("hakusan.audit")


class CheckpointInvalid(Exception):
    """The checkpoint file is unreadable or fails its MAC check."""


@dataclass
class Checkpoint:
    count: int  # the chain's length (the last entry's seq)
    last_id: int
    last_hash: str
    keyed_from: int | None  # seq of the first keyed entry, once there is one
    written_at: str = ""
    incidents: list[dict[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.count} entries, last id {self.last_id}, hash {self.last_hash[:16]}…"


def path() -> Path:
    return Path(settings.HAKUSAN_AUDIT_CHECKPOINT_FILE)


def _mac(key: bytes, body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hmac.new(key, text.encode("ascii"), hashlib.sha256).hexdigest()


def read(key: bytes) -> Checkpoint | None:
    """The checkpoint, or None if there is none yet; CheckpointInvalid if it does not verify."""
    try:
        raw = path().read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw)
        mac = data.pop("mac")
        if data.pop("format") != FORMAT:
            raise ValueError("unknown format")
    except (ValueError, KeyError, AttributeError, TypeError) as exc:
        raise CheckpointInvalid(f"checkpoint {path()} is unreadable ({exc})") from None
    if not hmac.compare_digest(str(mac), _mac(key, {**data, "format": FORMAT})):
        raise CheckpointInvalid(
            f"checkpoint {path()} fails its MAC check: altered, or written with another key"
        )
    try:
        return Checkpoint(**data)
    except TypeError as exc:
        raise CheckpointInvalid(f"checkpoint {path()} is unreadable ({exc})") from None


def _write(key: bytes, cp: Checkpoint) -> None:
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    body: dict[str, Any] = {**asdict(cp), "format": FORMAT}
    body["mac"] = _mac(key, body)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(body, handle, sort_keys=True, ensure_ascii=True)
        handle.flush()
        os.fsync(handle.fileno())
    # The content is durable before the rename, so a crash leaves the old checkpoint or the new
    # one, never a torn one. No fsync of the directory (a second disk flush per append): after
    # a power loss the checkpoint may be the previous one, behind the table, which is safe.
    os.replace(tmp, target)


@contextmanager
def _locked() -> Iterator[None]:
    lock = path().with_name(path().name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _to_syslog(priority: int, line: str) -> None:
    if settings.HAKUSAN_AUDIT_SYSLOG:
        syslog.openlog("hakusan-audit", 0, syslog.LOG_AUTHPRIV)
        syslog.syslog(priority, line)


def _incident(message: str) -> dict[str, str]:
    log.error("audit log: %s", message)
    _to_syslog(syslog.LOG_ALERT, f"INCIDENT {message}")
    return {"detected_at": timezone.now().isoformat(), "message": message}


def loss(
    cp: Checkpoint, named: tuple[int, str] | None, survivors_end: int | None, empty: bool
) -> str | None:
    """What became of the entries the checkpoint vouched for, from: the (seq, hash) of the
    entry with the checkpoint's last id, if it is still there; the last position among the
    entries up to that id (ids only grow, so later ones were appended since); whether the log
    is empty. None if nothing."""
    where = f"(last checkpoint: {cp.describe()})"
    if cp.count == 0:
        return None
    if empty:
        return f"the audit log is empty, but the checkpoint records {cp.describe()}"
    if named == (cp.count, cp.last_hash):
        return None
    if named is not None:
        return f"entry #{cp.count} (id {cp.last_id}) no longer matches the checkpoint {where}"
    return f"entries {(survivors_end or 0) + 1}..{cp.count} are missing {where}"


def _head_problem(previous: Checkpoint, empty: bool) -> str | None:
    named = AuditEntry.objects.filter(id=previous.last_id).values_list("seq", "entry_hash").first()
    survivors_end = None
    if named is None and not empty:
        survivors_end = (
            AuditEntry.objects.filter(id__lte=previous.last_id)
            .order_by("-id")
            .values_list("seq", flat=True)
            .first()
        )
    return loss(previous, named, survivors_end, empty)


def sync(appended_seq: int | None = None) -> None:
    """Move the checkpoint to the table's head; never backwards without recording why.

    ``appended_seq``: the entry whose commit runs this hook; None when an operator runs
    ``hakusan audit checkpoint``. Without a checkpoint file, the hook writes the first one only
    for the log's first keyed entries. If keyed entries came before, the checkpoint was lost
    (deleted, or its first write failed, or a new machine): a fresh one would vouch for
    whatever the table holds now, a cut tail included, so it stays absent and ``verify`` keeps
    reporting it until the operator writes one."""
    key = audit_key()
    with _locked():
        found: list[dict[str, str]] = []
        try:
            previous = read(key)
        except CheckpointInvalid as exc:
            previous = None
            found.append(_incident(f"{exc}; replaced"))
        # Read after taking the lock: whatever an earlier checkpoint vouched for has committed.
        head = AuditEntry.objects.order_by("-seq").values_list("seq", "id", "entry_hash").first()
        if previous is not None:
            if head == (previous.count, previous.last_id, previous.last_hash):
                return  # already there (an earlier append of this transaction wrote it)
            problem = _head_problem(previous, head is None)
            if problem:
                found.append(_incident(problem))
        elif head is None and not found:
            return
        elif not found and appended_seq is not None and _keyed_before(appended_seq):
            log.warning(
                "audit log: no checkpoint at %s although keyed entries precede #%d; "
                "not re-created (check 'hakusan audit verify', then 'hakusan audit checkpoint')",
                path(),
                appended_seq,
            )
            return
        incidents = (previous.incidents if previous else []) + found
        keyed_from = previous.keyed_from if previous else None
        if keyed_from is None:
            keyed_from = (
                AuditEntry.objects.filter(hash_version=AuditEntry.KEYED_HMAC)
                .order_by("seq")
                .values_list("seq", flat=True)
                .first()
            )
        cp = Checkpoint(
            count=head[0] if head else 0,
            last_id=head[1] if head else 0,
            last_hash=head[2] if head else "",
            keyed_from=keyed_from,
            written_at=timezone.now().isoformat(),
            incidents=incidents[:MAX_INCIDENTS],
        )
        _write(key, cp)
    _to_syslog(
        syslog.LOG_INFO,
        f"checkpoint count={cp.count} last_id={cp.last_id} last_hash={cp.last_hash}",
    )


def _keyed_before(seq: int) -> bool:
    return AuditEntry.objects.filter(hash_version=AuditEntry.KEYED_HMAC, seq__lt=seq).exists()


def sync_after_commit(appended_seq: int | None = None) -> None:
    """on_commit hook of the entry at ``appended_seq``. The entry has committed, so a failure
    here must not fail the request; it is logged, and the next append (or ``hakusan audit
    checkpoint``) catches up."""
    try:
        sync(appended_seq)
    except Exception:  # logged loudly; the audit entry itself has committed
        log.exception("audit log: the head checkpoint could not be written")
