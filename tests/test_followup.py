"""Follow-ups carry the previous turn's topic words, and a new place or name they add must be
in the passages they are answered from, or the question is refused."""

from __future__ import annotations


import pytest
from fakes import HashingEmbedder

from assistant.config import Settings
from assistant.answer.followup import (
    is_follow_up,
    new_constraints,
    standalone_question,
    topic_words,
    unsupported_constraints,
)
from assistant.answer.messages import say
from assistant.pipeline import Pipeline
from assistant.answer.refusal import Evidence
from assistant.search.regions import referral
from assistant.service import Assistant
from assistant.wiring import build_assistant
from assistant.types import Turn

# --------------------------------------------------------------------------- pure functions


def test_follow_up_keeps_the_topic_words_and_drops_the_question_words():
    history = [Turn("Wat doet Stichting Proefhof?", "Zij runnen een restaurant.")]
    standalone = standalone_question("En waar zit die stichting?", history)
    assert standalone == "En waar zit die stichting? Stichting Proefhof"
    assert "doet" not in standalone and "Wat" not in standalone

    history = [Turn("What is the learning trajectory on cooperative housing?")]
    standalone = standalone_question("Who launched the call?", history)
    assert standalone == "Who launched the call? learning trajectory cooperative housing"


def test_french_question_words_are_not_topic():
    assert topic_words("Qu'est-ce que le projet NETCO ?") == ["projet", "NETCO"]
    assert topic_words("Combien de participants ?") == ["participants"]


def test_a_question_with_its_own_topic_is_left_alone():
    history = [Turn("Which Dutch cities took part in NETCO?")]
    question = "What is a proeftuin in the learning trajectory?"
    assert not is_follow_up(question)
    assert standalone_question(question, history) == question
    assert new_constraints(question, history) == set()


def test_the_topic_is_carried_through_a_chain_of_follow_ups():
    history = [Turn("Qu'est-ce que le projet NETCO ?"),
               Turn("Quelles villes néerlandaises y ont participé ?")]  # " ?" is no word
    standalone = standalone_question("Et quand s'est-il terminé ?", history)
    assert standalone.startswith("Et quand s'est-il terminé ?")
    assert "NETCO" in standalone and "villes" in standalone


def test_a_follow_up_adding_a_place_is_flagged():
    flemish = [Turn("Wie lanceerde de oproep voor het leertraject coöperatief wonen?")]
    assert new_constraints("En in Brussel?", flemish) == {"Brussel"}
    assert new_constraints("Et à Bruxelles ?", flemish) == {"Bruxelles"}
    assert new_constraints("And what about Lyon?", flemish) == {"Lyon"}  # any name, not only regions


def test_no_constraint_without_a_new_name():
    netco = [Turn("Wanneer liep het project NETCO?")]
    assert new_constraints("Wie heeft het opgesteld?", netco) == set()
    assert new_constraints("En wie coördineerde NETCO?", netco) == set()  # already the topic
    assert new_constraints("En in Brussel?", []) == set()  # no history: not a follow-up


def test_a_constraint_is_supported_by_its_first_five_letters_in_any_language():
    assert unsupported_constraints({"Berlin"}, "Duitsland (Berlijn en Dresden)") == set()
    assert unsupported_constraints({"Brussel", "Berlin"}, "Berlijn, Vlaanderen") == {"Brussel"}
    assert unsupported_constraints(set(), "") == set()


# --------------------------------------------------------------------------- end to end

CORPUS = {
    "cooperative.txt": (
        "Cooperative housing learning trajectory\n\n"
        "The Flemish housing agency launched the call for the cooperative housing learning "
        "trajectory in January 2022. Five pilot towns in Flanders were selected for the "
        "learning trajectory.\n"),
    "netco.txt": (
        "NETCO network of cities\n\n"
        "The NETCO project ran from May 2022 to April 2024. Cities from Spain, Germany and "
        "Portugal took part in NETCO. Berlin and Dresden took part for Germany.\n"),
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    corpus = tmp_path_factory.mktemp("corpus")
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    root = tmp_path_factory.mktemp("followup-index")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", cache_dir=root / "cache",
                        collection_prefix="followuptest")
    built = Pipeline(settings, embedder=HashingEmbedder(), index_dir=root / "index")
    built.ingest(corpus, show_progress=False)
    return built


class _AnswerEverything:
    """The base refusal decision, forced to answer whenever a sentence was scored."""

    def assess(self, result, scored, language: str, read=None) -> Evidence:
        return Evidence({}, refused=not scored)


@pytest.fixture
def service(pipeline: Pipeline) -> Assistant:
    """The one place the base refusal policy is forced: the hashing embedder's cosines mean
    nothing to a calibrated policy, and only the follow-up check should refuse here."""
    assistant = build_assistant(pipeline.settings, pipeline=pipeline,
                                policy=_AnswerEverything())
    return assistant


def test_a_follow_up_about_a_place_the_corpus_lacks_is_refused(service: Assistant):
    first = service.ask("Who launched the call for the cooperative housing learning trajectory?")
    assert not first.refused
    assert any("Flemish housing agency" in c.quote for c in first.citations)

    follow_up = "And in Brussels?"
    answer = service.ask(follow_up, [Turn(first.question, first.text)])
    assert answer.refused and not answer.citations
    where = referral(follow_up, "en", service.settings.referrals)
    assert answer.text == say("refusal", "en", referral=where)
    assert "cooperative" in answer.standalone_question  # the topic was carried all the same


def test_a_follow_up_whose_place_is_in_the_corpus_is_answered(service: Assistant):
    first = service.ask("Which cities took part in NETCO?")
    assert not first.refused
    answer = service.ask("And Berlin?", [Turn(first.question, first.text)])
    assert not answer.refused
    assert answer.standalone_question == "And Berlin? cities took part NETCO"
    assert any("Berlin" in c.quote for c in answer.citations)


def test_a_follow_up_without_a_new_place_keeps_the_topic(service: Assistant):
    first = service.ask("When did the NETCO project run?")
    answer = service.ask("Which countries took part in it?", [Turn(first.question, first.text)])
    assert not answer.refused
    assert "NETCO" in answer.standalone_question
    assert all(c.passage.doc_id == "netco" for c in answer.citations) and answer.citations


def test_a_region_is_found_under_any_of_its_names() -> None:
    from assistant.answer.followup import unsupported_constraints

    assert unsupported_constraints({"Bruxelles"}, "Brussel Huisvesting coördineert") == set()
    assert unsupported_constraints({"Bruxelles"}, "Vlaanderen en Gent") == {"Bruxelles"}
