"""Make a follow-up question self-contained before retrieval, without a generative model.

"And in Brussels?" or "Wie organiseerde dat?" cannot be searched alone. A question that
opens with a connector, points back with a pronoun, or has too few content words of its
own is joined to the (itself condensed) previous question; any other question starts a
new topic and is searched as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .language import detect_language
from .lexical import tokenize
from .types import Turn

_CONNECTOR = re.compile(
    r"^\s*(and|but|also|what about|how about|en|maar|ook|en wat|et|mais|aussi|et pour|et à|et en)\b",
    re.IGNORECASE)
_BACK_REFERENCE = re.compile(
    r"\b(it|its|that|this|they|them|there|those|these|he|she|"
    r"dat|dit|die|daar|ze|zij|hij|het project|ervan|daarvan|"
    r"ça|cela|ceci|il|elle|ils|elles|y|celui|celle|ce projet)\b",
    re.IGNORECASE)
_OWN_TOPIC_WORDS = 3
# Pronouns such as "dat" or "il" also open ordinary questions; only short ones point back.
_SHORT_QUESTION_WORDS = 6


def is_follow_up(question: str) -> bool:
    if _CONNECTOR.search(question):
        return True
    if _BACK_REFERENCE.search(question) and len(question.split()) <= _SHORT_QUESTION_WORDS:
        return True
    return len(tokenize(question, detect_language(question))) < _OWN_TOPIC_WORDS


def standalone_question(question: str, history: Sequence[Turn]) -> str:
    context = ""
    for turn in history:
        context = _condense(turn.question, context)
    return _condense(question, context)


def _condense(question: str, context: str) -> str:
    if context and is_follow_up(question):
        return f"{context} {question.strip()}"
    return question.strip()
