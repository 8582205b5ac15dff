"""Bulk report import parsing: CSV and JSON Lines, encodings, errors, streaming."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hakusan.domain.intake import (
    FIELDS,
    DraftError,
    ImportFormat,
    ParsedRow,
    ReportDraft,
    RowError,
    build_draft,
    parse_reports,
    write_rejects,
)
from hakusan.domain.intake import parse as parse_module
from hakusan.domain.intake.drafts import TOKYO, parse_amount, parse_datetime

DATA = Path(__file__).resolve().parents[2] / "data" / "import"
JST = timezone(timedelta(hours=9))
HEADER = b"channel,kind,narrative,damage_amount,received_at,items\n"


def parse_bytes(data: bytes, fmt: str | None = "csv", **kwargs: str) -> list[ParsedRow]:
    return list(parse_reports(io.BytesIO(data), fmt, **kwargs))


def parse_file(name: str, **kwargs: str) -> list[ParsedRow]:
    with (DATA / name).open("rb") as stream:
        return list(parse_reports(stream, filename=name, **kwargs))


def drafts(rows: Iterable[ParsedRow]) -> list[tuple[int, ReportDraft]]:
    return [(line, r) for line, r in rows if isinstance(r, ReportDraft)]


def errors(rows: Iterable[ParsedRow]) -> list[RowError]:
    return [r for _, r in rows if isinstance(r, RowError) and not r.warning]


def line_offsets(data: bytes) -> dict[int, int]:
    """1-based line number -> file offset of the line's first byte."""
    offsets, position = {}, 0
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        offsets[number] = position
        position += len(line)
    return offsets


# -- sample files ---------------------------------------------------------------------------


def test_good_csv_parses_fully_with_bom_crlf_and_multiline_records() -> None:
    rows = parse_file("good.csv")
    assert errors(rows) == [] and all(isinstance(r, ReportDraft) for _, r in rows)
    assert [line for line, _ in rows] == [2, 3, 6, 7, 8]
    first, second, patrol, ihc, visit = (r for _, r in drafts(rows))

    assert first.channel == "web" and first.kind == "report"
    assert first.received_at == datetime(2024, 5, 1, 9, 30, tzinfo=JST)
    assert first.occurred_at == datetime(2024, 4, 30, 21, 15, tzinfo=TOKYO)
    assert first.damage_amount == 150_000
    assert first.items == ("https://delivery-check.example.jp/login", "+81-80-0000-0000")
    assert (first.category_code, first.station_code, first.external_ref) == (
        "phishing",
        "CY01",
        "WEB-2024-0001",
    )

    assert (second.channel, second.kind) == ("phone", "consultation")
    assert second.narrative == (
        "取引先を名乗るメールで振込先の変更を依頼された。\n添付の請求書は偽物と思われる。"
    )
    assert (second.victim_kind, second.victim_org_size, second.victim_industry) == (
        "company",
        "sme",
        "製造業",
    )
    assert second.damage_amount == 1_200_000
    assert second.items == ("From: keiri@example.jp", "Reply-To: keiri@invoice-example.jp")

    assert (patrol.channel, patrol.kind, patrol.items) == (
        "patrol",
        "information",
        ("http://192.0.2.10/tool.zip",),
    )
    assert ihc.channel == "ihc" and ihc.damage_amount == 0
    assert ihc.received_at == datetime(2024, 5, 4, 1, 0, tzinfo=UTC)
    assert (visit.channel, visit.victim_kind, visit.damage_amount) == ("visit", "person", 50_000)
    assert visit.received_at == datetime(2024, 5, 5, 13, 20, tzinfo=TOKYO)  # full-width input


def test_mixed_csv_keeps_good_rows_and_reports_bad_ones_on_their_first_line() -> None:
    data = (DATA / "mixed.csv").read_bytes()
    offsets = line_offsets(data)
    rows = parse_file("mixed.csv")

    warning = rows[0][1]
    assert isinstance(warning, RowError) and warning.warning
    assert (warning.line, warning.field) == (1, "note")
    assert "unknown column(s) ignored: note" in warning.message

    assert [line for line, _ in drafts(rows)] == [2, 11, 14]
    got = {e.line: e for e in errors(rows)}
    assert sorted(got) == [3, 4, 7, 9, 10, 12, 13]
    assert got[3].field == "channel" and "'fax'" in got[3].message
    assert got[4].field == "damage_amount"  # a record spanning lines 4-6
    assert got[4].message == "damage_amount: '12万' is not an amount in yen"
    assert got[4].raw == 'phone,consultation,"複数行の\n相談内容\nです",12万,,'
    assert got[7].field == "narrative"
    assert got[9].field == "received_at" and "2024/02/30 10:00" in got[9].message
    assert got[10].field is None and "quot" in got[10].message  # broken quote, rest re-read
    assert got[10].raw == 'partner,report,"閉じていない引用符,,,'
    assert "header has 7 columns" in got[12].message
    assert got[13].field == "damage_amount" and "negative" in got[13].message
    for line, error in got.items():
        assert error.byte_offset == offsets[line]
    assert [line for line, _ in rows] == sorted(line for line, _ in rows)


def test_good_jsonl() -> None:
    rows = parse_file("good.jsonl")
    assert [line for line, _ in drafts(rows)] == [1, 2, 3] and errors(rows) == []
    first, second, third = (r for _, r in drafts(rows))
    assert first.damage_amount == 300_000
    assert first.items == ("https://bank-login.example.jp/", "送信元 0000-00-0000")
    assert first.received_at == datetime(2024, 5, 10, 10, 0, tzinfo=JST)
    assert (second.channel, second.kind, second.victim_kind, second.victim_org_size) == (
        "email",
        "consultation",
        "company",
        "large",
    )
    assert second.items == ("192.0.2.44", "192.0.2.45")
    assert second.external_ref == "2"  # a JSON integer is taken as text
    assert third.station_code == "CY05"


def test_mixed_jsonl() -> None:
    data = (DATA / "mixed.jsonl").read_bytes()
    offsets = line_offsets(data)
    rows = parse_file("mixed.jsonl")
    assert [line for line, _ in drafts(rows)] == [1, 7]
    warnings = [r for _, r in rows if isinstance(r, RowError) and r.warning]
    assert [(w.line, w.field) for w in warnings] == [(1, "source")]
    got = {e.line: e for e in errors(rows)}
    assert sorted(got) == [2, 3, 5, 6]
    # The JSON error points at the offending byte: the trailing comma or the '}' after it
    # (Python 3.13's decoder blames the comma, 3.12's the brace).
    assert "invalid JSON" in got[2].message and "column 6" in got[2].message
    assert got[2].byte_offset is not None
    assert data[got[2].byte_offset : got[2].byte_offset + 1] in (b",", b"}")
    assert got[3].message == "expected a JSON object, got an array"
    assert got[3].byte_offset == offsets[3]
    assert got[5].field == "damage_amount"
    assert got[6].field == "items" and "entry 2" in got[6].message


def test_invalid_utf8_in_the_middle_keeps_surrounding_lines() -> None:
    data = (DATA / "bad_utf8.csv").read_bytes()
    bad_offset = data.index(b"\xff")
    rows = parse_file("bad_utf8.csv")
    assert [line for line, _ in drafts(rows)] == [2, 4, 7]
    got = {e.line: e for e in errors(rows)}
    assert sorted(got) == [3, 6]
    assert got[3].byte_offset == bad_offset == 108
    assert got[3].field == "narrative"
    assert "invalid UTF-8 byte 0xFF on line 3 at byte offset 108" in got[3].message
    assert "\ufffd" in got[3].raw
    assert got[6].byte_offset == data.index(b"\x82\xa0")
    assert "cp932" in got[6].message  # the bytes look like Shift_JIS: say how to import them
    narratives = [d.narrative for _, d in drafts(rows)]
    assert narratives == ["壊れる前の行", "壊れた後の\n複数行", "最後の行"]


def test_invalid_utf8_inside_a_multiline_record_rejects_that_record_only() -> None:
    data = HEADER + b'web,report,"first\nbad \xc3\x28 here\nlast",,,\nphone,report,next,,,\n'
    rows = parse_bytes(data)
    error = rows[0][1]
    assert isinstance(error, RowError)
    assert error.line == 2 and error.byte_offset == data.index(b"\xc3\x28")
    assert "on line 3" in error.message and error.field == "narrative"
    assert [line for line, _ in drafts(rows)] == [5]


@pytest.mark.parametrize(
    "encoding", ["cp932", "shift_jis", "Shift-JIS", "sjis", "ms932", "Windows-31J"]
)
def test_cp932_when_the_encoding_is_given(encoding: str) -> None:
    rows = parse_file("shift_jis.csv", encoding=encoding)
    assert errors(rows) == []
    (_, first), (_, second) = drafts(rows)
    assert first.channel == "visit" and first.kind == "consultation"
    assert first.victim_kind == "company"
    assert first.victim_name == "㈱ヤマダ商事"  # a cp932 extension, not in plain Shift_JIS
    assert first.damage_amount == 30_000  # "\30,000": Shift_JIS shows 0x5C as a yen sign
    assert first.received_at == datetime(2024, 5, 1, 9, 5, tzinfo=TOKYO)
    assert second.narrative.endswith("①") and second.damage_amount == 8_000
    assert second.received_at == datetime(2024, 5, 2, 10, 0, 30, tzinfo=TOKYO)


def test_cp932_without_the_encoding_rejects_rows_with_a_hint() -> None:
    rows = parse_file("shift_jis.csv")
    assert drafts(rows) == []
    assert [e.line for e in errors(rows)] == [2, 3]
    assert all("import it as cp932" in e.message for e in errors(rows))


# -- encodings and file-level problems --------------------------------------------------------


def test_euc_jp_when_given() -> None:
    data = "channel,kind,narrative\n電話,相談,架空請求\n".encode("euc-jp")
    ((_, draft),) = drafts(parse_bytes(data, encoding="euc-jp"))
    assert (draft.channel, draft.narrative) == ("phone", "架空請求")


def test_jsonl_with_bom() -> None:
    data = b'\xef\xbb\xbf{"channel": "web", "kind": "report", "narrative": "x"}\n'
    assert [line for line, _ in drafts(parse_bytes(data, None))] == [1]


def test_parse_reports_reads_lazily() -> None:
    stream = io.BytesIO(HEADER + b"web,report,a,,,\n" * 1000)
    rows = parse_reports(stream, "csv")
    assert stream.tell() == len(HEADER)  # the call read the header only
    next(rows)
    assert stream.tell() == len(HEADER) + len(b"web,report,a,,,\n")


def test_bom_is_skipped_and_offsets_stay_file_offsets() -> None:
    data = b"\xef\xbb\xbf" + HEADER + b"web,report,x \xff,,,\n"
    rows = parse_bytes(data)
    error = rows[0][1]
    assert isinstance(error, RowError)
    assert error.byte_offset == data.index(b"\xff")
    assert parse_bytes(b"\xef\xbb\xbf" + HEADER + b"web,report,ok,,,\n", encoding="utf-8")


def test_bom_with_another_encoding_is_refused() -> None:
    with pytest.raises(ValueError, match="byte-order mark"):
        parse_bytes(b"\xef\xbb\xbf" + HEADER, encoding="cp932")


def test_utf16_is_refused_clearly() -> None:
    data = "channel,kind,narrative\nweb,report,x\n".encode("utf-16")
    with pytest.raises(ValueError, match="UTF-16"):
        parse_bytes(data)


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1", "no-such-codec"])
def test_unsupported_encodings(encoding: str) -> None:
    with pytest.raises(ValueError, match="encoding"):
        parse_bytes(HEADER, encoding=encoding)


def test_missing_required_column_is_fatal_before_any_row() -> None:
    stream = io.BytesIO(b"channel,kind,text\nweb,report,x\n")
    with pytest.raises(ValueError, match=r"line 1: required column\(s\) missing.*narrative"):
        parse_reports(stream, "csv")  # raised by the call, not on iteration


def test_header_problems_are_fatal() -> None:
    with pytest.raises(ValueError, match="duplicate column"):
        parse_bytes(b"channel,kind,narrative,Narrative\n")
    with pytest.raises(
        ValueError, match=r"line 1: cannot read the header: .*invalid UTF-8 byte 0x"
    ):
        parse_bytes("channel,kind,narrative,概要\n".encode("cp932"))


def test_header_names_are_trimmed_and_case_insensitive_and_may_follow_blank_lines() -> None:
    rows = parse_bytes(b"\n\n Channel ,KIND,Narrative\nweb,report,x\n")
    assert [(line, type(r)) for line, r in rows] == [(4, ReportDraft)]


def test_blank_header_cells_are_reported_as_ignored_columns() -> None:
    rows = parse_bytes(b"channel,kind,narrative,\nweb,report,x,\n")
    warning = rows[0][1]
    assert isinstance(warning, RowError) and warning.warning
    assert "blank column 4" in warning.message
    assert isinstance(rows[1][1], ReportDraft)


def test_tab_separated_header_selects_tabs() -> None:
    rows = parse_bytes(b"channel\tkind\tnarrative\nweb\treport\ta, b\n")
    ((_, draft),) = drafts(rows)
    assert draft.narrative == "a, b"


def test_empty_file_yields_nothing() -> None:
    assert parse_bytes(b"") == []
    assert parse_bytes(b"\n \r\n", None) == []
    assert parse_bytes(b"", "jsonl") == []


def test_fewer_cells_than_columns_means_empty_values() -> None:
    ((_, draft),) = drafts(parse_bytes(HEADER + b"web,report,short\n"))
    assert draft.damage_amount is None and draft.items == ()


def test_blank_and_whitespace_rows_are_skipped() -> None:
    rows = parse_bytes(HEADER + b"\n , ,\nweb,report,x,,,\n\r\n")
    assert [line for line, _ in rows] == [4]


# -- format detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("a.csv", "csv"),
        ("A.CSV", "csv"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.json", "jsonl"),
        ("a.tsv", "csv"),
    ],
)
def test_format_from_filename(filename: str, expected: str) -> None:
    line = json.dumps({"channel": "web", "kind": "report", "narrative": "x"}).encode()
    data = line + b"\n" if expected == "jsonl" else b"channel,kind,narrative\nweb,report,x\n"
    rows = list(parse_reports(io.BytesIO(data), filename=filename))
    assert len(drafts(rows)) == 1


def test_format_sniffed_from_the_first_non_blank_byte() -> None:
    data = b'\n  {"channel": "web", "kind": "report", "narrative": "x"}\n'
    assert [line for line, _ in drafts(parse_bytes(data, None))] == [2]
    assert drafts(parse_bytes(b"channel,kind,narrative\nweb,report,x\n", None, filename="x.txt"))


@pytest.mark.parametrize("fmt", [ImportFormat.JSONL, "jsonl", "JSONL", "ndjson", ".json"])
def test_format_argument_forms(fmt: ImportFormat | str) -> None:
    rows = list(
        parse_reports(io.BytesIO(b'{"channel":"web","kind":"report","narrative":"x"}'), fmt)
    )
    assert len(drafts(rows)) == 1


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown import format"):
        parse_bytes(b"", "xml")


def test_a_json_array_file_is_refused_with_a_hint() -> None:
    with pytest.raises(ValueError, match="JSON Lines"):
        parse_bytes(b'[\n  {"channel": "web"}\n]\n', None, filename="reports.json")


# -- CSV structure ----------------------------------------------------------------------------


def test_unterminated_quote_at_end_of_file_rejects_its_line_and_rereads_the_rest() -> None:
    data = HEADER + b'web,report,"never closed,,,\nphone,report,kept,,,\nemail,report,kept too,,,\n'
    rows = parse_bytes(data)
    error = rows[0][1]
    assert isinstance(error, RowError) and error.line == 2
    assert "unterminated quoted field starting on line 2" in error.message
    assert [line for line, _ in drafts(rows)] == [3, 4]


def test_record_spanning_too_many_lines_is_cut_and_the_rest_reread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parse_module, "MAX_RECORD_LINES", 3)
    data = HEADER + b'web,report,"open\na\nb\nc\nphone,report,ok,,,\n'
    rows = parse_bytes(data)
    assert isinstance(rows[0][1], RowError) and rows[0][0] == 2
    assert "more than 3 lines" in rows[0][1].message
    assert [line for line, _ in drafts(rows)] == [6]
    assert [line for line, _ in rows] == sorted(line for line, _ in rows)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_overlong_line_is_skipped(monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    monkeypatch.setattr(parse_module, "MAX_RECORD_BYTES", 64)
    if fmt == "csv":
        good = b"web,report,fine,,,\n"
        data = HEADER + good + b"web,report," + b"x" * 200 + b",,,\n" + good
    else:
        good = b'{"channel":"web","kind":"report","narrative":"fine"}\n'
        data = good + b'{"narrative":"' + b"x" * 200 + b'"}\n' + good
    rows = parse_bytes(data, fmt)
    first_good = 2 if fmt == "csv" else 1
    assert [line for line, _ in drafts(rows)] == [first_good, first_good + 2]
    (error,) = errors(rows)
    assert error.line == first_good + 1 and "longer than 64 bytes" in error.message


def test_bad_quoting_on_one_line_costs_only_that_line() -> None:
    rows = parse_bytes(HEADER + b'web,report,"say "hi"",,,\nphone,report,ok,,,\n')
    (error,) = errors(rows)
    assert error.line == 2 and "quote" in error.message
    assert [line for line, _ in drafts(rows)] == [3]


def test_unbuffered_raw_file_stream(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(HEADER + b"web,report,x,,,\n")
    with path.open("rb", buffering=0) as stream:
        assert len(drafts(parse_reports(stream, "csv"))) == 1


# -- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("visit", "visit"),
        ("来署", "visit"),
        ("電話", "phone"),
        ("Web", "web"),
        ("WEB", "web"),
        ("ウェブ", "web"),
        ("ｳｪﾌﾞ", "web"),
        ("ＷＥＢ", "web"),
        ("メール", "email"),
        ("IHC", "ihc"),
        ("サイバーパトロール", "patrol"),
        ("部外機関", "partner"),
        (" partner ", "partner"),
    ],
)
def test_channel_labels(label: str, code: str) -> None:
    assert build_draft({"channel": label, "kind": "report", "narrative": "x"}).channel == code


@pytest.mark.parametrize(
    ("field", "label", "code"),
    [
        ("kind", "通報", "report"),
        ("kind", "相談", "consultation"),
        ("kind", "情報提供", "information"),
        ("kind", "Consultation", "consultation"),
        ("victim_kind", "個人", "person"),
        ("victim_kind", "法人", "company"),
        ("victim_kind", "企業", "company"),
        ("victim_kind", "団体", "organisation"),
        ("victim_kind", "organization", "organisation"),
        ("victim_kind", "", "person"),
        ("victim_org_size", "大企業", "large"),
        ("victim_org_size", "中小企業", "sme"),
        ("victim_org_size", "団体等", "organisation"),
        ("victim_org_size", "", ""),
    ],
)
def test_japanese_labels(field: str, label: str, code: str) -> None:
    values = {"channel": "web", "kind": "report", "narrative": "x", field: label}
    assert getattr(build_draft(values), field) == code


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("0", 0),
        ("150000", 150_000),
        ("150,000", 150_000),
        ("¥150,000", 150_000),
        ("￥150,000", 150_000),
        ("\\150,000", 150_000),
        ("150000円", 150_000),
        ("１５０，０００円", 150_000),
        ("１２３４５", 12_345),
        (" 1,234,567 円 ", 1_234_567),
    ],
)
def test_amounts(text: str, amount: int) -> None:
    assert parse_amount(text) == amount


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("12万", "not an amount in yen"),
        ("1,50,000", "not an amount in yen"),
        ("150.5", "not an amount in yen"),
        ("-100", "negative"),
        ("−1,000円", "negative"),
        ("abc", "not an amount in yen"),
        (-1, "negative"),
        (1.5, "whole yen"),
        (True, "not an amount"),
        ("9" * 30, "not an amount in yen"),
        (10**16, "implausibly large"),
    ],
)
def test_bad_amounts_name_the_field_and_value(value: object, reason: str) -> None:
    with pytest.raises(DraftError) as caught:
        build_draft({"channel": "web", "kind": "report", "narrative": "x", "damage_amount": value})
    assert caught.value.fields == ("damage_amount",)
    assert str(caught.value).startswith("damage_amount: ") and reason in str(caught.value)


def test_json_amounts() -> None:
    base = {"channel": "web", "kind": "report", "narrative": "x"}
    assert build_draft({**base, "damage_amount": 150000}).damage_amount == 150_000
    assert build_draft({**base, "damage_amount": 150000.0}).damage_amount == 150_000
    assert build_draft({**base, "damage_amount": None}).damage_amount is None
    assert build_draft({**base, "damage_amount": ""}).damage_amount is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T09:30:00+09:00", datetime(2024, 5, 1, 9, 30, tzinfo=JST)),
        ("2024-05-01T00:30:00Z", datetime(2024, 5, 1, 0, 30, tzinfo=UTC)),
        ("2024-05-01T09:30:00", datetime(2024, 5, 1, 9, 30, tzinfo=TOKYO)),
        ("2024-05-01 09:30", datetime(2024, 5, 1, 9, 30, tzinfo=TOKYO)),
        ("2024/05/01 09:30", datetime(2024, 5, 1, 9, 30, tzinfo=TOKYO)),
        ("2024/05/01 09:30:15", datetime(2024, 5, 1, 9, 30, 15, tzinfo=TOKYO)),
        ("2024/5/1 9:05", datetime(2024, 5, 1, 9, 5, tzinfo=TOKYO)),
        ("２０２４／０５／０１　０９：３０", datetime(2024, 5, 1, 9, 30, tzinfo=TOKYO)),
        ("2024/05/01", datetime(2024, 5, 1, tzinfo=TOKYO)),
    ],
)
def test_datetimes(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()


def test_naive_times_are_tokyo_and_aware_times_keep_their_offset() -> None:
    naive = parse_datetime("2024-01-15 12:00")
    assert naive.tzinfo == TOKYO and naive.astimezone(UTC) == datetime(2024, 1, 15, 3, tzinfo=UTC)
    aware = parse_datetime("2024-01-15T12:00:00+02:00")
    assert aware.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    "text", ["2024/02/30 10:00", "2024/13/01", "yesterday", "2024/05/01 25:00", "01/05/2024"]
)
def test_bad_datetimes(text: str) -> None:
    with pytest.raises(DraftError) as caught:
        build_draft({"channel": "web", "kind": "report", "narrative": "x", "occurred_at": text})
    assert caught.value.fields == ("occurred_at",) and repr(text) in str(caught.value)


def test_items_from_csv_text_and_json_lists() -> None:
    base = {"channel": "web", "kind": "report", "narrative": "x"}
    text = "https://a.example.jp/ | 192.0.2.1\r\n\nFrom: x@example.jp | https://a.example.jp/"
    assert build_draft({**base, "items": text}).items == (
        "https://a.example.jp/",
        "192.0.2.1",
        "From: x@example.jp",
    )
    assert build_draft({**base, "items": ["a", " b ", "", 12345]}).items == ("a", "b", "12345")
    assert build_draft({**base, "items": "a|b"}).items == ("a|b",)  # only " | " separates


def test_every_problem_of_a_row_is_reported_at_once() -> None:
    with pytest.raises(DraftError) as caught:
        build_draft(
            {"channel": "fax", "kind": "", "narrative": " ", "category_code": "フィッシング"}
        )
    assert caught.value.fields == ("channel", "kind", "narrative", "category_code")


def test_narrative_limit_and_text_normalisation() -> None:
    base = {"channel": "web", "kind": "report"}
    assert build_draft({**base, "narrative": "  a\r\nb  "}).narrative == "a\nb"
    assert build_draft({**base, "narrative": "x" * 20_000}).narrative == "x" * 20_000
    with pytest.raises(DraftError, match="narrative: 20,001 characters, the limit is 20,000"):
        build_draft({**base, "narrative": "x" * 20_001})
    with pytest.raises(DraftError, match="NUL"):
        build_draft({**base, "narrative": "a\x00b"})
    with pytest.raises(DraftError, match="expected a string"):
        build_draft({**base, "narrative": ["a"]})


def test_codes() -> None:
    base = {"channel": "web", "kind": "report", "narrative": "x"}
    draft = build_draft(
        {
            **base,
            "category_code": "Phishing-SMS",
            "station_code": "ＣＹ０１",
            "external_ref": " ext/1 ",
        }
    )
    assert (draft.category_code, draft.station_code, draft.external_ref) == (
        "phishing-sms",
        "CY01",
        "ext/1",
    )
    with pytest.raises(DraftError, match="control characters"):
        build_draft({**base, "external_ref": "a\x1bb"})


def test_report_draft_checks_its_invariants() -> None:
    ReportDraft("web", "report", "x", received_at=datetime(2024, 1, 1, tzinfo=TOKYO))
    for kwargs in (
        {"channel": "fax"},
        {"kind": "rumour"},
        {"narrative": "  "},
        {"received_at": datetime(2024, 1, 1)},
        {"damage_amount": -1},
        {"victim_org_size": "huge"},
    ):
        values: dict[str, object] = {"channel": "web", "kind": "report", "narrative": "x", **kwargs}
        with pytest.raises(ValueError):
            ReportDraft(**values)  # type: ignore[arg-type]


def test_fields_match_the_draft() -> None:
    assert tuple(ReportDraft.__dataclass_fields__) == FIELDS


# -- JSON Lines details -------------------------------------------------------------------------


def test_jsonl_problems() -> None:
    lines = [
        b'{"channel": "web", "kind": "report", "narrative": "ok", "Extra": 1, "other": 2}',
        b'{"channel": "web", "channel": "phone", "kind": "report", "narrative": "dup"}',
        b'{"channel": "web", "Channel": "phone", "kind": "report", "narrative": "dup"}',
        b"  ",
        b'{"channel": "web", "kind": "report", "narrative": "ok", "extra": 3}',
        b'"just a string"',
        b"[" * 100_000,
        b'{"channel": "web", "kind": "report", "narrative": 5}',
        b'{"channel": "web", "kind": "report", "narrative": "ok", "damage_amount": 1'
        + b"0" * 5000
        + b"}",
    ]
    rows = parse_bytes(b"\r\n".join(lines), "jsonl")
    assert [line for line, _ in rows] == sorted(line for line, _ in rows)
    warnings = [r for _, r in rows if isinstance(r, RowError) and r.warning]
    assert [(w.line, w.field) for w in warnings] == [(1, "extra,other")]  # once per key name
    got = {e.line: e.message for e in errors(rows)}
    assert "given twice" in got[2] and "given twice" in got[3]
    assert got[6] == "expected a JSON object, got a string"
    assert "nested too deeply" in got[7] or "invalid JSON" in got[7]
    assert "invalid JSON" in got[9] or "damage_amount" in got[9]
    assert [line for line, _ in drafts(rows)] == [1, 5, 8]  # line 8: narrative 5 is text "5"


def test_jsonl_invalid_utf8_line() -> None:
    data = b'{"channel":"web","kind":"report","narrative":"a"}\n{"narrative":"\xe3\x81"}\n' + (
        b'{"channel":"web","kind":"report","narrative":"c"}\n'
    )
    rows = parse_bytes(data, "jsonl")
    assert [line for line, _ in drafts(rows)] == [1, 3]
    (error,) = errors(rows)
    assert error.line == 2 and error.byte_offset == data.index(b"\xe3\x81")


# -- rejects file -------------------------------------------------------------------------------


def test_write_rejects_csv_roundtrip_and_formula_neutralised() -> None:
    found = errors(parse_file("mixed.csv"))
    found.append(RowError(99, "=cmd|' /C calc'!A0", "narrative", None, '=HYPERLINK("x")'))
    out = io.StringIO(newline="")
    assert write_rejects(found, out, ImportFormat.CSV) == len(found)
    table = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert table[0] == ["line", "byte_offset", "field", "message", "raw"]
    assert len(table) == len(found) + 1
    by_line = {row[0]: row for row in table[1:]}
    assert by_line["4"][2] == "damage_amount"
    assert by_line["4"][4] == 'phone,consultation,"複数行の\n相談内容\nです",12万,,'
    assert by_line["99"][3].startswith("'=") and by_line["99"][4].startswith("'=")
    assert by_line["99"][1] == ""


def test_write_rejects_jsonl() -> None:
    found = errors(parse_file("mixed.jsonl"))
    out = io.StringIO()
    assert write_rejects(found, out, "jsonl") == len(found)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [set(r) for r in records] == [{"line", "byte_offset", "field", "message", "raw"}] * len(
        found
    )
    assert records[0]["raw"] == '{"channel": "web", "kind": "report", "narrative": "壊れたJSON",}'
    assert records[0]["field"] is None and records[0]["line"] == 2


# -- properties ---------------------------------------------------------------------------------


def check_rows(rows: Iterable[ParsedRow], data: bytes) -> None:
    physical_lines = max(1, data.count(b"\n") + 1)
    previous = 0
    for line, result in rows:
        assert isinstance(result, ReportDraft | RowError)
        assert 1 <= line <= physical_lines
        assert line >= previous
        if isinstance(result, RowError):
            assert result.line == line and result.message
            if result.byte_offset is not None:
                assert 0 <= result.byte_offset <= len(data)
        previous = line


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STRUCTURAL = st.sampled_from(
    [
        b"\n",
        b"\r\n",
        b"\r",
        b",",
        b'"',
        b"{",
        b"}",
        b"[",
        b":",
        b"\xef",
        b"\xbb",
        b"\xbf",
        b"\xff",
        b"\x00",
        b"web,report,x",
        b'"channel"',
    ]
)
FUZZ_BYTES = st.one_of(st.binary(max_size=400), st.lists(STRUCTURAL, max_size=60).map(b"".join))


@FUZZ
@given(FUZZ_BYTES, st.sampled_from([None, "csv", "jsonl"]), st.sampled_from([None, "cp932"]))
def test_arbitrary_bytes_never_raise_while_iterating(
    data: bytes, fmt: str | None, encoding: str | None
) -> None:
    try:
        rows = parse_reports(io.BytesIO(data), fmt, encoding=encoding)
    except ValueError:
        return  # a file-level problem, raised before any row
    check_rows(list(rows), data)


@FUZZ
@given(FUZZ_BYTES)
def test_arbitrary_csv_body_never_raises(body: bytes) -> None:
    data = HEADER + body
    check_rows(parse_bytes(data), data)


@FUZZ
@given(FUZZ_BYTES)
def test_arbitrary_jsonl_never_raises_at_all(body: bytes) -> None:
    data = b"\n" + body  # a first line starting with '[' is refused as a JSON array file
    if data.lstrip()[:1] == b"[":
        return
    check_rows(parse_bytes(data, "jsonl"), data)


TEXT = st.lists(
    st.characters(exclude_categories=("Cs", "Cc"))
    | st.sampled_from(["\n", "\r\n", ",", '"', " | ", "山田", "\t", " "]),
    max_size=20,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=8), st.sampled_from(["\n", "\r\n"]))
def test_csv_written_by_the_csv_module_comes_back(
    rows: list[tuple[str, str]], terminator: str
) -> None:
    """Whatever a CSV writer produces (quotes, line breaks) parses back with the right lines."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=terminator)
    writer.writerow(["channel", "kind", "narrative", "reporter_name"])
    expected: list[tuple[int, str, str]] = []
    blank_narratives: list[int] = []
    line = 2
    for narrative, name in rows:
        writer.writerow(["電話", "相談", narrative, name])
        if narrative.strip():
            expected.append((line, normalised(narrative), normalised(name)))
        else:
            blank_narratives.append(line)
        line += 1 + narrative.count("\n") + name.count("\n")
    parsed = parse_bytes(out.getvalue().encode())
    assert [(e.line, e.field) for e in errors(parsed)] == [
        (n, "narrative") for n in blank_narratives
    ]
    assert [(ln, d.narrative, d.reporter_name) for ln, d in drafts(parsed)] == expected


def normalised(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


# -- streaming ----------------------------------------------------------------------------------


def test_large_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    rows = 200_000
    path = tmp_path / "large.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("channel,kind,narrative,damage_amount,external_ref\n")
        chunk: list[str] = []
        for index in range(rows):  # two physical lines per record; every 1000th is bad
            channel = "fax" if index % 1000 == 999 else "電話"
            chunk.append(f'{channel},相談,"架空請求の相談 {index}\n二行目",{index},r{index}\n')
            if len(chunk) == 5_000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
    assert path.stat().st_size > 10_000_000

    tracemalloc.start()
    try:
        good = bad = 0
        last_line = 0
        with path.open("rb") as stream:
            for line, result in parse_reports(stream, filename=path.name):
                assert line > last_line
                last_line = line
                if isinstance(result, ReportDraft):
                    good += 1
                else:
                    bad += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (good, bad) == (rows - rows // 1000, rows // 1000)
    assert last_line == 1 + 2 * rows - 1
    assert peak < 50 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
