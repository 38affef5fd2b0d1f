"""A one-line short answer in the asker's language, made of language-neutral spans.

There is no generative or translation model offline: answers quote corpus sentences,
often Dutch, to French and English askers too. A short answer can still be written in the
asker's language when the fact itself needs no translation: names ("Amsterdam en
Eindhoven" -> "Amsterdam et Eindhoven"), dates and times (month and season names come
from the tables below: "van mei 2022 tot april 2024" -> "from May 2022 to April 2024") and
numbers (with the few quantity words of a table: "meer dan 80" -> "plus de 80"). Only such
spans of the cited sentence are used, joined with the asker's own connectors; a question
of another kind (why, how, what), a sentence with no fitting span or a long list of names
gives None: nothing is ever guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

LANGUAGES = ("nl", "fr", "en")
AND = {"nl": "en", "fr": "et", "en": "and"}
# More names than this is a list to read in the quote, not a short answer.
MAX_NAMES = 4

# --- Dates and times -------------------------------------------------------------------

MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}
# Spring, summer, autumn, winter; the first form is the one written. A season is read only
# with its year ("najaar van 2022", "l'automne 2022"): alone, "été" is also "been".
SEASONS = {
    "nl": (("voorjaar", "lente"), ("zomer",), ("najaar", "herfst"), ("winter",)),
    "fr": (("le printemps", "printemps"), ("l'été", "été"), ("l'automne", "automne"),
           ("l'hiver", "hiver")),
    "en": (("spring",), ("summer",), ("autumn", "fall"), ("winter",)),
}
DATE_MODIFIERS = {
    "early": {"nl": ("begin", "begin van"), "fr": ("début",),
              "en": ("early", "the beginning of", "the start of")},
    "late": {"nl": ("eind", "einde", "eind van", "einde van"), "fr": ("fin",),
             "en": ("the end of", "end of", "late")},
    "mid": {"nl": ("midden", "half", "medio"), "fr": ("mi-",), "en": ("mid-",)},
    "during": {"nl": ("in de loop van",), "fr": ("courant",), "en": ("in the course of", "during")},
}
# "van mei 2022 tot april 2024": the words opening and closing a range (a dash closes one
# too), and the two written in each language.
RANGE_WORDS = {"nl": ("van", "tot"), "fr": ("de", "à"), "en": ("from", "to")}
RANGE_FROM = {"nl": ("van", "vanaf"), "fr": ("de", "d'", "du", "depuis"), "en": ("from",)}
RANGE_TO = {"nl": ("tot en met", "tot", "t/m"), "fr": ("jusqu'à", "jusqu'au", "à", "au"),
            "en": ("until", "till", "through", "to")}
DASHES = ("-", "–", "—")
# One open end: "vanaf januari 2022", "tot eind 2024".
OPEN_ENDS = {
    "from": {"nl": ("vanaf",), "fr": ("à partir de", "à partir d'", "dès"), "en": ("from",)},
    "since": {"nl": ("sinds", "sedert"), "fr": ("depuis",), "en": ("since",)},
    "until": {"nl": ("tot en met", "tot"), "fr": ("jusqu'à", "jusqu'au", "jusqu'en"),
              "en": ("until", "till")},
}
# "13:00" everywhere, "13.00" and "13u00" in Dutch, "13h00" in French; "14 uur", "14 h".
CLOCK_SEPARATORS = {"nl": ":.u", "fr": ":h", "en": ":"}
HOUR_WORDS = {"nl": ("uur",), "fr": ("heures", "heure", "h"), "en": ("o'clock",)}
# A time joined to the date before it: "23 september om 14:00".
CLOCK_JOINERS = ("", "om", "à", "at")
AT = {"nl": "om", "fr": "à", "en": "at"}

# --- Numbers ---------------------------------------------------------------------------

QUANTITY_MODIFIERS = {
    "more": {"nl": ("meer dan", "ruim"), "fr": ("plus de", "plus d'"), "en": ("more than", "over")},
    "about": {"nl": ("ongeveer", "circa", "ca.", "zo'n", "rond de"), "fr": ("environ", "quelque"),
              "en": ("about", "around", "approximately", "roughly")},
    "nearly": {"nl": ("bijna", "nagenoeg"), "fr": ("près de", "presque"),
               "en": ("nearly", "almost")},
    "at_least": {"nl": ("minstens", "ten minste", "tenminste", "minimaal"),
                 "fr": ("au moins", "au minimum"), "en": ("at least",)},
    "less": {"nl": ("minder dan",), "fr": ("moins de", "moins d'"),
             "en": ("less than", "fewer than")},
    "at_most": {"nl": ("hoogstens", "maximaal"), "fr": ("au plus", "au maximum"),
                "en": ("at most", "up to")},
}
# Two to twelve ("een", "un", "one" are articles or pronouns as often as numbers).
NUMBER_WORDS = {
    "nl": ("twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien", "elf", "twaalf"),
    "fr": ("deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze"),
    "en": ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
           "twelve"),
}
FIRST_NUMBER_WORD = 2
THOUSANDS_SEPARATOR = {"nl": ".", "fr": " ", "en": ","}
DECIMAL_SEPARATOR = {"nl": ",", "fr": ",", "en": "."}
# Singular first: French writes "1,5 million" but "2 millions".
SCALES = {
    "million": {"nl": ("miljoen",), "fr": ("million", "millions"), "en": ("million",)},
    "billion": {"nl": ("miljard",), "fr": ("milliard", "milliards"), "en": ("billion",)},
}
# Units written the asker's way; any other unit is kept only when it is a neutral symbol.
UNITS = {
    "percent": {"nl": ("%", "procent"), "fr": ("%", "pour cent"), "en": ("%", "percent", "per cent")},
    "euro": {"nl": ("€", "euro"), "fr": ("€", "euros", "euro"),
             "en": ("€", "euros", "euro", "EUR")},
}
UNIT_FORMATS = {"percent": {"nl": "{}%", "fr": "{} %", "en": "{}%"},
                "euro": {"nl": "€ {}", "fr": "{} €", "en": "€{}"}}
NEUTRAL_UNITS = ("km²", "km", "m²", "m2", "ha", "kWh", "MWh", "MW")

# --- Names -----------------------------------------------------------------------------

# Capitalized only because they open a sentence: stripped from the front of a name there
# ("In Barcelona", "De Stroomversnelling", "Volgens DRIFT").
CLAUSE_WORDS = frozenset("""
    de het een deze dit die dat op in van voor met bij naar om er zo ook alle daar hier zij
    wij we u tot tijdens volgens na door via sinds vanaf dankzij en of maar
    le la les l' un une des du ce cet cette ces à au aux en dans pour par sur avec chez selon
    pendant après avant depuis grâce et ou mais il elle ils elles nous vous on
    the a an this these that those in on at for with by from to of during after before since
    according thanks and or but it we you they
""".split())
# Lowercase words inside a name: "Coördinatiecel van het Noodplan voor Huisvesting".
PARTICLES = frozenset("van de der het voor du des la le of the for von".split())
MAX_PARTICLES = 2
CONNECTORS = frozenset("en et and of ou or".split())
# A clause also starts after these marks, or on a new line.
CLAUSE_MARKS = frozenset(".?!:;•") | frozenset(DASHES)
# A capitalized word ending so and followed by a lowercase word is an adjective: "Haagse
# corporaties", "European partners".
ADJECTIVE_ENDINGS = {"nl": ("se", "sche"), "fr": (), "en": ("ean", "ian", "ish", "ese")}
# "Where" prefers names right after these (an article may come between).
LOCATIVES = {"nl": frozenset("in te op bij naar uit".split()),
             "fr": frozenset("à au aux en dans chez".split()),
             "en": frozenset("in at near".split())}
ARTICLES = frozenset("de het le la les l' the".split())
# "Who" prefers the names of the agent phrase: "georganiseerd door de stad Barcelona".
AGENTS = {"nl": "door", "fr": "par", "en": "by"}

# Country names (NL, FR, EN) and, per language, the stem of the adjective questions use:
# "Welke Noorse stad", "Quelle ville grecque", "Which Dutch cities". Folded: no accents.
COUNTRIES = (
    (("Nederland", "Pays-Bas", "Netherlands"), {"nl": "nederlands", "fr": "neerlandais", "en": "dutch"}),
    (("België", "Belgique", "Belgium"), {"nl": "belgisch", "fr": "belge", "en": "belgian"}),
    (("Duitsland", "Allemagne", "Germany"), {"nl": "duits", "fr": "allemand", "en": "german"}),
    (("Frankrijk", "France", "France"), {"nl": "frans", "fr": "francais", "en": "french"}),
    (("Spanje", "Espagne", "Spain"), {"nl": "spaans", "fr": "espagnol", "en": "spanish"}),
    (("Portugal", "Portugal", "Portugal"), {"nl": "portuge", "fr": "portugais", "en": "portuguese"}),
    (("Italië", "Italie", "Italy"), {"nl": "italiaans", "fr": "italien", "en": "italian"}),
    (("Griekenland", "Grèce", "Greece"), {"nl": "grieks", "fr": "grec", "en": "greek"}),
    (("Kroatië", "Croatie", "Croatia"), {"nl": "kroatisch", "fr": "croate", "en": "croatian"}),
    (("Slovenië", "Slovénie", "Slovenia"), {"nl": "sloveens", "fr": "slovene", "en": "sloven"}),
    (("Roemenië", "Roumanie", "Romania"), {"nl": "roemeens", "fr": "roumain", "en": "romanian"}),
    (("Noorwegen", "Norvège", "Norway"), {"nl": "noors", "fr": "norvegien", "en": "norwegian"}),
    (("Verenigd Koninkrijk", "Royaume-Uni", "United Kingdom"),
     {"nl": "brits", "fr": "britannique", "en": "british"}),
    (("Oostenrijk", "Autriche", "Austria"), {"nl": "oostenrijks", "fr": "autrichien", "en": "austrian"}),
    (("Zweden", "Suède", "Sweden"), {"nl": "zweeds", "fr": "suedois", "en": "swedish"}),
    (("Denemarken", "Danemark", "Denmark"), {"nl": "deens", "fr": "danois", "en": "danish"}),
    (("Polen", "Pologne", "Poland"), {"nl": "pools", "fr": "polonais", "en": "polish"}),
    (("Luxemburg", "Luxembourg", "Luxembourg"),
     {"nl": "luxemburgs", "fr": "luxembourgeois", "en": "luxembourg"}),
    (("Zwitserland", "Suisse", "Switzerland"), {"nl": "zwitsers", "fr": "suisse", "en": "swiss"}),
    (("Ierland", "Irlande", "Ireland"), {"nl": "iers", "fr": "irlandais", "en": "irish"}),
    (("Finland", "Finlande", "Finland"), {"nl": "fins", "fr": "finlandais", "en": "finnish"}),
)
# An adjective is its stem plus at most this many letters: "grec-que", "Noor-se".
ADJECTIVE_SUFFIX = 3
# Regions and cities whose name differs between the languages: a city the question names
# ("Berlin") is not an answer found in the sentence ("Berlijn").
PLACES = tuple(names for names, _ in COUNTRIES) + (
    ("Vlaanderen", "Flandre", "Flanders"), ("Wallonië", "Wallonie", "Wallonia"),
    ("Brussel", "Bruxelles", "Brussels"), ("Europa", "Europe", "Europe"),
    ("Antwerpen", "Anvers", "Antwerp"), ("Gent", "Gand", "Ghent"), ("Luik", "Liège", "Liège"),
    ("Leuven", "Louvain", "Leuven"), ("Brugge", "Bruges", "Bruges"),
    ("Den Haag", "La Haye", "The Hague"), ("Berlijn", "Berlin", "Berlin"),
    ("Lissabon", "Lisbonne", "Lisbon"), ("Turijn", "Turin", "Turin"),
    ("Straatsburg", "Strasbourg", "Strasbourg"), ("Barcelona", "Barcelone", "Barcelona"),
    ("Thessaloniki", "Thessalonique", "Thessaloniki"), ("Londen", "Londres", "London"),
    ("Parijs", "Paris", "Paris"), ("Athene", "Athènes", "Athens"), ("Keulen", "Cologne", "Cologne"),
)

# --- Questions -------------------------------------------------------------------------

# The leftmost question word decides; at one position the first alternative wins, so
# "hoe laat" is a time and "how many" a count before "hoe" / "how" are "other".
_QUESTION_WORD = re.compile(
    r"\b(?:(?P<clock>hoe laat|(?:à|a) quelle heure|(?:at )?what time)"
    r"|(?P<when>wanneer|quand|when)"
    r"|(?P<count>hoeveel|combien|how many|how much)"
    r"|(?P<who>wie|qui|who|whom)"
    r"|(?P<where>waar|où|where)"
    r"|(?P<which>welke|welk|wat|quels?|quelles?|which|what)"
    r"|(?P<other>waarom|hoe|pourquoi|comment|que|qu|quoi|why|how))\b")
# The noun "which" / "quel" / "welke" asks about comes within this many words: "Welk
# Kroatisch lid", "Quelle est la date"; not "Quelle est la finalité de chaque projet".
ASKED_NOUN_WINDOW = 3
# Among them, these ask for a date or a time (folded)...
TIME_NOUNS = frozenset("datum dag jaar maand periode date jour annee mois day year month period".split())
CLOCK_NOUNS = frozenset("uur tijdstip heure hour time".split())
# ... and these for names.
ENTITY_NOUNS = frozenset("""
    stad steden gemeente gemeenten gemeentes land landen organisatie organisaties instelling
    instellingen instantie instanties partner partners lid leden initiatief initiatieven
    project projecten persoon personen bedrijf bedrijven stichting stichtingen vereniging
    verenigingen corporatie corporaties regio provincie website
    ville villes commune communes pays organisation organisations organisme organismes
    institution institutions partenaire partenaires membre membres initiative initiatives
    projet projets personne personnes entreprise entreprises association associations
    fondation fondations region regions province provinces site
    city cities town towns municipality municipalities country countries organization
    organizations member members company companies foundation foundations people person
""".split())


def question_kind(question: str) -> str | None:
    """"when", "clock", "count", "who", "where" or "which" (asks for names), else None."""
    lowered = question.casefold()
    match = _QUESTION_WORD.search(lowered)
    if match is None or match.lastgroup == "other":
        return None
    if match.lastgroup != "which":
        return match.lastgroup
    words = set(_words(_fold(lowered[match.end() :]))[:ASKED_NOUN_WINDOW])
    if words & CLOCK_NOUNS:
        return "clock"
    if words & TIME_NOUNS:
        return "when"
    return "which" if words & ENTITY_NOUNS else None


def short_answer(question: str, question_language: str, sentence: str,
                 sentence_language: str) -> str | None:
    """The fact the question asks for, from the sentence, in the question's language.

    Dates, times, numbers and names only (the caller adds the citation); None when the
    question is of another kind or the sentence holds no fitting span.
    """
    kind = question_kind(question)
    if kind is None or {question_language, sentence_language} - set(LANGUAGES):
        return None
    text = _without_heading(sentence)
    if kind in ("when", "clock"):
        return _when(text, sentence_language, question_language, wants_clock=kind == "clock")
    if kind == "count":
        return _count(question, text, sentence_language, question_language)
    return _names_answer(kind, question, question_language, text, sentence_language)


# --- When ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Date:
    """[modifier] [day] month [year], a season with its year, or a year."""

    modifier: str | None = None
    day: int | None = None
    month: int | None = None
    season: int | None = None
    year: str | None = None

    def render(self, language: str) -> str:
        if self.season is not None:
            return f"{SEASONS[language][self.season][0]} {self.year}"
        words = []
        if self.day is not None:
            words.append("1er" if language == "fr" and self.day == 1 else str(self.day))
        if self.month is not None:
            words.append(MONTHS[language][self.month])
        if self.year:
            words.append(self.year)
        text = " ".join(words)
        if self.modifier is None:
            return text
        modifier = DATE_MODIFIERS[self.modifier][language][0]
        return modifier + text if modifier.endswith("-") else f"{modifier} {text}"


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: str

    def render(self, language: str) -> str:
        return f"{self.hour}:{self.minute}"


@dataclass(frozen=True)
class _Moment:
    """A date or a time, a range of two, or one with an open end; at text[start:end]."""

    start: int
    end: int
    first: _Date | _Clock
    last: _Date | _Clock | None = None
    open_end: str | None = None
    dashed: bool = False

    def render(self, language: str) -> str:
        first = self.first.render(language)
        if self.last is not None:
            last = self.last.render(language)
            if self.dashed:
                return f"{first}–{last}"
            opening, closing = RANGE_WORDS[language]
            return f"{_before(opening, first, language)} {_before(closing, last, language)}"
        if self.open_end is not None:
            return _before(OPEN_ENDS[self.open_end][language][0], first, language)
        return first


# A date or a time found in the text: (start, end, value).
_Found = tuple[int, int, _Date | _Clock]


def _when(text: str, language: str, asker: str, wants_clock: bool) -> str | None:
    """The first date (with the time right after it), or the first time."""
    dates = _moments(text, language, _dates(text, language))
    clocks = _moments(text, language, _clocks(text, language))
    if wants_clock or not dates:
        chosen = clocks[:1]
    else:
        chosen = [dates[0]] + [c for c in clocks if _joined(text, dates[0], c)][:1]
    if not chosen:
        return None
    if asker == language:
        return _verbatim(text[chosen[0].start : chosen[-1].end])
    if len(chosen) == 1:
        return chosen[0].render(asker)
    date, clock = chosen
    if clock.last is None and clock.open_end is None:
        return f"{date.render(asker)} {AT[asker]} {clock.render(asker)}"
    return f"{date.render(asker)}, {clock.render(asker)}"


def _dates(text: str, language: str) -> list[_Found]:
    found: list[_Found] = []
    for match in _date_pattern(language).finditer(text):
        groups = match.groupdict()
        if groups["season"]:
            date = _Date(season=_form_index(SEASONS[language], groups["season"]),
                         year=groups["season_year"])
        elif groups["year_only"] and _at_end(text[: match.start()], _quantity_modifiers(language)):
            continue  # "circa 2000 professionals" is a count
        else:
            month = groups["month"] or groups.get("md_month")
            day = groups["day"] or groups.get("md_day")
            date = _Date(
                modifier=_form_key(DATE_MODIFIERS, language, groups["modifier"]),
                day=int(re.match(r"\d+", day).group()) if day else None,
                month=_form_index([(m,) for m in MONTHS[language]], month) if month else None,
                year=groups["year"] or groups.get("md_year") or groups["year_only"])
        found.append((match.start(), match.end(), date))
    return found


def _clocks(text: str, language: str) -> list[_Found]:
    return [(m.start(), m.end(), _Clock(int(m["hour"]), m["minute"] or "00"))
            for m in _clock_pattern(language).finditer(text)]


def _moments(text: str, language: str, found: list[_Found]) -> list[_Moment]:
    """Two joined by "tot" / "à" / "to" / a dash make a range; one alone may have an open end."""
    moments = []
    i = 0
    while i < len(found):
        start, end, value = found[i]
        before = _without_article(text[:start])
        closing = i + 1 < len(found) and _phrases(RANGE_TO[language] + DASHES).fullmatch(
            _without_article(text[end : found[i + 1][0]]).strip())
        if closing:
            opening = _at_end(before, _phrases(RANGE_FROM[language]))
            dashed = opening is None and closing.group() in DASHES
            moments.append(_Moment(opening.start() if opening else start, found[i + 1][1],
                                   value, found[i + 1][2], dashed=dashed))
            i += 2
            continue
        moments.append(_open_ended(before, start, end, value, language))
        i += 1
    return moments


def _without_article(text: str) -> str:
    """"tot het" of "tot het voorjaar van 2024": the article before a date is left out."""
    words = text.rstrip().rsplit(maxsplit=1)
    return words[0] if len(words) == 2 and _fold(words[1]) in ARTICLES else text


def _open_ended(before: str, start: int, end: int, value: _Date | _Clock, language: str) -> _Moment:
    for key, forms in OPEN_ENDS.items():
        opening = _at_end(before, _phrases(forms[language]))
        if opening:
            return _Moment(opening.start(), end, value, open_end=key)
    return _Moment(start, end, value)


def _joined(text: str, date: _Moment, clock: _Moment) -> bool:
    """The time right after the date: "23 september 2014 van 13.00 – 18.00"."""
    return clock.start >= date.end and text[date.end : clock.start].strip(" ,") in CLOCK_JOINERS


def _before(word: str, phrase: str, language: str) -> str:
    """A preposition before a date, with French contraction and elision: "du printemps",
    "d'avril", "à partir d'octobre"."""
    if language == "fr" and phrase.startswith("le "):
        for preposition, contracted in (("de", "du"), ("à", "au")):
            if word.endswith(preposition):
                return word[: -len(preposition)] + contracted + phrase[2:]
    if language == "fr" and word.endswith("de") and phrase[:1] in "aeiouéâ":
        return word[:-1] + "'" + phrase
    return f"{word} {phrase}"


# --- How many --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Quantity:
    start: int
    end: int
    number: str                # as written: "80", "2.000", "3-5", "vijf"
    word_value: int | None     # 5 for "vijf"
    modifier: str | None       # "more" for "meer dan"
    scale: str | None          # "million"
    unit: str | None           # "percent", "euro" or a neutral symbol
    next_word: str             # the counted noun, to match the question's
    name: str | None           # that noun when it is a name: "12 NETCO-partners"

    def render(self, source: str, language: str) -> str:
        if self.word_value is not None:
            number = NUMBER_WORDS[language][self.word_value - FIRST_NUMBER_WORD]
        else:
            parts = _RANGE_DASH.split(self.number)
            number = "–".join(_number(part, source, language) for part in parts)
        if self.scale:
            singular, *plural = SCALES[self.scale][language]
            number += " " + (plural[0] if plural and _at_least_two(self.number, source) else singular)
        if self.unit in UNIT_FORMATS:
            number = UNIT_FORMATS[self.unit][language].format(number)
        elif self.unit:
            number += " " + self.unit
        words = [QUANTITY_MODIFIERS[self.modifier][language][0]] if self.modifier else []
        return " ".join(words + [number] + ([self.name] if self.name else []))


def _count(question: str, text: str, language: str, asker: str) -> str | None:
    """The one number of the sentence that is no date, time or label, nor in the question;
    among several, the one whose noun the question names."""
    dated = [(s, e) for s, e, _ in _dates(text, language) + _clocks(text, language)]
    asked = set(re.findall(r"\d+", question))
    found = [q for q in _quantities(text, language)
             if not any(s < q.end and q.start < e for s, e in dated)
             and (q.word_value is not None or re.sub(r"\D", "", q.number) not in asked)]
    if len(found) > 1:
        words = _words(_fold(question))
        found = [q for q in found if _same_stem(q.next_word, words)]
    if len(found) != 1:
        return None
    quantity = found[0]
    if asker == language:
        return _verbatim(text[quantity.start : quantity.end])
    return quantity.render(language, asker)


def _quantities(text: str, language: str) -> list[_Quantity]:
    found = []
    for match in _quantity_pattern(language).finditer(text):
        following = re.match(r"\s+([\w'’-]+)", text[match.end() :])
        word = following.group(1) if following else ""
        if match["word"] and (not word or word.casefold() in CLAUSE_WORDS):
            continue  # "neuf" in "un logement neuf" counts nothing
        if not (match["modifier"] or match["euro"]) and _is_label(text[: match.start()]):
            continue  # "Evenement 2", "Platform 31"
        name = word if (_capitalized(word) and word.casefold() not in CLAUSE_WORDS
                        and _fold(word) not in _MONTH_NAMES) else None
        found.append(_Quantity(
            start=match.start(),
            end=match.end() + following.end() if name else match.end(),
            number=match["number"] or match["word"],
            word_value=(_form_index([(w,) for w in NUMBER_WORDS[language]], match["word"])
                        + FIRST_NUMBER_WORD) if match["word"] else None,
            modifier=_form_key(QUANTITY_MODIFIERS, language, match["modifier"]),
            scale=_form_key(SCALES, language, match["scale"]),
            unit="euro" if match["euro"] else _unit(match["unit"], language),
            next_word=word, name=name))
    return found


def _number(written: str, source: str, language: str) -> str:
    """Digits with the asker's separators: "2.000" -> "2,000", "2,5" -> "2.5"."""
    integer, _, fraction = written.partition(DECIMAL_SEPARATOR[source])
    number = THOUSANDS_SEPARATOR[language].join(re.split(r"\D", integer))
    return number + DECIMAL_SEPARATOR[language] + fraction if fraction else number


def _at_least_two(written: str, source: str) -> bool:
    """For French plurals: "1,5 million", "2 millions"."""
    integer, _, fraction = _RANGE_DASH.split(written)[-1].partition(DECIMAL_SEPARATOR[source])
    return float(re.sub(r"\D", "", integer) + "." + (fraction or "0")) >= 2


def _unit(written: str | None, language: str) -> str | None:
    return _form_key(UNITS, language, written) or written


def _is_label(before: str) -> bool:
    """A number right after a capitalized word names something: "Evenement 2"."""
    word = re.search(r"([\w'’-]+)\s*$", before)
    return bool(word) and _capitalized(word.group(1)) and word.group(1).casefold() not in CLAUSE_WORDS


def _same_stem(word: str, question_words: list[str]) -> bool:
    """A counted noun the question names, across languages: "partners", "partenaires"."""
    stem = _fold(word)[:4]
    return len(stem) == 4 and any(w[:4] == stem for w in question_words)


# --- Who, which, where -----------------------------------------------------------------

@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int
    opens: bool  # the first word of a clause


@dataclass(frozen=True)
class _Name:
    text: str
    first: int  # token index


def _names_answer(kind: str, question: str, asker: str, text: str, language: str) -> str | None:
    folded = _fold(question)
    asked_words = set(_words(folded))
    asked_places = {_fold(n) for names in PLACES if any(_has_phrase(folded, n) for n in names)
                    for n in names}

    def new(name: str) -> bool:
        """Not the question's topic: its last word and, for a place, all its spellings."""
        return _words(_fold(name))[-1] not in asked_words and _fold(name) not in asked_places

    country = _country_asked(folded, asker)
    if country:
        listed = [n for n in _names_after_country(text, country) if new(n)]
        if listed:
            return _listed(listed, asker)
    tokens = _tokens(text)
    names = [n for n in _names(text, tokens, language) if new(n.text)]
    if kind == "who":
        agents = _agent_phrases(tokens, language)
        if agents:
            names = [n for n in names if any(a <= n.first < b for a, b in agents)]
    elif kind == "where":
        names = [n for n in names if _after_locative(tokens, n.first, language)] or names
    return _listed([n.text for n in names], asker)


def _listed(names: list[str], language: str) -> str | None:
    """"A", "A en B", "A, B en C"; None for none or too many."""
    unique = list(dict.fromkeys(names))
    if not unique or len(unique) > MAX_NAMES:
        return None
    if len(unique) == 1:
        return unique[0]
    return f"{', '.join(unique[:-1])} {AND[language]} {unique[-1]}"


def _country_asked(folded_question: str, language: str) -> tuple[str, ...] | None:
    """The country a question names or qualifies: "Pays-Bas", "néerlandaises", "Noorse"."""
    words = _words(folded_question)
    for names, stems in COUNTRIES:
        stem = stems[language]
        if any(_has_phrase(folded_question, n) for n in names) or any(
                w.startswith(stem) and len(w) - len(stem) <= ADJECTIVE_SUFFIX for w in words):
            return names
    return None


def _names_after_country(text: str, country: tuple[str, ...]) -> list[str]:
    """The names in the parenthesis after the country: "Nederland (Amsterdam en Eindhoven)"."""
    for name in country:
        match = re.search(rf"(?<!\w){re.escape(name)}\s*\(([^()]*)\)", text)
        if match:
            inside = match.group(1)
            tokens = _tokens(inside)
            return [inside[tokens[i].start : tokens[j - 1].end] for i, j in _groups(tokens)
                    if not tokens[j - 1].text.endswith("-")]
    return []


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        previous = tokens[-1] if tokens else None
        # A clause opens after a mark, a new line, or numbers only: "13:00 Inloop, koffie".
        opens = (previous is None or previous.text in CLAUSE_MARKS
                 or "\n" in text[previous.end : match.start()]
                 or (previous.opens and not previous.text[0].isalpha()))
        tokens.append(_Token(match.group(), match.start(), match.end(), opens))
    return tokens


def _groups(tokens: list[_Token]) -> list[tuple[int, int]]:
    """Token ranges of capitalized words, with a number after ("Platform 31") or particles
    between ("Noodplan voor Huisvesting"); a clause start ends a run."""
    groups = []
    i = 0
    while i < len(tokens):
        if not _capitalized(tokens[i].text):
            i += 1
            continue
        j = i + 1
        while j < len(tokens) and not tokens[j].opens:
            numbered = tokens[j].text.isdigit() and _capitalized(tokens[j - 1].text)
            if _capitalized(tokens[j].text) or numbered:
                j += 1
                continue
            k = j
            while k < len(tokens) and k - j < MAX_PARTICLES and tokens[k].text in PARTICLES:
                k += 1
            if (k == j or k == len(tokens) or tokens[k].opens or not _capitalized(tokens[k].text)
                    or tokens[j - 1].opens):  # "Lees het NETCO-rapport": a verb opens the clause
                break
            j = k
        groups.append((i, j))
        i = j
    return groups


def _names(text: str, tokens: list[_Token], language: str) -> list[_Name]:
    """Capitalized runs that are names, without the clause words that open a sentence."""
    names = []
    for i, j in _groups(tokens):
        while j - i > 1 and _is_adjective(tokens, j - 1, language):
            j -= 1  # "Opkomende Europese modellen"
        first = i
        if tokens[i].opens:
            while first < j and tokens[first].text.casefold() in CLAUSE_WORDS | PARTICLES:
                first += 1
            if first == i and not _is_name_alone(tokens[i:j]):
                continue  # "Uitgebreide informatie", "Evenement 1": an ordinary first word
        if j - first == 1 and tokens[first].text.casefold() in CLAUSE_WORDS:
            continue  # "Het" after a missing full stop
        words = [t.text for t in tokens[first:j] if _capitalized(t.text)]
        if not words or all(_fold(w) in _MONTH_NAMES for w in words):
            continue
        if j - first == 1 and (words[0].endswith("-") or _is_adjective(tokens, first, language)):
            continue  # "Noord-" of "Noord-, Zuid- en Oost-Europa"; "Haagse corporaties"
        names.append(_Name(text[tokens[first].start : tokens[j - 1].end], first))
    return names


def _is_name_alone(group: list[_Token]) -> bool:
    """A clause's first word is a name when another capitalized word follows, or when it is
    an acronym or a known place."""
    word = group[0].text
    return (sum(_capitalized(t.text) for t in group) > 1 or _acronym(word)
            or any(_fold(word) == _fold(n) for names in PLACES for n in names))


def _is_adjective(tokens: list[_Token], index: int, language: str) -> bool:
    word = tokens[index].text
    following = tokens[index + 1].text if index + 1 < len(tokens) else ""
    endings = ADJECTIVE_ENDINGS[language]
    return (bool(endings) and not _acronym(word) and _fold(word).endswith(endings)
            and following[:1].islower() and following not in CONNECTORS)


def _agent_phrases(tokens: list[_Token], language: str) -> list[tuple[int, int]]:
    """Token ranges after "door" / "par" / "by", up to the next punctuation."""
    phrases = []
    for i, token in enumerate(tokens):
        if token.text.casefold() == AGENTS[language]:
            end = i + 1
            while end < len(tokens) and tokens[end].text[0].isalnum() and not tokens[end].opens:
                end += 1
            phrases.append((i + 1, end))
    return phrases


def _after_locative(tokens: list[_Token], index: int, language: str) -> bool:
    """Right after "in" / "à" / "at", maybe with an article between: "in de Stroomversnelling"."""
    before = [t.text.casefold() for t in tokens[max(0, index - 2) : index]]
    if not before:
        return False
    if before[-1] in LOCATIVES[language]:
        return True
    return len(before) == 2 and before[1] in ARTICLES and before[0] in LOCATIVES[language]


def _capitalized(word: str) -> bool:
    return word[:1].isupper()


def _acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


# --- Patterns and helpers --------------------------------------------------------------

_TOKEN = re.compile(r"(?:qu|[cdjlmnst])['’](?=\w)|\w+(?:[-'’.]\w+)*-?|[^\w\s]", re.IGNORECASE)
_YEAR = r"(?:19|20)\d\d"
_RANGE_DASH = re.compile(r"\s?[-–]\s?")
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:er|st|nd|rd|th)?"


def _fold(text: str) -> str:
    """Lowercase, no accents, one kind of apostrophe: to compare words across spellings."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_MONTH_NAMES = frozenset(_fold(m) for months in MONTHS.values() for m in months)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _has_phrase(folded_text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(_fold(name))}(?!\w)", folded_text) is not None


def _verbatim(span: str) -> str:
    return " ".join(span.split())


def _without_heading(sentence: str) -> str:
    """Drop the all-caps heading a quote may start with: "HOELANG DUURDE DE REIS? 4 dagen"."""
    tokens = _tokens(sentence)
    words = heading = 0
    for token in tokens:
        if _acronym(token.text):
            words += 1
        elif token.text[0].isalnum():
            break
        heading += 1
    if words < 2:
        return sentence
    return sentence[tokens[heading].start :] if heading < len(tokens) else ""


def _alternation(forms) -> str:
    """A regex matching any of the forms, longest first, any spacing and apostrophe."""
    ordered = sorted(set(forms), key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(w).replace("'", "['’]") for w in f.split()) for f in ordered)


def _normal(form: str) -> str:
    return " ".join(_fold(form).split())


def _form_key(table: dict[str, dict[str, tuple[str, ...]]], language: str,
              written: str | None) -> str | None:
    """The key of the table row whose forms in the language include the written one."""
    if written is None:
        return None
    return next((key for key, forms in table.items()
                 if _normal(written) in {_normal(f) for f in forms[language]}), None)


def _form_index(rows, written: str) -> int:
    return next(i for i, forms in enumerate(rows) if _normal(written) in {_normal(f) for f in forms})


@lru_cache(maxsize=None)
def _phrases(forms: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{_alternation(forms)})", re.IGNORECASE)


def _at_end(text: str, pattern: re.Pattern[str]) -> re.Match[str] | None:
    """The pattern's match that ends the text (but for spaces)."""
    return next((m for m in pattern.finditer(text) if not text[m.end() :].strip()), None)


@lru_cache(maxsize=None)
def _quantity_modifiers(language: str) -> re.Pattern[str]:
    return _phrases(tuple(f for forms in QUANTITY_MODIFIERS.values() for f in forms[language]))


@lru_cache(maxsize=None)
def _date_pattern(language: str) -> re.Pattern[str]:
    months = _alternation(MONTHS[language])
    if language == "en":
        months = f"(?-i:{months})"  # "may" and "march" are words too
    seasons = _alternation(f for forms in SEASONS[language] for f in forms)
    modifiers = _alternation(f for forms in DATE_MODIFIERS.values() for f in forms[language])
    # English also writes "September 23, 2014".
    month_day = (rf"(?P<md_month>{months})\s+(?P<md_day>{_DAY}),?(?:\s+(?P<md_year>{_YEAR}))?|"
                 if language == "en" else "")
    return re.compile(
        rf"(?<!\w)(?:(?P<season>{seasons})(?:\s+(?:van|of))?\s+(?P<season_year>{_YEAR})"
        rf"|(?:(?P<modifier>{modifiers})\s*)?"
        rf"(?:{month_day}(?:(?P<day>{_DAY})\s+)?(?P<month>{months})(?:\s+(?P<year>{_YEAR}))?"
        rf"|(?P<year_only>{_YEAR})))(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=None)
def _clock_pattern(language: str) -> re.Pattern[str]:
    separators = re.escape(CLOCK_SEPARATORS[language])
    return re.compile(
        rf"(?<![\w.,:])(?P<hour>[01]?\d|2[0-3])"
        rf"(?:[{separators}](?P<minute>[0-5]\d)|\s?(?:{_alternation(HOUR_WORDS[language])}))"
        rf"(?!\w|[.,:]\d)", re.IGNORECASE)


@lru_cache(maxsize=None)
def _quantity_pattern(language: str) -> re.Pattern[str]:
    # Thousands and decimal separators as read (French groups with spaces or dots).
    thousands, decimal = {"nl": (r"\.", ","), "fr": (r"[ \u00a0\u202f.]", ","),
                          "en": (",", r"\.")}[language]
    single = rf"(?:\d{{1,3}}(?:{thousands}\d{{3}})+(?:{decimal}\d+)?|\d+(?:{decimal}\d+)?)"
    number = rf"{single}(?:\s?[-–]\s?{single})?"  # "3-5 minuten"
    modifiers = _alternation(f for forms in QUANTITY_MODIFIERS.values() for f in forms[language])
    scales = _alternation(f for forms in SCALES.values() for f in forms[language])
    units = _alternation([f for forms in UNITS.values() for f in forms[language]] + list(NEUTRAL_UNITS))
    return re.compile(
        rf"(?<![\w.,-])(?:(?P<modifier>{modifiers})\s+)?(?P<euro>€\s?)?"
        rf"(?:(?P<number>{number})|(?P<word>{_alternation(NUMBER_WORDS[language])}))(?!\w|[.,]\d|-\w)"
        rf"(?:\s+(?P<scale>{scales}))?(?:\s?(?P<unit>{units})(?!\w))?", re.IGNORECASE)
