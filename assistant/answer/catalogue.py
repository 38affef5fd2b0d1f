"""Every sentence the product shows a citizen, in Dutch, French and English: one catalogue.

Four sections, each `{key: {"nl": ..., "fr": ..., "en": ...}}`: ANSWER (answers, refusals,
input errors: messages.py), API (HTTP errors, the rate limit: api_messages.py), CHAT (the
Gradio chat's labels, Gradio's own button labels replaced: chat_view.py) and WIDGET (the
embeddable widget: the server writes it into widget.js, `widget_script`). The referral
texts shown with a refusal are data, per region, in messages.DEFAULT_REFERRALS.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from assistant.languages import LANGUAGES

DEFAULT_LANGUAGE = "en"

LANGUAGE_NAMES = {
    "nl": {"nl": "Nederlands", "fr": "Frans", "en": "Engels"},
    "fr": {"nl": "néerlandais", "fr": "français", "en": "anglais"},
    "en": {"nl": "Dutch", "fr": "French", "en": "English"},
}
# Each language named in itself, for the language switches (shown in every interface language).
ENDONYMS = {"nl": "Nederlands", "fr": "Français", "en": "English"}

ANSWER = {
    "framing": {
        "nl": "Dit zeggen de documenten in de kennisbank:",
        "fr": "Voici ce que disent les documents de la base de connaissances :",
        "en": "This is what the documents in the knowledge base say:",
    },
    "source_language": {
        "nl": "De citaten staan in het {source}, de taal van de bron.",
        "fr": "Les citations sont en {source}, la langue de la source.",
        "en": "The quotes are in {source}, the language of the source.",
    },
    "refusal": {
        "nl": "De kennisbank bevat geen antwoord op deze vraag. {referral}",
        "fr": "La base de connaissances ne contient pas de réponse à cette question. {referral}",
        "en": "The knowledge base does not cover this question. {referral}",
    },
    "empty": {
        "nl": "Stel een vraag over wonen, bijvoorbeeld over coöperatief wonen.",
        "fr": "Posez une question sur le logement, par exemple sur l'habitat coopératif.",
        "en": "Please ask a question about housing, for example about cooperative housing.",
    },
    "too_long": {
        "nl": "Uw vraag is te lang (maximaal {limit} tekens). Maak ze korter.",
        "fr": "Votre question est trop longue ({limit} caractères au maximum). Raccourcissez-la.",
        "en": "Your question is too long (at most {limit} characters). Please shorten it.",
    },
    "no_words": {
        "nl": "Ik vind geen woorden in uw vraag. Stel ze in gewone tekst.",
        "fr": "Je ne trouve pas de mots dans votre question. Posez-la en texte.",
        "en": "I could not find any words in your question. Please ask it in plain text.",
    },
    # An answer whose every source is older than settings.old_document_years (sources.py).
    "dated": {
        "nl": "Dit antwoord steunt op documenten uit {years}; de situatie kan sindsdien veranderd zijn.",
        "fr": "Cette réponse repose sur des documents de {years} ; la situation a pu changer depuis.",
        "en": "This answer is based on documents from {years}; things may have changed since.",
    },
}

API = {
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
    "not_found": {
        "nl": "Deze pagina bestaat niet.",
        "fr": "Cette page n'existe pas.",
        "en": "This page does not exist.",
    },
    "unauthorized": {
        "nl": "Deze pagina vraagt een geldige toegangssleutel.",
        "fr": "Cette page demande une clé d'accès valide.",
        "en": "This page needs a valid access token.",
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

CHAT = {
    "title": {"nl": "Kennisbank wonen", "fr": "Base de connaissances logement",
              "en": "Housing knowledge base"},
    "intro": {
        "nl": "Stel uw vraag over coöperatief, gemeenschappelijk en sociaal wonen in het "
              "Nederlands, Frans of Engels. De antwoorden citeren de documenten en nummeren "
              "hun bronnen.",
        "fr": "Posez votre question sur l'habitat coopératif, groupé et social en français, en "
              "néerlandais ou en anglais. Les réponses citent les documents et numérotent leurs "
              "sources.",
        "en": "Ask about cooperative, collaborative and social housing in English, Dutch or "
              "French. Answers quote the documents and number their sources.",
    },
    "chat": {"nl": "Gesprek", "fr": "Conversation", "en": "Conversation"},
    "question": {"nl": "Uw vraag", "fr": "Votre question", "en": "Your question"},
    # Short enough for a 320-px phone's field (the label above already says "your question").
    "placeholder": {"nl": "Typ hier, verstuur met Enter", "fr": "Écrivez ici, puis Entrée",
                    "en": "Type here, then press Enter"},
    "send": {"nl": "Verstuur", "fr": "Envoyer", "en": "Send"},
    "language": {"nl": "Taal", "fr": "Langue", "en": "Language"},
    # The region filter (regions.REGIONS); "all" searches every document.
    "region": {"nl": "Regio", "fr": "Région", "en": "Region"},
    "region_all": {"nl": "Alle regio's", "fr": "Toutes les régions", "en": "All regions"},
    "region_flanders": {"nl": "Vlaanderen", "fr": "Flandre", "en": "Flanders"},
    "region_brussels": {"nl": "Brussel", "fr": "Bruxelles", "en": "Brussels"},
    "region_netherlands": {"nl": "Nederland", "fr": "Pays-Bas", "en": "Netherlands"},
    "region_eu": {"nl": "Europa", "fr": "Europe", "en": "Europe"},
    "examples": {"nl": "Voorbeeldvragen", "fr": "Exemples de questions",
                 "en": "Example questions"},
    "sources": {"nl": "Bronnen", "fr": "Sources", "en": "Sources"},
    "no_sources": {"nl": "De bronnen van het laatste antwoord verschijnen hier.",
                   "fr": "Les sources de la dernière réponse s'affichent ici.",
                   "en": "The sources of the latest answer appear here."},
    "answer": {"nl": "Antwoord", "fr": "Réponse", "en": "Answer"},
    "passage": {"nl": "Passage", "fr": "Passage", "en": "Passage"},
    "quote": {"nl": "geciteerd", "fr": "cité", "en": "quoted"},
    "publisher": {"nl": "Uitgever", "fr": "Éditeur", "en": "Publisher"},
    "date": {"nl": "Datum", "fr": "Date", "en": "Date"},
    "link": {"nl": "Link", "fr": "Lien", "en": "Link"},
    "useful": {"nl": "Was het laatste antwoord nuttig?",
               "fr": "La dernière réponse vous a-t-elle aidé ?",
               "en": "Was the latest answer helpful?"},
    "like": {"nl": "Ja, nuttig", "fr": "Oui, utile", "en": "Yes, helpful"},
    "dislike": {"nl": "Nee, niet nuttig", "fr": "Non, pas utile", "en": "No, not helpful"},
    "copy": {"nl": "Kopieer het antwoord", "fr": "Copier la réponse", "en": "Copy the answer"},
    "copied": {"nl": "Gekopieerd", "fr": "Copié", "en": "Copied"},
    "clear": {"nl": "Wis het gesprek", "fr": "Effacer la conversation",
              "en": "Clear the conversation"},
    "thanks": {"nl": "Bedankt voor uw feedback.", "fr": "Merci pour votre avis.",
               "en": "Thank you for your feedback."},
    "feedback_removed": {"nl": "Uw feedback is ingetrokken.", "fr": "Votre avis a été retiré.",
                         "en": "Your feedback was withdrawn."},
    "apology": {"nl": "Sorry, er ging bij ons iets mis. Probeer het zo dadelijk opnieuw.",
                "fr": "Désolé, un problème est survenu de notre côté. Réessayez dans un instant.",
                "en": "Sorry, something went wrong on our side. Please try again in a moment."},
    # The server gone (chat.js): the question is kept, "try again" asks it once it is back.
    "offline": {"nl": "De assistent is nu niet bereikbaar. Uw vraag blijft bewaard: probeer het "
                      "zo dadelijk opnieuw.",
                "fr": "L'assistant est injoignable pour le moment. Votre question est gardée : "
                      "réessayez dans un instant.",
                "en": "The assistant cannot be reached right now. Your question is kept: try "
                      "again in a moment."},
    "starting": {"nl": "De assistent start op. Uw vraag blijft bewaard: probeer het zo dadelijk "
                       "opnieuw.",
                 "fr": "L'assistant démarre. Votre question est gardée : réessayez dans un "
                       "instant.",
                 "en": "The assistant is starting. Your question is kept: try again in a moment."},
    "back": {"nl": "De assistent is weer bereikbaar. Uw vraag is bewaard.",
             "fr": "L'assistant est de nouveau joignable. Votre question est gardée.",
             "en": "The assistant can be reached again. Your question is kept."},
    "retry": {"nl": "Probeer opnieuw", "fr": "Réessayer", "en": "Try again"},
    # While a question waits (chat.js), and the name of a message that is a refusal.
    "searching": {"nl": "Even zoeken…", "fr": "Recherche en cours…", "en": "Searching…"},
    "refusal": {"nl": "Geen antwoord", "fr": "Pas de réponse", "en": "No answer"},
    "privacy": {"nl": "Privacy: wat deze assistent bewaart",
                "fr": "Vie privée : ce que cet assistant conserve",
                "en": "Privacy: what this assistant keeps"},
}

WIDGET = {
    "launcher": {"nl": "Stel uw woonvraag", "fr": "Une question logement\u00a0?",
                 "en": "Ask about housing"},
    "title": {"nl": "Woonassistent", "fr": "Assistant logement", "en": "Housing assistant"},
    "close": {"nl": "Sluiten", "fr": "Fermer", "en": "Close"},
    # Each aria-label holds the visible text (WCAG 2.5.3, label in name).
    "clear": {"nl": "Wis", "fr": "Effacer", "en": "Clear"},
    "clearLabel": {"nl": "Wis het gesprek", "fr": "Effacer la conversation",
                   "en": "Clear the conversation"},
    "cleared": {"nl": "Het gesprek is gewist.", "fr": "La conversation a été effacée.",
                "en": "The conversation was cleared."},
    "language": {"nl": "Taal", "fr": "Langue", "en": "Language"},
    "label": {"nl": "Uw vraag", "fr": "Votre question", "en": "Your question"},
    "placeholder": {"nl": "Stel een vraag over wonen\u2026",
                    "fr": "Posez une question sur le logement\u2026",
                    "en": "Ask a question about housing\u2026"},
    "send": {"nl": "Verstuur", "fr": "Envoyer", "en": "Send"},
    "intro": {
        "nl": "Ik beantwoord vragen over coöperatief, gemeenschappelijk en sociaal wonen met "
              "citaten uit de kennisbank. Geen persoonlijk advies.",
        "fr": "Je réponds aux questions sur l'habitat coopératif, groupé et social en citant la "
              "base de connaissances. Pas de conseil personnel.",
        "en": "I answer questions on cooperative, collaborative and social housing with quotes "
              "from the knowledge base. No personal advice.",
    },
    "searching": {"nl": "Even zoeken\u2026", "fr": "Recherche en cours\u2026",
                  "en": "Searching\u2026"},
    "sources": {"nl": "Bronnen", "fr": "Sources", "en": "Sources"},
    "you": {"nl": "U", "fr": "Vous", "en": "You"},
    "bot": {"nl": "Assistent", "fr": "Assistant", "en": "Assistant"},
    "notEnabled": {"nl": "De assistent is niet ingeschakeld op deze website.",
                   "fr": "L'assistant n'est pas activé sur ce site.",
                   "en": "The assistant is not enabled on this site."},
    "unreachable": {"nl": "De assistent is nu niet bereikbaar. Probeer het later opnieuw.",
                    "fr": "L'assistant est injoignable pour le moment. Réessayez plus tard.",
                    "en": "The assistant cannot be reached right now. Please try again later."},
    "error": {"nl": "Er ging iets mis. Probeer het later opnieuw.",
              "fr": "Une erreur s'est produite. Réessayez plus tard.",
              "en": "Something went wrong. Please try again later."},
    "useful": {"nl": "Was dit nuttig?", "fr": "Cette réponse vous a-t-elle aidé\u00a0?",
               "en": "Was this helpful?"},
    "yes": {"nl": "Ja", "fr": "Oui", "en": "Yes"},
    "no": {"nl": "Nee", "fr": "Non", "en": "No"},
    "thanks": {"nl": "Bedankt voor uw reactie.", "fr": "Merci pour votre avis.",
               "en": "Thank you for your feedback."},
    "copy": {"nl": "Kopieer", "fr": "Copier", "en": "Copy"},
    "copyLabel": {"nl": "Kopieer het antwoord", "fr": "Copier la réponse",
                  "en": "Copy the answer"},
    "copied": {"nl": "Het antwoord is gekopieerd.", "fr": "La réponse a été copiée.",
               "en": "The answer was copied."},
    "opens": {"nl": "(opent in een nieuw venster)", "fr": "(s'ouvre dans une nouvelle fenêtre)",
              "en": "(opens in a new window)"},
    # A question that could not be answered (server gone, busy, starting) is asked again.
    "retry": {"nl": "Probeer opnieuw", "fr": "Réessayer", "en": "Try again"},
    "refusal": {"nl": "Geen antwoord", "fr": "Pas de réponse", "en": "No answer"},
    "privacy": {"nl": "Privacy", "fr": "Vie privée", "en": "Privacy"},
}

# /privacy: what the server keeps and for how long (insight.py), who is responsible and the
# rights a person has (privacy_page.py; the operator's own details are settings.privacy_*).
PRIVACY = {
    "title": {"nl": "Privacy", "fr": "Vie privée", "en": "Privacy"},
    "nav": {"nl": "Navigatie", "fr": "Navigation", "en": "Navigation"},
    "back": {"nl": "← Terug naar de assistent", "fr": "← Retour à l'assistant",
             "en": "← Back to the assistant"},
    "kept_heading": {"nl": "Wat wordt bewaard", "fr": "Ce qui est conservé", "en": "What is kept"},
    "controller_heading": {"nl": "Wie is verantwoordelijk", "fr": "Qui est responsable",
                           "en": "Who is responsible"},
    "controller_unset": {
        "nl": "De beheerder van deze site heeft nog niet ingesteld wie verantwoordelijk is voor "
              "de gegevens.",
        "fr": "L'exploitant de ce site n'a pas encore indiqué qui est responsable des données.",
        "en": "The operator of this site has not yet said who is responsible for the data."},
    "contact_heading": {"nl": "Contact", "fr": "Contact", "en": "Contact"},
    "contact_unset": {
        "nl": "De beheerder van deze site heeft nog geen contactadres ingesteld.",
        "fr": "L'exploitant de ce site n'a pas encore indiqué d'adresse de contact.",
        "en": "The operator of this site has not yet given a contact address."},
    "rights_heading": {"nl": "Uw rechten", "fr": "Vos droits", "en": "Your rights"},
    "rights": {
        "nl": "Volgens de AVG (GDPR) mag u vragen welke gegevens over u bewaard worden, ze laten "
              "verbeteren of wissen, de verwerking laten beperken en er bezwaar tegen maken. U "
              "mag ook klacht indienen bij een gegevensbeschermingsautoriteit.",
        "fr": "Selon le RGPD, vous pouvez demander quelles données vous concernant sont "
              "conservées, les faire rectifier ou effacer, en faire limiter le traitement et vous "
              "y opposer. Vous pouvez aussi porter plainte auprès d'une autorité de protection "
              "des données.",
        "en": "Under the GDPR you may ask which data about you are kept, have them corrected or "
              "erased, have their processing restricted and object to it. You may also complain "
              "to a data protection authority."},
    "authority": {"nl": "Toezichthouder: {authority}", "fr": "Autorité de contrôle : {authority}",
                  "en": "Supervisory authority: {authority}"},
    "authority_unset": {
        "nl": "De beheerder van deze site heeft nog niet ingesteld bij welke toezichthouder u "
              "terecht kunt.",
        "fr": "L'exploitant de ce site n'a pas encore indiqué l'autorité de contrôle compétente.",
        "en": "The operator of this site has not yet named the supervisory authority."},
    "questions": {
        "nl": "Van elke vraag die de assistent beantwoordt, bewaart de server alleen de dag, de "
              "taal, de regio en of er een antwoord was. De vraag zelf wordt niet bewaard.",
        "fr": "Pour chaque question à laquelle l'assistant répond, le serveur ne garde que le "
              "jour, la langue, la région et s'il y avait une réponse. La question elle-même "
              "n'est pas conservée.",
        "en": "For each question the assistant answers, the server keeps only the day, the "
              "language, the region and whether there was an answer. The question itself is "
              "not kept."},
    "words": {
        "nl": "Woorden uit vragen zonder antwoord worden pas geteld als minstens {group} "
              "verschillende vragen ze gebruikten: geen enkele vraag is terug te lezen.",
        "fr": "Les mots des questions restées sans réponse ne sont comptés qu'une fois utilisés "
              "par au moins {group} questions différentes : aucune question ne peut être relue.",
        "en": "Words of questions without an answer are counted only once at least {group} "
              "different questions used them: no single question can be read back."},
    "feedback": {
        "nl": "Een duim omhoog of omlaag wordt bewaard met de passages waarover hij gaat, niet "
              "met uw vraag.",
        "fr": "Un pouce levé ou baissé est conservé avec les passages qu'il concerne, pas avec "
              "votre question.",
        "en": "A thumbs up or down is kept with the passages it is about, not with your question."},
    "feedback_questions": {
        "nl": "De beheerder van deze site bewaart bij een duim omhoog of omlaag ook de vraag.",
        "fr": "L'exploitant de ce site conserve aussi la question avec un pouce levé ou baissé.",
        "en": "The operator of this site also keeps the question with a thumbs up or down."},
    "conversations": {
        "nl": "Gesprekken worden niet op de server bewaard; ze blijven in uw browser tot u het "
              "gesprek wist of het venster sluit. De logbestanden van de server bevatten geen vragen.",
        "fr": "Les conversations ne sont pas conservées sur le serveur ; elles restent dans votre "
              "navigateur jusqu'à ce que vous les effaciez ou fermiez la fenêtre. Les journaux "
              "du serveur ne contiennent aucune question.",
        "en": "Conversations are not kept on the server; they stay in your browser until you "
              "clear them or close the window. The server's logs hold no questions."},
    "retention": {
        "nl": "Alles wordt na {days} dagen gewist.",
        "fr": "Tout est effacé après {days} jours.",
        "en": "Everything is deleted after {days} days."},
    "third_parties": {
        "nl": "De assistent stuurt niets naar andere diensten.",
        "fr": "L'assistant n'envoie rien à d'autres services.",
        "en": "The assistant sends nothing to other services."},
}

SECTIONS = {"answer": ANSWER, "api": API, "chat": CHAT, "widget": WIDGET, "privacy": PRIVACY}


def text(section: dict[str, dict[str, str]], key: str, language: str | None) -> str:
    """One entry in `language` (English when the language is not one of the three)."""
    entry = section[key]
    return entry.get(language or DEFAULT_LANGUAGE, entry[DEFAULT_LANGUAGE])


def words(section: dict[str, dict[str, str]], language: str | None) -> dict[str, str]:
    """A whole section in one language: {key: text}."""
    code = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return {key: entry[code] for key, entry in section.items()}


# widget.js and chat.js hold this marker where their texts go; the server writes them there.
MARKER = "/*@catalogue*/{}"
WIDGET_MARKER = MARKER
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


@lru_cache(maxsize=None)
def _script(name: str, section_name: str) -> bytes:
    path = STATIC_DIR / name
    source = path.read_text(encoding="utf-8")
    if MARKER not in source:
        raise RuntimeError(f"{path} lacks {MARKER}")
    section = SECTIONS[section_name]
    texts = {code: {**words(section, code), "languages": ENDONYMS} for code in LANGUAGES}
    # `<` escaped: a text can never close a script element if a portal inlines the file.
    data = json.dumps(texts, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")
    return source.replace(MARKER, data, 1).encode("utf-8")


def widget_script() -> bytes:
    """widget.js with the WIDGET section and the language names in it (built once)."""
    return _script("widget.js", "widget")


def chat_script() -> bytes:
    """chat.js (the Gradio page's script) with the CHAT section in it (built once)."""
    return _script("chat.js", "chat")
