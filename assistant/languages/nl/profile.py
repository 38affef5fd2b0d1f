"""Dutch."""

from assistant.languages.profile import Profile

PROFILE = Profile(
    code="nl",
    stemmer="dutch",
    stopwords="STOPWORDS_DUTCH",
    punkt="dutch",
    question_words={
        "clock": ("hoe laat",),
        "when": ("wanneer",),
        "duration": ("hoe lang", "hoelang"),
        "count": ("hoeveel",),
        "who": ("wie",),
        "where": ("waar",),
        "which": ("welke", "welk", "wat"),
        "other": ("waarom", "hoe"),
    },
    date_questions=("welke datum", "welk jaar"),
    time_nouns=frozenset("datum dag jaar maand periode".split()),
    clock_nouns=frozenset("uur tijdstip".split()),
    entity_nouns=frozenset("""
        stad steden gemeente gemeenten gemeentes land landen organisatie organisaties instelling
        instellingen instantie instanties partner partners lid leden initiatief initiatieven
        project projecten persoon personen bedrijf bedrijven stichting stichtingen vereniging
        verenigingen corporatie corporaties regio provincie website
    """.split()),
    follow_up_openers=("en", "maar", "ook", "en wat"),
    back_references=("dat", "dit", "die", "daar", "ze", "zij", "hij", "het project", "ervan",
                     "daarvan"),
    asking_words=tuple("""
        wat wie wiens waar wanneer welk welke waarom hoe vertel iets over uitleg leg uit
        doet deed kan kunnen zou zouden veel hoeveel
    """.split()),
    months=("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
            "september", "oktober", "november", "december"),
    seasons=(("voorjaar", "lente"), ("zomer",), ("najaar", "herfst"), ("winter",)),
    season_year_joiners=("van",),
    date_modifiers={"early": ("begin", "begin van"),
                    "late": ("eind", "einde", "eind van", "einde van"),
                    "mid": ("midden", "half", "medio"),
                    "during": ("in de loop van",)},
    range_words=("van", "tot"),
    range_from=("van", "vanaf"),
    range_to=("tot en met", "tot", "t/m"),
    open_ends={"from": ("vanaf",), "since": ("sinds", "sedert"), "until": ("tot en met", "tot")},
    clock_separators=":.u",
    hour_words=("uur",),
    clock_joiners=("om",),
    articles=("de", "het"),
    quantity_modifiers={"more": ("meer dan", "ruim"),
                        "about": ("ongeveer", "circa", "ca.", "zo'n", "rond de"),
                        "nearly": ("bijna", "nagenoeg"),
                        "at_least": ("minstens", "ten minste", "tenminste", "minimaal"),
                        "less": ("minder dan",),
                        "at_most": ("hoogstens", "maximaal")},
    number_words=("twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien", "elf",
                  "twaalf"),
    thousands=".",
    decimal=",",
    thousands_read=r"\.",
    scales={"million": ("miljoen",), "billion": ("miljard",)},
    units={"percent": ("%", "procent"), "euro": ("€", "euro")},
    unit_formats={"percent": "{}%", "euro": "€ {}"},
    # Singular, plural ("4 jaar", not "jaren"), then other forms read.
    durations={"minute": ("minuut", "minuten"), "hour": ("uur", "uur", "uren"),
               "day": ("dag", "dagen"), "week": ("week", "weken"), "month": ("maand", "maanden"),
               "year": ("jaar", "jaar", "jaren")},
    and_word="en",
    clause_words=frozenset("""
        de het een deze dit die dat op in van voor met bij naar om er zo ook alle daar hier zij
        wij we u tot tijdens volgens na door via sinds vanaf dankzij en of maar
    """.split()),
    # "von": German names are written so in Dutch text too.
    particles=frozenset("van de der het voor von".split()),
    connectors=frozenset("en of".split()),
    adjective_endings=("se", "sche"),
    locatives=frozenset("in te op bij naar uit".split()),
    agent="door",
    countries={"NL": ("Nederland", "nederlands"), "BE": ("België", "belgisch"),
               "DE": ("Duitsland", "duits"), "FR": ("Frankrijk", "frans"),
               "ES": ("Spanje", "spaans"), "PT": ("Portugal", "portuge"),
               "IT": ("Italië", "italiaans"), "GR": ("Griekenland", "grieks"),
               "HR": ("Kroatië", "kroatisch"), "SI": ("Slovenië", "sloveens"),
               "RO": ("Roemenië", "roemeens"), "NO": ("Noorwegen", "noors"),
               "GB": ("Verenigd Koninkrijk", "brits"), "AT": ("Oostenrijk", "oostenrijks"),
               "SE": ("Zweden", "zweeds"), "DK": ("Denemarken", "deens"),
               "PL": ("Polen", "pools"), "LU": ("Luxemburg", "luxemburgs"),
               "CH": ("Zwitserland", "zwitsers"), "IE": ("Ierland", "iers"),
               "FI": ("Finland", "fins")},
    places={"flanders": "Vlaanderen", "wallonia": "Wallonië", "brussels": "Brussel",
            "europe": "Europa", "antwerp": "Antwerpen", "ghent": "Gent", "liege": "Luik",
            "leuven": "Leuven", "bruges": "Brugge", "the_hague": "Den Haag",
            "berlin": "Berlijn", "lisbon": "Lissabon", "turin": "Turijn",
            "strasbourg": "Straatsburg", "barcelona": "Barcelona",
            "thessaloniki": "Thessaloniki", "london": "Londen", "paris": "Parijs",
            "athens": "Athene", "cologne": "Keulen"},
)
