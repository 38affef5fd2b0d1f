"""The chat and the widget under the server's Content-Security-Policy, in real Chromium.

The product's app and uvicorn settings (test_guard_routes.GuardedServer) with the hashing
embedder: the policy allows no 'unsafe-eval' and no inline script but the page's own (by
hash), so the chat must still load, answer, cite and take a vote with no violation, while a
script injected into the page is refused and another site cannot frame the chat.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from browser_app import browser_fixture, page_fixture
from conftest import SEED_CORPUS
from fakes import HashingEmbedder
from loopback import PageSite
from test_guard_routes import GuardedServer, guarded_service

from assistant.serve import chat_view as view
from assistant.config import Settings
from assistant.pipeline import Pipeline

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTION = "Quelles villes néerlandaises ont participé à NETCO ?"
# Records every CSP violation before any page script runs (Playwright injects it itself).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(
    `${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuardedServer]:
    root = tmp_path_factory.mktemp("csp")
    pipeline = Pipeline(Settings(), embedder=HashingEmbedder(), index_dir=root / "index")
    pipeline.ingest(SEED_CORPUS, show_progress=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_TEMP_DIR", str(root / "gradio"))
        with GuardedServer(guarded_service(pipeline, root)) as server:
            yield server


browser = browser_fixture(60_000)
# page.errors: console errors and uncaught script errors.
page = page_fixture(viewport={"width": 1280, "height": 900}, locale="en-US",
                    init_script=RECORD_VIOLATIONS, console_errors=True)


def violations(page) -> list[str]:
    return page.evaluate("() => window.__violations")


def assert_script_injection_is_refused(page) -> None:
    """The policy is in force and the recorder sees it: an inline script added to the page
    does not run and is reported."""
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__injected = 1'; document.body.append(s); }""")
    deadline = time.monotonic() + 5  # (wait_for_function evaluates strings: the CSP refuses it)
    while not (found := violations(page)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert page.evaluate("() => typeof window.__injected") == "undefined"
    assert found and all(v.startswith("script-src-elem") for v in found), found


def test_the_chat_answers_under_the_csp_without_violations(page, chat: GuardedServer) -> None:
    from playwright.sync_api import expect

    response = page.goto(chat.url + "/")
    csp = response.headers["content-security-policy"]
    assert "'unsafe-eval'" not in csp and "frame-ancestors 'self'" in csp
    page.locator("#question input").focus()
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    answer = page.locator("#chat [data-testid=bot]").last
    expect(answer).to_contain_text("[1]")
    expect(page.locator("#source-1")).to_be_visible()
    # A vote (the chat's own button, or Gradio's thumbs-up in an older layout).
    page.locator("#feedback-up, #chat button[aria-label='Like']").last.click()
    expect(page.locator("#status")).to_contain_text(view.labels("fr")["thanks"])
    assert violations(page) == []
    assert not [e for e in page.errors if "Content Security Policy" in e], page.errors
    assert page.errors == []
    assert_script_injection_is_refused(page)


def test_the_widget_answers_under_the_csp(page, chat: GuardedServer) -> None:
    from playwright.sync_api import expect

    page.goto(chat.url + "/demo?lang=fr")
    page.locator(".launcher").click()
    page.locator("#ha-input").fill(QUESTION)
    page.locator("#ha-input").press("Enter")
    bubble = page.locator(".msg.bot").last
    expect(bubble).to_have_attribute("aria-busy", "false")
    expect(bubble.locator(".text")).to_contain_text("[1]")
    assert violations(page) == [] and page.errors == [], page.errors
    assert_script_injection_is_refused(page)


def test_another_site_cannot_frame_the_chat(page, chat: GuardedServer) -> None:
    # A page on another loopback origin that puts the chat in an iframe.
    framer = f'<!doctype html><title>Framer</title><iframe src="{chat.url}/"></iframe>'.encode()
    with PageSite(framer) as site:
        with page.expect_event("console", lambda m: "frame-ancestors" in m.text):
            page.goto(site.url)
        frame = page.frame_locator("iframe")
        assert frame.locator("#question").count() == 0
