"""The API's citizen-facing messages (catalogue.API), and the asker's language from Accept-Language."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers

from assistant.answer.catalogue import API as TEXT
from assistant.answer.catalogue import text
from assistant.languages import LANGUAGES


def say(key: str, language: str | None, **values: Any) -> str:
    return text(TEXT, key, language).format(**values)


def preferred_language(headers: Headers) -> str:
    """The first of nl/fr/en in Accept-Language (q-values ignored: browsers list by preference)."""
    for part in headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"
