"""French: every sentence the product shows a citizen in it (the keys are commented in
en/strings.py)."""

from assistant.languages.profile import Strings

STRINGS = Strings(
    endonym="Français",
    language_names={"nl": "néerlandais", "fr": "français", "en": "anglais"},
    answer={
        "framing": "Voici ce que disent les documents de la base de connaissances :",
        "source_language": "Les citations sont en {source}, la langue de la source.",
        "refusal": "La base de connaissances ne contient pas de réponse à cette question. {referral}",
        "empty": "Posez une question sur le logement, par exemple sur l'habitat coopératif.",
        "too_long": "Votre question est trop longue ({limit} caractères au maximum). Raccourcissez-la.",
        "no_words": "Je ne trouve pas de mots dans votre question. Posez-la en texte.",
        "dated": (
            "Cette réponse repose sur des documents de {years} ; la situation a pu changer "
            "depuis."
        ),
    },
    api={
        "rate_limited": "Trop de questions d'affilée. Réessayez dans {seconds} secondes.",
        "busy": "L'assistant est momentanément surchargé. Réessayez dans quelques secondes.",
        "forbidden_origin": "L'assistant n'est pas activé sur ce site.",
        "body_too_large": "La requête est trop volumineuse ({limit} octets au maximum).",
        "malformed_json": "La requête n'est pas du JSON valide.",
        "invalid": "Requête invalide : {detail}",
        "history": "Trop de messages précédents ({limit} au maximum).",
        "last_not_user": "Le dernier message doit être une question de l'utilisateur.",
        "not_found": "Cette page n'existe pas.",
        "unauthorized": "Cette page demande une clé d'accès valide.",
        "loading": "L'assistant démarre. Réessayez dans un instant.",
        "internal": "Une erreur s'est produite de notre côté. Réessayez plus tard.",
    },
    chat={
        "title": "Base de connaissances logement",
        "intro": (
            "Posez votre question sur l'habitat coopératif, groupé et social en français, en "
            "néerlandais ou en anglais. Les réponses citent les documents et numérotent leurs "
            "sources."
        ),
        "chat": "Conversation",
        "question": "Votre question",
        "placeholder": "Écrivez ici, puis Entrée",
        "send": "Envoyer",
        "language": "Langue",
        "region": "Région",
        "region_all": "Toutes les régions",
        "region_flanders": "Flandre",
        "region_brussels": "Bruxelles",
        "region_netherlands": "Pays-Bas",
        "region_eu": "Europe",
        "examples": "Exemples de questions",
        "sources": "Sources",
        "no_sources": "Les sources de la dernière réponse s'affichent ici.",
        "answer": "Réponse",
        "passage": "Passage",
        "quote": "cité",
        "publisher": "Éditeur",
        "date": "Date",
        "link": "Lien",
        "useful": "La dernière réponse vous a-t-elle aidé ?",
        "like": "Oui, utile",
        "dislike": "Non, pas utile",
        "copy": "Copier la réponse",
        "copied": "Copié",
        "clear": "Effacer la conversation",
        "thanks": "Merci pour votre avis.",
        "feedback_removed": "Votre avis a été retiré.",
        "apology": "Désolé, un problème est survenu de notre côté. Réessayez dans un instant.",
        "offline": (
            "L'assistant est injoignable pour le moment. Votre question est gardée : réessayez "
            "dans un instant."
        ),
        "starting": "L'assistant démarre. Votre question est gardée : réessayez dans un instant.",
        "back": "L'assistant est de nouveau joignable. Votre question est gardée.",
        "retry": "Réessayer",
        "searching": "Recherche en cours…",
        "refusal": "Pas de réponse",
        "privacy": "Vie privée : ce que cet assistant conserve",
    },
    widget={
        "launcher": "Une question logement\u00a0?",
        "title": "Assistant logement",
        "close": "Fermer",
        "clear": "Effacer",
        "clearLabel": "Effacer la conversation",
        "cleared": "La conversation a été effacée.",
        "language": "Langue",
        "label": "Votre question",
        "placeholder": "Posez une question sur le logement…",
        "send": "Envoyer",
        "intro": (
            "Je réponds aux questions sur l'habitat coopératif, groupé et social en citant la "
            "base de connaissances. Pas de conseil personnel."
        ),
        "searching": "Recherche en cours…",
        "sources": "Sources",
        "you": "Vous",
        "bot": "Assistant",
        "notEnabled": "L'assistant n'est pas activé sur ce site.",
        "unreachable": "L'assistant est injoignable pour le moment. Réessayez plus tard.",
        "error": "Une erreur s'est produite. Réessayez plus tard.",
        "useful": "Cette réponse vous a-t-elle aidé\u00a0?",
        "yes": "Oui",
        "no": "Non",
        "thanks": "Merci pour votre avis.",
        "copy": "Copier",
        "copyLabel": "Copier la réponse",
        "copied": "La réponse a été copiée.",
        "opens": "(s'ouvre dans une nouvelle fenêtre)",
        "retry": "Réessayer",
        "refusal": "Pas de réponse",
        "privacy": "Vie privée",
    },
    privacy={
        "title": "Vie privée",
        "nav": "Navigation",
        "back": "← Retour à l'assistant",
        "kept_heading": "Ce qui est conservé",
        "controller_heading": "Qui est responsable",
        "controller_unset": "L'exploitant de ce site n'a pas encore indiqué qui est responsable des données.",
        "contact_heading": "Contact",
        "contact_unset": "L'exploitant de ce site n'a pas encore indiqué d'adresse de contact.",
        "rights_heading": "Vos droits",
        "rights": (
            "Selon le RGPD, vous pouvez demander quelles données vous concernant sont "
            "conservées, les faire rectifier ou effacer, en faire limiter le traitement et vous "
            "y opposer. Vous pouvez aussi porter plainte auprès d'une autorité de protection des "
            "données."
        ),
        "authority": "Autorité de contrôle : {authority}",
        "authority_unset": "L'exploitant de ce site n'a pas encore indiqué l'autorité de contrôle compétente.",
        "questions": (
            "Pour chaque question à laquelle l'assistant répond, le serveur ne garde que le "
            "jour, la langue, la région et s'il y avait une réponse. La question elle-même n'est "
            "pas conservée."
        ),
        "words": (
            "Les mots des questions restées sans réponse ne sont comptés qu'une fois utilisés "
            "par au moins {group} questions différentes : aucune question ne peut être relue."
        ),
        "feedback": (
            "Un pouce levé ou baissé est conservé avec les passages qu'il concerne, pas avec "
            "votre question."
        ),
        "feedback_questions": "L'exploitant de ce site conserve aussi la question avec un pouce levé ou baissé.",
        "conversations": (
            "Les conversations ne sont pas enregistrées sur le serveur : il garde vos dernières "
            "questions et réponses en mémoire pendant votre session seulement, pour comprendre "
            "une question de suivi, et ne les écrit nulle part. Elles restent dans votre "
            "navigateur jusqu'à ce que vous les effaciez ou fermiez la fenêtre. Les journaux du "
            "serveur ne contiennent aucune question."
        ),
        "retention": "Tout est effacé après {days} jours.",
        "third_parties": "L'assistant n'envoie rien à d'autres services.",
    },
)
