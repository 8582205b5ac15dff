"""Import keys: the rule that makes re-running a bulk import idempotent (no database)."""

import hashlib
import io
from datetime import UTC, datetime

from hakusan.domain.intake import ReportDraft
from hakusan.domain.intake.keys import (
    MAX_KEY_LENGTH,
    KeyKind,
    LineRanges,
    file_digest,
    import_key,
)

SHA = file_digest(io.BytesIO(b"channel,kind,narrative\n"))
ST = "kanazawa-chuo"


def draft(**kw) -> ReportDraft:
    values = {"channel": "web", "kind": "consultation", "narrative": "不審なSMSを受信した"}
    return ReportDraft(**{**values, **kw})


def test_file_digest_is_the_sha256_of_the_bytes_read_in_chunks():
    assert file_digest(io.BytesIO(b"")) == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    big = b"0123456789abcdef" * 200_000  # over one read chunk
    assert file_digest(io.BytesIO(big)) == hashlib.sha256(big).hexdigest()


def ref_key(dept: str = ST, **kw) -> str:
    return import_key(draft(**kw), department=dept, file_sha256=SHA, line=2)[0]


def test_an_external_ref_is_the_key_within_its_channel_and_department():
    key, kind = import_key(draft(external_ref="IHC-1"), department=ST, file_sha256=SHA, line=2)
    assert (key, kind) == ("ref:web:kanazawa-chuo:IHC-1", KeyKind.EXTERNAL_REF)
    # another file, another line, other content: the same reference is the same report
    other = draft(external_ref="IHC-1", narrative="別の文面")
    assert import_key(other, department=ST, file_sha256="0" * 64, line=90)[0] == key
    assert ref_key(external_ref="IHC-1", channel="ihc") != key
    # Two stations (or partners) numbering their references from "1": two reports.
    assert ref_key("hakusan-st", external_ref="IHC-1") == "ref:web:hakusan-st:IHC-1"


def test_a_long_external_ref_still_fits_the_column():
    key, kind = import_key(draft(external_ref="x" * 150), department=ST, file_sha256=SHA, line=2)
    assert kind == KeyKind.EXTERNAL_REF and len(key) <= MAX_KEY_LENGTH
    assert key.startswith("ref:web:kanazawa-chuo:sha256:")
    assert key != ref_key(external_ref="x" * 149 + "y")
    assert key != ref_key("hakusan-st", external_ref="x" * 150)
    longest = ref_key("d" * 40, external_ref="x" * 200, channel="partner")  # slug max 40
    assert len(longest) <= MAX_KEY_LENGTH


def test_without_a_reference_the_key_is_file_line_and_content():
    key, kind = import_key(draft(), department=ST, file_sha256=SHA, line=2)
    assert kind == KeyKind.ROW_DIGEST and key.startswith("row:") and len(key) <= MAX_KEY_LENGTH
    assert (
        import_key(draft(), department=ST, file_sha256=SHA, line=2)[0] == key
    )  # a re-run: the same key
    assert (
        import_key(draft(), department=ST, file_sha256=SHA, line=3)[0] != key
    )  # identical row, next line
    assert (
        import_key(draft(), department=ST, file_sha256="0" * 64, line=2)[0] != key
    )  # another file
    changed = draft(received_at=datetime(2026, 4, 1, tzinfo=UTC))
    assert import_key(changed, department=ST, file_sha256=SHA, line=2)[0] != key


def test_skipped_lines_are_summarised_as_ranges_broken_only_by_filed_rows():
    ranges = LineRanges(limit=2)
    for line in (2, 3, 7):  # line 4-6 rejected or multi-line records: still one range
        ranges.skipped(line)
    ranges.filed()
    ranges.skipped(9)
    ranges.filed()
    ranges.skipped(12)
    assert ranges.ranges == [(2, 7), (9, 9)] and ranges.truncated
