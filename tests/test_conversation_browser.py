"""A conversation that never breaks (issue 20), in real Chromium: the chat and the widget after a
language switch, with the server gone and back, across reloads and portal pages, and the small
things a citizen notices (links in referrals, what Copy carries, refusals, /privacy).

The product's app with the hashing embedder (tests/browser_app.py).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_app import (NETCO_FR, PRESSURE_EN, PROEFTUIN_NL, App, app_fixture,
                         LIVE_RECORDER, HeldService, announced, ask_chat, ask_widget, built_app,
                         browser_fixture, open_chat, open_page, open_widget, page_fixture, said,
                         shot)
from loopback import LoopbackServer

from assistant.answer.catalogue import ANSWER, WIDGET
from assistant.serve import chat_view as view

pytestmark = [pytest.mark.browser, pytest.mark.slow]

app = app_fixture("conversation")
browser = browser_fixture(60_000)
page = page_fixture(viewport={"width": 1280, "height": 900}, locale="nl-BE", console_errors=True,
                    init_script=LIVE_RECORDER)


# --------------------------------------------------------------------------- item 1


def test_switching_language_after_an_answer_relabels_everything_and_keeps_the_answer(
        page, app: App) -> None:
    from playwright.sync_api import expect

    open_chat(page, app.url)
    answer = ask_chat(page, NETCO_FR)
    expect(page.locator("#header")).to_contain_text(view.labels("fr")["title"])
    reply = answer.inner_text().strip()
    assert announced(page) == [said(reply)]

    page.locator("#language label", has_text="English").click()
    en = view.labels("en")
    expect(page.locator("#header")).to_contain_text(en["title"])
    expect(page.locator("#send")).to_have_text(en["send"])
    expect(page.locator("#feedback-up")).to_have_text(en["like"])
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # The conversation is still there, unchanged, and no error badge or toast replaced it.
    assert page.locator("#chat [data-testid=bot]").last.inner_text().strip() == reply
    assert page.locator(".toast-body, #chat .error, .error.svelte-1ipelgc").count() == 0
    for text in ("Fout", "Erreur", "Error"):
        assert page.get_by_text(text, exact=True).count() == 0, text
    # Not announced a second time, and nothing in the hidden announcer takes the focus.
    assert announced(page) == [said(reply)]
    assert page.locator("#announcer a, #announcer [tabindex]").count() == 0
    # The sources are relabelled too, and a follow-up is still answered (in English).
    expect(page.locator("#sources-panel")).to_contain_text(en["sources"])
    ask_chat(page, PROEFTUIN_NL)
    expect(page.locator("#chat [data-testid=bot]").last).to_contain_text(
        ANSWER["framing"]["en"])
    shot(page, "conversation-switch-after-answer.png")
    assert page.errors == []


# --------------------------------------------------------------------------- item 2


class Restartable:
    """The app on a fixed loopback port that a test stops and starts again."""

    def __init__(self, root: Path) -> None:
        self.service, self.app = built_app(root, HeldService)
        self.server: LoopbackServer | None = None
        self.port: int | None = None

    def start(self) -> None:
        # A stopped server closes its open streams within a second.
        self.server = LoopbackServer(self.app, port=self.port, timeout_graceful_shutdown=1)
        self.port = self.server.port
        self.server.__enter__()
        self.server.wait_ready()

    def stop(self) -> None:
        """Stops the server; a question held meanwhile is let go once it has stopped (it goes
        on to a closed stream)."""
        if self.server is not None:
            self.server.__exit__(None, None, None)
            self.server = None

    def stop_in_background(self) -> threading.Thread:
        """`stop` in a thread, for a server that waits for the held question (join it after
        releasing `service.hold`)."""
        server, self.server = self.server, None
        stopping = threading.Thread(target=server.__exit__, args=(None, None, None))
        stopping.start()
        return stopping

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def restartable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restartable]:
    served = Restartable(tmp_path_factory.mktemp("restartable"))
    served.start()
    yield served
    served.service.hold.set()
    served.stop()


def test_the_chat_survives_the_server_going_away_mid_question(browser, restartable) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, viewport={"width": 1280, "height": 900}, locale="nl-BE")
    try:
        if restartable.server is None:
            restartable.start()
        open_chat(page, restartable.url)
        nl = view.labels("nl")
        restartable.service.hold.clear()
        restartable.service.waiting.clear()
        page.locator("#question input").fill(PROEFTUIN_NL)
        page.locator("#question input").press("Enter")
        expect(page.locator("#chat [data-testid=user]")).to_have_count(1)
        assert restartable.service.waiting.wait(30), "the question never reached the service"
        # The server goes away while the question is being answered.
        stopping = restartable.stop_in_background()
        banner = page.locator("#chat-offline")
        expect(banner).to_contain_text(nl["offline"])
        restartable.service.hold.set()
        stopping.join()
        expect(banner).to_have_attribute("role", "alert")
        # In Dutch, not Gradio's English toast; the question is kept in the field.
        expect(page.locator(".toast-body").filter(has_text="Connection")).to_be_hidden()
        expect(page.locator("#question input")).to_have_value(PROEFTUIN_NL)
        shot(page, "conversation-server-gone.png")
        # Enter and "try again" while it is still gone: the page stays, the message too.
        page.locator("#question input").press("Enter")
        page.locator("#chat-retry").click()
        expect(banner).to_contain_text(nl["offline"])
        expect(page.locator("#question input")).to_have_value(PROEFTUIN_NL)

        restartable.start()
        expect(banner).to_contain_text(nl["back"])
        page.locator("#chat-retry").click()
        answer = page.locator("#chat [data-testid=bot]").last
        expect(answer).to_contain_text(ANSWER["framing"]["nl"])
        expect(page.locator("#feedback-up")).to_be_visible()
        expect(page.locator("#chat-offline")).to_have_count(0)
        # Asked once, answered once.
        expect(page.locator("#chat [data-testid=user]")).to_have_count(1)
        expect(page.locator("#chat [data-testid=user]")).to_contain_text(PROEFTUIN_NL)
        shot(page, "conversation-server-back-answered.png")
    finally:
        restartable.service.hold.set()
        page.context.close()


# --------------------------------------------------------------------------- item 3


def test_a_reload_keeps_the_chats_conversation_until_it_is_cleared(page, app: App) -> None:
    from playwright.sync_api import expect

    open_chat(page, app.url)
    page.locator("#region input").click()
    page.get_by_role("option", name=view.labels("nl")["region_brussels"], exact=True).click()
    expect(page.locator("#region input")).to_have_value(view.labels("nl")["region_brussels"])
    answer = ask_chat(page, NETCO_FR)
    reply = answer.inner_text().strip()
    sources = page.locator("#sources-panel .gr-accordion:visible")
    expect(sources.first).to_be_visible()  # rendered in the same update, maybe a frame later
    titles = sources.all_inner_texts()
    page.locator("#question input").fill("nog niet verstuurd")

    page.reload()
    page.locator("#question input").wait_for()
    expect(page.locator("#chat [data-testid=bot]")).to_have_count(1)
    assert page.locator("#chat [data-testid=bot]").last.inner_text().strip() == reply
    expect(page.locator("#header")).to_contain_text(view.labels("fr")["title"])
    expect(page.locator("#feedback-up")).to_be_visible()
    expect(sources).to_have_count(len(titles))
    assert sources.all_inner_texts() == titles
    expect(page.locator("#region input")).to_have_value(view.labels("fr")["region_brussels"])
    expect(page.locator("#question input")).to_have_value("nog niet verstuurd")
    # Not read out again after the reload.
    assert page.locator("#announcer").inner_text().strip() == ""
    # A [n] of the kept answer still opens its source.
    page.locator("#chat a[href^='#source-']").first.click()
    expect(page.locator("#sources-panel button.label-wrap.open")).to_have_count(1)
    # A follow-up reads the kept conversation.
    page.locator("#question input").fill("")
    ask_chat(page, PRESSURE_EN)
    expect(page.locator("#chat [data-testid=user]")).to_have_count(2)

    page.locator("#clear-chat").click()
    expect(page.locator("#chat [data-testid=user]")).to_have_count(0)
    page.reload()
    page.locator("#question input").wait_for()
    page.wait_for_function("() => JSON.parse(sessionStorage.getItem('housing-assistant-chat-"
                           "conversation') || 'null')?.event === 'start'"
                           " || document.querySelector('#snapshot textarea, #snapshot input')"
                           "?.value")
    expect(page.locator("#chat [data-testid=user]")).to_have_count(0)
    assert page.errors == []


def test_a_new_window_starts_an_empty_chat(browser, app: App) -> None:
    """sessionStorage is the tab's: another window (a new context here) keeps nothing."""
    from playwright.sync_api import expect

    first = open_page(browser, locale="nl-BE")
    second = open_page(browser, locale="nl-BE")
    try:
        open_chat(first, app.url)
        ask_chat(first, NETCO_FR)
        open_chat(second, app.url)
        expect(second.locator("#header")).to_contain_text(view.labels("nl")["title"])
        expect(second.locator("#chat [data-testid=user]")).to_have_count(0)
    finally:
        first.context.close()
        second.context.close()


# --------------------------------------------------------------------------- the widget


def test_the_widget_keeps_its_conversation_and_open_panel_across_portal_pages(
        page, app: App) -> None:
    from playwright.sync_api import expect

    open_widget(page, app.url, "fr")
    bubble = ask_widget(page, NETCO_FR)
    reply = bubble.locator(".text").inner_text()
    sources = bubble.locator(".sources li").all_inner_texts()
    assert sources
    # Another page of the portal (the same tab): the panel is open, the conversation there.
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/demo?lang=en")
    expect(page.locator("#ha-panel")).to_be_visible()
    expect(page.locator(".msg.bot")).to_have_count(1)
    assert page.locator(".msg.bot .text").inner_text() == reply
    assert page.locator(".msg.bot .sources li").all_inner_texts() == sources
    expect(page.locator(".msg.bot .cite").first).to_be_visible()
    expect(page.locator("#ha-title")).to_have_text(WIDGET["title"]["fr"])  # the answer's
    # A follow-up carries the kept conversation as its history.
    with page.expect_request(lambda r: r.url.endswith("/api/ask/stream")) as sent:
        page.locator("#ha-input").fill(PRESSURE_EN)
        page.locator("#ha-input").press("Enter")
    assert json.loads(sent.value.post_data)["history"][0]["content"] == NETCO_FR
    expect(page.locator(".msg.bot").nth(1)).to_have_attribute("aria-busy", "false")
    shot(page, "conversation-widget-next-page.png")

    # Closed and cleared stay so on the next page.
    page.locator(".clear").click()
    page.locator(".close").click()
    page.get_by_role("link", name="Nederlands").click()
    page.wait_for_url("**/demo?lang=nl")
    expect(page.locator(".launcher")).to_be_visible()
    expect(page.locator("#ha-panel")).to_be_hidden()
    page.locator(".launcher").click()
    expect(page.locator(".msg.bot")).to_have_count(0)
    assert page.errors == []


def test_the_widget_keeps_the_question_and_asks_again_when_the_server_is_back(
        browser, restartable) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, viewport={"width": 1280, "height": 900}, locale="fr-BE")
    try:
        if restartable.server is None:
            restartable.start()
        open_widget(page, restartable.url, "fr")
        restartable.stop()
        notice = ask_widget(page, NETCO_FR)
        expect(notice).to_contain_text(WIDGET["unreachable"]["fr"])
        expect(page.locator("#ha-input")).to_have_value(NETCO_FR)  # the question is kept
        retry = notice.get_by_role("button", name=WIDGET["retry"]["fr"])
        shot(page, "conversation-widget-unreachable.png")

        restartable.start()
        retry.click()
        answer = page.locator(".msg.bot").last
        expect(answer).to_have_attribute("aria-busy", "false")
        expect(answer).to_contain_text(ANSWER["framing"]["fr"])
        expect(page.locator(".msg.notice")).to_have_count(0)
        expect(page.locator(".msg.user")).to_have_count(1)
        expect(page.locator("#ha-input")).to_have_value("")
    finally:
        page.context.close()
