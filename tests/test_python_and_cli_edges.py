"""The edges a developer meets first: history shapes, reprs, what `k` means, and the CLI's
refusals of values it cannot use (a port, a number of days, an ASSISTANT_* setting).

The Python API runs over the seed corpus embedded by the hashing fake (no model)."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version

import pytest
from fakes import FixedPolicy, HashingEmbedder
from pydantic import ValidationError

from assistant import KnowledgeBase
from assistant.cli import main
from assistant.errors import InputError
from assistant.integrations.llama_index import KnowledgeBaseQueryEngine, KnowledgeBaseRetriever
from assistant.knowledge_base import ArgumentError
from assistant.wiring import build_assistant

QUESTION = "Welke Nederlandse steden namen deel aan NETCO?"
FOLLOW_UP = "En wanneer liep het project?"


@pytest.fixture(scope="module")
def kb(tmp_path_factory, seed_corpus) -> KnowledgeBase:
    kb = KnowledgeBase.open(index_dir=tmp_path_factory.mktemp("index"), corpus_dir=seed_corpus,
                            embedder=HashingEmbedder())
    kb.ingest()
    # the fitted decision reads real-encoder cosines
    return KnowledgeBase(build_assistant(kb.settings, pipeline=kb._service.pipeline,
                                         policy=FixedPolicy()))


# --------------------------------------------------------------------------- history


def test_openai_style_messages_are_a_history(kb: KnowledgeBase) -> None:
    first = kb.ask(QUESTION)
    assert not first.refused
    pairs = kb.ask(FOLLOW_UP, history=[(QUESTION, first.text)])
    messages = kb.ask(FOLLOW_UP, history=[
        {"role": "system", "content": "You are a helpful assistant."},  # skipped, as /v1 does
        {"role": "user", "content": QUESTION}, {"role": "assistant", "content": first.text}])
    assert messages == pairs
    assert "NETCO" in messages.standalone_question and "role" not in messages.standalone_question
    streamed = list(kb.stream(FOLLOW_UP, history=[{"role": "user", "content": QUESTION}]))
    assert streamed[-1] == kb.ask(FOLLOW_UP, history=[(QUESTION, "")])


@pytest.mark.parametrize("history", [
    [{"role": "tool", "content": "x"}],
    [{"question": QUESTION, "answer": "x"}],
    [{"role": "user", "content": ["a", "list"]}],
    [{"role": "user", "content": QUESTION}, (QUESTION, "mixed")],
    [(QUESTION,)],
    [(QUESTION, 5)],
    ["a question alone"],
    "a string",
    {"role": "user", "content": QUESTION},
], ids=["tool-role", "other-keys", "content-not-text", "mixed", "one-item", "not-text",
        "string-item", "string", "one-message"])
def test_a_malformed_history_is_refused_clearly(kb: KnowledgeBase, history) -> None:
    for call in (kb.ask, lambda q, history: list(kb.stream(q, history))):
        with pytest.raises(ArgumentError) as caught:
            call(FOLLOW_UP, history=history)
        message = str(caught.value)
        assert "history" in message and "'role'" in message and "pairs" in message, message
        assert isinstance(caught.value, ValueError) and isinstance(caught.value, InputError)


# --------------------------------------------------------------------------- reprs


def test_reprs_are_short_lines(kb: KnowledgeBase) -> None:
    answer = kb.ask(QUESTION)
    hit = kb.search(QUESTION, k=1)[0]
    for value, limit in ((answer, 300), (answer.citations[0], 250), (hit, 250),
                         (hit.passage, 200), (kb, 250)):
        text = repr(value)
        assert len(text) <= limit and "\n" not in text, text
        assert text.startswith(type(value).__name__ + "("), text
    assert "[1]" in repr(answer) and str(kb.settings.index_dir) in repr(kb)


# --------------------------------------------------------------------------- k


def test_k_means_passages_returned_from_1_to_50_everywhere(kb: KnowledgeBase) -> None:
    assert len(kb.search(QUESTION, k=3)) == 3
    assert len(kb.search(QUESTION)) == kb.settings.top_k
    for k in (0, -3, 51, True, 2.0, "3"):
        with pytest.raises(ArgumentError, match="from 1 to 50"):
            kb.search(QUESTION, k=k)
        with pytest.raises(ArgumentError, match="from 1 to 50"):
            KnowledgeBaseRetriever(kb, k=k)
    with pytest.raises(ValidationError):  # as ASSISTANT_TOP_K=0 is
        KnowledgeBase.open(index_dir=kb.settings.index_dir, top_k=0)
    for k in ("0", "-3", "51"):
        for argv in (["search", QUESTION, "--k", k], ["eval", "questions.jsonl", "--k", k]):
            with pytest.raises(SystemExit) as caught:
                main(argv)
            assert caught.value.code == 2


def test_llama_index_nodes_name_their_document(kb: KnowledgeBase) -> None:
    nodes = KnowledgeBaseRetriever(kb, k=3).retrieve(QUESTION)
    assert [n.node.ref_doc_id for n in nodes] == [h.passage.doc_id for h in kb.search(QUESTION, k=3)]
    assert all(n.score is not None for n in nodes)


# --------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize(("argv", "said"), [
    (["serve", "--port", "99999"], "--port: the port must be from 1 to 65535, not 99999"),
    (["serve", "--port", "0"], "--port: the port must be from 1 to 65535, not 0"),
    (["report", "--days", "-5"], "--days: the number of days must be 1 or more, not -5"),
    (["search", QUESTION, "--k", "-3"], "--k: the number of passages must be from 1 to 50, not -3"),
])
def test_values_it_cannot_use_are_refused(argv, said, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2 and said in capsys.readouterr().err


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"assistant {version('housing-assistant')}"


@pytest.mark.parametrize(("name", "value", "said"), [
    ("ASSISTANT_TOP_K", "0", "ASSISTANT_TOP_K: Input should be greater than or equal to 1 (got '0')"),
    ("ASSISTANT_CHROMA_PORT", "eight", "ASSISTANT_CHROMA_PORT: Input should be a valid integer"),
    ("ASSISTANT_ALLOWED_ORIGINS", "[https://portal.example", "ASSISTANT_ALLOWED_ORIGINS: not valid JSON"),
])
def test_a_bad_setting_is_one_line_not_a_traceback(name: str, value: str, said: str) -> None:
    done = subprocess.run([sys.executable, "-m", "assistant", "report", "--days", "1"],
                          capture_output=True, text=True, env={**os.environ, name: value})
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: {said}") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


# --------------------------------------------------------------------------- lang and region


def test_lang_and_region_reach_the_python_api_and_the_adapter(kb: KnowledgeBase) -> None:
    every = {h.passage.meta.region for h in kb.search(QUESTION, k=50)}
    assert len(every) > 2  # the seed corpus spans regions
    for region in ("brussels", "flanders"):
        kept = {h.passage.meta.region for h in kb.search(QUESTION, k=50, region=region)}
        assert kept and kept <= {region, "eu"}, (region, kept)
        nodes = KnowledgeBaseRetriever(kb, k=50, region=region).retrieve(QUESTION)
        assert {n.node.metadata["region"] for n in nodes} == kept
        for source in kb.ask(QUESTION, region=region).citations:
            assert source.passage.meta.region in {region, "eu"}
    assert kb.ask(QUESTION, lang="en").language == "en"
    assert [p for p in kb.stream(QUESTION, lang="fr")][-1].language == "fr"
    engine = KnowledgeBaseQueryEngine(kb, lang="en", region="brussels")
    assert engine.query(QUESTION).metadata["language"] == "en"
    for bad in ({"region": "wallonia"}, {"lang": "de"}):
        with pytest.raises(ArgumentError):
            kb.ask(QUESTION, **bad)
    with pytest.raises(ArgumentError):
        kb.search(QUESTION, region="Brussel")
