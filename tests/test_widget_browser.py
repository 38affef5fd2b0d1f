"""The widget in headless Chromium, embedded by portals on other origins.

Three loopback origins: the app (API + /widget.js), an allowed portal, and a site that is
not allowed. Both sites embed the widget with one script tag. The index holds the seed
corpus plus two test documents: one whose text and metadata carry HTML and script as plain
text (it must show as text and never run), and one with a link.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_app import browser_fixture, page_fixture
from conftest import REPO_DIR, free_port
from loopback import LoopbackServer, PageSite

from assistant.config import Settings
from assistant.pipeline import Pipeline
from assistant.serve.server import create_app
from assistant.wiring import build_assistant

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.slow]

ARTEFACTS = REPO_DIR / "test-artefacts"

NETCO_QUESTION = "Welke Noorse stad deed mee aan NETCO?"
NETCO_TITLE = "NETCO: Opkomende Europese modellen voor “collaborative housing”"
XSS_QUESTION = "Hoeveel woningen telt het cohousingproject Zonnebloemhof in Lier?"
LINK_QUESTION = "Hoeveel woningen heeft het woonproject Vlierbeekhof in Kessel-Lo?"
NOT_ENABLED = "De assistent is niet ingeschakeld op deze website."

XSS_TEXT = """Zonnebloemhof in Lier

Het cohousingproject Zonnebloemhof in Lier telt 42 woningen rond een gemeenschappelijke \
moestuin <img src=x onerror="window.__xss=1"> en een gedeelde werkplaats \
<script>window.__xss=2</script> voor alle bewoners.

De bewoners van Zonnebloemhof beslissen samen over het beheer van de moestuin en de werkplaats.
"""
XSS_META = {"title": 'Zonnebloemhof <img src=x onerror="window.__xss=3"> in Lier',
            "publisher": "Testcorpus <b onmouseover=\"window.__xss=5\">vet</b>", "date": "2024",
            "language": "nl", "region": "Flanders", "url": "javascript:window.__xss=4"}
LINK_TEXT = """Vlierbeekhof in Kessel-Lo

Het woonproject Vlierbeekhof in Kessel-Lo heeft 18 woningen en een gedeelde fietsenstalling.
"""
LINK_META = {"title": "Vlierbeekhof in Kessel-Lo", "publisher": "Woonwijzer", "date": "2023",
             "language": "nl", "region": "Flanders", "url": "https://wonen.example/vlierbeekhof"}


# --------------------------------------------------------------------------- servers


def site_page(app_url: str, title: str) -> bytes:
    """A tiny static site's page that embeds the widget (served on its own loopback origin)."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:serif;margin:24px}} button{{background:hotpink}} *{{letter-spacing:3px}}</style>
</head><body><h1>{title}</h1><p>Welkom op het portaal. <a href="#info">Meer info</a></p>
<script src="{app_url}/widget.js" data-lang="nl" async></script>
</body></html>""".encode()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("widget-corpus")
    for source in (REPO_DIR / "corpus").iterdir():
        if source.name != "README.md":
            shutil.copy(source, folder / source.name)
    for name, text, meta in (("zonnebloemhof.txt", XSS_TEXT, XSS_META),
                             ("vlierbeekhof.txt", LINK_TEXT, LINK_META)):
        (folder / name).write_text(text, encoding="utf-8")
        (folder / f"{name}.meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def origins(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """{"app", "portal", "other"}: three loopback origins; only the portal is allowed."""
    portal_port, other_port = free_port(), free_port()
    portal_url = f"http://127.0.0.1:{portal_port}"
    pipeline = Pipeline(Settings(), index_dir=tmp_path_factory.mktemp("widget-index"))
    pipeline.ingest(corpus, show_progress=False)
    settings = Settings(allowed_origins=[portal_url], rate_limit="1000/minute",
                        feedback_dir=tmp_path_factory.mktemp("widget-feedback"))
    service = build_assistant(settings, pipeline=pipeline)
    app = create_app(settings, service, with_ui=False)
    with LoopbackServer(app, timeout_graceful_shutdown=5) as live, \
            PageSite(site_page(live.url, "Woonportaal"), portal_port) as portal, \
            PageSite(site_page(live.url, "Andere website"), other_port) as other:
        assert portal.url == portal_url
        live.wait_ready()  # the real model loads in the background
        yield {"app": live.url, "portal": portal.url, "other": other.url}


browser = browser_fixture(30_000)  # a loaded 2-core CI machine is slow; 5 s flaked
page = page_fixture(viewport={"width": 1024, "height": 768}, locale="nl-BE")


# --------------------------------------------------------------------------- helpers


def shot(page, name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / name
    page.screenshot(path=str(path), full_page=False)
    assert path.stat().st_size > 5_000
    return path


def open_with_keyboard(page, focused: str = "#ha-input") -> None:
    """Tab to the launcher (it sits in the widget's shadow root), press Enter: the panel
    opens with the focus on `focused`."""
    from playwright.sync_api import expect

    launcher = page.locator(".launcher")
    expect(launcher).to_be_visible()
    for _ in range(6):
        page.keyboard.press("Tab")
        if launcher.evaluate("node => node.getRootNode().activeElement === node"):
            break
    else:
        pytest.fail("Tab never reached the launcher")
    page.keyboard.press("Enter")
    expect(page.locator(".panel")).to_be_visible()
    expect(page.locator(focused)).to_be_focused()


def ask_with_keyboard(page, question: str):
    """Type the question and press Enter; returns the finished answer bubble."""
    from playwright.sync_api import expect

    before = page.locator(".msg.bot").count()
    with page.expect_response(lambda r: r.url.endswith("/api/ask/stream")
                              and r.request.method == "POST") as streamed:
        page.keyboard.type(question)
        page.keyboard.press("Enter")
    assert streamed.value.status == 200
    assert streamed.value.headers["content-type"].startswith("text/event-stream")
    bubble = page.locator(".msg.bot").nth(before)
    expect(bubble).to_have_attribute("aria-busy", "false", timeout=90_000)
    return bubble


# --------------------------------------------------------------------------- tests


def test_widget_answers_with_numbered_citations_on_an_allowed_portal(page, origins) -> None:
    from playwright.sync_api import expect

    page.goto(origins["portal"])
    open_with_keyboard(page)
    expect(page.locator("h2")).to_have_text("Woonassistent")
    bubble = ask_with_keyboard(page, NETCO_QUESTION)

    answer = bubble.locator(".text")
    expect(answer).to_contain_text("Oslo")
    expect(answer).to_contain_text("[1]")
    items = bubble.locator(".sources li")
    assert items.count() >= 1
    first = items.first
    # One item per document, numbered with its citations; each quote shown once, in the answer.
    expect(first.locator(".num")).to_have_text(re.compile(r"^\[1\]( \[\d+\])*$"))
    expect(first.locator(".src-title")).to_contain_text(NETCO_TITLE)
    expect(bubble.locator(".quote")).to_have_count(0)
    numbers = [int(n.strip("[]")) for text in bubble.locator(".sources .num").all_inner_texts()
               for n in text.split()]
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    # The answers are in an ARIA live region.
    # The streamed log is silent: the panel's status region says the finished answer once
    # (test_widget_dialog_browser.py).
    assert bubble.evaluate("node => node.closest('[aria-live]').getAttribute('aria-live')") == "off"
    # The portal's CSS (hotpink buttons, serif, letter-spacing on *) does not reach the widget.
    style = "n => [getComputedStyle(n).backgroundColor, getComputedStyle(n).letterSpacing, getComputedStyle(n).fontFamily]"
    assert page.locator(".send").evaluate(style)[0] != "rgb(255, 105, 180)"
    _, spacing, family = answer.evaluate(style)
    assert spacing == "normal" and not family.startswith("serif"), (spacing, family)
    shot(page, "widget-portal.png")  # the answer, from its start
    first.scroll_into_view_if_needed()
    expect(first.locator(".src-title")).to_be_in_viewport()
    shot(page, "widget-portal-sources.png")  # its numbered sources

    page.keyboard.press("Escape")
    expect(page.locator(".panel")).to_be_hidden()
    expect(page.locator(".launcher")).to_be_focused()
    assert page.errors == []


def test_document_html_is_shown_as_text_and_never_runs(page, origins) -> None:
    from playwright.sync_api import expect

    page.goto(origins["portal"])
    open_with_keyboard(page)
    bubble = ask_with_keyboard(page, XSS_QUESTION)
    item = bubble.locator(".sources li").first
    expect(item.locator(".src-title")).to_have_text(XSS_META["title"])
    expect(bubble.locator(".text")).to_contain_text('<img src=x onerror="window.__xss=1">')
    expect(bubble.locator(".text")).to_contain_text("<script>window.__xss=2</script>")
    expect(item.locator(".meta")).to_contain_text("<b onmouseover=")
    page.mouse.move(10, 10)
    bubble.hover()
    time.sleep(0.3)  # an injected onerror/onload would have fired by now
    assert page.evaluate("() => window.__xss") is None
    shadow = page.evaluate("""() => {
        const root = document.querySelector('[data-housing-assistant]').shadowRoot;
        return {img: root.querySelectorAll('img').length, script: root.querySelectorAll('script').length,
                bold: root.querySelectorAll('b').length,
                js: root.querySelectorAll('a[href^="javascript"]').length,
                links: root.querySelectorAll('.log a').length};  // the privacy link aside
    }""")
    assert shadow == {"img": 0, "script": 0, "bold": 0, "js": 0, "links": 0}
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    shot(page, "widget-xss-as-text.png")
    assert page.errors == []


def test_citation_links_open_safely(page, origins) -> None:
    from playwright.sync_api import expect

    page.goto(origins["portal"])
    open_with_keyboard(page)
    bubble = ask_with_keyboard(page, LINK_QUESTION)
    link = bubble.locator(".sources li a").first
    expect(link).to_have_attribute("href", LINK_META["url"])
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_contain_text("Vlierbeekhof in Kessel-Lo")
    expect(bubble.locator(".sources li .meta").first).to_contain_text("2023")


def test_widget_says_it_is_not_enabled_on_another_site(page, origins) -> None:
    from playwright.sync_api import expect

    page.goto(origins["other"])
    open_with_keyboard(page, focused=".close")  # the textbox is disabled
    notice = page.locator(".notice")
    expect(notice).to_have_text(NOT_ENABLED)
    expect(page.locator("#ha-input")).to_be_disabled()
    shot(page, "widget-not-enabled.png")

    # The server itself refuses this origin: a direct request gets 403 and nothing readable.
    # (Playwright reports no response the page may not read; Chromium's own log has it.)
    statuses: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp = page.context.new_cdp_session(page)
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.responseReceivedExtraInfo",
           lambda e: statuses.__setitem__(e["requestId"], e["statusCode"]))
    cdp.send("Network.enable")
    script = """url => fetch(url, {method: 'POST', body: JSON.stringify({question: 'NETCO?'}),
                                   headers: {'Content-Type': 'text/plain'}})
                        .then(r => 'read ' + r.status, e => 'blocked ' + e.name)"""
    assert page.evaluate(script, origins["app"] + "/api/ask") == "blocked TypeError"
    deadline = time.monotonic() + 30
    while not [s for r, s in statuses.items() if urls.get(r, "").endswith("/api/ask")]:
        assert time.monotonic() < deadline, (urls, statuses)
        time.sleep(0.05)
    assert [s for r, s in statuses.items() if urls.get(r, "").endswith("/api/ask")] == [403]
    json_fetch = """url => fetch(url, {method: 'POST', body: JSON.stringify({question: 'NETCO?'}),
                                      headers: {'Content-Type': 'application/json'}})
                           .then(r => 'read ' + r.status, e => 'blocked ' + e.name)"""
    assert page.evaluate(json_fetch, origins["app"] + "/api/ask") == "blocked TypeError"
    # From the allowed portal the same direct request is answered.
    page.goto(origins["portal"])
    assert page.evaluate(json_fetch, origins["app"] + "/api/ask") == "read 200"


def test_panel_fits_a_320_pixel_screen(browser, origins) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        page.goto(origins["portal"])
        open_with_keyboard(page)
        ask_with_keyboard(page, NETCO_QUESTION)
        sizes = page.evaluate("""() => {
            const root = document.querySelector('[data-housing-assistant]').shadowRoot;
            const panel = root.querySelector('.panel'), log = root.querySelector('.log');
            const box = panel.getBoundingClientRect();
            return {left: box.left, right: box.right, top: box.top, bottom: box.bottom,
                    panel: [panel.scrollWidth, panel.clientWidth], log: [log.scrollWidth, log.clientWidth],
                    page: document.documentElement.scrollWidth};
        }""")
        assert sizes["left"] >= 0 and sizes["right"] <= 320, sizes
        assert sizes["top"] >= 0 and sizes["bottom"] <= 640, sizes
        assert sizes["panel"][0] <= sizes["panel"][1], sizes
        assert sizes["log"][0] <= sizes["log"][1], sizes
        assert sizes["page"] <= 320, sizes
        shot(page, "widget-320.png")
        page.keyboard.press("Escape")
        expect(page.locator(".panel")).to_be_hidden()
        expect(page.locator(".launcher")).to_be_focused()
    finally:
        context.close()
