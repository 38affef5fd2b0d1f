"""English: every sentence the product shows a citizen in it. The keys are every language's
(`register` checks), so they are commented here."""

from assistant.languages.profile import Strings

STRINGS = Strings(
    endonym="English",
    language_names={"nl": "Dutch", "fr": "French", "en": "English"},
    answer={
        "framing": "This is what the documents in the knowledge base say:",
        "source_language": "The quotes are in {source}, the language of the source.",
        "refusal": "The knowledge base does not cover this question. {referral}",
        "empty": "Please ask a question about housing, for example about cooperative housing.",
        "too_long": "Your question is too long (at most {limit} characters). Please shorten it.",
        "no_words": "I could not find any words in your question. Please ask it in plain text.",
        # An answer whose every source is older than settings.old_document_years (sources.py).
        "dated": "This answer is based on documents from {years}; things may have changed since.",
    },
    api={
        "rate_limited": "Too many questions in a row. Please try again in {seconds} seconds.",
        "busy": "The assistant is busy. Please try again in a few seconds.",
        "forbidden_origin": "The assistant is not enabled on this site.",
        "body_too_large": "The request is too large (at most {limit} bytes).",
        "malformed_json": "The request body is not valid JSON.",
        "invalid": "Invalid request: {detail}",
        "history": "Too many earlier messages (at most {limit}).",
        "last_not_user": "The last message must be a question from the user.",
        "not_found": "This page does not exist.",
        "unauthorized": "This page needs a valid access token.",
        "loading": "The assistant is starting. Please try again in a moment.",
        "internal": "Something went wrong on our side. Please try again later.",
    },
    chat={
        "title": "Housing knowledge base",
        "intro": (
            "Ask about cooperative, collaborative and social housing in English, Dutch or "
            "French. Answers quote the documents and number their sources."
        ),
        "chat": "Conversation",
        "question": "Your question",
        # Short enough for a 320-px phone's field (the label above already says "your question").
        "placeholder": "Type here, then press Enter",
        "send": "Send",
        "language": "Language",
        # The region filter (regions.REGIONS); "all" searches every document.
        "region": "Region",
        "region_all": "All regions",
        "region_flanders": "Flanders",
        "region_brussels": "Brussels",
        "region_netherlands": "Netherlands",
        "region_eu": "Europe",
        "examples": "Example questions",
        "sources": "Sources",
        "no_sources": "The sources of the latest answer appear here.",
        "answer": "Answer",
        "passage": "Passage",
        "quote": "quoted",
        "publisher": "Publisher",
        "date": "Date",
        "link": "Link",
        "useful": "Was the latest answer helpful?",
        "like": "Yes, helpful",
        "dislike": "No, not helpful",
        "copy": "Copy the answer",
        "copied": "Copied",
        "clear": "Clear the conversation",
        "thanks": "Thank you for your feedback.",
        "feedback_removed": "Your feedback was withdrawn.",
        "apology": "Sorry, something went wrong on our side. Please try again in a moment.",
        # The server gone (chat.js): the question is kept, "try again" asks it once it is back.
        "offline": (
            "The assistant cannot be reached right now. Your question is kept: try again in a "
            "moment."
        ),
        "starting": "The assistant is starting. Your question is kept: try again in a moment.",
        "back": "The assistant can be reached again. Your question is kept.",
        "retry": "Try again",
        # While a question waits (chat.js), and the name of a message that is a refusal.
        "searching": "Searching…",
        "refusal": "No answer",
        "privacy": "Privacy: what this assistant keeps",
    },
    widget={
        "launcher": "Ask about housing",
        "title": "Housing assistant",
        "close": "Close",
        # Each aria-label holds the visible text (WCAG 2.5.3, label in name).
        "clear": "Clear",
        "clearLabel": "Clear the conversation",
        "cleared": "The conversation was cleared.",
        "language": "Language",
        "label": "Your question",
        "placeholder": "Ask a question about housing…",
        "send": "Send",
        "intro": (
            "I answer questions on cooperative, collaborative and social housing with quotes "
            "from the knowledge base. No personal advice."
        ),
        "searching": "Searching…",
        "sources": "Sources",
        "you": "You",
        "bot": "Assistant",
        "notEnabled": "The assistant is not enabled on this site.",
        "unreachable": "The assistant cannot be reached right now. Please try again later.",
        "error": "Something went wrong. Please try again later.",
        "useful": "Was this helpful?",
        "yes": "Yes",
        "no": "No",
        "thanks": "Thank you for your feedback.",
        "copy": "Copy",
        "copyLabel": "Copy the answer",
        "copied": "The answer was copied.",
        "opens": "(opens in a new window)",
        # A question that could not be answered (server gone, busy, starting) is asked again.
        "retry": "Try again",
        "refusal": "No answer",
        "privacy": "Privacy",
    },
    # /privacy: what the server keeps and for how long (insight.py), who is responsible and the
    # rights a person has (privacy_page.py; the operator's own details are settings.privacy_*).
    privacy={
        "title": "Privacy",
        "nav": "Navigation",
        "back": "← Back to the assistant",
        "kept_heading": "What is kept",
        "controller_heading": "Who is responsible",
        "controller_unset": "The operator of this site has not yet said who is responsible for the data.",
        "contact_heading": "Contact",
        "contact_unset": "The operator of this site has not yet given a contact address.",
        "rights_heading": "Your rights",
        "rights": (
            "Under the GDPR you may ask which data about you are kept, have them corrected or "
            "erased, have their processing restricted and object to it. You may also complain to "
            "a data protection authority."
        ),
        "authority": "Supervisory authority: {authority}",
        "authority_unset": "The operator of this site has not yet named the supervisory authority.",
        "questions": (
            "For each question the assistant answers, the server keeps only the day, the "
            "language, the region and whether there was an answer. The question itself is not "
            "kept."
        ),
        "words": (
            "Words of questions without an answer are counted only once at least {group} "
            "different questions used them: no single question can be read back."
        ),
        "feedback": "A thumbs up or down is kept with the passages it is about, not with your question.",
        "feedback_questions": "The operator of this site also keeps the question with a thumbs up or down.",
        "conversations": (
            "Conversations are not stored on the server: it holds your last questions and answers "
            "in memory only for your session, to understand a follow-up question, and never "
            "writes them down. They stay in your browser until you clear them or close the window. The server's logs hold no questions."
        ),
        "retention": "Everything is deleted after {days} days.",
        "third_parties": "The assistant sends nothing to other services.",
    },
)
