"""Adding a language is one profile and its strings, registered at start-up (issue 23): German
(tests/german.py), registered in a fresh process as a deployment would, answers and refuses
through the HTTP API over a real index, and Dutch, French and English are answered as before.

The process is a child of the test: the registration lasts for the life of a process, and the
other tests' processes know three languages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.model, pytest.mark.slow]  # a child process with the real encoder

REPO = Path(__file__).resolve().parents[1]

GERMAN = {
    "sonnenhof.txt": (
        "Wohnungsgenossenschaft Sonnenhof",
        "Die Wohnungsgenossenschaft Sonnenhof wurde im März 2019 in Leipzig gegründet. Sie baut "
        "48 Wohnungen für Familien und ältere Menschen auf einem ehemaligen Fabrikgelände. Die "
        "Mitglieder verwalten die Häuser gemeinsam und entscheiden in der Generalversammlung."),
    "wohngeld.txt": (
        "Wohngeld",
        "Wohngeld ist ein Zuschuss zur Miete für Haushalte mit geringem Einkommen. Den Antrag "
        "stellt man bei der Wohngeldstelle der Stadt oder der Gemeinde."),
}
NL_SEED = "000_f7569151e95805bd.txt"  # NETCO, the seed corpus's Dutch text
ANSWERED = "Wann wurde die Wohnungsgenossenschaft Sonnenhof gegründet?"
REFUSED = "Wie hoch ist die Hundesteuer in München für einen zweiten Hund?"
OTHERS = {"nl": "Welke Nederlandse steden namen deel aan NETCO?",
          "fr": "Quelles villes néerlandaises ont participé à NETCO ?",
          "en": "Which Dutch cities took part in NETCO?"}


def _child(folder: Path) -> dict:
    """Runs in the child: the stages imported and used, then German registered; an index
    built and questions asked over HTTP."""
    import shutil

    import german
    from fastapi.testclient import TestClient

    from assistant.answer.catalogue import widget_script
    from assistant.answer.followup import topic_words
    from assistant.config import Settings
    from assistant.languages import register
    from assistant.pipeline import Pipeline
    from assistant.search.language import detect_language
    from assistant.search.question import question_kind
    from assistant.serve.server import create_app
    from assistant.service import Assistant

    # What the stages build from the profiles, built before the registration ...
    before = (detect_language(ANSWERED), question_kind(ANSWERED), topic_words(ANSWERED))
    widget_script()
    register(german.PROFILE, german.STRINGS)
    # ... is built again after it.
    after = (detect_language(ANSWERED), question_kind(ANSWERED), topic_words(ANSWERED))

    corpus = folder / "corpus"
    corpus.mkdir()
    for name, (title, text) in GERMAN.items():
        (corpus / name).write_text(text, encoding="utf-8")
        (corpus / f"{name}.meta.json").write_text(json.dumps({"title": title, "language": "de"}))
    for name in (NL_SEED, f"{NL_SEED}.meta.json"):
        shutil.copy(REPO / "corpus" / name, corpus / name)
    settings = Settings(corpus_dir=corpus, index_dir=folder / "index", rate_limit="1000/minute")
    pipeline = Pipeline(settings, index_dir=folder / "index")
    pipeline.ingest(corpus, show_progress=False)
    replies = {}
    with TestClient(create_app(settings, Assistant(settings, pipeline), with_ui=False)) as client:
        for key, body in {"answered": {"question": ANSWERED},
                          "refused": {"question": REFUSED},
                          "asked_in": {"question": ANSWERED, "lang": "de"},
                          **{code: {"question": q} for code, q in OTHERS.items()}}.items():
            reply = client.post("/api/ask", json=body)
            replies[key] = {"status": reply.status_code, **reply.json()}
        schema = client.get("/api/openapi.json").json()["components"]["schemas"]
    replies["lang_enum"] = schema["AskRequest"]["properties"]["lang"]["anyOf"][0]["enum"]
    replies["stages"] = {"before": before, "after": after,
                         "widget": json.dumps(widget_script().decode()).count("Deutsch")}
    return replies


@pytest.fixture(scope="module")
def replies(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("extra-language")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    done = subprocess.run([sys.executable, __file__, str(folder)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_german_question_is_answered_in_german_citing_the_german_text(replies):
    answer = replies["answered"]
    assert answer["status"] == 200 and not answer["refused"], answer["answer"]
    assert answer["lang"] == "de"
    short, framing, *_ = answer["answer"].split("\n\n")
    assert "März 2019" in short and short.endswith("[1]"), short
    assert framing == "Das sagen die Dokumente der Wissensdatenbank:"
    assert answer["citations"][0]["doc_id"].startswith("sonnenhof")
    assert "im März 2019 in Leipzig gegründet" in answer["citations"][0]["quote"]
    # The API's language type takes the registered code, and lists it in the schema.
    assert replies["asked_in"]["status"] == 200 and replies["asked_in"]["lang"] == "de"
    assert replies["lang_enum"] == ["nl", "fr", "en", "de"]


def test_what_the_stages_built_before_the_registration_is_built_again(replies):
    stages = replies["stages"]
    # Detected as one of three languages, no question word known, "Wann wurde" a topic ...
    assert stages["before"][0] != "de" and stages["before"][1] is None
    assert {"Wann", "wurde"} <= set(stages["before"][2])
    # ... then German, a "when" question, and German's question and stop words are no topic.
    assert stages["after"] == ["de", "when", ["Wohnungsgenossenschaft", "Sonnenhof", "gegründet"]]
    assert stages["widget"] > 0  # the widget's language switch names German


def test_a_german_question_the_corpus_does_not_cover_is_refused_in_german(replies):
    refusal = replies["refused"]
    assert refusal["status"] == 200 and refusal["refused"] and refusal["lang"] == "de"
    assert refusal["answer"].startswith("Die Wissensdatenbank enthält keine Antwort")
    assert refusal["citations"] == []


def test_dutch_french_and_english_are_answered_as_before(replies):
    expected = {"nl": "Amsterdam en Eindhoven [1]", "fr": "Amsterdam et Eindhoven [1]",
                "en": "Amsterdam and Eindhoven [1]"}
    for code, short in expected.items():
        answer = replies[code]
        assert answer["status"] == 200 and not answer["refused"], (code, answer["answer"])
        assert answer["lang"] == code
        assert answer["answer"].split("\n\n")[0] == short


if __name__ == "__main__":
    print(json.dumps(_child(Path(sys.argv[1])), ensure_ascii=False))
