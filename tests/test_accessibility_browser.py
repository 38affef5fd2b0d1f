"""WCAG 2.x A/AA by machine (axe-core in real Chromium), languages and layout, on the product's
pages: the chat (empty, then with an answer and an opened source; NL, FR and EN; light and
dark), the demo portal with the widget open and an answer shown, and /api/docs.

The app runs with the hashing embedder (tests/browser_app.py): the pages are the product's,
the answers real extractive ones. Screenshots go to test-artefacts/ (git-ignored).
"""

from __future__ import annotations

from functools import partial

import browser_app
import pytest
from browser_app import (NETCO_FR, PRESSURE_EN, PROEFTUIN_NL, App, app_fixture, ask_chat,
                         ask_widget, assert_no_violations, browser_fixture, open_chat, open_page)

from assistant.serve import chat_view as view
from assistant.answer.catalogue import ANSWER, WIDGET

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTIONS = {"nl": PROEFTUIN_NL, "fr": NETCO_FR, "en": PRESSURE_EN}
LOCALES = {"nl": "nl-BE", "fr": "fr-BE", "en": "en-GB"}
# Widths of a desktop, a phone and a small phone; 200% zoom of 1280x900 is 640x450 CSS px.
SIZES = {"1280": ({"width": 1280, "height": 900}, 1), "390": ({"width": 390, "height": 844}, 3),
         "320": ({"width": 320, "height": 640}, 2), "zoom200": ({"width": 640, "height": 450}, 2)}


app = app_fixture("a11y")
browser = browser_fixture(60_000)


def new_page(browser, size: str = "1280", **options):
    viewport, scale = SIZES[size]
    return open_page(browser, viewport=viewport, device_scale_factor=scale, **options)


shot = partial(browser_app.shot, min_bytes=5_000)  # a screenshot of a page, never a blank one


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("lang", ["nl", "fr", "en"])
def test_the_chat_has_no_wcag_violations(browser, app: App, lang: str, scheme: str) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, locale=LOCALES[lang], color_scheme=scheme)
    open_chat(page, app.url)
    # Before any question the page speaks the browser's language (Accept-Language).
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#send")).to_have_text(view.labels(lang)["send"])
    assert page.evaluate("() => document.body.classList.contains('dark')") == (scheme == "dark")
    assert_no_violations(page, f"empty chat {lang} {scheme}")

    answer = ask_chat(page, QUESTIONS[lang])
    header = page.locator("#source-1 button.label-wrap")
    expect(header).to_have_attribute("aria-expanded", "false")
    header.click()
    expect(header).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#source-1 .token.highlighted").first).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    # Every quote carries its document's language; the source's title and passage too.
    quotes = answer.locator("span[lang]")
    assert quotes.count() >= 1
    for code, text in zip(quotes.evaluate_all("ns => ns.map(n => n.lang)"),
                          quotes.all_inner_texts()):
        assert code in view.LANGUAGES and text.startswith("“"), (code, text)
    source_lang = page.locator("#source-1 .source-passage .container").get_attribute("lang")
    assert source_lang in view.LANGUAGES
    # Gradio's English message labels are replaced by the catalogue's.
    assert answer.get_attribute("aria-label") == view.labels(lang)["answer"]
    assert page.locator("#chat [aria-label*=message]").count() == 0
    assert_no_violations(page, f"chat with an answer and an opened source {lang} {scheme}")
    shot(page, f"a11y-chat-{lang}-{scheme}.png", full_page=True)
    assert page.errors == []
    page.context.close()


def test_a_dutch_question_in_a_french_browser_switches_everything_to_dutch(browser, app) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, locale="fr-BE")
    open_chat(page, app.url)
    expect(page.locator("#send")).to_have_text("Envoyer")
    answer = ask_chat(page, PROEFTUIN_NL)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#send")).to_have_text(view.labels("nl")["send"])
    expect(answer).to_contain_text(ANSWER["framing"]["nl"])
    expect(page.locator("#feedback-up")).to_have_text(view.labels("nl")["like"])
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_demo_portal_with_the_widget_answer_has_no_violations(browser, app, scheme) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, color_scheme=scheme)
    page.goto(app.url + "/demo?lang=fr")
    page.locator(".launcher").click()
    expect(page.locator(".panel")).to_be_visible()
    bubble = ask_widget(page, NETCO_FR)
    expect(bubble.locator(".sources li").first).to_be_visible()
    # Quotes, in the answer and under the sources, carry their document's language.
    assert bubble.locator(".text span[lang='nl']").count() >= 1
    assert bubble.locator(".sources li[lang='nl']").count() >= 1
    background = page.locator(".panel").evaluate("n => getComputedStyle(n).backgroundColor")
    assert (background == "rgb(255, 255, 255)") == (scheme == "light"), background
    assert_no_violations(page, f"demo portal with the widget's answer ({scheme})")
    shot(page, f"a11y-demo-widget-{scheme}.png")
    assert page.errors == []
    page.context.close()


def test_the_api_docs_have_no_violations(browser, app) -> None:
    from playwright.sync_api import expect

    page = new_page(browser)
    page.goto(app.url + "/api/docs")
    expect(page.locator("#paths h2").first).to_be_visible()
    assert_no_violations(page, "/api/docs")
    shot(page, "a11y-api-docs.png", full_page=True)
    text = page.locator("#paths").inner_text()
    page.context.close()
    # What a portal developer needs is on the page, with no schema left as a reference.
    assert "q (query, required, string, minLength 1, maxLength 1000)" in text
    assert '"question"' in text and '"citations"' in text  # AskRequest / AskResponse resolved
    assert "429" in text and '"error"' in text  # the documented limits, in the error shape
    assert "done" in text  # the stream's event names
    assert "#/components" not in text


@pytest.mark.parametrize("size", list(SIZES))
def test_the_chat_keeps_the_question_and_the_answer_start_in_view(browser, app, size) -> None:
    page = new_page(browser, size, locale="fr-BE")
    open_chat(page, app.url)
    shot(page, f"chat-{size}-empty.png")
    ask_chat(page, NETCO_FR)
    box = page.evaluate("""() => {
        const log = document.querySelector('#chat [role=log]');
        const view = log.getBoundingClientRect();
        const top = s => [...document.querySelectorAll(s)].pop().getBoundingClientRect();
        const asked = top('#chat [data-testid=user]'), answer = top('#chat [data-testid=bot]');
        const below = s => document.querySelector(s).getBoundingClientRect().top;
        return {view: [view.top, view.bottom], asked: [asked.top, asked.bottom],
                answer: answer.top, label: document.querySelectorAll('#chat label').length,
                sources: below('#sources-panel'), examples: below('#examples'),
                chatBottom: view.bottom, width: document.documentElement.scrollWidth,
                header: document.querySelector('#header').getBoundingClientRect().width,
                inner: window.innerWidth};
    }""")
    top, bottom = box["view"]
    # The question, and the answer's first line below it, are inside the visible box.
    assert top <= box["asked"][0] and box["asked"][1] <= bottom, box
    assert box["answer"] + 24 <= bottom, box
    assert box["label"] == 0, "a label floats over the conversation"
    assert box["width"] <= box["inner"], box  # nothing wider than the screen
    if int(SIZES[size][0]["width"]) < 768:
        # On a phone the sources come right after the conversation, the examples after them.
        assert box["chatBottom"] < box["sources"] < box["examples"], box
        assert box["header"] >= 0.8 * box["inner"], box  # not squeezed beside the switch
    shot(page, f"chat-{size}-answer.png")
    page.locator("#sources-panel").scroll_into_view_if_needed()
    shot(page, f"chat-{size}-sources.png")

    # A follow-up question, asked below a long conversation, is brought to the box's top (on
    # a phone the conversation has no box: to the top of the screen).
    ask_chat(page, PROEFTUIN_NL)
    page.wait_for_function("""phone => {
        const log = document.querySelector('#chat [role=log]').getBoundingClientRect();
        const top = phone ? 0 : log.top;
        const asked = [...document.querySelectorAll('#chat [data-testid=user]')].pop()
            .getBoundingClientRect();
        return top <= asked.top && asked.top <= top + 40;
    }""", arg=int(SIZES[size][0]["width"]) < 768)
    shot(page, f"chat-{size}-follow-up.png")
    page.context.close()


@pytest.mark.parametrize("size", [*SIZES, "zoom400"])
def test_the_widget_header_stays_reachable(browser, app, size) -> None:
    from playwright.sync_api import expect

    # 400% zoom of 1280x720 leaves 320x180 CSS px.
    viewport, scale = SIZES.get(size, ({"width": 320, "height": 180}, 4))
    context = browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(app.url + "/demo?lang=nl")
    page.locator(".launcher").click()
    bubble = ask_widget(page, PROEFTUIN_NL)
    bubble.locator(".sources li").last.scroll_into_view_if_needed()
    close = page.locator(".close")
    expect(close).to_have_text(WIDGET["close"]["nl"])
    expect(close).to_be_in_viewport()
    inside = page.evaluate("""() => {
        const root = document.querySelector('[data-housing-assistant]').shadowRoot;
        const box = n => root.querySelector(n).getBoundingClientRect();
        const head = box('.head'), panel = box('.panel');
        return {head: [head.left, head.top, head.right, head.bottom],
                panel: [panel.left, panel.top, panel.right, panel.bottom],
                page: document.documentElement.scrollWidth};
    }""")
    width, height = viewport["width"], viewport["height"]
    left, top, right, bottom = inside["head"]
    assert left >= 0 and top >= 0 and right <= width and bottom <= height, inside
    assert inside["panel"][2] <= width and inside["page"] <= width, inside
    shot(page, f"widget-{size}.png")
    close.click()
    expect(page.locator(".panel")).to_be_hidden()
    context.close()
