"""Import keys: what makes re-running a bulk import idempotent.

A report row carries an import key that is stored with the report; a row whose key is already
stored is skipped. The key is the row's ``external_ref`` (scoped by its channel and by the
department the row is filed for -- its ``station_code``, else the importing user's -- so that
two stations or partners numbering their references from "1" do not collide) when the row
gives one, else a digest of the file's
content, the row's line number and the row's normalised content. The line number keeps two
identical rows of one file apart (both are filed once each); the file digest keeps identical
rows of two different files apart. Re-running the same file therefore skips exactly the rows
an earlier, interrupted run filed.
"""

import dataclasses
import hashlib
import json
from enum import StrEnum
from typing import BinaryIO

from .drafts import ReportDraft

MAX_KEY_LENGTH = 160
_CHUNK = 1 << 20


class KeyKind(StrEnum):
    EXTERNAL_REF = "external_ref"
    ROW_DIGEST = "row_digest"


def file_digest(stream: BinaryIO) -> str:
    """SHA-256 of a file's bytes, read in chunks (the stream is left at its end)."""
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _canonical(draft: ReportDraft) -> str:
    values = {f.name: getattr(draft, f.name) for f in dataclasses.fields(draft)}
    return json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)


def import_key(
    draft: ReportDraft, *, department: str, file_sha256: str, line: int
) -> tuple[str, KeyKind]:
    """The key a row is stored and looked up under, and which rule made it. ``department``
    is the code of the department the row is filed for (a slug: it holds no ``:``)."""
    if draft.external_ref:
        scope = f"ref:{draft.channel}:{department}"
        key = f"{scope}:{draft.external_ref}"
        if len(key) <= MAX_KEY_LENGTH:
            return key, KeyKind.EXTERNAL_REF
        # Longer than the column: still one key per (channel, department, reference).
        ref = hashlib.sha256(draft.external_ref.encode()).hexdigest()
        return f"{scope}:sha256:{ref}", KeyKind.EXTERNAL_REF
    material = f"{file_sha256}\n{line}\n{_canonical(draft)}".encode()
    return f"row:{hashlib.sha256(material).hexdigest()}", KeyKind.ROW_DIGEST


class LineRanges:
    """Skipped rows as line ranges, for a summary a person can read: a range runs until a
    row is filed (rejected rows do not break it), so a re-run of an interrupted import
    usually reports one range however the rows are spread over lines. At most ``limit``
    ranges are kept; ``truncated`` says when more were seen."""

    def __init__(self, limit: int = 20) -> None:
        self.limit = limit
        self.ranges: list[tuple[int, int]] = []
        self.truncated = False
        self._open = False

    def skipped(self, line: int) -> None:
        if self._open and self.ranges:
            self.ranges[-1] = (self.ranges[-1][0], line)
        elif len(self.ranges) < self.limit:
            self.ranges.append((line, line))
            self._open = True
        else:
            self.truncated = True

    def filed(self) -> None:
        self._open = False
