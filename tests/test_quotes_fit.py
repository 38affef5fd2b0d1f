"""The fitted quote choice: the stored cutoffs, and the fit's budget rule on made-up answers."""

from __future__ import annotations

import json

from assistant.answer.extractive import Sentence
from assistant.fitted import FOLDER, fitted_values
from assistant.fitted.fit_quotes import CUTOFFS, QUOTE_BUDGET, best_cutoff, outcomes
from assistant.types import Passage

ENCODERS = ("st:embeddinggemma-300m", "st:multilingual-e5-small", "onnx-int8:embeddinggemma-300m")


def _candidates(scores: list[float], evidence_at: int) -> tuple[list[Sentence], tuple[str, ...], str]:
    texts = ["Huurprijzen stijgen snel.", "Dakisolatie bespaart energie.",  # no shared words:
             "Wachtlijsten groeien overal.", "Gemeenteraden beslissen mee."][: len(scores)]  # not duplicates
    texts[evidence_at] = "Het bewijs staat in deze zin."
    body = " ".join(texts)
    passage = Passage("p", "d", body, 0, len(body))
    sentences, start = [], 0
    for text, score in zip(texts, scores):
        sentences.append(Sentence(passage, 0, start, start + len(text), score, score))
        start += len(text) + 1
    return sentences, ("Het bewijs staat",), "doc:d"


def test_every_encoder_has_a_cross_validated_cutoff() -> None:
    data = json.loads((FOLDER / "quotes.json").read_text(encoding="utf-8"))
    for encoder in ENCODERS:
        fitted = data["models"][encoder]
        assert 0 < fitted["relative_cutoff"] < 0.5 and fitted["max_sentences"] >= 1  # cosine
        figures = fitted["cross_validated"]
        assert figures["questions"] >= 70 and figures["quotes_per_answer"] <= QUOTE_BUDGET
        assert fitted_values("quotes", encoder) == fitted


def test_a_reader_has_its_own_cutoff_in_logits_and_others_keep_the_cosine_one() -> None:
    """An encoder with no entry (the tests' hashing embedder, a custom model folder) falls
    back to the default encoder's cutoff on the cosine scale, never the reader's."""
    reader = fitted_values("quotes", "st:embeddinggemma-300m+reader")
    assert 0.5 < reader["relative_cutoff"] <= max(CUTOFFS)
    assert fitted_values("quotes", "fake:unknown")["relative_cutoff"] < 0.5


def test_a_wider_cutoff_quotes_the_runner_up_that_holds_the_evidence() -> None:
    rows = [_candidates([0.60, 0.52, 0.30], evidence_at=1)]
    grounded, quotes = outcomes(rows, 0.04)
    assert grounded.tolist() == [0.0] and quotes.tolist() == [1.0]
    grounded, quotes = outcomes(rows, 0.10)
    assert grounded.tolist() == [1.0] and quotes.tolist() == [2.0]


def test_the_fit_keeps_within_the_quote_budget() -> None:
    # Evidence far down in every answer: only a cutoff that quotes three sentences always
    # would find it, and that exceeds the budget, so a smaller one is chosen.
    rows = [_candidates([0.60, 0.59, 0.58, 0.40], evidence_at=3) for _ in range(4)]
    rows += [_candidates([0.60, 0.50, 0.49], evidence_at=1) for _ in range(4)]
    cutoff = best_cutoff(rows)
    grounded, quotes = outcomes(rows, cutoff)
    assert quotes.mean() <= QUOTE_BUDGET
    assert grounded.mean() == 0.5  # the second group's evidence, within 0.10 of the best
    assert 0.10 <= cutoff < 0.20


def test_storing_one_encoders_fit_keeps_the_others(tmp_path, monkeypatch) -> None:
    from assistant.fitted import fit

    stored = json.loads((FOLDER / "quotes.json").read_text(encoding="utf-8"))
    (tmp_path / "quotes.json").write_text(json.dumps(stored), encoding="utf-8")
    monkeypatch.setattr(fit, "FOLDER", tmp_path)
    path = fit.store_fitted("quotes", ENCODERS[1], {"relative_cutoff": 0.05, "max_sentences": 3},
                            [tmp_path / "dev.jsonl"], cross_validated={"questions": 75})
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["default"] == stored["default"]
    assert data["models"][ENCODERS[0]] == stored["models"][ENCODERS[0]]
    entry = data["models"][ENCODERS[1]]
    assert list(entry) == ["relative_cutoff", "max_sentences", "fitted", "data", "cross_validated"]
    assert entry["relative_cutoff"] == 0.05 and entry["data"] == ["dev.jsonl"]
