from hakusan.domain.routing import ReportFacts, RuleSpec, choose_route


def rule(i: int, **kw) -> RuleSpec:
    base = dict(rule_id=i, name=f"r{i}", priority=100, target="cyber", sla_hours=4)
    base.update(kw)
    return RuleSpec(**base)


def test_first_matching_rule_by_priority_wins():
    rules = [
        rule(1, priority=50, category="phishing", target="a"),
        rule(2, priority=10, needs_cyber=True, target="b"),
    ]
    decision = choose_route(rules, ReportFacts(category="phishing", needs_cyber=True))
    assert decision is not None and decision.target == "b"
    assert decision.reasons == ("needs_cyber=True",)


def test_all_conditions_must_hold():
    r = rule(1, category="fraud", min_damage=1_000_000, victim_kind="company")
    assert (
        choose_route([r], ReportFacts("fraud", False, damage_amount=999_999, victim_kind="company"))
        is None
    )
    assert (
        choose_route([r], ReportFacts("fraud", False, damage_amount=None, victim_kind="company"))
        is None
    )
    d = choose_route(
        [r], ReportFacts("fraud", False, damage_amount=1_000_000, victim_kind="company")
    )
    assert d is not None and d.reasons == ("category=fraud", "damage>=1000000", "victim=company")


def test_observable_type_condition_and_catch_all():
    rules = [rule(1, observable_type="btc", target="crypto"), rule(2, priority=999, target="x")]
    assert choose_route(rules, ReportFacts(None, False, frozenset({"btc"}))).target == "crypto"
    fallback = choose_route(rules, ReportFacts(None, False, frozenset({"url"})))
    assert fallback.target == "x" and fallback.reasons == ("default rule",)


def test_no_rules_no_decision():
    assert choose_route([], ReportFacts("other", False)) is None
