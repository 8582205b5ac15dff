"""Triage of a 通報・相談: a suggested consultation category and whether the cyber division must
take it, with the reasons shown to the officer. Pure Python (scikit-learn only for the model)."""

from .categories import SEED_CATEGORIES, TECHNICAL_OBSERVABLES, CategoryDef
from .combine import combine
from .learned import LearnedTriager, ModelFileError, classification_metrics, model_weight
from .rules import (
    REASON_KINDS,
    Reason,
    RuleTriager,
    TriageInput,
    TriageResult,
    needs_cyber_reasons,
    normalise,
)

__all__ = [
    "REASON_KINDS",
    "SEED_CATEGORIES",
    "TECHNICAL_OBSERVABLES",
    "CategoryDef",
    "LearnedTriager",
    "ModelFileError",
    "Reason",
    "RuleTriager",
    "TriageInput",
    "TriageResult",
    "classification_metrics",
    "combine",
    "model_weight",
    "needs_cyber_reasons",
    "normalise",
]
