"""Keyboard only, in real Chromium: the chat and the widget can be used without a mouse, with a
visible focus ring (3:1 or more against what surrounds it) at every stop, answers and thanks
are announced by live regions, and the language follows the switch, then the question.

The product's app with the hashing embedder (tests/browser_app.py).
"""

from __future__ import annotations

import json

import pytest
from browser_app import (LIVE_RECORDER, NETCO_FR, PROEFTUIN_NL, App, announced, app_fixture,
                         browser_fixture, open_page, said, shot)

from assistant.serve import chat_view as view
from assistant.answer.catalogue import ANSWER, WIDGET

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The focused element (through shadow roots), its outline, and the outline's contrast with
# its halo (a box-shadow) or else the first opaque background behind it.
FOCUS = """() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    if (!a || a === document.body) return null;
    const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
        .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const style = getComputedStyle(a);
    let behind = null;
    if (style.boxShadow && style.boxShadow !== 'none') behind = rgb(style.boxShadow).slice(0, 3);
    for (let n = a.parentElement || a.getRootNode().host; !behind && n;
         n = n.parentElement || n.getRootNode().host) {
        const c = rgb(getComputedStyle(n).backgroundColor);
        if (c.length === 3 || c[3] > 0) behind = c.slice(0, 3);
    }
    const ring = lum(rgb(style.outlineColor)), back = lum(behind || [255, 255, 255]);
    return {tag: a.tagName, id: a.id, testid: a.closest('[data-testid]')?.dataset.testid || '',
            text: (a.innerText || a.value || a.getAttribute('aria-label') || '').trim().slice(0, 80),
            label: a.closest('.label-wrap') ? a.closest('.gr-accordion').id : '',
            style: style.outlineStyle, width: parseFloat(style.outlineWidth),
            contrast: (Math.max(ring, back) + 0.05) / (Math.min(ring, back) + 0.05)};
}"""


app = app_fixture("keyboard")
browser = browser_fixture(60_000)


@pytest.fixture(params=["light", "dark"])
def page(request, browser, app: App):
    page = open_page(browser, viewport={"width": 1280, "height": 900}, locale="en-GB",
                     color_scheme=request.param, init_script=LIVE_RECORDER)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url)
    page.scheme = request.param
    yield page
    page.context.close()


def focused(page) -> dict:
    """The focused element; fails unless its focus ring is visible (3px-ish, 3:1)."""
    info = page.evaluate(FOCUS)
    assert info is not None, "nothing has the focus"
    assert info["style"] != "none" and info["width"] >= 2, info
    assert info["contrast"] >= 3, info
    return info


def tab_to(page, matches, limit: int = 40, back: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until the focused element matches; every stop on the way
    must show its focus (past the page's last stop the browser's own UI has it)."""
    info = None
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate(FOCUS) is None:
            continue
        info = focused(page)
        if matches(info):
            return info
    pytest.fail(f"the keyboard never reached the element (last: {info})")


# --------------------------------------------------------------------------- the chat


def test_the_chat_by_keyboard_only(page, app: App) -> None:
    from playwright.sync_api import expect

    page.goto(app.url + "/")
    page.locator("#question input").wait_for()
    page.wait_for_function("() => document.querySelector('#chat [role=log]')"
                           "?.getAttribute('aria-live') === 'off'")
    tab_to(page, lambda f: f["tag"] == "INPUT" and f["testid"] == "textbox")
    page.keyboard.type(NETCO_FR)
    page.keyboard.press("Enter")
    expect(page.locator("#feedback-up")).to_be_visible()
    fr = view.labels("fr")
    answer = page.locator("#chat [data-testid=bot]").last
    # Announced once, finished, as plain text by a live region (the streamed log is silent).
    expect(page.locator("#chat-live")).to_have_attribute("role", "status")
    assert page.locator("#chat [role=log]").get_attribute("aria-live") == "off"
    assert announced(page) == [said(answer.inner_text())]
    assert ANSWER["framing"]["fr"] in announced(page)[0]
    shot(page, f"keyboard-chat-answer-{page.scheme}.png")

    # Each citation: reached with Tab, opened with Enter, closed with Enter.
    count = page.locator("#sources-panel .gr-accordion:visible").count()
    assert count >= 1
    for n in range(1, count + 1):
        tab_to(page, lambda f, n=n: f["label"] == f"source-{n}")
        header = page.locator(f"#source-{n} button.label-wrap")
        page.keyboard.press("Enter")
        expect(header).to_have_attribute("aria-expanded", "true")
        expect(page.locator(f"#source-{n} .token.highlighted").first).to_be_visible()
        if n == 1:
            shot(page, f"keyboard-chat-source-{page.scheme}.png")
        page.keyboard.press("Enter")
        expect(header).to_have_attribute("aria-expanded", "false")

    # Feedback, from the keyboard: thanks next to the buttons, in a live region.
    tab_to(page, lambda f: f["id"] == "feedback-up", back=True)
    page.keyboard.press("Enter")
    status = page.locator("#status")
    expect(status).to_have_text(fr["thanks"])
    expect(status).to_have_attribute("role", "status")
    up = page.locator("#feedback-up").bounding_box()
    near = status.bounding_box()
    assert abs(near["y"] - up["y"]) < 60, (up, near)  # on the buttons' line, not far below
    entries = [json.loads(line) for line in
               (app.feedback / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    assert entries[-1]["vote"] == "up" and entries[-1]["passage_ids"]
    assert "question" not in entries[-1]

    # Copy the answer: the clipboard holds its text.
    tab_to(page, lambda f: f["id"] == "copy-answer")
    page.keyboard.press("Enter")
    expect(page.locator("#copy-answer")).to_have_attribute("data-copied", fr["copied"])
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert ANSWER["framing"]["fr"] in copied and "[1]" in copied

    # Clear: the conversation goes, the focus returns to the question.
    tab_to(page, lambda f: f["id"] == "clear-chat")
    page.keyboard.press("Enter")
    expect(page.locator("#chat [data-testid=bot]")).to_have_count(0)
    expect(page.locator("#question input")).to_be_focused()
    expect(page.locator("#send")).to_have_text(fr["send"])
    assert page.errors == []


def test_the_chats_language_switch_beats_the_questions_language(page, app: App) -> None:
    from playwright.sync_api import expect

    page.goto(app.url + "/")
    page.locator("#question input").wait_for()
    expect(page.locator("html")).to_have_attribute("lang", "en")  # Accept-Language: en-GB
    # Pick Nederlands with the keyboard (Tab to it, Space).
    tab_to(page, lambda f: f["tag"] == "INPUT" and f["testid"] == "Nederlands-radio-label")
    page.keyboard.press("Space")
    expect(page.locator("#send")).to_have_text(view.labels("nl")["send"])
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    # A French question is now answered in Dutch, and the interface stays Dutch.
    page.locator("#question input").fill(NETCO_FR)
    page.locator("#question input").press("Enter")
    expect(page.locator("#feedback-up")).to_have_text(view.labels("nl")["like"])
    expect(page.locator("#chat [data-testid=bot]").last).to_contain_text(ANSWER["framing"]["nl"])
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page).to_have_title(view.labels("nl")["title"])


# --------------------------------------------------------------------------- the widget


def ask_widget(page, question: str, lang_sent: str | None):
    """Type and press Enter in the widget; checks the `lang` the request carried."""
    from playwright.sync_api import expect

    before = page.locator(".msg.bot").count()
    with page.expect_request(lambda r: r.url.endswith("/api/ask/stream")) as sent:
        page.keyboard.type(question)
        page.keyboard.press("Enter")
    assert json.loads(sent.value.post_data).get("lang") == lang_sent
    bubble = page.locator(".msg.bot").nth(before)
    expect(bubble).to_have_attribute("aria-busy", "false")
    return bubble


def test_the_widget_by_keyboard_only(page, app: App) -> None:
    from playwright.sync_api import expect

    page.goto(app.url + "/demo?lang=nl")
    tab_to(page, lambda f: f["text"] == WIDGET["launcher"]["nl"])
    page.keyboard.press("Enter")
    expect(page.locator("#ha-input")).to_be_focused()
    bubble = ask_widget(page, PROEFTUIN_NL, None)
    expect(bubble.locator(".text")).to_contain_text("[1]")
    # Said once, finished, by the panel's status region (the streamed log itself is silent).
    assert bubble.evaluate("n => n.closest('[aria-live]').getAttribute('aria-live')") == "off"
    assert announced(page)[-1] == said(bubble.locator(".text").inner_text())

    # Each citation is a Tab stop with a visible ring.
    items = bubble.locator(".sources li")
    assert items.count() >= 1
    for n in range(items.count()):
        tab_to(page, lambda f, n=n: f["tag"] == "LI" and f["text"].startswith(f"[{n + 1}]"))
    shot(page, f"keyboard-widget-citation-{page.scheme}.png")

    # Copy, then the feedback: thanks focused and in a live region.
    tab_to(page, lambda f: f["text"] == WIDGET["copy"]["nl"])
    page.keyboard.press("Enter")
    expect(bubble.get_by_text(WIDGET["copied"]["nl"])).to_be_visible()
    assert "[1]" in page.evaluate("() => navigator.clipboard.readText()")
    tab_to(page, lambda f: f["text"] == WIDGET["yes"]["nl"])
    page.keyboard.press("Enter")
    thanks = bubble.get_by_text(WIDGET["thanks"]["nl"])
    expect(thanks).to_be_focused()
    expect(thanks).to_have_attribute("role", "status")

    # Clear (in the header, reached backwards), then close with Escape.
    tab_to(page, lambda f: f["text"] == WIDGET["clear"]["nl"], back=True)
    page.keyboard.press("Enter")
    expect(page.locator(".msg.bot")).to_have_count(0)
    expect(page.get_by_text(WIDGET["cleared"]["nl"])).to_be_visible()
    expect(page.locator("#ha-input")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator(".panel")).to_be_hidden()
    expect(page.locator(".launcher")).to_be_focused()
    focused(page)
    assert page.errors == []


def test_the_widget_answers_a_dutch_question_in_dutch_on_a_french_page(page, app: App) -> None:
    from playwright.sync_api import expect

    page.goto(app.url + "/demo?lang=fr")  # data-lang="fr": a bilingual Brussels portal
    page.locator(".launcher").click()
    expect(page.locator("h2")).to_have_text(WIDGET["title"]["fr"])
    bubble = ask_widget(page, PROEFTUIN_NL, None)
    expect(bubble.locator(".text")).to_contain_text(ANSWER["framing"]["nl"])
    # The whole widget now speaks Dutch; the answer, and each quote, say which language.
    expect(page.locator("h2")).to_have_text(WIDGET["title"]["nl"])
    expect(page.locator(".send")).to_have_text(WIDGET["send"]["nl"])
    assert page.locator(".wrap").get_attribute("lang") == "nl"
    assert bubble.get_attribute("lang") == "nl"
    quotes = bubble.locator(".text span[lang]")
    assert quotes.count() >= 1 and quotes.first.inner_text().startswith("“")

    # Picking Français in the switch beats the question's language from then on.
    page.locator("#ha-lang").focus()
    focused(page)
    page.locator("#ha-lang").select_option("fr")
    expect(page.locator("h2")).to_have_text(WIDGET["title"]["fr"])
    expect(page.locator(".clear")).to_have_attribute("aria-label", WIDGET["clearLabel"]["fr"])
    page.locator("#ha-input").focus()
    french = ask_widget(page, PROEFTUIN_NL, "fr")
    expect(french.locator(".text")).to_contain_text(ANSWER["framing"]["fr"])
    expect(page.locator(".send")).to_have_text(WIDGET["send"]["fr"])
    # Earlier messages keep their own language; their labels follow the interface.
    assert bubble.get_attribute("lang") == "nl"
    expect(bubble.locator(".who")).to_have_text(WIDGET["bot"]["fr"])
