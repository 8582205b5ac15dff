"""TLP in indicator files: ``tlp:`` tags (MISP attribute and event tags, the CSV/JSON ``tags``)
and a ``tlp`` column become the row's TLP, the most restrictive of them; an unknown ``tlp:``
value rejects the row (never guessed lower)."""

from __future__ import annotations

import io

import pytest

from hakusan.domain.indicators import IndicatorRow, ParsedIndicator, RowError, parse_indicators

MISP_CONTEXT_HEADER = (
    "uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,"
    "object_uuid,object_name,object_meta_category,event_info,event_member_org,event_source_org,"
    "event_distribution,event_threat_level_id,event_analysis,event_date,event_tag,"
    "event_timestamp\n"
)


def parse(data: bytes, fmt: str | None = None) -> list[ParsedIndicator]:
    return list(parse_indicators(io.BytesIO(data), fmt))


def rows(parsed: list[ParsedIndicator]) -> list[IndicatorRow]:
    return [r for _, r in parsed if isinstance(r, IndicatorRow)]


def errors(parsed: list[ParsedIndicator]) -> list[RowError]:
    return [r for _, r in parsed if isinstance(r, RowError) and not r.warning]


def warnings(parsed: list[ParsedIndicator]) -> list[RowError]:
    return [r for _, r in parsed if isinstance(r, RowError) and r.warning]


def misp_row(value: str, attribute_tag: str = "", event_tag: str = "") -> str:
    return (
        f'u-{value},7,Network activity,domain,{value},,1,20261120,,"{attribute_tag}",,,,'
        f'Event,Org,Org,1,2,1,2026-11-20,"{event_tag}",1763596800\n'
    )


def test_misp_csv_attribute_and_event_tags_give_the_most_restrictive_tlp() -> None:
    data = (
        MISP_CONTEXT_HEADER
        + misp_row("a.evil.example.jp", "tlp:red")
        + misp_row("b.evil.example.jp", "", "tlp:red,osint")
        + misp_row("c.evil.example.jp", "tlp:clear", "tlp:amber")
        + misp_row("d.evil.example.jp", "TLP:AMBER+STRICT,apt", "tlp:white")
        + misp_row("e.evil.example.jp", "tlp:white")
        + misp_row("f.evil.example.jp", "phishing")
    ).encode()
    parsed = parse(data, "misp-csv")
    assert not errors(parsed) and not warnings(parsed)
    got = {r.value: (r.tlp, r.tags) for r in rows(parsed)}
    assert got == {
        "a.evil.example.jp": ("red", ("misp-category:Network activity",)),
        "b.evil.example.jp": ("red", ("osint", "misp-category:Network activity")),
        "c.evil.example.jp": ("amber", ("misp-category:Network activity",)),
        "d.evil.example.jp": ("amber+strict", ("apt", "misp-category:Network activity")),
        "e.evil.example.jp": ("clear", ("misp-category:Network activity",)),
        "f.evil.example.jp": (None, ("phishing", "misp-category:Network activity")),
    }


@pytest.mark.parametrize("tag", ["tlp:purple", "tlp:ex:chr", "tlp:"])
def test_misp_csv_unknown_tlp_tag_rejects_the_row(tag: str) -> None:
    data = (MISP_CONTEXT_HEADER + misp_row("a.evil.example.jp", f"{tag},tlp:red")).encode()
    parsed = parse(data, "misp")
    assert rows(parsed) == []
    (error,) = errors(parsed)
    assert error.line == 2 and error.field == "attribute_tag"
    assert "unknown TLP" in error.message and tag in error.message
    event = (MISP_CONTEXT_HEADER + misp_row("a.evil.example.jp", "", tag)).encode()
    (error,) = errors(parse(event, "misp"))
    assert error.field == "event_tag"


def test_csv_tlp_column_and_tags() -> None:
    data = (
        b"type,value,tags,tlp\n"
        b"domain,a.evil.example.jp,tlp:red,\n"
        b"domain,b.evil.example.jp,phishing,amber\n"
        b'domain,c.evil.example.jp,"phishing,tlp:green",TLP:AMBER+STRICT\n'
        b"domain,d.evil.example.jp,,\n"
        b"domain,e.evil.example.jp,,orange\n"
    )
    parsed = parse(data, "csv")
    got = {r.value: (r.tlp, r.tags) for r in rows(parsed)}
    assert got == {
        "a.evil.example.jp": ("red", ()),
        "b.evil.example.jp": ("amber", ("phishing",)),
        "c.evil.example.jp": ("amber+strict", ("phishing",)),
        "d.evil.example.jp": (None, ()),
    }
    (error,) = errors(parsed)
    assert error.line == 6 and error.field == "tlp" and "orange" in error.message
    assert not warnings(parsed)  # "tlp" is a known column


def test_jsonl_tlp_key_and_tags() -> None:
    data = (
        b'{"value": "a.evil.example.jp", "tags": ["tlp:red", "c2"]}\n'
        b'{"value": "b.evil.example.jp", "tlp": "green", "tags": "tlp:amber"}\n'
        b'{"value": "c.evil.example.jp", "tags": ["tlp:rouge"]}\n'
    )
    parsed = parse(data, "jsonl")
    assert [(r.value, r.tlp, r.tags) for r in rows(parsed)] == [
        ("a.evil.example.jp", "red", ("c2",)),
        ("b.evil.example.jp", "amber", ()),
    ]
    (error,) = errors(parsed)
    assert error.line == 3 and error.field == "tags"


def test_plain_rows_carry_no_tlp() -> None:
    (row,) = rows(parse(b"a.evil.example.jp\n", "plain"))
    assert row.tlp is None
