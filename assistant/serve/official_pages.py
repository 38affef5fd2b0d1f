"""Two small pages beside the chat: /privacy for citizens, /insight for officials (token)."""

from __future__ import annotations

import hmac
from html import escape

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from assistant.answer import catalogue
from assistant.serve.error_shape import error_response
from assistant.serve.api_messages import preferred_language, say
from assistant.config import Settings
from assistant.serve.insight import InsightLog, report_json
from assistant.serve.privacy_page import privacy_html

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main><h1>{title}</h1>
{body}
</main></body></html>
"""


def insight_log(settings: Settings) -> InsightLog:
    return InsightLog(settings.feedback_dir, settings.insight_min_group, settings.retention_days)


def install_official_pages(app: FastAPI, settings: Settings) -> InsightLog:
    """Add /privacy and /insight; returns the log the service records answers in. Entries
    past the retention are purged now, at start-up."""
    log = insight_log(settings)
    log.purge()

    @app.get("/privacy", include_in_schema=False)
    def privacy(request: Request, lang: str | None = Query(None)) -> HTMLResponse:
        language = lang if lang in catalogue.LANGUAGES else preferred_language(request.headers)
        return HTMLResponse(privacy_html(settings, language))

    @app.get("/insight", include_in_schema=False)
    def insight(request: Request, days: int = Query(30, ge=1, le=366)):
        token = settings.insight_token.get_secret_value()
        if not token:  # the page is off unless an operator set a token
            return error_response(404, say("not_found", preferred_language(request.headers)))
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return error_response(401, say("unauthorized", preferred_language(request.headers)),
                                  {"WWW-Authenticate": "Bearer"})
        report = log.report(days)
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(report_json(report))
        return HTMLResponse(_PAGE.format(lang="en", title="What the knowledge base lacks",
                                         body=_report_html(report_json(report))))

    return log


def _report_html(data: dict) -> str:
    head = "".join(f"<th scope=\"col\">{name}</th>"
                   for name in ("day", "language", "region", "asked", "refused", "thumbs down"))
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(str(row[key]) or '-')}</td>" for key in
                         ("day", "language", "region", "asked", "refused", "thumbs_down")) + "</tr>"
        for row in data["rows"]) or '<tr><td colspan="6">nothing recorded</td></tr>'
    words = ", ".join(f"{escape(w['word'])} ({w['questions']})" for w in data["refused_words"])
    return (f"<p>Last {data['days']} days. No question text is kept.</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            f"<h2>Words of refused questions</h2><p>Stems used by at least {data['min_group']} "
            f"refused questions: {words or 'none yet'}.</p>")
