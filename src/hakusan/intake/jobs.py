"""Intake jobs: bulk import, SLA escalation, triage model retraining. Thin: parse, call
services, report progress."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError

from hakusan.core.jobs import InputRefused, JobContext, register_job
from hakusan.core.models import Department
from hakusan.domain.intake import ImportFormat, ReportDraft, RowError, parse_reports, write_rejects
from hakusan.domain.intake.keys import KeyKind, LineRanges, file_digest, import_key
from hakusan.domain.triage import LearnedTriager

from . import services
from .models import Report, TriageDecision

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
    rejects file with line number and reason. Re-running it is safe: rows filed by an earlier
    run (by external_ref, else by file digest, line and content) are skipped and counted."""
    user = ctx.user
    if user is None:
        raise ValueError("an import needs the user it is filed by")
    dept = Department.objects.get(code=department) if department else None
    user_department = user.department.code if user.department else ""
    source = Path(path)
    total_bytes = source.stat().st_size
    if total_bytes == 0:
        raise InputRefused(f"{source.name}: the file is empty")
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
    with source.open("rb") as stream:
        sha256 = file_digest(stream)
    errors: list[RowError] = []
    warnings: list[RowError] = []
    imported = 0
    batch: list[tuple[int, ReportDraft, str, KeyKind]] = []
    first_number = last_number = ""
    skipped_by = {KeyKind.EXTERNAL_REF: 0, KeyKind.ROW_DIGEST: 0}
    skipped_ranges = LineRanges()
    skipped_examples: list[dict[str, Any]] = []

    def file_rows(rows: list[tuple[int, ReportDraft, str, KeyKind]]) -> list[Report]:
        outcome = services.import_report_rows(
            user, [r[1] for r in rows], [r[2] for r in rows], department=dept
        )
        for i, (line, _draft, _key, kind) in enumerate(rows):
            if i not in outcome.skipped:
                skipped_ranges.filed()
                continue
            skipped_by[kind] += 1
            skipped_ranges.skipped(line)
            if len(skipped_examples) < 20:
                skipped_examples.append(
                    {"line": line, "by": str(kind), "report": outcome.skipped[i]}
                )
        return outcome.reports

    def flush() -> None:
        nonlocal imported, first_number, last_number
        if not batch:
            return
        try:
            reports = file_rows(batch)
        except (ValidationError, DatabaseError):
            # One bad row must not sink its batch: file them one by one to find it.
            reports = []
            for row in batch:
                line = row[0]
                try:
                    reports.extend(file_rows([row]))
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
        try:  # whole-file problems (UTF-16, a JSON array, no header): one line, no traceback
            rows = parse_reports(stream, fmt_resolved, filename=source.name, encoding=encoding)
        except ValueError as exc:
            raise InputRefused(f"{source.name}: {exc}") from None
        for line, row in rows:
            if isinstance(row, RowError):
                (warnings if row.warning else errors).append(row)
            else:
                # The department the row is filed for (as create_reports_bulk resolves it).
                code = dept.code if dept else row.station_code or user_department
                key = import_key(row, department=code, file_sha256=sha256, line=line)
                batch.append((line, row, *key))
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
        "skipped": sum(skipped_by.values()),
        "skipped_by": {str(kind): n for kind, n in skipped_by.items()},
        "skipped_lines": [list(r) for r in skipped_ranges.ranges],
        "skipped_lines_truncated": skipped_ranges.truncated,
        "skipped_examples": skipped_examples,
        "file_sha256": sha256,
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
