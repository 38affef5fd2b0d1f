"""Ingest and index: incremental, rebuilds, crash safety, one writer, clear errors.

Every test that takes `index_env` runs twice: against the embedded store and against a real
Chroma server (see conftest.py). The embedder is the fake HashingEmbedder (here also
recording the texts it gets), so "re-embeds only that document" is measured, not assumed.
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from fakes import HashingEmbedder
from filelock import FileLock

from assistant.ingest.chunking import ChunkingParams, chunk_document
from assistant.ingest.documents import iter_corpus
from assistant.errors import (
    AssistantError,
    IndexLockedError,
    IndexNotFoundError,
    NotReadyError,
    StoreUnavailableError,
)
from assistant.search.generations import index_location, open_current
from assistant.types import Document

REPO_DIR = Path(__file__).resolve().parents[1]
PARAMS = ChunkingParams(600, 1)  # what index_env's settings use

CHANGED = "002_bd07e3365d1f0d2e"
DELETED = "003_419f369990ea24fa"


# --------------------------------------------------------------------------- helpers


def documents(corpus: Path) -> dict[str, Document]:
    return {d.doc_id: d for d in iter_corpus(corpus) if isinstance(d, Document)}


def passage_ids(document: Document, params: ChunkingParams = PARAMS) -> set[str]:
    return {p.passage_id for p in chunk_document(document, params)}


def stored_ids(store) -> dict[str, set[str]]:
    """doc_id -> passage ids, as the store holds them."""
    by_doc: dict[str, set[str]] = {}
    for passage in store.iter_passages():
        by_doc.setdefault(passage.doc_id, set()).add(passage.passage_id)
    return by_doc


class RecordingEmbedder(HashingEmbedder):
    """The fake embedder, also keeping every text it was asked to embed."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.texts: list[str] = []

    def embed_passages(self, texts):
        self.texts.extend(texts)
        return super().embed_passages(texts)


def assert_embedded_exactly(fake: RecordingEmbedder, docs, params=PARAMS) -> None:
    """The fake embedded every passage of `docs` and nothing from any other document.

    Texts carry context (the title line, maybe a heading) and the index may embed sentences
    as well as passages, so this checks where each text comes from rather than a bare count:
    under the document's title, every line of it is a line of that document's text."""
    assert docs and fake.texts and fake.passages_embedded == len(fake.texts)
    bodies = set()
    for text in fake.texts:
        for doc in docs:
            title = doc.meta.title
            if title and not text.startswith(f"{title}\n"):
                continue
            body = text[len(title) + 1:] if title else text
            if body.strip() and all(line in doc.text for line in body.split("\n")):
                bodies.add((doc.doc_id, body))
                break
        else:
            raise AssertionError(f"embedded a text of no expected document: {text[:80]!r}")
    for doc in docs:
        for passage in chunk_document(doc, params):
            assert (doc.doc_id, passage.text) in bodies, (doc.doc_id, passage.text[:60])


def ingest(env, corpus: Path, embedder: HashingEmbedder | None = None, **overrides):
    embedder = embedder or RecordingEmbedder()
    report = env.pipeline(embedder, **overrides).ingest(corpus, show_progress=False)
    return report, embedder


def search_docs(env, question: str, k: int = 50, **overrides) -> list[str]:
    hits = env.pipeline(**overrides).retriever.search(question, k=k).hits
    return [hit.passage.doc_id for hit in hits]


def assert_consistent(env, corpus: Path) -> tuple[dict, str]:
    """The live index holds exactly the corpus's passages, and its manifest says so."""
    store, manifest, generation = env.live()
    expected = {doc_id: passage_ids(doc) for doc_id, doc in documents(corpus).items()}
    assert stored_ids(store) == {k: v for k, v in expected.items() if v}
    total = sum(len(ids) for ids in expected.values())
    assert store.count() == manifest["passages"] == total
    assert set(manifest["documents"]) == set(expected)
    return manifest, generation


def change_document(corpus: Path) -> None:
    path = corpus / f"{CHANGED}.txt"
    path.write_text(path.read_text(encoding="utf-8") + (
        "\n\nAanvulling\n\nDe delegatie bezocht ook een warmtenet met zonnecollectoren in "
        "Kopenhagen. Bewoners betalen daar een vaste bijdrage per vierkante meter.\n"),
        encoding="utf-8")


# --------------------------------------------------------------------------- incremental


def test_first_ingest_embeds_everything_and_a_rerun_nothing(index_env, corpus_dir) -> None:
    report, fake = ingest(index_env, corpus_dir)
    total = sum(len(passage_ids(d)) for d in documents(corpus_dir).values())
    assert (report.documents, report.passages, report.embedded) == (5, total, total)
    assert_embedded_exactly(fake, list(documents(corpus_dir).values()))
    assert fake.passage_calls <= -(-total // 16) + 5  # batched, not one call per passage
    assert report.rebuilt and report.removed_documents == 0 and report.skipped == ()
    _, generation = assert_consistent(index_env, corpus_dir)
    assert generation == report.generation
    assert index_env.generations() == [report.generation]

    # A second run over the unchanged corpus embeds nothing and keeps the generation.
    first = report
    second, fake = ingest(index_env, corpus_dir)
    assert fake.passages_embedded == 0 and fake.passage_calls == 0
    assert second.embedded == 0 and not second.rebuilt
    assert second.generation == first.generation
    assert (second.documents, second.passages) == (first.documents, first.passages)
    assert index_env.generations() == [first.generation]


def test_changed_document_reembeds_only_its_passages(index_env, corpus_dir: Path) -> None:
    first, _ = ingest(index_env, corpus_dir)
    before = stored_ids(index_env.live()[0])
    change_document(corpus_dir)
    changed = documents(corpus_dir)[CHANGED]

    report, fake = ingest(index_env, corpus_dir)
    assert report.embedded == len(passage_ids(changed))
    assert_embedded_exactly(fake, [changed])  # only this document's passages
    assert not report.rebuilt and report.generation != first.generation
    assert report.passages == first.passages - len(before[CHANGED]) + len(passage_ids(changed))
    after = stored_ids(index_env.live()[0])
    assert after[CHANGED] == passage_ids(changed) != before[CHANGED]
    assert {k: v for k, v in after.items() if k != CHANGED} == {
        k: v for k, v in before.items() if k != CHANGED}
    assert_consistent(index_env, corpus_dir)
    assert index_env.generations() == [report.generation]  # the old generation is gone
    assert search_docs(index_env, "warmtenet met zonnecollectoren in Kopenhagen")[0] == CHANGED

    again, fake = ingest(index_env, corpus_dir)
    assert fake.passages_embedded == 0 and again.generation == report.generation


def test_deleted_document_leaves_the_index(index_env, corpus_dir: Path) -> None:
    first, _ = ingest(index_env, corpus_dir)
    question = "gebrek aan communicatie en overleg tussen de gemeentes en het Gewest"
    assert search_docs(index_env, question)[0] == DELETED
    deleted_passages = len(passage_ids(documents(corpus_dir)[DELETED]))

    (corpus_dir / f"{DELETED}.txt").unlink()
    (corpus_dir / f"{DELETED}.txt.meta.json").unlink()
    report, fake = ingest(index_env, corpus_dir)
    assert fake.passages_embedded == 0
    assert report.removed_documents == 1 and report.documents == 4
    store, manifest, _ = index_env.live()
    assert store.count() == first.passages - deleted_passages == report.passages
    assert DELETED not in manifest["documents"]
    assert DELETED not in search_docs(index_env, question)
    assert_consistent(index_env, corpus_dir)
    assert index_env.generations() == [report.generation]


def test_a_serving_pipeline_follows_a_new_generation(index_env, corpus_dir: Path, monkeypatch) -> None:
    import assistant.pipeline

    monkeypatch.setattr(assistant.pipeline, "RELOAD_CHECK_SECONDS", 0.0)
    ingest(index_env, corpus_dir)
    serving = index_env.pipeline()
    question = "gebrek aan communicatie en overleg tussen de gemeentes en het Gewest"
    assert serving.retriever.search(question, k=1).hits[0].passage.doc_id == DELETED

    (corpus_dir / f"{DELETED}.txt").unlink()
    (corpus_dir / f"{DELETED}.txt.meta.json").unlink()
    ingest(index_env, corpus_dir)  # another Pipeline: as `assistant ingest` beside a server
    hits = serving.retriever.search(question, k=5).hits
    assert hits and DELETED not in {hit.passage.doc_id for hit in hits}


def test_the_saved_lexical_index_follows_an_incremental_ingest(index_env, corpus_dir,
                                                               monkeypatch) -> None:
    """Ingest saves the BM25 index with the generation; a reader loads it, reading no passage."""
    from assistant.search.store import PassageStore

    ingest(index_env, corpus_dir)
    change_document(corpus_dir)
    report, _ = ingest(index_env, corpus_dir)

    def no_paging(self):
        raise AssertionError("the lexical index was rebuilt instead of loaded")

    monkeypatch.setattr(PassageStore, "iter_passages", no_paging)
    lexical = index_env.pipeline().retriever.lexical
    found = lexical.search("warmtenet zonnecollectoren Kopenhagen", "nl", 3)
    assert found and found[0][0] in passage_ids(documents(corpus_dir)[CHANGED])
    assert len(lexical) == report.passages


def test_a_reader_without_the_saved_lexical_index_builds_and_keeps_it(index_env, corpus_dir,
                                                                      monkeypatch) -> None:
    """A replica of a Chroma server (or an index from before saved lexical indexes)."""
    from assistant.search.lexical import SAVED_NAME
    from assistant.search.store import PassageStore

    report, _ = ingest(index_env, corpus_dir)
    location = index_location(index_env.settings(), index_env.index_dir)
    saved = location.derived_dir(report.generation) / SAVED_NAME
    shutil.rmtree(saved)
    question = "gebrek aan communicatie en overleg tussen de gemeentes en het Gewest"
    built = index_env.pipeline().retriever.lexical.search(question, "nl", 5)
    assert built and saved.is_dir()

    monkeypatch.setattr(PassageStore, "iter_passages", None)  # loading must not page passages
    assert index_env.pipeline().retriever.lexical.search(question, "nl", 5) == built


def test_added_document_embeds_only_it(index_env, corpus_dir: Path) -> None:
    first, _ = ingest(index_env, corpus_dir)
    (corpus_dir / "sub").mkdir()
    (corpus_dir / "sub" / "nieuw.md").write_text(
        "# Huurpremie\n\nDe Vlaamse huurpremie is bedoeld voor huurders die minstens vier jaar "
        "op de wachtlijst voor een sociale woning staan. U vraagt de premie aan bij Wonen in "
        "Vlaanderen.\n", encoding="utf-8")
    added = documents(corpus_dir)["sub/nieuw"]
    report, fake = ingest(index_env, corpus_dir)
    assert report.embedded == len(passage_ids(added)) >= 1
    assert_embedded_exactly(fake, [added])
    assert report.documents == 6 and report.passages == first.passages + report.embedded
    manifest, _ = assert_consistent(index_env, corpus_dir)
    assert manifest["documents"]["sub/nieuw"]["source"] == "sub/nieuw.md"
    hits = index_env.pipeline().retriever.search("Vlaamse huurpremie wachtlijst", k=3).hits
    assert hits[0].passage.doc_id == "sub/nieuw"
    assert hits[0].passage.meta.title == "Huurpremie" and hits[0].passage.meta.language == "nl"


def test_rebuild_flag_reembeds_everything_into_one_generation(index_env, corpus_dir) -> None:
    first, _ = ingest(index_env, corpus_dir)
    report = index_env.pipeline(fake := RecordingEmbedder()).ingest(
        corpus_dir, rebuild=True, show_progress=False)
    assert report.rebuilt and report.embedded == first.passages
    assert_embedded_exactly(fake, list(documents(corpus_dir).values()))
    assert report.generation != first.generation
    assert index_env.generations() == [report.generation]
    assert_consistent(index_env, corpus_dir)


# --------------------------------------------------------------------------- rebuilds


def test_another_model_forces_a_full_rebuild(index_env, corpus_dir: Path) -> None:
    first, fake_a = ingest(index_env, corpus_dir, RecordingEmbedder(name="fake:a"))
    assert first.embedded == first.passages

    report, fake_b = ingest(index_env, corpus_dir, RecordingEmbedder(name="fake:b"))
    assert report.rebuilt and report.embedded == first.passages
    assert fake_b.passages_embedded == fake_a.passages_embedded  # everything again
    assert_embedded_exactly(fake_b, list(documents(corpus_dir).values()))
    store, manifest, generation = index_env.live()
    assert manifest["model"] == "fake:b" and generation == report.generation
    assert index_env.generations() == [report.generation]
    assert_consistent(index_env, corpus_dir)

    # The same model again is incremental once more.
    again, fake_b2 = ingest(index_env, corpus_dir, HashingEmbedder(name="fake:b"))
    assert fake_b2.passages_embedded == 0 and not again.rebuilt

    # Same name, another dimension: vectors are not comparable either.
    other_dim, fake_32 = ingest(index_env, corpus_dir, HashingEmbedder(name="fake:b", dim=32))
    assert other_dim.rebuilt and other_dim.embedded == first.passages
    assert fake_32.passages_embedded == fake_a.passages_embedded
    assert index_env.live()[1]["dim"] == 32
    assert index_env.generations() == [other_dim.generation]
    pipeline = index_env.pipeline(HashingEmbedder(name="fake:b", dim=32))
    assert pipeline.retriever.search("coöperatief wonen").hits


@pytest.mark.parametrize("overrides", [{"chunk_chars": 400}, {"chunk_overlap_sentences": 0}],
                         ids=["max-chars", "overlap"])
def test_other_chunking_forces_a_full_rebuild(index_env, corpus_dir: Path, overrides) -> None:
    first, _ = ingest(index_env, corpus_dir)
    report, fake = ingest(index_env, corpus_dir, **overrides)
    params = ChunkingParams(overrides.get("chunk_chars", 600),
                            overrides.get("chunk_overlap_sentences", 1))
    total = sum(len(passage_ids(d, params)) for d in documents(corpus_dir).values())
    assert report.rebuilt
    assert report.embedded == report.passages == total
    assert_embedded_exactly(fake, list(documents(corpus_dir).values()), params)
    store, manifest, _ = index_env.live(**overrides)
    assert manifest["chunking"] == params.as_dict()
    assert store.count() == total
    assert index_env.generations() == [report.generation]


def test_retriever_refuses_an_index_built_with_another_model(index_env, corpus_dir) -> None:
    ingest(index_env, corpus_dir, HashingEmbedder(name="fake:a"))
    pipeline = index_env.pipeline(HashingEmbedder(name="fake:b"))
    assert not pipeline.index_is_current()
    with pytest.raises(StoreUnavailableError) as caught:
        pipeline.retriever  # noqa: B018
    assert "another embedding model" in str(caught.value)
    assert isinstance(caught.value, NotReadyError)
    # The matching model is served.
    assert index_env.pipeline(HashingEmbedder(name="fake:a")).retriever.search("wonen").hits


def test_retriever_refuses_an_index_of_another_layout_version(index_env, corpus_dir,
                                                              monkeypatch) -> None:
    import assistant.pipeline

    ingest(index_env, corpus_dir)
    monkeypatch.setattr(assistant.pipeline, "MANIFEST_VERSION", assistant.pipeline.MANIFEST_VERSION + 1)
    with pytest.raises(StoreUnavailableError) as caught:
        index_env.pipeline().retriever  # noqa: B018
    assert "another version" in str(caught.value) and "assistant ingest" in str(caught.value)


def test_hits_carry_their_sentences_scored_against_the_question(index_env, corpus_dir) -> None:
    """Sentence vectors are stored with their passage (float16): every hit, from the vector
    query or from the lexical side, brings each non-heading sentence's cosine."""
    from assistant.ingest.chunking import embedding_texts

    fake = HashingEmbedder()
    ingest(index_env, corpus_dir, fake)
    chunked = {p.passage_id: p for d in documents(corpus_dir).values()
               for p in chunk_document(d, PARAMS)}
    question = "Welke steden bezocht de delegatie en wanneer?"
    query = fake.embed_queries([question])[0]
    hits = index_env.pipeline(fake).retriever.search(question, k=20).hits
    assert len(hits) == 20
    for hit in hits:
        _, texts = embedding_texts(chunked[hit.passage.passage_id])
        expected = [((start, end), float(fake.embed_passages([text])[0] @ query))
                    for (start, end), text in zip(hit.passage.sentences, texts) if text]
        got = [((s.start, s.end), s.cosine) for s in hit.sentences]
        assert [span for span, _ in got] == [span for span, _ in expected]
        assert np.allclose([c for _, c in got], [c for _, c in expected], atol=2e-3)


def test_a_stale_reader_never_brings_a_discarded_generation_back(index_env, corpus_dir) -> None:
    """A reader that read the pointer just before a writer discarded that generation must
    not re-create it empty (an empty index served, and a second generation left behind)."""
    first, _ = ingest(index_env, corpus_dir)
    reader = index_location(index_env.settings(), index_env.index_dir)
    stale = reader.current()[0]
    report = index_env.pipeline().ingest(corpus_dir, rebuild=True, show_progress=False)
    assert stale == first.generation != report.generation
    with pytest.raises(StoreUnavailableError):
        reader.open(stale)
    assert index_env.generations() == [report.generation]
    store, manifest, generation = open_current(reader)  # follows the pointer
    assert generation == report.generation
    assert store.count() == manifest["passages"] == report.passages


# --------------------------------------------------------------------------- errors


def test_second_writer_gets_index_locked_error(index_env, corpus_dir: Path) -> None:
    index_env.index_dir.mkdir(parents=True, exist_ok=True)
    fake = HashingEmbedder()
    pipeline = index_env.pipeline(fake)
    with FileLock(str(index_env.index_dir / ".ingest.lock")):
        started = time.monotonic()
        with pytest.raises(IndexLockedError) as caught:
            pipeline.ingest(corpus_dir, show_progress=False)
        assert time.monotonic() - started < 5  # fails fast, does not wait for the lock
    message = str(caught.value)
    assert "Another ingest" in message and "try again" in message
    assert caught.value.status == 409
    assert fake.passages_embedded == 0
    assert index_env.generations() == []
    # Once the lock is released the same pipeline can write.
    report = pipeline.ingest(corpus_dir, show_progress=False)
    assert report.documents == 5


def test_search_before_any_ingest_is_index_not_found(index_env) -> None:
    pipeline = index_env.pipeline()
    assert not pipeline.index_is_current()
    with pytest.raises(IndexNotFoundError) as caught:
        pipeline.retriever.search("Hoe werkt coöperatief wonen?")
    error = caught.value
    assert isinstance(error, NotReadyError) and isinstance(error, AssistantError)
    assert error.status == 503
    message = str(error)
    assert "not been indexed" in message and "assistant ingest" in message
    assert str(index_env.root) not in message and "Traceback" not in message


def test_skipped_files_are_reported_and_everything_else_indexed(index_env, corpus_dir) -> None:
    (corpus_dir / "kapot.pdf").write_bytes(b"%PDF-1.4\n" + random.Random(1).randbytes(2000))
    (corpus_dir / "leeg.txt").write_bytes(b"")
    report, fake = ingest(index_env, corpus_dir)
    reasons = {item.path: item.reason for item in report.skipped}
    assert set(reasons) == {"kapot.pdf", "leeg.txt"}
    assert reasons["kapot.pdf"].startswith("not a readable PDF")
    assert reasons["leeg.txt"] == "empty file"
    assert report.documents == 5
    manifest, _ = assert_consistent(index_env, corpus_dir)
    assert sorted(manifest["documents"]) == sorted(documents(REPO_DIR / "corpus"))
    again, fake = ingest(index_env, corpus_dir)
    assert {item.path for item in again.skipped} == set(reasons)
    assert fake.passages_embedded == 0


def test_first_ingest_of_a_corpus_with_nothing_loadable(index_env, tmp_path: Path) -> None:
    corpus = tmp_path / "leeg-corpus"
    corpus.mkdir()
    (corpus / "leeg.txt").write_bytes(b"")
    report, fake = ingest(index_env, corpus)
    assert report.documents == report.passages == fake.passages_embedded == 0
    assert [item.path for item in report.skipped] == ["leeg.txt"]
    store, manifest, _ = index_env.live()
    assert store.count() == manifest["passages"] == 0
    assert index_env.pipeline().retriever.search("huurwaarborg").hits == ()


# --------------------------------------------------------------------------- kill -9

# Runs in a child of the fork server (conftest.py): a real, separate ingest process.
_WRITER = """
import time
from pathlib import Path
from fakes import HashingEmbedder
from assistant.config import Settings
from assistant.pipeline import Pipeline

class SlowEmbedder(HashingEmbedder):
    def embed_passages(self, texts):
        time.sleep(ARGS["delay"])
        return super().embed_passages(texts)

pipeline = Pipeline(Settings(**ARGS["settings"]), embedder=SlowEmbedder(),
                    index_dir=Path(ARGS["index_dir"]))
location = pipeline.location
publish = location.publish

def publish_and_tell(generation, manifest):
    publish(generation, manifest)
    say("published", generation)
    if ARGS["pause_after_publish"]:
        time.sleep(120)

location.publish = publish_and_tell
say("started-ingest")
report = pipeline.ingest(Path(ARGS["corpus_dir"]), show_progress=False)
say("done", report.generation)
"""


def grow_corpus(corpus: Path, extra: int) -> None:
    """A changed and larger corpus: one document edited, one deleted, `extra` added."""
    change_document(corpus)
    (corpus / f"{DELETED}.txt").unlink()
    sentences = [s.strip() + "." for d in documents(REPO_DIR / "corpus").values()
                 for s in d.text.replace("\n", " ").split(".") if len(s.strip()) > 40]
    rng = random.Random(7)
    for n in range(extra):
        body = " ".join(rng.sample(sentences, 8))
        (corpus / f"extra_{n:03d}.txt").write_text(
            f"Extra document {n}\n\nCode extra{n:03d}. {body}\n", encoding="utf-8")


def check_live_index(env, expected_generation: str) -> dict:
    """What a fresh reader sees after a crash: a complete generation that answers."""
    store, manifest, generation = env.live()
    assert generation == expected_generation
    assert store.count() == manifest["passages"] == sum(
        entry["passages"] for entry in manifest["documents"].values())
    assert sum(len(ids) for ids in stored_ids(store).values()) == manifest["passages"]
    hits = env.pipeline().retriever.search("collaborative housing in Brussel", k=5).hits
    assert hits and all(hit.passage.doc_id in manifest["documents"] for hit in hits)
    return manifest


@pytest.mark.slow
def test_kill_9_during_ingest_leaves_a_working_index(index_env, corpus_dir, tmp_path,
                                                    forkserver) -> None:
    base, _ = ingest(index_env, corpus_dir)
    grown = tmp_path / "grown"
    shutil.copytree(corpus_dir, grown)
    grow_corpus(grown, extra=12)
    job = {
        "settings": index_env.settings(embed_batch_size=2).model_dump(mode="json"),
        "index_dir": str(index_env.index_dir),
        "corpus_dir": str(grown),
        "delay": 0.3,  # one call per changed document here: at least 3.6 s of embedding,
        # so the writer is surely still running at the last kill moment (1 s), even under load
    }

    live = base.generation
    for moment in (0.2, 0.6, 1.0):
        pid = forkserver.start(_WRITER, "writer", pause_after_publish=False, **job)
        forkserver.expect(pid, "started-ingest", timeout=30)
        time.sleep(moment)
        assert forkserver.alive(pid), f"the writer ended before {moment}s"
        forkserver.kill(pid)
        assert not forkserver.said(pid, "done") and not forkserver.said(pid, "published")
        check_live_index(index_env, live)  # the previous generation, complete and answering
    # A killed writer may leave its partial generation behind, but each writer first removes
    # those of the ones before it: at most one is left over; the live one is untouched.
    assert len(index_env.generations()) <= 2 and live in index_env.generations()

    pid = forkserver.start(_WRITER, "writer", pause_after_publish=True, **job)
    live = forkserver.expect(pid, "published", timeout=60).strip()
    forkserver.kill(pid)  # after the pointer moved, before the old generation was removed
    assert live != base.generation and base.generation in index_env.generations()
    manifest = check_live_index(index_env, live)
    assert set(manifest["documents"]) == set(documents(grown))

    # A normal ingest completes (the crashed writer already published this corpus) and
    # removes every left-over generation.
    report, fake = ingest(index_env, grown)
    assert fake.passages_embedded == 0 and report.generation == live
    assert report.documents == 5 - 1 + 12
    assert index_env.generations() == [live]
    assert_consistent(index_env, grown)
    if index_env.server is None:
        assert [p.name for p in index_env.index_dir.iterdir() if p.is_dir()] == [live]
    # And the next change publishes on top of it as usual.
    (grown / "extra_000.txt").unlink()
    final, fake = ingest(index_env, grown)
    assert fake.passages_embedded == 0 and final.removed_documents == 1
    assert index_env.generations() == [final.generation]
    assert_consistent(index_env, grown)
