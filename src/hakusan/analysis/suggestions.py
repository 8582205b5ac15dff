"""Campaign suggestions from the store: load the cases' observable sets, call
``hakusan.domain.correlation.suggest_campaigns``, and describe shared infrastructure.

Weights come from the number of cases an observable is in across *every* case, whichever
subset is clustered (a reader who sees twenty cases gets the same weights as an analyst who
sees all); warninglisted observables (``Observable.warninglist_hits``) and too-common ones
(``settings.HAKUSAN_TOO_COMMON``, 100 by default) carry no weight."""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hakusan.domain.correlation import (
    CampaignSuggestion,
    CaseObservables,
    rarity_weight,
    suggest_campaigns,
)
from hakusan.indicators.models import Observable

from . import loaders


@dataclass
class Computed:
    suggestions: list[dict[str, Any]]
    stats: dict[str, Any]
    case_count: int
    params: dict[str, Any] = field(default_factory=dict)


def _as_json(s: CampaignSuggestion) -> dict[str, Any]:
    return {
        "case_ids": list(s.case_ids),
        "score": round(s.score, 4),
        "ties": [
            {
                "observable_id": t.observable_id,
                "weight": round(t.weight, 4),
                "case_ids": list(t.cases),
            }
            for t in s.ties
        ],
    }


def compute(case_ids: Iterable[int] | None = None) -> Computed:
    """Suggestions over these cases (``None``: every case)."""
    sets = loaders.case_observables(None if case_ids is None else list(case_ids))
    local: Counter[int] = Counter()
    for observables in sets.values():
        local.update(observables)
    shared = [oid for oid, n in local.items() if n >= 2]
    excluded = loaders.warninglisted(shared)
    counts = dict(local) if case_ids is None else loaders.observable_case_counts(shared)
    limit = loaders.too_common()
    suggestions = suggest_campaigns(
        [CaseObservables(cid, frozenset(obs)) for cid, obs in sets.items() if obs],
        excluded=excluded,
        too_common=limit,
        observable_counts=counts,
    )
    stats = {
        "cases": len(sets),
        "shared_observables": len(shared),
        "warninglisted": len(excluded),
        "too_common": sum(1 for oid in shared if counts.get(oid, 0) > limit),
        "suggestions": len(suggestions),
    }
    return Computed(
        suggestions=[_as_json(s) for s in suggestions],
        stats=stats,
        case_count=len(sets),
        params={"too_common": limit},
    )


@dataclass
class SharedObservable:
    """An observable shared by cases of a group, with its weight (0 when it carries none)."""

    observable: Observable
    case_ids: list[int]
    cases_total: int  # cases it is in, over every case
    weight: float
    warninglisted: bool
    too_common: bool
    hits: list[Any] = field(default_factory=list)

    @property
    def counted(self) -> bool:
        return self.weight > 0

    def as_evidence(self) -> dict[str, Any]:
        return {
            "observable_id": self.observable.pk,
            "type": self.observable.type,
            "value": self.observable.value,
            "weight": round(self.weight, 4),
            "case_ids": self.case_ids,
        }


def shared_observables(case_ids: Sequence[int]) -> list[SharedObservable]:
    """Observables in at least two of these cases: counted ones strongest first, then the
    warninglisted and too-common ones (shown, but weightless)."""
    sets = loaders.case_observables(list(case_ids))
    cases_of: dict[int, list[int]] = {}
    for cid in sorted(sets):
        for oid in sets[cid]:
            cases_of.setdefault(oid, []).append(cid)
    shared = {oid: cids for oid, cids in cases_of.items() if len(cids) >= 2}
    if not shared:
        return []
    hits = loaders.warninglist_hits(shared)
    totals = loaders.observable_case_counts(shared)
    limit = loaders.too_common()
    observables = Observable.objects.in_bulk(list(shared))
    rows = []
    for oid, cids in shared.items():
        total = max(totals.get(oid, 0), len(cids))
        listed = oid in hits
        common = total > limit
        rows.append(
            SharedObservable(
                observable=observables[oid],
                case_ids=cids,
                cases_total=total,
                weight=0.0 if listed or common else rarity_weight(total),
                warninglisted=listed,
                too_common=common,
                hits=hits.get(oid, []),
            )
        )
    rows.sort(key=lambda r: (not r.counted, -r.weight, -len(r.case_ids), r.observable.pk))
    return rows
