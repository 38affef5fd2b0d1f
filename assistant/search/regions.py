"""Regions: their codes, the words that name them, and the public services a refusal refers to.

A document's region is one of `REGIONS` (a sidecar may also write a name: "Vlaanderen",
"Bruxelles"). A region filter keeps that region's documents and the European ones, which
concern every region. A refusal names where to ask: the region the question itself names
first (someone in Brussels may ask about Amsterdam), else the filter or the portal's region.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.search.folding import fold

REGIONS = ("flanders", "brussels", "netherlands", "eu")
EUROPEAN = "eu"

_ALIASES = {
    "flanders": ("flanders", "vlaanderen", "flandre", "flandres", "vlaams gewest",
                 "region flamande", "flemish region"),
    "brussels": ("brussels", "brussel", "bruxelles", "brussels hoofdstedelijk gewest",
                 "region de bruxelles-capitale", "brussels-capital region"),
    "netherlands": ("netherlands", "the netherlands", "nederland", "pays-bas"),
    "eu": ("eu", "europe", "europa", "european union", "europese unie", "union europeenne"),
}
_CODES = {fold(alias): code for code, aliases in _ALIASES.items() for alias in aliases}

# Places that name a region. The refusal decision and follow-ups ignore them as topic
# words ("in Brussel" says where, not what), so this list is part of what was fitted.
REGION_WORDS = {
    "brussels": ("brussel", "bruxelles", "brussels", "schaerbeek", "schaarbeek", "ixelles",
                 "elsene", "anderlecht"),
    "flanders": ("vlaanderen", "flandre", "flanders", "antwerpen", "gent", "leuven", "brugge"),
    "netherlands": ("nederland", "pays-bas", "netherlands", "amsterdam", "rotterdam",
                    "den haag", "utrecht", "eindhoven"),
}
# Inflected place names, and words only one region's housing uses: they place a question
# without naming it ("huurtoeslag", "woningcorporatie" are Dutch institutions). Only for the
# referral. Words for a language ("Dutch", "néerlandais", "flamand") are not places.
_CUE_WORDS = {
    "brussels": ("brusselse", "bruxellois", "bruxelloise"),
    "flanders": ("vlaamse", "gentse", "antwerpse", "leuvense", "brugse", "woonmaatschappij",
                 "huurpremie"),
    "netherlands": ("amsterdamse", "rotterdamse", "haagse", "utrechtse", "huurtoeslag",
                    "huurcommissie", "woningcorporatie", "woningcorporaties", "woonbond"),
}

# Where to ask when the knowledge base has no answer, by region and language: public services
# only (the seeds name Wonen-Vlaanderen and Brussel Huisvesting; the others are the bodies
# citizens of each region are sent to). Overridable as settings.referrals; "" is the fallback.
DEFAULT_REFERRALS = {
    "flanders": {
        "nl": "Voor vragen over wonen in Vlaanderen kunt u terecht bij het woonloket of het OCMW van uw gemeente, of bij Wonen in Vlaanderen (www.wonenvlaanderen.be).",
        "fr": "Pour le logement en Flandre, adressez-vous au guichet du logement (woonloket) ou à l'OCMW (CPAS) de votre commune, ou à Wonen in Vlaanderen (www.wonenvlaanderen.be).",
        "en": "For housing in Flanders, ask the housing desk (woonloket) or the OCMW (public social welfare centre) of your municipality, or Wonen in Vlaanderen (www.wonenvlaanderen.be).",
    },
    "brussels": {
        "nl": "Voor vragen over wonen in Brussel kunt u terecht bij Brussel Huisvesting (huisvesting.brussels) of het OCMW van uw gemeente; bij een geschil met uw verhuurder bij de vrederechter.",
        "fr": "Pour le logement à Bruxelles, adressez-vous à Bruxelles Logement (logement.brussels) ou au CPAS de votre commune ; en cas de litige avec votre bailleur, au juge de paix.",
        "en": "For housing in Brussels, ask Brussels Housing (housing.brussels) or the CPAS/OCMW (public social welfare centre) of your municipality; for a dispute with your landlord, the justice of the peace.",
    },
    "netherlands": {
        "nl": "Voor vragen over wonen in Nederland kunt u terecht bij uw gemeente, het Juridisch Loket (www.juridischloket.nl), de Huurcommissie (www.huurcommissie.nl) of de Woonbond (www.woonbond.nl); algemene informatie staat op www.rijksoverheid.nl.",
        "fr": "Pour le logement aux Pays-Bas, adressez-vous à votre commune (gemeente), au Juridisch Loket (www.juridischloket.nl), à la Huurcommissie (www.huurcommissie.nl) ou à la Woonbond (www.woonbond.nl) ; informations générales sur www.rijksoverheid.nl.",
        "en": "For housing in the Netherlands, ask your municipality (gemeente), the Juridisch Loket (legal aid, www.juridischloket.nl), the Huurcommissie (rent tribunal, www.huurcommissie.nl) or the Woonbond (tenants' union, www.woonbond.nl); general information is on www.rijksoverheid.nl.",
    },
    "": {
        "nl": "Voor persoonlijke vragen over huren of wonen kunt u in België terecht bij de woondienst of het OCMW van uw gemeente, in Nederland bij uw gemeente of het Juridisch Loket (www.juridischloket.nl).",
        "fr": "Pour une question personnelle sur la location ou le logement, adressez-vous au service logement ou au CPAS de votre commune.",
        "en": "For a personal question about renting or housing, ask your municipality's housing service or, in Belgium, its public social welfare centre (OCMW/CPAS); in the Netherlands, the Juridisch Loket (www.juridischloket.nl).",
    },
}


def region_code(value: str) -> str:
    """"Vlaanderen" -> "flanders"; a value that names none of REGIONS is kept as written."""
    return _CODES.get(fold(" ".join(value.split())), value.strip())


def allowed_regions(region: str | None) -> tuple[str, ...] | None:
    """The document regions a filter keeps (None: no filter); European ones always."""
    if not region:
        return None
    code = region_code(region)
    return (code,) if code == EUROPEAN else (code, EUROPEAN)


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    """One whole-word pattern per region: "gent", never "argent" or "gentil"."""
    patterns = {}
    for code in REGION_WORDS:
        words = sorted({fold(w) for w in (*REGION_WORDS[code], *_CUE_WORDS[code])}, key=len,
                       reverse=True)
        alternatives = "|".join(re.escape(word) for word in words)
        patterns[code] = re.compile(rf"\b(?:{alternatives})\b")
    return patterns


def region_named(question: str) -> str:
    """The region the question's own words place it in; "" for none or several."""
    folded = fold(question)
    named = [code for code, pattern in _patterns().items() if pattern.search(folded)]
    return named[0] if len(named) == 1 else ""


def referral(question: str, language: str, referrals: dict[str, dict[str, str]],
             region: str | None = None) -> str:
    """Where to ask, in `language`: the question's region, else `region` (filter or portal),
    else the fallback. Table keys may be codes or names ("Flanders")."""
    table = {region_code(key) if key else "": texts for key, texts in referrals.items()}
    chosen = region_named(question) or region_code(region or "")
    texts = table.get(chosen) or table.get("", {})
    return texts.get(language) or texts.get("en", "")
