"""Routing decisions on plain data: the first matching rule (by priority) wins."""

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RuleSpec:
    rule_id: int
    name: str
    priority: int
    target: str  # department code
    sla_hours: int
    category: str | None = None
    needs_cyber: bool | None = None
    observable_type: str | None = None
    min_damage: int | None = None
    victim_kind: str | None = None


@dataclass(frozen=True, slots=True)
class ReportFacts:
    category: str | None
    needs_cyber: bool
    observable_types: frozenset[str] = field(default_factory=frozenset)
    damage_amount: int | None = None
    victim_kind: str = "person"


@dataclass(frozen=True, slots=True)
class RouteDecision:
    rule_id: int
    target: str
    sla_hours: int
    reasons: tuple[str, ...]


def _match(rule: RuleSpec, facts: ReportFacts) -> tuple[str, ...] | None:
    """The conditions that held, or None if any condition failed. A rule with no
    conditions is a catch-all."""
    reasons: list[str] = []
    if rule.category is not None:
        if facts.category != rule.category:
            return None
        reasons.append(f"category={rule.category}")
    if rule.needs_cyber is not None:
        if facts.needs_cyber != rule.needs_cyber:
            return None
        reasons.append(f"needs_cyber={rule.needs_cyber}")
    if rule.observable_type is not None:
        if rule.observable_type not in facts.observable_types:
            return None
        reasons.append(f"observable={rule.observable_type}")
    if rule.min_damage is not None:
        if facts.damage_amount is None or facts.damage_amount < rule.min_damage:
            return None
        reasons.append(f"damage>={rule.min_damage}")
    if rule.victim_kind is not None:
        if facts.victim_kind != rule.victim_kind:
            return None
        reasons.append(f"victim={rule.victim_kind}")
    return tuple(reasons) or ("default rule",)


def choose_route(rules: Iterable[RuleSpec], facts: ReportFacts) -> RouteDecision | None:
    for rule in sorted(rules, key=lambda r: (r.priority, r.rule_id)):
        reasons = _match(rule, facts)
        if reasons is not None:
            return RouteDecision(rule.rule_id, rule.target, rule.sla_hours, reasons)
    return None
