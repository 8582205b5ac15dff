"""Intake jobs: bulk import, SLA escalation, triage model retraining. Thin: parse, call
services, report progress."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError

from hakusan.core.jobs import JobContext, register_job
from hakusan.core.models import Department
from hakusan.domain.intake import ImportFormat, ReportDraft, RowError, parse_reports, write_rejects
from hakusan.domain.triage import LearnedTriager

from . import services
from .models import TriageDecision

BATCH = 500


@register_job("intake.import_reports")
def import_reports(
    ctx: JobContext,
    path: str,
    fmt: str | None = None,
    rejects_path: str | None = None,
    department: str | None = None,
    encoding: str | None = None,
) -> dict[str, Any]:
    """Import a CSV or JSON-lines file of reports: good rows are filed, bad rows go to the
    rejects file with line number and reason."""
    user = ctx.user
    if user is None:
        raise ValueError("an import needs the user it is filed by")
    dept = Department.objects.get(code=department) if department else None
    source = Path(path)
    total_bytes = source.stat().st_size
    fmt_resolved = (
        ImportFormat(fmt)
        if fmt
        else (
            ImportFormat.JSONL
            if source.suffix.lower() in (".jsonl", ".ndjson", ".json")
            else ImportFormat.CSV
        )
    )
    rejects_file = (
        Path(rejects_path)
        if rejects_path
        else source.with_name(
            source.stem + ".rejects" + (".csv" if fmt_resolved == ImportFormat.CSV else ".jsonl")
        )
    )
    errors: list[RowError] = []
    warnings: list[RowError] = []
    imported = 0
    batch: list[tuple[int, ReportDraft]] = []
    first_number = last_number = ""

    def flush() -> None:
        nonlocal imported, first_number, last_number
        if not batch:
            return
        try:
            reports = services.create_reports_bulk(user, [d for _, d in batch], department=dept)
        except (ValidationError, DatabaseError):
            # One bad row must not sink its batch: file them one by one to find it.
            reports = []
            for line, draft in batch:
                try:
                    reports.extend(services.create_reports_bulk(user, [draft], department=dept))
                except ValidationError as exc:
                    errors.append(RowError(line=line, message=_messages(exc), field=_fields(exc)))
                except DatabaseError as exc:
                    errors.append(RowError(line=line, message=f"database refused the row: {exc}"))
        if reports:
            first_number = first_number or reports[0].number
            last_number = reports[-1].number
        imported += len(reports)
        batch.clear()

    with source.open("rb") as stream:
        for line, row in parse_reports(
            stream, fmt_resolved, filename=source.name, encoding=encoding
        ):
            if isinstance(row, RowError):
                (warnings if row.warning else errors).append(row)
            else:
                batch.append((line, row))
                if len(batch) >= BATCH:
                    flush()
                    ctx.progress(stream.tell(), total_bytes)
        flush()
        ctx.progress(total_bytes, total_bytes, force=True)
    rejected = 0
    if errors:
        # utf-8-sig: Excel on a station PC opens the rejects CSV with the right encoding.
        encoding_out = "utf-8-sig" if fmt_resolved == ImportFormat.CSV else "utf-8"
        with rejects_file.open("w", encoding=encoding_out, newline="") as out:
            rejected = write_rejects(sorted(errors, key=lambda e: e.line), out, fmt_resolved)
    return {
        "imported": imported,
        "rejected": rejected,
        "rejects_file": str(rejects_file) if errors else "",
        "first": first_number,
        "last": last_number,
        "errors": [
            {"line": e.line, "field": e.field, "byte_offset": e.byte_offset, "message": e.message}
            for e in errors[:50]
        ],
        "warnings": [
            {"line": w.line, "field": w.field, "message": w.message} for w in warnings[:20]
        ],
    }


@register_job("intake.escalate_overdue")
def escalate_overdue(ctx: JobContext) -> dict[str, Any]:
    return {"escalated": services.escalate_overdue()}


@register_job("intake.retrain_triage")
def retrain_triage(ctx: JobContext) -> dict[str, Any]:
    """Retrain on the officers' confirmed decisions; too little data is a skip, not a failure."""
    decisions = TriageDecision.objects.count()
    if decisions < LearnedTriager.MIN_SAMPLES:
        return {
            "skipped": f"{decisions} confirmed decisions; at least "
            f"{LearnedTriager.MIN_SAMPLES} are needed"
        }
    model = services.train_triage_model(ctx.user)
    return {"model": model.pk, "samples": model.n_samples, "metrics": model.metrics}


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items())
    return "; ".join(exc.messages)


def _fields(exc: ValidationError) -> str | None:
    return ", ".join(exc.error_dict) if hasattr(exc, "error_dict") else None
