"""Corpus folder -> Documents, streamed one file (or JSONL line) at a time.

A file or line that cannot be listed, named, read, decompressed or hashed becomes a
`Skipped` with a one-line reason (its path relative to the corpus); it never stops the run.
Each file is read within limits (`ReadLimits`, from the settings): its size on disk, the
bytes it decompresses to, the characters of text it holds, and the time and memory its
reader may take (in a worker process, read_sandbox.py, running extractors.py).
Files are listed and opened by `corpus_files`, which never leaves the corpus folder; each
document's metadata comes from metadata.py.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields as dataclass_fields
from pathlib import Path
from typing import BinaryIO

from assistant.config import Settings
from assistant.ingest.corpus_files import (CorpusFile, UnreadableFile, display, list_corpus, one_line,
                                           open_listed, reason)
from assistant.ingest.extractors import BLOCK_BYTES, EXTRACTORS, MB, cap_text, extract
from assistant.ingest.metadata import SIDECAR_SUFFIX, document, meta_fields, read_sidecar
from assistant.ingest.read_sandbox import ReaderFailed, ReaderProcess
from assistant.types import Document, Skipped

DEFAULT_MAX_DECOMPRESSED_BYTES: int = Settings.model_fields["max_decompressed_bytes"].default
# JSON text gzips 4-10x (the 92 MB NL laws export: 4.7x); a gzip bomb expands ~1000x. Past
# this ratio a .jsonl.gz is a bomb: the cap keeps its reading (blank lines too) bounded in time
# by its size on disk, as any file's is, while each record stays within the byte cap.
_GZIP_MAX_RATIO = 100


def _default(name: str):
    return Settings.model_fields[name].default


@dataclass(frozen=True)
class ReadLimits:
    """What reading one corpus file may cost; each is the setting of the same name."""

    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
    max_file_bytes: int = _default("max_file_bytes")
    max_document_chars: int = _default("max_document_chars")
    max_parse_seconds: float = _default("max_parse_seconds")
    max_parse_memory_bytes: int = _default("max_parse_memory_bytes")

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadLimits:
        return cls(**{field.name: getattr(settings, field.name) for field in dataclass_fields(cls)})


# One document per line; read as bytes so a bad line is skipped alone (see _load_lines).
_LINE_SUFFIXES = (".jsonl", ".jsonl.gz")
SUPPORTED_SUFFIXES: tuple[str, ...] = (*EXTRACTORS, *_LINE_SUFFIXES)


def iter_corpus(
    corpus_dir: Path, max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    *, limits: ReadLimits | None = None,
) -> Iterator[Document | Skipped]:
    """Each document under `corpus_dir` in sorted path order; a Skipped per bad file or line.

    `limits` (default: the settings' defaults, with `max_decompressed_bytes`) bound each file."""
    limits = limits or ReadLimits(max_decompressed_bytes=max_decompressed_bytes)
    with ReaderProcess(limits.max_parse_seconds, limits.max_parse_memory_bytes) as reader:
        yield from _iter_corpus(corpus_dir, limits, reader)


def _iter_corpus(corpus_dir: Path, limits: ReadLimits,
                 reader: ReaderProcess) -> Iterator[Document | Skipped]:
    seen: set[str] = set()
    for listed in list_corpus(corpus_dir, _not_a_document):
        items = [listed] if isinstance(listed, Skipped) else _load(listed, limits, reader)
        for item in items:
            if isinstance(item, Document) and item.doc_id in seen:
                # The index is keyed by doc_id: a second one would silently replace the first.
                item = Skipped(item.source, f"duplicate doc_id {item.doc_id}")
            elif isinstance(item, Document):
                seen.add(item.doc_id)
            if isinstance(item, Skipped):  # one printable line, whatever an id or error held
                item = Skipped(item.path, display(item.reason))
            yield item


def holds_files(corpus_dir: Path) -> bool:
    """True when the corpus lists at least one candidate document (cheap: stops at the first)."""
    return next(iter(list_corpus(corpus_dir, _not_a_document)), None) is not None


def count_documents(
    corpus_dir: Path, max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
) -> int:
    """How many items `iter_corpus` will yield, cheaply (lines are counted, not parsed).

    Only for the progress bar's ETA: a pass over a 400 MB export takes seconds, while
    embedding it takes hours. A file that cannot be counted counts as its one Skipped.
    """
    total = 0
    for listed in list_corpus(corpus_dir, _not_a_document):
        if isinstance(listed, Skipped) or _suffix(listed.rel) not in _LINE_SUFFIXES:
            total += 1
            continue
        try:
            with _lines(listed, max_decompressed_bytes) as lines:
                total += sum(1 for line in lines if line.strip())
        except Exception:  # loading reports it; the count only feeds the ETA
            total += 1
    return total


def _not_a_document(rel: str) -> bool:
    """Sidecars and the corpus's own README are read alongside, never as documents."""
    return rel.endswith(SIDECAR_SUFFIX) or rel.lower() == "readme.md"


def _suffix(name: str) -> str:
    lowered = name.lower()
    return next((s for s in SUPPORTED_SUFFIXES if lowered.endswith(s)), Path(lowered).suffix)


def _load(file: CorpusFile, limits: ReadLimits,
          reader: ReaderProcess) -> Iterator[Document | Skipped]:
    """The file's documents; any failure ends them with a Skipped, never the run."""
    suffix = _suffix(file.rel)
    try:
        if suffix in EXTRACTORS:
            yield _load_file(file, suffix, limits, reader)
        elif suffix in _LINE_SUFFIXES:
            yield from _load_lines(file, suffix, limits)
        else:
            yield Skipped(file.rel, f"unsupported file type {suffix or '(no suffix)'}")
    except UnreadableFile as error:
        yield Skipped(file.rel, str(error))
    except Exception as error:  # one file must never stop the corpus
        yield Skipped(file.rel, f"unreadable file: {reason(error)}")


def _load_file(file: CorpusFile, suffix: str, limits: ReadLimits,
               reader: ReaderProcess) -> Document | Skipped:
    if file.size == 0:
        return Skipped(file.rel, "empty file")
    too_large = UnreadableFile(f"{file.size / MB:.3g} MB on disk, over the "
                               f"{limits.max_file_bytes / MB:.3g} MB limit (ASSISTANT_MAX_FILE_BYTES)")
    if file.size > limits.max_file_bytes:
        raise too_large
    with open_listed(file) as stream:
        data = stream.read(limits.max_file_bytes + 1)  # never more, should it grow meanwhile
    if len(data) > limits.max_file_bytes:
        raise too_large
    try:
        extracted = reader.run(extract, suffix, data, limits.max_decompressed_bytes)
    except ReaderFailed as error:  # parsers raise many types on malformed files
        return Skipped(file.rel, f"not a readable {suffix[1:].upper()}: {error}")
    text = _normalize(extracted.text)
    if not text.strip():
        return Skipped(file.rel, "no text could be extracted")
    _check_length(text, limits)
    doc_id = file.rel[: -len(suffix)]
    return document(doc_id, text, read_sidecar(file), extracted.title, file.rel)


def _check_length(text: str, limits: ReadLimits) -> None:
    if len(text) > limits.max_document_chars:
        raise UnreadableFile(f"{len(text):,} characters of text, over the "
                             f"{limits.max_document_chars:,} limit (ASSISTANT_MAX_DOCUMENT_CHARS)")


@contextmanager
def _lines(file: CorpusFile, cap: int) -> Iterator[Iterator[bytes]]:
    """The file's raw lines, each within the cap; a .jsonl.gz also inflated within its
    ratio. Read a block at a time: a line of 200 MB is never held whole."""
    with open_listed(file) as stream:
        if not file.rel.lower().endswith(".gz"):
            yield _capped_lines(stream, cap, None)  # on disk: nothing grows past its size
            return
        with gzip.GzipFile(fileobj=stream) as inflated:
            yield _capped_lines(inflated, cap, _GZIP_MAX_RATIO * file.size)


def _capped_lines(stream: BinaryIO, line_cap: int, total_cap: int | None) -> Iterator[bytes]:
    """The stream's lines, read a block at a time: one gzip readline per line made a
    million blank lines cost 5 s, a split costs milliseconds."""
    read, pending, pending_bytes = 0, [], 0  # pending: the unfinished line's pieces
    while block := stream.read(BLOCK_BYTES):
        read += len(block)
        if total_cap is not None and read > total_cap:
            raise UnreadableFile(f"decompresses to more than {_GZIP_MAX_RATIO}x its size on "
                                 "disk (a gzip bomb)")
        *lines, rest = block.split(b"\n")
        if lines:
            lines[0] = b"".join([*pending, lines[0]])
            pending, pending_bytes = [], 0
        pending.append(rest)
        pending_bytes += len(rest)
        if max(pending_bytes, max(map(len, lines), default=0)) > line_cap:
            raise UnreadableFile(f"a record {'decompresses to' if total_cap else 'is'} more than "
                                 f"the {cap_text(line_cap)}")
        yield from lines
    if pending_bytes:
        yield b"".join(pending)


def _load_lines(file: CorpusFile, suffix: str, limits: ReadLimits) -> Iterator[Document | Skipped]:
    """One document per non-blank line; sidecar fields are defaults under each line's own.
    A bad line is skipped alone, whatever it raises; the lines after it are read."""
    if file.size == 0:
        yield Skipped(file.rel, "empty file")
        return
    defaults = read_sidecar(file)
    stem = file.rel[: -len(suffix)]
    number = 0
    try:
        with _lines(file, limits.max_decompressed_bytes) as lines:
            for number, raw in enumerate(lines, start=1):
                if raw.strip():
                    yield _line_document(raw, f"{file.rel} line {number}", stem, file.rel,
                                         defaults, limits)
    except (OSError, EOFError, zlib.error, UnreadableFile) as error:  # e.g. a truncated .gz
        yield Skipped(file.rel, f"{file.rel} line {number + 1}: unreadable from here on: "
                                f"{reason(error)}")


def _line_document(raw: bytes, where: str, stem: str, rel: str, defaults: dict[str, str],
                   limits: ReadLimits) -> Document | Skipped:
    try:
        return _record_document(raw, where, stem, rel, defaults, limits)
    except UnreadableFile as error:
        return Skipped(rel, f"{where}: {error}")
    except RecursionError:  # json nests by recursion: a line 10 kB deep exhausts the stack
        return Skipped(rel, f"{where}: not valid JSON (nested too deeply)")
    except Exception as error:  # noqa: BLE001  (one record never ends its file)
        return Skipped(rel, f"{where}: unreadable record: {one_line(error)}")


def _record_document(raw: bytes, where: str, stem: str, rel: str, defaults: dict[str, str],
                     limits: ReadLimits) -> Document | Skipped:
    try:
        record = json.loads(raw.decode("utf-8-sig"))  # a BOM can only open the first line
    except ValueError as error:  # also covers a line that is not UTF-8
        return Skipped(rel, f"{where}: not valid JSON ({one_line(error)})")
    if not isinstance(record, dict):
        return Skipped(rel, f"{where}: not a JSON object")
    key, text = record.get("id"), record.get("text")
    if not isinstance(key, (str, int)) or not str(key).strip():
        return Skipped(rel, f'{where}: missing "id"')
    if not isinstance(text, str) or not text.strip():
        return Skipped(rel, f'{where}: missing or empty "text"')
    _check_length(text, limits)
    return document(f"{stem}/{key}", _normalize(text), {**defaults, **meta_fields(record)},
                    "", rel)


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n")


