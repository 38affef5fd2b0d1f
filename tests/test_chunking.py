"""Chunking: exact spans, size limits, overlap, and ids that stay put across runs and processes."""

from __future__ import annotations

import json

import pytest

from assistant.ingest.chunking import ChunkingParams, chunk_document, sentence_spans
from assistant.types import Document, DocumentMeta, Passage

PARAMS = [ChunkingParams(600, 1), ChunkingParams(300, 0), ChunkingParams(1000, 2),
          ChunkingParams(150, 1)]

HEADINGS = (
    "Huurwaarborg\n"
    "\n"
    "De huurder betaalt bij de start van het huurcontract een waarborg. "
    "Die bedraagt maximaal twee maanden huur.\n"
    "Voorwaarden\n"
    "De verhuurder mag de waarborg niet zelf bijhouden.\n"
    "Teruggave van de waarborg\n"
    "Aan het einde van de huur krijgt de huurder de waarborg terug"
)
BULLETS = (
    "Wat moet u meebrengen\n"
    "  • uw identiteitskaart\n"
    "  • een recent loonbriefje\n"
    "  • het huurcontract, als u er al een heeft.\n"
    "\n"
    "  • een attest van de OCMW-begeleiding\n"
)
ABBREVIATIONS_NL = (
    "Dit geldt o.a. voor studenten en senioren. "
    "Dr. Janssens van de huurdersbond legt het uit. "
    "De huurprijs wordt o.a. bepaald door de ligging en de staat van de woning."
)
ABBREVIATIONS_EN = (
    "Dr. Smith explains the rental deposit. Mr. Jones, the landlord, agrees with her. "
    "The deposit is kept on a blocked account."
)
BLANK_LINES = (
    "\n\n\n"
    "Eerste alinea over sociale huisvesting.\n"
    "\n"
    "   \n"
    "\t\n"
    "Tweede alinea over de wachtlijst. Ze is lang.\n"
    "\n\n\n\n"
    "Derde alinea zonder punt\n"
    "\n"
)
WORDS = ("huurder", "verhuurder", "woning", "waarborg", "contract", "gemeente", "sociale",
         "huisvesting", "wachtlijst", "energie", "renovatie", "premie")
LONG_SENTENCE = " ".join(WORDS[i % len(WORDS)] for i in range(400))[:3000]
LONG_WORD = "x" * 1500 + "y" * 1500  # one 'word' of 3,000 characters, no break anywhere

TRICKY = {
    "headings": ("nl", HEADINGS),
    "bullets": ("nl", BULLETS),
    "abbreviations-nl": ("nl", ABBREVIATIONS_NL),
    "abbreviations-en": ("en", ABBREVIATIONS_EN),
    "blank-lines": ("nl", BLANK_LINES),
    "long-sentence": ("nl", LONG_SENTENCE),
    "long-word": ("en", LONG_WORD),
    "mixed": ("nl", "\n\n".join([HEADINGS, BULLETS, LONG_SENTENCE, ABBREVIATIONS_NL])),
}


def tricky_document(name: str) -> Document:
    language, text = TRICKY[name]
    return Document(name, text, DocumentMeta(title=f"Titel {name}", language=language),
                    f"{name}.txt")


def all_documents(seed_documents: list[Document]) -> list[Document]:
    return [*seed_documents, *(tricky_document(name) for name in TRICKY)]


def units_of(document: Document) -> list[tuple[int, int]]:
    return sentence_spans(document.text, document.meta.language)


def unit_texts(text: str, language: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text, language)]


def assert_sentences_tile(passage: Passage) -> None:
    """`passage.sentences` (relative spans) cover the passage in order, each one stripped."""
    sentences = passage.sentences
    assert sentences and sentences[0][0] == 0 and sentences[-1][1] == len(passage.text)
    for (start, end), (next_start, _) in zip(sentences, sentences[1:]):
        assert end <= next_start and passage.text[end:next_start].strip() == ""
    for start, end in sentences:
        piece = passage.text[start:end]
        assert piece and piece == piece.strip()


def inside(unit: tuple[int, int], passage: Passage) -> bool:
    return passage.start <= unit[0] and unit[1] <= passage.end


# --------------------------------------------------------------------------- spans


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: f"{p.max_chars}-{p.overlap_sentences}")
def test_spans_round_trip_and_cover_every_word(seed_documents, params: ChunkingParams) -> None:
    for document in all_documents(seed_documents):
        passages = chunk_document(document, params)
        assert passages, document.doc_id
        covered = [False] * len(document.text)
        for passage in passages:
            assert document.text[passage.start : passage.end] == passage.text, document.doc_id
            assert passage.text == passage.text.strip()
            assert passage.doc_id == document.doc_id
            assert passage.meta == document.meta
            assert_sentences_tile(passage)
            for i in range(passage.start, passage.end):
                covered[i] = True
        lost = [i for i, ch in enumerate(document.text) if ch.isalnum() and not covered[i]]
        assert not lost, (document.doc_id, document.text[lost[0] : lost[0] + 40])
        # Passages come in text order.
        assert [p.start for p in passages] == sorted(p.start for p in passages)


def test_sentence_spans_are_exact_and_stripped(seed_documents) -> None:
    for document in all_documents(seed_documents):
        spans = units_of(document)
        assert spans
        for (start, end), (next_start, _) in zip(spans, spans[1:]):
            assert end <= next_start
        for start, end in spans:
            piece = document.text[start:end]
            assert piece == piece.strip() and piece
            assert any(ch.isalnum() for ch in piece)
            assert "\n" not in piece  # a unit never crosses a line


def test_headings_without_punctuation_are_units_of_their_own() -> None:
    units = unit_texts(HEADINGS, "nl")
    assert units == [
        "Huurwaarborg",
        "De huurder betaalt bij de start van het huurcontract een waarborg.",
        "Die bedraagt maximaal twee maanden huur.",
        "Voorwaarden",
        "De verhuurder mag de waarborg niet zelf bijhouden.",
        "Teruggave van de waarborg",
        "Aan het einde van de huur krijgt de huurder de waarborg terug",
    ]


def test_bullets_are_units_without_their_indentation() -> None:
    units = unit_texts(BULLETS, "nl")
    assert units == [
        "Wat moet u meebrengen",
        "• uw identiteitskaart",
        "• een recent loonbriefje",
        "• het huurcontract, als u er al een heeft.",
        "• een attest van de OCMW-begeleiding",
    ]
    for passage in chunk_document(tricky_document("bullets"), ChunkingParams(100, 0)):
        assert not passage.text.startswith(" ")


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("nl", ABBREVIATIONS_NL, [
        "Dit geldt o.a. voor studenten en senioren.",
        "Dr. Janssens van de huurdersbond legt het uit.",
        "De huurprijs wordt o.a. bepaald door de ligging en de staat van de woning.",
    ]),
    ("en", ABBREVIATIONS_EN, [
        "Dr. Smith explains the rental deposit.",
        "Mr. Jones, the landlord, agrees with her.",
        "The deposit is kept on a blocked account.",
    ]),
])
def test_abbreviations_do_not_end_sentences(language: str, text: str, expected: list[str]) -> None:
    assert unit_texts(text, language) == expected


def test_blank_lines_and_whitespace_lines_produce_no_passages_of_their_own() -> None:
    document = tricky_document("blank-lines")
    assert unit_texts(document.text, "nl") == [
        "Eerste alinea over sociale huisvesting.",
        "Tweede alinea over de wachtlijst.",
        "Ze is lang.",
        "Derde alinea zonder punt",
    ]
    [passage] = chunk_document(document, ChunkingParams(600, 1))
    assert passage.text.startswith("Eerste") and passage.text.endswith("zonder punt")


@pytest.mark.parametrize("name", ["long-sentence", "long-word"])
@pytest.mark.parametrize("max_chars", [100, 256, 600])
def test_overlong_sentence_is_cut_under_max_chars(name: str, max_chars: int) -> None:
    document = tricky_document(name)
    assert len(document.text) == 3000 and len(units_of(document)) == 1
    passages = chunk_document(document, ChunkingParams(max_chars, 1))
    assert len(passages) >= 3000 // max_chars
    for passage in passages:
        assert 0 < len(passage.text) <= max_chars
        assert document.text[passage.start : passage.end] == passage.text
    if name == "long-sentence":  # cut between words, never inside one
        for passage in passages:
            assert passage.start == 0 or document.text[passage.start - 1] == " "
            assert passage.end == len(document.text) or document.text[passage.end] == " "
    # The pieces of a cut sentence still cover all of it, in order.
    assert passages[0].start == 0 and passages[-1].end == len(document.text)
    assert all(b.start <= a.end + 1 for a, b in zip(passages, passages[1:]))


# --------------------------------------------------------------------------- size and overlap


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: f"{p.max_chars}-{p.overlap_sentences}")
def test_passages_fit_max_chars_unless_a_single_unit(seed_documents, params) -> None:
    for document in all_documents(seed_documents):
        units = set(units_of(document))
        for passage in chunk_document(document, params):
            assert (len(passage.text) <= params.max_chars
                    or (passage.start, passage.end) in units), (document.doc_id, len(passage.text))


def numbered_sentences(count: int) -> str:
    return " ".join(f"Zin {i:02d} gaat over de huur van een sociale woning." for i in range(count))


@pytest.mark.parametrize("overlap", [0, 1, 2, 3])
def test_neighbours_share_exactly_the_configured_sentences(overlap: int) -> None:
    document = Document("numbered", numbered_sentences(30), DocumentMeta(language="nl"))
    units = units_of(document)
    assert len(units) == 30
    passages = chunk_document(document, ChunkingParams(220, overlap))  # 4 sentences of 48 chars
    assert len(passages) > 5
    for previous, current in zip(passages, passages[1:]):
        before = [u for u in units if inside(u, previous)]
        after = [u for u in units if inside(u, current)]
        assert len(before) == 4
        shared = [u for u in before if u in after]
        assert shared == before[len(before) - overlap:] if overlap else shared == []
        assert shared == after[: len(shared)]
        if overlap == 0:
            assert current.start > previous.end


@pytest.mark.parametrize("params", [ChunkingParams(600, 1), ChunkingParams(600, 2),
                                    ChunkingParams(1000, 2), ChunkingParams(800, 3)],
                         ids=lambda p: f"{p.max_chars}-{p.overlap_sentences}")
def test_overlap_on_seed_documents(seed_documents, params: ChunkingParams) -> None:
    """Each passage brings new text; it repeats as many of its predecessor's last sentences
    as configured, fewer only when one more would not fit next to the new text."""
    for document in all_documents(seed_documents):
        units = units_of(document)
        if any(end - start > params.max_chars for start, end in units):
            continue  # over-long units are cut into pieces: covered above
        passages = chunk_document(document, params)
        for previous, current in zip(passages, passages[1:]):
            before = [i for i, u in enumerate(units) if inside(u, previous)]
            after = [i for i, u in enumerate(units) if inside(u, current)]
            assert current.end > previous.end, (
                f"{document.doc_id}: passage {current.start}-{current.end} adds nothing to "
                f"{previous.start}-{previous.end}")
            shared = [i for i in before if i in after]
            assert shared == before[len(before) - len(shared):] and shared == after[: len(shared)]
            assert len(shared) <= params.overlap_sentences
            if len(shared) < min(params.overlap_sentences, len(before) - 1):
                one_more, first_new = units[after[0] - 1], units[before[-1] + 1]
                assert first_new[1] - one_more[0] > params.max_chars, document.doc_id


def test_no_passage_repeats_or_contains_another(seed_documents) -> None:
    for document in all_documents(seed_documents):
        passages = chunk_document(document, ChunkingParams(600, 1))
        spans = [(p.start, p.end) for p in passages]
        for i, (start, end) in enumerate(spans):
            for j, (other_start, other_end) in enumerate(spans):
                if i != j:
                    assert not (other_start <= start and end <= other_end), (
                        document.doc_id, spans[i], spans[j])


# --------------------------------------------------------------------------- ids


def ids_of(documents: list[Document], params: ChunkingParams) -> dict[str, list[str]]:
    return {d.doc_id: [p.passage_id for p in chunk_document(d, params)] for d in documents}


def test_ids_are_unique_and_stable_across_runs(seed_documents) -> None:
    documents = all_documents(seed_documents)
    first = ids_of(documents, ChunkingParams(600, 1))
    copies = [Document(d.doc_id, str(d.text), d.meta, d.source) for d in documents]
    assert ids_of(copies, ChunkingParams(600, 1)) == first
    every = [pid for ids in first.values() for pid in ids]
    assert len(every) == len(set(every))
    # Same text under another doc_id: other ids (the index is keyed by them).
    renamed = [Document(f"other/{d.doc_id}", d.text, d.meta) for d in documents]
    assert not set(every) & {pid for ids in ids_of(renamed, ChunkingParams(600, 1)).values()
                             for pid in ids}


_CHILD = """
import json
from pathlib import Path
from test_chunking import all_documents, ids_of
from assistant.ingest.chunking import ChunkingParams
from assistant.ingest.documents import iter_corpus
from assistant.types import Document
seeds = [d for d in iter_corpus(Path(ARGS["corpus"])) if isinstance(d, Document)]
say("hash", hash("passage"))
say("ids", json.dumps(ids_of(all_documents(seeds), ChunkingParams(600, 1))))
"""


@pytest.mark.slow
def test_ids_are_stable_across_processes(seed_documents, seed_corpus, forkserver) -> None:
    """Another process with another str-hash seed computes the same ids."""
    pid = forkserver.start(_CHILD, "chunk-ids", corpus=str(seed_corpus))
    assert forkserver.wait(pid) == 0, forkserver.log_tail()
    assert int(forkserver.said(pid, "hash")[0]) != hash("passage")  # hash seeds differ
    [ids] = forkserver.said(pid, "ids")
    assert json.loads(ids) == ids_of(all_documents(seed_documents), ChunkingParams(600, 1))


def test_changing_one_sentence_changes_only_the_ids_that_contain_it(seed_documents) -> None:
    document = max(seed_documents, key=lambda d: len(d.text))
    params = ChunkingParams(600, 1)
    before = chunk_document(document, params)
    units = units_of(document)
    start, end = units[len(units) // 2]
    sentence = document.text[start:end]
    # Same length, one letter different: no offset moves, so only containing slices change.
    position = start + next(i for i, ch in enumerate(sentence) if ch.islower() and i > 3)
    letter = "q" if document.text[position] != "q" else "z"
    text = document.text[:position] + letter + document.text[position + 1 :]
    changed = Document(document.doc_id, text, document.meta, document.source)
    assert units_of(changed) == units
    after = chunk_document(changed, params)

    assert [(p.start, p.end) for p in after] == [(p.start, p.end) for p in before]
    containing = [i for i, p in enumerate(before) if p.start <= position < p.end]
    assert 1 <= len(containing) <= 2
    for i, (old, new) in enumerate(zip(before, after)):
        if i in containing:
            assert old.passage_id != new.passage_id
        else:
            assert old.passage_id == new.passage_id and old.text == new.text
    assert changed.content_hash != document.content_hash


def test_editing_a_sentence_keeps_the_ids_of_the_passages_before_it(seed_documents) -> None:
    document = max(seed_documents, key=lambda d: len(d.text))
    params = ChunkingParams(600, 1)
    before = chunk_document(document, params)
    units = units_of(document)
    start, end = units[-3]
    text = document.text[:start] + "Een nieuwe en veel langere zin. " + document.text[start:]
    after = chunk_document(Document(document.doc_id, text, document.meta), params)
    untouched = [p for p in before if p.end < start]
    assert untouched
    assert [p.passage_id for p in after[: len(untouched)]] == [p.passage_id for p in untouched]
    assert {p.passage_id for p in after} != {p.passage_id for p in before}


def test_short_sections_are_read_under_the_topic_above_them():
    from assistant.ingest.chunking import ChunkingParams, chunk_document, embedding_texts
    from assistant.types import Document, DocumentMeta

    long_body = "Een werksessie is een bijeenkomst waarin deelnemers samen leren. " * 4
    text = f"Pressure Cooker\n{long_body}\nVoor wie\nDirecteuren en bestuurders.\nWanneer\n23 september 2014."
    document = Document("doc", text, DocumentMeta(title="Titel", language="nl"))
    texts = [t for p in chunk_document(document, ChunkingParams(max_chars=400))
             for t in embedding_texts(p)[1] if t]
    assert "Titel\nPressure Cooker\nVoor wie\nDirecteuren en bestuurders." in texts
    assert "Titel\nPressure Cooker\nWanneer\n23 september 2014." in texts
    assert not any(t.endswith("\nVoor wie") for t in texts)  # a heading is never an answer
