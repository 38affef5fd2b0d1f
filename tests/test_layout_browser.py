"""What a citizen meets in the chat on a phone, by keyboard and screen reader, while waiting,
and in a refusal (issue 20, items 4-7), in real Chromium; axe-core in each of these states.

The product's app with the hashing embedder (tests/browser_app.py); its service holds a
question while a test looks at the waiting page (HeldService).
"""

from __future__ import annotations

import pytest
from browser_app import (LIVE_RECORDER, NETCO_FR, PROEFTUIN_NL, App, HeldService, announced,
                         app_fixture, ask_chat, assert_no_violations, browser_fixture, open_chat,
                         open_page, said, shot)

from assistant.answer.catalogue import CHAT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

app = app_fixture("layout", HeldService)
browser = browser_fixture(60_000)

PHONE = {"width": 390, "height": 844}

# WCAG contrast of two CSS colours (rgb()/rgba() strings), as a page function's helpers.
CONTRAST_JS = """
    const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
        .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const ratio = (a, b) => { const x = lum(rgb(a)), y = lum(rgb(b));
        return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
    const behind = n => { for (; n; n = n.parentElement) { const c = getComputedStyle(n)
        .backgroundColor; const v = rgb(c); if (v.length === 3 || v[3] > 0) return c; }
        return 'rgb(255, 255, 255)'; };
"""


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


# --------------------------------------------------------------------------- item 4


@pytest.mark.parametrize("width", [390, 320])
def test_on_a_phone_the_question_and_examples_are_on_the_first_screen(browser, app: App,
                                                                     width: int) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, viewport={"width": width, "height": 844 if width == 390 else 640},
                     locale="fr-BE")
    try:
        open_chat(page, app.url)
        height = page.viewport_size["height"]
        field = box(page, "#question input")
        assert field["y"] + field["height"] <= height, field
        if width == 390:  # every example, not only the first
            last = box(page, ".example-questions button >> nth=-1")
            assert last["y"] + last["height"] <= height, last
        # No empty conversation box above the question, nothing wider than the screen.
        expect(page.locator("#chat")).to_be_hidden()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        # The placeholder fits its field (measured in the field's own font).
        fits = page.evaluate("""() => {
            const input = document.querySelector('#question input'), s = getComputedStyle(input);
            const ctx = document.createElement('canvas').getContext('2d');
            ctx.font = s.font;
            const room = input.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
            return [ctx.measureText(input.placeholder).width, room];
        }""")
        assert fits[0] <= fits[1], fits
        shot(page, f"layout-phone-{width}-empty.png")
        assert_no_violations(page, f"phone {width} empty")

        ask_chat(page, NETCO_FR)
        # The answer flows with the page: no scroll box inside it, no ↓ button over words.
        inner = page.evaluate("""() => [...document.querySelectorAll('#chat, #chat *')]
            .filter(n => { const o = getComputedStyle(n).overflowY;
                           return (o === 'auto' || o === 'scroll') && n.scrollHeight > n.clientHeight + 1; })
            .map(n => n.className)""")
        assert inner == [], inner
        expect(page.locator("#chat .scroll-down-button-container button")).to_be_hidden()
        # The question was brought to the top of the screen, the answer starts below it.
        asked = box(page, "#chat [data-testid=user]")
        assert 0 <= asked["y"] <= 60, asked
        shot(page, f"layout-phone-{width}-answer.png", full_page=True)
    finally:
        page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_no_empty_box_beside_the_language_and_region(browser, app: App, width: int,
                                                     scheme: str) -> None:
    page = open_page(browser, viewport={"width": width, "height": 900}, color_scheme=scheme)
    try:
        open_chat(page, app.url)
        # The controls fill the box that holds them: no background of it shows beside them.
        gaps = page.evaluate("""() => {
            const form = document.querySelector('#language').parentElement;
            const outer = form.getBoundingClientRect();
            const inner = [...form.children].map(n => n.getBoundingClientRect());
            const area = inner.reduce((s, r) => s + r.width * r.height, 0);
            return outer.width * outer.height - area;
        }""")
        assert gaps < 0.02 * 900 * 260, gaps
    finally:
        page.context.close()


# --------------------------------------------------------------------------- items 5, 6


def test_waiting_shows_no_fade_or_english_timers_and_one_announcement(browser, app: App) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, viewport={"width": 1280, "height": 900}, locale="nl-BE",
                     color_scheme="dark", init_script=LIVE_RECORDER)
    service = app.service
    try:
        open_chat(page, app.url)
        service.hold.clear()
        service.waiting.clear()
        page.locator("#question input").fill(PROEFTUIN_NL)
        page.locator("#question input").press("Enter")
        assert service.waiting.wait(30), "the question never reached the service"
        expect(page.locator("#chat-waiting")).to_have_text(CHAT["searching"]["nl"])
        page.wait_for_timeout(500)  # Gradio's timers and fading would be there by now
        # Nothing faded (Gradio's pending fade is 0.2; its chat text is always 0.8, which
        # axe checks), no "processing | 0.9s" in English anywhere.
        faded = page.evaluate("""() => [...document.querySelectorAll('.gradio-container *')]
            .filter(n => n.checkVisibility() && [...n.childNodes].some(t => t.nodeType === 3
                                                                        && t.data.trim()))
            .map(n => { let o = 1;
                        for (let up = n; up; up = up.parentElement)
                            o *= parseFloat(getComputedStyle(up).opacity);
                        return [o, n.textContent.slice(0, 30)]; })
            .filter(([o]) => o < 0.79)""")
        assert faded == [], faded
        assert "processing" not in page.locator("body").inner_text()
        expect(page.locator(".eta-bar, .progress-text, .timer")).to_have_count(0)
        shot(page, "layout-waiting-dark.png")
        assert_no_violations(page, "waiting (dark)")
        service.hold.set()

        answer = page.locator("#chat [data-testid=bot]").last
        expect(page.locator("#feedback-up")).to_be_visible()
        expect(page.locator("#chat-waiting")).to_have_count(0)
        # One live announcement for the answer, as plain text.
        assert announced(page) == [said(answer.inner_text())]
        assert_no_violations(page, "answer (dark)")
    finally:
        service.hold.set()
        page.context.close()


def test_after_clear_tab_reaches_only_visible_controls_and_the_answer_is_heard_once(
        browser, app: App) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, viewport={"width": 1280, "height": 900}, locale="en-GB",
                     init_script=LIVE_RECORDER)
    try:
        open_chat(page, app.url)
        ask_chat(page, NETCO_FR)
        # The hidden announcer is not in the accessibility tree: the answer is met once
        # when browsing, and its live copy is emptied once it was said.
        expect(page.locator("#announcer")).to_be_hidden()
        expect(page.locator("#chat-live")).to_have_text("", timeout=15_000)
        page.locator("#clear-chat").click()
        expect(page.locator("#chat [data-testid=bot]")).to_have_count(0)
        stops = []
        for _ in range(30):
            page.keyboard.press("Tab")
            stops.append(page.evaluate("""() => { const a = document.activeElement;
                if (!a || a === document.body) return null;
                const r = a.getBoundingClientRect();
                return {id: a.id, text: (a.innerText || a.value || '').slice(0, 30),
                        visible: r.width > 2 && r.height > 2 && a.checkVisibility(),
                        hidden: !!a.closest('#announcer, .sr-only, #kept')}; }"""))
        reached = [s for s in stops if s is not None]
        assert reached, stops
        bad = [s for s in reached if not s["visible"] or s["hidden"]]
        assert bad == [], bad
    finally:
        page.context.close()


# --------------------------------------------------------------------------- item 7


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_controls_and_links_keep_their_contrast(browser, app: App, scheme: str) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, viewport={"width": 1280, "height": 900}, locale="fr-BE",
                     color_scheme=scheme)
    try:
        open_chat(page, app.url)
        ask_chat(page, NETCO_FR)
        headers = page.locator("#sources-panel button.label-wrap:visible")
        for n in range(headers.count()):
            headers.nth(n).click()
            expect(headers.nth(n)).to_have_attribute("aria-expanded", "true")
        page.locator("#sources-panel .source-details a:visible").first.wait_for()
        found = page.evaluate("() => {" + CONTRAST_JS + """
            const radios = [...document.querySelectorAll('#language input[type=radio]')];
            const ring = r => { const s = getComputedStyle(r);
                return ratio(r.checked ? s.backgroundColor : s.borderTopColor, behind(r.parentElement)); };
            const link = [...document.querySelectorAll('#sources-panel .source-details a')]
                .find(a => a.checkVisibility());
            return {picked: radios.filter(r => r.checked).map(ring),
                    others: radios.filter(r => !r.checked).map(ring),
                    link: ratio(getComputedStyle(link).color, behind(link))};
        }""")
        assert min(found["picked"]) >= 3 and min(found["others"]) >= 3, found
        assert found["link"] >= 4.5, found
        # The languages' own names and the examples carry their language.
        assert page.locator("#language span[lang=fr]").inner_text() == "Français"
        assert page.locator("#language span[lang=en]").inner_text() == "English"
        for code in ("nl", "fr", "en"):
            assert page.locator(f".example-questions button[lang={code}]").count() == 1
    finally:
        page.context.close()


def test_a_refusal_looks_like_one_and_links_its_referral(browser, app: App) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, viewport={"width": 1280, "height": 900}, locale="nl-BE")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url)
    policy = app.service.policy  # shared with the served copy (Assistant.counting)
    saved = policy.answer
    try:
        open_chat(page, app.url)
        answer = ask_chat(page, NETCO_FR)
        # Copy carries the sources, with their titles and links, under the text.
        page.locator("#copy-answer").click()
        expect(page.locator("#copy-answer")).to_have_attribute("data-copied", CHAT["copied"]["fr"])
        copied = page.evaluate("() => navigator.clipboard.readText()")
        title = page.locator("#source-1 button.label-wrap span").first.inner_text().strip()
        assert copied.startswith(answer.inner_text().strip()[:40]), copied
        assert f"\n{CHAT['sources']['fr']}:\n" in copied and title in copied, copied
        assert "http" in copied.split(CHAT["sources"]["fr"])[-1], copied
        plain = answer.evaluate("n => parseFloat(getComputedStyle(n).borderLeftWidth)")

        policy.answer = ("fr", "en")  # Dutch questions are refused
        page.locator("#question input").fill("Waar vind ik hulp bij een huurgeschil?")
        page.locator("#question input").press("Enter")
        refusal = page.locator("#chat [data-testid=bot]").nth(1)
        expect(refusal).to_have_attribute("aria-label", CHAT["refusal"]["nl"])
        link = refusal.get_by_role("link", name="www.juridischloket.nl")
        expect(link).to_have_attribute("href", "https://www.juridischloket.nl")
        style = refusal.evaluate("""n => ({border: parseFloat(getComputedStyle(n).borderLeftWidth),
            icon: getComputedStyle(n, '::before').content})""")
        assert style["border"] >= 3 and plain < 1, (style, plain)
        assert style["icon"] not in ("none", "normal", ""), style
        shot(page, "layout-refusal.png")
        assert_no_violations(page, "refusal")
    finally:
        policy.answer = saved
        page.context.close()
