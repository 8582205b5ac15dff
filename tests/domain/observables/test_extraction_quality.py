"""Precision and recall of extract() on the labelled corpus, next to the peer extractors.

Run with -s to see the table:
    .venv/bin/pytest -p no:django tests/domain/observables/test_extraction_quality.py -s
"""

from collections import Counter
from dataclasses import dataclass, field

from .peers import Extractor, Found, load_corpus, ours, peers, uses_special_tld

MIN_PRECISION = 0.95
MIN_RECALL = 0.95


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    set_tp: int = 0
    set_fp: int = 0
    set_fn: int = 0
    errors: int = 0
    misses: list[str] = field(default_factory=list)
    real_tld: "Score | None" = None

    def add(self, expected: Found, got: Found) -> None:
        if self.real_tld is not None:  # the same, without .test/.example/.invalid values
            self.real_tld.add(
                [i for i in expected if not uses_special_tld(*i)],
                [i for i in got if not uses_special_tld(*i)],
            )
        want, have = Counter(expected), Counter(got)
        self.tp += sum((want & have).values())
        self.fp += sum((have - want).values())
        self.fn += sum((want - have).values())
        want_set, have_set = set(expected), set(got)
        self.set_tp += len(want_set & have_set)
        self.set_fp += len(have_set - want_set)
        self.set_fn += len(want_set - have_set)

    @staticmethod
    def _ratio(part: int, whole: int) -> float:
        return part / whole if whole else 1.0

    @property
    def precision(self) -> float:
        return self._ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return self._ratio(self.tp, self.tp + self.fn)

    @property
    def set_precision(self) -> float:
        return self._ratio(self.set_tp, self.set_tp + self.set_fp)

    @property
    def set_recall(self) -> float:
        return self._ratio(self.set_tp, self.set_tp + self.set_fn)


def score(extractor: Extractor, corpus: list[tuple[str, Found]]) -> Score:
    result = Score(real_tld=Score())
    for text, expected in corpus:
        try:
            got = extractor(text)
        except Exception as exc:  # a peer crashing on one text costs it that text only
            result.errors += 1
            result.misses.append(f"{type(exc).__name__} on {text[:40]!r}")
            got = []
        result.add(expected, got)
        if Counter(got) != Counter(expected):
            result.misses.append(f"{text[:50]!r}: want {expected} got {got}")
    return result


def test_precision_and_recall_against_peers() -> None:
    corpus = load_corpus()
    assert len(corpus) >= 150
    scores = {"hakusan": score(ours, corpus)}
    unavailable = {}
    for name, extractor in peers().items():
        if isinstance(extractor, str):
            unavailable[name] = extractor
        else:
            scores[name] = score(extractor, corpus)

    expected_total = sum(len(e) for _, e in corpus)
    print(f"\ncorpus: {len(corpus)} texts, {expected_total} expected observables")
    print("P/R: (type, value) multiset per text; (set): duplicates within a text folded;")
    print("real TLDs: values under .test/.example/.invalid left out (peers reject those TLDs)")
    header = f"{'extractor':<12} {'P':>6} {'R':>6} {'P(set)':>7} {'R(set)':>7}"
    print(f"{header} {'P(real TLDs)':>13} {'R(real TLDs)':>13} {'errors':>7}")
    for name, s in scores.items():
        real = s.real_tld or Score()
        print(
            f"{name:<12} {s.precision:6.3f} {s.recall:6.3f} "
            f"{s.set_precision:7.3f} {s.set_recall:7.3f} "
            f"{real.precision:13.3f} {real.recall:13.3f} {s.errors:7d}"
        )
    for name, why in unavailable.items():
        print(f"{name:<12} not measured: {why}")

    mine = scores["hakusan"]
    assert mine.errors == 0
    assert mine.precision >= MIN_PRECISION, "\n".join(mine.misses)
    assert mine.recall >= MIN_RECALL, "\n".join(mine.misses)
