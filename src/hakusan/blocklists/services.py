"""Writes of the blocklists app: the feeds' data version, the audit of every feed fetch, and the
JPCERT/CC phishing URL import (through the indicators ingest path: no store of its own)."""

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from hakusan.core import audit
from hakusan.core.choices import TLP
from hakusan.core.models import User
from hakusan.domain.blocklists import JPCERT_DESCRIPTION, parse_jpcert
from hakusan.domain.indicators import IndicatorRow, RowError
from hakusan.indicators import services as indicators
from hakusan.indicators.models import IndicatorSource, Observable
from hakusan.partners.models import Partner

from .models import FeedState

JPCERT_SOURCE = "JPCERT/CC phishing URLs"
JPCERT_CONFIDENCE = 80
MAX_ERRORS_KEPT = 50


def note_change(reason: str = "") -> None:
    """Bump the feeds' data generation (receiver of ``indicators_changed``): every ETag
    changes. Bookkeeping, not a user action: not audited."""
    now = timezone.now()
    if not FeedState.objects.filter(pk=1).update(generation=F("generation") + 1, changed_at=now):
        _state, created = FeedState.objects.get_or_create(
            pk=1, defaults={"generation": 1, "changed_at": now}
        )
        if not created:
            FeedState.objects.filter(pk=1).update(generation=F("generation") + 1, changed_at=now)


def record_fetch(
    partner: Partner,
    *,
    feed: str,
    fmt: str,
    status: int,
    count: int | None = None,
    etag: str = "",
    complete: bool = True,
    method: str = "GET",
) -> None:
    """The audit entry of one feed request by a partner (200, 304 or 403)."""
    detail: dict[str, Any] = {
        "partner": partner.pk,
        "partner_name": partner.name,
        "feed": feed,
        "format": fmt,
        "status": status,
        "method": method,
        "max_tlp": partner.max_tlp,
    }
    if count is not None:
        detail["count"] = count
    if etag:
        detail["etag"] = etag
    if not complete:
        detail["complete"] = False  # the client went away before the end
    audit.record(
        None,
        "blocklist.fetch",
        object_type="partners.partner",
        object_id=partner.pk,
        detail=detail,
    )


# --- JPCERT/CC phishing URL import ------------------------------------------------------------


@dataclass
class JpcertImport:
    source: IndicatorSource
    files: int = 0
    rows: int = 0  # good rows offered to the store
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # the first MAX_ERRORS_KEPT
    stats: indicators.IngestStats = field(default_factory=indicators.IngestStats)
    observables: int = 0  # distinct URLs of the source after the import
    warninglisted: int = 0  # of those, on a warninglist: left out of every feed
    warninglists: list[tuple[str, int]] = field(default_factory=list)  # top lists hit

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.name,
            "source_id": self.source.pk,
            "files": self.files,
            "imported": self.rows,
            "rejected": self.rejected,
            "errors": self.errors,
            "stats": self.stats.as_dict(),
            "observables": self.observables,
            "warninglisted": self.warninglisted,
            "warninglists": [{"name": n, "count": c} for n, c in self.warninglists],
        }


def jpcert_files(path: Path) -> list[Path]:
    """The monthly CSV files at ``path`` (a file, or a directory of ``*.csv``), in name order."""
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.glob("*.csv") if p.is_file())
        if not files:
            raise ValidationError(f"{path}: no .csv files in this directory")
        return files
    raise ValidationError(f"{path}: no such file or directory")


def jpcert_source(user: User | None, name: str, *, tlp: str) -> IndicatorSource:
    """The named source, created (with the dataset's description and attribution) if new."""
    source = IndicatorSource.objects.filter(name=name.strip()).first()
    if source is not None:
        return source
    return indicators.create_source(user, name, description=JPCERT_DESCRIPTION, default_tlp=tlp)


def import_jpcert(
    user: User | None,
    files: Iterable[Path],
    *,
    source_name: str = JPCERT_SOURCE,
    tlp: str = TLP.CLEAR,
    confidence: int = JPCERT_CONFIDENCE,
    progress: Callable[[int], None] | None = None,
    rejects: TextIO | None = None,
    batch_size: int = 20_000,
) -> JpcertImport:
    """Import JPCERT/CC phishurl-list files as sightings of one indicator source (kind
    ``feed``): URLs tagged ``phishing`` and ``brand:<brand>``, seen at JPCERT/CC's confirmation
    time (JST), at ``tlp`` and ``confidence``. Streamed (the store writes in batches); bad rows
    are counted, the first ones kept with file and line, all written to ``rejects`` (CSV) when
    given; the import goes on. ``progress`` is called with the bytes read so far, after each
    batch of ``batch_size`` rows is written. One audit
    entry for the import (``indicators.import_indicators``) and one for this command."""
    if tlp not in TLP.values:
        raise ValidationError({"tlp": f"unknown TLP {tlp!r} (known: {', '.join(TLP.values)})"})
    if not 0 <= confidence <= 100:
        raise ValidationError({"confidence": f"confidence {confidence} is outside 0–100"})
    paths = list(files)
    source = jpcert_source(user, source_name, tlp=tlp)
    result = JpcertImport(source=source)
    writer = csv.writer(rejects) if rejects is not None else None
    if writer is not None:
        writer.writerow(("file", "line", "byte_offset", "field", "message", "raw"))
    read = {"bytes": 0}  # bytes of the input read so far (for progress)

    def reject(name: str, error: RowError) -> None:
        result.rejected += 1
        if len(result.errors) < MAX_ERRORS_KEPT:
            result.errors.append(
                {
                    "file": name,
                    "line": error.line,
                    "byte_offset": error.byte_offset,
                    "field": error.field,
                    "message": error.message,
                }
            )
        if writer is not None:
            writer.writerow(
                (name, error.line, error.byte_offset, error.field or "", error.message, error.raw)
            )

    def rows() -> Iterator[IndicatorRow]:
        # No database access here: on a bulk import the store writes on a second thread while
        # this generator is read (SQLite allows one writer), so progress is reported from the
        # store's callback, after each batch is written.
        done = 0
        for path in paths:
            with path.open("rb") as stream:
                for row in _file_rows(path, stream, confidence, reject):
                    result.rows += 1
                    if result.rows % 1000 == 0:
                        read["bytes"] = done + stream.tell()
                    yield row
            done += path.stat().st_size
            read["bytes"] = done
            result.files += 1

    def written(_stats: indicators.IngestStats) -> None:
        if progress is not None:
            progress(read["bytes"])

    result.stats = indicators.import_indicators(
        user,
        source,
        rows(),
        tlp=tlp,
        file_name=", ".join(p.name for p in paths)[:500],
        batch_size=batch_size,
        progress=written,
    )
    _count_flags(result)
    audit.record(
        user,
        "blocklists.import_jpcert",
        source,
        detail={
            "files": result.files,
            "imported": result.rows,
            "rejected": result.rejected,
            "observables": result.observables,
            "warninglisted": result.warninglisted,
            "tlp": tlp,
            "confidence": confidence,
        },
    )
    return result


def _file_rows(
    path: Path,
    stream: BinaryIO,
    confidence: int,
    reject: Callable[[str, RowError], None],
) -> Iterator[IndicatorRow]:
    try:
        parsed = parse_jpcert(stream, filename=path.name, confidence=confidence)
    except ValueError as exc:  # not a JPCERT list: the whole file is one reject
        reject(path.name, RowError(1, str(exc), None, 0, ""))
        return
    for _line, row in parsed:
        if isinstance(row, RowError):
            reject(path.name, row)
        else:
            yield row


def _count_flags(result: JpcertImport) -> None:
    mine = Observable.objects.filter(
        sightings__source_kind="feed", sightings__source_id=result.source.pk
    )
    result.observables = mine.count()
    flagged = mine.exclude(warninglist_hits=[])
    result.warninglisted = flagged.count()
    names: Counter[str] = Counter()
    for hits in flagged.values_list("warninglist_hits", flat=True).iterator(chunk_size=2000):
        for hit in hits or []:
            names[hit.get("name") or hit.get("slug") or "?"] += 1
    result.warninglists = names.most_common(10)
