import pytest

from hakusan.domain.triage import Reason, RuleTriager, TriageInput, TriageResult, combine


@pytest.fixture(scope="module")
def triager() -> RuleTriager:
    return RuleTriager()


def test_without_model_the_rules_stand(triager: RuleTriager) -> None:
    rules = triager.suggest(TriageInput("掲示板に悪口を書き込まれた"))
    assert combine(rules, None, model_weight=0.5) is rules
    model = ("ransomware", 0.9, ())
    assert combine(rules, model, model_weight=0.0) is rules


def test_model_can_overrule_weak_rules_and_reasons_are_kept(triager: RuleTriager) -> None:
    item = TriageInput("よくわからない画面が出て、電話したらお金を払うことになった")
    rules = triager.suggest(item)
    model_reasons = (Reason("model", "「画面が出て」", 0.8, "support_scam"),)
    result = combine(rules, ("support_scam", 0.9, model_reasons), model_weight=0.8, item=item)
    assert result.source == "rules+model"
    assert result.category == "support_scam"
    assert set(rules.reasons) <= set(result.reasons)
    assert model_reasons[0] in result.reasons
    summary = [r for r in result.reasons if r.kind == "model" and r.detail.startswith("model")]
    assert summary and "support_scam" in summary[0].detail
    assert result.scores["support_scam"] == pytest.approx(
        0.2 * rules.scores.get("support_scam", 0.0) + 0.8 * 0.9, abs=1e-3
    )


def test_low_weight_model_does_not_overrule_strong_rules(triager: RuleTriager) -> None:
    item = TriageInput("ファイルが暗号化され拡張子が.lockbitに変わり身代金を要求された")
    rules = triager.suggest(item)
    result = combine(rules, ("spam_mail", 0.6, ()), model_weight=0.05, item=item)
    assert result.category == "ransomware"


def test_needs_cyber_is_re_evaluated_for_a_new_category() -> None:
    rules = TriageResult("fraud", {"fraud": 0.3}, False, (), "rules")
    item = TriageInput("x", victim_kind="company")
    result = combine(rules, ("ransomware", 0.95, ()), model_weight=0.8, item=item)
    assert result.category == "ransomware"
    assert result.needs_cyber
    kinds = {r.kind for r in result.reasons}
    assert {"category", "victim"} <= kinds
    # without the item only the category trigger can be evaluated
    bare = combine(rules, ("ransomware", 0.95, ()), model_weight=0.8)
    assert bare.needs_cyber
    # never downgraded
    cyber_rules = TriageResult("phishing", {"phishing": 0.3}, True, (), "rules")
    assert combine(cyber_rules, ("spam_mail", 0.99, ()), model_weight=0.8).needs_cyber


def test_model_weight_is_clamped() -> None:
    rules = TriageResult("fraud", {"fraud": 0.5}, False, (), "rules")
    result = combine(rules, ("auction", 0.9, ()), model_weight=7.0)
    assert result.scores == {"fraud": 0.0, "auction": 0.9}
