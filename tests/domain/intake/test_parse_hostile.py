"""Hostile JSON Lines rows (issue 9 §4): each bad row is one reject naming its line, byte offset
and the problem; the rows around it are imported."""

import io
import json

import pytest

from hakusan.domain.intake import ReportDraft, RowError, parse_reports

GOOD = {"channel": "visit", "kind": "consultation", "narrative": "不審なSMSが届いた"}


def good(**overrides: object) -> bytes:
    return json.dumps({**GOOD, **overrides}, ensure_ascii=True).encode() + b"\n"


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (b"[" * 100_000 + b"\n", "nested deeper than"),
        (b'{"channel": ' + b'{"a": ' * 20 + b"1" + b"}" * 21 + b"\n", "nested deeper than"),
        (good(narrative="\ud800"), "lone surrogate"),
        (b'{"channel": "visit", "kind": "consultation", "narrative": "\\udc00x"}\n', "$.narrative"),
        (b'{"\\ud800": 1}\n', "key contains a lone surrogate"),
        (b'{"channel": "visit", "damage_amount": NaN}\n', "NaN is not a JSON number"),
        (b'{"damage_amount": Infinity, "narrative": "x"}\n', "$.damage_amount"),
        (b'{"damage_amount": -Infinity}\n', "-Infinity is not a JSON number"),
        (b'{"damage_amount": 1e999}\n', "out of range"),
        (b'{"damage_amount": ' + b"9" * 5000 + b"}\n", "5000 digits is too long"),
        (b'{"a": 1, "a": 2}\n', "given twice"),
        (b'"just a string"\n', "expected a JSON object"),
        (b"42\n", "expected a JSON object"),
        (b"null\n", "expected a JSON object"),
        (good(damage_amount=[1, 2]), "damage_amount"),
        (good(damage_amount={"yen": 1}), "damage_amount"),
        (good(damage_amount=10**30), "implausibly large"),
        (good(damage_amount=1e300), "implausibly large"),
        (good(damage_amount=True), "damage_amount"),
        (good(narrative=10**200), "narrative"),
        (good(items=[{"x": 1}]), "items"),
        (good(received_at=5), "received_at"),
    ],
)
def test_one_bad_row_is_one_reject(bad: bytes, problem: str) -> None:
    data = good() + bad + good(narrative="二件目")
    rows = list(parse_reports(io.BytesIO(data), "jsonl"))
    drafts = [(line, r) for line, r in rows if isinstance(r, ReportDraft)]
    rejects = [r for _line, r in rows if isinstance(r, RowError) and not r.warning]
    assert [line for line, _ in drafts] == [1, 3]
    assert len(rejects) == 1, rejects
    (reject,) = rejects
    assert reject.line == 2 and problem in reject.message, reject.message
    assert reject.byte_offset is not None and reject.byte_offset >= len(good())


def test_syntax_error_names_the_byte_offset() -> None:
    first = good(narrative="全角の通報")
    data = first + '{"narrative": "あ",, }\n'.encode()
    (reject,) = [r for _l, r in parse_reports(io.BytesIO(data), "jsonl") if isinstance(r, RowError)]
    # The second comma: character 19 of the line, byte 20 ("あ" is three bytes in UTF-8).
    assert reject.byte_offset == len(first) + 20
    assert f"byte offset {len(first) + 20}" in reject.message and "column 19" in reject.message
