"""The language profiles line up: a fact read with one profile's words is written with another's,
so their keyed tables share keys and their positional tables share lengths."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest
from pydantic import TypeAdapter, ValidationError

from assistant.languages import LANGUAGES, LanguageCode, profile, profiles, register, strings
from assistant.languages.profile import Profile

KEYED = [f.name for f in fields(Profile) if f.name in (
    "question_words", "date_modifiers", "open_ends", "quantity_modifiers", "scales", "units",
    "unit_formats", "durations", "countries", "places")]


@pytest.mark.parametrize("name", KEYED)
def test_keyed_tables_have_the_same_keys_in_the_same_order(name):
    first = list(getattr(profiles()[0], name))
    assert all(list(getattr(p, name)) == first for p in profiles())


def test_positional_tables_have_one_entry_per_month_season_and_number():
    for p in profiles():
        assert (len(p.months), len(p.seasons), len(p.number_words)) == (12, 4, 11), p.code
        assert all(len(forms) >= 2 for forms in p.durations.values()), p.code  # singular, plural


def test_one_list_of_languages_for_every_stage():
    assert tuple(LANGUAGES) == ("nl", "fr", "en")
    assert [profile(code).code for code in LANGUAGES] == list(LANGUAGES)
    codes = TypeAdapter(LanguageCode)
    assert [codes.validate_python(code) for code in LANGUAGES] == list(LANGUAGES)
    with pytest.raises(ValidationError, match="'nl', 'fr' or 'en'"):
        codes.validate_python("de")
    assert codes.json_schema() == {"enum": ["nl", "fr", "en"], "type": "string"}


def test_a_language_that_does_not_line_up_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        register(profile("nl"), strings("nl"))
    with pytest.raises(ValueError, match="months"):
        register(replace(profile("en"), code="xx", months=()), strings("en"))
    with pytest.raises(ValueError, match="chat strings lack"):
        register(replace(profile("en"), code="xx"), replace(strings("en"), chat={}))
    assert "xx" not in LANGUAGES
