from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hakusan.domain.correlation import DEFAULT_DECAY, DecayPolicy, SightingFacts, decay_score
from hakusan.domain.observables import ObservableType

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
JST = timezone(timedelta(hours=9))


def facts(days_ago: float = 0, *, count: int = 1, fp: int = 0, confidence: int = 100):
    return SightingFacts(
        last_seen=NOW - timedelta(days=days_ago),
        count=count,
        false_positives=fp,
        confidence=confidence,
    )


@pytest.mark.parametrize("type_", ["md5", "sha1", "sha256", "cve", "tlsh", "ssdeep"])
def test_hashes_and_cves_never_decay(type_: str) -> None:
    assert decay_score(type_, facts(0), now=NOW) == 1.0
    assert decay_score(type_, facts(3650), now=NOW) == 1.0


def test_ip_halves_at_one_half_life() -> None:
    half_life = DEFAULT_DECAY.half_life("ipv4")
    assert half_life == 21
    assert decay_score("ipv4", facts(21), now=NOW) == pytest.approx(0.5)
    assert decay_score("ipv6", facts(42), now=NOW) == pytest.approx(0.25)


def test_ips_fade_faster_than_domains_and_wallets() -> None:
    at_60_days = {t: decay_score(t, facts(60), now=NOW) for t in ("ipv4", "domain", "btc")}
    assert at_60_days["ipv4"] < at_60_days["domain"] < at_60_days["btc"] < 1.0


def test_observable_type_enum_is_accepted() -> None:
    assert decay_score(ObservableType.IPV4, facts(21), now=NOW) == pytest.approx(0.5)


def test_unlisted_type_uses_the_default_half_life() -> None:
    assert DEFAULT_DECAY.half_life("some_future_type") == 90
    assert decay_score("some_future_type", facts(90), now=NOW) == pytest.approx(0.5)


def test_every_observable_type_has_a_considered_half_life() -> None:
    for type_ in ObservableType:
        assert str(type_) in DEFAULT_DECAY.half_life_days


def test_confidence_scales() -> None:
    assert decay_score("domain", facts(0, confidence=50), now=NOW) == pytest.approx(0.5)
    assert decay_score("md5", facts(0, confidence=0), now=NOW) == 0.0
    assert decay_score("md5", SightingFacts(NOW, 1, 0), now=NOW) == pytest.approx(0.5)  # default


def test_false_positives_lower_the_score() -> None:
    clean = decay_score("domain", facts(10, count=4), now=NOW)
    one = decay_score("domain", facts(10, count=4, fp=1), now=NOW)
    two = decay_score("domain", facts(10, count=4, fp=2), now=NOW)
    assert clean > one > two > 0
    # one false positive against one true sighting halves the score (default penalty 0.5)
    assert decay_score("md5", facts(count=2, fp=1), now=NOW) == pytest.approx(0.5)
    # a value only ever sighted as a false positive sinks well below half
    assert decay_score("md5", facts(count=3, fp=3), now=NOW) == pytest.approx(0.125)
    # many true sightings make one false positive matter little
    assert decay_score("md5", facts(count=11, fp=1), now=NOW) > 0.9


def test_false_positives_lower_even_non_decaying_types() -> None:
    assert decay_score("sha256", facts(count=5, fp=2), now=NOW) < 1.0


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 4, 1, 9, 0)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        decay_score("ipv4", facts(1), now=naive)
    with pytest.raises(ValueError, match="last_seen must be timezone-aware"):
        decay_score("ipv4", SightingFacts(naive, 1, 0), now=NOW)


def test_time_zones_do_not_matter() -> None:
    in_tokyo = SightingFacts(last_seen=(NOW - timedelta(days=21)).astimezone(JST), count=1,
                             false_positives=0, confidence=100)  # fmt: skip
    assert decay_score("ipv4", in_tokyo, now=NOW) == pytest.approx(0.5)


def test_future_last_seen_counts_as_now() -> None:
    assert decay_score("ipv4", facts(-2), now=NOW) == 1.0


@pytest.mark.parametrize(
    ("facts_", "message"),
    [
        (SightingFacts(NOW, 1, 0, confidence=101), "confidence must be 0–100"),
        (SightingFacts(NOW, 1, 0, confidence=-1), "confidence must be 0–100"),
        (SightingFacts(NOW, -1, 0), "must not be negative"),
        (SightingFacts(NOW, 1, 2), "2 false positives but only 1 sightings"),
    ],
)
def test_inconsistent_facts_are_rejected(facts_: SightingFacts, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decay_score("ipv4", facts_, now=NOW)


def test_no_sightings_yet_is_fine() -> None:
    # an indicator imported from a feed, never sighted locally
    assert decay_score("domain", facts(0, count=0), now=NOW) == 1.0


def test_floor_bounds_the_age_factor_only() -> None:
    policy = DecayPolicy(half_life_days={"ipv4": 21}, floor=0.2)
    assert decay_score("ipv4", facts(365), now=NOW, policy=policy) == pytest.approx(0.2)
    assert decay_score("ipv4", facts(365, count=2, fp=1), now=NOW, policy=policy) == (
        pytest.approx(0.1)
    )


def test_custom_policy() -> None:
    policy = DecayPolicy(
        half_life_days={"ipv4": 7, "md5": None},
        false_positive_penalty=0.25,
        default_half_life_days=None,
    )
    assert decay_score("ipv4", facts(7), now=NOW, policy=policy) == pytest.approx(0.5)
    assert decay_score("domain", facts(1000), now=NOW, policy=policy) == 1.0
    assert decay_score("md5", facts(count=2, fp=1), now=NOW, policy=policy) == pytest.approx(0.25)


def test_policy_is_read_only_and_validated() -> None:
    source = {"ipv4": 21.0}
    policy = DecayPolicy(half_life_days=source)
    source["ipv4"] = 1.0  # the caller's dict is copied
    assert policy.half_life("ipv4") == 21.0
    with pytest.raises(TypeError):
        policy.half_life_days["ipv4"] = 5.0  # type: ignore[index]
    with pytest.raises(ValueError, match="half-life for ipv4"):
        DecayPolicy(half_life_days={"ipv4": 0})
    with pytest.raises(ValueError, match="false_positive_penalty"):
        DecayPolicy(false_positive_penalty=0)
    with pytest.raises(ValueError, match="floor"):
        DecayPolicy(floor=1.5)


TYPES = st.sampled_from([*sorted(DEFAULT_DECAY.half_life_days), "other"])
COUNTS = st.integers(min_value=0, max_value=500)


@settings(max_examples=300, deadline=None)
@given(
    type_=TYPES,
    age=st.floats(min_value=0, max_value=5000),
    later=st.floats(min_value=0, max_value=5000),
    count=COUNTS,
    fp_share=st.floats(min_value=0, max_value=1),
    confidence=st.integers(min_value=0, max_value=100),
)
def test_score_is_bounded_and_never_rises_with_age(
    type_: str, age: float, later: float, count: int, fp_share: float, confidence: int
) -> None:
    fp = int(count * fp_share)
    young = SightingFacts(NOW - timedelta(days=age), count, fp, confidence)
    old = SightingFacts(NOW - timedelta(days=age + later), count, fp, confidence)
    a = decay_score(type_, young, now=NOW)
    b = decay_score(type_, old, now=NOW)
    assert 0.0 <= b <= a <= confidence / 100


@settings(max_examples=200, deadline=None)
@given(type_=TYPES, age=st.floats(min_value=0, max_value=1000), count=COUNTS, data=st.data())
def test_score_never_rises_with_false_positives(
    type_: str, age: float, count: int, data: st.DataObject
) -> None:
    fp = data.draw(st.integers(min_value=0, max_value=count))
    more = data.draw(st.integers(min_value=fp, max_value=count))
    seen = NOW - timedelta(days=age)
    assert decay_score(type_, SightingFacts(seen, count, more), now=NOW) <= decay_score(
        type_, SightingFacts(seen, count, fp), now=NOW
    )
