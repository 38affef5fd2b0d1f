"""Dutch: every sentence the product shows a citizen in it (the keys are commented in
en/strings.py)."""

from assistant.languages.profile import Strings

STRINGS = Strings(
    endonym="Nederlands",
    language_names={"nl": "Nederlands", "fr": "Frans", "en": "Engels"},
    answer={
        "framing": "Dit zeggen de documenten in de kennisbank:",
        "source_language": "De citaten staan in het {source}, de taal van de bron.",
        "refusal": "De kennisbank bevat geen antwoord op deze vraag. {referral}",
        "empty": "Stel een vraag over wonen, bijvoorbeeld over coöperatief wonen.",
        "too_long": "Uw vraag is te lang (maximaal {limit} tekens). Maak ze korter.",
        "no_words": "Ik vind geen woorden in uw vraag. Stel ze in gewone tekst.",
        "dated": (
            "Dit antwoord steunt op documenten uit {years}; de situatie kan sindsdien veranderd "
            "zijn."
        ),
    },
    api={
        "rate_limited": "Te veel vragen na elkaar. Probeer het over {seconds} seconden opnieuw.",
        "busy": "De assistent is even te druk. Probeer het over enkele seconden opnieuw.",
        "forbidden_origin": "De assistent is niet ingeschakeld op deze website.",
        "body_too_large": "Het verzoek is te groot (maximaal {limit} bytes).",
        "malformed_json": "Het verzoek is geen geldige JSON.",
        "invalid": "Ongeldig verzoek: {detail}",
        "history": "Te veel eerdere berichten (maximaal {limit}).",
        "last_not_user": "Het laatste bericht moet een vraag van de gebruiker zijn.",
        "not_found": "Deze pagina bestaat niet.",
        "unauthorized": "Deze pagina vraagt een geldige toegangssleutel.",
        "loading": "De assistent wordt opgestart. Probeer het zo dadelijk opnieuw.",
        "internal": "Er ging iets mis aan onze kant. Probeer het later opnieuw.",
    },
    chat={
        "title": "Kennisbank wonen",
        "intro": (
            "Stel uw vraag over coöperatief, gemeenschappelijk en sociaal wonen in het "
            "Nederlands, Frans of Engels. De antwoorden citeren de documenten en nummeren hun "
            "bronnen."
        ),
        "chat": "Gesprek",
        "question": "Uw vraag",
        "placeholder": "Typ hier, verstuur met Enter",
        "send": "Verstuur",
        "language": "Taal",
        "region": "Regio",
        "region_all": "Alle regio's",
        "region_flanders": "Vlaanderen",
        "region_brussels": "Brussel",
        "region_netherlands": "Nederland",
        "region_eu": "Europa",
        "examples": "Voorbeeldvragen",
        "sources": "Bronnen",
        "no_sources": "De bronnen van het laatste antwoord verschijnen hier.",
        "answer": "Antwoord",
        "passage": "Passage",
        "quote": "geciteerd",
        "publisher": "Uitgever",
        "date": "Datum",
        "link": "Link",
        "useful": "Was het laatste antwoord nuttig?",
        "like": "Ja, nuttig",
        "dislike": "Nee, niet nuttig",
        "copy": "Kopieer het antwoord",
        "copied": "Gekopieerd",
        "clear": "Wis het gesprek",
        "thanks": "Bedankt voor uw feedback.",
        "feedback_removed": "Uw feedback is ingetrokken.",
        "apology": "Sorry, er ging bij ons iets mis. Probeer het zo dadelijk opnieuw.",
        "offline": (
            "De assistent is nu niet bereikbaar. Uw vraag blijft bewaard: probeer het zo "
            "dadelijk opnieuw."
        ),
        "starting": "De assistent start op. Uw vraag blijft bewaard: probeer het zo dadelijk opnieuw.",
        "back": "De assistent is weer bereikbaar. Uw vraag is bewaard.",
        "retry": "Probeer opnieuw",
        "searching": "Even zoeken…",
        "refusal": "Geen antwoord",
        "privacy": "Privacy: wat deze assistent bewaart",
    },
    widget={
        "launcher": "Stel uw woonvraag",
        "title": "Woonassistent",
        "close": "Sluiten",
        "clear": "Wis",
        "clearLabel": "Wis het gesprek",
        "cleared": "Het gesprek is gewist.",
        "language": "Taal",
        "label": "Uw vraag",
        "placeholder": "Stel een vraag over wonen…",
        "send": "Verstuur",
        "intro": (
            "Ik beantwoord vragen over coöperatief, gemeenschappelijk en sociaal wonen met "
            "citaten uit de kennisbank. Geen persoonlijk advies."
        ),
        "searching": "Even zoeken…",
        "sources": "Bronnen",
        "you": "U",
        "bot": "Assistent",
        "notEnabled": "De assistent is niet ingeschakeld op deze website.",
        "unreachable": "De assistent is nu niet bereikbaar. Probeer het later opnieuw.",
        "error": "Er ging iets mis. Probeer het later opnieuw.",
        "useful": "Was dit nuttig?",
        "yes": "Ja",
        "no": "Nee",
        "thanks": "Bedankt voor uw reactie.",
        "copy": "Kopieer",
        "copyLabel": "Kopieer het antwoord",
        "copied": "Het antwoord is gekopieerd.",
        "opens": "(opent in een nieuw venster)",
        "retry": "Probeer opnieuw",
        "refusal": "Geen antwoord",
        "privacy": "Privacy",
    },
    privacy={
        "title": "Privacy",
        "nav": "Navigatie",
        "back": "← Terug naar de assistent",
        "kept_heading": "Wat wordt bewaard",
        "controller_heading": "Wie is verantwoordelijk",
        "controller_unset": (
            "De beheerder van deze site heeft nog niet ingesteld wie verantwoordelijk is voor de "
            "gegevens."
        ),
        "contact_heading": "Contact",
        "contact_unset": "De beheerder van deze site heeft nog geen contactadres ingesteld.",
        "rights_heading": "Uw rechten",
        "rights": (
            "Volgens de AVG (GDPR) mag u vragen welke gegevens over u bewaard worden, ze laten "
            "verbeteren of wissen, de verwerking laten beperken en er bezwaar tegen maken. U mag "
            "ook klacht indienen bij een gegevensbeschermingsautoriteit."
        ),
        "authority": "Toezichthouder: {authority}",
        "authority_unset": (
            "De beheerder van deze site heeft nog niet ingesteld bij welke toezichthouder u "
            "terecht kunt."
        ),
        "questions": (
            "Van elke vraag die de assistent beantwoordt, bewaart de server alleen de dag, de "
            "taal, de regio en of er een antwoord was. De vraag zelf wordt niet bewaard."
        ),
        "words": (
            "Woorden uit vragen zonder antwoord worden pas geteld als minstens {group} "
            "verschillende vragen ze gebruikten: geen enkele vraag is terug te lezen."
        ),
        "feedback": (
            "Een duim omhoog of omlaag wordt bewaard met de passages waarover hij gaat, niet met "
            "uw vraag."
        ),
        "feedback_questions": "De beheerder van deze site bewaart bij een duim omhoog of omlaag ook de vraag.",
        "conversations": (
            "Gesprekken worden niet op de server opgeslagen: die houdt uw laatste vragen en "
            "antwoorden alleen tijdens uw sessie in het geheugen, om een vervolgvraag te "
            "begrijpen, en schrijft ze nergens weg. Ze blijven in uw browser tot u het gesprek "
            "wist of het venster sluit. De logbestanden van de server bevatten geen "
            "vragen."
        ),
        "retention": "Alles wordt na {days} dagen gewist.",
        "third_parties": "De assistent stuurt niets naar andere diensten.",
    },
)
