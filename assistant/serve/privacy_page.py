"""/privacy for citizens: what the server keeps, who is responsible, how to reach them and the
rights a person has, in NL/FR/EN, styled like the chat (system fonts, readable lines, the
system's dark mode), with a language switch and a way back to the chat.

Who the controller is, their contact and the authority to complain to are the operator's
(settings.privacy_*); until they are set the page says so instead of inventing them.
"""

from __future__ import annotations

from html import escape

from assistant.answer import catalogue
from assistant.config import Settings

# The chat's system fonts and colours: focus ring blue-700 / blue-300, links 4.5:1 or more.
_STYLE = """
:root { color-scheme: light dark; --text: #1f2937; --back: #ffffff; --muted: #4b5563;
  --link: #1d4ed8; --ring: #1d4ed8; --rule: #d1d5db; }
@media (prefers-color-scheme: dark) { :root { --text: #f3f4f6; --back: #0b0f19;
  --muted: #d1d5db; --link: #93c5fd; --ring: #93c5fd; --rule: #374151; } }
body { margin: 0; background: var(--back); color: var(--text);
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
main { max-width: 40rem; margin: 0 auto; padding: 16px 20px 48px; }
nav { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 8px 16px;
  padding-bottom: 12px; border-bottom: 1px solid var(--rule); }
nav ul { display: flex; gap: 12px; margin: 0; padding: 0; list-style: none; }
a { color: var(--link); }
a[aria-current] { color: var(--text); font-weight: 700; text-decoration: none; }
a:focus-visible { outline: 3px solid var(--ring); outline-offset: 2px; }
h1 { font-size: 1.8rem; line-height: 1.25; margin: 24px 0 8px; }
h2 { font-size: 1.2rem; margin: 28px 0 4px; }
.unset { color: var(--muted); font-style: italic; }
"""

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{style}</style></head>
<body><main>
<nav aria-label="{nav}"><a href="/" id="back">{back}</a>
<ul>{switch}</ul></nav>
<h1>{title}</h1>
{body}
</main></body></html>
"""


def _switch(language: str) -> str:
    """Each language by its own name, in its own language; the current one marked."""
    return "".join(
        f'<li><a href="/privacy?lang={code}" lang="{code}" hreflang="{code}"'
        + (' aria-current="page"' if code == language else "")
        + f">{escape(name)}</a></li>" for code, name in catalogue.ENDONYMS.items())


def _operator(value: str, unset: str) -> str:
    value = value.strip()
    return f"<p>{escape(value)}</p>" if value else f'<p class="unset">{escape(unset)}</p>'


def _authority(settings: Settings, words: dict[str, str]) -> str:
    authority = settings.privacy_authority.strip()
    named = words["authority"].format(authority=authority) if authority else ""
    return _operator(named, words["authority_unset"])


def privacy_html(settings: Settings, language: str) -> str:
    words = catalogue.words(catalogue.PRIVACY, language)
    values = {"group": settings.insight_min_group, "days": settings.retention_days}
    kept = ["questions", "words",
            "feedback_questions" if settings.feedback_store_questions else "feedback",
            "conversations", "retention", "third_parties"]
    body = [f"<h2>{escape(words['kept_heading'])}</h2>"]
    body += [f"<p>{escape(words[key].format(**values))}</p>" for key in kept]
    body += [f"<h2>{escape(words['controller_heading'])}</h2>",
             _operator(settings.privacy_controller, words["controller_unset"]),
             f"<h2>{escape(words['contact_heading'])}</h2>",
             _operator(settings.privacy_contact, words["contact_unset"]),
             f"<h2>{escape(words['rights_heading'])}</h2>",
             f"<p>{escape(words['rights'])}</p>", _authority(settings, words)]
    return _PAGE.format(lang=language, title=escape(words["title"]), style=_STYLE,
                        nav=escape(words["nav"]), back=escape(words["back"]),
                        switch=_switch(language), body="\n".join(body))
