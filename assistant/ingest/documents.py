"""Corpus folder -> Documents, streamed one file (or JSONL line) at a time.

A file or line that cannot be listed, named, read, decompressed or hashed becomes a
`Skipped` with a one-line reason (its path relative to the corpus); it never stops the run.
Each file is read within limits (`ReadLimits`, from the settings): its size on disk, the
bytes it decompresses to, the characters of text it holds, and the time and memory its
reader may take (in a worker process, read_sandbox.py). Text files are read as UTF-8, or by
their byte-order mark (UTF-8, UTF-16, UTF-32), as UTF-16 without one, or else as
Windows-1252/Latin-1.
Files are listed and opened by `corpus_files`, which never leaves the corpus folder.
Metadata comes from a `<file name>.meta.json` sidecar, then from the file itself (title),
then from the text (first line as title, detected language). A region's name becomes its
code (regions.REGIONS: "Vlaanderen" -> "flanders"), which the store filters on.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields as dataclass_fields
from pathlib import Path
from typing import Any, BinaryIO

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PdfReader
from selectolax.lexbor import LexborHTMLParser

from assistant.config import Settings
from assistant.ingest.corpus_files import (CorpusFile, UnreadableFile, display, list_corpus, open_listed,
                           open_regular)
from assistant.ingest.read_sandbox import ReaderFailed, ReaderProcess
from assistant.languages import LANGUAGES
from assistant.search.language import detect_language
from assistant.search.regions import REGIONS, region_code
from assistant.types import Document, DocumentMeta, Skipped

logger = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".meta.json"
_META_FIELDS = ("title", "publisher", "date", "language", "region", "url")
_PLAIN_REGION = re.compile(r"[^\W\d_][^\W\d_ '-]*(?:[ '-][^\W\d_]+)*", re.UNICODE)  # "Île-de-France"
_ALIASES = {"lang": "language", "source_path": "url"}
_TITLE_MAX_CHARS = 120
_REASON_MAX_CHARS = 200
_MB = 2**20
DEFAULT_MAX_DECOMPRESSED_BYTES: int = Settings.model_fields["max_decompressed_bytes"].default
# JSON text gzips 4-10x (the 92 MB NL laws export: 4.7x); a gzip bomb expands ~1000x. Past
# this ratio a .jsonl.gz is a bomb: the cap keeps its reading (blank lines too) bounded in time
# by its size on disk, as any file's is, while each record stays within the byte cap.
_GZIP_MAX_RATIO = 100
_BLOCK_BYTES = 2**18

_HIDDEN_TAGS = ["head", "script", "style", "nav", "noscript", "template"]
_BLOCK_TAGS = (
    "address, article, aside, blockquote, br, caption, dd, div, dl, dt, figcaption, figure, "
    "footer, form, h1, h2, h3, h4, h5, h6, header, hr, li, main, ol, p, pre, section, table, "
    "td, th, tr, ul"
)
# Private-use marker: survives the whitespace collapse, then becomes the block's newline.
_BREAK = "\ue000"


@dataclass(frozen=True)
class _Extracted:
    text: str
    title: str = ""  # the format's own title (HTML <title>, PDF/DOCX properties), if any


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


# Longest first: a UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
# Characters no text file holds: C0 controls but tab, newlines and form feed, and C1.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_SHARE = 0.01


def _decode_text(raw: bytes) -> str:
    """The text of a file in a common encoding: by its byte-order mark, UTF-8, UTF-16
    without a mark (NULs at every other byte), else Windows-1252 (Latin-1 for the five
    bytes it leaves undefined). Binary content is refused: a PDF header, NULs that are not
    UTF-16's, or more than 1% control characters."""
    # A PDF can be all ASCII, so valid UTF-8: only its header tells.
    if raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
        raise UnreadableFile("holds a PDF document, not text (give it the .pdf extension)")
    codec = next((codec for bom, codec in _BOMS if raw.startswith(bom)), None)
    if codec is None and b"\0" in raw:
        codec = _utf16_without_bom(raw)
        if codec is None:
            raise UnreadableFile("binary content (NUL bytes), not text")
    if codec is not None:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError as error:
            raise UnreadableFile(f"not valid {codec.upper()} (bad bytes at offset "
                                 f"{error.start})") from error
        if "\0" in text:
            raise UnreadableFile("binary content (NUL characters), not text")
        return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d: Latin-1's controls
        text = raw.decode("latin-1")
    if len(_CONTROLS.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        raise UnreadableFile("binary content (control bytes), not UTF-8 or Latin-1 text")
    return text


def _utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le' or '-be' when NULs sit at every other byte, as Latin text in UTF-16 has."""
    if len(raw) % 2:
        return None
    half = len(raw) // 2
    even, odd = raw[0::2].count(0), raw[1::2].count(0)
    if odd >= 0.3 * half and even <= 0.01 * half:
        return "utf-16-le"
    if even >= 0.3 * half and odd <= 0.01 * half:
        return "utf-16-be"
    return None


def _read_plain(stream: BinaryIO, _cap: int) -> _Extracted:
    return _Extracted(_decode_text(stream.read()))


def _read_html(stream: BinaryIO, _cap: int) -> _Extracted:
    tree = LexborHTMLParser(_decode_text(stream.read()))
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


def _read_pdf(stream: BinaryIO, _cap: int) -> _Extracted:
    with PdfReader(stream) as reader:
        text = "\n".join(page.extract_text() for page in reader.pages)
        title = reader.metadata.title if reader.metadata else None
    return _Extracted(text, title or "")


def _docx_block_text(block: Paragraph | Table) -> str:
    if isinstance(block, Table):
        return "\n".join(" | ".join(cell.text for cell in row.cells) for row in block.rows)
    return block.text


def _read_docx(stream: BinaryIO, cap: int) -> _Extracted:
    # python-docx holds every part in memory and parses the XML whole (~25x its size): a
    # 60 MB one took ingest to 2.5 GB. It reads each part whole, and zipfile inflates a
    # whole read all at once (up to 2 GB) before cutting it to the declared size: a part
    # declaring 2 kB that inflates to 1 GB took 2.1 GB. So the parts are read here a block
    # at a time (zipfile stops each at its declared size, and checks its CRC), the declared
    # sizes bounded by the cap, and python-docx gets them in an uncompressed copy.
    with zipfile.ZipFile(stream) as archive:
        infos = archive.infolist()
        unzipped = sum(info.file_size for info in infos)
        if unzipped > cap:
            raise UnreadableFile(f"unzips to {unzipped / _MB:.3g} MB, over the {_cap_text(cap)}")
        copy = io.BytesIO()
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as stored:
            for info in infos:
                stored.writestr(info.filename, _read_part(archive, info))
    copy.seek(0)
    document = docx.Document(copy)
    text = "\n".join(_docx_block_text(block) for block in document.iter_inner_content())
    return _Extracted(text, document.core_properties.title or "")


def _read_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with archive.open(info) as part:
        return b"".join(iter(lambda: part.read(_BLOCK_BYTES), b""))


# One document per file; each gets the open file and the decompression cap.
_EXTRACTORS: dict[str, Callable[[BinaryIO, int], _Extracted]] = {
    ".txt": _read_plain,
    ".md": _read_plain,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}
# One document per line; read as bytes so a bad line is skipped alone (see _load_lines).
_LINE_SUFFIXES = (".jsonl", ".jsonl.gz")
SUPPORTED_SUFFIXES: tuple[str, ...] = (*_EXTRACTORS, *_LINE_SUFFIXES)


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
        if suffix in _EXTRACTORS:
            yield _load_file(file, suffix, limits, reader)
        elif suffix in _LINE_SUFFIXES:
            yield from _load_lines(file, suffix, limits)
        else:
            yield Skipped(file.rel, f"unsupported file type {suffix or '(no suffix)'}")
    except UnreadableFile as error:
        yield Skipped(file.rel, str(error))
    except Exception as error:  # one file must never stop the corpus
        yield Skipped(file.rel, f"unreadable file: {_reason(error)}")


def _load_file(file: CorpusFile, suffix: str, limits: ReadLimits,
               reader: ReaderProcess) -> Document | Skipped:
    if file.size == 0:
        return Skipped(file.rel, "empty file")
    too_large = UnreadableFile(f"{file.size / _MB:.3g} MB on disk, over the "
                               f"{limits.max_file_bytes / _MB:.3g} MB limit (ASSISTANT_MAX_FILE_BYTES)")
    if file.size > limits.max_file_bytes:
        raise too_large
    with open_listed(file) as stream:
        data = stream.read(limits.max_file_bytes + 1)  # never more, should it grow meanwhile
    if len(data) > limits.max_file_bytes:
        raise too_large
    try:
        extracted = reader.run(_extract, suffix, data, limits.max_decompressed_bytes)
    except ReaderFailed as error:  # parsers raise many types on malformed files
        return Skipped(file.rel, f"not a readable {suffix[1:].upper()}: {error}")
    text = _normalize(extracted.text)
    if not text.strip():
        return Skipped(file.rel, "no text could be extracted")
    _check_length(text, limits)
    doc_id = file.rel[: -len(suffix)]
    return _document(doc_id, text, _read_sidecar(file), extracted.title, file.rel)


def _extract(suffix: str, data: bytes, cap: int) -> _Extracted:
    """In the reader process: the text of a file's bytes."""
    return _EXTRACTORS[suffix](io.BytesIO(data), cap)


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
    while block := stream.read(_BLOCK_BYTES):
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
                                 f"the {_cap_text(line_cap)}")
        yield from lines
    if pending_bytes:
        yield b"".join(pending)


def _load_lines(file: CorpusFile, suffix: str, limits: ReadLimits) -> Iterator[Document | Skipped]:
    """One document per non-blank line; sidecar fields are defaults under each line's own.
    A bad line is skipped alone, whatever it raises; the lines after it are read."""
    if file.size == 0:
        yield Skipped(file.rel, "empty file")
        return
    defaults = _read_sidecar(file)
    stem = file.rel[: -len(suffix)]
    number = 0
    try:
        with _lines(file, limits.max_decompressed_bytes) as lines:
            for number, raw in enumerate(lines, start=1):
                if raw.strip():
                    yield _line_document(raw, f"{file.rel} line {number}", stem, file.rel,
                                         defaults, limits)
    except (OSError, EOFError, zlib.error, UnreadableFile) as error:  # e.g. a truncated .gz
        reason = f"{file.rel} line {number + 1}: unreadable from here on: {_reason(error)}"
        yield Skipped(file.rel, reason)


def _line_document(raw: bytes, where: str, stem: str, rel: str, defaults: dict[str, str],
                   limits: ReadLimits) -> Document | Skipped:
    try:
        return _record_document(raw, where, stem, rel, defaults, limits)
    except UnreadableFile as error:
        return Skipped(rel, f"{where}: {error}")
    except RecursionError:  # json nests by recursion: a line 10 kB deep exhausts the stack
        return Skipped(rel, f"{where}: not valid JSON (nested too deeply)")
    except Exception as error:  # noqa: BLE001  (one record never ends its file)
        return Skipped(rel, f"{where}: unreadable record: {_one_line(error)}")


def _record_document(raw: bytes, where: str, stem: str, rel: str, defaults: dict[str, str],
                     limits: ReadLimits) -> Document | Skipped:
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
    _check_length(text, limits)
    return _document(f"{stem}/{key}", _normalize(text), {**defaults, **_meta_fields(record)},
                     "", rel)


def _read_sidecar(file: CorpusFile) -> dict[str, str]:
    """Fields from `<file name>.meta.json`; a broken sidecar is logged and ignored."""
    name = file.rel + SIDECAR_SUFFIX  # never the absolute path: warnings are printed
    try:
        with open_regular(file.path.with_name(file.path.name + SIDECAR_SUFFIX)) as stream:
            data = json.loads(stream.read().decode("utf-8-sig"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, UnreadableFile) as error:
        logger.warning("Ignoring metadata sidecar %s: %s", name, _reason(error))
        return {}
    if not isinstance(data, dict):
        logger.warning("Ignoring metadata sidecar %s: not a JSON object", name)
        return {}
    fields = _meta_fields(data)
    if problem := _unicode_problem(fields):
        logger.warning("Ignoring metadata sidecar %s: %s", name, problem)
        return {}
    return fields


def _meta_fields(data: dict[str, Any]) -> dict[str, str]:
    """Known metadata fields with a usable value; numbers (a year) are kept as text."""
    fields: dict[str, str] = {}
    for key, value in data.items():
        name = _ALIASES.get(key, key)
        if name in _META_FIELDS and isinstance(value, (str, int, float)) and str(value).strip():
            fields.setdefault(name, str(value).strip())
    return fields


def _document(doc_id: str, text: str, fields: dict[str, str], title: str, source: str) -> Document:
    # Before anything encodes them (language detection, content_hash, passage ids).
    if problem := _unicode_problem({"id": doc_id, "text": text, "title": title, **fields}):
        raise UnreadableFile(problem)
    meta = DocumentMeta(
        title=fields.get("title") or " ".join(title.split()) or _first_line(text),
        publisher=fields.get("publisher", ""),
        date=fields.get("date", ""),
        language=_language(fields.get("language", ""), text, doc_id),
        region=_region(fields.get("region", ""), doc_id),
        url=fields.get("url", ""),
    )
    return Document(doc_id=doc_id, text=text, meta=meta, source=source)


def _language(value: str, text: str, doc_id: str) -> str:
    """A language the product speaks, as its code; otherwise the one detected in the text
    (a sidecar's value is shown to citizens: "the quotes are in ../../etc/passwd")."""
    code = value.strip().lower()
    if code in LANGUAGES:
        return code
    if value:
        logger.warning("Document %s: language %r is not one of %s; detecting it instead",
                       doc_id, value[:40], "/".join(LANGUAGES))
    return detect_language(text)


def _region(value: str, doc_id: str) -> str:
    """A region's code ("Vlaanderen" -> "flanders"), or a region not listed in plain words
    ("Wallonie"); anything else is dropped."""
    code = region_code(value)
    if not value or code in REGIONS or (len(code) <= 40 and _PLAIN_REGION.fullmatch(code)):
        return code
    logger.warning("Document %s: region %r is not a region's name; ignored", doc_id, value[:40])
    return ""


def _first_line(text: str) -> str:
    """First non-empty line, without a Markdown heading's '#', cut to the title length."""
    match = re.search(r"\S[^\n]*", text)
    line = match.group().lstrip("#").strip() if match else ""
    return line[:_TITLE_MAX_CHARS].rstrip()


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n")


def _unicode_problem(values: dict[str, str]) -> str | None:
    """Names the first value UTF-8 cannot encode: a lone surrogate, from a JSON escape
    such as "\\ud800" or a PDF's broken text map."""
    for name, value in values.items():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{name} is not valid Unicode (a lone surrogate)"
    return None


def _cap_text(cap: int) -> str:
    return f"{cap / _MB:.3g} MB limit (ASSISTANT_MAX_DECOMPRESSED_BYTES)"


def _reason(error: BaseException) -> str:
    """One line, without the file name an OSError carries (an absolute path)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return _one_line(error)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:_REASON_MAX_CHARS] or type(error).__name__
