"""Blocklists jobs: the JPCERT/CC phishing URL import (thin: files, progress, services)."""

from pathlib import Path
from typing import Any

from hakusan.core.jobs import JobContext, register_job

from . import services


@register_job("blocklists.import_jpcert")
def import_jpcert(
    ctx: JobContext,
    path: str,
    source: str = services.JPCERT_SOURCE,
    tlp: str = "clear",
    confidence: int = services.JPCERT_CONFIDENCE,
    rejects_path: str | None = None,
) -> dict[str, Any]:
    """Import a JPCERT/CC phishurl-list CSV, or a directory of them, as a phishing source."""
    files = services.jpcert_files(Path(path))
    total = sum(f.stat().st_size for f in files)

    def progress(done: int) -> None:
        ctx.progress(done, total)

    if rejects_path:
        # utf-8-sig: the rejects CSV opens with the right encoding in Excel.
        with open(rejects_path, "w", encoding="utf-8-sig", newline="") as rejects:
            result = services.import_jpcert(
                ctx.user,
                files,
                source_name=source,
                tlp=tlp,
                confidence=confidence,
                progress=progress,
                rejects=rejects,
            )
    else:
        result = services.import_jpcert(
            ctx.user, files, source_name=source, tlp=tlp, confidence=confidence, progress=progress
        )
    ctx.progress(total, total, force=True)
    out = result.as_dict()
    out["rejects_file"] = rejects_path if rejects_path and result.rejected else ""
    return out
