"""What the short-answer parts share: the words of all the profiles that names and numbers
are read against, tokens, and regexes built from a profile's forms."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.languages import from_profiles, profiles
from assistant.languages.profile import alternation
from assistant.search.folding import fold

DASHES = ("-", "–", "—")
# A clause also starts after these marks, or on a new line.
CLAUSE_MARKS = frozenset(".?!:;•") | frozenset(DASHES)


@from_profiles
def clause_words() -> frozenset[str]:
    """Capitalized only because they open a sentence ("In Barcelona", "De Stroomversnelling"),
    in every language: a Dutch sentence quotes English names ("The ...") too."""
    return frozenset().union(*(p.clause_words for p in profiles()))


@from_profiles
def particles() -> frozenset[str]:
    """Lowercase words inside a name, any language: "Coördinatiecel van het Noodplan"."""
    return frozenset().union(*(p.particles for p in profiles()))


@from_profiles
def connectors() -> frozenset[str]:
    return frozenset().union(*(p.connectors for p in profiles()))


@from_profiles
def month_names() -> frozenset[str]:
    return frozenset(fold(m) for p in profiles() for m in p.months)


@from_profiles
def places() -> tuple[tuple[str, ...], ...]:
    """Each country, region or city in every language: a city the question names ("Berlin")
    is not an answer found in the sentence ("Berlijn")."""
    keys = [*profiles()[0].countries, *profiles()[0].places]
    return tuple(tuple(p.countries[k][0] if k in p.countries else p.places[k] for p in profiles())
                 for k in keys)


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    opens: bool  # the first word of a clause


_TOKEN = re.compile(r"(?:qu|[cdjlmnst])['’](?=\w)|\w+(?:[-'’.]\w+)*-?|[^\w\s]", re.IGNORECASE)


def tokens(text: str) -> list[Token]:
    found: list[Token] = []
    for match in _TOKEN.finditer(text):
        previous = found[-1] if found else None
        # A clause opens after a mark, a new line, or numbers only: "13:00 Inloop, koffie".
        opens = (previous is None or previous.text in CLAUSE_MARKS
                 or "\n" in text[previous.end : match.start()]
                 or (previous.opens and not previous.text[0].isalpha()))
        found.append(Token(match.group(), match.start(), match.end(), opens))
    return found


def capitalized(word: str) -> bool:
    return word[:1].isupper()


def acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def has_phrase(folded_text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(fold(name))}(?!\w)", folded_text) is not None


def verbatim(span: str) -> str:
    return " ".join(span.split())


def without_heading(sentence: str) -> str:
    """Drop the all-caps heading a quote may start with: "HOELANG DUURDE DE REIS? 4 dagen"."""
    found = tokens(sentence)
    count = heading = 0
    for token in found:
        if acronym(token.text):
            count += 1
        elif token.text[0].isalnum():
            break
        heading += 1
    if count < 2:
        return sentence
    return sentence[found[heading].start :] if heading < len(found) else ""


def _normal(form: str) -> str:
    return " ".join(fold(form).split())


def form_key(table: Mapping[str, Sequence[str]], written: str | None) -> str | None:
    """The key of the table row whose forms include the written one."""
    if written is None:
        return None
    return next((key for key, forms in table.items()
                 if _normal(written) in {_normal(f) for f in forms}), None)


def form_index(rows: Sequence[Sequence[str]], written: str) -> int:
    return next(i for i, forms in enumerate(rows) if _normal(written) in {_normal(f) for f in forms})


@lru_cache(maxsize=None)
def phrases(forms: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{alternation(forms)})", re.IGNORECASE)


def at_end(text: str, pattern: re.Pattern[str]) -> re.Match[str] | None:
    """The pattern's match that ends the text (but for spaces)."""
    return next((m for m in pattern.finditer(text) if not text[m.end() :].strip()), None)
