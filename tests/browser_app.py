"""The product's app (chat, widget, demo, docs) on loopback for browser tests, without the model.

The seed corpus is indexed with the hashing embedder and every question is answered (the
fitted refusal decision reads the real encoder's cosines), so answers, citations and their
quotes are real extractive ones, in milliseconds. Also: axe-core, vendored from npm, run in
the page; and the shared Chromium options.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO_DIR, SEED_CORPUS
from fakes import FixedPolicy, HashingEmbedder
from loopback import LoopbackServer

from assistant.config import Settings
from assistant.pipeline import Pipeline
from assistant.serve.server import create_app
from assistant.service import Assistant

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@contextmanager
def launched_chromium(expect_timeout_ms: int) -> Iterator:
    """Debian's Chromium under Playwright, for a module's `browser` fixture (nothing downloads a
    browser); `expect_timeout_ms` is how long its assertions wait on this loaded machine."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is needed at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=expect_timeout_ms)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def browser_fixture(expect_timeout_ms: int):
    """A module's `browser` fixture, `browser = browser_fixture(30_000)`: one Chromium for the
    module (`launched_chromium`)."""
    @pytest.fixture(scope="module")
    def browser():
        with launched_chromium(expect_timeout_ms) as browser:
            yield browser

    return browser


def open_page(browser, *, timeout_ms: int = 60_000, init_script: str | None = None,
             console_errors: bool = False, **context_options):
    """A page in a new context of `browser` (`context_options` as for `new_context`: viewport,
    locale, color_scheme…), its uncaught script errors in `page.errors` (with
    `console_errors`, console.error messages too); `init_script` runs before any page script.
    The caller closes `page.context`."""
    context = browser.new_context(**context_options)
    if init_script is not None:
        context.add_init_script(init_script)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.errors = []
    if console_errors:
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def page_fixture(**options):
    """A module's `page` fixture, `page = page_fixture(viewport=…, locale=…)`: a new context
    and page (`open_page` with `options`) for each test, closed after it."""
    @pytest.fixture
    def page(browser):
        page = open_page(browser, **options)
        yield page
        page.context.close()

    return page


ARTIFACTS = REPO_DIR / "test-artefacts"  # git-ignored
# npm axe-core 4.14.1 (MPL-2.0, tests/vendor/axe-core/LICENSE): no CDN at run time.
AXE_VERSION = "4.14.1"
AXE_SCRIPT = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text("utf-8")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

NETCO_FR = "Quelles villes néerlandaises ont participé à NETCO ?"
PROEFTUIN_NL = "Wat is een proeftuin in het leertraject coöperatief wonen?"
PRESSURE_EN = "When is the Transitie Pressure Cooker?"


@dataclass
class App:
    url: str
    feedback: Path
    service: Assistant


class HeldService(Assistant):
    """The product's service; while `hold` is clear, a question waits before it is answered
    (a test can then look at the waiting page, or stop the server in the middle of it)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.hold = threading.Event()
        self.hold.set()
        self.waiting = threading.Event()

    def stream(self, *args, **kwargs):
        if not self.hold.is_set():
            self.waiting.set()
            self.hold.wait(60)
        yield from super().stream(*args, **kwargs)


def built_app(root: Path, service_class: type[Assistant] = Assistant):
    """The seed corpus indexed with the hashing embedder in `root`/index, feedback in
    `root`/feedback: (the service, its `create_app` app)."""
    pipeline = Pipeline(Settings(), embedder=HashingEmbedder(), index_dir=root / "index")
    pipeline.ingest(SEED_CORPUS, show_progress=False)
    settings = Settings(rate_limit="1000/minute", search_rate_limit="1000/minute",
                        feedback_dir=root / "feedback")
    service = service_class(settings, pipeline, policy=FixedPolicy())
    return service, create_app(settings, service)


class AppServer:
    """`built_app` on loopback; entering gives its App."""

    def __init__(self, root: Path, service_class: type[Assistant] = Assistant) -> None:
        service, asgi_app = built_app(root, service_class)
        self.server = LoopbackServer(asgi_app)
        self.app = App(self.server.url, root / "feedback", service)

    def __enter__(self) -> App:
        self.server.__enter__()
        return self.app

    def __exit__(self, *exc) -> None:
        self.server.__exit__(*exc)


def app_fixture(name: str, service_class: type[Assistant] = Assistant):
    """A module's `app` fixture, `app = app_fixture("a11y")`: the App of an `AppServer` in a
    temporary folder named after `name`, for the module."""
    @pytest.fixture(scope="module")
    def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
        with AppServer(tmp_path_factory.mktemp(name), service_class) as served:
            yield served
            if isinstance(served.service, HeldService):
                served.service.hold.set()  # a held question would keep the server from stopping

    return app


def axe_violations(page, context: str | None = None) -> list[dict]:
    """axe-core's WCAG 2.x A/AA violations on the page as it is now (shadow roots included)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)  # evaluated by the debugger protocol: the page's CSP allows it
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    result = page.evaluate("([context, options]) => axe.run(context || document, options)",
                           [context, options])
    assert result["testEngine"]["version"] == AXE_VERSION
    return result["violations"]


def describe(violations: list[dict]) -> str:
    """One line per failing element: rule, impact, target, axe's explanation."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            lines.append(f"{violation['id']} ({violation['impact']}) {node['target']}: "
                         f"{node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


def assert_no_violations(page, where: str) -> None:
    """No axe-core WCAG violations on the page as it is now; `where` names the state."""
    found = axe_violations(page)
    assert not found, f"{where}: {len(found)} WCAG violations\n{describe(found)}"


def shot(page, name: str, full_page: bool = False, min_bytes: int = 0) -> Path:
    """A screenshot of the page in ARTIFACTS as `name`; with `min_bytes`, asserts it is larger
    (not a blank page)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > min_bytes
    return path


# An init script (open_page's `init_script`): every text a live region takes, in order, in
# window.__announced, what a screen reader would say; shadow roots (the widget) included.
LIVE_RECORDER = """(() => {
    window.__announced = [];
    const LIVE = '[aria-live], [role=status], [role=alert], [role=log]';
    const said = new WeakMap();
    const check = root => root.querySelectorAll(LIVE).forEach(region => {
        if (region.getAttribute('aria-live') === 'off' || !region.getClientRects().length) return;
        const text = region.innerText.replace(/\\s+/g, ' ').trim();  // what is rendered
        if (said.get(region) === text) return;
        said.set(region, text);
        if (text) window.__announced.push(text);
    });
    const watch = root => new MutationObserver(() => check(root)).observe(root,
        {subtree: true, childList: true, characterData: true, attributes: true});
    watch(document);
    const attach = Element.prototype.attachShadow;
    Element.prototype.attachShadow = function (init) {
        const root = attach.call(this, init);
        watch(root);
        return root;
    };
})();"""


def announced(page) -> list[str]:
    """What the page's live regions said since it loaded (LIVE_RECORDER), spaces collapsed."""
    return page.evaluate("() => window.__announced")


def said(text: str) -> str:
    return " ".join(text.split())


def open_chat(page, url: str) -> None:
    """The chat at `url`, once chat.js has run."""
    page.goto(url + "/")
    page.locator("#question input").wait_for()
    page.wait_for_function("() => document.querySelector('#chat [role=log]')"
                           "?.getAttribute('aria-live') === 'off'")


def open_widget(page, url: str, lang: str) -> None:
    """The demo portal of the app at `url` in `lang`, its widget opened (the question field
    focused)."""
    from playwright.sync_api import expect

    page.goto(f"{url}/demo?lang={lang}")
    page.locator(".launcher").click()
    expect(page.locator("#ha-input")).to_be_focused()


def ask_chat(page, question: str):
    """Ask in the chat and wait for the final answer (its feedback buttons); the answer."""
    from playwright.sync_api import expect

    before = page.locator("#chat [data-testid=bot]").count()
    page.locator("#question input").fill(question)
    page.locator("#question input").press("Enter")
    answer = page.locator("#chat [data-testid=bot]").nth(before)
    expect(answer).to_contain_text("[1]")
    expect(page.locator("#feedback-up")).to_be_visible()  # the answer is final
    return answer


def ask_widget(page, question: str):
    """Ask in the open widget; its reply bubble once answered (an answer, a refusal or a notice)."""
    from playwright.sync_api import expect

    before = page.locator(".msg.bot, .msg.notice").count()
    page.locator("#ha-input").fill(question)
    page.locator("#ha-input").press("Enter")
    bubble = page.locator(".msg.bot, .msg.notice").nth(before)
    expect(bubble).to_have_attribute("aria-busy", "false")
    return bubble
