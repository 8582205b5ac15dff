"""Indicator jobs: bulk import of indicator files, warninglist re-flagging, enrichment. Thin:
parse, call services, report progress."""

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO, cast

from django.conf import settings

from hakusan.core.jobs import InputRefused, JobContext, register_job
from hakusan.domain.indicators import (
    IndicatorRow,
    RowError,
    format_of,
    parse_indicators,
    write_rejects,
)

from . import services
from .models import IndicatorSource

MAX_ERRORS_IN_RESULT = 50


class _Rejects:
    """Rejected rows streamed to a temporary JSON-lines file as they come (memory stays flat
    however many there are), then written as the rejects file in the wanted format."""

    def __init__(self, spool: TextIO) -> None:
        self.count = 0
        self.first: list[RowError] = []
        self._spool = spool

    def add(self, error: RowError) -> None:
        write_rejects([error], self._spool, "jsonl")
        self.count += 1
        if len(self.first) < MAX_ERRORS_IN_RESULT:
            self.first.append(error)

    def _read(self) -> Iterator[RowError]:
        self._spool.seek(0)
        for line in self._spool:
            row = json.loads(line)
            yield RowError(
                line=row["line"],
                message=row["message"],
                field=row["field"],
                byte_offset=row["byte_offset"],
                raw=row["raw"],
            )

    def write(self, path: Path, fmt: str) -> None:
        # utf-8-sig: Excel on a station PC opens the rejects CSV with the right encoding.
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        with path.open("w", encoding=encoding, newline="") as out:
            write_rejects(self._read(), out, fmt)


def _format(fmt: str | None) -> str | None:
    return str(format_of(fmt)) if fmt else None


@register_job("indicators.import")
def import_indicators(
    ctx: JobContext,
    path: str,
    source: str,
    tlp: str | None = None,
    tags: list[str] | None = None,
    fmt: str | None = None,
    encoding: str | None = None,
    rejects_path: str | None = None,
    create_source: bool = True,
    source_tlp: str | None = None,
) -> dict[str, Any]:
    """Import an indicator file (plain list, CSV, JSON lines, MISP attribute CSV) as
    sightings of the named source: good rows are stored, rejected rows go to the rejects
    file with line number, byte offset and reason. ``tlp`` (the operator's ``--tlp``) is a
    floor: a row the file marks more restrictive keeps its level; without it, rows the file
    does not mark take the source's default TLP (``source_tlp`` for a new source)."""
    user = ctx.user
    named = IndicatorSource.objects.filter(name=source).first()
    if named is None:
        if not create_source:
            raise ValueError(f"no indicator source named {source!r}")
        named = services.create_source(user, source, default_tlp=tlp or source_tlp or "amber")
    file = Path(path)
    try:
        total_bytes = file.stat().st_size
        stream = file.open("rb")
    except OSError as exc:
        raise InputRefused(f"{file.name}: {exc.strerror or exc}") from None
    if total_bytes == 0:
        stream.close()
        raise InputRefused(f"{file.name}: the file is empty")
    warnings: list[RowError] = []
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool, stream:
        rejects = _Rejects(cast(TextIO, spool))
        try:  # whole-file problems: unknown format or encoding, no header, a JSON array
            parsed = parse_indicators(stream, _format(fmt), filename=file.name, encoding=encoding)
        except ValueError as exc:
            raise InputRefused(f"{file.name}: {exc}") from None

        def rows() -> Iterator[IndicatorRow]:
            for _line, row in parsed:
                if isinstance(row, RowError):
                    if row.warning:
                        if len(warnings) < 20:
                            warnings.append(row)
                    else:
                        rejects.add(row)
                else:
                    yield row

        def progress(_stats: services.IngestStats) -> None:
            ctx.progress(stream.tell(), total_bytes)

        stats = services.import_indicators(
            user,
            named,
            rows(),
            tlp=tlp,
            tags=tags or (),
            file_name=file.name,
            progress=progress,
        )
        ctx.progress(total_bytes, total_bytes, force=True)
        rejects_format = (
            "jsonl" if fmt == "jsonl" or file.suffix.lower() in (".jsonl", ".ndjson") else "csv"
        )
        rejects_file = (
            Path(rejects_path)
            if rejects_path
            else file.with_name(file.stem + ".rejects." + rejects_format)
        )
        if rejects.count:
            rejects.write(rejects_file, rejects_format)
    return {
        "source": named.name,
        "source_id": named.pk,
        "imported": stats.offered,
        "rejected": rejects.count,
        "rejects_file": str(rejects_file) if rejects.count else "",
        "stats": stats.as_dict(),
        "errors": [
            {"line": e.line, "field": e.field, "byte_offset": e.byte_offset, "message": e.message}
            for e in rejects.first
        ],
        "warnings": [{"line": w.line, "field": w.field, "message": w.message} for w in warnings],
    }


@register_job("indicators.reflag_warninglists")
def reflag_warninglists(ctx: JobContext, batch_size: int = 10_000) -> dict[str, Any]:
    """Re-flag observables whose warninglist version is not the current lists' version."""
    return services.reflag_warninglists(batch_size=batch_size, progress=ctx.progress)


@register_job("indicators.enrich")
def enrich(ctx: JobContext, batch_size: int = 10_000) -> dict[str, Any]:
    """Enrich IP addresses not enriched yet; online enrichers only when a setting names them
    (HAKUSAN_ONLINE_ENRICHERS)."""
    online = getattr(settings, "HAKUSAN_ONLINE_ENRICHERS", ())
    return services.enrich_pending(
        batch_size=batch_size, allow_online=online, progress=ctx.progress
    )
