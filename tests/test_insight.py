"""What the knowledge base lacks, counted without keeping questions; /privacy and /insight."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import SEED_CORPUS
from fakes import FixedPolicy, HashingEmbedder
from loopback import LoopbackServer

from assistant.config import Settings
from assistant.serve.feedback_log import FEEDBACK
from assistant.serve.insight import ASKS, WORDS, InsightLog
from assistant.pipeline import Pipeline
from assistant.serve.server import create_app
from assistant.wiring import build_assistant

MARKER = "Wanneer opent het zwembad Quokkaplons in Zwartewater?"


def _files_text(folder: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file())


def test_a_refused_question_leaves_counts_and_no_words(tmp_path):
    log = InsightLog(tmp_path, min_group=3)
    log.record("nl", "flanders", True, MARKER)
    log.record("nl", "flanders", False, "Wat is een proeftuin?")
    entries = [json.loads(line) for line in (tmp_path / ASKS).read_text().splitlines()]
    assert [e["refused"] for e in entries] == [True, False]
    assert set(entries[0]) == {"day", "language", "region", "refused"}
    assert "quokka" not in _files_text(tmp_path).lower() and not (tmp_path / WORDS).exists()
    row, = log.report().rows
    assert (row.language, row.region, row.asked, row.refused) == ("nl", "flanders", 2, 1)


def test_a_word_is_written_only_once_a_group_of_different_questions_used_it(tmp_path):
    log = InsightLog(tmp_path, min_group=3)
    for _ in range(5):  # one asker repeating one question is no group
        log.record("nl", "", True, "Mag ik een hangmat ophangen in de gemeenschappelijke tuin?")
    assert not (tmp_path / WORDS).exists()
    log.record("nl", "", True, "Is een hangmat toegestaan op het balkon?")
    assert not (tmp_path / WORDS).exists()
    log.record("nl", "", True, "Waar koop ik een hangmat voor de binnentuin?")
    stored = json.loads((tmp_path / WORDS).read_text())
    assert [set(words) for words in stored.values()] == [{"hangmat"}]  # the shared word only
    assert log.report().refused_words == (("hangmat", 3),)
    log.record("nl", "", True, "Hangmat of ligstoel?")
    assert log.report().refused_words == (("hangmat", 4),)
    assert "balkon" not in _files_text(tmp_path)


def test_purge_drops_what_is_older_than_the_retention(tmp_path):
    old = (date.today() - timedelta(days=40)).isoformat()
    (tmp_path / ASKS).write_text(json.dumps({"day": old, "language": "fr", "region": "",
                                             "refused": True}) + "\n")
    (tmp_path / FEEDBACK).write_text(
        json.dumps({"timestamp": f"{old}T10:00:00+00:00", "vote": "down", "question": MARKER}) + "\n"
        + json.dumps({"timestamp": f"{date.today()}T10:00:00+00:00", "vote": "down"}) + "\n")
    (tmp_path / WORDS).write_text(json.dumps({old: {"zwembad": 6}}))
    log = InsightLog(tmp_path, retention_days=30)
    assert sum(r.asked for r in log.report(days=60).rows) == 1
    log.purge()
    assert (tmp_path / ASKS).read_text() == ""
    assert MARKER not in (tmp_path / FEEDBACK).read_text()
    assert json.loads((tmp_path / WORDS).read_text()) == {}
    assert [(r.asked, r.thumbs_down) for r in log.report().rows] == [(0, 1)]


def test_a_server_running_for_months_purges_with_the_first_answer_of_each_day(tmp_path):
    """No restart and no `assistant report`: the retention must still hold."""
    old = (date.today() - timedelta(days=40)).isoformat()
    (tmp_path / FEEDBACK).write_text(
        json.dumps({"timestamp": f"{old}T10:00:00+00:00", "vote": "down", "question": MARKER}) + "\n")
    log = InsightLog(tmp_path, retention_days=30)
    log.record("nl", "", False, "Wat is NETCO?")
    assert MARKER not in (tmp_path / FEEDBACK).read_text()
    (tmp_path / FEEDBACK).write_text(  # once a day: the next answer today reads no more files
        json.dumps({"timestamp": f"{old}T10:00:00+00:00", "vote": "down", "question": MARKER}) + "\n")
    log.record("nl", "", False, "Wat is NETCO?")
    assert MARKER in (tmp_path / FEEDBACK).read_text()


@contextmanager
def _serving(settings: Settings, pipeline: Pipeline) -> Iterator[httpx.Client]:
    """A client of the API on loopback; French questions are refused."""
    service = build_assistant(settings, pipeline=pipeline,
                              policy=FixedPolicy(answer=("nl",)))
    with (LoopbackServer(create_app(settings, service, with_ui=False)) as server,
          httpx.Client(base_url=server.url, timeout=30) as client):
        yield client


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    pipeline = Pipeline(Settings(), embedder=HashingEmbedder(),
                        index_dir=tmp_path_factory.mktemp("insight-index"))
    pipeline.ingest(SEED_CORPUS, show_progress=False)
    return pipeline


def test_served_answers_are_counted_and_the_officials_page_needs_its_token(tmp_path, pipeline):
    settings = Settings(feedback_dir=tmp_path, insight_token="s3cret", insight_min_group=2)
    with _serving(settings, pipeline) as client:
        for question in ("Quand ouvre la piscine de Zwartewater ?",
                         "Où se trouve la piscine couverte à Bruxelles ?",
                         "Wat is een proeftuin?"):
            assert client.post("/api/ask", json={"question": question}).status_code == 200
        assert client.get("/insight").status_code == 401
        assert client.get("/insight", headers={"Authorization": "Bearer wrong"}).status_code == 401
        data = client.get("/insight", headers={"Authorization": "Bearer s3cret",
                                               "Accept": "application/json"}).json()
        page = client.get("/insight", headers={"Authorization": "Bearer s3cret"}).text
    by_region = {(r["language"], r["region"]): r for r in data["rows"]}
    assert by_region[("fr", "brussels")]["refused"] == 1 and by_region[("nl", "")]["refused"] == 0
    assert sum(r["asked"] for r in data["rows"]) == 3
    assert [w["word"] for w in data["refused_words"]] == ["piscin"]  # stems shared by 2 questions
    assert "Zwartewater" not in page and "Zwartewater" not in _files_text(tmp_path)


def test_a_vote_cast_while_the_purge_rewrites_the_votes_is_kept(tmp_path, pipeline, monkeypatch):
    """The purge rewrites feedback.jsonl through the server's one writer of it (the FeedbackLog
    the API and the chat append with), under its lock: a vote cast between the purge's read
    and its rename waits, and is not lost in the rename."""
    settings = Settings(feedback_dir=tmp_path, retention_days=30)
    service = build_assistant(settings, pipeline=pipeline, policy=FixedPolicy(answer=("nl",)))
    app = create_app(settings, service, with_ui=False)
    feedback, insight = app.state.api.feedback, app.state.api.service.insight
    old = (date.today() - timedelta(days=40)).isoformat()
    (tmp_path / FEEDBACK).write_text(
        json.dumps({"timestamp": f"{old}T10:00:00+00:00", "vote": "down", "question": MARKER}) + "\n")
    real_replace, voters = os.replace, []

    def replace(source, target):  # the purge read the votes and wrote the rest: vote now
        if Path(target).name == FEEDBACK and not voters:
            voters.append(threading.Thread(target=feedback.append, args=("up", ["p1"], "nl")))
            voters[0].start()
            voters[0].join(timeout=1.0)  # done unless it waits for the purge's lock
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    insight.purge()
    voters[0].join()
    votes = [json.loads(line) for line in (tmp_path / FEEDBACK).read_text().splitlines()]
    assert [(v["vote"], v["passage_ids"]) for v in votes] == [("up", ["p1"])]


def test_the_officials_page_is_off_without_a_token_and_privacy_speaks_each_language(tmp_path, pipeline):
    settings = Settings(feedback_dir=tmp_path, retention_days=30)
    with _serving(settings, pipeline) as client:
        off = client.get("/insight", headers={"Authorization": "Bearer anything"})
        pages = {lang: client.get("/privacy", headers={"Accept-Language": lang}).text
                 for lang in ("nl", "fr", "en")}
        chosen = client.get("/privacy?lang=fr", headers={"Accept-Language": "nl"}).text
    assert off.status_code == 404 and "error" in off.json()
    assert '<html lang="nl">' in pages["nl"] and "30 dagen" in pages["nl"]
    assert '<html lang="fr">' in pages["fr"] and "30 jours" in pages["fr"]
    assert "not kept" in pages["en"] and "5 different questions" in pages["en"]
    assert chosen == pages["fr"]


def test_assistant_report_prints_counts_without_question_text(tmp_path):
    log = InsightLog(tmp_path, min_group=2)
    log.record("fr", "brussels", True, "Quand ouvre la piscine ?")
    log.record("fr", "brussels", True, "La piscine est-elle gratuite ?")
    env = {"ASSISTANT_FEEDBACK_DIR": str(tmp_path), "ASSISTANT_INSIGHT_MIN_GROUP": "2",
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "assistant", "report", "--json"], env=env,
                         capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    assert data["rows"][0]["refused"] == 2 and data["refused_words"] == [{"word": "piscin", "questions": 2}]
    table = subprocess.run([sys.executable, "-m", "assistant", "report"], env=env,
                           capture_output=True, text=True, check=True).stdout
    assert "brussels" in table and "gratuite" not in table
