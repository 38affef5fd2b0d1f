"""A hostile corpus, built here in tmp_path: ingest indexes every good document, reads
nothing outside the corpus, and skips each bad file with a one-line reason.

The embedder is the fake HashingEmbedder; the store is the real one (both modes: see
conftest.py's `index_env`), so what is published is what a reader would see.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import random
import zipfile
from pathlib import Path

import docx
import pytest
from fakes import HashingEmbedder
from test_documents import EN, FR, NL, _pdf_bytes

from assistant import cli
from assistant.ingest import corpus_files
from assistant.config import Settings
from assistant.ingest.documents import DEFAULT_MAX_DECOMPRESSED_BYTES, count_documents, iter_corpus
from assistant.errors import InputError
from assistant.pipeline import Pipeline
from assistant.types import Document, Skipped

OUTSIDE = "OUTSIDEMARKER7731"  # in every file outside the corpus: must never be indexed
LEAKS = (OUTSIDE, "root:x:0:0")


def _docx_bytes(text: str, padding: int = 0) -> bytes:
    """A DOCX with `text`; `padding` spaces inflate its document.xml (cheap to parse)."""
    document = docx.Document()
    document.add_paragraph(text)
    plain = io.BytesIO()
    document.save(plain)
    if not padding:
        return plain.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                at = data.index(b"<w:sectPr")
                data = data[:at] + b" " * padding + data[at:]
            bomb.writestr(info, data)
    return out.getvalue()


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9)


def _jsonl(*records: dict) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def build_outside(root: Path) -> Path:
    outside = root / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.txt").write_text(f"Geheim {OUTSIDE}. {NL}", encoding="utf-8")
    (outside / "folder" / "note.txt").write_text(f"Note {OUTSIDE}. {EN}", encoding="utf-8")
    (outside / "meta.json").write_text(json.dumps({"title": f"Title {OUTSIDE}"}), encoding="utf-8")
    return outside


def build_good(corpus: Path) -> set[str]:
    """Ordinary files of every format; returns the doc ids they must give (with the good
    lines of build_bad's JSONL files)."""
    (corpus / "sub" / "deeper").mkdir(parents=True)
    (corpus / "nl.txt").write_text(f"Huurwaarborg\n\n{NL}\n", encoding="utf-8")
    (corpus / "fr.md").write_text(f"# Garantie locative\n\n{FR}\n", encoding="utf-8")
    (corpus / "en.html").write_text(f"<html><title>Deposit</title><p>{EN}</p></html>",
                                    encoding="utf-8")
    (corpus / "sub" / "guide.docx").write_bytes(_docx_bytes(NL))
    (corpus / "sub" / "rules.pdf").write_bytes(_pdf_bytes(EN, "Rental rules"))
    (corpus / "sub" / "deeper" / "Coöperatie wonen.txt").write_text(FR, encoding="utf-8")
    (corpus / "export.jsonl").write_text(_jsonl({"id": "a", "text": NL}, {"id": "b", "text": FR}),
                                         encoding="utf-8")
    (corpus / "export2.jsonl.gz").write_bytes(_gzip(_jsonl({"id": "c", "text": EN}).encode()))
    # A good document whose sidecar holds a lone surrogate: the sidecar is ignored (logged),
    # like any broken sidecar; the document is not lost.
    (corpus / "sidecar.txt").write_text(EN, encoding="utf-8")
    (corpus / "sidecar.txt.meta.json").write_text('{"title": "Gids \\udc80", "publisher": "X"}',
                                                  encoding="utf-8")
    # A sidecar linked to a file outside: not followed, so its title never shows.
    (corpus / "linked-meta.txt").write_text(FR, encoding="utf-8")
    (corpus / "linked-meta.txt.meta.json").symlink_to(corpus.parent / "outside" / "meta.json")
    return {"nl", "fr", "en", "sub/guide", "sub/rules", "sub/deeper/Coöperatie wonen",
            "export/a", "export/b", "export2/c", "sidecar", "linked-meta", "surrogates/ok",
            "ids/a\u2028b", "utf16", "latin1"}


def build_bad(corpus: Path, outside: Path) -> dict[str, str]:
    """Every way a file broke ingest or leaked, and the older ones that held; returns
    each expected Skipped path with a fragment of its reason."""
    (corpus / "locked").mkdir()
    (corpus / "locked" / "inside.txt").write_text(EN, encoding="utf-8")
    # Counting and reading: gzip that is not gzip, or cut short.
    (corpus / "not-gzip.jsonl.gz").write_text(_jsonl({"id": "x", "text": EN}), encoding="utf-8")
    (corpus / "truncated.jsonl.gz").write_bytes(
        _gzip(_jsonl({"id": "t", "text": random.Random(1).randbytes(3000).hex()}).encode())[:-60])
    # Naming: an undecodable byte, a control character, in a file and a folder name.
    root = os.fsencode(corpus)
    for name in (b"bad\xffname.txt", b"line\nbreak.txt"):
        with open(os.path.join(root, name), "w", encoding="utf-8") as handle:
            handle.write(EN)
    os.mkdir(os.path.join(root, b"dir\xfe"))
    with open(os.path.join(root, b"dir\xfe", b"in.txt"), "w", encoding="utf-8") as handle:
        handle.write(FR)
    # Hashing: lone surrogates from JSON escapes, in the text, the title, the id.
    (corpus / "surrogates.jsonl").write_text(
        '{"id": "ok", "text": "%s"}\n{"id": "t1", "text": "Tekst \\ud800 hier"}\n'
        '{"id": "t2", "text": "%s", "title": "\\udcff"}\n{"id": "\\ud83d", "text": "%s"}\n'
        % (NL, FR, EN), encoding="utf-8")
    # An id with a line separator, twice: the repeat's reason stays on one line.
    (corpus / "ids.jsonl").write_text(
        _jsonl({"id": "a\u2028b", "text": NL}, {"id": "a\u2028b", "text": FR}), encoding="utf-8")
    # Links out of the corpus (and one inside it: links are never followed).
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "secret.txt").symlink_to(outside / "secret.txt")
    (corpus / "elsewhere").symlink_to(outside / "folder", target_is_directory=True)
    (corpus / "again.txt").symlink_to("nl.txt")
    (corpus / "dangling.md").symlink_to(outside / "missing.md")
    os.mkfifo(corpus / "pipe.txt")  # a reader would block on it forever
    # Bombs: a DOCX of ~35 kB that unzips past the cap; gzip of zeros, and of newlines.
    (corpus / "bomb.docx").write_bytes(_docx_bytes(EN, DEFAULT_MAX_DECOMPRESSED_BYTES + 2**20))
    (corpus / "zeros.jsonl.gz").write_bytes(_gzip(b"\0" * (DEFAULT_MAX_DECOMPRESSED_BYTES + 10)))
    (corpus / "newlines.jsonl.gz").write_bytes(_gzip(b"\n" * 8_000_000))
    # Binary content under a text extension.
    (corpus / "pdf-as.txt").write_bytes(_pdf_bytes(EN, "Saved as text"))
    (corpus / "nul.md").write_bytes(b"# Titel\n\0\0\0" + NL.encode())
    # Text in other common encodings is read (below, in good): UTF-16, Latin-1.
    (corpus / "utf16.txt").write_bytes(EN.encode("utf-16"))
    # The ones that held before.
    (corpus / "corrupt.pdf").write_bytes(b"%PDF-1.4\n" + random.Random(0).randbytes(3000))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "latin1.txt").write_bytes("Loyer payé en février.".encode("latin-1"))
    (corpus / "notes.xyz").write_text(EN, encoding="utf-8")
    (corpus / "nl.md").write_text(FR, encoding="utf-8")  # doc id "nl" first: nl.txt repeats it
    return {
        "locked/": "folder cannot be read: Permission denied",
        "not-gzip.jsonl.gz": "line 1: unreadable from here on: Not a gzipped file",
        "truncated.jsonl.gz": "line 1: unreadable from here on: Compressed file ended",
        "bad\\xffname.txt": "file name is not valid UTF-8",
        "line\\nbreak.txt": "file name contains control characters",
        "dir\\xfe/": "folder name is not valid UTF-8",
        "surrogates.jsonl": "",  # three lines, checked below
        "ids.jsonl": "duplicate doc_id ids/a\\u2028b",
        "passwd.txt": "symbolic link, not followed",
        "secret.txt": "symbolic link, not followed",
        "elsewhere": "symbolic link, not followed",
        "again.txt": "symbolic link, not followed",
        "dangling.md": "symbolic link, not followed",
        "pipe.txt": "not a regular file",
        "bomb.docx": "over the 32 MB limit (ASSISTANT_MAX_DECOMPRESSED_BYTES)",
        "zeros.jsonl.gz": "more than 100x its size on disk (a gzip bomb)",
        "newlines.jsonl.gz": "more than 100x its size on disk (a gzip bomb)",
        "pdf-as.txt": "holds a PDF document, not text",
        "nul.md": "binary content (NUL bytes)",
        "corrupt.pdf": "not a readable PDF",
        "empty.txt": "empty file",
        "notes.xyz": "unsupported file type .xyz",
        "nl.txt": "duplicate doc_id nl",
    }


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, set[str], dict]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    outside = build_outside(tmp_path)
    good = build_good(corpus)
    bad = build_bad(corpus, outside)
    # A folder that cannot be opened (root opens any folder, so the refusal is simulated).
    open_folder = corpus_files.open_folder

    def refusing(name: str, parent: int) -> int:
        if name == "locked":
            raise PermissionError(13, "Permission denied", name)
        return open_folder(name, parent)

    monkeypatch.setattr(corpus_files, "open_folder", refusing)
    return corpus, good, bad


def check_skipped(skipped: tuple[Skipped, ...], bad: dict[str, str], tmp_path: Path) -> None:
    reasons: dict[str, list[str]] = {}
    for item in skipped:
        reasons.setdefault(item.path, []).append(item.reason)
    assert set(reasons) == set(bad)
    for path, fragment in bad.items():
        assert fragment in reasons[path][0], (path, reasons[path])
    assert sorted(reasons["surrogates.jsonl"]) == [
        "surrogates.jsonl line 2: text is not valid Unicode (a lone surrogate)",
        "surrogates.jsonl line 3: title is not valid Unicode (a lone surrogate)",
        "surrogates.jsonl line 4: id is not valid Unicode (a lone surrogate)",
    ]
    for item in skipped:  # one printable line each, no absolute path, no traceback
        line = f"{item.path}: {item.reason}"
        assert line.isprintable() and len(line) < 300, line
        assert str(tmp_path) not in line and "Traceback" not in line
        line.encode("utf-8")


def test_hostile_corpus_loses_no_document_and_leaks_nothing(
    index_env, hostile, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    corpus, good, bad = hostile
    pipeline = index_env.pipeline(HashingEmbedder())
    with caplog.at_level(logging.WARNING, logger="assistant.ingest"):
        report = pipeline.ingest(corpus, show_progress=True)  # also runs the progress count

    check_skipped(report.skipped, bad, tmp_path)
    store, manifest, generation = index_env.live()
    assert generation == report.generation
    assert set(manifest["documents"]) == good  # documents lost: 0
    assert report.documents == len(good) and store.count() == report.passages > 0
    texts = [f"{p.meta.title}\n{p.text}" for p in store.iter_passages()]
    assert {p.doc_id for p in store.iter_passages()} == good
    assert not [text for text in texts if any(leak in text for leak in LEAKS)]
    hits = pipeline.retriever.search(f"{OUTSIDE} root geheim note", k=50).hits
    assert hits and not [h for h in hits if any(leak in h.passage.text for leak in LEAKS)]
    # The broken sidecars were ignored by name (relative), the documents kept.
    assert "Ignoring metadata sidecar sidecar.txt.meta.json: title is not valid Unicode" in caplog.text
    assert "Ignoring metadata sidecar linked-meta.txt.meta.json" in caplog.text
    assert str(tmp_path) not in caplog.text

    again = index_env.pipeline(HashingEmbedder()).ingest(corpus, show_progress=False)
    assert again.generation == generation and again.embedded == 0  # stable: nothing re-embedded


def test_cli_ingest_prints_each_skip_relative_to_the_corpus(
    hostile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
) -> None:
    corpus, good, bad = hostile
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cli, "Pipeline", lambda settings, index_dir=None: Pipeline(
        settings, embedder=HashingEmbedder(), index_dir=index_dir))
    code = cli.main(["ingest", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith(f"index rebuilt: {len(good)} documents")
    listed = [line for line in out.splitlines() if line.startswith("  skipped ")]
    assert len(listed) == len(bad) + 2  # surrogates.jsonl: three lines
    assert {line.split(": ", 1)[0].removeprefix("  skipped ") for line in listed} == set(bad)
    assert str(tmp_path) not in out + err and "Traceback" not in out + err


def test_a_file_swapped_for_a_link_after_listing_is_not_read(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    outside = build_outside(tmp_path)
    for name in ("a.txt", "b.txt", "sub/c.txt", "sub/d.txt"):
        (corpus / name).write_text(EN, encoding="utf-8")
    (outside / "folder" / "d.txt").write_text(f"Note {OUTSIDE}. {EN}", encoding="utf-8")
    items = iter_corpus(corpus)
    assert next(items).doc_id == "a"  # the root folder is listed now
    (corpus / "b.txt").unlink()
    (corpus / "b.txt").symlink_to(outside / "secret.txt")
    assert next(items).reason.startswith("unreadable file: ")  # O_NOFOLLOW: a link is refused
    assert next(items).doc_id == "sub/c"  # sub/ is listed now: swap the folder for a link
    (corpus / "sub").rename(tmp_path / "moved")
    (corpus / "sub").symlink_to(outside / "folder", target_is_directory=True)
    assert next(items) == Skipped("sub/d.txt", "file changed while being read")
    assert next(items, None) is None


def test_the_cap_bounds_a_docx_and_a_gzip_record_and_is_a_setting(tmp_path: Path) -> None:
    (tmp_path / "big.docx").write_bytes(_docx_bytes(NL, 2**19))  # parts: ~1.3 MB in all
    record = _jsonl({"id": "r", "lang": "en", "text": random.Random(3).randbytes(2**19 + 9).hex()})
    (tmp_path / "big.jsonl.gz").write_bytes(_gzip(record.encode()))  # 1 MB, gzips only 2x
    assert [type(item) for item in iter_corpus(tmp_path)] == [Document, Document]
    refused = list(iter_corpus(tmp_path, max_decompressed_bytes=2**20))
    with zipfile.ZipFile(tmp_path / "big.docx") as archive:
        unzipped = sum(info.file_size for info in archive.infolist()) / 2**20
    assert 1 < unzipped < 2
    assert [(item.path, item.reason) for item in refused] == [
        ("big.docx", f"unzips to {unzipped:.3g} MB, over the 1 MB limit "
                     "(ASSISTANT_MAX_DECOMPRESSED_BYTES)"),
        ("big.jsonl.gz", "big.jsonl.gz line 1: unreadable from here on: a record decompresses "
                         "to more than the 1 MB limit (ASSISTANT_MAX_DECOMPRESSED_BYTES)"),
    ]
    assert Settings(max_decompressed_bytes=5 * 2**20).max_decompressed_bytes == 5 * 2**20


def test_a_missing_corpus_is_an_input_error_before_the_count(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Corpus folder not found"):
        count_documents(tmp_path / "nope")  # the progress count runs first
