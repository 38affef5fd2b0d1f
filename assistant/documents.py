"""Corpus folder -> Documents, streamed one file (or JSONL line) at a time.

A file or line that cannot be loaded becomes a `Skipped` with a one-line reason; it never
stops the run. Metadata comes from a `<file name>.meta.json` sidecar, then from the file
itself (title), then from the text (first line as title, detected language).
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PdfReader
from selectolax.lexbor import LexborHTMLParser

from .errors import InputError
from .language import detect_language
from .types import Document, DocumentMeta, Skipped

logger = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".meta.json"
_META_FIELDS = ("title", "publisher", "date", "language", "region", "url")
_ALIASES = {"lang": "language", "source_path": "url"}
_TITLE_MAX_CHARS = 120
_REASON_MAX_CHARS = 200

_HIDDEN_TAGS = ["head", "script", "style", "nav", "noscript", "template"]
_BLOCK_TAGS = (
    "address, article, aside, blockquote, br, caption, dd, div, dl, dt, figcaption, figure, "
    "footer, form, h1, h2, h3, h4, h5, h6, header, hr, li, main, ol, p, pre, section, table, "
    "td, th, tr, ul"
)
# Private-use marker: survives the whitespace collapse, then becomes the block's newline.
_BREAK = "\ue000"


class _Unreadable(Exception):
    """An extractor's own reason for refusing a file; the message is the Skipped reason."""


@dataclass(frozen=True)
class _Extracted:
    text: str
    title: str = ""  # the format's own title (HTML <title>, PDF/DOCX properties), if any


def _decode_utf8(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")  # -sig drops a BOM
    except UnicodeDecodeError as error:
        raise _Unreadable(f"not valid UTF-8 (bad byte at offset {error.start})") from error


def _read_plain(path: Path) -> _Extracted:
    return _Extracted(_decode_utf8(path))


def _read_html(path: Path) -> _Extracted:
    tree = LexborHTMLParser(_decode_utf8(path))
    title_node = tree.css_first("title")
    title = title_node.text() if title_node else ""
    tree.strip_tags(_HIDDEN_TAGS, recursive=True)
    for node in tree.css(_BLOCK_TAGS):
        node.insert_before(_BREAK)
        node.insert_after(_BREAK)
    # Whitespace in HTML source is layout, not content; only block boundaries become newlines.
    flat = " ".join(tree.root.text().split())
    lines = (line.strip() for line in flat.split(_BREAK))
    return _Extracted("\n".join(line for line in lines if line), title)


def _read_pdf(path: Path) -> _Extracted:
    with PdfReader(path) as reader:
        text = "\n".join(page.extract_text() for page in reader.pages)
        title = reader.metadata.title if reader.metadata else None
    return _Extracted(text, title or "")


def _docx_block_text(block: Paragraph | Table) -> str:
    if isinstance(block, Table):
        return "\n".join(" | ".join(cell.text for cell in row.cells) for row in block.rows)
    return block.text


def _read_docx(path: Path) -> _Extracted:
    document = docx.Document(str(path))
    text = "\n".join(_docx_block_text(block) for block in document.iter_inner_content())
    return _Extracted(text, document.core_properties.title or "")


# One document per file.
_EXTRACTORS: dict[str, Callable[[Path], _Extracted]] = {
    ".txt": _read_plain,
    ".md": _read_plain,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}
# One document per line; opened in binary so a bad line is skipped alone (see _load_lines).
_LINE_OPENERS: dict[str, Callable[[Path], IO[bytes]]] = {
    ".jsonl": lambda path: path.open("rb"),
    ".jsonl.gz": gzip.open,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = (*_EXTRACTORS, *_LINE_OPENERS)


def iter_corpus(corpus_dir: Path) -> Iterator[Document | Skipped]:
    """Each document under `corpus_dir` in sorted path order; a Skipped per bad file or line."""
    if not corpus_dir.is_dir():
        raise InputError(f"Corpus folder not found: {corpus_dir}")
    seen: set[str] = set()
    for path in _corpus_files(corpus_dir):
        for item in _load(path, path.relative_to(corpus_dir).as_posix()):
            if isinstance(item, Document) and item.doc_id in seen:
                # The index is keyed by doc_id: a second one would silently replace the first.
                item = Skipped(item.source, f"duplicate doc_id {item.doc_id}")
            elif isinstance(item, Document):
                seen.add(item.doc_id)
            yield item


def count_documents(corpus_dir: Path) -> int:
    """How many items `iter_corpus` will yield, cheaply (lines are counted, not parsed).

    Only for the progress bar's ETA: a pass over a 400 MB export takes seconds, while
    embedding it takes hours.
    """
    total = 0
    for path in _corpus_files(corpus_dir):
        opener = _LINE_OPENERS.get(_suffix(path.name))
        if opener is None:
            total += 1
            continue
        with opener(path) as lines:
            total += sum(1 for line in lines if line.strip())
    return total


def _corpus_files(root: Path) -> Iterator[Path]:
    """Files to consider: not hidden, not sidecars, not the corpus's own README."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        at_root = Path(folder) == root
        for name in sorted(files):
            if name.startswith(".") or name.endswith(SIDECAR_SUFFIX):
                continue
            if at_root and name.lower() == "readme.md":
                continue
            yield Path(folder, name)


def _suffix(name: str) -> str:
    lowered = name.lower()
    return next((s for s in SUPPORTED_SUFFIXES if lowered.endswith(s)), Path(lowered).suffix)


def _load(path: Path, rel: str) -> Iterator[Document | Skipped]:
    suffix = _suffix(path.name)
    if suffix in _EXTRACTORS:
        yield _load_file(path, rel, suffix)
    elif suffix in _LINE_OPENERS:
        yield from _load_lines(path, rel, suffix)
    else:
        yield Skipped(rel, f"unsupported file type {suffix or '(no suffix)'}")


def _load_file(path: Path, rel: str, suffix: str) -> Document | Skipped:
    try:
        if path.stat().st_size == 0:
            return Skipped(rel, "empty file")
        extracted = _EXTRACTORS[suffix](path)
    except _Unreadable as error:
        return Skipped(rel, str(error))
    except OSError as error:
        return Skipped(rel, f"unreadable file: {error.strerror or _one_line(error)}")
    except Exception as error:  # parsers raise many types on malformed files
        return Skipped(rel, f"not a readable {suffix[1:].upper()}: {_one_line(error)}")
    text = _normalize(extracted.text)
    if not text.strip():
        return Skipped(rel, "no text could be extracted")
    doc_id = rel[: -len(suffix)]
    return _document(doc_id, text, _read_sidecar(path), extracted.title, rel)


def _load_lines(path: Path, rel: str, suffix: str) -> Iterator[Document | Skipped]:
    """One document per non-blank line; sidecar fields are defaults under each line's own."""
    if path.stat().st_size == 0:
        yield Skipped(rel, "empty file")
        return
    defaults = _read_sidecar(path)
    stem = rel[: -len(suffix)]
    number = 0
    try:
        with _LINE_OPENERS[suffix](path) as stream:
            for number, raw in enumerate(stream, start=1):
                if raw.strip():
                    yield _line_document(raw, f"{rel} line {number}", stem, rel, defaults)
    except (OSError, EOFError, zlib.error) as error:  # e.g. a truncated or non-gzip .gz
        reason = f"{rel} line {number + 1}: unreadable from here on: {_one_line(error)}"
        yield Skipped(rel, reason)


def _line_document(
    raw: bytes, where: str, stem: str, rel: str, defaults: dict[str, str]
) -> Document | Skipped:
    try:
        record = json.loads(raw.decode("utf-8-sig"))  # a BOM can only open the first line
    except ValueError as error:  # also covers a line that is not UTF-8
        return Skipped(rel, f"{where}: not valid JSON ({_one_line(error)})")
    if not isinstance(record, dict):
        return Skipped(rel, f"{where}: not a JSON object")
    key, text = record.get("id"), record.get("text")
    if not isinstance(key, (str, int)) or not str(key).strip():
        return Skipped(rel, f'{where}: missing "id"')
    if not isinstance(text, str) or not text.strip():
        return Skipped(rel, f'{where}: missing or empty "text"')
    fields = {**defaults, **_meta_fields(record)}
    return _document(f"{stem}/{key}", _normalize(text), fields, "", rel)


def _read_sidecar(path: Path) -> dict[str, str]:
    """Fields from `<file name>.meta.json`; a broken sidecar is logged and ignored."""
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    try:
        data = json.loads(sidecar.read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError) as error:
        logger.warning("Ignoring metadata sidecar %s: %s", sidecar, _one_line(error))
        return {}
    if not isinstance(data, dict):
        logger.warning("Ignoring metadata sidecar %s: not a JSON object", sidecar)
        return {}
    return _meta_fields(data)


def _meta_fields(data: dict[str, Any]) -> dict[str, str]:
    """Known metadata fields with a usable value; numbers (a year) are kept as text."""
    fields: dict[str, str] = {}
    for key, value in data.items():
        name = _ALIASES.get(key, key)
        if name in _META_FIELDS and isinstance(value, (str, int, float)) and str(value).strip():
            fields.setdefault(name, str(value).strip())
    return fields


def _document(doc_id: str, text: str, fields: dict[str, str], title: str, source: str) -> Document:
    meta = DocumentMeta(
        title=fields.get("title") or " ".join(title.split()) or _first_line(text),
        publisher=fields.get("publisher", ""),
        date=fields.get("date", ""),
        language=fields.get("language") or detect_language(text),
        region=fields.get("region", ""),
        url=fields.get("url", ""),
    )
    return Document(doc_id=doc_id, text=text, meta=meta, source=source)


def _first_line(text: str) -> str:
    """First non-empty line, without a Markdown heading's '#', cut to the title length."""
    match = re.search(r"\S[^\n]*", text)
    line = match.group().lstrip("#").strip() if match else ""
    return line[:_TITLE_MAX_CHARS].rstrip()


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n")


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:_REASON_MAX_CHARS] or type(error).__name__
