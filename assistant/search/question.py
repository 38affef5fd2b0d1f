"""What kind of answer a question asks for, from the question words of every language's profile.

The question's language is not trusted here (a short question is easily misdetected), so the
words of all the profiles are read together.
"""

from __future__ import annotations

import re

from assistant.languages import from_profiles, profiles
from assistant.languages.profile import alternation
from assistant.search.folding import fold

# At one position the first kind listed wins: "hoe laat" is a time and "how many" a count
# before "hoe" / "how" are "other"; "combien de temps" a duration before "combien" a count.
KINDS = ("clock", "when", "duration", "count", "who", "where", "which", "other")
# Kinds whose answer almost always holds a digit.
NUMBER_KINDS = ("when", "duration", "count")
# The noun "which" / "quel" / "welke" asks about comes within this many words: "Welk
# Kroatisch lid", "Quelle est la date"; not "Quelle est la finalité de chaque projet".
ASKED_NOUN_WINDOW = 3
_DIGIT = re.compile(r"\d")


def _words(kind: str) -> list[str]:
    return [w for p in profiles() for w in p.question_words.get(kind, ())]


@from_profiles
def _question_word() -> re.Pattern[str]:
    groups = "|".join(f"(?P<{kind}>{alternation(_words(kind))})" for kind in KINDS)
    return re.compile(rf"\b(?:{groups})\b", re.IGNORECASE)


@from_profiles
def _asks_number() -> re.Pattern[str]:
    forms = [w for kind in NUMBER_KINDS for w in _words(kind)]
    forms += [w for p in profiles() for w in p.date_questions]
    return re.compile(rf"\b(?:{alternation(forms)})\b", re.IGNORECASE)


@from_profiles
def _nouns() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    return (frozenset().union(*(p.clock_nouns for p in profiles())),
            frozenset().union(*(p.time_nouns for p in profiles())),
            frozenset().union(*(p.entity_nouns for p in profiles())))


def question_kind(question: str) -> str | None:
    """"when", "clock", "duration", "count", "who", "where" or "which" (asks for names), by
    the leftmost question word; None for any other question."""
    lowered = question.casefold()
    match = _question_word().search(lowered)
    if match is None or match.lastgroup == "other":
        return None
    if match.lastgroup != "which":
        return match.lastgroup
    clock, time, entity = _nouns()
    words = set(re.findall(r"\w+", fold(lowered[match.end() :]))[:ASKED_NOUN_WINDOW])
    if words & clock:
        return "clock"
    if words & time:
        return "when"
    return "which" if words & entity else None


def asks_for_number(question: str) -> bool:
    """A date, a duration or a count: the answer almost always holds a digit."""
    return bool(_asks_number().search(question))


def has_number(text: str) -> bool:
    return bool(_DIGIT.search(text))
