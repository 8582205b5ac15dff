"""Intake domain: report drafts and the streaming parser for bulk report imports.

Pure Python (no Django): ``hakusan import reports FILE`` and the intake services adapt these
results to models.
"""

from .drafts import (
    CHANNELS,
    FIELD_HELP,
    FIELDS,
    KINDS,
    REQUIRED_FIELDS,
    VICTIM_KINDS,
    VICTIM_ORG_SIZES,
    DraftError,
    ReportDraft,
    build_draft,
)
from .parse import ImportFormat, ParsedRow, RowError, parse_reports
from .rejects import write_rejects

__all__ = [
    "CHANNELS",
    "FIELDS",
    "FIELD_HELP",
    "KINDS",
    "REQUIRED_FIELDS",
    "VICTIM_KINDS",
    "VICTIM_ORG_SIZES",
    "DraftError",
    "ImportFormat",
    "ParsedRow",
    "ReportDraft",
    "RowError",
    "build_draft",
    "parse_reports",
    "write_rejects",
]
