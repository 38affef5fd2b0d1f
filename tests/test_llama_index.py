"""The llama-index adapter: nodes, cited responses, the tool, and llama-index's own metrics."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import FixedPolicy, HashingEmbedder
from llama_index.core.evaluation import RetrieverEvaluator

from assistant import KnowledgeBase
from assistant.ingest.chunking import ChunkingParams, chunk_document
from assistant.config import Settings
from assistant.evaluation import read_questions, supports
from assistant.integrations.llama_index import (KnowledgeBaseQueryEngine, KnowledgeBaseRetriever,
                                                knowledge_base_tool)
from assistant.wiring import build_assistant

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"
QUESTION = "Welke Nederlandse steden namen deel aan NETCO?"


@pytest.fixture(scope="module")
def fake_kb(tmp_path_factory, seed_corpus) -> KnowledgeBase:
    kb = KnowledgeBase.open(index_dir=tmp_path_factory.mktemp("index"), corpus_dir=seed_corpus,
                            embedder=HashingEmbedder())
    kb.ingest()
    return kb


def test_retrieved_nodes_are_passages_with_their_span_and_citation_metadata(fake_kb, seed_documents):
    nodes = KnowledgeBaseRetriever(fake_kb, k=4).retrieve(QUESTION)
    assert len(nodes) == 4
    assert [n.score for n in nodes] == sorted((n.score for n in nodes), reverse=True)
    texts = {d.doc_id: d.text for d in seed_documents}
    for item in nodes:
        node, meta = item.node, item.node.metadata
        assert texts[meta["doc_id"]][node.start_char_idx:node.end_char_idx] == node.text
        assert meta["title"] and meta["language"] == "nl"
        assert {"publisher", "date", "url", "region"} <= set(meta)
        assert "doc_id" not in node.get_content(metadata_mode="llm")  # ids are not for the LLM
    assert [n.node.node_id for n in nodes] == [h.passage.passage_id for h in fake_kb.search(QUESTION, 4)]


def test_the_query_engine_returns_the_cited_answer_with_sources_in_citation_order(fake_kb):
    response = KnowledgeBaseQueryEngine(fake_kb).query(QUESTION)
    answer = fake_kb.ask(QUESTION)
    assert str(response) == answer.text and response.metadata["refused"] is answer.refused
    assert [n.node.metadata["n"] for n in response.source_nodes] == list(range(1, len(answer.citations) + 1))
    for node, citation in zip(response.source_nodes, answer.citations):
        assert node.node.node_id == citation.passage.passage_id
        assert node.node.metadata["quote"] == citation.quote in node.node.text
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", str(response))}
    assert markers == set(range(1, len(response.source_nodes) + 1))


def test_a_refusal_has_no_sources_and_says_so(tmp_path, seed_corpus):
    kb = KnowledgeBase.open(index_dir=tmp_path, corpus_dir=seed_corpus, embedder=HashingEmbedder())
    kb.ingest()
    kb = KnowledgeBase(build_assistant(kb.settings, pipeline=kb._service.pipeline,
                                       policy=FixedPolicy(answer=())))  # refuses in every language
    response = KnowledgeBaseQueryEngine(kb).query("Hoe laat vertrekt de trein naar Gent?")
    assert response.metadata["refused"] is True and response.source_nodes == []
    assert str(response)


def test_async_calls_and_the_tool_give_the_same_answer(fake_kb):
    engine = KnowledgeBaseQueryEngine(fake_kb)
    assert str(asyncio.run(engine.aquery(QUESTION))) == str(engine.query(QUESTION))
    nodes = asyncio.run(KnowledgeBaseRetriever(fake_kb, k=3).aretrieve(QUESTION))
    assert len(nodes) == 3
    tool = knowledge_base_tool(fake_kb)
    assert tool.metadata.name == "housing_knowledge_base" and "housing" in tool.metadata.description
    assert tool.call(QUESTION).content == fake_kb.ask(QUESTION).text


def _eval_row(output: str, group: str = "all") -> tuple[float, float, float]:
    line = next(line for line in output.splitlines() if line.split()[:1] == [group])
    numbers = re.findall(r"(?<![\[-])\b\d\.\d{3}\b(?![\]-])", line)
    return tuple(float(n) for n in numbers[:3])


@pytest.mark.model
def test_llama_index_retriever_evaluator_agrees_with_assistant_eval(seed_index, seed_documents):
    """hit@5 and MRR from llama-index's RetrieverEvaluator through the adapter, against the
    figures `assistant eval` prints for the same index: two implementations of one metric."""
    kb = KnowledgeBase.open(index_dir=seed_index)
    passages = [p for d in seed_documents for p in chunk_document(d, ChunkingParams(
        Settings().chunk_chars, Settings().chunk_overlap_sentences))]
    evaluator = RetrieverEvaluator.from_metric_names(
        ["hit_rate", "mrr"], retriever=KnowledgeBaseRetriever(kb, k=5))
    results = []
    for question in read_questions(DEV):
        if question.unanswerable:
            continue
        expected = [p.passage_id for p in passages if supports(p.text, question.evidence)]
        assert expected, question.id
        results.append(evaluator.evaluate(question.q, expected_ids=expected))
    hit_rate = sum(r.metric_vals_dict["hit_rate"] for r in results) / len(results)
    mrr = sum(r.metric_vals_dict["mrr"] for r in results) / len(results)
    hit_at_1 = sum(r.retrieved_ids[0] in r.expected_ids for r in results) / len(results)

    printed = subprocess.run(
        [sys.executable, "-m", "assistant", "eval", str(DEV), "--k", "5", "--index", str(seed_index)],
        capture_output=True, text=True, check=True).stdout
    assert _eval_row(printed) == (round(hit_at_1, 3), round(hit_rate, 3), round(mrr, 3))
    assert hit_rate >= 0.8  # and the adapter does retrieve: the evidence is found


@pytest.mark.model
def test_the_readmes_python_section_runs_as_written(tmp_path, seed_corpus, seed_index, monkeypatch, capsys):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use it from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)  # the README runs from the project folder: ./corpus, ./index
    (tmp_path / "corpus").symlink_to(seed_corpus, target_is_directory=True)
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(seed_index))  # already built: ingest has nothing to do
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "5 documents, 34 passages" in out
    assert "Amsterdam et Eindhoven [1]" in out and "[1] NETCO" in out
    assert "de mai 2022 à avril 2024 [" in out  # the follow-up kept its topic
