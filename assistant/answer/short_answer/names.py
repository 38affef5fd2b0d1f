"""Names for "who", "which" and "where": capitalized runs of the sentence, written as they
stand, joined with the asker's "and" ("Amsterdam en Eindhoven" -> "Amsterdam et Eindhoven")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.short_answer.text import (
    Token, acronym, capitalized, clause_words, connectors, has_phrase, month_names, particles,
    places, tokens, words)
from assistant.languages import from_profiles, profile, profiles
from assistant.search.folding import fold

# More names than this is a list to read in the quote, not a short answer.
MAX_NAMES = 4
MAX_PARTICLES = 2
# An adjective is its country's stem plus at most this many letters: "grec-que", "Noor-se".
ADJECTIVE_SUFFIX = 3


@dataclass(frozen=True)
class _Name:
    text: str
    first: int  # token index


@from_profiles
def _countries() -> tuple[tuple[tuple[str, ...], dict[str, str]], ...]:
    """Each country's names in every language, and the stem of the adjective each language's
    questions use: "Welke Noorse stad", "Quelle ville grecque", "Which Dutch cities"."""
    return tuple((tuple(p.countries[k][0] for p in profiles()),
                  {p.code: p.countries[k][1] for p in profiles()})
                 for k in profiles()[0].countries)


def names_answer(kind: str, question: str, asker: str, text: str, language: str) -> str | None:
    folded = fold(question)
    asked_words = set(words(folded))
    asked_places = {fold(n) for names in places() if any(has_phrase(folded, n) for n in names)
                    for n in names}

    def new(name: str) -> bool:
        """Not the question's topic: its last word and, for a place, all its spellings."""
        return words(fold(name))[-1] not in asked_words and fold(name) not in asked_places

    country = _country_asked(folded, asker)
    if country:
        listed = [n for n in _names_after_country(text, country) if new(n)]
        if listed:
            return _listed(listed, asker)
    found = tokens(text)
    names = [n for n in _names(text, found, language) if new(n.text)]
    if kind == "who":
        agents = _agent_phrases(found, language)
        if agents:
            names = [n for n in names if any(a <= n.first < b for a, b in agents)]
    elif kind == "where":
        names = [n for n in names if _after_locative(found, n.first, language)] or names
    return _listed([n.text for n in names], asker)


def _listed(names: list[str], language: str) -> str | None:
    """"A", "A en B", "A, B en C"; None for none or too many."""
    unique = list(dict.fromkeys(names))
    if not unique or len(unique) > MAX_NAMES:
        return None
    if len(unique) == 1:
        return unique[0]
    return f"{', '.join(unique[:-1])} {profile(language).and_word} {unique[-1]}"


def _country_asked(folded_question: str, language: str) -> tuple[str, ...] | None:
    """The country a question names or qualifies: "Pays-Bas", "néerlandaises", "Noorse"."""
    asked = words(folded_question)
    for names, stems in _countries():
        stem = stems[language]
        if any(has_phrase(folded_question, n) for n in names) or any(
                w.startswith(stem) and len(w) - len(stem) <= ADJECTIVE_SUFFIX for w in asked):
            return names
    return None


def _names_after_country(text: str, country: tuple[str, ...]) -> list[str]:
    """The names in the parenthesis after the country: "Nederland (Amsterdam en Eindhoven)"."""
    for name in country:
        match = re.search(rf"(?<!\w){re.escape(name)}\s*\(([^()]*)\)", text)
        if match:
            inside = match.group(1)
            found = tokens(inside)
            return [inside[found[i].start : found[j - 1].end] for i, j in _groups(found)
                    if not found[j - 1].text.endswith("-")]
    return []


def _groups(found: list[Token]) -> list[tuple[int, int]]:
    """Token ranges of capitalized words, with a number after ("Platform 31") or particles
    between ("Noodplan voor Huisvesting"); a clause start ends a run."""
    groups = []
    i = 0
    while i < len(found):
        if not capitalized(found[i].text):
            i += 1
            continue
        j = i + 1
        while j < len(found) and not found[j].opens:
            numbered = found[j].text.isdigit() and capitalized(found[j - 1].text)
            if capitalized(found[j].text) or numbered:
                j += 1
                continue
            k = j
            while k < len(found) and k - j < MAX_PARTICLES and found[k].text in particles():
                k += 1
            if (k == j or k == len(found) or found[k].opens or not capitalized(found[k].text)
                    or found[j - 1].opens):  # "Lees het NETCO-rapport": a verb opens the clause
                break
            j = k
        groups.append((i, j))
        i = j
    return groups


def _names(text: str, found: list[Token], language: str) -> list[_Name]:
    """Capitalized runs that are names, without the clause words that open a sentence."""
    names = []
    for i, j in _groups(found):
        while j - i > 1 and _is_adjective(found, j - 1, language):
            j -= 1  # "Opkomende Europese modellen"
        first = i
        if found[i].opens:
            while first < j and found[first].text.casefold() in clause_words() | particles():
                first += 1
            if first == i and not _is_name_alone(found[i:j]):
                continue  # "Uitgebreide informatie", "Evenement 1": an ordinary first word
        if j - first == 1 and found[first].text.casefold() in clause_words():
            continue  # "Het" after a missing full stop
        capitals = [t.text for t in found[first:j] if capitalized(t.text)]
        if not capitals or all(fold(w) in month_names() for w in capitals):
            continue
        if j - first == 1 and (capitals[0].endswith("-") or _is_adjective(found, first, language)):
            continue  # "Noord-" of "Noord-, Zuid- en Oost-Europa"; "Haagse corporaties"
        names.append(_Name(text[found[first].start : found[j - 1].end], first))
    return names


def _is_name_alone(group: list[Token]) -> bool:
    """A clause's first word is a name when another capitalized word follows, or when it is
    an acronym or a known place."""
    word = group[0].text
    return (sum(capitalized(t.text) for t in group) > 1 or acronym(word)
            or any(fold(word) == fold(n) for names in places() for n in names))


def _is_adjective(found: list[Token], index: int, language: str) -> bool:
    word = found[index].text
    following = found[index + 1].text if index + 1 < len(found) else ""
    endings = profile(language).adjective_endings
    return (bool(endings) and not acronym(word) and fold(word).endswith(endings)
            and following[:1].islower() and following not in connectors())


def _agent_phrases(found: list[Token], language: str) -> list[tuple[int, int]]:
    """Token ranges after "door" / "par" / "by", up to the next punctuation."""
    phrases = []
    for i, token in enumerate(found):
        if token.text.casefold() == profile(language).agent:
            end = i + 1
            while end < len(found) and found[end].text[0].isalnum() and not found[end].opens:
                end += 1
            phrases.append((i + 1, end))
    return phrases


def _after_locative(found: list[Token], index: int, language: str) -> bool:
    """Right after "in" / "à" / "at", maybe with an article between: "in de Stroomversnelling"."""
    before = [t.text.casefold() for t in found[max(0, index - 2) : index]]
    locatives = profile(language).locatives
    if not before:
        return False
    if before[-1] in locatives:
        return True
    return len(before) == 2 and before[1] in profile(language).articles and before[0] in locatives
