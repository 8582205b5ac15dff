"""Correlation on plain data: indicator decay, campaign suggestions, similar cases.

Pure Python (no Django); the apps load cases and sightings, call these, and store or show the
results.

    from hakusan.domain.correlation import (
        DecayPolicy, DEFAULT_DECAY, decay_score, SightingFacts,
        CaseObservables, Tie, CampaignSuggestion, suggest_campaigns, TOO_COMMON_DEFAULT,
        CaseText, SimilarCase, SimilarityIndex,
    )

- ``decay``: a score per indicator that fades with age at a half-life per observable type
  (IPs in weeks, hashes never) and drops with false-positive sightings. History is untouched.
- ``clustering``: groups of cases tied by rare shared observables, with the ties as evidence;
  warninglisted and too-common values carry no weight and are never paired.
- ``similarity``: character n-gram TF-IDF over narratives plus an IDF-weighted Jaccard over
  observables, with the shared phrases and observables as reasons.

scikit-learn, scipy and numpy are imported when first needed, so importing this package stays
cheap for code that only scores decay.
"""

from .clustering import (
    MIN_SCORE_DEFAULT,
    PAIRING_LIMIT_DEFAULT,
    TOO_COMMON_DEFAULT,
    CampaignSuggestion,
    CaseObservables,
    Tie,
    rarity_weight,
    suggest_campaigns,
)
from .decay import DEFAULT_DECAY, DecayPolicy, SightingFacts, decay_score
from .similarity import CaseText, SimilarCase, SimilarityIndex

__all__ = [
    "DEFAULT_DECAY",
    "MIN_SCORE_DEFAULT",
    "PAIRING_LIMIT_DEFAULT",
    "TOO_COMMON_DEFAULT",
    "CampaignSuggestion",
    "CaseObservables",
    "CaseText",
    "DecayPolicy",
    "SightingFacts",
    "SimilarCase",
    "SimilarityIndex",
    "Tie",
    "decay_score",
    "rarity_weight",
    "suggest_campaigns",
]
