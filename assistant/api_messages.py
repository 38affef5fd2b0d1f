"""The API's citizen-facing messages in nl/fr/en, and the asker's language from Accept-Language."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers

from .service import LANGUAGES


TEXT = {
    "rate_limited": {
        "nl": "Te veel vragen na elkaar. Probeer het over {seconds} seconden opnieuw.",
        "fr": "Trop de questions d'affilée. Réessayez dans {seconds} secondes.",
        "en": "Too many questions in a row. Please try again in {seconds} seconds.",
    },
    "forbidden_origin": {
        "nl": "De assistent is niet ingeschakeld op deze website.",
        "fr": "L'assistant n'est pas activé sur ce site.",
        "en": "The assistant is not enabled on this site.",
    },
    "body_too_large": {
        "nl": "Het verzoek is te groot (maximaal {limit} bytes).",
        "fr": "La requête est trop volumineuse ({limit} octets au maximum).",
        "en": "The request is too large (at most {limit} bytes).",
    },
    "malformed_json": {
        "nl": "Het verzoek is geen geldige JSON.",
        "fr": "La requête n'est pas du JSON valide.",
        "en": "The request body is not valid JSON.",
    },
    "invalid": {
        "nl": "Ongeldig verzoek: {detail}",
        "fr": "Requête invalide : {detail}",
        "en": "Invalid request: {detail}",
    },
    "history": {
        "nl": "Te veel eerdere berichten (maximaal {limit}).",
        "fr": "Trop de messages précédents ({limit} au maximum).",
        "en": "Too many earlier messages (at most {limit}).",
    },
    "last_not_user": {
        "nl": "Het laatste bericht moet een vraag van de gebruiker zijn.",
        "fr": "Le dernier message doit être une question de l'utilisateur.",
        "en": "The last message must be a question from the user.",
    },
    "loading": {
        "nl": "De assistent wordt opgestart. Probeer het zo dadelijk opnieuw.",
        "fr": "L'assistant démarre. Réessayez dans un instant.",
        "en": "The assistant is starting. Please try again in a moment.",
    },
    "internal": {
        "nl": "Er ging iets mis aan onze kant. Probeer het later opnieuw.",
        "fr": "Une erreur s'est produite de notre côté. Réessayez plus tard.",
        "en": "Something went wrong on our side. Please try again later.",
    },
}


def say(key: str, language: str | None, **values: Any) -> str:
    table = TEXT[key]
    return table.get(language or "en", table["en"]).format(**values)


def preferred_language(headers: Headers) -> str:
    """The first of nl/fr/en in Accept-Language (q-values ignored: browsers list by preference)."""
    for part in headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"
