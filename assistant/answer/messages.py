"""What answers say (the texts live in catalogue.ANSWER; where refusals refer: regions.py)."""

from __future__ import annotations

from assistant.answer.catalogue import ANSWER as TEXT
from assistant.answer.catalogue import LANGUAGE_NAMES, text


def say(key: str, language: str, **values: str) -> str:
    return text(TEXT, key, language).format(**values)


def language_name(code: str, in_language: str) -> str:
    return LANGUAGE_NAMES.get(in_language, LANGUAGE_NAMES["en"]).get(code, code)
