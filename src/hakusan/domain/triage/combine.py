"""Blend the rules' suggestion with the learned model's prediction, keeping both sets of reasons."""

from __future__ import annotations

from collections.abc import Iterable

from .categories import SEED_CATEGORIES, CategoryDef
from .rules import Reason, TriageInput, TriageResult, needs_cyber_reasons

ModelPrediction = tuple[str, float, tuple[Reason, ...]]


def combine(
    rules: TriageResult,
    model: ModelPrediction | None,
    *,
    model_weight: float,
    item: TriageInput | None = None,
    categories: Iterable[CategoryDef] = SEED_CATEGORIES,
) -> TriageResult:
    """score(c) = (1 - w) * rules.scores[c] + w * (p if c is the model's label else 0).

    ``model_weight`` (w, clamped to [0, 1]) should grow with the model's training data; the
    caller passes e.g. ``min(0.8, n / 1000)`` (``learned.model_weight``). Without a model or with
    w == 0 the rules' result is returned unchanged.

    needs_cyber never goes from True to False here (routing errs towards the cyber division). When
    the combined category differs from the rules' one, its triggers are evaluated again: fully
    when ``item`` is given, otherwise only the "category is a cyber-division one" trigger.
    """
    w = min(1.0, max(0.0, float(model_weight)))
    if model is None or w == 0.0:
        return rules
    label, probability, model_reasons = model
    scores = {code: (1.0 - w) * s for code, s in rules.scores.items()}
    scores[label] = scores.get(label, 0.0) + w * probability
    scores = {code: round(s, 4) for code, s in scores.items()}
    order = list(rules.scores)
    category = max(scores, key=lambda c: (scores[c], -order.index(c) if c in order else 0))

    summary = Reason(
        "model",
        f"model suggests {label} (p={probability:.2f}, weight {w:.2f})",
        round(w * probability, 4),
        label,
    )
    reasons = [*rules.reasons, summary, *model_reasons]
    needs_cyber = rules.needs_cyber
    if category != rules.category:
        by_code = {c.code: c for c in categories}
        cat = by_code.get(category)
        if item is not None:
            extra = needs_cyber_reasons(cat, scores, item)
        elif cat is not None and cat.cyber_division:
            extra = needs_cyber_reasons(cat, {}, TriageInput(text=""))
        else:
            extra = ()
        known = set(reasons)
        reasons.extend(r for r in extra if r not in known)
        needs_cyber = needs_cyber or bool(extra)
    return TriageResult(
        category=category,
        scores=scores,
        needs_cyber=needs_cyber,
        reasons=tuple(reasons),
        source="rules+model",
    )
