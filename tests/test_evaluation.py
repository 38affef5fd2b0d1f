"""`assistant eval`: bootstrap intervals, conversation rows, and the eval run end to end
with the fake embedder (no real model)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fakes import FixedPolicy, HashingEmbedder

from assistant import cli
from assistant.config import Settings
from assistant.errors import InputError
from assistant.evaluation import (CONVERSATIONS, EvalQuestion, bootstrap_interval, format_answers,
                                  format_table, read_questions, respond_to, retrieval_metrics)
from assistant.pipeline import Pipeline
from assistant.types import Answer, Turn
from assistant.wiring import build_assistant

REPO_DIR = Path(__file__).resolve().parents[1]
RATE = r"\d\.\d{3} \[\d\.\d{3}-\d\.\d{3}\]"
ONE, ZERO = re.escape("1.000 [1.000-1.000]"), re.escape("0.000 [0.000-0.000]")


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_interval_contains_the_estimate_and_is_not_a_point():
    values = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1]
    low, high = bootstrap_interval(values)
    assert low <= sum(values) / len(values) <= high
    assert low < high


@pytest.mark.parametrize("value", [0.0, 1.0, 0.5])
def test_bootstrap_interval_of_equal_values_is_that_value(value):
    assert bootstrap_interval([value] * 7) == (value, value)


def test_bootstrap_interval_is_reproducible_and_depends_on_the_seed():
    values = [1.0, 0.5, 0.0, 1.0, 0.333, 1.0, 0.25, 0.0, 1.0]
    assert bootstrap_interval(values) == bootstrap_interval(values)
    assert bootstrap_interval(values, seed=1) != bootstrap_interval(values, seed=2)


def test_bootstrap_interval_narrows_with_more_questions():
    few, many = bootstrap_interval([1, 0, 1, 1]), bootstrap_interval([1, 0, 1, 1] * 10)
    assert many[1] - many[0] < few[1] - few[0]


# --------------------------------------------------------------------------- eval files


def test_read_questions_accepts_single_questions_and_conversations(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"id": "d01", "lang": "en", "q": "Which cities?", "evidence": ["Eindhoven"]}\n\n'
        '{"id": "k01", "lang": "nl", "turns": ["Wat doet Proefhof?", "En waar?"], '
        '"evidence": ["Rotterdam-Noord"]}\n', encoding="utf-8")
    single, conversation = read_questions(path)
    assert single == EvalQuestion("d01", "en", "Which cities?", ("Eindhoven",), False)
    assert single.history == () and single.groups == ("en",)
    assert conversation.q == "En waar?"
    assert conversation.history == ("Wat doet Proefhof?",)
    assert conversation.evidence == ("Rotterdam-Noord",)
    assert conversation.groups == ("nl", CONVERSATIONS)


@pytest.mark.parametrize("row", ['{"id": "k", "turns": []}', '{"id": "k", "turns": "En waar?"}',
                                 '{"id": "k", "lang": "nl"}'])
def test_a_row_without_a_question_names_its_line(tmp_path, row):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "d01", "q": "Which cities?"}\n' + row + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl:2: not an eval question"):
        read_questions(path)


class RecordingService:
    """Answers every question with a fixed text and records the history it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Turn, ...]]] = []

    def respond(self, question, history=()):
        self.calls.append((question, tuple(history)))
        return Answer(question, "nl", f"antwoord op {question}", refused=False), None

    def ask(self, question, history=()):
        return self.respond(question, history)[0]


def test_a_conversation_is_replayed_turn_by_turn_with_the_answers():
    service = RecordingService()
    question = EvalQuestion("k", "nl", "C?", (), False, history=("A?", "B?"))
    answer, _ = respond_to(service, question)
    a, b = Turn("A?", "antwoord op A?"), Turn("B?", "antwoord op B?")
    assert service.calls == [("A?", ()), ("B?", (a,)), ("C?", (a, b))]
    assert answer.question == "C?"


# --------------------------------------------------------------------------- tables


def table_rows(text: str) -> dict[str, str]:
    return {line.split()[0]: line for line in text.splitlines()}


def test_rate_table_shows_each_rate_with_its_interval():
    ranks = [("nl", 1), ("nl", None), (("en", CONVERSATIONS), 2), ("en", 1)]
    rows = table_rows(format_table(retrieval_metrics(ranks, k=5), k=5, title="t"))
    assert rows["group"].split() == ["group", "n", "hit@1", "hit@5", "MRR"]
    assert re.fullmatch(rf"all\s+4 {RATE} {RATE} {RATE}", rows["all"])
    assert rows["all"].split()[2] == "0.500"
    assert rows[CONVERSATIONS].endswith(
        "0.000 [0.000-0.000] 1.000 [1.000-1.000] 0.500 [0.500-0.500]")
    assert list(rows) == ["t", "group", "all", "en", "nl", CONVERSATIONS]


def test_answer_table_shows_shares_with_intervals_and_a_dash_when_empty():
    def q(lang, unanswerable=False, history=()):
        return EvalQuestion("x", lang, "?", (), unanswerable, history)
    outcomes = [(q("nl"), False, True), (q("nl"), True, False), (q("nl", True), True, False),
                (q("fr", history=("eerder?",)), False, True)]
    rows = table_rows(format_answers(outcomes))
    assert rows["group"].split() == ["group", "answerable", "grounded", "refused",
                                     "unanswerable", "refused"]
    assert re.fullmatch(rf"nl\s+2 {RATE} {RATE}\s+1 {ONE}", rows["nl"])
    assert rows["nl"].split()[1:3] == ["2", "0.500"]
    assert re.fullmatch(rf"{CONVERSATIONS}\s+1 {ONE} {ZERO}\s+0 -", rows[CONVERSATIONS])


# --------------------------------------------------------------------------- end to end


@pytest.fixture
def eval_run(tmp_path, monkeypatch, capsys):
    """Runs `assistant eval FILE --json` over the seed corpus indexed with the fake embedder."""
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    embedder = HashingEmbedder(dim=512)  # few hash collisions: the Proefhof passage ranks first
    Pipeline(Settings(), embedder=embedder).ingest(REPO_DIR / "corpus", show_progress=False)
    # Answer in Dutch and English, refuse in French: both columns of the answer table are
    # exercised.
    monkeypatch.setattr(cli, "build_assistant", lambda settings, index_dir=None: build_assistant(
        settings, embedder=embedder, index_dir=index_dir, policy=FixedPolicy(answer=("nl", "en"))))
    capsys.readouterr()  # the report's first line is the eval's, not the ingest's

    def run(rows: list[dict]) -> None:
        path = tmp_path / "conversations.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        assert cli.main(["eval", str(path), "--json"]) == 0
    return run


def test_eval_scores_a_conversations_last_turn(eval_run, capsys):
    eval_run([
        {"id": "k01", "lang": "nl", "evidence": ["Rotterdam-Noord"],
         "turns": ["Wat doet Stichting Proefhof in Rotterdam-Noord?", "En waar zit die stichting?"]},
        {"id": "k02", "lang": "fr", "turns": ["Qu'est-ce que la Stichting Proefhof ?",
                                              "Combien coûte une pizza à Naples ?"],
         "unanswerable": True},
        {"id": "d01", "lang": "en", "q": "What does Stichting Proefhof in Rotterdam do?",
         "evidence": ["Rotterdam-Noord"]},
    ])
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [line["id"] for line in lines] == ["k01", "k02", "d01"]
    for line in lines:  # what other tools read is still there
        assert {"id", "lang", "hits", "answer", "refused", "citations"} <= set(line)
    k01 = lines[0]
    assert k01["history"] == ["Wat doet Stichting Proefhof in Rotterdam-Noord?"]
    # The follow-up is searched with the first turn's topic words.
    assert k01["standalone_question"] == "En waar zit die stichting? Stichting Proefhof Rotterdam Noord"
    assert not k01["refused"] and any("Rotterdam-Noord" in c["passage"] for c in k01["citations"])
    assert lines[1]["refused"] and not lines[1]["citations"]

    report = captured.err.splitlines()
    assert report[0] == f"encoder fake:hashing, index {Pipeline(Settings()).location.generation()}"
    assert report[0].startswith("encoder fake:hashing, index gen-")
    assert f"2 of them a conversation's last turn (row '{CONVERSATIONS}')" in report[1]
    split = next(i for i, line in enumerate(report) if line.startswith("group  answerable"))
    ranks, shares = table_rows("\n".join(report[2:split])), table_rows("\n".join(report[split:]))
    assert ranks["all"].split()[:2] == ["all", "2"]  # the unanswerable row has no rank
    assert re.fullmatch(rf"{CONVERSATIONS}\s+1 {ONE} {RATE} {RATE}", ranks[CONVERSATIONS])
    # answered and grounded; the unanswerable follow-up refused
    assert re.fullmatch(rf"{CONVERSATIONS}\s+1 {ONE} {ZERO}\s+1 {ONE}", shares[CONVERSATIONS])
    assert re.fullmatch(rf"all\s+2 {RATE} {ZERO}\s+1 {ONE}", shares["all"])
