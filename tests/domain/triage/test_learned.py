from datetime import UTC, datetime
from pathlib import Path

import pytest

from hakusan.domain.demo import generate_reports
from hakusan.domain.triage import LearnedTriager, ModelFileError, normalise
from hakusan.domain.triage import learned as learned_module


@pytest.fixture(scope="module")
def model() -> LearnedTriager:
    samples = list(generate_reports(600, seed=11))
    return LearnedTriager.train([s.narrative for s in samples], [s.category for s in samples])


def test_too_few_samples_is_a_clear_error() -> None:
    with pytest.raises(
        ValueError, match=r"too few labelled reports to train: 29 \(need at least 30\)"
    ):
        LearnedTriager.train(["暗号化された"] * 29, ["ransomware"] * 29)


def test_too_few_classes_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="too few categories to train: 1 \\(ransomware\\)"):
        LearnedTriager.train(["暗号化された"] * 40, ["ransomware"] * 40)


def test_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="40 texts but 39 labels"):
        LearnedTriager.train(["x"] * 40, ["a"] * 39)


def test_two_classes_are_enough() -> None:
    texts = ["ファイルが暗号化され身代金を要求された"] * 20 + ["掲示板に悪口を書き込まれた"] * 20
    labels = ["ransomware"] * 20 + ["defamation"] * 20
    model = LearnedTriager.train(texts, labels)
    assert model.classes == ("defamation", "ransomware")
    for text, expected in (
        ("サーバが暗号化された", "ransomware"),
        ("悪口を書かれた", "defamation"),
    ):
        label, probability, reasons = model.predict(text)
        assert label == expected
        assert probability > 0.5
        assert reasons and all(r.category == expected for r in reasons)


def test_metadata(model: LearnedTriager) -> None:
    assert model.n_samples == 600
    assert model.trained_at.tzinfo is UTC
    assert (datetime.now(UTC) - model.trained_at).total_seconds() < 600
    assert len(model.classes) >= 10
    assert list(model.classes) == sorted(model.classes)


def test_predict_explains_with_phrases_from_the_text(model: LearnedTriager) -> None:
    text = "会社のファイルサーバが暗号化され、身代金を要求する脅迫文が置かれていた。"
    label, probability, reasons = model.predict(text)
    assert label == "ransomware"
    assert 0.0 < probability <= 1.0
    assert 1 <= len(reasons) <= 5
    for reason in reasons:
        assert reason.kind == "model" and reason.category == "ransomware" and reason.weight > 0
        assert reason.detail.startswith("「") and reason.detail.endswith("」")
        assert reason.detail[1:-1] in normalise(text)
    assert [r.weight for r in reasons] == sorted((r.weight for r in reasons), reverse=True)
    assert model.predict_many([text, text]) == [model.predict(text)] * 2
    assert model.predict_many([]) == []


def test_evaluate(model: LearnedTriager) -> None:
    samples = list(generate_reports(200, seed=12))
    metrics = model.evaluate([s.narrative for s in samples], [s.category for s in samples])
    assert set(metrics) == {"n", "accuracy", "macro_f1", "per_class"}
    assert metrics["n"] == 200
    assert 0.5 < metrics["accuracy"] <= 1.0
    assert set(metrics["per_class"]["fraud"]) == {"precision", "recall", "f1", "support"}
    with pytest.raises(ValueError, match="nothing to evaluate"):
        model.evaluate([], [])


def test_save_load_round_trip(model: LearnedTriager, tmp_path: Path) -> None:
    path = tmp_path / "triage.joblib"
    model.save(path)
    loaded = LearnedTriager.load(path)
    assert loaded.classes == model.classes
    assert loaded.n_samples == model.n_samples
    assert loaded.trained_at == model.trained_at
    for sample in generate_reports(20, seed=13):
        assert loaded.predict(sample.narrative) == model.predict(sample.narrative)
    assert not list(tmp_path.glob("*.tmp"))


def test_load_refuses_another_sklearn_version(
    model: LearnedTriager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "triage.joblib"
    model.save(path)
    monkeypatch.setattr(learned_module, "_sklearn_version", lambda: "0.0.1")
    with pytest.raises(ModelFileError, match=r"trained with scikit-learn .* runs 0\.0\.1: retrain"):
        LearnedTriager.load(path)


def test_load_refuses_other_files(tmp_path: Path) -> None:
    import joblib

    other = tmp_path / "other.joblib"
    joblib.dump({"hello": 1}, other)
    with pytest.raises(ModelFileError, match="not a Hakusan triage model"):
        LearnedTriager.load(other)
    garbage = tmp_path / "garbage.joblib"
    garbage.write_bytes(b"not a pickle")
    with pytest.raises(ModelFileError, match="not a readable triage model"):
        LearnedTriager.load(garbage)
    with pytest.raises(FileNotFoundError):
        LearnedTriager.load(tmp_path / "missing.joblib")


def test_model_weight() -> None:
    assert learned_module.model_weight(0) == 0.0
    assert learned_module.model_weight(100) == pytest.approx(0.1)
    assert learned_module.model_weight(50_000) == 0.8
