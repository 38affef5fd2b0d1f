"""Nothing lost (issue 22, item 2): a file or record that fails keeps its last good version
in the index, with the failure reported; text in common encodings is read.

The store is the real one (both modes, conftest's `index_env`); the embedder is the fake
HashingEmbedder: what is tested is which documents stay, not the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import HashingEmbedder
from test_documents import EN, FR, NL

from assistant.ingest import corpus_files
from assistant.ingest.documents import iter_corpus
from assistant.types import Document

TOPICS = ("huurwaarborg", "woonbonus", "sociale lening", "erfpacht", "cohousing")


def records(count: int) -> list[dict]:
    return [{"id": f"r{n:02d}", "text": f"Record {n} over {TOPICS[n % 5]} nummer{n}. {NL}"}
            for n in range(count)]


def write_jsonl(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def ingest(env, corpus: Path):
    return env.pipeline(HashingEmbedder()).ingest(corpus, show_progress=False)


def live_documents(env) -> set[str]:
    return set(env.live()[1]["documents"])


def found(env, question: str, doc_id: str) -> bool:
    hits = env.pipeline(HashingEmbedder()).retriever.search(question, k=50).hits
    return any(hit.passage.doc_id == doc_id for hit in hits)


def test_a_deeply_nested_jsonl_line_is_skipped_alone_and_loses_nothing(index_env,
                                                                       tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [json.dumps(record) for record in records(20)]
    write_jsonl(corpus / "export.jsonl", lines)
    first = ingest(index_env, corpus)
    assert first.documents == 20

    nested = '{"id": "r02", "text": "x", "extra": ' + "[" * 10_000 + "]" * 10_000 + "}"
    write_jsonl(corpus / "export.jsonl", [*lines[:2], nested, *lines[3:]])
    report = ingest(index_env, corpus)

    assert report.removed_documents == 0 and report.kept_documents == 1
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("export.jsonl", "export.jsonl line 3: not valid JSON (nested too deeply) "
                         "(its last indexed version is kept)")]
    assert live_documents(index_env) == {f"export/r{n:02d}" for n in range(20)}
    assert found(index_env, "Record 2 over sociale lening nummer2", "export/r02")
    # Fixed, the record is read again; deleted, it goes.
    write_jsonl(corpus / "export.jsonl", lines[:19])
    report = ingest(index_env, corpus)
    assert report.skipped == () and report.removed_documents == 1
    assert live_documents(index_env) == {f"export/r{n:02d}" for n in range(19)}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32"])
def test_a_document_resaved_in_another_unicode_encoding_is_the_same_document(
        index_env, tmp_path: Path, encoding: str) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = f"Huurwaarborg\n\n{NL}\nCoöperatief wonen: één gids.\n"
    (corpus / "guide.txt").write_text(text, encoding="utf-8")
    (corpus / "other.txt").write_text(FR, encoding="utf-8")
    ingest(index_env, corpus)
    (corpus / "guide.txt").write_bytes(text.encode(encoding))

    report = ingest(index_env, corpus)
    assert report.skipped == () and report.removed_documents == 0
    assert report.embedded == 0  # the same text: nothing to re-embed
    assert live_documents(index_env) == {"guide", "other"}


def test_latin1_and_windows_1252_text_is_read(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("Loyer payé en février, à Liège.".encode("latin-1"))
    (tmp_path / "cp1252.md").write_bytes("# Wonen – “coöperatief” €\n\nDe huur.".encode("cp1252"))
    (tmp_path / "noise.txt").write_bytes(bytes(range(1, 32)) * 40 + b"\xff\xfe" * 3)
    items = {item.source if isinstance(item, Document) else item.path: item
             for item in iter_corpus(tmp_path)}
    assert items["latin1.txt"].text == "Loyer payé en février, à Liège."
    assert items["cp1252.md"].text == "# Wonen – “coöperatief” €\n\nDe huur."
    assert items["cp1252.md"].meta.title == "Wonen – “coöperatief” €"
    assert items["noise.txt"].reason == "binary content (control bytes), not UTF-8 or Latin-1 text"


def test_a_file_made_unreadable_keeps_its_last_good_version(index_env, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "guide.txt").write_text(f"Huurwaarborg\n\n{NL}\n", encoding="utf-8")
    (corpus / "sub" / "a.txt").write_text(f"Garantie\n\n{FR}\n", encoding="utf-8")
    (corpus / "sub" / "b.txt").write_text(f"Deposit\n\n{EN}\n", encoding="utf-8")
    (corpus / "gone.txt").write_text(f"Weg\n\n{EN} Verdwenen.\n", encoding="utf-8")
    ingest(index_env, corpus)

    (corpus / "guide.txt").write_bytes(b"\0\x01binary\0" * 50)  # overwritten by a binary
    (corpus / "gone.txt").unlink()
    with pytest.MonkeyPatch.context() as patch:  # a folder that cannot be opened any more
        opener = corpus_files.open_folder
        patch.setattr(corpus_files, "open_folder", lambda name, parent: (
            (_ for _ in ()).throw(PermissionError(13, "Permission denied", name))
            if name == "sub" else opener(name, parent)))
        report = ingest(index_env, corpus)

    reasons = {s.path: s.reason for s in report.skipped}
    assert reasons == {
        "guide.txt": "binary content (NUL bytes), not text (its last indexed version is kept)",
        "sub/": "folder cannot be read: Permission denied (its 2 indexed documents are kept)",
    }
    assert report.removed_documents == 1 and report.kept_documents == 3
    assert live_documents(index_env) == {"guide", "sub/a", "sub/b"}
    assert found(index_env, "huurwaarborg huurder verhuurder", "guide")


def test_a_rerun_removes_generations_left_by_killed_runs(tmp_path: Path) -> None:
    from conftest import IndexEnv

    env = IndexEnv("embedded", tmp_path, None)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(NL, encoding="utf-8")
    live = ingest(env, corpus).generation
    for name in ("gen-20000101-000000-000000001", "gen-20000101-000000-000000002"):
        (env.index_dir / name / "chroma").mkdir(parents=True)  # as a kill -9 leaves them
        (env.index_dir / name / "chroma" / "chroma.sqlite3").write_bytes(b"\0" * 4096)

    seen: list[list[str]] = []

    class Watching(HashingEmbedder):
        def embed_passages(self, texts):
            seen.append(env.generations())
            return super().embed_passages(texts)

    (corpus / "b.txt").write_text(FR, encoding="utf-8")
    report = env.pipeline(Watching()).ingest(corpus, show_progress=False)
    assert seen and seen[0] == sorted([live, report.generation])  # gone before the copy
    assert env.generations() == [report.generation]
