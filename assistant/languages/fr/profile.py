"""French."""

from assistant.languages.profile import Profile


def _day(day: int) -> str:
    return "1er" if day == 1 else str(day)


def _before(word: str, phrase: str) -> str:
    """Contraction and elision: "du printemps", "d'avril", "à partir d'octobre"."""
    if phrase.startswith("le "):
        for preposition, contracted in (("de", "du"), ("à", "au")):
            if word.endswith(preposition):
                return word[: -len(preposition)] + contracted + phrase[2:]
    if word.endswith("de") and phrase[:1] in "aeiouéâ":
        return word[:-1] + "'" + phrase
    return f"{word} {phrase}"


PROFILE = Profile(
    code="fr",
    stemmer="french",
    stopwords="STOPWORDS_FRENCH",
    punkt="french",
    question_words={
        "clock": ("à quelle heure", "a quelle heure"),
        "when": ("quand",),
        # before "combien": how long, not how many
        "duration": ("combien de temps",),
        "count": ("combien",),
        "who": ("qui",),
        "where": ("où",),
        "which": ("quel", "quels", "quelle", "quelles"),
        "other": ("pourquoi", "comment", "que", "qu", "quoi"),
    },
    date_questions=("quelle date", "quelle année", "en quelle année"),
    time_nouns=frozenset("date jour annee mois".split()),
    clock_nouns=frozenset("heure".split()),
    entity_nouns=frozenset("""
        ville villes commune communes pays organisation organisations organisme organismes
        institution institutions partenaire partenaires membre membres initiative initiatives
        projet projets personne personnes entreprise entreprises association associations
        fondation fondations region regions province provinces site
    """.split()),
    follow_up_openers=("et", "mais", "aussi", "et pour", "et à", "et en"),
    back_references=("ça", "cela", "ceci", "il", "elle", "ils", "elles", "y", "celui", "celle",
                     "ce projet"),
    asking_words=tuple("""
        quoi qui quel quelle quels quelles où quand pourquoi comment combien parlez parle dites
        dis explique expliquez peut peux pouvez fait
    """.split()),
    months=("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
            "septembre", "octobre", "novembre", "décembre"),
    # Read only with a year: alone, "été" is also "been".
    seasons=(("le printemps", "printemps"), ("l'été", "été"), ("l'automne", "automne"),
             ("l'hiver", "hiver")),
    season_year_joiners=(),
    date_modifiers={"early": ("début",), "late": ("fin",), "mid": ("mi-",),
                    "during": ("courant",)},
    range_words=("de", "à"),
    range_from=("de", "d'", "du", "depuis"),
    range_to=("jusqu'à", "jusqu'au", "à", "au"),
    open_ends={"from": ("à partir de", "à partir d'", "dès"), "since": ("depuis",),
               "until": ("jusqu'à", "jusqu'au", "jusqu'en")},
    clock_separators=":h",
    hour_words=("heures", "heure", "h"),
    clock_joiners=("à",),
    articles=("le", "la", "les", "l'"),
    quantity_modifiers={"more": ("plus de", "plus d'"), "about": ("environ", "quelque"),
                        "nearly": ("près de", "presque"), "at_least": ("au moins", "au minimum"),
                        "less": ("moins de", "moins d'"), "at_most": ("au plus", "au maximum")},
    number_words=("deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
                  "douze"),
    thousands=" ",
    decimal=",",
    thousands_read=r"[ \u00a0\u202f.]",  # spaces (also narrow, unbreakable) or dots
    scales={"million": ("million", "millions"), "billion": ("milliard", "milliards")},
    units={"percent": ("%", "pour cent"), "euro": ("€", "euros", "euro")},
    unit_formats={"percent": "{} %", "euro": "{} €"},
    # Not "h": "14 h" is a time of day.
    durations={"minute": ("minute", "minutes"), "hour": ("heure", "heures"),
               "day": ("jour", "jours"), "week": ("semaine", "semaines"),
               "month": ("mois", "mois"), "year": ("an", "ans", "année", "années")},
    and_word="et",
    clause_words=frozenset("""
        le la les l' un une des du ce cet cette ces à au aux en dans pour par sur avec chez selon
        pendant après avant depuis grâce et ou mais il elle ils elles nous vous on
    """.split()),
    particles=frozenset("du des la le".split()),
    connectors=frozenset("et ou".split()),
    adjective_endings=(),
    locatives=frozenset("à au aux en dans chez".split()),
    agent="par",
    countries={"NL": ("Pays-Bas", "neerlandais"), "BE": ("Belgique", "belge"),
               "DE": ("Allemagne", "allemand"), "FR": ("France", "francais"),
               "ES": ("Espagne", "espagnol"), "PT": ("Portugal", "portugais"),
               "IT": ("Italie", "italien"), "GR": ("Grèce", "grec"),
               "HR": ("Croatie", "croate"), "SI": ("Slovénie", "slovene"),
               "RO": ("Roumanie", "roumain"), "NO": ("Norvège", "norvegien"),
               "GB": ("Royaume-Uni", "britannique"), "AT": ("Autriche", "autrichien"),
               "SE": ("Suède", "suedois"), "DK": ("Danemark", "danois"),
               "PL": ("Pologne", "polonais"), "LU": ("Luxembourg", "luxembourgeois"),
               "CH": ("Suisse", "suisse"), "IE": ("Irlande", "irlandais"),
               "FI": ("Finlande", "finlandais")},
    places={"flanders": "Flandre", "wallonia": "Wallonie", "brussels": "Bruxelles",
            "europe": "Europe", "antwerp": "Anvers", "ghent": "Gand", "liege": "Liège",
            "leuven": "Louvain", "bruges": "Bruges", "the_hague": "La Haye",
            "berlin": "Berlin", "lisbon": "Lisbonne", "turin": "Turin",
            "strasbourg": "Strasbourg", "barcelona": "Barcelone",
            "thessaloniki": "Thessalonique", "london": "Londres", "paris": "Paris",
            "athens": "Athènes", "cologne": "Cologne"},
    day=_day,
    before=_before,
)
