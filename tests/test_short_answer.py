"""Short answers from language-neutral spans: names, dates and numbers in the asker's language.

The Dutch and English sentences are quoted from the seed corpus (corpus/), the French ones
from ../shared/train/housing-qa.jsonl (its document id beside each); the questions are
written here.
"""

from __future__ import annotations

import pytest

from assistant.answer.short_answer import short_answer
from assistant.search.question import question_kind

NETCO_PERIOD = (
    "Het project NETCO (Network of Cities for Collaborative Housing) liep van mei 2022 tot april "
    "2024 en had op korte termijn tot doel steden, lokale actoren en individuen die geïnteresseerd "
    "zijn in het “collaborative housing”-model te mobiliseren om ideeën uit te wisselen en sociale "
    "inclusie en participatie aan te kaarten via een praktijkgerichte aanpak.")
NETCO_CITIES = (
    "Tot de deelnemende steden behoorden: Spanje (Barcelona, fungerend als coördinator), Duitsland "
    "(Id22 – Berlijn en Dresden), Portugal (Lissabon), Griekenland (Thessaloniki), Nederland "
    "(Amsterdam en Eindhoven), Frankrijk (Grand Lyon en Straatsburg), Kroatië (Zagreb), Roemenië "
    "(Cluj), België (Brussels Hoofdstedelijk Gewest / Brussel Huisvesting), Slovenië (Ljubljana), "
    "Italië (Turijn en Bologna), Verenigd Koninkrijk en Noorwegen (Oslo).")
NETCO_PARTNERS = "NETCO werd geïntegreerd door tien EU- en twee niet-EU-landen, via 16 partners."
NETCO_WEBINAR = (
    "Evenement 1 (Online, 2022): Georganiseerd door de stad Barcelona, richtte dit webinar zich op "
    "“collaborative housing” als een belangrijk lokaal beleid tijdens COVID-19.")
PRESSURE_COOKER = (
    "Op 23 september organiseren DRIFT en Platform 31 een Transitie Pressure Cooker voor "
    "bestuurders en beleidsmakers, waarmee we handvatten aanreiken om deze uitdagingen het hoofd "
    "te bieden en gezamenlijk doorbraakstrategieën te ontwikkelen voor een toekomstbestendige "
    "sociale huisvesting.")
PRESSURE_COOKER_DAY = "23 september 2014 van 13.00 – 18.00 met aansluitend een diner."
CLOSING = "20:00 Afsluiting met koffie"
SEMINAR_DATE = ("Op 5 oktober 2002 werd een seminar georganiseerd om samen met de partners te werken "
                "op de volgende punten:")
SEMINAR_SUCCESS = (
    "Met meer dan 80 deelnemers uit diensten van verschillende gemeentes, gewestelijke instellingen "
    "zoals Brussel Huisvesting en de BGHM alsook ondersteunende diensten, is het eerste seminar over "
    "de huisvestingsovereenkomsten een echt succes geworden!")
SEMINAR_PANELS = (
    "Nadat de doelstellingen van het seminar gekaderd werden binnen de 33 acties van het Noodplan "
    "voor Huisvesting, werden de aanwezigen uitgenodigd om deel te nemen aan discussiepanels over "
    "uiteenlopende thema’s, zoals het delen van gevoelige gegevens, ongezonde woningen of de "
    "socialisering van openbare woningen, die telkens geanimeerd werden door experten en technici.")
WORKING_MEETINGS = (
    "Vanaf januari 2022 organiseert de Coördinatiecel van het Noodplan voor Huisvesting, samen met "
    "de gemeentes, werkvergaderingen op het terrein.")
TRAJECTORY = "Het leertraject start op in het najaar van 2022 en zal lopen tot eind 2024."
PROGRAMME = "In de loop van oktober zetten we het programma voor dit eerste leermoment online."
GUIDANCE = "Zij krijgen tot eind 2024 begeleiding op maat van hun specifieke en concrete noden."
NETWORK_MOMENTS = (
    "Concreet zullen er vijf netwerkmomenten georganiseerd worden, waaraan andere steden en "
    "gemeenten, intergemeentelijke samenwerkingsverbanden en ook geïnteresseerde burgers en "
    "initiatiefnemers kunnen deelnemen.")
FESTIVAL_VENUE = "Festival locatie van het International Housing Festival in Barcelona"
TRAVELLERS = "HOEVEEL PERSONEN HEBBEN DE REIS GEMAAKT 2"
MET = ("Circa 2000 professionals op gebied van sociale huisvesting, waaronder corporaties, "
       "bestuurders van gemeenten, regio's en landen, ambtenaren en vertegenwoordigers van "
       "gemeenten en ministeries en publieke organen rond volkshuisvesting")
DELEGATION = (
    "Het doel was om door het bijwonen van het International Social Housing Festival kennis op te "
    "doen en uit te wisselen op gebied van sociale huisvesting en gezamenlijk met een delegatie van "
    "de Haagse corporaties een aantal voorbeelden te laten zien en bij te dragen aan de discussies.")
ZERO_ENERGY = (
    "Zo werken een aantal vooruitstrevende woningbouwcorporaties en bouwers in de Stroomversnelling "
    "aan ‘nul-op-de-meter woningen’; woningen die minstens evenveel energie opwekken als dat er "
    "wordt verbruikt waardoor de energierekening nul is.")
SPEAKER = "14:00 Transitieperspectief op een toekomstbestendige sociale huisvesting door Derk Loorbach"
TRIP_LENGTH = "HOELANG DUURDE DE REIS? 4 dagen"

# French sources, from ../shared/train/housing-qa.jsonl.
OFFICE_HOURS = (  # fl-042
    "Permanences à Vilvorde le mardi de 14 h à 17 h et à Hal le jeudi de 9 h à 12 h.")
ZERO_EMISSION = (  # eu-042
    "- tous les nouveaux bâtiments devront être à émissions nulles à partir de 2030, dès 2028 "
    "pour les bâtiments publics ;")
RENOVATION_DUTY = (  # fl-036
    "Depuis le 1er janvier 2023, toute personne qui acquiert un bâtiment résidentiel en Flandre "
    "dont le certificat de performance énergétique (EPC) affiche un label E ou F doit le rénover.")
BUILDING_PERMIT = "Le permis d'urbanisme a été délivré en juin 2024."  # bx-046
REST_HOME = (  # bx-019
    "À Schaerbeek, une ancienne maison de repos de la rue Royale Sainte-Marie a accueilli pendant "
    "22 mois 34 personnes, dont 11 enfants, avant le début de sa rénovation en logements sociaux.")
RENEWAL = (  # bx-037
    "La SLSP vous envoie chaque année un courrier de renouvellement ; vous disposez de 30 jours "
    "pour y répondre, faute de quoi votre candidature est radiée.")
STUDY_VISIT_FUNDING = (  # eu-033
    "Le voyage a été financé par Bruxelles Logement à hauteur de 70 %, le solde étant pris en "
    "charge par les organisations participantes.")
LARGE_FAMILIES_FUND = (  # bx-049
    "Le Fonds du Logement des familles nombreuses de Wallonie (FLW), installé à Charleroi, achète, "
    "rénove et construit des logements de grande taille qu'il loue à des familles avec au moins "
    "trois enfants à charge.")


def ask(question: str, language: str, sentence: str, sentence_language: str = "nl") -> str | None:
    return short_answer(question, language, sentence, sentence_language)


# --- When ------------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "language", "expected"), [
    ("Quand le projet NETCO s'est-il déroulé ?", "fr", "de mai 2022 à avril 2024"),
    ("When did the NETCO project run?", "en", "from May 2022 to April 2024"),
    ("Wanneer liep het project NETCO?", "nl", "van mei 2022 tot april 2024"),  # verbatim
])
def test_a_date_range_is_written_in_the_askers_language(question, language, expected):
    assert ask(question, language, NETCO_PERIOD) == expected


def test_a_single_date_gets_the_askers_month_name():
    assert ask("When does DRIFT hold its pressure cooker?", "en", PRESSURE_COOKER) == "23 September"
    assert ask("À quelle date le séminaire a-t-il eu lieu ?", "fr", SEMINAR_DATE) == "5 octobre 2002"


def test_seasons_modifiers_and_open_ends_are_localized_too():
    assert ask("When does the learning trajectory begin?", "en", TRAJECTORY) == "autumn 2022"
    assert ask("Quand commence le trajet ?", "fr", TRAJECTORY) == "l'automne 2022"
    assert ask("Wanneer begint het leertraject?", "nl", TRAJECTORY) == "najaar van 2022"
    assert ask("Quand le programme sera-t-il en ligne ?", "fr", PROGRAMME) == "courant octobre"
    assert ask("Until when is there guidance?", "en", GUIDANCE) == "until the end of 2024"
    assert ask("Jusqu'à quand ?", "fr", GUIDANCE) == "jusqu'à fin 2024"
    assert ask("Since when are there working meetings?", "en", WORKING_MEETINGS) == "from January 2022"


def test_french_elides_and_contracts_before_a_date():
    sentence = "Het loopt van april 2022 tot het voorjaar van 2024."
    assert ask("Quand ?", "fr", sentence) == "d'avril 2022 au printemps 2024"


def test_a_time_follows_its_date_and_a_time_question_gets_the_time():
    assert (ask("When is the pressure cooker?", "en", PRESSURE_COOKER_DAY)
            == "23 September 2014, from 13:00 to 18:00")
    assert ask("À quelle heure finit la session ?", "fr", CLOSING) == "20:00"
    assert ask("Hoe laat begint de sessie?", "nl", PRESSURE_COOKER_DAY) == "van 13.00 – 18.00"


def test_english_dates_are_read_in_either_order():
    sentence = "The meeting is on September 23, 2014 at 14:00."
    assert short_answer("Quand a lieu la réunion ?", "fr", sentence, "en") == "23 septembre 2014 à 14:00"


def test_a_when_question_on_a_sentence_without_a_date_gives_none():
    assert ask("When was the seminar a success?", "en", SEMINAR_SUCCESS) is None
    # "may" is a verb, not May, in an English sentence
    assert short_answer("When?", "en", "Tenants may ask for a reduction.", "en") is None


# --- French sources ------------------------------------------------------------------

@pytest.mark.parametrize(("question", "language", "sentence", "expected"), [
    ("À quelle heure sont les permanences ?", "fr", OFFICE_HOURS, "de 14 h à 17 h"),  # verbatim, "de" kept
    ("At what time is the office open?", "en", OFFICE_HOURS, "from 14:00 to 17:00"),
    ("Quand ?", "fr", ZERO_EMISSION, "à partir de 2030"),
])
def test_dutch_articles_do_not_strip_a_french_de(question, language, sentence, expected):
    """"de" is an article in Dutch only: "de 14 h à 17 h" keeps the opening of its range."""
    assert ask(question, language, sentence, "fr") == expected


def test_french_dates_are_written_in_the_askers_language():
    assert ask("Since when must a buyer renovate?", "en", RENOVATION_DUTY, "fr") == "since 1 January 2023"
    assert ask("Sinds wanneer moet een koper renoveren?", "nl", RENOVATION_DUTY, "fr") == "sinds 1 januari 2023"
    assert ask("When was the building permit issued?", "en", BUILDING_PERMIT, "fr") == "June 2024"
    assert ask("Wanneer werd de vergunning afgeleverd?", "nl", BUILDING_PERMIT, "fr") == "juni 2024"
    assert ask("When do all new buildings have to be zero-emission?", "en", ZERO_EMISSION, "fr") == "from 2030"


def test_french_durations_keep_their_unit():
    assert ask("How long did the old rest home house people?", "en", REST_HOME, "fr") == "22 months"
    assert ask("Combien de temps la maison a-t-elle accueilli des personnes ?", "fr",
               REST_HOME, "fr") == "22 mois"
    assert ask("Hoe lang heb ik om te antwoorden?", "nl", RENEWAL, "fr") == "30 dagen"
    assert ask("Combien de personnes la maison a-t-elle accueillies ?", "fr", REST_HOME, "fr") == "34"


def test_french_names():
    assert ask("Who paid for the study visit?", "en", STUDY_VISIT_FUNDING, "fr") == "Bruxelles Logement"
    assert ask("Where is the FLW based?", "en", LARGE_FAMILIES_FUND, "fr") == "Charleroi"


# --- How many --------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "language", "expected"), [
    ("Combien de participants le séminaire a-t-il réunis ?", "fr", "plus de 80"),
    ("How many people came to the seminar?", "en", "more than 80"),
    ("Hoeveel deelnemers had het seminar?", "nl", "meer dan 80"),
])
def test_a_count_keeps_its_localized_quantity_word(question, language, expected):
    assert ask(question, language, SEMINAR_SUCCESS) == expected


def test_number_words_and_approximations_are_localized():
    assert ask("How many network meetings are there?", "en", NETWORK_MOMENTS) == "five"
    assert ask("Combien de professionnels étaient présents ?", "fr", MET) == "environ 2000"


def test_among_several_numbers_the_one_whose_noun_the_question_names_is_chosen():
    assert ask("Combien de partenaires comptait NETCO ?", "fr", NETCO_PARTNERS) == "16"
    assert ask("How many countries were in NETCO?", "en", NETCO_PARTNERS) is None


def test_labels_dates_and_headings_are_no_counts():
    assert ask("How many cities took part?", "en", NETCO_WEBINAR) is None  # "Evenement 1", 2022
    assert ask("How many people made the trip?", "en", TRAVELLERS) == "2"


@pytest.mark.parametrize(("question", "language", "expected"), [
    ("Combien de temps a duré le voyage ?", "fr", "4 jours"),  # not "4": the unit is kept
    ("How long did the trip last?", "en", "4 days"),  # a duration question finds its duration
    ("Hoe lang duurde de reis?", "nl", "4 dagen"),
])
def test_a_duration_keeps_its_unit(question, language, expected):
    assert ask(question, language, TRIP_LENGTH) == expected


def test_a_count_keeps_a_unit_of_time():
    assert ask("How many days did the trip take?", "en", TRIP_LENGTH) == "4 days"


def test_separators_and_units_follow_the_askers_conventions():
    assert ask("How many homes?", "en", "Er komen 2.000 woningen bij.") == "2,000"
    assert (ask("Combien coûte le projet ?", "fr", "Het project kost ongeveer € 2,5 miljoen.")
            == "environ 2,5 millions €")
    assert ask("How much is social?", "en", "Ongeveer 7 procent is sociaal.") == "about 7%"


# --- Who, which, where -----------------------------------------------------------------

@pytest.mark.parametrize(("question", "language", "expected"), [
    ("Quelles villes néerlandaises faisaient partie de NETCO ?", "fr", "Amsterdam et Eindhoven"),
    ("Which Dutch cities were NETCO members?", "en", "Amsterdam and Eindhoven"),
    ("Which cities of the Netherlands joined NETCO?", "en", "Amsterdam and Eindhoven"),
    ("Welke Noorse stad was lid van NETCO?", "nl", "Oslo"),
    ("Quelle ville croate était membre ?", "fr", "Zagreb"),
    ("Which German partners took part?", "en", "Id22, Berlijn and Dresden"),
])
def test_cities_come_from_the_parenthesis_after_the_country_asked_about(question, language, expected):
    assert ask(question, language, NETCO_CITIES) == expected


def test_a_long_list_of_names_without_an_anchor_is_no_short_answer():
    assert ask("Which organisation in Berlin was part of NETCO?", "en", NETCO_CITIES) is None


def test_who_gives_the_organisations_not_named_in_the_question():
    assert (ask("Who organises the working meetings?", "en", WORKING_MEETINGS)
            == "Coördinatiecel van het Noodplan voor Huisvesting")
    assert ask("Qui organise la Transitie Pressure Cooker ?", "fr", PRESSURE_COOKER) == "DRIFT et Platform 31"
    assert ask("Which organisations took part in the seminar?", "en", SEMINAR_SUCCESS) == "Brussel Huisvesting and BGHM"


def test_who_prefers_the_agent_of_a_passive_sentence():
    assert ask("Who organised the first NETCO webinar?", "en", NETCO_WEBINAR) == "Barcelona"
    assert ask("Qui donne l'exposé de 14 heures ?", "fr", SPEAKER) == "Derk Loorbach"
    # the agent phrase holds no name ("door experten en technici"): no other name stands in
    assert ask("Qui animait les panels ?", "fr", SEMINAR_PANELS) is None


def test_where_prefers_a_place_after_a_locative():
    assert ask("Where was the festival?", "en", FESTIVAL_VENUE) == "Barcelona"


def test_which_initiative_finds_a_capitalized_name_mid_sentence():
    assert ask("Quelle initiative vise le zéro énergie ?", "fr", ZERO_ENERGY) == "Stroomversnelling"


def test_a_who_question_whose_names_are_all_in_the_question_gives_none():
    question = "Who organises the pressure cooker with DRIFT and Platform 31?"
    assert ask(question, "en", PRESSURE_COOKER) is None


def test_capitalized_adjectives_and_sentence_openers_are_no_names():
    # "Haagse corporaties" is an adjective; "International Social Housing Festival" is the topic
    assert ask("Wie ging er mee naar het festival?", "nl", DELEGATION) is None


# --- Questions of other kinds ----------------------------------------------------------

@pytest.mark.parametrize(("question", "language"), [
    ("Why did NETCO run from 2022 to 2024?", "en"),
    ("Pourquoi le premier webinaire a-t-il eu lieu en ligne ?", "fr"),
    ("How do I register for the webinar?", "en"),
    ("Hoe werkt het webinar van Barcelona?", "nl"),
    ("Quel était le thème du premier webinaire ?", "fr"),  # "which" about no name, date or time
    ("What is a webinar?", "en"),
    ("Was Barcelona the organiser?", "en"),
])
def test_questions_of_other_kinds_give_none(question, language):
    assert question_kind(question) is None
    assert ask(question, language, NETCO_WEBINAR) is None


@pytest.mark.parametrize(("question", "kind"), [
    ("Wanneer start het leertraject?", "when"),
    ("Quelle est la date du séminaire ?", "when"),
    ("In welk jaar begon NETCO?", "when"),
    ("À quelle heure commence l'atelier ?", "clock"),
    ("What time is the coffee break?", "clock"),
    ("Hoeveel partners had NETCO?", "count"),
    ("How much does a share cost?", "count"),
    ("Qui a organisé le webinaire ?", "who"),
    ("Where is Stichting Proefhof?", "where"),
    ("Welk Kroatisch lid had NETCO?", "which"),
    ("How long did the trip last?", "duration"),
    ("Combien de temps a duré le voyage ?", "duration"),
    ("Hoelang duurde de reis?", "duration"),
    ("Quelle est la finalité de chaque projet pilote ?", None),  # the noun asked is "finalité"
])
def test_question_kinds(question, kind):
    assert question_kind(question) == kind


def test_unknown_languages_give_none():
    assert ask("When did NETCO run?", "de", NETCO_PERIOD) is None
