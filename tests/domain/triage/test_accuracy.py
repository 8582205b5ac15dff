"""Rules vs the learned model on fictional reports (train on seed 1, evaluate on seed 2).

Measured when written (2,000 reports of seed 2; model trained on 3,000 of seed 1):
rules accuracy 0.898 / macro-F1 0.896, model 0.97 / 0.97. The rules' floor is 0.85: a margin of
~5 points for keyword edits, well above what a plain majority guess (fraud, ~15 %) would reach.
The generator mixes in sentences of confusable categories, vague reports and typos, so neither
reaches 1.0; the rules lose most on other/unauthorized_access (「ウイルス」 in an その他 report),
illegal_harmful_site/defamation (「書き込み」) and spam_mail/phishing.
"""

import re

import pytest

from hakusan.domain.demo import ReportSample, generate_reports
from hakusan.domain.triage import (
    LearnedTriager,
    RuleTriager,
    TriageInput,
    classification_metrics,
    combine,
    model_weight,
)

RULES_MIN_ACCURACY = 0.85
RULES_MIN_MACRO_F1 = 0.85
RULES_MIN_NEEDS_CYBER_AGREEMENT = 0.85


def observable_types(sample: ReportSample) -> frozenset[str]:
    """A rough stand-in for the observables extractor, enough for the generator's items."""
    types: set[str] = set()
    for item in sample.items:
        if item.startswith(("http", "hxxp")):
            types |= {"url", "domain"}
        elif re.fullmatch(r"[0-9a-f]{64}", item):
            types.add("sha256")
        elif re.fullmatch(r"[\d.]+", item) or item.startswith("Received:"):
            types.add("ipv4")
        elif re.fullmatch(r"(bc1|[13])[0-9A-Za-z]{25,60}", item):
            types.add("btc")
        elif "@" in item:
            types |= {"email", "domain"}
        elif re.fullmatch(r"0[\d-]+", item):
            types.add("phone")
    return frozenset(types)


def as_input(sample: ReportSample) -> TriageInput:
    return TriageInput(
        sample.narrative, observable_types(sample), sample.damage_amount, sample.victim_kind
    )


@pytest.fixture(scope="module")
def evaluation() -> list[ReportSample]:
    return list(generate_reports(2000, seed=2))


@pytest.fixture(scope="module")
def model() -> LearnedTriager:
    train = list(generate_reports(3000, seed=1))
    return LearnedTriager.train([s.narrative for s in train], [s.category for s in train])


def test_rules_accuracy(evaluation: list[ReportSample]) -> None:
    triager = RuleTriager()
    results = [triager.suggest(as_input(s)) for s in evaluation]
    metrics = classification_metrics(
        [s.category for s in evaluation], [r.category or "" for r in results]
    )
    pairs = zip(results, evaluation, strict=True)
    agreement = sum(r.needs_cyber == s.needs_cyber for r, s in pairs) / len(evaluation)
    print(
        f"\nrules on 2,000 reports: accuracy {metrics['accuracy']:.3f}, "
        f"macro-F1 {metrics['macro_f1']:.3f}, needs_cyber agreement {agreement:.3f}"
    )
    assert metrics["accuracy"] >= RULES_MIN_ACCURACY
    assert metrics["macro_f1"] >= RULES_MIN_MACRO_F1
    assert agreement >= RULES_MIN_NEEDS_CYBER_AGREEMENT
    assert all(r.reasons for r in results)


def test_model_beats_rules_and_combination_keeps_up(
    evaluation: list[ReportSample], model: LearnedTriager
) -> None:
    truth = [s.category for s in evaluation]
    triager = RuleTriager()
    rules = [triager.suggest(as_input(s)) for s in evaluation]
    rule_metrics = classification_metrics(truth, [r.category or "" for r in rules])
    model_metrics = model.evaluate([s.narrative for s in evaluation], truth)
    predictions = model.predict_many([s.narrative for s in evaluation])
    weight = model_weight(model.n_samples)
    combined = [
        combine(r, p, model_weight=weight, item=as_input(s))
        for r, p, s in zip(rules, predictions, evaluation, strict=True)
    ]
    combined_metrics = classification_metrics(truth, [c.category or "" for c in combined])
    print()
    for name, m in (
        ("rules", rule_metrics),
        ("model", model_metrics),
        ("combined", combined_metrics),
    ):
        print(f"{name:9s} accuracy {m['accuracy']:.3f} macro-F1 {m['macro_f1']:.3f}")
    print(f"(combined with model_weight {weight:.2f})")
    assert model_metrics["accuracy"] > rule_metrics["accuracy"]
    assert model_metrics["macro_f1"] > rule_metrics["macro_f1"]
    assert combined_metrics["accuracy"] >= rule_metrics["accuracy"]
    assert all(c.source == "rules+model" for c in combined)
