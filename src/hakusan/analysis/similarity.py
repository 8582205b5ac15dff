"""The similar-case index (``hakusan.domain.correlation.SimilarityIndex``) over every case,
built by the ``analysis.build_similarity`` job and kept on disk in ``settings.DATA_DIR``.

A case's text is its title, summary and its reports' narratives; its observables are
``"type:value"`` strings without the warninglisted ones. The index file carries the
fingerprint of the data it was built from (``loaders.fingerprint``); a reader whose data has
moved on rebuilds inline when there are fewer than ``INLINE_LIMIT`` cases (a few seconds at
most) and otherwise queues the job (at most every ten minutes) and uses the file it has until
the job replaces it. Which
cases a user may see is decided on the results (``selectors.similar_cases``): the index holds
ids, the page shows only visible ones."""

import logging
import os
import pickle
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from hakusan.domain.correlation import CaseText, SimilarityIndex

from . import loaders

log = logging.getLogger(__name__)

INLINE_LIMIT = 500
REBUILD_AT_MOST_EVERY = timedelta(minutes=10)
FORMAT = 1


@dataclass
class StoredIndex:
    index: SimilarityIndex
    fingerprint: str
    built_at: datetime
    cases: int


_lock = threading.Lock()
_memo: dict[str, Any] = {}


def index_path() -> Path:
    return Path(settings.DATA_DIR) / "analysis" / "similarity.pickle"


def case_texts(case_ids: list[int] | None = None) -> list[CaseText]:
    texts = loaders.case_texts(case_ids)
    sets = loaders.case_observables(list(texts) if case_ids is not None else None)
    all_ids = {oid for obs in sets.values() for oid in obs}
    listed = loaders.warninglisted(all_ids)
    strings = loaders.observable_strings(all_ids - listed)
    return [
        CaseText(
            case_id=cid,
            text=text,
            observables=frozenset(strings[o] for o in sets.get(cid, ()) if o in strings),
        )
        for cid, text in texts.items()
    ]


def build(path: Path | None = None) -> StoredIndex:
    """Build the index over every case and write it (atomically) to disk."""
    fingerprint = loaders.fingerprint()
    index = SimilarityIndex.build(case_texts())
    stored = StoredIndex(index, fingerprint, timezone.now(), len(index))
    target = path or index_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".similarity-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump({"format": FORMAT, "stored": stored}, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with _lock:
        _memo.clear()
    return stored


def load(path: Path | None = None) -> StoredIndex | None:
    """The index on disk (memoised per file modification time), or None."""
    target = path or index_path()
    try:
        stamp = target.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    with _lock:
        if _memo.get("key") == (str(target), stamp):
            return _memo["stored"]
    try:
        with target.open("rb") as f:
            # Our own file in the data directory, written by build() above.
            payload = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        log.warning("similarity index %s unreadable (%s): rebuilding", target, exc)
        return None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        return None
    stored = payload["stored"]
    with _lock:
        _memo.update(key=(str(target), stamp), stored=stored)
    return stored


@dataclass
class Current:
    stored: StoredIndex | None
    stale: bool
    queued: bool = False


def current(*, inline_limit: int | None = None) -> Current:
    """The index to answer with now: fresh, rebuilt inline when small, or the stale one while
    the job rebuilds it (``queued``)."""
    from .jobs import queue_once

    stored = load()
    fingerprint = loaders.fingerprint()
    if stored is not None and stored.fingerprint == fingerprint:
        return Current(stored, stale=False)
    from hakusan.cases.models import Case

    limit = INLINE_LIMIT if inline_limit is None else inline_limit
    if Case.objects.count() < limit:
        return Current(build(), stale=False)
    if stored is not None and timezone.now() - stored.built_at < REBUILD_AT_MOST_EVERY:
        return Current(stored, stale=True)  # intake keeps changing the data: not every time
    queued = queue_once("analysis.build_similarity")
    return Current(stored, stale=True, queued=queued)
