"""What the chat shows, as pure functions: labels, escaping, messages, sources (a question's
turn: chat_turn.py; what the browser keeps: chat_kept.py; the votes: chat_feedback.py).

`ui.py`, the only module that knows Gradio, lays out components and forwards events to
these, so everything the asker reads can be tested without a browser. Text from documents, answers and questions is escaped
before it reaches a Markdown component (`escape_text`); plain-text components (accordion
labels, the highlighted passage) receive it as it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from assistant.answer.catalogue import CHAT, DEFAULT_LANGUAGE, LANGUAGES, words
from assistant.answer.citations import marked_segments
from assistant.answer.sources import group_sources, source_numbers
from assistant.search.language import detect_language
from assistant.search.regions import REGIONS
from assistant.types import Answer, Citation

# Answers cite a handful of passages; the panel has this many fixed slots.
MAX_SOURCES = 8
# The chat echoes each question; a longer one (rejected at the default limit) is shortened.
MAX_ECHO_CHARS = 1200

EXAMPLES = (
    "Quelles villes néerlandaises ont participé à NETCO ?",
    "Wat is een proeftuin in het leertraject coöperatief wonen?",
    "When is the Transitie Pressure Cooker?",
)

# The chat's words by language (catalogue.CHAT).
LABELS = {code: words(CHAT, code) for code in LANGUAGES}


def labels(language: str | None) -> dict[str, str]:
    return LABELS.get(language or DEFAULT_LANGUAGE, LABELS[DEFAULT_LANGUAGE])


def has_words(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def ui_language(question: str | None, previous: str | None = None) -> str:
    """The language of the last question; without words in it, the language shown so far."""
    text = (question or "").strip()
    if text and has_words(text):
        return detect_language(text)
    return previous if previous in LANGUAGES else DEFAULT_LANGUAGE


ALL_REGIONS = "all"


def region_choices(language: str | None) -> list[tuple[str, str]]:
    """The region filter's (label, value) pairs in `language`: every region first."""
    words = labels(language)
    return [(words[f"region_{code}"], code) for code in (ALL_REGIONS, *REGIONS)]


def region_filter(choice: str | None) -> str | None:
    """The region to filter on, None for every region (or a value that is none of them)."""
    return choice if choice in REGIONS else None


# --------------------------------------------------------------------------- escaping

# What Markdown (GFM, as Gradio's `marked` renders it) would read as formatting, HTML or a
# link: `&`, `<`, `>` become entities; the rest gets a backslash (CommonMark lets any ASCII
# punctuation be escaped), but only where it is active, so ordinary text (`[1]`, "a.b",
# "(x)") keeps no backslashes when copied from the chat.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ACTIVE = re.compile(
    r"""(?P<entity>[&<>])"""
    r"""|(?P<always>[\\`*_~|$@])"""         # emphasis, code, strike, tables, escapes, e-mail
    r"""|(?P<bracket>\](?=[(\[:])|\[(?=\^))"""  # links, images, definitions, footnotes
    r"""|(?P<url>:(?=//)|(?<=www)\.)"""         # bare URLs become links in GFM
    r"""|^(?P<block>[#=+\-])"""               # headings, setext lines, lists, rules
    r"""|^(?P<digits>\d{1,9})(?P<dot>[.)])""",  # ordered lists
    re.MULTILINE | re.IGNORECASE,
)
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])|&(amp|lt|gt);")
_UNENTITY = {"amp": "&", "lt": "<", "gt": ">"}
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)


def _escape_match(match: re.Match) -> str:
    if match.group("entity"):
        return _ENTITIES[match.group("entity")]
    if match.group("digits"):
        return match.group("digits") + "\\" + match.group("dot")
    return "\\" + match.group(0)


def escape_text(text: str) -> str:
    """Text that a Markdown component shows literally: no HTML, no formatting, no links.

    Leading indentation is dropped (it would make a code block)."""
    text = _INDENT.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _ACTIVE.sub(_escape_match, text)


def unescape_text(text: str) -> str:
    """The inverse of `escape_text` (for text without leading indentation)."""
    return _UNESCAPE.sub(lambda m: m.group(1) if m.group(1) is not None
                         else _UNENTITY[m.group(2)], text)


def safe_link(url: str) -> str | None:
    """An http(s) URL percent-encoded for a Markdown link destination, or None."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=":/?#@!$&*+,;=%-._~")


# --------------------------------------------------------------------------- messages


def echo_question(question: str) -> str:
    """The asker's question as the chat shows it (escaped; a huge one shortened)."""
    text = question.strip()
    if len(text) > MAX_ECHO_CHARS:
        text = text[:MAX_ECHO_CHARS].rstrip() + " …"
    return escape_text(text)


def answer_message(text: str) -> str:
    """Answer text (possibly partial while streaming) as the chat message shows it."""
    return escape_text(text.strip())


# A quote paragraph of an escaped answer: `“…” [n]` (answer.compose writes one per line).
_QUOTE_LINE = re.compile(r"^(“[^\n]*”)( \[(\d+)\])$", re.MULTILINE)


def quotes_with_language(message: str, answer: Answer) -> str:
    """Each quote wrapped in `<span lang="xx">` with its document's language, so that screen
    readers read a Dutch quote in a French answer as Dutch (the escaped quote holds no `<`)."""
    languages = {c.n: c.passage.meta.language for c in answer.citations}

    def wrap(match: re.Match) -> str:
        code = languages.get(int(match.group(3)))
        if code not in LANGUAGES:
            return match.group(0)
        return f'<span lang="{code}">{match.group(1)}</span>{match.group(2)}'

    return _QUOTE_LINE.sub(wrap, message)


def last_answer_index(records: Mapping[int, dict] | None) -> int | None:
    """The history index of the latest answer (what the feedback buttons vote on)."""
    answers = [i for i, r in (records or {}).items() if r.get("kind") == "answer"]
    return max(answers, default=None)


@dataclass(frozen=True)
class SourceView:
    """One source (document) of the panel, number `n` (its slot, `#source-n`): plain-text
    `[1] [3] title`, escaped Markdown details (publisher, date, link), and its cited passages
    as (text, category) pieces, the quotes' category set;
    `language`: the document's (the title and passage carry it as their `lang`)."""

    n: int
    label: str
    details: str
    segments: tuple[tuple[str, str | None], ...]
    language: str = ""


def source_views(answer: Answer | None, language: str) -> list[SourceView]:
    """One view per document (sources.group_sources): `[1] [3] title`, publisher, date and
    link when known, and each cited passage with its quote marked."""
    if answer is None:
        return []
    words = labels(language)
    views = []
    for source in group_sources(answer.citations)[:MAX_SOURCES]:
        meta = source.meta
        title = meta.title or source.doc_id
        details = []
        if meta.publisher:
            details.append(f"{words['publisher']}: {escape_text(meta.publisher)}")
        if meta.date:
            details.append(f"{words['date']}: {escape_text(meta.date)}")
        link = safe_link(meta.url)
        if link:
            details.append(f"{words['link']}: [{escape_text(meta.url)}]({link})")
        numbers = " ".join(f"[{c.n}]" for c in source.citations)
        views.append(SourceView(source.number, f"{numbers} {title}", "  \n".join(details),
                                _passages(source.citations, words["quote"]), meta.language))
    return views


def _passages(citations: Sequence[Citation], quoted: str) -> tuple[tuple[str, str | None], ...]:
    """Each cited passage with its quote marked; several are set apart and numbered."""
    segments: list[tuple[str, str | None]] = []
    for i, citation in enumerate(citations):
        if len(citations) > 1:
            segments.append((("\n\n" if i else "") + f"[{citation.n}] ", None))
        segments += [(text, quoted if is_quote else None)
                     for text, is_quote in marked_segments(citation)]
    return tuple(segments)


# `[n]` in an escaped answer: "[1]", or "[1\]" when another bracket follows (escape_text).
_MARKER = re.compile(r"\[(\d+)\\?\]")
_LINKED_MARKER = re.compile(r'\[\\\[(\d+)\\\]\]\(#source-\d+ "[^"]*"\)')
_NOT_IN_TITLE = re.compile(r'["\\<>]')


def link_markers(message: str, answer: Answer) -> str:
    """Each `[n]` of an escaped final answer as a link to its source in the panel (slot k's
    accordion, `#source-k`), titled with the document: Tab and Enter reach it like any link."""
    number = source_numbers(answer.citations)
    titles = {c.n: _NOT_IN_TITLE.sub("", " ".join((c.passage.meta.title or c.passage.doc_id)
                                                     .split())) for c in answer.citations}

    def link(match: re.Match) -> str:
        n = int(match.group(1))
        if number.get(n, MAX_SOURCES + 1) > MAX_SOURCES:  # not a citation, or no slot for it
            return match.group(0)
        return f'[\\[{n}\\]](#source-{number[n]} "{titles[n]}")'

    return _MARKER.sub(link, message)


# A web address in an escaped referral: "www\.example.nl" or "https\://…" (escape_text).
_ADDRESS = re.compile(r"(?:https?\\://)?www\\\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:/[\w/.-]*\w)?")
_LINKED_ADDRESS = re.compile(r"\[([^\[\]\n]+)\]\(https?://[^)\s]+\)")


def link_referrals(message: str) -> str:
    """Each web address in an escaped refusal (the referral, settings' data, never a
    document's text) as a link a citizen can follow."""
    def link(match: re.Match) -> str:
        shown = unescape_text(match.group(0))
        return f"[{escape_text(shown)}]({safe_link(shown if '://' in shown else 'https://' + shown)})"

    return _ADDRESS.sub(link, message)


def announcement(message: Any) -> str:
    """The text the hidden announcer reads out for an assistant message (a dict or a
    ChatMessage, its content a string or the list of parts the browser sends back): the
    answer's Markdown without the `[n]` links, so that nothing in it can take the focus."""
    text = _LINKED_MARKER.sub(lambda match: f"[{match.group(1)}\\]", message_text(message))
    return _LINKED_ADDRESS.sub(lambda match: match.group(1), text)


# --------------------------------------------------------------------------- messages sent back


def message_text(message: Any) -> str:
    """The text of one Gradio message (dict or ChatMessage; content str or list of parts)."""
    content = message.get("content") if isinstance(message, Mapping) else getattr(
        message, "content", "")
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        content = [content]
    parts = []
    for part in content or ():
        if isinstance(part, Mapping):
            if part.get("type", "text") == "text" and isinstance(part.get("text"), str):
                parts.append(part["text"])
        elif isinstance(part, str):
            parts.append(part)
        elif isinstance(getattr(part, "text", None), str):
            parts.append(part.text)
    return "\n".join(parts)


def message_role(message: Any) -> str:
    return (message.get("role") if isinstance(message, Mapping)
            else getattr(message, "role", "")) or ""
