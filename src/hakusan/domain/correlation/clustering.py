"""Campaign suggestions: cases that share rare infrastructure, with the evidence that ties them.

Weights. An observable shared by ``k`` cases weighs ``ln 2 / ln k``: 1.0 for a value only two
cases share, 0.5 at four, 0.25 at sixteen, 0.15 at a hundred. Scores are therefore in units of
"one exclusively shared value", whatever the size of the database. (An IDF ``ln(N/k)`` was the
other candidate; its scale moves with N, so one threshold cannot serve a fresh install and a
division with 20,000 cases, and with N large a value in 100 cases still weighs half as much as
a unique one.) Carrying no weight at all, and never shown as evidence:

- values in ``excluded`` (warninglisted: public resolvers, CDNs, big mail providers);
- too-common values, in more than ``too_common`` cases (100 by default, as MISP);
- values only one case has.

Pairs. Two cases are tied when the weights of the values they share sum to ``min_score`` (1.0 by
default): one exclusively shared value, two values shared by four cases, or four by sixteen.
One weak value (a hosting address in thirty cases, 0.2) never ties two cases. Candidate pairs
come only from *anchor* values, in at most ``pairing_limit`` cases (32 by default: weight >= 0.2,
at most 496 pairs a value), so the work is bounded by ``sightings × pairing_limit / 2`` however
the values are distributed; too-common values are dropped before any pairing. Values between
the pairing limit and ``too_common`` still add their weight to a pair found through an anchor,
and are shown as evidence, but never create a pair on their own: cases that share only
moderately common values are coincidences far more often than campaigns. Nothing pairwise is
stored: pairs live in one sparse matrix for the duration of the call.

Clusters. Connected components of the tied pairs (single linkage at ``min_score``): every member
has at least one strong tie to another member. That is how investigators pivot on
infrastructure (A and B share a C2 address; B and C the wallet the C2 demanded payment to), and
the decoys that matter (warninglisted values, too-common values, one weak value) produce no tie
at all, so they cannot chain. A case with strong ties to two groups joins them: that is itself
a finding (shared infrastructure across the groups), and the ties show which values do it.

Output. A suggestion lists its cases (ascending), its ties (observables shared by at least two of
its cases; strongest first, then most cases, then id) and a score: the sum over ties of
``weight × (cases sharing it − 1) / (cases in the cluster − 1)``, so a value every member shares
counts in full and a value only two of five members share counts a quarter; for a pair it is
the pair's strength. Suggestions are ordered by score (descending), then by their first case.
The output does not depend on the order of the input.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

TOO_COMMON_DEFAULT = 100  # as MISP's default correlation limit
MIN_SCORE_DEFAULT = 1.0
PAIRING_LIMIT_DEFAULT = 32
_EPS = 1e-9


@dataclass(frozen=True)
class CaseObservables:
    case_id: int
    observables: frozenset[int]  # observable ids


@dataclass(frozen=True)
class Tie:
    """One observable that ties cases of a suggestion: its weight and which cases share it."""

    observable_id: int
    weight: float
    cases: tuple[int, ...]


@dataclass(frozen=True)
class CampaignSuggestion:
    case_ids: tuple[int, ...]
    score: float
    ties: tuple[Tie, ...]  # evidence, strongest first


@dataclass
class ClusterStats:
    """What one run did; the scaling tests assert on it."""

    cases: int = 0
    weighted_observables: int = 0  # shared by >= 2 cases, not excluded, not too common
    too_common_observables: int = 0
    excluded_observables: int = 0
    anchor_observables: int = 0  # weighted and in at most pairing_limit cases
    pair_budget: int = 0  # sum of k*(k-1)/2 over anchors: the most pairs anchors can make
    candidate_pairs: int = 0  # distinct case pairs that share an anchor
    refined_pairs: int = 0  # candidates whose non-anchor shared values had to be added up
    tied_pairs: int = 0  # pairs at or above min_score


def rarity_weight(k: int) -> float:
    """Weight of a value shared by ``k`` cases: ln 2 / ln k (1.0 at k = 2; 0 below)."""
    if k < 2:
        return 0.0
    return math.log(2) / math.log(k)


def suggest_campaigns(
    cases: Sequence[CaseObservables],
    *,
    excluded: frozenset[int] = frozenset(),
    too_common: int = TOO_COMMON_DEFAULT,
    min_score: float = MIN_SCORE_DEFAULT,
    total_cases: int | None = None,
    observable_counts: Mapping[int, int] | None = None,
    pairing_limit: int = PAIRING_LIMIT_DEFAULT,
) -> list[CampaignSuggestion]:
    """Groups of cases that share rare infrastructure (see the module docstring).

    ``observable_counts`` gives the number of cases each observable is sighted in across the
    whole database, when ``cases`` is a subset (open cases, a time window); it decides weights
    and the too-common cut. Without it, counts are taken from ``cases``. ``total_cases`` is
    accepted for callers that know the size of the database; weights do not depend on it (it
    is only checked to be at least ``len(cases)``).
    """
    return _suggest(
        cases,
        excluded=excluded,
        too_common=too_common,
        min_score=min_score,
        total_cases=total_cases,
        observable_counts=observable_counts,
        pairing_limit=pairing_limit,
    )[0]


def _suggest(
    cases: Sequence[CaseObservables],
    *,
    excluded: frozenset[int] = frozenset(),
    too_common: int = TOO_COMMON_DEFAULT,
    min_score: float = MIN_SCORE_DEFAULT,
    total_cases: int | None = None,
    observable_counts: Mapping[int, int] | None = None,
    pairing_limit: int = PAIRING_LIMIT_DEFAULT,
) -> tuple[list[CampaignSuggestion], ClusterStats]:
    if too_common < 2:
        raise ValueError(f"too_common must be at least 2, not {too_common}")
    if pairing_limit < 2:
        raise ValueError(f"pairing_limit must be at least 2, not {pairing_limit}")
    if not min_score > 0:
        raise ValueError(f"min_score must be positive, not {min_score}")
    if total_cases is not None and total_cases < len(cases):
        raise ValueError(f"total_cases is {total_cases} but {len(cases)} cases were given")

    stats = ClusterStats(cases=len(cases))
    # Canonical order: the result must not depend on how the caller listed the cases.
    ordered = sorted(cases, key=lambda c: c.case_id)
    for before, after in pairwise(ordered):
        if before.case_id == after.case_id:
            raise ValueError(f"case {after.case_id} is listed twice")
    if len(ordered) < 2:
        return [], stats

    local_counts: Counter[int] = Counter()
    for case in ordered:
        local_counts.update(case.observables)

    weights: dict[int, float] = {}
    counts: dict[int, int] = {}
    for obs, local in local_counts.items():
        if local < 2:
            continue  # nobody to share it with in this input
        if obs in excluded:
            stats.excluded_observables += 1
            continue
        k = max(local, observable_counts.get(obs, 0)) if observable_counts else local
        if k > too_common:
            stats.too_common_observables += 1
            continue
        weights[obs] = rarity_weight(k)
        counts[obs] = k
    stats.weighted_observables = len(weights)
    if not weights:
        return [], stats

    edges = _tied_pairs(ordered, weights, counts, min_score, pairing_limit, stats)
    if not edges:
        return [], stats

    components = _components(len(ordered), edges)
    suggestions = [_describe([ordered[i] for i in members], weights) for members in components]
    suggestions.sort(key=lambda s: (-s.score, s.case_ids))
    return suggestions, stats


def _tied_pairs(
    ordered: Sequence[CaseObservables],
    weights: Mapping[int, float],
    counts: Mapping[int, int],
    min_score: float,
    pairing_limit: int,
    stats: ClusterStats,
) -> list[tuple[int, int]]:
    """Pairs of row indices whose shared weight reaches ``min_score``."""
    import numpy as np
    from scipy import sparse

    anchors = sorted(o for o in weights if counts[o] <= pairing_limit)
    others = sorted(o for o in weights if counts[o] > pairing_limit)
    stats.anchor_observables = len(anchors)
    stats.pair_budget = sum(counts[o] * (counts[o] - 1) // 2 for o in anchors)
    if not anchors:
        return []

    n = len(ordered)
    anchor_col = {o: j for j, o in enumerate(anchors)}
    other_col = {o: j for j, o in enumerate(others)}
    a_rows: list[int] = []
    a_cols: list[int] = []
    o_rows: list[int] = []
    o_cols: list[int] = []
    anchor_keys, other_keys = anchor_col.keys(), other_col.keys()
    for i, case in enumerate(ordered):
        for obs in anchor_keys & case.observables:
            a_rows.append(i)
            a_cols.append(anchor_col[obs])
        for obs in other_keys & case.observables:
            o_rows.append(i)
            o_cols.append(other_col[obs])

    def matrix(rows: list[int], cols: list[int], n_cols: int) -> Any:
        data = np.ones(len(rows), dtype=np.float64)
        return sparse.csr_matrix((data, (rows, cols)), shape=(n, n_cols))

    a = matrix(a_rows, a_cols, len(anchors))
    a_w = a.multiply(np.array([weights[o] for o in anchors])[np.newaxis, :]).tocsr()
    # Anchor contribution for every pair sharing an anchor: one sparse product, in C.
    shared = sparse.triu(a_w @ a.T, k=1).tocoo()
    rows = shared.row.astype(np.int64)
    cols = shared.col.astype(np.int64)
    score = shared.data.astype(np.float64)
    stats.candidate_pairs = int(score.size)

    if others:
        o = matrix(o_rows, o_cols, len(others))
        o_w = o.multiply(np.array([weights[x] for x in others])[np.newaxis, :]).tocsr()
        # Add the non-anchor values only where they could still lift a pair over the line:
        # their sum in the poorer of the two cases bounds what the pair can share.
        reach = np.asarray(o_w.sum(axis=1)).ravel()
        need = (score < min_score - _EPS) & (
            score + np.minimum(reach[rows], reach[cols]) >= min_score - _EPS
        )
        idx = np.flatnonzero(need)
        stats.refined_pairs = int(idx.size)
        if idx.size:
            extra = np.asarray(o_w[rows[idx]].multiply(o[cols[idx]]).sum(axis=1)).ravel()
            score[idx] += extra

    tied = score >= min_score - _EPS
    stats.tied_pairs = int(tied.sum())
    return list(zip(rows[tied].tolist(), cols[tied].tolist(), strict=True))


def _components(n: int, edges: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Connected components with at least two members, each as ascending row indices."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    linked: set[int] = set()
    for a, b in edges:
        linked.update((a, b))
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for x in sorted(linked):
        groups.setdefault(find(x), []).append(x)
    # Roots are the smallest member, so this is ordered by first member.
    return [groups[root] for root in sorted(groups)]


def _describe(
    members: Sequence[CaseObservables], weights: Mapping[int, float]
) -> CampaignSuggestion:
    sharing: dict[int, list[int]] = {}
    for case in members:
        for obs in case.observables:
            if obs in weights:
                sharing.setdefault(obs, []).append(case.case_id)
    ties = [
        Tie(observable_id=obs, weight=weights[obs], cases=tuple(sorted(ids)))
        for obs, ids in sharing.items()
        if len(ids) >= 2
    ]
    ties.sort(key=lambda t: (-t.weight, -len(t.cases), t.observable_id))
    span = len(members) - 1
    score = sum(t.weight * (len(t.cases) - 1) / span for t in ties)
    return CampaignSuggestion(
        case_ids=tuple(c.case_id for c in members), score=score, ties=tuple(ties)
    )
