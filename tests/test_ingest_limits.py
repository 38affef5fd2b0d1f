"""Each corpus file is read within limits (issue 22, item 3): size on disk, characters of
text, the reader's time and memory; each over-limit file is one Skipped naming its setting.

The hostile files are read in a child Python (real files, the real reader process), whose
peak RSS is reported: a file skipped unread must not have been read into memory.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zipfile
import time
import zlib
from pathlib import Path

import docx
import pytest
from fakes import HashingEmbedder
from test_documents import NL

from assistant.config import Settings
from assistant.ingest.corpus_files import UnreadableFile
from assistant.ingest.documents import ReadLimits, iter_corpus
from assistant.ingest.read_sandbox import ReaderFailed, ReaderProcess
from assistant.pipeline import Pipeline

REPO_DIR = Path(__file__).resolve().parents[1]
MB = 2**20

_READ = """
import json, resource, sys
from pathlib import Path
from assistant.ingest.documents import ReadLimits, iter_corpus
limits = ReadLimits(**json.loads(sys.argv[2]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
items = [(getattr(i, "path", None) or i.source, getattr(i, "reason", None) or "document")
         for i in iter_corpus(Path(sys.argv[1]), limits=limits)]
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"items": items, "grew_mb": (after - before) / 1024}))
"""


def read_in_child(corpus: Path, timeout: float = 120, **limits) -> tuple[dict[str, str], float]:
    result = subprocess.run([sys.executable, "-c", _READ, str(corpus), json.dumps(limits)],
                            capture_output=True, text=True, timeout=timeout, cwd=REPO_DIR,
                            env={**os.environ, "PYTHONPATH": str(REPO_DIR)})
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.splitlines()[-1])
    return dict(out["items"]), out["grew_mb"]


def lying_docx(inflated: int, declared: int = 2048) -> bytes:
    """A DOCX whose document.xml declares `declared` bytes (and the CRC of those) but
    inflates to `inflated`."""
    document = docx.Document()
    document.add_paragraph(NL)
    plain = io.BytesIO()
    document.save(plain)
    big = b"<?xml version='1.0'?>" + b" " * inflated
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = big if info.filename == "word/document.xml" else source.read(info)
            bomb.writestr(info.filename, data, compresslevel=1)
    raw = bytearray(out.getvalue())
    crc = zlib.crc32(big[:declared])
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = archive.getinfo("word/document.xml")
    local = info.header_offset  # local header: CRC at 14, uncompressed size at 22
    struct.pack_into("<I", raw, local + 14, crc)
    struct.pack_into("<I", raw, local + 22, declared)
    central = raw.index(b"PK\x01\x02" + raw[local + 4:local + 30][:0], 0)
    while True:  # the central directory entry of document.xml: CRC at 16, size at 24
        name_len = struct.unpack_from("<H", raw, central + 28)[0]
        if raw[central + 46:central + 46 + name_len] == b"word/document.xml":
            break
        central = raw.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", raw, central + 16, crc)
    struct.pack_into("<I", raw, central + 24, declared)
    return bytes(raw)


def write_hostile_files(corpus: Path) -> None:
    """Four hostile files in `corpus` (also benchmarks/hostile_ingest.py's): huge.txt,
    one-line.jsonl, lying.docx and nested.html."""
    with open(corpus / "huge.txt", "wb") as huge:  # 200 MB (sparse: cheap to make)
        huge.truncate(200 * MB)
    with open(corpus / "one-line.jsonl", "wb") as line:  # one record of 300 MB
        line.write(b'{"id": "x", "text": "')
        line.truncate(300 * MB)
    (corpus / "lying.docx").write_bytes(lying_docx(400 * MB))  # inflates to 400 MB
    (corpus / "nested.html").write_text("<html><body>" + "<div>" * 400_000 + "tekst",
                                        encoding="utf-8")  # 2 MB; parsing takes minutes


def test_hostile_files_are_skipped_within_the_caps_and_bounded_memory(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_hostile_files(corpus)
    (corpus / "good.txt").write_text(NL, encoding="utf-8")

    items, grew_mb = read_in_child(corpus, max_file_bytes=64 * MB, max_parse_seconds=3)

    assert items == {
        "good.txt": "document",
        "huge.txt": "200 MB on disk, over the 64 MB limit (ASSISTANT_MAX_FILE_BYTES)",
        "lying.docx": items["lying.docx"],
        "nested.html": "took more than 3 s to read, the limit (ASSISTANT_MAX_PARSE_SECONDS)",
        "one-line.jsonl": "one-line.jsonl line 1: unreadable from here on: a record is more than "
                          "the 32 MB limit (ASSISTANT_MAX_DECOMPRESSED_BYTES)",
    }
    assert items["lying.docx"].startswith("not a readable DOCX: ")
    assert grew_mb < 100  # 200, 300 and 400 MB of content, none of it held


def test_too_much_text_is_skipped_per_document(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text(f"{NL}\n" * 200, encoding="utf-8")  # 17,600 characters
    (tmp_path / "short.txt").write_text(NL, encoding="utf-8")
    (tmp_path / "export.jsonl").write_text(
        json.dumps({"id": "long", "text": f"{NL} " * 200}) + "\n"
        + json.dumps({"id": "short", "text": NL}) + "\n", encoding="utf-8")
    limits = ReadLimits(max_document_chars=10_000)
    found = [(getattr(i, "doc_id", None), getattr(i, "reason", None))
             for i in iter_corpus(tmp_path, limits=limits)]
    assert found == [
        (None, "export.jsonl line 1: 17,600 characters of text, over the 10,000 limit "
               "(ASSISTANT_MAX_DOCUMENT_CHARS)"),
        ("export/short", None),
        (None, "17,600 characters of text, over the 10,000 limit (ASSISTANT_MAX_DOCUMENT_CHARS)"),
        ("short", None),
    ]


def test_a_reader_over_its_memory_or_time_is_stopped_and_the_next_read() -> None:
    with ReaderProcess(seconds=2, memory_bytes=64 * MB) as reader:
        with pytest.raises(UnreadableFile, match=r"^needs more than 64 MB of memory to read, "
                                                 r"the limit \(ASSISTANT_MAX_PARSE_MEMORY_BYTES\)$"):
            reader.run(bytearray, 256 * MB)
        assert reader.run(len, b"abc") == 3  # a fresh worker
        with pytest.raises(UnreadableFile, match=r"^took more than 2 s to read"):
            reader.run(time.sleep, 600)
        with pytest.raises(ReaderFailed, match="^invalid literal for int"):
            reader.run(int, "x")
        assert reader.run(len, b"abcd") == 4


def test_the_limits_are_settings() -> None:
    settings = Settings(max_file_bytes=5 * MB, max_document_chars=20_000, max_parse_seconds=2.5,
                        max_parse_memory_bytes=128 * MB, max_decompressed_bytes=3 * MB)
    assert ReadLimits.from_settings(settings) == ReadLimits(
        max_decompressed_bytes=3 * MB, max_file_bytes=5 * MB, max_document_chars=20_000,
        max_parse_seconds=2.5, max_parse_memory_bytes=128 * MB)
    assert ReadLimits.from_settings(Settings()) == ReadLimits()


def test_the_pipeline_reads_with_its_own_settings_limits(tmp_path) -> None:
    """A Settings object built in code sets the limits, not only the ASSISTANT_* environment."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.txt").write_text("Coöperatief wonen in Gent.\n\nEen korte tekst.", "utf-8")
    (corpus / "large.txt").write_text("Wonen in Brussel. " * 80_000, "utf-8")  # ~1.4 MB
    settings = Settings(max_file_bytes=MB, index_dir=tmp_path / "index", corpus_dir=corpus)
    report = Pipeline(settings, embedder=HashingEmbedder()).ingest(show_progress=False)
    assert report.documents == 1
    assert [(s.path, "ASSISTANT_MAX_FILE_BYTES" in s.reason) for s in report.skipped] == [("large.txt", True)]
