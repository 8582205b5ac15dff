"""A category model learned from the division's own labelled reports.

Character n-gram TF-IDF (``char_wb`` 1–3: no Japanese tokenizer needed) and a linear model
(``SGDClassifier`` with log loss: logistic regression fitted by SGD, one-vs-rest, ~5x faster than
lbfgs on these feature counts at the same accuracy), so that the per-class weights of the n-grams
present in a text explain a prediction. Overlapping n-grams are merged back into the phrase they
came from: 「プロバ」「ロバイ」「バイダ」 are shown as 「プロバイダ」.

scikit-learn is imported lazily: importing ``hakusan.domain.triage`` stays cheap for code that
only uses the rules.

Model files are joblib (pickle) files: load only files this system wrote (they live in the data
directory, never uploaded by users).
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .rules import Reason, normalise

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier

FORMAT = "hakusan.triage.learned/1"
NGRAM_RANGE = (1, 3)
TOP_REASONS = 5
# How many of the strongest n-grams are merged into the phrases shown.
EXPLAIN_NGRAMS = 15


class ModelFileError(ValueError):
    """A model file that cannot be used: wrong format or another scikit-learn version."""


def classification_metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-class precision/recall/F1/support (labels in either list).

    Pure Python so that the rules can be measured the same way without scikit-learn.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    n = len(y_true)
    tp: Counter[str] = Counter()
    pred_count: Counter[str] = Counter(y_pred)
    true_count: Counter[str] = Counter(y_true)
    for t, p in zip(y_true, y_pred, strict=True):
        if t == p:
            tp[t] += 1
    per_class: dict[str, dict[str, float]] = {}
    for label in sorted(set(true_count) | set(pred_count)):
        precision = tp[label] / pred_count[label] if pred_count[label] else 0.0
        recall = tp[label] / true_count[label] if true_count[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": true_count[label],
        }
    macro_f1 = sum(c["f1"] for c in per_class.values()) / len(per_class) if per_class else 0.0
    return {
        "n": n,
        "accuracy": sum(tp.values()) / n if n else 0.0,
        "macro_f1": macro_f1,
        "per_class": per_class,
    }


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


class LearnedTriager:
    """Predict a category from the narrative alone; explain with the strongest n-grams."""

    MIN_SAMPLES: ClassVar[int] = 30
    MIN_CLASSES: ClassVar[int] = 2

    def __init__(
        self,
        vectorizer: TfidfVectorizer,
        classifier: SGDClassifier,
        *,
        n_samples: int,
        trained_at: datetime,
    ) -> None:
        self.vectorizer = vectorizer
        self.classifier = classifier
        self.n_samples = n_samples
        self.trained_at = trained_at
        self.classes: tuple[str, ...] = tuple(str(c) for c in classifier.classes_)
        self._features: Any = vectorizer.get_feature_names_out()

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str]) -> LearnedTriager:
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        counts = Counter(labels)
        if len(texts) < cls.MIN_SAMPLES:
            raise ValueError(
                f"too few labelled reports to train: {len(texts)} (need at least {cls.MIN_SAMPLES})"
            )
        if len(counts) < cls.MIN_CLASSES:
            raise ValueError(
                f"too few categories to train: {len(counts)} ({', '.join(sorted(counts))}); "
                f"need at least {cls.MIN_CLASSES}"
            )
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import SGDClassifier

        vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=NGRAM_RANGE,
            preprocessor=normalise,
            sublinear_tf=True,
            min_df=2 if len(texts) >= 200 else 1,
            max_features=200_000,
            dtype=_float32(),
        )
        matrix = vectorizer.fit_transform(texts)
        classifier = SGDClassifier(
            loss="log_loss", alpha=1e-5, max_iter=1000, tol=1e-4, random_state=0
        )
        classifier.fit(matrix, list(labels))
        return cls(vectorizer, classifier, n_samples=len(texts), trained_at=datetime.now(UTC))

    def predict(self, text: str) -> tuple[str, float, tuple[Reason, ...]]:
        """The most likely category, its probability and the phrases that pushed towards it."""
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[tuple[str, float, tuple[Reason, ...]]]:
        """``predict`` for a batch: one vectorisation call (sklearn's per-call cost is ~1 ms)."""
        if not texts:
            return []
        matrix = self.vectorizer.transform(texts).tocsr()
        probabilities = self.classifier.predict_proba(matrix)
        results = []
        for i, text in enumerate(texts):
            best = int(probabilities[i].argmax())
            label = self.classes[best]
            reasons = self._explain(text, matrix[i], best, label)
            results.append((label, float(probabilities[i][best]), reasons))
        return results

    def _explain(self, text: str, row: Any, best: int, label: str) -> tuple[Reason, ...]:
        coef = self.classifier.coef_
        # Binary models keep one row of weights, for classes_[1].
        weights = (coef[0] if best == 1 else -coef[0]) if coef.shape[0] == 1 else coef[best]
        values = row.data * weights[row.indices]
        # the strongest first; a few spare for the punctuation n-grams skipped below
        top = values.argsort()[::-1][: EXPLAIN_NGRAMS * 2]
        normalised = normalise(text)
        spans: list[tuple[int, int, str, float]] = []
        taken = 0
        for k in top:
            value = float(values[k])
            if value <= 0 or taken >= EXPLAIN_NGRAMS:
                break
            gram = str(self._features[row.indices[k]]).strip()
            if not any(ch.isalnum() for ch in gram):
                continue  # punctuation and padding say nothing to an officer
            taken += 1
            start = normalised.find(gram)
            while start >= 0:
                spans.append((start, start + len(gram), gram, value))
                start = normalised.find(gram, start + 1)
        # Merge overlapping occurrences into phrases; a phrase weighs the sum of its n-grams.
        spans.sort()
        phrases: list[tuple[int, int, dict[str, float]]] = []
        for start, end, gram, value in spans:
            if phrases and start < phrases[-1][1]:
                p_start, p_end, grams = phrases[-1]
                grams[gram] = value
                phrases[-1] = (p_start, max(p_end, end), grams)
            else:
                phrases.append((start, end, {gram: value}))
        best_phrases: dict[str, float] = {}
        for start, end, grams in phrases:
            phrase = normalised[start:end]
            best_phrases[phrase] = max(best_phrases.get(phrase, 0.0), sum(grams.values()))
        chosen: list[tuple[str, float]] = []
        for phrase, weight in sorted(best_phrases.items(), key=lambda kv: kv[1], reverse=True):
            if any(phrase in kept for kept, _ in chosen):
                continue  # another occurrence of a phrase already shown
            chosen.append((phrase, weight))
            if len(chosen) == TOP_REASONS:
                break
        return tuple(Reason("model", f"「{p}」", round(w, 4), label) for p, w in chosen)

    def evaluate(self, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
        if not texts:
            raise ValueError("nothing to evaluate")
        predicted = [str(p) for p in self.classifier.predict(self.vectorizer.transform(texts))]
        return classification_metrics(list(labels), predicted)

    def save(self, path: Path) -> None:
        """Write the model; the estimators are pickled inside a plain header so ``load`` can
        check the format and the scikit-learn version before unpickling any estimator."""
        import joblib

        payload = {
            "format": FORMAT,
            "sklearn_version": _sklearn_version(),
            "n_samples": self.n_samples,
            "trained_at": self.trained_at.isoformat(),
            "classes": list(self.classes),
            "estimators": pickle.dumps(
                (self.vectorizer, self.classifier), protocol=pickle.HIGHEST_PROTOCOL
            ),
        }
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        joblib.dump(payload, tmp, compress=3)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> LearnedTriager:
        import joblib

        try:
            payload = joblib.load(Path(path))
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise ModelFileError(f"{path} is not a readable triage model: {exc}") from exc
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise ModelFileError(f"{path} is not a Hakusan triage model ({FORMAT})")
        saved, current = payload.get("sklearn_version"), _sklearn_version()
        if saved != current:
            raise ModelFileError(
                f"{path} was trained with scikit-learn {saved}, this system runs {current}: "
                "retrain the triage model"
            )
        vectorizer, classifier = pickle.loads(payload["estimators"])
        return cls(
            vectorizer,
            classifier,
            n_samples=int(payload["n_samples"]),
            trained_at=datetime.fromisoformat(payload["trained_at"]),
        )

    def __repr__(self) -> str:
        return (
            f"<LearnedTriager {len(self.classes)} classes, {self.n_samples} samples, "
            f"trained {self.trained_at.isoformat()}>"
        )


def _float32() -> Any:
    import numpy as np

    return np.float32


def model_weight(n_samples: int, *, full_at: int = 1000, cap: float = 0.8) -> float:
    """How much to trust the model: grows with its training data, capped (min(0.8, n/1000))."""
    if n_samples <= 0:
        return 0.0
    return min(cap, n_samples / full_at)
