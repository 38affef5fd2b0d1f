"""Per-format readers: the text (and the format's own title) of one file's bytes.

They run in the reader process (read_sandbox.py), within its time and memory limits; any
exception they raise becomes the file's Skipped. Text files are read by their byte-order mark
(UTF-8, UTF-16, UTF-32), as UTF-16 without one, as UTF-8, or else as Windows-1252/Latin-1.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PdfReader
from selectolax.lexbor import LexborHTMLParser

from assistant.ingest.corpus_files import UnreadableFile

MB = 2**20
BLOCK_BYTES = 2**18

_HIDDEN_TAGS = ["head", "script", "style", "nav", "noscript", "template"]
_BLOCK_TAGS = (
    "address, article, aside, blockquote, br, caption, dd, div, dl, dt, figcaption, figure, "
    "footer, form, h1, h2, h3, h4, h5, h6, header, hr, li, main, ol, p, pre, section, table, "
    "td, th, tr, ul"
)
# Private-use marker: survives the whitespace collapse, then becomes the block's newline.
_BREAK = "\ue000"


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str = ""  # the format's own title (HTML <title>, PDF/DOCX properties), if any


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


def _read_plain(stream: BinaryIO, _cap: int) -> Extracted:
    return Extracted(_decode_text(stream.read()))


def _read_html(stream: BinaryIO, _cap: int) -> Extracted:
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
    return Extracted("\n".join(line for line in lines if line), title)


def _read_pdf(stream: BinaryIO, _cap: int) -> Extracted:
    with PdfReader(stream) as reader:
        text = "\n".join(page.extract_text() for page in reader.pages)
        title = reader.metadata.title if reader.metadata else None
    return Extracted(text, title or "")


def _docx_block_text(block: Paragraph | Table) -> str:
    if isinstance(block, Table):
        return "\n".join(" | ".join(cell.text for cell in row.cells) for row in block.rows)
    return block.text


def _read_docx(stream: BinaryIO, cap: int) -> Extracted:
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
            raise UnreadableFile(f"unzips to {unzipped / MB:.3g} MB, over the {cap_text(cap)}")
        copy = io.BytesIO()
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as stored:
            for info in infos:
                stored.writestr(info.filename, _read_part(archive, info))
    copy.seek(0)
    document = docx.Document(copy)
    text = "\n".join(_docx_block_text(block) for block in document.iter_inner_content())
    return Extracted(text, document.core_properties.title or "")


def _read_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with archive.open(info) as part:
        return b"".join(iter(lambda: part.read(BLOCK_BYTES), b""))


# One document per file; each gets the open file and the decompression cap.
EXTRACTORS: dict[str, Callable[[BinaryIO, int], Extracted]] = {
    ".txt": _read_plain,
    ".md": _read_plain,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}


def extract(suffix: str, data: bytes, cap: int) -> Extracted:
    """In the reader process: the text of a file's bytes."""
    return EXTRACTORS[suffix](io.BytesIO(data), cap)


def cap_text(cap: int) -> str:
    return f"{cap / MB:.3g} MB limit (ASSISTANT_MAX_DECOMPRESSED_BYTES)"
