"""The widget on a phone, for screen readers and in a refusal, and /privacy (issue 20, items
5, 7 and 8), in real Chromium against the demo portal; axe-core in each state.

The product's app with the hashing embedder (tests/browser_app.py).
"""

from __future__ import annotations

import pytest
from browser_app import (LIVE_RECORDER, NETCO_FR, App, announced, app_fixture, ask_widget,
                         assert_no_violations, browser_fixture, open_chat, open_page, open_widget,
                         said, shot)

from assistant.answer.catalogue import PRIVACY, WIDGET

pytestmark = [pytest.mark.browser, pytest.mark.slow]

app = app_fixture("widget-dialog")
browser = browser_fixture(60_000)

# The focused element through the widget's shadow root: inside the panel, or where.
FOCUSED = """() => {
    const host = document.querySelector('[data-housing-assistant]');
    const a = document.activeElement;
    if (a !== host) return {inside: false, tag: a && a.tagName, text: a && a.textContent.slice(0, 30)};
    const b = host.shadowRoot.activeElement;
    return {inside: !!b && !!b.closest('.panel'), tag: b && b.tagName,
            head: !!b && !!b.closest('.head'), cls: b && b.className};
}"""


def test_on_a_phone_the_widget_is_a_full_screen_dialog_that_keeps_the_focus(
        browser, app: App) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, viewport={"width": 390, "height": 844}, locale="fr-BE",
                     init_script=LIVE_RECORDER)
    try:
        open_widget(page, app.url, "fr")
        panel = page.locator("#ha-panel")
        expect(panel).to_have_attribute("aria-modal", "true")
        box = panel.bounding_box()
        assert box["x"] <= 0 and box["y"] <= 0 and box["width"] >= 390 and box["height"] >= 844, box
        bubble = ask_widget(page, NETCO_FR)
        # One live announcement for the answer (not one per streamed piece), plain text.
        assert announced(page) == [said(bubble.locator(".text").inner_text())]
        assert page.locator(".log").get_attribute("aria-live") == "off"
        # Tab never leaves the panel; after its last control comes the header's first.
        stops = []
        for _ in range(25):
            page.keyboard.press("Tab")
            stops.append(page.evaluate(FOCUSED))
        assert all(s["inside"] for s in stops), [s for s in stops if not s["inside"]]
        wrapped = [i for i, s in enumerate(stops[1:], 1) if s["head"] and not stops[i - 1]["head"]]
        assert wrapped, stops
        assert stops[wrapped[0]]["tag"] == "SELECT", stops[wrapped[0]]  # the language switch
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(FOCUSED)["inside"]
        shot(page, "widget-phone-dialog.png")
        assert_no_violations(page, "widget dialog on a phone")
        # Escape closes it: the page is reachable again.
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
    finally:
        page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_widget_refusal_links_its_referral_and_copy_carries_the_sources(
        browser, app: App, scheme: str) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url)
    policy = app.service.policy  # shared with the served copy (Assistant.counting)
    saved = policy.answer
    try:
        open_widget(page, app.url, "fr")
        bubble = ask_widget(page, NETCO_FR)
        page.locator(".copy").click()
        expect(bubble.locator("[role=status]")).to_have_text(WIDGET["copied"]["fr"])
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied.startswith(bubble.locator(".text").inner_text().strip()), copied
        titles = bubble.locator(".sources .src-title").evaluate_all(
            "ns => ns.map(n => n.firstChild.textContent)")  # without "(opens in a new window)"
        assert len(titles) >= 2 and f"{titles[0]}\n" in copied
        assert f"\n\n{WIDGET['sources']['fr']}:\n" in copied, copied
        assert all(t in copied for t in titles) and "https://" in copied, copied
        # The privacy page is one link away, in the widget's language.
        expect(page.locator(".privacy a")).to_have_attribute("href", app.url + "/privacy?lang=fr")

        policy.answer = ("fr", "en")  # Dutch questions are refused
        refusal = ask_widget(page, "Waar vind ik hulp bij een huurgeschil?")
        expect(refusal).to_have_class("msg bot refusal")
        expect(refusal.locator(".who")).to_have_text(WIDGET["refusal"]["nl"])
        link = refusal.get_by_role("link", name="www.juridischloket.nl")
        expect(link).to_have_attribute("href", "https://www.juridischloket.nl/")
        icon = refusal.locator(".who").evaluate("n => getComputedStyle(n, '::before').content")
        assert icon not in ("none", "normal", ""), icon
        shot(page, f"widget-refusal-{scheme}.png")
        assert_no_violations(page, f"widget refusal ({scheme})")
    finally:
        policy.answer = saved
        page.context.close()


# --------------------------------------------------------------------------- item 8


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_privacy_is_styled_in_three_languages_and_linked_from_the_chat(browser, app: App,
                                                                     scheme: str) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, viewport={"width": 1280, "height": 900}, locale="nl-BE",
                     color_scheme=scheme)
    try:
        open_chat(page, app.url)
        page.locator("#language label", has_text="English").click()
        link = page.locator("#privacy-link a")
        expect(link).to_have_attribute("href", "/privacy?lang=en")
        page.goto(app.url + link.get_attribute("href"))
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("h1")).to_have_text(PRIVACY["title"]["en"])
        for key in ("controller_unset", "contact_unset", "rights", "authority_unset"):
            expect(page.get_by_text(PRIVACY[key]["en"])).to_be_visible()
        # Readable: the chat's fonts, lines of at most ~80 characters, the dark theme.
        style = page.evaluate("""() => { const p = document.querySelector('main p'),
                s = getComputedStyle(p);
            return {font: s.fontFamily, width: p.getBoundingClientRect().width,
                    size: parseFloat(s.fontSize), back: getComputedStyle(document.body).backgroundColor}; }""")
        assert "system-ui" in style["font"] and style["width"] <= 42 * style["size"], style
        assert (style["back"] == "rgb(255, 255, 255)") == (scheme == "light"), style
        shot(page, f"privacy-en-{scheme}.png")
        assert_no_violations(page, f"/privacy ({scheme})")
        # The switch: each language in its own; and the way back to the chat.
        page.locator("nav a[lang=fr]").click()
        expect(page.locator("h1")).to_have_text(PRIVACY["title"]["fr"])
        expect(page.locator("nav a[aria-current=page]")).to_have_attribute("lang", "fr")
        page.locator("#back").click()
        page.locator("#question input").wait_for()
    finally:
        page.context.close()
