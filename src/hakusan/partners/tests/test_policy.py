"""The sharing policy: what may leave, to whom, marked with which TLP. ``explain`` must agree
with ``shareable_for`` on every case; the export query is one query."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from hakusan.domain.sharing import tlp as tlp_rules
from hakusan.indicators.models import Observable, Sighting
from hakusan.partners import policy, services

pytestmark = pytest.mark.django_db

LEVELS = tlp_rules.LEVELS
NOW = timezone.now()


def observable(value: str, *sightings: tuple[Any, ...], **attrs: Any) -> Observable:
    """``sightings``: (source_kind, tlp) or (source_kind, tlp, false_positive, confidence)."""
    obs = Observable.objects.create(
        type="domain", value=value, first_seen=NOW, last_seen=NOW, **attrs
    )
    for i, spec in enumerate(sightings, start=1):
        kind, tlp, false_positive, confidence = (*spec, False, 50)[:4] if len(spec) == 2 else spec
        Sighting.objects.create(
            observable=obs,
            source_kind=kind,
            source_id=i,
            seen_at=NOW,
            last_seen=NOW,
            tlp=tlp,
            false_positive=false_positive,
            confidence=confidence,
        )
    return obs


def partner(max_tlp: str, name: str | None = None, **kw: Any) -> Any:
    p, _key = services.create_partner(name or f"partner-{max_tlp}", max_tlp=max_tlp, **kw)
    return p


def shared(p: Any, **kw: Any) -> dict[str, tuple[str, int]]:
    return {
        o.value: (policy.share_tlp(o), getattr(o, "share_confidence"))  # noqa: B009
        for o in policy.shareable_for(p, **kw)
    }


# --- TLP matrix: each sighting level × each partner clearance ----------------------------------


@pytest.mark.parametrize("item", LEVELS)
@pytest.mark.parametrize("clearance", LEVELS)
def test_tlp_matrix(item: str, clearance: str) -> None:
    obs = observable("matrix.example.com", ("feed", item))
    p = partner(clearance)
    expected = LEVELS.index(item) <= LEVELS.index(clearance)
    got = shared(p)
    assert ("matrix.example.com" in got) is expected
    if expected:
        assert got["matrix.example.com"][0] == item
    decision = policy.explain(obs, p)
    assert decision.allowed is expected
    assert decision.tlp == (item if expected else None)


def test_matrix_by_hand() -> None:
    """The matrix written out for the levels people ask about."""
    for value, level in [("c.example.jp", "clear"), ("g.example.jp", "green"),
                         ("a.example.jp", "amber"), ("s.example.jp", "amber+strict"),
                         ("r.example.jp", "red")]:  # fmt: skip
        observable(value, ("case", level))
    assert set(shared(partner("clear"))) == {"c.example.jp"}
    assert set(shared(partner("green"))) == {"c.example.jp", "g.example.jp"}
    assert set(shared(partner("amber"))) == {"c.example.jp", "g.example.jp", "a.example.jp"}
    assert "r.example.jp" not in shared(partner("amber+strict"))
    assert "r.example.jp" in shared(partner("red"))


# --- every rule, as a case table; explain agrees with shareable_for --------------------------


@dataclass
class Case:
    sightings: list[tuple[Any, ...]]
    attrs: dict[str, Any] = field(default_factory=dict)
    # expected (tlp, confidence) or None for a partner cleared GREEN and one cleared AMBER+STRICT
    green: tuple[str, int] | None = None
    strict: tuple[str, int] | None = None
    reason: str = ""  # part of explain's reason for GREEN when refused


CASES: dict[str, Case] = {
    "feed-green": Case([("feed", "green")], green=("green", 50), strict=("green", 50)),
    "feed-amber": Case([("feed", "amber")], strict=("amber", 50), reason="above TLP:GREEN"),
    "feed-red": Case([("feed", "red")], reason="above TLP:GREEN"),
    "sensor-clear": Case([("sensor", "clear")], green=("clear", 50), strict=("clear", 50)),
    "manual-strict": Case(
        [("manual", "amber+strict")], strict=("amber+strict", 50), reason="above TLP:GREEN"
    ),
    "least-restrictive": Case(
        [("case", "amber", False, 90), ("feed", "clear", False, 30)],
        green=("clear", 30),
        strict=("clear", 90),
    ),
    "least-restrictive-eligible": Case(
        [("case", "amber+strict", False, 80), ("manual", "green", False, 20)],
        green=("green", 20),
        strict=("green", 80),
    ),
    "report-only": Case([("report", "clear")], reason="report sightings are never shared"),
    "partner-only": Case([("partner", "clear")], reason="partner sightings are never relayed"),
    "report-and-partner": Case([("report", "clear"), ("partner", "clear")], reason="relayed"),
    "report-and-case": Case(
        [("report", "clear"), ("case", "amber", False, 70)],
        strict=("amber", 70),
        reason="report sightings are never shared (victims' and reporters' data); above",
    ),
    "false-positive-only": Case([("feed", "clear", True, 100)], reason="false positive"),
    "false-positive-ignored": Case(
        [("feed", "clear", True, 100), ("sensor", "amber", False, 40)],
        strict=("amber", 40),
        reason="false positive; above TLP:GREEN",
    ),
    "warninglisted": Case(
        [("feed", "clear")],
        {"warninglist_hits": [{"slug": "google", "name": "Google domains"}]},
        reason="on warninglist: Google domains",
    ),
    "expired": Case(
        [("feed", "clear")], {"expires_at": NOW - timedelta(hours=1)}, reason="expired"
    ),
    "expires-later": Case(
        [("feed", "clear")],
        {"expires_at": NOW + timedelta(days=1)},
        green=("clear", 50),
        strict=("clear", 50),
    ),
    "do-not-share": Case([("case", "clear")], {"do_not_share": True}, reason="do-not-share"),
    "never-sighted": Case([], reason="never sighted"),
}


@pytest.fixture
def world() -> dict[str, Observable]:
    return {
        name: observable(f"{name}.example.com", *case.sightings, **case.attrs)
        for name, case in CASES.items()
    }


@pytest.mark.parametrize("name", list(CASES))
def test_case(world, name: str) -> None:
    case = CASES[name]
    green, strict = partner("green"), partner("amber+strict")
    value = f"{name}.example.com"
    assert shared(green).get(value) == case.green
    assert shared(strict).get(value) == case.strict
    decision = policy.explain(world[name], green)
    assert decision.allowed is (case.green is not None)
    if case.green is None:
        assert case.reason and any(case.reason in r for r in decision.reasons), decision
    else:
        assert (decision.tlp, decision.confidence) == case.green
        assert decision.reasons == []


@pytest.mark.parametrize("clearance", LEVELS)
def test_explain_agrees_with_shareable_for(world, clearance: str) -> None:
    p = partner(clearance)
    listed = shared(p)
    for obs in world.values():
        decision = policy.explain(obs, p)
        assert decision.allowed is (obs.value in listed), (obs.value, decision)
        if decision.allowed:
            assert (decision.tlp, decision.confidence) == listed[obs.value], obs.value


def test_inactive_partner_gets_nothing(world) -> None:
    p = partner("red")
    assert shared(p)
    services.deactivate_partner(p)
    assert list(policy.shareable_for(p)) == []
    decision = policy.explain(world["feed-green"], p)
    assert not decision.allowed and decision.reasons == ["partner is not active"]


def test_types_filter_and_now() -> None:
    observable("t.example.com", ("feed", "clear"))
    Observable.objects.create(
        type="ipv4", value="192.0.2.10", first_seen=NOW, last_seen=NOW
    ).sightings.create(source_kind="feed", source_id=1, seen_at=NOW, last_seen=NOW, tlp="clear")
    observable("soon.example.com", ("feed", "clear"), expires_at=NOW + timedelta(hours=1))
    p = partner("clear")
    assert set(shared(p, types=["ipv4"])) == {"192.0.2.10"}
    later = NOW + timedelta(hours=2)
    assert "soon.example.com" not in shared(p, now=later)
    assert "soon.example.com" in shared(p)
    soon = Observable.objects.get(value="soon.example.com")
    assert policy.explain(soon, p, now=later).reasons == ["expired"]


def test_unknown_max_tlp_is_an_error() -> None:
    with pytest.raises(tlp_rules.UnknownTLP, match="purple"):
        policy.shareable_observables("purple")


def test_legacy_tlp_names_are_understood() -> None:
    observable("w.example.com", ("feed", "clear"))
    assert [o.value for o in policy.shareable_observables("TLP:WHITE")] == ["w.example.com"]


def test_one_query_one_row_per_observable(django_assert_num_queries) -> None:
    """Several eligible sightings: one row (GROUP BY), one query, the aggregates right."""
    observable(
        "many.example.com",
        ("feed", "green", False, 10),
        ("case", "clear", False, 20),
        ("sensor", "amber", False, 95),
        ("report", "clear", False, 100),
        ("partner", "clear", False, 100),
    )
    observable("other.example.com", ("manual", "amber"))
    p = partner("amber")
    with django_assert_num_queries(1):
        rows = [
            (o.value, policy.share_tlp(o), getattr(o, "share_confidence"))  # noqa: B009
            for o in policy.shareable_for(p)
        ]
    assert sorted(rows) == [("many.example.com", "clear", 95), ("other.example.com", "amber", 50)]
    qs = policy.shareable_for(p)
    assert qs.count() == 2
    assert sorted(qs.filter(type="domain").values_list("value", flat=True)) == [
        "many.example.com",
        "other.example.com",
    ]
    # Paging by id, as exports do.
    first = list(qs.order_by("pk")[:1])
    assert len(first) == 1 and qs.filter(pk__gt=first[0].pk).count() == 1


def test_sightings_from_the_ingest_service() -> None:
    """Observables stored by the set-based ingest (raw SQL on PostgreSQL) are judged alike."""
    from hakusan.indicators.ingest import SightingInput
    from hakusan.indicators.services import record_sightings

    record_sightings(
        [
            SightingInput("feed", 1, "domain", "ingest.example.jp", "", NOW, "green"),
            SightingInput("report", 7, "domain", "victim.example.jp", "", NOW, "clear"),
        ]
    )
    p = partner("green")
    assert shared(p) == {"ingest.example.jp": ("green", 50)}


def test_plan_is_a_single_pass(world) -> None:
    """EXPLAIN: no per-observable subquery (SubPlan / correlated scan) in the export query."""
    plan = policy.shareable_for(partner("amber")).explain()
    assert "SubPlan" not in plan
    if connection.vendor == "sqlite":
        assert "CORRELATED" not in plan.upper()
