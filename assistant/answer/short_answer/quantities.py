"""Counts and durations in a sentence, with their unit, written the asker's way.

A quantity keeps what it counts when that is a unit the profiles know: a percentage, euros or
a span of time ("4 dagen" -> "4 jours"), with the quantity words of its profile ("meer dan
80" -> "plus de 80") and the asker's separators ("2.000" -> "2,000").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.answer.short_answer.dates import clocks, dates
from assistant.answer.short_answer.text import (
    capitalized, clause_words, form_index, form_key, month_names, verbatim, words)
from assistant.languages import profile
from assistant.languages.profile import alternation
from assistant.search.folding import fold

# Any other unit is kept only when it is a neutral symbol.
NEUTRAL_UNITS = ("km²", "km", "m²", "m2", "ha", "kWh", "MWh", "MW")
FIRST_NUMBER_WORD = 2  # the profiles' number words start at two
_RANGE_DASH = re.compile(r"\s?[-–]\s?")


@dataclass(frozen=True)
class Quantity:
    start: int
    end: int
    number: str                # as written: "80", "2.000", "3-5", "vijf"
    word_value: int | None     # 5 for "vijf"
    modifier: str | None       # "more" for "meer dan"
    scale: str | None          # "million"
    unit: str | None           # "percent", "euro" or a neutral symbol
    duration: str | None       # "day" for "4 dagen"
    next_word: str             # the counted noun, to match the question's
    name: str | None           # that noun when it is a name: "12 NETCO-partners"

    def render(self, source: str, language: str) -> str:
        words = profile(language)
        if self.word_value is not None:
            number = words.number_words[self.word_value - FIRST_NUMBER_WORD]
        else:
            parts = _RANGE_DASH.split(self.number)
            number = "–".join(_number(part, source, language) for part in parts)
        if self.scale:
            singular, *plural = words.scales[self.scale]
            number += " " + (plural[0] if plural and _at_least_two(self.number, source) else singular)
        if self.unit in words.unit_formats:
            number = words.unit_formats[self.unit].format(number)
        elif self.unit:
            number += " " + self.unit
        elif self.duration:
            singular, plural, *_ = words.durations[self.duration]
            number += " " + (singular if self.number in ("1", "01") else plural)
        modifier = [words.quantity_modifiers[self.modifier][0]] if self.modifier else []
        return " ".join(modifier + [number] + ([self.name] if self.name else []))


def count(question: str, text: str, language: str, asker: str) -> str | None:
    """The one number of the sentence that is no date, time or label, nor in the question;
    among several, the one whose noun the question names."""
    dated = [(s, e) for s, e, _ in dates(text, language) + clocks(text, language)]
    return _one(question, text, language, asker, _unasked(question, text, language, dated))


def duration(question: str, text: str, language: str, asker: str) -> str | None:
    """The one span of time ("4 dagen", "pendant 22 mois") that is no date nor in the question
    ("3 uur" reads as a time of day too, so times are not left out)."""
    dated = [(s, e) for s, e, _ in dates(text, language)]
    found = [q for q in _unasked(question, text, language, dated) if q.duration]
    return _one(question, text, language, asker, found)


def _unasked(question: str, text: str, language: str,
             dated: list[tuple[int, int]]) -> list[Quantity]:
    asked = set(re.findall(r"\d+", question))
    return [q for q in quantities(text, language)
            if not any(s < q.end and q.start < e for s, e in dated)
            and (q.word_value is not None or re.sub(r"\D", "", q.number) not in asked)]


def _one(question: str, text: str, language: str, asker: str,
         found: list[Quantity]) -> str | None:
    if len(found) > 1:
        asked = words(fold(question))
        found = [q for q in found if _same_stem(q.next_word, asked)]
    if len(found) != 1:
        return None
    quantity = found[0]
    if asker == language:
        return verbatim(text[quantity.start : quantity.end])
    return quantity.render(language, asker)


def quantities(text: str, language: str) -> list[Quantity]:
    words = profile(language)
    found = []
    for match in _quantity_pattern(language).finditer(text):
        following = re.match(r"\s+([\w'’-]+)", text[match.end() :])
        word = following.group(1) if following else ""
        if match["word"] and (not word or word.casefold() in clause_words()):
            continue  # "neuf" in "un logement neuf" counts nothing
        if not (match["modifier"] or match["euro"]) and _is_label(text[: match.start()]):
            continue  # "Evenement 2", "Platform 31"
        unit = "euro" if match["euro"] else _unit(match["unit"], language)
        span = form_key(words.durations, word) if word and not unit else None
        name = word if (not span and capitalized(word) and word.casefold() not in clause_words()
                        and fold(word) not in month_names()) else None
        found.append(Quantity(
            start=match.start(),
            end=match.end() + following.end() if name or span else match.end(),
            number=match["number"] or match["word"],
            word_value=(form_index([(w,) for w in words.number_words], match["word"])
                        + FIRST_NUMBER_WORD) if match["word"] else None,
            modifier=form_key(words.quantity_modifiers, match["modifier"]),
            scale=form_key(words.scales, match["scale"]),
            unit=unit, duration=span, next_word=word, name=name))
    return found


def _number(written: str, source: str, language: str) -> str:
    """Digits with the asker's separators: "2.000" -> "2,000", "2,5" -> "2.5"."""
    integer, _, fraction = written.partition(profile(source).decimal)
    number = profile(language).thousands.join(re.split(r"\D", integer))
    return number + profile(language).decimal + fraction if fraction else number


def _at_least_two(written: str, source: str) -> bool:
    """For French plurals: "1,5 million", "2 millions"."""
    integer, _, fraction = _RANGE_DASH.split(written)[-1].partition(profile(source).decimal)
    return float(re.sub(r"\D", "", integer) + "." + (fraction or "0")) >= 2


def _unit(written: str | None, language: str) -> str | None:
    return form_key(profile(language).units, written) or written


def _is_label(before: str) -> bool:
    """A number right after a capitalized word names something: "Evenement 2"."""
    word = re.search(r"([\w'’-]+)\s*$", before)
    return bool(word) and capitalized(word.group(1)) and word.group(1).casefold() not in clause_words()


def _same_stem(word: str, question_words: list[str]) -> bool:
    """A counted noun the question names, across languages: "partners", "partenaires"."""
    stem = fold(word)[:4]
    return len(stem) == 4 and any(w[:4] == stem for w in question_words)


@lru_cache(maxsize=None)
def _quantity_pattern(language: str) -> re.Pattern[str]:
    words = profile(language)
    thousands, decimal = words.thousands_read, re.escape(words.decimal)
    single = rf"(?:\d{{1,3}}(?:{thousands}\d{{3}})+(?:{decimal}\d+)?|\d+(?:{decimal}\d+)?)"
    number = rf"{single}(?:\s?[-–]\s?{single})?"  # "3-5 minuten"
    modifiers = alternation(f for forms in words.quantity_modifiers.values() for f in forms)
    scales = alternation(f for forms in words.scales.values() for f in forms)
    units = alternation([f for forms in words.units.values() for f in forms] + list(NEUTRAL_UNITS))
    return re.compile(
        rf"(?<![\w.,-])(?:(?P<modifier>{modifiers})\s+)?(?P<euro>€\s?)?"
        rf"(?:(?P<number>{number})|(?P<word>{alternation(words.number_words)}))(?!\w|[.,]\d|-\w)"
        rf"(?:\s+(?P<scale>{scales}))?(?:\s?(?P<unit>{units})(?!\w))?", re.IGNORECASE)
