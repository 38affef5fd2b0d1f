"""A conversation that never breaks (issue 20), in real Chromium: the chat and the widget after a
language switch, with the server gone and back, across reloads and portal pages, and the small
things a citizen notices (links in referrals, what Copy carries, refusals, /privacy).

The product's app with the hashing embedder (tests/browser_app.py).
"""

from __future__ import annotations

import pytest
from browser_app import (ARTIFACTS, NETCO_FR, PROEFTUIN_NL, App, app_fixture, browser_fixture,
                         open_page)

from assistant.answer.catalogue import ANSWER
from assistant.serve import chat_view as view

pytestmark = [pytest.mark.browser, pytest.mark.slow]

app = app_fixture("conversation")
browser = browser_fixture(60_000)


@pytest.fixture
def page(browser, app: App):
    page = open_page(browser, viewport={"width": 1280, "height": 900}, locale="nl-BE",
                     console_errors=True)
    yield page
    page.context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def open_chat(page, url: str) -> None:
    page.goto(url + "/")
    page.locator("#question input").wait_for()
    page.wait_for_function("() => document.querySelector('#chat [role=log]')"
                           "?.getAttribute('aria-live') === 'off'")  # chat.js has run


def ask_chat(page, question: str):
    from playwright.sync_api import expect

    before = page.locator("#chat [data-testid=bot]").count()
    page.locator("#question input").fill(question)
    page.locator("#question input").press("Enter")
    answer = page.locator("#chat [data-testid=bot]").nth(before)
    expect(answer).to_contain_text("[1]")
    expect(page.locator("#feedback-up")).to_be_visible()  # the answer is final
    return answer


# --------------------------------------------------------------------------- item 1


def test_switching_language_after_an_answer_relabels_everything_and_keeps_the_answer(
        page, app: App) -> None:
    from playwright.sync_api import expect

    open_chat(page, app.url)
    answer = ask_chat(page, NETCO_FR)
    expect(page.locator("#header")).to_contain_text(view.labels("fr")["title"])
    said = answer.inner_text().strip()
    announced = page.locator("#announcer").inner_text().strip()
    assert announced == said

    page.locator("#language label", has_text="English").click()
    en = view.labels("en")
    expect(page.locator("#header")).to_contain_text(en["title"])
    expect(page.locator("#send")).to_have_text(en["send"])
    expect(page.locator("#feedback-up")).to_have_text(en["like"])
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # The conversation is still there, unchanged, and no error badge or toast replaced it.
    assert page.locator("#chat [data-testid=bot]").last.inner_text().strip() == said
    assert page.locator(".toast-body, #chat .error, .error.svelte-1ipelgc").count() == 0
    for text in ("Fout", "Erreur", "Error"):
        assert page.get_by_text(text, exact=True).count() == 0, text
    # Not announced a second time, and nothing in the hidden announcer takes the focus.
    assert page.locator("#announcer").inner_text().strip() == announced
    assert page.locator("#announcer a, #announcer [tabindex]").count() == 0
    # The sources are relabelled too, and a follow-up is still answered (in English).
    expect(page.locator("#sources-panel")).to_contain_text(en["sources"])
    ask_chat(page, PROEFTUIN_NL)
    expect(page.locator("#chat [data-testid=bot]").last).to_contain_text(
        ANSWER["framing"]["en"])
    shot(page, "conversation-switch-after-answer.png")
    assert page.errors == []
