import ipaddress
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import islice
from types import GeneratorType

import pytest

from hakusan.domain.demo import ReportSample, generate_reports
from hakusan.domain.demo.reports import (
    ALLOWED_DOMAIN_SUFFIXES,
    BTC_TEST_ADDRESSES,
    CHANNELS,
    KINDS,
    ORG_SIZES,
    VICTIM_KINDS,
)
from hakusan.domain.triage import SEED_CATEGORIES

DOC_NETS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
URL_RE = re.compile(r"(?:https?|hxxps?)://([a-z0-9.-]+)", re.ASCII | re.IGNORECASE)
EMAIL_RE = re.compile(r"[\w.+-]+@([\w.-]+\w)", re.ASCII)
IPV4_RE = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
PHONE_RE = re.compile(r"(?<!\d)0\d{1,3}-\d{2,4}-\d{3,4}(?!\d)")
FICTIONAL_PHONE = re.compile(r"0120-000-\d{3}|0\d{1,2}0?-0000-\d{4}")
BTC_RE = re.compile(r"\b(?:bc1[0-9a-z]{20,}|[13][1-9A-HJ-NP-Za-km-z]{25,34})\b")

WIDE = str.maketrans("０１２３４５６７８９", "0123456789")


@pytest.fixture(scope="module")
def samples() -> list[ReportSample]:
    return list(generate_reports(3000, seed=7))


def all_text(sample: ReportSample) -> str:
    text = " ".join([sample.narrative, *sample.items, sample.reporter_contact])
    return text.translate(WIDE).replace("[.]", ".")


def test_deterministic_for_a_seed() -> None:
    assert list(generate_reports(200, seed=3)) == list(generate_reports(200, seed=3))
    assert list(generate_reports(200, seed=3)) != list(generate_reports(200, seed=4))
    # a prefix of a longer run is the shorter run
    assert list(generate_reports(50, seed=3)) == list(islice(generate_reports(200, seed=3), 50))


def test_streaming() -> None:
    reports = generate_reports(10**9, seed=1)
    assert isinstance(reports, GeneratorType)
    assert len(list(islice(reports, 5))) == 5
    assert list(generate_reports(0)) == []
    with pytest.raises(ValueError, match="n must be >= 0"):
        list(generate_reports(-1))


def test_every_category_and_value_set_is_produced(samples: list[ReportSample]) -> None:
    counts = Counter(s.category for s in samples)
    assert set(counts) == {c.code for c in SEED_CATEGORIES}
    assert {"fraud", "unauthorized_access"} <= {c for c, _ in counts.most_common(3)}
    assert {s.channel for s in samples} == set(CHANNELS)
    assert {s.kind for s in samples} == set(KINDS)
    assert {s.victim_kind for s in samples} == set(VICTIM_KINDS)
    assert {s.victim_org_size for s in samples} == set(ORG_SIZES)
    assert len({s.narrative for s in samples}) > 0.95 * len(samples)


def test_fields_are_consistent(samples: list[ReportSample]) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for s in samples:
        assert s.narrative and s.reporter_name and s.victim_name and s.reporter_contact
        assert s.occurred_at.tzinfo is UTC
        assert start <= s.occurred_at < start + timedelta(days=365)
        if s.victim_kind == "person":
            assert s.victim_org_size == "" and s.victim_industry == ""
        elif s.victim_kind == "company":
            assert s.victim_org_size in ("large", "sme") and s.victim_industry
        else:
            assert s.victim_org_size == "organisation" and s.victim_industry
        if s.channel in ("ihc", "patrol", "partner"):
            assert s.kind == "information"
        assert s.damage_amount is None or s.damage_amount > 0
        assert isinstance(s.items, tuple)
    with_items = [s for s in samples if s.items]
    assert len(with_items) > len(samples) / 2
    ransomware = [s for s in samples if s.category == "ransomware"]
    assert ransomware and all(s.needs_cyber for s in ransomware)
    assert all(s.victim_kind != "person" for s in ransomware)


def test_start_moves_the_window() -> None:
    start = datetime(2030, 6, 1, tzinfo=UTC)
    for s in generate_reports(100, seed=1, start=start):
        assert start <= s.occurred_at < start + timedelta(days=365)
    naive = next(generate_reports(1, seed=1, start=datetime(2030, 6, 1)))
    assert naive.occurred_at.tzinfo is UTC


def test_only_fictional_values(samples: list[ReportSample]) -> None:
    seen = Counter[str]()
    for s in samples:
        text = all_text(s)
        for host in URL_RE.findall(text) + EMAIL_RE.findall(text):
            seen["host"] += 1
            assert host.lower().endswith(ALLOWED_DOMAIN_SUFFIXES), host
        for ip in IPV4_RE.findall(text):
            seen["ip"] += 1
            assert any(ipaddress.ip_address(ip) in net for net in DOC_NETS), ip
        for phone in PHONE_RE.findall(text):
            seen["phone"] += 1
            assert FICTIONAL_PHONE.fullmatch(phone), phone
        for address in BTC_RE.findall(text):
            seen["btc"] += 1
            assert address in BTC_TEST_ADDRESSES, address
    # the checks above did look at something
    assert min(seen["host"], seen["ip"], seen["phone"], seen["btc"]) > 10, seen


def test_noise_is_present(samples: list[ReportSample]) -> None:
    narratives = [s.narrative for s in samples]
    assert any("hxxps://" in n and "[.]" in n for n in narratives)
    assert any(re.search("[０-９]", n) for n in narratives)
    assert any("¥" in n for n in narratives) and any("円" in n for n in narratives)
    assert any("令和" in n for n in narratives)


def test_generation_speed() -> None:
    n = 20_000
    start = time.perf_counter()
    count = sum(1 for _ in generate_reports(n, seed=9))
    elapsed = time.perf_counter() - start
    per_report = elapsed / count
    print(
        f"\ngenerate_reports: {per_report * 1e6:.1f} µs/report, "
        f"100,000 in ~{per_report * 1e5:.1f} s"
    )
    assert per_report < 200e-6  # 100,000 in under 20 s even on a loaded CI machine
