"""Dates and times in a sentence, and how the asker's language writes them.

Month and season names come from the profiles: "van mei 2022 tot april 2024" -> "from May
2022 to April 2024". A season is read only with its year ("najaar van 2022", "l'automne
2022").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.answer.short_answer.text import (
    DASHES, at_end, form_index, form_key, phrases, verbatim)
from assistant.languages import profile
from assistant.languages.profile import alternation
from assistant.search.folding import fold

YEAR = r"(?:19|20)\d\d"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:er|st|nd|rd|th)?"


@dataclass(frozen=True)
class Date:
    """[modifier] [day] month [year], a season with its year, or a year."""

    modifier: str | None = None
    day: int | None = None
    month: int | None = None
    season: int | None = None
    year: str | None = None

    def render(self, language: str) -> str:
        words = profile(language)
        if self.season is not None:
            return f"{words.seasons[self.season][0]} {self.year}"
        parts = []
        if self.day is not None:
            parts.append(words.day(self.day))
        if self.month is not None:
            parts.append(words.months[self.month])
        if self.year:
            parts.append(self.year)
        text = " ".join(parts)
        if self.modifier is None:
            return text
        modifier = words.date_modifiers[self.modifier][0]
        return modifier + text if modifier.endswith("-") else f"{modifier} {text}"


@dataclass(frozen=True)
class Clock:
    hour: int
    minute: str

    def render(self, language: str) -> str:
        return f"{self.hour}:{self.minute}"


@dataclass(frozen=True)
class Moment:
    """A date or a time, a range of two, or one with an open end; at text[start:end]."""

    start: int
    end: int
    first: Date | Clock
    last: Date | Clock | None = None
    open_end: str | None = None
    dashed: bool = False

    def render(self, language: str) -> str:
        words = profile(language)
        first = self.first.render(language)
        if self.last is not None:
            last = self.last.render(language)
            if self.dashed:
                return f"{first}–{last}"
            opening, closing = words.range_words
            return f"{words.before(opening, first)} {words.before(closing, last)}"
        if self.open_end is not None:
            return words.before(words.open_ends[self.open_end][0], first)
        return first


# A date or a time found in the text: (start, end, value).
Found = tuple[int, int, Date | Clock]


def when(text: str, language: str, asker: str, wants_clock: bool) -> str | None:
    """The first date (with the time right after it), or the first time."""
    date_moments = _moments(text, language, dates(text, language))
    clock_moments = _moments(text, language, clocks(text, language))
    if wants_clock or not date_moments:
        chosen = clock_moments[:1]
    else:
        first = date_moments[0]
        chosen = [first] + [c for c in clock_moments if _joined(text, language, first, c)][:1]
    if not chosen:
        return None
    if asker == language:
        return verbatim(text[chosen[0].start : chosen[-1].end])
    if len(chosen) == 1:
        return chosen[0].render(asker)
    date, clock = chosen
    if clock.last is None and clock.open_end is None:
        return f"{date.render(asker)} {profile(asker).clock_joiners[0]} {clock.render(asker)}"
    return f"{date.render(asker)}, {clock.render(asker)}"


def dates(text: str, language: str) -> list[Found]:
    words = profile(language)
    found: list[Found] = []
    for match in _date_pattern(language).finditer(text):
        groups = match.groupdict()
        if groups["season"]:
            date = Date(season=form_index(words.seasons, groups["season"]),
                        year=groups["season_year"])
        elif groups["year_only"] and at_end(text[: match.start()], _quantity_modifiers(language)):
            continue  # "circa 2000 professionals" is a count
        else:
            month = groups["month"] or groups.get("md_month")
            day = groups["day"] or groups.get("md_day")
            date = Date(
                modifier=form_key(words.date_modifiers, groups["modifier"]),
                day=int(re.match(r"\d+", day).group()) if day else None,
                month=form_index([(m,) for m in words.months], month) if month else None,
                year=groups["year"] or groups.get("md_year") or groups["year_only"])
        found.append((match.start(), match.end(), date))
    return found


def clocks(text: str, language: str) -> list[Found]:
    return [(m.start(), m.end(), Clock(int(m["hour"]), m["minute"] or "00"))
            for m in _clock_pattern(language).finditer(text)]


def _moments(text: str, language: str, found: list[Found]) -> list[Moment]:
    """Two joined by "tot" / "à" / "to" / a dash make a range; one alone may have an open end."""
    words = profile(language)
    moments = []
    i = 0
    while i < len(found):
        start, end, value = found[i]
        before = _without_article(text[:start], language)
        closing = i + 1 < len(found) and phrases(words.range_to + DASHES).fullmatch(
            _without_article(text[end : found[i + 1][0]], language).strip())
        if closing:
            opening = at_end(before, phrases(words.range_from))
            dashed = opening is None and closing.group() in DASHES
            moments.append(Moment(opening.start() if opening else start, found[i + 1][1],
                                  value, found[i + 1][2], dashed=dashed))
            i += 2
            continue
        moments.append(_open_ended(before, start, end, value, language))
        i += 1
    return moments


def _without_article(text: str, language: str) -> str:
    """"tot het" of "tot het voorjaar van 2024": the article before a date is left out; only
    the sentence's own language's articles ("de" is an article in Dutch, not in French)."""
    words = text.rstrip().rsplit(maxsplit=1)
    articles = _articles(language)
    return words[0] if len(words) == 2 and fold(words[1]) in articles else text


@lru_cache(maxsize=None)
def _articles(language: str) -> frozenset[str]:
    return frozenset(fold(a) for a in profile(language).articles)


def _open_ended(before: str, start: int, end: int, value: Date | Clock, language: str) -> Moment:
    for key, forms in profile(language).open_ends.items():
        opening = at_end(before, phrases(forms))
        if opening:
            return Moment(opening.start(), end, value, open_end=key)
    return Moment(start, end, value)


def _joined(text: str, language: str, date: Moment, clock: Moment) -> bool:
    """The time right after the date: "23 september 2014 van 13.00 – 18.00", "... om 14:00"."""
    between = text[date.end : clock.start].strip(" ,")
    return clock.start >= date.end and between in ("", *profile(language).clock_joiners)


@lru_cache(maxsize=None)
def _quantity_modifiers(language: str) -> re.Pattern[str]:
    return phrases(tuple(f for forms in profile(language).quantity_modifiers.values() for f in forms))


@lru_cache(maxsize=None)
def _date_pattern(language: str) -> re.Pattern[str]:
    words = profile(language)
    months = alternation(words.months)
    if words.months_case_sensitive:
        months = f"(?-i:{months})"
    seasons = alternation(f for forms in words.seasons for f in forms)
    modifiers = alternation(f for forms in words.date_modifiers.values() for f in forms)
    joiners = alternation(words.season_year_joiners)
    season_joiner = rf"(?:\s+(?:{joiners}))?" if joiners else ""
    month_day = (rf"(?P<md_month>{months})\s+(?P<md_day>{_DAY}),?(?:\s+(?P<md_year>{YEAR}))?|"
                 if words.month_day_dates else "")
    return re.compile(
        rf"(?<!\w)(?:(?P<season>{seasons}){season_joiner}\s+(?P<season_year>{YEAR})"
        rf"|(?:(?P<modifier>{modifiers})\s*)?"
        rf"(?:{month_day}(?:(?P<day>{_DAY})\s+)?(?P<month>{months})(?:\s+(?P<year>{YEAR}))?"
        rf"|(?P<year_only>{YEAR})))(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=None)
def _clock_pattern(language: str) -> re.Pattern[str]:
    words = profile(language)
    separators = re.escape(words.clock_separators)
    return re.compile(
        rf"(?<![\w.,:])(?P<hour>[01]?\d|2[0-3])"
        rf"(?:[{separators}](?P<minute>[0-5]\d)|\s?(?:{alternation(words.hour_words)}))"
        rf"(?!\w|[.,:]\d)", re.IGNORECASE)
