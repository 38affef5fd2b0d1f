"""The learned answer-or-refuse decision: its model file, its features, its arithmetic."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import replace

import pytest

from assistant.answer.extractive import Sentence
from assistant.fitted import FOLDER, LogisticModel, fitted_model
from assistant.answer.refusal import ASKED_KINDS, FEATURES, RefusalPolicy, evidence_features
from assistant.search.retrieval import SearchResult
from assistant.types import DocumentMeta, Hit, Passage

ENCODERS = ("st:embeddinggemma-300m", "st:multilingual-e5-small")


def _hit(text: str, dense: float, language: str = "nl") -> Hit:
    passage = Passage(Passage.make_id("d", 0, len(text), text), "d", text, 0, len(text),
                      DocumentMeta(title="NETCO", language=language), ((0, len(text)),))
    return Hit(passage, score=dense, dense=dense)


def _result(question: str, hits: list[Hit], unknown: float = 0.0) -> tuple[SearchResult, list[Sentence]]:
    sentences = [Sentence(h.passage, rank, 0, len(h.passage.text), h.dense) for rank, h in enumerate(hits)]
    return SearchResult(question, "en", tuple(hits), unknown), sentences


def test_the_model_file_has_every_feature_for_both_encoders() -> None:
    data = json.loads((FOLDER / "refusal.json").read_text(encoding="utf-8"))
    assert data["default"] in ENCODERS
    for encoder in ENCODERS:
        model = fitted_model("refusal", encoder)
        # e5-small's model predates the reading features; it reads a subset of them
        assert model.features == FEATURES if encoder == data["default"] else set(model.features) <= set(FEATURES)
        assert 0.0 < model.threshold < 1.0
        assert all(s > 0 for s in model.scale)
        figures = {(f["kind"], f["lang"]): f for f in data["models"][encoder]["cross_validated"]
                   if f.get("source", "eval") == "eval"}
        assert figures[("answerable", "all")]["n"] >= 70  # fitted on more than the 12 dev questions


def test_the_default_model_learned_from_housing_qa_near_misses_held_out() -> None:
    data = json.loads((FOLDER / "refusal.json").read_text(encoding="utf-8"))
    figures = {(f["source"], f["kind"], f["lang"]): f
               for f in data["models"][data["default"]]["cross_validated"]}
    assert figures[("housing-qa", "near-miss", "all")]["n"] == 320
    assert figures[("housing-qa", "answerable", "all")]["refused"] <= 0.04
    assert figures[("housing-qa", "near-miss", "all")]["refused"] > 0.1


def test_an_unknown_encoder_gets_the_default_model_and_a_warning(caplog) -> None:
    with caplog.at_level(logging.WARNING):
        model = fitted_model("refusal", "st:someone-elses-model")
    assert model == fitted_model("refusal", json.loads((FOLDER / "refusal.json").read_text())["default"])
    assert "Refit" in caplog.text


def test_probability_is_the_logistic_of_the_standardized_features() -> None:
    model = LogisticModel(("a", "b"), (1.0, 0.0), (2.0, 1.0), (0.5, -1.0), 0.25, 0.5)
    z = 0.25 + 0.5 * (3.0 - 1.0) / 2.0 - 1.0 * 0.5
    assert model.probability({"a": 3.0, "b": 0.5}) == pytest.approx(1 / (1 + math.exp(-z)))
    assert LogisticModel.from_dict(model.as_dict()) == model


def test_features_see_a_year_the_text_never_names_and_unknown_words() -> None:
    hits = [_hit("De oproep liep in 2022 voor proeftuinen.", 0.8), _hit("Iets anders.", 0.6)]
    asked = evidence_features(*_result("When is the 2026 call for pilot projects?", hits, 0.4), "en")
    told = evidence_features(*_result("What happened in 2022?", hits, 0.0), "en")
    assert asked["number_absent"] == 1.0 and told["number_absent"] == 0.0
    assert asked["unknown_words"] == 0.4
    assert asked["dense_margin"] == pytest.approx(0.2)
    assert asked["same_language"] == 0.0 and asked["lang_nl"] == asked["lang_fr"] == 0.0


def test_the_operating_point_decides_and_no_sentence_is_always_a_refusal() -> None:
    hits = [_hit("NETCO telde 16 partners.", 0.9)]
    result, sentences = _result("How many partners did NETCO have?", hits)
    policy = RefusalPolicy(fitted_model("refusal", ENCODERS[0]))
    p = policy.assess(result, sentences, "en").features["p_answerable"]
    assert RefusalPolicy(policy.model, threshold=p - 1e-9).assess(result, sentences, "en").refused is False
    assert RefusalPolicy(policy.model, threshold=p + 1e-9).assess(result, sentences, "en").refused is True
    assert RefusalPolicy(policy.model, threshold=0.0).assess(result, [], "en").refused is True


def test_reading_features_say_whether_the_asked_for_fact_is_in_the_read_sentences() -> None:
    hits = [_hit("De coöperatie telt 120 leden.", 0.7), _hit("De coöperatie is opgericht door bewoners.", 0.6)]
    result, sentences = _result("How many members does the cooperative have?", hits)
    read = [replace(s, score=score) for s, score in zip(sentences, (2.5, 1.0))]
    found = evidence_features(result, sentences, "en", read)
    missing = evidence_features(result, sentences, "en", read[1:])
    assert found["asks_count"] == missing["asks_count"] == 1.0 and found["asks_when"] == 0.0
    assert found["found_count"] == 1.0 and missing["found_count"] == 0.0
    assert found["read_best"] == 2.5 and found["read_margin"] == pytest.approx(1.5)
    other = evidence_features(*_result("What is a cooperative?", hits), "en")
    assert not any(other[f"asks_{kind}"] or other[f"found_{kind}"] for kind in ASKED_KINDS)


def test_the_operating_point_follows_the_knowledge_bases_size_within_the_fitted_range() -> None:
    small, large = math.log(34), math.log(540)
    model = LogisticModel(("size",), (0.0,), (1.0,), (0.0,), 0.0, 0.2, ((large, 0.4), (small, 0.2)))
    assert model.at_size(small) == (small, 0.2)
    assert model.at_size(large) == (large, 0.4)
    assert model.at_size((small + large) / 2)[1] == pytest.approx(0.3)
    assert model.at_size(math.log(5000)) == (large, 0.4)  # never extrapolated
    assert model.at_size(0.0) == (small, 0.2)
    assert LogisticModel.from_dict(model.as_dict()) == model


def test_the_decision_reads_the_size_of_the_searched_knowledge_base() -> None:
    hits = [_hit("NETCO telde 16 partners.", 0.9)]
    result, sentences = _result("How many partners did NETCO have?", hits)
    model = LogisticModel(("size",), (0.0,), (1.0,), (0.0,), 0.0, 0.45,
                          ((math.log(34), 0.45), (math.log(540), 0.55)))  # p is always 0.5
    small = RefusalPolicy(model).assess(replace(result, passages=34), sentences, "en")
    large = RefusalPolicy(model).assess(replace(result, passages=540), sentences, "en")
    assert small.features["size"] == pytest.approx(math.log(34)) and not small.refused
    assert large.features["size"] == pytest.approx(math.log(540)) and large.refused
    assert large.features["size*top_dense"] == pytest.approx(math.log(540) * 0.9)
