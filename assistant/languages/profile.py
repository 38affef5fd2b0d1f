"""What the assistant knows of one language (`Profile`) and what it says in it (`Strings`): one
of each per language package (nl/, fr/, en/), read through the registry in `assistant.languages`.

Words are written as the language writes them (accents, capitals); a stage folds them as it
compares. Tables keyed
by a language-neutral key (a date modifier, a unit, a country's ISO code) line up across the
profiles: "late" is "eind" in Dutch and "fin" in French, so a fact read in one language is
written in another.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

Forms = tuple[str, ...]  # the ways one thing is written, the first the one we write


def alternation(forms: Iterable[str]) -> str:
    """A regex matching any of the forms, longest first, any spacing and either apostrophe."""
    ordered = sorted(set(forms), key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(w).replace("'", "['’]") for w in f.split())
                    for f in ordered)


def _before(word: str, phrase: str) -> str:
    return f"{word} {phrase}"


@dataclass(frozen=True)
class Profile:
    code: str                          # ISO 639-1, as detected and as the API takes it
    # --- Search: lexical index, sentence splitting ---
    stemmer: str                       # PyStemmer's Snowball name
    stopwords: str                     # the list's name in bm25s.stopwords
    punkt: str                         # NLTK's Punkt model
    # --- Questions: the leftmost question word decides the kind (search/question.py) ---
    question_words: Mapping[str, Forms]  # kind -> words: clock, when, duration, count, who, ...
    date_questions: Forms              # "what date": ask for a number by the noun they name
    time_nouns: frozenset[str]         # after "which": these ask for a date ...
    clock_nouns: frozenset[str]        # ... or a time ...
    entity_nouns: frozenset[str]       # ... and these for names (all folded)
    # --- Follow-ups (answer/followup.py) ---
    follow_up_openers: Forms           # "and", "what about": a question that goes on
    back_references: Forms             # pronouns that point at the previous turn
    asking_words: Forms                # ask or point rather than name a topic
    # --- Dates and times (answer/short_answer/dates.py) ---
    months: Forms
    seasons: tuple[Forms, ...]         # spring, summer, autumn, winter
    season_year_joiners: Forms         # "najaar van 2022"
    date_modifiers: Mapping[str, Forms]  # early, late, mid, during
    range_words: tuple[str, str]       # the two we write: "van ... tot"
    range_from: Forms                  # the words read as opening a range ...
    range_to: Forms                    # ... and as closing it (a dash closes one too)
    open_ends: Mapping[str, Forms]     # from, since, until
    clock_separators: str              # "13.00", "13u00", "13h00"
    hour_words: Forms                  # "14 uur"
    clock_joiners: Forms               # "23 september om 14:00"
    articles: Forms                    # left out before a date: "tot het voorjaar"
    # --- Numbers (answer/short_answer/quantities.py) ---
    quantity_modifiers: Mapping[str, Forms]  # more, about, nearly, at_least, less, at_most
    number_words: Forms                # two to twelve ("een", "un", "one" are articles too)
    thousands: str                     # the separators we write
    decimal: str
    thousands_read: str                # a regex of the separators we read
    scales: Mapping[str, Forms]        # million, billion; singular first
    units: Mapping[str, Forms]         # percent, euro
    unit_formats: Mapping[str, str]    # "{} %"
    durations: Mapping[str, Forms]     # day, week, ...: singular, plural, other forms
    # --- Names (answer/short_answer/names.py) ---
    and_word: str
    clause_words: frozenset[str]       # capitalized only because they open a sentence
    particles: frozenset[str]          # lowercase words inside a name
    connectors: frozenset[str]         # "and", "or" between names
    adjective_endings: Forms           # "Haagse corporaties"
    locatives: frozenset[str]          # "where" prefers names after these
    agent: str                         # "who" prefers the names after this: "door"
    countries: Mapping[str, tuple[str, str]]  # ISO code -> (name, folded adjective stem)
    places: Mapping[str, str]          # key -> the name of a city or region in this language
    # --- Writing rules that are not tables ---
    months_case_sensitive: bool = False  # English "may" and "march" are words too
    month_day_dates: bool = False        # "September 23, 2014"
    day: Callable[[int], str] = str      # "1er"
    before: Callable[[str, str], str] = _before  # a preposition before a date: "d'avril"


@dataclass(frozen=True)
class Strings:
    """Every sentence the product shows a citizen, in one language; answer/catalogue.py looks
    them up. Each section holds the same keys in every language (commented in en/strings.py);
    `register` refuses strings that lack one."""

    endonym: str                       # the language named in itself, for the language switches
    language_names: Mapping[str, str]  # code -> that language's name in this one
    answer: Mapping[str, str]          # answers, refusals, input errors (answer/messages.py)
    api: Mapping[str, str]             # HTTP errors, the rate limit (serve/api_messages.py)
    chat: Mapping[str, str]            # the Gradio chat's labels (serve/chat_view.py, chat.js)
    widget: Mapping[str, str]          # the embeddable widget (widget.js)
    privacy: Mapping[str, str]         # /privacy (serve/privacy_page.py)

    SECTIONS: ClassVar[tuple[str, ...]] = ("answer", "api", "chat", "widget", "privacy")
