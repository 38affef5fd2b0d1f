"""The Gradio chat: chat_view's pure presentation logic, then the real chat in a real browser
(a question's turn without a browser: test_chat_turn.py).

The browser tests build a real index with the real model once for the module, serve
`ui.build_demo` mounted on FastAPI with uvicorn on a loopback port (as the product server
does) and drive Debian's headless Chromium with Playwright. Screenshots go to
test-artefacts/ (git-ignored).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from chat_fakes import FakeService, make_answer
from conftest import REPO_DIR, SEED_CORPUS, free_port

from assistant.serve import chat_view as view
from assistant.serve.chat_feedback import give_feedback
from assistant.serve.chat_turn import respond
from assistant.serve.feedback_log import FeedbackLog
from assistant.config import Settings
from assistant.answer.messages import say

ARTEFACTS = REPO_DIR / "test-artefacts"
# A corpus document carrying markup: once cited it must show as text, and nothing may run.
HOSTILE_TEXT = (
    "Woonfonds Zeeland\n\n"
    'Het Woonfonds Zeeland <img src=x onerror="window.__xss=3"> verstrekt startersleningen '
    "voor coöperatieve woonprojecten in Zeeland. <script>window.__xss=4</script> De "
    "starterslening van het Woonfonds Zeeland bedraagt maximaal 50.000 euro per woonproject.\n")
HOSTILE_META = {"title": 'Woonfonds <b onmouseover="window.__xss=5">Zeeland</b>',
                "publisher": "<script>window.__xss=6</script>", "language": "nl",
                "url": "javascript:window.__xss=7"}
NETCO_QUESTION = "Quelles villes néerlandaises ont participé à NETCO ?"
NETCO_TITLE = "NETCO: Opkomende Europese modellen voor “collaborative housing”"
XSS_QUESTION = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


# --------------------------------------------------------------------------- chat_view (no browser)


def test_escape_leaves_no_markup_and_round_trips() -> None:
    text = ('<script>alert(1)</script> <img src=x onerror=alert(1)> & *b* _i_ `c` ~s~ a|b '
            '$x$ me@x.org [l](http://e.org) ![i](j) https://x.org www.x.org\n# h\n- a\n1. b')
    escaped = view.escape_text(text)
    assert "<" not in escaped and ">" not in escaped
    assert "&lt;script&gt;" in escaped and "&amp;" in escaped
    for active in ("\\*b\\*", "\\_i\\_", "\\`c\\`", "\\~s\\~", "a\\|b", "\\$x\\$", "me\\@x",
                   "[l\\](", "https\\://", "www\\.", "\n\\# h", "\n\\- a", "\n1\\. b"):
        assert active in escaped, active
    assert view.unescape_text(escaped) == text
    # Ordinary prose keeps no backslashes (copying an answer gives clean text).
    plain = "Voici : “Nederland (Amsterdam en Eindhoven).” [1] a.b, c-d"
    assert view.escape_text(plain) == plain


def test_safe_link_only_allows_http() -> None:
    assert view.safe_link("javascript:alert(1)") is None
    assert view.safe_link("data:text/html,<b>") is None
    assert view.safe_link("") is None
    assert view.safe_link("https://example.org/a (b)") == "https://example.org/a%20%28b%29"


def test_labels_follow_the_language_of_the_last_question() -> None:
    assert view.ui_language(None) == "en"  # before any question
    assert view.ui_language("Wat is een proeftuin in het leertraject coöperatief wonen?") == "nl"
    assert view.ui_language("Quelles villes néerlandaises ont participé à NETCO ?") == "fr"
    assert view.ui_language("🏠🙂", previous="nl") == "nl"  # no words: keep the language shown
    assert {view.labels(code)["send"] for code in view.LANGUAGES} == {"Send", "Verstuur", "Envoyer"}
    for code in view.LANGUAGES:
        assert view.labels(code).keys() == view.labels("en").keys()
    assert view.labels("de") == view.labels("en")
    assert {view.ui_language(example) for example in view.EXAMPLES} == {"nl", "fr", "en"}


def test_source_views_show_metadata_escaped_and_mark_the_quote() -> None:
    [source] = view.source_views(make_answer(), "fr")
    assert source.label == "[1] NETCO <script>t</script>"  # plain-text component: not escaped
    assert "Éditeur: Brussel \\*Huisvesting\\*" in source.details
    assert "Date: 2020" in source.details
    assert "](https://example.org/doc%20%281%29)" in source.details
    assert "<" not in source.details
    quoted = [text for text, label in source.segments if label]
    assert quoted == ["Nederland (Amsterdam en Eindhoven) deed mee."]
    assert {label for _, label in source.segments} == {None, "cité"}
    assert "".join(text for text, _ in source.segments) == make_answer().citations[0].passage.text
    assert view.source_views(make_answer(refused=True), "fr") == []


def test_feedback_is_stored_without_the_question_by_default(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "fb")
    final = list(respond(FakeService(), "Quelles villes secrètes ?", [], {}, [], None))[-1]
    assert give_feedback(log, final.records, 1, True, "fr") == "Merci pour votre avis."
    assert give_feedback(log, final.records, 1, False, "fr") == "Merci pour votre avis."
    assert give_feedback(log, final.records, 1, "", "fr") == "Votre avis a été retiré."
    lines = (tmp_path / "fb" / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["vote"] for e in entries] == ["up", "down", "withdrawn"]
    assert entries[0].keys() == {"timestamp", "vote", "kind", "language", "refused", "passage_ids"}
    assert entries[0]["passage_ids"] == ["p1"] and entries[0]["language"] == "fr"
    assert "secrètes" not in "\n".join(lines)

    give_feedback(log, final.records, 1, True, "fr", with_question=True)
    lines = (tmp_path / "fb" / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    last = json.loads(lines[-1])
    assert last["question"] == "Quelles villes secrètes ?"


def test_build_demo_makes_mountable_blocks(tmp_path: Path) -> None:
    import gradio as gr
    import ui

    demo = ui.build_demo(FakeService(), FeedbackLog(tmp_path))
    assert isinstance(demo, gr.Blocks) and not demo.is_running
    assert ui.MOUNT_OPTIONS["theme"] is ui.THEME


def test_a_chat_vote_follows_the_apps_settings_not_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The vote goes to the app's FeedbackLog and keeps the question as the app's settings
    say, whatever ASSISTANT_FEEDBACK_* holds (chat_view read them from the environment)."""
    import ui

    monkeypatch.setenv("ASSISTANT_FEEDBACK_DIR", str(tmp_path / "environment"))
    monkeypatch.setenv("ASSISTANT_FEEDBACK_STORE_QUESTIONS", "0")
    service = FakeService()
    service.settings = Settings(feedback_dir=tmp_path / "app", feedback_store_questions=True,
                                chat_concurrency=3)
    demo = ui.build_demo(service, FeedbackLog(service.settings.feedback_dir))
    like = next(fn for fn in demo.fns.values() if fn.concurrency_id == "feedback")
    answer = next(fn for fn in demo.fns.values() if fn.concurrency_id == "answer")
    assert answer.concurrency_limit == 3
    final = list(respond(service, "Quelles villes ?", [], {}, [], None))[-1]
    assert like.fn(final.records, "fr") == "Merci pour votre avis."
    [line] = (tmp_path / "app" / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["question"] == "Quelles villes ?"
    assert not (tmp_path / "environment").exists()


# --------------------------------------------------------------------------- the real chat


@dataclass
class ChatServer:
    url: str
    feedback: Path


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    import gradio as gr
    from fastapi import FastAPI, Response
    from loopback import LoopbackServer

    from assistant.answer.catalogue import chat_script

    import ui
    from assistant.pipeline import Pipeline
    from assistant.wiring import build_assistant

    root = tmp_path_factory.mktemp("ui")
    corpus = root / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    (corpus / "hostile.txt").write_text(HOSTILE_TEXT, encoding="utf-8")
    (corpus / "hostile.txt.meta.json").write_text(json.dumps(HOSTILE_META), encoding="utf-8")
    pipeline = Pipeline(Settings(), index_dir=root / "index")
    pipeline.ingest(corpus, show_progress=False)
    settings = Settings(feedback_dir=root / "feedback", feedback_store_questions=False)
    service = build_assistant(settings, pipeline=pipeline)

    port = free_port()
    app = FastAPI()
    # The page's script (ui.HEAD), as the product's server serves it.
    app.get("/chat.js")(lambda: Response(chat_script(), media_type="text/javascript"))
    app = gr.mount_gradio_app(app, ui.build_demo(service, FeedbackLog(settings.feedback_dir)),
                              "/", server_name="127.0.0.1", server_port=port, **ui.MOUNT_OPTIONS)
    with LoopbackServer(app, port=port, lifespan="on") as served:
        yield ChatServer(f"{served.url}/", root / "feedback")


@pytest.fixture(scope="module")
def browser_page(chat_server: ChatServer):
    from browser_app import launched_chromium

    ARTEFACTS.mkdir(exist_ok=True)
    requests: list[str] = []
    # (expect's timeout: unused here, the tests wait with the page's default timeout)
    with launched_chromium(60_000) as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(chat_server.url)
        page.locator("#question input").wait_for()
        try:
            yield page, requests
        finally:
            context.close()


def assert_loopback_only(requests: list[str]) -> None:
    assert requests, "no request was recorded"
    outside = sorted({url for url in requests
                      if urlsplit(url).scheme not in ("data", "blob")
                      and urlsplit(url).hostname not in LOOPBACK})
    assert not outside, f"requests left 127.0.0.1: {outside}"


def bot_messages(page):
    return page.locator("#chat [data-testid=bot]")


def wait_for_reply(page, before: int) -> str:
    """Wait until a new assistant message is there and the chat is idle (chat.js marks the
    conversation busy while a question is answered); its text."""
    page.wait_for_function(
        """before => {
            const bots = document.querySelectorAll('#chat [data-testid=bot]');
            const log = document.querySelector('#chat [role=log]');
            return bots.length > before && log.getAttribute('aria-busy') === 'false';
        }""", arg=before)
    return bot_messages(page).last.inner_text()


def ask_with_keyboard(page, question: str) -> str:
    before = bot_messages(page).count()
    page.locator("#question input").focus()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(question)
    page.keyboard.press("Enter")
    return wait_for_reply(page, before)


def shown_language(page) -> str:
    send = page.locator("#send").inner_text().strip()
    [code] = [code for code in view.LANGUAGES if view.labels(code)["send"] == send]
    return code


@pytest.mark.browser
@pytest.mark.model
def test_french_question_by_keyboard_gets_cited_answer_and_sources(browser_page,
                                                                   chat_server) -> None:
    page, requests = browser_page
    page.screenshot(path=str(ARTEFACTS / "ui-start.png"), full_page=True)
    # Reach the question box with Tab only, type, press Enter.
    for _ in range(30):
        if page.evaluate("document.activeElement?.closest('#question') !== null"):
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("the question box cannot be reached with Tab")
    page.keyboard.type(NETCO_QUESTION)
    page.keyboard.press("Enter")
    answer = wait_for_reply(page, 0)

    assert "[1]" in answer, answer
    assert page.locator("#chat [data-testid=user]").last.inner_text().strip() == NETCO_QUESTION
    assert shown_language(page) == "fr"
    placeholder = page.locator("#question input").get_attribute("placeholder")
    assert placeholder == view.labels("fr")["placeholder"]
    source = page.locator("#source-1")
    header = source.locator("button.label-wrap")
    assert header.is_visible()
    assert header.inner_text().startswith("[1] ")
    assert NETCO_TITLE in page.locator("#sources-panel").inner_text()

    # Open the source with the keyboard; the quoted part of the passage is highlighted.
    header.focus()
    page.keyboard.press("Enter")
    highlighted = source.locator(".token.highlighted")
    highlighted.first.wait_for()
    quotes = highlighted.all_inner_texts()
    assert any("Amsterdam" in quote for quote in quotes), quotes
    assert "Brussel Huisvesting" in source.inner_text()
    page.screenshot(path=str(ARTEFACTS / "ui-answer-sources.png"), full_page=True)

    # Thumbs up: stored without the question text.
    page.locator("#feedback-up").click()  # ours, in the catalogue's words (not Gradio's "Like")
    page.locator("#status").get_by_text(view.labels("fr")["thanks"]).wait_for()
    log = chat_server.feedback / "feedback.jsonl"
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert entries[-1]["vote"] == "up" and entries[-1]["language"] == "fr"
    assert entries[-1]["passage_ids"] and "question" not in entries[-1]
    assert "NETCO" not in log.read_text(encoding="utf-8")
    assert_loopback_only(requests)


@pytest.mark.browser
@pytest.mark.model
def test_markup_in_a_cited_document_is_shown_as_text(browser_page) -> None:
    page, requests = browser_page
    answer = ask_with_keyboard(page, "Hoeveel bedraagt de starterslening van het Woonfonds Zeeland?")
    assert "[1]" in answer, answer
    assert "<img" in answer or "<script>" in answer, answer  # the quote, verbatim, as text
    panel = page.locator("#sources-panel")
    assert "<b onmouseover" in panel.inner_text()  # the title, as text
    header = page.locator("#source-1 button.label-wrap")
    header.focus()
    page.keyboard.press("Enter")
    page.locator("#source-1 .token.highlighted").first.wait_for()
    assert "<script>window.__xss=6</script>" in page.locator("#source-1").inner_text()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#chat img[src='x'], #sources-panel img[src='x'], #chat script, "
                        "#sources-panel script, #sources-panel a[href^='javascript']").count() == 0
    page.screenshot(path=str(ARTEFACTS / "ui-cited-markup-as-text.png"), full_page=True)
    assert_loopback_only(requests)


@pytest.mark.browser
@pytest.mark.model
def test_markup_in_a_question_is_shown_as_text(browser_page) -> None:
    page, requests = browser_page
    ask_with_keyboard(page, XSS_QUESTION)
    assert page.evaluate("typeof window.__xss") == "undefined"
    asked = page.locator("#chat [data-testid=user]").last
    assert asked.inner_text().strip() == XSS_QUESTION
    literal = asked.get_by_text("<script>", exact=False)
    assert literal.is_visible()
    assert page.locator("#chat img[src='x'], #chat script").count() == 0
    page.screenshot(path=str(ARTEFACTS / "ui-markup-as-text.png"), full_page=True)
    assert_loopback_only(requests)


@pytest.mark.browser
@pytest.mark.model
def test_bad_questions_get_a_clear_message(browser_page) -> None:
    page, requests = browser_page
    empty = ask_with_keyboard(page, "")
    language = shown_language(page)
    assert empty.strip() == say("empty", language)

    emoji = ask_with_keyboard(page, "🏠🏡🙂")
    assert emoji.strip() == say("no_words", shown_language(page))

    before = bot_messages(page).count()
    page.locator("#question input").fill("huur " * 20_000)  # 100 kB
    page.locator("#question input").press("Enter")
    too_long = wait_for_reply(page, before)
    limit = str(Settings().max_question_chars)
    assert too_long.strip() in {say("too_long", code, limit=limit) for code in view.LANGUAGES}
    assert "Traceback" not in page.locator("body").inner_text()
    page.screenshot(path=str(ARTEFACTS / "ui-bad-questions.png"), full_page=True)
    assert_loopback_only(requests)


@pytest.mark.browser
@pytest.mark.model
def test_an_example_question_is_asked_from_the_keyboard(browser_page) -> None:
    page, requests = browser_page
    before = bot_messages(page).count()
    example = page.locator(".example-questions button", has_text=view.EXAMPLES[1])
    example.focus()
    page.keyboard.press("Enter")
    answer = wait_for_reply(page, before)
    assert page.locator("#chat [data-testid=user]").last.inner_text().strip() == view.EXAMPLES[1]
    assert "[1]" in answer
    assert shown_language(page) == "nl"
    # The conversation is named in Dutch by chat.js (no Gradio label floats over it).
    page.wait_for_function("n => document.querySelector('#chat [role=log]')"
                           "?.getAttribute('aria-label') === n", arg=view.labels("nl")["chat"])
    assert "Leertraject" in page.locator("#source-1 button.label-wrap").inner_text()
    assert_loopback_only(requests)
