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
