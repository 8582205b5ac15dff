"""Similar-case search over narratives and observables, with the reasons shown.

Text: TF-IDF over character n-grams (``char_wb``, 2–4) of the NFKC-normalised, case-folded
narrative (full-width ``ＶＰＮ`` and half-width ｶﾅ match their usual forms; no Japanese tokenizer
and no model download), sublinear term frequency, L2-normalised rows: the cosine similarity of
two narratives is the dot product of their rows, one sparse product for the whole index.

Observables: a weighted Jaccard of the two sets of ``"type:value"`` strings, each value weighted
by its smoothed IDF in the index (``ln((1 + N) / (1 + df)) + 1``, as scikit-learn): sharing a
wallet only two cases have counts for more than sharing an address half the cases mention.

Combined score (in [0, 1])::

    score = 0.6 × text_score + 0.4 × observable_score

when the query has both a narrative and observables. A query with only one of them is scored on
that one alone (weight 1.0), so a bare list of observables or a bare narrative still ranks in
[0, 1]. Text leads because every case has a narrative while observables are often missing or
partial; an exact shared observable is still the stronger single clue, hence 0.4 and not less.

Reasons: the shared observables (rarest first) and the phrases behind the text score: the
longest passages both narratives contain (「VPN機器の脆弱性」, not the n-grams 「VPN機」「PN機器」
it is made of), ranked by the summed cosine contribution of the shared n-grams inside them, and
shown as written (after NFKC: ``ＶＰＮ`` reads ``VPN``). Passages are cut at punctuation and
lose a leading particle (「が暗号化され」 → 「暗号化され」); hiragana alone (「された」) and
two characters with hiragana (「ら電」) are never shown. Up to five, strongest first.

Warninglisted observables should be left out by the caller before building the index and
querying: a shared public resolver is not a reason.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

NGRAM_RANGE = (2, 4)
TEXT_WEIGHT = 0.6
OBSERVABLE_WEIGHT = 0.4
TOP_TERMS = 5


@dataclass(frozen=True)
class CaseText:
    case_id: int
    text: str
    observables: frozenset[str]  # "type:value"


@dataclass(frozen=True)
class SimilarCase:
    case_id: int
    score: float
    text_score: float
    shared_observables: tuple[str, ...]
    shared_terms: tuple[str, ...]


def normalise(text: str) -> str:
    """NFKC and case folding: how narratives are compared."""
    return unicodedata.normalize("NFKC", text).casefold()


def _display_form(text: str) -> str:
    """NFKC without case folding, when folding kept every position (it nearly always does)."""
    nfkc = unicodedata.normalize("NFKC", text)
    return nfkc if len(nfkc.casefold()) == len(nfkc) else nfkc.casefold()


class SimilarityIndex:
    """An in-memory index of case narratives and observables; rebuild it when cases change."""

    def __init__(
        self,
        cases: Sequence[CaseText],
        vectorizer: TfidfVectorizer | None,
        matrix: Any,
    ) -> None:
        import numpy as np

        self._cases = tuple(cases)
        self._row = {c.case_id: i for i, c in enumerate(self._cases)}
        self._ids: Any = np.array([c.case_id for c in self._cases], dtype=np.int64)
        self._vectorizer = vectorizer
        self._matrix = matrix  # CSR, one L2-normalised row per case (None without text)
        # Feature-major copy: a query touches only the postings of its own n-grams.
        self._by_feature: Any = matrix.T.tocsr() if matrix is not None else None
        self._normalised = [normalise(c.text) for c in self._cases]
        self._features: Any = vectorizer.get_feature_names_out() if vectorizer else None
        self._postings: dict[str, list[int]] = {}
        for i, case in enumerate(self._cases):
            for obs in case.observables:
                self._postings.setdefault(obs, []).append(i)
        n = len(self._cases)
        self._idf = {
            obs: math.log((1 + n) / (1 + len(rows))) + 1 for obs, rows in self._postings.items()
        }
        self._unseen_idf = math.log(1 + n) + 1
        self._mass = [sum(self._idf[o] for o in c.observables) for c in self._cases]

    @classmethod
    def build(cls, cases: Sequence[CaseText]) -> SimilarityIndex:
        seen: set[int] = set()
        for case in cases:
            if case.case_id in seen:
                raise ValueError(f"case {case.case_id} is listed twice")
            seen.add(case.case_id)
        ordered = sorted(cases, key=lambda c: c.case_id)
        vectorizer, matrix = _fit([c.text for c in ordered])
        return cls(ordered, vectorizer, matrix)

    def __len__(self) -> int:
        return len(self._cases)

    def similar_to(self, case_id: int, *, k: int = 10) -> list[SimilarCase]:
        """Cases most like an indexed case (itself left out). KeyError for an unknown case."""
        case = self._cases[self._row[case_id]]
        return self.similar(case.text, case.observables, k=k, exclude=case_id)

    def similar(
        self, text: str, observables: frozenset[str], *, k: int = 10, exclude: int | None = None
    ) -> list[SimilarCase]:
        """The ``k`` indexed cases most like this narrative and these observables, best first.

        Only cases with a positive score are returned; ties are broken by case id.
        """
        import numpy as np

        n = len(self._cases)
        if k <= 0 or n == 0:
            return []

        text_scores = np.zeros(n, dtype=np.float64)
        query_row: Any = None
        has_text = False
        if self._vectorizer is not None and text.strip():
            query_row = self._vectorizer.transform([text]).tocsr()
            if query_row.nnz:
                has_text = True
                text_scores = (query_row @ self._by_feature).toarray().ravel().astype(np.float64)
                text_scores = np.clip(text_scores, 0.0, 1.0)

        obs_scores = np.zeros(n, dtype=np.float64)
        shared: dict[int, list[str]] = {}
        has_observables = bool(observables)
        if has_observables:
            query_mass = sum(self._idf.get(o, self._unseen_idf) for o in observables)
            for obs in observables:
                for i in self._postings.get(obs, ()):
                    shared.setdefault(i, []).append(obs)
            for i, common in shared.items():
                inter = sum(self._idf[o] for o in common)
                union = query_mass + self._mass[i] - inter
                obs_scores[i] = inter / union if union > 0 else 0.0

        if has_text and has_observables:
            scores = TEXT_WEIGHT * text_scores + OBSERVABLE_WEIGHT * obs_scores
        elif has_text:
            scores = text_scores
        elif has_observables:
            scores = obs_scores
        else:
            return []

        if exclude is not None and exclude in self._row:
            scores[self._row[exclude]] = 0.0
        candidates = np.flatnonzero(scores > 0)
        if candidates.size == 0:
            return []
        ids = self._ids[candidates]
        order = np.lexsort((ids, -scores[candidates]))[:k]

        query_norm = normalise(text)
        query_display = _display_form(text)
        results = []
        for i in candidates[order].tolist():
            common = sorted(shared.get(i, ()), key=lambda o: (-self._idf[o], o))
            terms = (
                self._shared_terms(query_row, i, query_norm, query_display)
                if has_text and text_scores[i] > 0
                else ()
            )
            results.append(
                SimilarCase(
                    case_id=self._cases[i].case_id,
                    score=float(scores[i]),
                    text_score=float(text_scores[i]),
                    shared_observables=tuple(common),
                    shared_terms=terms,
                )
            )
        return results

    def _shared_terms(
        self, query_row: Any, i: int, query_norm: str, query_display: str
    ) -> tuple[str, ...]:
        """The phrases behind the text score, strongest first."""
        import numpy as np

        lo, hi = self._matrix.indptr[i], self._matrix.indptr[i + 1]
        common, q_pos, r_pos = np.intersect1d(
            query_row.indices, self._matrix.indices[lo:hi], assume_unique=True, return_indices=True
        )
        if common.size == 0:
            return ()
        contribution = query_row.data[q_pos] * self._matrix.data[lo:hi][r_pos]
        grams: dict[str, float] = {}
        for j, value in zip(common.tolist(), contribution.tolist(), strict=True):
            gram = str(self._features[j]).strip()  # char_wb pads words with a space
            if len(gram) >= 2 and any(ch.isalnum() for ch in gram):
                grams[gram] = max(grams.get(gram, 0.0), float(value))
        return _phrases(grams, query_norm, query_display, self._normalised[i])


def _fit(texts: Sequence[str]) -> tuple[TfidfVectorizer | None, Any]:
    if not any(t.strip() for t in texts):
        return None, None
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAM_RANGE,
        preprocessor=normalise,
        sublinear_tf=True,
        dtype=np.float32,
    )
    try:
        matrix = vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # empty vocabulary: nothing but whitespace and one-character words
        return None, None
    matrix.sort_indices()
    return vectorizer, matrix


def _phrases(
    grams: dict[str, float], query_norm: str, query_display: str, other: str
) -> tuple[str, ...]:
    """The passages both narratives contain, ranked by the shared n-grams inside them.

    Maximal common substrings of the query and the other narrative (scanning the query left
    to right), cut at punctuation, each weighed by the summed cosine contribution of the shared n-grams it
    contains; the strongest that do not overlap one already chosen are shown, as written.
    """
    if not grams:
        return ()
    segments: list[tuple[float, int, int]] = []
    reach = 0  # end of the last maximal segment: anything ending before it is inside it
    length = 0
    for start in range(len(query_norm)):
        length = max(length - 1, 0)  # the match at start-1, less its first character
        while start + length < len(query_norm) and query_norm[start : start + length + 1] in other:
            length += 1
        end = start + length
        if length < 2 or end <= reach:
            continue
        reach = end
        for s, e in _runs(query_norm, start, end):
            piece = query_norm[s:e]
            weight = sum(v for g, v in grams.items() if g in piece)
            if weight > 0 and _meaningful(piece):
                segments.append((weight, s, e))

    aligned = len(query_display) == len(query_norm)
    chosen: list[tuple[int, int]] = []
    shown: list[str] = []
    for _, s, e in sorted(segments, key=lambda t: (-t[0], t[1])):
        if any(s < ce and cs < e for cs, ce in chosen):
            continue
        chosen.append((s, e))
        shown.append(query_display[s:e] if aligned else query_norm[s:e])
        if len(shown) == TOP_TERMS:
            break
    return tuple(shown)


def _runs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The stretches of letters and digits in ``text[start:end]``: a phrase stops at
    punctuation and spaces (「で、VPN機器」 shows as 「VPN機器」) and loses a one- or
    two-character particle in front (「から偽サイト」 → 「偽サイト」)."""
    runs = []
    s = start
    for i in range(start, end + 1):
        if i == end or not text[i].isalnum():
            lead = 0
            while s + lead < i and _is_hiragana(text[s + lead]):
                lead += 1
            if 0 < lead <= 2 and i - (s + lead) >= 2:
                s += lead  # a particle in front: 「が暗号化され」 → 「暗号化され」
            if i - s >= 2:
                runs.append((s, i))
            s = i + 1
    return runs


def _is_hiragana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u309f"


def _meaningful(phrase: str) -> bool:
    """Not okurigana or particles alone (「された」), nor two characters with one of them."""
    if all(_is_hiragana(ch) for ch in phrase):
        return False
    return not (len(phrase) == 2 and any(_is_hiragana(ch) for ch in phrase))
