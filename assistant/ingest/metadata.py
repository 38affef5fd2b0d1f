"""A document's metadata: its `<file name>.meta.json` sidecar (or a JSONL record's fields),
then the file's own title, then the text (first line as title, detected language). A
region's name becomes its code (regions.REGIONS: "Vlaanderen" -> "flanders"), which the store
filters on.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from assistant.ingest.corpus_files import CorpusFile, UnreadableFile, open_regular, reason
from assistant.languages import LANGUAGES
from assistant.search.language import detect_language
from assistant.search.regions import REGIONS, region_code
from assistant.types import Document, DocumentMeta

logger = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".meta.json"
_META_FIELDS = ("title", "publisher", "date", "language", "region", "url")
_PLAIN_REGION = re.compile(r"[^\W\d_][^\W\d_ '-]*(?:[ '-][^\W\d_]+)*", re.UNICODE)  # "Île-de-France"
_ALIASES = {"lang": "language", "source_path": "url"}
_TITLE_MAX_CHARS = 120


def read_sidecar(file: CorpusFile) -> dict[str, str]:
    """Fields from `<file name>.meta.json`; a broken sidecar is logged and ignored."""
    name = file.rel + SIDECAR_SUFFIX  # never the absolute path: warnings are printed
    try:
        with open_regular(file.path.with_name(file.path.name + SIDECAR_SUFFIX)) as stream:
            data = json.loads(stream.read().decode("utf-8-sig"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, UnreadableFile) as error:
        logger.warning("Ignoring metadata sidecar %s: %s", name, reason(error))
        return {}
    if not isinstance(data, dict):
        logger.warning("Ignoring metadata sidecar %s: not a JSON object", name)
        return {}
    fields = meta_fields(data)
    if problem := unicode_problem(fields):
        logger.warning("Ignoring metadata sidecar %s: %s", name, problem)
        return {}
    return fields


def meta_fields(data: dict[str, Any]) -> dict[str, str]:
    """Known metadata fields with a usable value; numbers (a year) are kept as text."""
    fields: dict[str, str] = {}
    for key, value in data.items():
        name = _ALIASES.get(key, key)
        if name in _META_FIELDS and isinstance(value, (str, int, float)) and str(value).strip():
            fields.setdefault(name, str(value).strip())
    return fields


def document(doc_id: str, text: str, fields: dict[str, str], title: str, source: str) -> Document:
    # Before anything encodes them (language detection, content_hash, passage ids).
    if problem := unicode_problem({"id": doc_id, "text": text, "title": title, **fields}):
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


def unicode_problem(values: dict[str, str]) -> str | None:
    """Names the first value UTF-8 cannot encode: a lone surrogate, from a JSON escape
    such as "\\ud800" or a PDF's broken text map."""
    for name, value in values.items():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{name} is not valid Unicode (a lone surrogate)"
    return None
