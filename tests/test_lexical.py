"""The BM25 index: per-language stemming, and saving/loading (memory-mapped) without loss."""

from __future__ import annotations

from pathlib import Path

from assistant.search.lexical import LexicalIndex, open_lexical, tokenize
from assistant.types import DocumentMeta, Passage


def passage(pid: str, text: str, language: str) -> Passage:
    meta = DocumentMeta(title="", language=language)
    return Passage(pid, "doc", text, 0, len(text), meta)


PASSAGES = [
    passage("a", "Een wooncoöperatie verhuurt woningen aan haar leden.", "nl"),
    passage("b", "Les coopératives de logement louent des logements à leurs membres.", "fr"),
    passage("c", "Housing cooperatives rent homes to their members.", "en"),
    passage("d", "De huurprijs van sociale woningen hangt af van het inkomen.", "nl"),
]


def test_each_language_is_stemmed_with_its_own_stemmer() -> None:
    assert tokenize("woningen", "nl") == tokenize("woning", "nl")
    assert tokenize("coopératives", "fr") == tokenize("coopérative", "fr")
    assert tokenize("de het een", "nl") == []  # stopwords


def test_saved_index_loads_with_the_same_scores(tmp_path: Path) -> None:
    built = LexicalIndex.build(PASSAGES)
    built.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded.ids == built.ids
    for question, language in [("huurprijs sociale woning", "nl"), ("logement membres", "fr")]:
        assert loaded.search(question, language, 4) == built.search(question, language, 4)
    assert loaded.search("huurprijs sociale woning", "nl", 4)[0][0] == "d"


def test_saving_twice_keeps_the_first_and_leaves_no_temporary_folder(tmp_path: Path) -> None:
    LexicalIndex.build(PASSAGES).save(tmp_path / "bm25")
    LexicalIndex.build(PASSAGES[:1]).save(tmp_path / "bm25")  # as a second replica would
    assert len(LexicalIndex.load(tmp_path / "bm25")) == len(PASSAGES)
    assert [p.name for p in tmp_path.iterdir()] == ["bm25"]


def test_an_empty_index_saves_loads_and_finds_nothing(tmp_path: Path) -> None:
    index = open_lexical(tmp_path / "bm25", lambda: iter(()))
    assert len(index) == 0 and index.search("woning", "nl", 5) == []
    assert len(LexicalIndex.load(tmp_path / "bm25")) == 0


def test_open_lexical_builds_once_then_loads(tmp_path: Path) -> None:
    calls = []

    def passages():
        calls.append(1)
        return iter(PASSAGES)

    first = open_lexical(tmp_path / "bm25", passages)
    second = open_lexical(tmp_path / "bm25", passages)
    assert calls == [1]
    assert second.search("cooperatives members", "en", 2) == first.search("cooperatives members", "en", 2)


def test_unknown_share_counts_the_question_terms_no_passage_uses() -> None:
    text = "De huurwaarborg bedraagt twee maanden huur."
    passage = Passage("p", "d", text, 0, len(text), DocumentMeta(language="nl"), ((0, len(text)),))
    index = LexicalIndex.build([passage])
    assert index.unknown_share("Bedraagt de huurwaarborg twee maanden?", "nl") == 0.0
    assert index.unknown_share("Mag de verhuurder de sleutels houden?", "nl") == 1.0
    assert 0.0 < index.unknown_share("huurwaarborg sleutels", "nl") < 1.0
