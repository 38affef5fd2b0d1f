"""The supported languages: one package each (nl/, fr/, en/: a profile and its strings),
registered here.

Every stage reads a language's words from its profile (`profile("fr").months`) and the
catalogue its sentences from its strings. A built-in language is one more package, listed in
`_BUILT_IN`; a deployment adds one at start-up with `register(profile, strings)`, before it
serves or ingests (docs/architecture.md, "Where to add: a language").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any, TypeGuard, TypeVar

from pydantic_core import PydanticCustomError, core_schema

from assistant.languages import en, fr, nl
from assistant.languages.profile import Profile, Strings

PROFILES: dict[str, Profile] = {}
STRINGS: dict[str, Strings] = {}
# A live view: `code in LANGUAGES` and iterating it see languages registered after import.
LANGUAGES = PROFILES.keys()
DEFAULT_LANGUAGE = "en"

# The tables a fact is read with in one profile and written with another's: same keys.
_KEYED = ("question_words", "date_modifiers", "open_ends", "quantity_modifiers", "scales",
          "units", "unit_formats", "durations", "countries", "places")
# ... and the tables read by position: a month's number, a season's.
_POSITIONAL = ("months", "seasons", "number_words")
_BUILT_FROM_PROFILES: list[Any] = []
_T = TypeVar("_T", bound=Callable[..., Any])


def from_profiles(function: _T) -> _T:
    """lru_cache for what a stage builds from every profile (a regex of all question words):
    `register` clears it, so the next call sees the new language."""
    cached = lru_cache(maxsize=None)(function)
    _BUILT_FROM_PROFILES.append(cached)
    return cached  # type: ignore[return-value]


def register(profile: Profile, strings: Strings) -> None:
    """Add a language. Its tables must line up with the others' (same keys, same lengths) and
    its strings hold every key the others' do. Call it at start-up, before any request or ingest:
    the chat page's language switch and a store's indexed passages are not rebuilt."""
    if profile.code in PROFILES:
        raise ValueError(f"language {profile.code!r} is already registered")
    if PROFILES:
        first = next(iter(PROFILES.values()))
        for name in _KEYED:
            if list(getattr(profile, name)) != list(getattr(first, name)):
                raise ValueError(f"{profile.code}: the keys of {name} differ from {first.code}'s")
        for name in _POSITIONAL:
            if len(getattr(profile, name)) != len(getattr(first, name)):
                raise ValueError(f"{profile.code}: {name} has not {first.code}'s length")
    if STRINGS:
        reference = next(iter(STRINGS.values()))
        for name in Strings.SECTIONS:
            missing = set(getattr(reference, name)) - set(getattr(strings, name))
            if missing:
                raise ValueError(f"{profile.code}: {name} strings lack {sorted(missing)}")
    PROFILES[profile.code] = profile
    STRINGS[profile.code] = strings
    for cached in _BUILT_FROM_PROFILES:
        cached.cache_clear()


def is_language(code: object) -> TypeGuard[str]:
    return code in PROFILES


def profile(code: str) -> Profile:
    """The profile of a supported language (KeyError for any other code)."""
    return PROFILES[code]


def profiles() -> tuple[Profile, ...]:
    return tuple(PROFILES.values())


def strings(code: str) -> Strings:
    """The strings of a supported language (KeyError for any other code)."""
    return STRINGS[code]


def _registered(code: str) -> str:
    if code not in PROFILES:
        *others, last = [repr(c) for c in PROFILES]
        raise PydanticCustomError("literal_error", "Input should be {expected}",
                                  {"expected": f"{', '.join(others)} or {last}"})
    return code


class _Registered:
    """Checked against the registry when a request arrives, and listed as an enum when the
    schema is drawn, so the API takes a language registered after its models were built."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_registered, handler(str))

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, Any]:
        return {**handler(schema), "enum": list(PROFILES)}


# The codes as a type, for the API's schema: an unknown code is refused before any stage runs.
LanguageCode = Annotated[str, _Registered()]

_BUILT_IN = (nl, fr, en)
for _language in _BUILT_IN:
    register(_language.PROFILE, _language.STRINGS)
