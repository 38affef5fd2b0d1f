"""What kind of answer a question asks for, in Dutch, French and English."""

from __future__ import annotations

import re

_ASKS_NUMBER = re.compile(
    r"\b(when|how (many|much|long)|what date|which year|quand|combien|quelle (date|année)|"
    r"en quelle année|wanneer|hoeveel|hoe ?lang|welke datum|welk jaar)\b", re.IGNORECASE)
_DIGIT = re.compile(r"\d")


def asks_for_number(question: str) -> bool:
    """A date, a duration or a count: the answer almost always holds a digit."""
    return bool(_ASKS_NUMBER.search(question))


def has_number(text: str) -> bool:
    return bool(_DIGIT.search(text))
