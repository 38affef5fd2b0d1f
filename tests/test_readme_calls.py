"""The README's "Calling it from code" runs as printed, and documents what it must.

Its curl lines and its Python examples (httpx for /api, the `openai` SDK for /v1) run against
the app on loopback (the hashing embedder stands in for the model), with the README's
address replaced by the test server's. Every OpenAI parameter /v1 knows is named in the
README's contract of /v1, and every attribute the widget reads is in its table.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import partial

import pytest
from conftest import REPO_DIR
from fake_service import fake_service
from loopback import LoopbackServer

from assistant.serve.openai_models import OPENAI_OPTIONS
from assistant.serve.server import create_app, server_config

pytestmark = pytest.mark.slow

README = (REPO_DIR / "README.md").read_text(encoding="utf-8")
README_BASE = "http://127.0.0.1:7860"


def section(heading: str) -> str:
    """The README's text under `heading`, to the next heading of the same or a higher level."""
    level = len(heading.split(" ")[0])
    lines = README[README.index(f"\n{heading}\n") + len(heading) + 2:].split("\n")
    fenced = False
    for end, line in enumerate(lines):
        fenced ^= line.startswith("```")
        marks = line.split(" ")[0]
        if not fenced and marks and set(marks) == {"#"} and len(marks) <= level:
            return "\n".join(lines[:end])
    return "\n".join(lines)


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    service = fake_service(tmp_path_factory.mktemp("readme"))
    config = partial(server_config, settings=service.settings)
    with LoopbackServer(create_app(service.settings, service, with_ui=False), config=config,
                        lifespan="on") as server:
        server.wait_ready()
        yield server.url


def test_the_python_examples_run_as_printed(base_url: str, capsys) -> None:
    examples = blocks(section("### Calling it from code"), "python")
    assert len(examples) == 2  # /api with httpx, /v1 with the openai SDK
    for code in examples:
        assert README_BASE in code
        exec(compile(code.replace(README_BASE, base_url), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert re.search(r"\[\d\]", out)  # answers with markers, from both
    assert "NETCO" in out


def test_the_curl_lines_run_as_printed(base_url: str) -> None:
    if shutil.which("curl") is None:
        pytest.fail("curl is needed to check the README's curl lines")
    (script,) = blocks(section("### Calling it from code"), "sh")
    commands = [c for c in re.split(r"(?<!\\)\n", script.replace(README_BASE, base_url)) if c.strip()]
    assert len(commands) == 4
    for command in commands:
        done = subprocess.run(["bash", "-c", "set -o pipefail; " + command + " --fail-with-body"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        if "/stream" in command:
            assert "event: delta" in done.stdout and "event: done" in done.stdout
        else:
            body = json.loads(done.stdout)
            assert "error" not in body and ({"answer", "hits", "choices"} & set(body)), body


def test_the_v1_contract_names_every_parameter() -> None:
    contract = section("### The OpenAI-compatible endpoint")
    missing = [name for name in OPENAI_OPTIONS if f"`{name}`" not in contract]
    assert not missing, f"parameters /v1 knows but the README does not name: {missing}"
    for said in ("not followed", "url_citation", "include_usage", "400", "`lang`", "`region`"):
        assert said in contract, said


def test_the_widget_table_names_every_attribute() -> None:
    widget = (REPO_DIR / "assistant" / "static" / "widget.js").read_text(encoding="utf-8")
    read = set(re.findall(r'getAttribute\("(data-[a-z-]+)"\)', widget)) - {"data-t", "data-t-label"}
    assert read >= {"data-lang", "data-region"}
    table = section("## Embedding the widget on a portal")
    assert all(f"| `{name}` |" in table for name in read), read
    assert "ASSISTANT_ALLOWED_ORIGINS" in table and "403" in table
    assert "gradio_client" in section("### Calling it from code")
