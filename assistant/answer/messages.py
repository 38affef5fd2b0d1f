"""What answers say (the texts are catalogue.ANSWER; where refusals refer: regions.py)."""

from __future__ import annotations

from assistant.answer.catalogue import ANSWER as TEXT
from assistant.answer.catalogue import text
from assistant.languages import DEFAULT_LANGUAGE, LANGUAGES, strings


def say(key: str, language: str, **values: str) -> str:
    return text(TEXT, key, language).format(**values)


def language_name(code: str, in_language: str) -> str:
    """What `in_language` calls the language `code` (the code itself where it has no name)."""
    names = strings(in_language if in_language in LANGUAGES else DEFAULT_LANGUAGE).language_names
    return names.get(code, code)
