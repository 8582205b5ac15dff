"""Keyword and observable rules: a category suggestion with the reasons behind it.

Matching runs once over the text with one precompiled regular expression built as a trie of all
keywords (leftmost-longest, non-overlapping), so the cost does not grow with the keyword count.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .categories import OTHER_CODE, SEED_CATEGORIES, TECHNICAL_OBSERVABLES, CategoryDef

REASON_KINDS: tuple[str, ...] = ("keyword", "observable", "damage", "victim", "category", "model")

# Policy knobs (documented in the module docstring of categories.py and in the report).
HIGH_DAMAGE_YEN = 1_000_000
HIGH_DAMAGE_CATEGORIES: frozenset[str] = frozenset({"fraud", "online_banking"})
ORG_VICTIM_CATEGORIES: frozenset[str] = frozenset({"unauthorized_access", "ransomware"})
ORG_VICTIM_KINDS: frozenset[str] = frozenset({"company", "organisation"})

# Below this raw score the suggestion falls back to "other".
MIN_RAW_SCORE = 0.75
# Raw scores are squashed into [0, 1): score = 1 - exp(-raw / SCORE_SCALE).
SCORE_SCALE = 3.0
# Score given to "other" when nothing matched.
NO_SIGNAL_SCORE = 0.1
# An observable type hinted by one category adds this much (split among hinting categories).
OBSERVABLE_WEIGHT = 1.0
# Categories (by rank) whose observable reasons are kept.
OBSERVABLE_REASON_TOP = 3


@dataclass(frozen=True)
class TriageInput:
    """What the officer filed: the narrative, observable types extracted from it, damage, victim."""

    text: str
    observable_types: frozenset[str] = frozenset()
    damage_amount: int | None = None
    victim_kind: str = "person"  # "person" | "company" | "organisation"


@dataclass(frozen=True)
class Reason:
    """Why a category was suggested or why the cyber division must take the report.

    kind: "keyword" (detail 「term」), "observable" (detail: the observable type), "damage",
    "victim", "category" (the category itself is a cyber-division one), "model" (detail 「n-gram」
    or the model's summary line).
    """

    kind: str
    detail: str
    weight: float
    category: str | None = None


@dataclass(frozen=True)
class TriageResult:
    category: str | None
    scores: dict[str, float]
    needs_cyber: bool
    reasons: tuple[Reason, ...]
    source: str  # "rules" | "model" | "rules+model"


def normalise(text: str) -> str:
    """NFKC (full-width ASCII, half-width kana) and case folding, as keywords are matched."""
    return unicodedata.normalize("NFKC", text).casefold()


def keyword_weight(keyword: str) -> float:
    """Longer keywords are more specific: 2 characters weigh 1.0, +0.25 a character, max 3.0."""
    return min(3.0, max(0.75, 1.0 + 0.25 * (len(keyword) - 2)))


def squash(raw: float) -> float:
    return 1.0 - math.exp(-raw / SCORE_SCALE)


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex alternation shaped as a trie: leftmost-longest match, one pass over the text.

    ASCII words only match as whole words (``c2`` not inside a hash, ``sms`` not inside
    ``smsc``); Japanese has no word boundaries, so Japanese keywords match anywhere.
    """
    trie: dict[str, dict] = {}
    end = ""  # marker key for "a word ends here"
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[end] = {}

    def build(node: dict[str, dict], last: str) -> str:
        alternatives = [re.escape(ch) + build(child, ch) for ch, child in node.items() if ch]
        if end in node:
            # Last, so the longer words are tried first (leftmost-longest).
            alternatives.append(r"(?![a-z0-9])" if _is_word_char(last) else "")
        if len(alternatives) == 1:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")"

    root = []
    for ch, child in trie.items():
        # The start boundary is checked after the first character, so that every branch starts
        # with a literal and the regex engine can skip positions by first character.
        guard = r"(?<![a-z0-9].)" if _is_word_char(ch) else ""
        root.append(re.escape(ch) + guard + build(child, ch))
    return "|".join(root)


def needs_cyber_reasons(
    category: CategoryDef | None,
    signals: Mapping[str, float],
    item: TriageInput,
) -> tuple[Reason, ...]:
    """The triggers that put a report with the cyber division; empty means the station keeps it.

    - the suggested category is a cyber-division one;
    - technical observables (IP, hash, crypto address, CVE) with a cyber-ish suggested category
      (cyber-division, or one whose observable hints include technical types, e.g. fraud+btc);
    - a company/organisation victim with any unauthorised-access or ransomware signal (``signals``:
      keyword scores by category from the rules, combined scores after ``combine``);
    - damage >= 1,000,000 yen when the suggestion is fraud or online banking.
    """
    reasons: list[Reason] = []
    code = category.code if category else None
    if category is not None and category.cyber_division:
        reasons.append(
            Reason(
                "category",
                f"{category.code} ({category.name_ja}) is handled by the cyber division",
                1.0,
                code,
            )
        )
    technical = sorted(TECHNICAL_OBSERVABLES.intersection(t.lower() for t in item.observable_types))
    if technical and category is not None and category.cyberish:
        reasons.append(
            Reason(
                "observable",
                f"technical observables ({', '.join(technical)}) in a {category.code} report",
                1.0,
                code,
            )
        )
    if item.victim_kind in ORG_VICTIM_KINDS:
        for org_code in sorted(ORG_VICTIM_CATEGORIES):
            if signals.get(org_code, 0.0) > 0.0:
                reasons.append(
                    Reason(
                        "victim",
                        f"{item.victim_kind} victim with a {org_code} signal",
                        1.0,
                        org_code,
                    )
                )
    if (
        item.damage_amount is not None
        and item.damage_amount >= HIGH_DAMAGE_YEN
        and code in HIGH_DAMAGE_CATEGORIES
    ):
        reasons.append(
            Reason(
                "damage",
                f"damage {item.damage_amount:,} yen >= {HIGH_DAMAGE_YEN:,} yen in {code}",
                1.0,
                code,
            )
        )
    return tuple(reasons)


# (category code, weight, the reason shown) — reasons are immutable, so built once.
_Hit = tuple[str, float, Reason]


@dataclass
class _Compiled:
    pattern: re.Pattern[str]
    keywords: dict[str, tuple[_Hit, ...]]  # normalised keyword -> hits
    observables: dict[str, tuple[_Hit, ...]]  # observable type -> hits
    order: dict[str, int] = field(default_factory=dict)


def _compile(categories: tuple[CategoryDef, ...]) -> _Compiled:
    owners: dict[str, list[str]] = {}
    originals: dict[str, str] = {}
    for cat in categories:
        for kw in cat.keywords:
            norm = normalise(kw).strip()
            if not norm:
                continue
            originals.setdefault(norm, kw.strip())
            codes = owners.setdefault(norm, [])
            if cat.code not in codes:
                codes.append(cat.code)
    # A keyword shared by n categories is 1/n as specific for each of them.
    keywords: dict[str, tuple[_Hit, ...]] = {}
    for norm, codes in owners.items():
        weight = keyword_weight(norm) / len(codes)
        shown = f"「{originals[norm]}」"
        keywords[norm] = tuple((c, weight, Reason("keyword", shown, weight, c)) for c in codes)
    hinted: dict[str, list[str]] = {}
    for cat in categories:
        for obs in cat.observable_hints:
            hinted.setdefault(obs.lower(), []).append(cat.code)
    observables: dict[str, tuple[_Hit, ...]] = {}
    for obs, codes in hinted.items():
        weight = OBSERVABLE_WEIGHT / len(codes)
        observables[obs] = tuple((c, weight, Reason("observable", obs, weight, c)) for c in codes)
    pattern = re.compile(_trie_pattern(sorted(keywords)) or r"(?!x)x")
    order = {cat.code: i for i, cat in enumerate(categories)}
    return _Compiled(pattern, keywords, observables, order)


class RuleTriager:
    """Suggest a category from keywords and observable types; explain every point of score."""

    def __init__(self, categories: Iterable[CategoryDef] = SEED_CATEGORIES) -> None:
        self.categories: tuple[CategoryDef, ...] = tuple(categories)
        codes = [c.code for c in self.categories]
        if len(set(codes)) != len(codes):
            raise ValueError(f"duplicate category codes in {codes}")
        self._by_code = {c.code: c for c in self.categories}
        self._compiled = _compile(self.categories)

    def category(self, code: str | None) -> CategoryDef | None:
        return self._by_code.get(code) if code is not None else None

    def suggest(self, item: TriageInput) -> TriageResult:
        compiled = self._compiled
        raw: dict[str, float] = {}
        by_category: dict[str, list[Reason]] = {}
        # dict.fromkeys: each distinct keyword once, in order of first appearance
        for kw in dict.fromkeys(compiled.pattern.findall(normalise(item.text))):
            for code, weight, reason in compiled.keywords[kw]:
                raw[code] = raw.get(code, 0.0) + weight
                if code in by_category:
                    by_category[code].append(reason)
                else:
                    by_category[code] = [reason]
        keyword_raw = dict(raw)

        observed: dict[str, list[Reason]] = {}
        if item.observable_types:
            for obs in sorted({t.lower() for t in item.observable_types}):
                for code, weight, reason in compiled.observables.get(obs, ()):
                    raw[code] = raw.get(code, 0.0) + weight
                    if code in observed:
                        observed[code].append(reason)
                    else:
                        observed[code] = [reason]

        order = compiled.order
        ranked = sorted(raw, key=lambda c: (-raw[c], order[c]))
        scores = {code: round(1.0 - math.exp(-raw[code] / SCORE_SCALE), 4) for code in ranked}
        reasons: list[Reason] = []
        if ranked and raw[ranked[0]] >= MIN_RAW_SCORE:
            top: str | None = ranked[0]
            for i, code in enumerate(ranked):
                if code in by_category:
                    reasons.extend(sorted(by_category[code], key=_by_weight, reverse=True))
                if i < OBSERVABLE_REASON_TOP and code in observed:
                    reasons.extend(observed[code])
        else:
            top = OTHER_CODE if OTHER_CODE in self._by_code else None
            if top is not None:
                scores[top] = max(scores.get(top, 0.0), NO_SIGNAL_SCORE)
            detail = (
                "no keyword or observable matched"
                if not raw
                else f"signals too weak (best {raw[ranked[0]]:.2f} < {MIN_RAW_SCORE})"
            )
            reasons.append(Reason("keyword", detail, 0.0, top))
            for code in ranked:
                reasons.extend(by_category.get(code, ()))
                reasons.extend(observed.get(code, ()))

        cyber = needs_cyber_reasons(self.category(top), keyword_raw, item)
        return TriageResult(
            category=top,
            scores=scores,
            needs_cyber=bool(cyber),
            reasons=(*reasons, *cyber),
            source="rules",
        )


def _by_weight(reason: Reason) -> float:
    return reason.weight
