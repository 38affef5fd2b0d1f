"""The supported languages: one profile module each (nl.py, fr.py, en.py), registered here.

Every stage reads a language's words from its profile: `profile("fr").months`. Adding a
language is one more profile module, listed in `_BUILT_IN`, plus its strings in
answer/catalogue.py.
"""

from __future__ import annotations

from typing import Literal, TypeGuard

from assistant.languages import en, fr, nl
from assistant.languages.profile import Profile

_BUILT_IN = (nl.PROFILE, fr.PROFILE, en.PROFILE)
PROFILES: dict[str, Profile] = {p.code: p for p in _BUILT_IN}
LANGUAGES: tuple[str, ...] = tuple(PROFILES)
# The codes as a type, for the API's schema: an unknown code is refused before any stage runs.
LanguageCode = Literal[LANGUAGES]  # type: ignore[valid-type]


def is_language(code: object) -> TypeGuard[str]:
    return code in PROFILES


def profile(code: str) -> Profile:
    """The profile of a supported language (KeyError for any other code)."""
    return PROFILES[code]


def profiles() -> tuple[Profile, ...]:
    return tuple(PROFILES.values())
