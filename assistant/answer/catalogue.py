"""Every sentence the product shows a citizen, looked up by key in the asker's language.

The sentences live with their language (assistant/languages/<code>/strings.py); this module
reads them from the registry. Five sections, each `{key: {language: text}}`: ANSWER (answers,
refusals, input errors: messages.py), API (HTTP errors, the rate limit: api_messages.py), CHAT
(the Gradio chat's labels, Gradio's own button labels replaced: chat_view.py), WIDGET (the
embeddable widget: the server writes it into widget.js, `widget_script`) and PRIVACY
(/privacy). The referral texts shown with a refusal are data, per region, in
referrals.DEFAULT_REFERRALS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from assistant.languages import DEFAULT_LANGUAGE, LANGUAGES, from_profiles, strings
from assistant.languages.profile import Strings


class Section(Mapping[str, Mapping[str, str]]):
    """One section as {key: {language: text}}, read from the registry on each use, so a
    language registered at start-up is in it; its keys are the default language's."""

    def __init__(self, name: str) -> None:
        self.name = name

    def of(self, code: str) -> Mapping[str, str]:
        return getattr(strings(code), self.name)

    def __getitem__(self, key: str) -> dict[str, str]:
        return {code: self.of(code)[key] for code in LANGUAGES}

    def __iter__(self) -> Iterator[str]:
        return iter(self.of(DEFAULT_LANGUAGE))

    def __len__(self) -> int:
        return len(self.of(DEFAULT_LANGUAGE))


class _Endonyms(Mapping[str, str]):
    """Each language named in itself, for the language switches (shown in every language)."""

    def __getitem__(self, code: str) -> str:
        if code not in LANGUAGES:
            raise KeyError(code)
        return strings(code).endonym

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


ENDONYMS = _Endonyms()
ANSWER, API, CHAT, WIDGET, PRIVACY = (Section(name) for name in Strings.SECTIONS)
SECTIONS = {section.name: section for section in (ANSWER, API, CHAT, WIDGET, PRIVACY)}


def text(section: Section, key: str, language: str | None) -> str:
    """One entry in `language` (the default language's when the language is not registered)."""
    return section.of(language if language in LANGUAGES else DEFAULT_LANGUAGE)[key]


def words(section: Section, language: str | None) -> dict[str, str]:
    """A whole section in one language: {key: text}."""
    return dict(section.of(language if language in LANGUAGES else DEFAULT_LANGUAGE))


# widget.js and chat.js hold this marker where their texts go; the server writes them there.
MARKER = "/*@catalogue*/{}"
WIDGET_MARKER = MARKER
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


# Built once, and again after a language is registered.
@from_profiles
def _script(name: str, section_name: str) -> bytes:
    path = STATIC_DIR / name
    source = path.read_text(encoding="utf-8")
    if MARKER not in source:
        raise RuntimeError(f"{path} lacks {MARKER}")
    section = SECTIONS[section_name]
    texts = {code: {**words(section, code), "languages": dict(ENDONYMS)} for code in LANGUAGES}
    # `<` escaped: a text can never close a script element if a portal inlines the file.
    data = json.dumps(texts, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")
    return source.replace(MARKER, data, 1).encode("utf-8")


def widget_script() -> bytes:
    """widget.js with the WIDGET section and the language names in it (built once)."""
    return _script("widget.js", "widget")


def chat_script() -> bytes:
    """chat.js (the Gradio page's script) with the CHAT section in it (built once)."""
    return _script("chat.js", "chat")
