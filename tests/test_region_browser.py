"""The region filter, grouped sources, `[n]` links and the age notice in real Chromium: the
widget on portals that set `data-region`, and the chat's region choice, both by keyboard.

The app (chat, API, widget) serves the regional index with the hashing embedder; refusals
come from the double that refuses questions about a landlord (tests/regional.py).
"""

from __future__ import annotations

import re

import json
from collections.abc import Iterator
from functools import partial
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_app import browser_fixture, page_fixture
from conftest import REPO_DIR, free_port
from loopback import LoopbackServer, PageSite
from regional import EU_META, LandlordPolicy, regional_pipeline

from assistant.answer.catalogue import CHAT
from assistant.answer.messages import say
from assistant.referrals import DEFAULT_REFERRALS
from assistant.serve.server import create_app
from assistant.wiring import build_assistant

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTEFACTS = REPO_DIR / "test-artefacts"
NETCO_NL = "Welke steden namen deel aan het NETCO netwerk van steden?"
PRESSURE_NL = "Wanneer is de Transitie Pressure Cooker?"  # two passages of 004 (2014)
LANDLORD_FR = "Mon bailleur peut-il augmenter le loyer en cours de bail ?"
LANDLORD_AMSTERDAM = "Mag mijn verhuurder in Amsterdam de huur verhogen?"
NETCO_TITLE = "NETCO: Opkomende Europese modellen voor “collaborative housing”"
# Titles of the Dutch and European documents of the regional corpus.
NETHERLANDS_TITLES = {"Verslag buitenlandse dienstreis", "Toekomstbestendige sociale huisvesting",
                      EU_META["title"]}


def portal_page(app_url: str, path: str) -> bytes:
    """The portal's page: `/?region=x&lang=y` embeds the widget with them."""
    query = parse_qs(urlsplit(path).query)
    region, lang = query.get("region", [""])[0], query.get("lang", ["nl"])[0]
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>Portaal</title></head><body><h1>Portaal</h1>"
            f'<script src="{app_url}/widget.js" data-lang="{lang}" '
            f'data-region="{region}" async></script></body></html>').encode()


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    with PageSite(partial(portal_page, app_url)) as portal:  # on its own loopback origin
        pipeline = regional_pipeline(tmp_path_factory.mktemp("region-browser"),
                                     allowed_origins=[portal.url], rate_limit="1000/minute",
                                     search_rate_limit="1000/minute")
        service = build_assistant(pipeline.settings, pipeline=pipeline,
                                  policy=LandlordPolicy())
        with LoopbackServer(create_app(pipeline.settings, service), port=port):
            yield {"app": app_url, "portal": portal.url}


browser = browser_fixture(30_000)
page = page_fixture(viewport={"width": 1280, "height": 900}, locale="nl-BE")


def shot(page, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / name))


def tab_until(page, selector: str, limit: int = 40) -> None:
    """Press Tab until `selector` (in the page or the widget's shadow root) has the focus."""
    target = page.locator(selector).first
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("node => node.getRootNode().activeElement === node"):
            return
    pytest.fail(f"Tab never reached {selector}")


# --------------------------------------------------------------------------- the widget


def widget_ask(page, portal: str, region: str, question: str, lang: str = "nl"):
    """Open the widget on the portal with the keyboard, ask; the request body and the bubble."""
    from playwright.sync_api import expect

    page.goto(f"{portal}/?region={region}&lang={lang}")
    # A new visitor: the widget keeps a tab's conversation and open panel across the
    # portal's pages (sessionStorage), so a second question here would find them.
    page.evaluate("sessionStorage.clear()")
    page.reload()
    tab_until(page, ".launcher")
    page.keyboard.press("Enter")
    expect(page.locator("#ha-input")).to_be_focused()
    with page.expect_request(lambda r: r.url.endswith("/api/ask/stream")) as asked:
        page.keyboard.type(question)
        page.keyboard.press("Enter")
    bubble = page.locator(".msg.bot").last
    expect(bubble).to_have_attribute("aria-busy", "false")
    return json.loads(asked.value.post_data), bubble


def test_widget_searches_the_portals_region_only(page, sites) -> None:
    body, bubble = widget_ask(page, sites["portal"], "netherlands", NETCO_NL)
    assert body["region"] == "netherlands"
    titles = set(bubble.locator(".sources .src-title").all_inner_texts())
    assert titles and titles <= NETHERLANDS_TITLES, titles
    assert NETCO_TITLE not in bubble.inner_text()
    shot(page, "region-widget-netherlands.png")
    # Without data-region every document is searched: NETCO (Brussels) is cited.
    body, bubble = widget_ask(page, sites["portal"], "", NETCO_NL)
    assert "region" not in body
    netco = bubble.locator(".sources a.src-title", has_text=NETCO_TITLE)  # it has a link
    assert netco.get_attribute("href") == "https://netcoproject.org/"
    assert page.errors == []


def test_widget_groups_a_documents_citations_and_shows_each_quote_once(page, sites) -> None:
    from playwright.sync_api import expect

    _, bubble = widget_ask(page, sites["portal"], "", PRESSURE_NL)
    items = bubble.locator(".sources li")
    expect(items).to_have_count(1)  # [1] and [2] quote the same document
    expect(items.first.locator(".num")).to_have_text("[1] [2]")
    expect(items.first.locator(".src-title")).to_have_text("Toekomstbestendige sociale huisvesting")
    answer = bubble.locator(".text").inner_text()
    quotes = [line[1:line.rindex("”")] for line in answer.splitlines() if line.startswith("“")]
    assert len(quotes) == 2
    for quote in quotes:
        assert bubble.inner_text().count(quote) == 1, quote
    # How old the sources are, in the asker's language.
    assert answer.rstrip().endswith(say("dated", "nl", years="2014"))
    assert page.errors == []


def test_widget_markers_are_buttons_that_lead_to_their_source(page, sites) -> None:
    from playwright.sync_api import expect

    _, bubble = widget_ask(page, sites["portal"], "", PRESSURE_NL)
    markers = bubble.locator(".text button.cite")
    expect(markers).to_have_count(2)
    assert markers.all_inner_texts() == ["[1]", "[2]"]
    # The keyboard reaches a marker from the question box (backwards through the answer).
    page.locator("#ha-input").focus()
    for _ in range(30):
        page.keyboard.press("Shift+Tab")
        if markers.last.evaluate("node => node.getRootNode().activeElement === node"):
            break
    else:
        pytest.fail("Shift+Tab never reached the [2] marker")
    page.keyboard.press("Enter")
    source = bubble.locator(".sources li").first
    assert source.evaluate("node => node.getRootNode().activeElement === node")
    expect(source).to_be_in_viewport()
    shot(page, "region-widget-marker-focus.png")


def test_widget_refusals_refer_to_the_portals_region(page, sites) -> None:
    for region in ("brussels", "flanders"):
        _, bubble = widget_ask(page, sites["portal"], region, LANDLORD_FR, lang="fr")
        expected = say("refusal", "fr", referral=DEFAULT_REFERRALS[region]["fr"])
        assert bubble.locator(".text").inner_text().strip() == expected
    # A question about Amsterdam, on a Brussels portal: Dutch services, in Dutch.
    _, bubble = widget_ask(page, sites["portal"], "brussels", LANDLORD_AMSTERDAM)
    expected = say("refusal", "nl", referral=DEFAULT_REFERRALS["netherlands"]["nl"])
    assert bubble.locator(".text").inner_text().strip() == expected
    assert page.errors == []


# --------------------------------------------------------------------------- the chat


def chat_answer(page, question: str) -> str:
    before = page.locator("#chat [data-testid=bot]").count()
    page.locator("#question input, #question textarea").first.focus()
    page.keyboard.type(question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        """before => {
            const bots = document.querySelectorAll('#chat [data-testid=bot]');
            const tracker = document.querySelector('#chat [data-testid=status-tracker]');
            return bots.length > before && (!tracker || tracker.classList.contains('hide'));
        }""", arg=before)
    return page.locator("#chat [data-testid=bot]").last.inner_text()


def choose_region(page, label: str) -> None:
    """Pick a region in the chat's dropdown with the keyboard only."""
    from playwright.sync_api import expect

    tab_until(page, "#region input")
    page.keyboard.press("ArrowDown")
    option = page.get_by_role("option", name=label, exact=True)
    expect(option).to_be_visible()
    for _ in range(8):
        try:  # the highlight follows each key press a moment later: wait for it, not only look
            expect(option).to_have_class(re.compile(r"\bactive\b"), timeout=700)
            break
        except AssertionError:
            page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#region input")).to_have_value(label)


def panel_titles(page) -> list[str]:
    from playwright.sync_api import expect

    expect(page.locator("#source-1 button.label-wrap")).to_be_visible()
    return [header.inner_text().splitlines()[0].strip() for header  # without the ▼ icon
            in page.locator("#sources-panel button.label-wrap").all() if header.is_visible()]


def test_chat_region_choice_filters_and_markers_open_their_source(page, sites) -> None:
    from playwright.sync_api import expect

    page.goto(sites["app"] + "/")
    page.locator("#question input, #question textarea").first.wait_for()
    choose_region(page, CHAT["region_netherlands"]["nl"])
    chat_answer(page, NETCO_NL)
    titles = panel_titles(page)
    assert titles and all(title.split("] ")[-1] in NETHERLANDS_TITLES for title in titles), titles
    shot(page, "region-chat-netherlands.png")

    chat_answer(page, PRESSURE_NL)
    expect(page.locator("#source-1 button.label-wrap")).to_contain_text("[1] [2] Toekomst")
    assert panel_titles(page) == ["[1] [2] Toekomstbestendige sociale huisvesting"]
    answer = page.locator("#chat [data-testid=bot]").last
    assert say("dated", "nl", years="2014") in answer.inner_text()
    link = answer.locator("a[href='#source-1']").last
    expect(link).to_have_text("[2]")
    assert link.get_attribute("title") == "Toekomstbestendige sociale huisvesting"
    link.focus()
    page.keyboard.press("Enter")
    header = page.locator("#source-1 button.label-wrap")
    expect(header).to_be_focused()
    expect(header).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#source-1 .token.highlighted").first).to_be_visible()
    shot(page, "region-chat-marker-opens-source.png")
    assert page.errors == []


def test_chat_refusal_refers_to_the_chosen_region(page, sites) -> None:
    page.goto(sites["app"] + "/")
    page.locator("#question input, #question textarea").first.wait_for()
    choose_region(page, CHAT["region_brussels"]["nl"])  # the browser asks for nl-BE
    reply = chat_answer(page, LANDLORD_FR)
    assert reply.strip() == say("refusal", "fr", referral=DEFAULT_REFERRALS["brussels"]["fr"])
    # The labels follow the question's language: the region keeps its value.
    assert page.locator("#region input").input_value() == CHAT["region_brussels"]["fr"]
    assert page.errors == []
