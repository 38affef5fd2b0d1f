"""Make a follow-up question self-contained before retrieval, without a generative model.

"And in Brussels?" or "Wie organiseerde dat?" cannot be searched alone. A question that
opens with a connector, points back with a pronoun, or has too few content words of its
own is a follow-up: it is searched together with the topic of the previous turn, which is
the content words of that turn's own standalone question (names, acronyms, the nouns it
asked about), not its question words ("Wat doet Stichting Proefhof?" carries "Stichting
Proefhof"). Any other question starts a new topic and is searched as it is.

A follow-up may also add a constraint of its own: a place or a name ("En in Brussel?").
`new_constraints` names those words, and `unsupported_constraints` those the retrieved text
does not hold (first five letters, as anchor coverage matches cognates): the answer to the
previous turn is no answer to that, so `follow_up_evidence` refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from assistant.answer.extractive import Sentence
from assistant.answer.refusal import Evidence
from assistant.languages import from_profiles, profiles
from assistant.languages.profile import alternation
from assistant.search.folding import ANCHOR_CHARS, fold
from assistant.search.lexical import all_stopwords
from assistant.search.regions import REGION_WORDS
from assistant.types import Turn

# Pronouns such as "dat" or "il" also open ordinary questions; only short ones point back.
_SHORT_QUESTION_WORDS = 6
_OWN_TOPIC_WORDS = 3
_WORD = re.compile(r"\w+")


# The words of every language: the question's own may be misdetected.
@from_profiles
def _opener() -> re.Pattern[str]:
    forms = [w for p in profiles() for w in p.follow_up_openers]
    return re.compile(rf"^\s*(?:{alternation(forms)})\b", re.IGNORECASE)


@from_profiles
def _back_reference() -> re.Pattern[str]:
    forms = [w for p in profiles() for w in p.back_references]
    return re.compile(rf"\b(?:{alternation(forms)})\b", re.IGNORECASE)


@from_profiles
def _not_topic() -> frozenset[str]:
    """Stopwords and the words that ask or point rather than name a topic (the stopword lists
    miss most of those)."""
    return all_stopwords() | frozenset(fold(w) for p in profiles() for w in p.asking_words)


@lru_cache(maxsize=1)
def _regions() -> frozenset[str]:
    return frozenset(fold(word) for words in REGION_WORDS.values() for word in words)


def is_follow_up(question: str) -> bool:
    if _opener().search(question):
        return True
    if _back_reference().search(question) and len(_WORD.findall(question)) <= _SHORT_QUESTION_WORDS:
        return True
    return len(topic_words(question)) < _OWN_TOPIC_WORDS


def topic_words(question: str) -> list[str]:
    """The words of a question that name what it is about, as written, first use first."""
    seen: set[str] = set()
    words = []
    for word in _WORD.findall(question):
        key = fold(word)
        if key in _not_topic() or key in seen or (len(key) < 2 and not key.isdigit()):
            continue
        seen.add(key)
        words.append(word)
    return words


def standalone_question(question: str, history: Sequence[Turn]) -> str:
    """The question to search: a follow-up gains the previous turn's topic words
    ("En waar zit die stichting?" after "Wat doet Stichting Proefhof?" is searched as
    "En waar zit die stichting? Stichting Proefhof")."""
    return _condense(question, _previous_standalone(history))


def _previous_standalone(history: Sequence[Turn]) -> str:
    context = ""
    for turn in history:
        context = _condense(turn.question, context)
    return context


def _condense(question: str, context: str) -> str:
    question = question.strip()
    if not context or not is_follow_up(question):
        return question
    topic = topic_words(context)
    return f"{question} {' '.join(topic)}" if topic else question


def _names(question: str) -> list[str]:
    """Places and names a question mentions: region words, acronyms, numbers, and
    capitalised words other than the first (which any sentence capitalises)."""
    found = []
    for position, match in enumerate(_WORD.finditer(question)):
        word = match.group()
        key = fold(word)
        if key in _not_topic() or (len(key) < 2 and not key.isdigit()):
            continue
        if (key in _regions() or any(ch.isdigit() for ch in word)
                or (len(word) >= 2 and word.isupper())
                or (position > 0 and word[0].isupper())):
            found.append(word)
    return found


def _prefixes(text: str) -> set[str]:
    return {word[:ANCHOR_CHARS] for word in _WORD.findall(fold(text))}


def new_constraints(question: str, history: Sequence[Turn]) -> set[str]:
    """The places and names a follow-up adds to the previous turn's topic ("En in Brussel?"
    after a question about Flanders: {"Brussel"}); empty for a question that starts a topic."""
    previous = _previous_standalone(history)
    if not previous or not is_follow_up(question.strip()):
        return set()
    known = _prefixes(previous)
    return {word for word in _names(question) if fold(word)[:ANCHOR_CHARS] not in known}


@lru_cache(maxsize=1)
def _region_names() -> dict[str, frozenset[str]]:
    """Each region word's prefix -> the prefixes of all its names: Bruxelles is Brussel."""
    names = {}
    for words in REGION_WORDS.values():
        group = frozenset(fold(word)[:ANCHOR_CHARS] for word in words)
        names.update({prefix: group for prefix in group})
    return names


def unsupported_constraints(constraints: set[str], passages_text: str) -> set[str]:
    """The constraints the retrieved text does not mention (first five letters, any language;
    a region by any of its names)."""
    present = _prefixes(passages_text)
    missing = set()
    for word in constraints:
        prefix = fold(word)[:ANCHOR_CHARS]
        if not (_region_names().get(prefix, frozenset({prefix})) & present):
            missing.add(word)
    return missing


def follow_up_evidence(evidence: Evidence, question: str, history: Sequence[Turn],
                       scored: Sequence[Sentence]) -> Evidence:
    """The refusal's decision, refused as well when a follow-up adds a place or name ("En in
    Brussel?") that the passage it would be answered from (the best-scored sentence's) does
    not mention. Any of the top passages is not enough: the new word itself pulls in
    passages that merely name it."""
    if evidence.refused:
        return evidence
    source = scored[0].passage if scored else None
    text = f"{source.meta.title} {source.text}" if source else ""
    missing = unsupported_constraints(new_constraints(question, history), text)
    if not missing:
        return evidence
    return Evidence({**evidence.features, "unsupported_constraints": float(len(missing))},
                    refused=True)
