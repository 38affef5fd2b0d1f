"""What answers say (the texts live in catalogue.ANSWER), and where refusals refer askers."""

from __future__ import annotations

from .catalogue import ANSWER as TEXT
from .catalogue import LANGUAGE_NAMES, text

# Where to ask when the knowledge base has no answer; overridable in the settings.
DEFAULT_REFERRALS = {
    "Flanders": {
        "nl": "Voor vragen over wonen in Vlaanderen kunt u terecht bij het Woonloket van uw gemeente of bij Wonen in Vlaanderen (www.wonenvlaanderen.be).",
        "fr": "Pour le logement en Flandre, adressez-vous au Woonloket de votre commune ou à Wonen in Vlaanderen (www.wonenvlaanderen.be).",
        "en": "For housing in Flanders, ask the Woonloket of your municipality or Wonen in Vlaanderen (www.wonenvlaanderen.be).",
    },
    "Brussels": {
        "nl": "Voor vragen over wonen in Brussel kunt u terecht bij Brussel Huisvesting (huisvesting.brussels), het OCMW van uw gemeente of een huurdersvereniging; bij een geschil met uw verhuurder bij de vrederechter.",
        "fr": "Pour le logement à Bruxelles, adressez-vous à Bruxelles Logement (logement.brussels), au CPAS de votre commune ou à une association de locataires ; en cas de litige avec votre bailleur, au juge de paix.",
        "en": "For housing in Brussels, ask Brussels Housing (housing.brussels), the CPAS/OCMW of your municipality or a tenants' association; for a dispute with your landlord, the justice of the peace.",
    },
    "Netherlands": {
        "nl": "Voor vragen over wonen in Nederland kunt u terecht bij het Juridisch Loket (juridischloket.nl), de Huurcommissie of uw gemeente.",
        "fr": "Pour le logement aux Pays-Bas, adressez-vous au Juridisch Loket (juridischloket.nl), à la Huurcommissie ou à votre commune.",
        "en": "For housing in the Netherlands, ask the Juridisch Loket (juridischloket.nl), the Huurcommissie (rent tribunal) or your municipality.",
    },
    "": {
        "nl": "Voor persoonlijke vragen over huren of wonen kunt u terecht bij de huisvestingsdienst of het sociaal huis (OCMW) van uw gemeente, of bij een huurdersvereniging.",
        "fr": "Pour une question personnelle sur la location ou le logement, adressez-vous au service logement ou au CPAS de votre commune, ou à une association de locataires.",
        "en": "For a personal question about renting or housing, ask your municipality's housing service or social welfare centre, or a tenants' association.",
    },
}

REGION_WORDS = {
    "Brussels": ("brussel", "bruxelles", "brussels", "schaerbeek", "schaarbeek", "ixelles", "elsene", "anderlecht"),
    "Flanders": ("vlaanderen", "flandre", "flanders", "antwerpen", "gent", "leuven", "brugge"),
    "Netherlands": ("nederland", "pays-bas", "netherlands", "amsterdam", "rotterdam", "den haag", "utrecht", "eindhoven"),
}


def say(key: str, language: str, **values: str) -> str:
    return text(TEXT, key, language).format(**values)


def language_name(code: str, in_language: str) -> str:
    return LANGUAGE_NAMES.get(in_language, LANGUAGE_NAMES["en"]).get(code, code)
