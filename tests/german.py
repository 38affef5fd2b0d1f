"""A small German profile and its strings, registered by tests/test_extra_language.py: what a
new language brings (it would live in assistant/languages/de/profile.py and strings.py).

Only the answers' and the API's strings are translated; the chat's, the widget's and the
privacy page's are the English ones, to keep the test's language small.
"""

from dataclasses import replace

from assistant.languages import strings
from assistant.languages.profile import Profile

PROFILE = Profile(
    code="de",
    stemmer="german",
    stopwords="STOPWORDS_GERMAN",
    punkt="german",
    question_words={
        "clock": ("um wie viel uhr", "wann genau"),
        "when": ("wann", "seit wann"),
        "duration": ("wie lange",),
        "count": ("wie viele", "wie viel"),
        "who": ("wer", "wem"),
        "where": ("wo", "wohin"),
        # Not "was": it is an English word too, and every profile's words are read together.
        "which": ("welche", "welcher", "welches", "welchem"),
        "other": ("warum", "wie"),
    },
    date_questions=("welches datum", "welches jahr", "in welchem jahr"),
    time_nouns=frozenset("datum tag jahr monat zeitraum".split()),
    clock_nouns=frozenset("uhrzeit uhr".split()),
    entity_nouns=frozenset("""
        stadt stadte gemeinde gemeinden land lander organisation organisationen mitglied
        mitglieder projekt projekte person personen genossenschaft genossenschaften verein
    """.split()),
    follow_up_openers=("und", "aber", "und was"),
    # Only words no other profile uses: "er" and "die" are Dutch words too.
    back_references=("das", "dort", "davon"),
    asking_words=tuple("wer wem wo wann welche welcher welches warum wie erzahl erklar".split()),
    months=("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
            "Oktober", "November", "Dezember"),
    seasons=(("Frühjahr", "Frühling"), ("Sommer",), ("Herbst",), ("Winter",)),
    season_year_joiners=(),
    date_modifiers={"early": ("Anfang",), "late": ("Ende",), "mid": ("Mitte",),
                    "during": ("im Laufe des", "im Laufe von")},
    range_words=("von", "bis"),
    range_from=("von", "ab"),
    range_to=("bis",),
    open_ends={"from": ("ab",), "since": ("seit",), "until": ("bis",)},
    clock_separators=":.",
    hour_words=("Uhr",),
    clock_joiners=("um",),
    articles=("der", "dem"),
    quantity_modifiers={"more": ("mehr als", "über"), "about": ("etwa", "rund", "ungefähr"),
                        "nearly": ("fast", "beinahe"), "at_least": ("mindestens",),
                        "less": ("weniger als",), "at_most": ("höchstens",)},
    number_words=("zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn",
                  "elf", "zwölf"),
    thousands=".",
    decimal=",",
    thousands_read=r"\.",
    scales={"million": ("Million", "Millionen"), "billion": ("Milliarde", "Milliarden")},
    units={"percent": ("%", "Prozent"), "euro": ("€", "Euro")},
    unit_formats={"percent": "{} %", "euro": "{} €"},
    durations={"minute": ("Minute", "Minuten"), "hour": ("Stunde", "Stunden"),
               "day": ("Tag", "Tage", "Tagen"), "week": ("Woche", "Wochen"),
               "month": ("Monat", "Monate", "Monaten"), "year": ("Jahr", "Jahre", "Jahren")},
    and_word="und",
    clause_words=frozenset("""
        der die das ein eine im am auf für mit von zu nach seit bei und oder aber wir sie
    """.split()),
    particles=frozenset("von zu".split()),
    connectors=frozenset("und oder".split()),
    adjective_endings=("ische", "isch"),
    locatives=frozenset("in im bei nach aus".split()),
    agent="von",
    countries={"NL": ("Niederlande", "niederland"), "BE": ("Belgien", "belgisch"),
               "DE": ("Deutschland", "deutsch"), "FR": ("Frankreich", "franzosisch"),
               "ES": ("Spanien", "spanisch"), "PT": ("Portugal", "portugies"),
               "IT": ("Italien", "italienisch"), "GR": ("Griechenland", "griechisch"),
               "HR": ("Kroatien", "kroatisch"), "SI": ("Slowenien", "slowenisch"),
               "RO": ("Rumänien", "rumanisch"), "NO": ("Norwegen", "norwegisch"),
               "GB": ("Vereinigtes Königreich", "britisch"), "AT": ("Österreich", "osterreich"),
               "SE": ("Schweden", "schwedisch"), "DK": ("Dänemark", "danisch"),
               "PL": ("Polen", "polnisch"), "LU": ("Luxemburg", "luxemburg"),
               "CH": ("Schweiz", "schweizer"), "IE": ("Irland", "irisch"),
               "FI": ("Finnland", "finnisch")},
    places={"flanders": "Flandern", "wallonia": "Wallonien", "brussels": "Brüssel",
            "europe": "Europa", "antwerp": "Antwerpen", "ghent": "Gent", "liege": "Lüttich",
            "leuven": "Löwen", "bruges": "Brügge", "the_hague": "Den Haag",
            "berlin": "Berlin", "lisbon": "Lissabon", "turin": "Turin",
            "strasbourg": "Straßburg", "barcelona": "Barcelona",
            "thessaloniki": "Thessaloniki", "london": "London", "paris": "Paris",
            "athens": "Athen", "cologne": "Köln"},
    day=lambda day: f"{day}.",
)

STRINGS = replace(
    strings("en"),
    endonym="Deutsch",
    language_names={"nl": "Niederländisch", "fr": "Französisch", "en": "Englisch",
                    "de": "Deutsch"},
    answer={
        "framing": "Das sagen die Dokumente der Wissensdatenbank:",
        "source_language": "Die Zitate sind auf {source}, der Sprache der Quelle.",
        "refusal": "Die Wissensdatenbank enthält keine Antwort auf diese Frage. {referral}",
        "empty": "Stellen Sie eine Frage zum Wohnen, zum Beispiel zum genossenschaftlichen Wohnen.",
        "too_long": "Ihre Frage ist zu lang (höchstens {limit} Zeichen). Bitte kürzen Sie sie.",
        "no_words": "Ich finde keine Wörter in Ihrer Frage. Bitte stellen Sie sie als Text.",
        "dated": "Diese Antwort stützt sich auf Dokumente von {years}; seitdem kann sich etwas "
                 "geändert haben.",
    },
    api={
        "rate_limited": "Zu viele Fragen hintereinander. Versuchen Sie es in {seconds} Sekunden "
                        "erneut.",
        "busy": "Der Assistent ist gerade ausgelastet. Versuchen Sie es in ein paar Sekunden "
                "erneut.",
        "forbidden_origin": "Der Assistent ist auf dieser Website nicht aktiviert.",
        "body_too_large": "Die Anfrage ist zu groß (höchstens {limit} Bytes).",
        "malformed_json": "Die Anfrage ist kein gültiges JSON.",
        "invalid": "Ungültige Anfrage: {detail}",
        "history": "Zu viele frühere Nachrichten (höchstens {limit}).",
        "last_not_user": "Die letzte Nachricht muss eine Frage des Nutzers sein.",
        "not_found": "Diese Seite gibt es nicht.",
        "unauthorized": "Diese Seite verlangt einen gültigen Zugangsschlüssel.",
        "loading": "Der Assistent startet. Versuchen Sie es gleich noch einmal.",
        "internal": "Bei uns ist etwas schiefgegangen. Versuchen Sie es später erneut.",
    },
)
