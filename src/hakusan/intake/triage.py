"""Adapter between the configurable categories in the database and the domain triagers."""

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from hakusan.domain.triage import (
    CategoryDef,
    LearnedTriager,
    RuleTriager,
    TriageInput,
    TriageResult,
    combine,
    model_weight,
)

from .models import Category, TriageModel

log = logging.getLogger(__name__)
_lock = threading.Lock()


@dataclass
class _Engine:
    signature: tuple
    categories: tuple[CategoryDef, ...]
    rules: RuleTriager
    model: LearnedTriager | None
    model_samples: int


_engine: _Engine | None = None


def _signature() -> tuple:
    cats = tuple(
        Category.objects.filter(active=True)
        .order_by("id")
        .values_list("id", "code", "keywords", "cyber_division", "observable_hints")
    )
    model = TriageModel.objects.filter(active=True).values_list("id", flat=True).first()
    return (repr(cats), model)


def _build(signature: tuple) -> _Engine:
    # Ordered: category order breaks ties between equal scores.
    defs = tuple(
        CategoryDef(
            code=c.code,
            name_ja=c.name_ja,
            name_en=c.name_en,
            keywords=tuple(c.keywords),
            cyber_division=c.cyber_division,
            observable_hints=tuple(c.observable_hints),
        )
        for c in Category.objects.filter(active=True).order_by("order", "code")
    )
    model, samples = None, 0
    active = TriageModel.objects.filter(active=True).first()
    if active is not None:
        try:
            model = LearnedTriager.load(Path(active.path))
            samples = active.n_samples
        except (OSError, ValueError) as exc:  # a missing or stale model falls back to rules
            log.warning("triage model %s not usable: %s", active.path, exc)
    return _Engine(signature, defs, RuleTriager(defs), model, samples)


def engine() -> _Engine:
    global _engine
    sig = _signature()
    with _lock:
        if _engine is None or _engine.signature != sig:
            _engine = _build(sig)
        return _engine


def suggest(item: TriageInput, eng: _Engine | None = None) -> TriageResult:
    return suggest_many([item], eng)[0]


def suggest_many(items: list[TriageInput], eng: _Engine | None = None) -> list[TriageResult]:
    """Rules for each item, then the learned model on the whole batch (one vectorisation)."""
    eng = eng or engine()
    results = [eng.rules.suggest(item) for item in items]
    if eng.model is None or not items:
        return results
    active = {c.code for c in eng.categories}
    weight = model_weight(eng.model_samples)  # the model earns weight as decisions accumulate
    predictions = eng.model.predict_many([item.text for item in items])
    return [
        # A label of a since-deactivated category is ignored.
        combine(result, prediction, model_weight=weight, item=item, categories=eng.categories)
        if prediction[0] in active
        else result
        for item, result, prediction in zip(items, results, predictions, strict=True)
    ]
