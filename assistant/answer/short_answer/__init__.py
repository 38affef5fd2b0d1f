"""A one-line short answer in the asker's language, made of language-neutral spans.

There is no generative or translation model offline: answers quote corpus sentences,
often Dutch, to French and English askers too. A short answer can still be written in the
asker's language when the fact itself needs no translation: names (names.py), dates and
times (dates.py) and quantities with their unit (quantities.py), each read with the words of
the sentence's language profile and written with the asker's. Only such spans of the cited
sentence are used; a question of another kind (why, how, what), a sentence with no fitting
span or a long list of names gives None: nothing is ever guessed.
"""

from __future__ import annotations

from assistant.answer.short_answer.dates import when
from assistant.answer.short_answer.names import names_answer
from assistant.answer.short_answer.quantities import count, duration
from assistant.answer.short_answer.text import without_heading
from assistant.languages import is_language
from assistant.search.question import question_kind


def short_answer(question: str, question_language: str, sentence: str,
                 sentence_language: str) -> str | None:
    """The fact the question asks for, from the sentence, in the question's language.

    Dates, times, numbers and names only (the caller adds the citation); None when the
    question is of another kind or the sentence holds no fitting span.
    """
    kind = question_kind(question)
    if kind is None or not (is_language(question_language) and is_language(sentence_language)):
        return None
    text = without_heading(sentence)
    if kind in ("when", "clock"):
        return when(text, sentence_language, question_language, wants_clock=kind == "clock")
    if kind == "count":
        return count(question, text, sentence_language, question_language)
    if kind == "duration":
        return duration(question, text, sentence_language, question_language)
    return names_answer(kind, question, question_language, text, sentence_language)
