"""The language profiles line up: a fact read with one profile's words is written with another's,
so their keyed tables share keys and their positional tables share lengths."""

from __future__ import annotations

from dataclasses import fields

import pytest

from assistant.languages import LANGUAGES, LanguageCode, profile, profiles
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
    assert LANGUAGES == ("nl", "fr", "en")
    assert LanguageCode.__args__ == LANGUAGES
    assert [profile(code).code for code in LANGUAGES] == list(LANGUAGES)
