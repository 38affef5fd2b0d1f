"""Over the ask budget in the chat, in real Chromium: the product's own message, not Gradio's.

The product's app and uvicorn settings (test_guard_routes.GuardedServer) with the hashing
embedder and an ask budget of two questions a minute. A French asker's third question is
answered in the conversation with the API's 429 wording, in French, with the seconds the
limiter names; Gradio shows no error of its own (toast or "Error" badges), no search runs
for it, and `/api/ask` over the same budget still gets the 429 JSON. The browser speaks
English (Accept-Language): the message's language is the chat's, from the question.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from browser_app import NETCO_FR, browser_fixture
from conftest import SEED_CORPUS
from fakes import HashingEmbedder
from test_guard_routes import GuardedServer, assert_error_shape, guarded_service

from assistant.answer.catalogue import API
from assistant.config import Settings
from assistant.pipeline import Pipeline

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTIONS = (NETCO_FR, "Qu'est-ce qu'un proeftuin dans le leertraject coopératif ?",
             "Quand a lieu le Transitie Pressure Cooker ?")
# The API's 429 sentence in French, the seconds left open.
LIMIT_FR = re.compile(re.escape(API["rate_limited"]["fr"]).replace(re.escape("{seconds}"), r"(\d+)"))


@dataclass
class Limited:
    server: GuardedServer
    searches: list[str]


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Limited]:
    root = tmp_path_factory.mktemp("limits")
    pipeline = Pipeline(Settings(), embedder=HashingEmbedder(), index_dir=root / "index")
    pipeline.ingest(SEED_CORPUS, show_progress=False)
    searches: list[str] = []
    search = pipeline.search

    def counted(question, *args, **kwargs):  # every answer's search goes through here
        searches.append(question)
        return search(question, *args, **kwargs)

    pipeline.search = counted
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_TEMP_DIR", str(root / "gradio"))
        service = guarded_service(pipeline, root, rate_limit="2/minute")
        with GuardedServer(service) as server:
            yield Limited(server, searches)


browser = browser_fixture(60_000)


def test_a_question_over_budget_gets_the_limit_message_in_the_chat(browser, limited: Limited) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(limited.server.url + "/")
    answers = page.locator("#chat [data-testid=bot]")
    box = page.locator("#question input")
    for count, question in enumerate(QUESTIONS[:2], start=1):
        box.fill(question)
        box.press("Enter")
        expect(answers).to_have_count(count)
        expect(answers.last).to_contain_text("[1]")  # answered, with its sources
    searched = len(limited.searches)

    box.fill(QUESTIONS[-1])
    box.press("Enter")
    expect(answers).to_have_count(3)
    expect(answers.last).to_have_text(LIMIT_FR)
    seconds = int(LIMIT_FR.search(answers.last.inner_text()).group(1))
    assert 1 <= seconds <= 60
    expect(page.locator("#chat [data-testid=user]").last).to_have_text(QUESTIONS[-1])
    expect(box).to_have_value("")
    assert searched >= 2 and len(limited.searches) == searched
    assert limited.server.service.asked == list(QUESTIONS[:2])

    with limited.server.client() as client:  # the same client (loopback), the same budget
        reply = client.post("/api/ask", json={"question": QUESTIONS[-1]},
                            headers={"accept-language": "fr"})
    assert LIMIT_FR.fullmatch(assert_error_shape(reply, 429))
    assert 1 <= int(reply.headers["retry-after"]) <= 60
    assert len(limited.searches) == searched
    # Gradio's reaction to a refused join: "Error" on every output of the event, or a toast.
    expect(page.locator("[data-testid=status-tracker] .error")).to_have_count(0)
    expect(page.locator("[data-testid=toast-body]")).to_have_count(0)
    context.close()
