"""Sources a citizen can check: the seed sidecars' dates and links, citations grouped by
document (API JSON, CLI), and the notice on answers drawn only from old documents."""

from __future__ import annotations

from datetime import date

import pytest
from regional import LandlordPolicy, regional_pipeline

from assistant.serve.api_models import AskResponse, answer_json
from assistant.answer.citations import citation_json
from assistant.ingest.documents import iter_corpus
from assistant.answer.messages import say
from assistant.pipeline import Pipeline
from assistant.service import Assistant
from assistant.wiring import build_assistant
from assistant.answer.sources import age_notice, document_year, group_sources, source_numbers
from assistant.types import Answer, Citation, Document, DocumentMeta, Passage

PRESSURE_COOKER = "Wanneer is de Transitie Pressure Cooker over toekomstbestendige sociale huisvesting?"
LEERTRAJECT = "Wanneer is de eerste bijeenkomst van het lerend netwerk van het leertraject?"


def citation(n: int, doc_id: str, passage_id: str, text: str, year: str = "2014") -> Citation:
    meta = DocumentMeta(title=f"Title of {doc_id}", publisher="P", date=year, language="nl",
                        region="netherlands", url="https://example.org/d")
    return Citation(n, Passage(passage_id, doc_id, text, 0, len(text), meta), 0, len(text))


# --------------------------------------------------------------------------- the seed sidecars


def test_seed_dates_and_links_are_the_ones_the_documents_state(seed_documents) -> None:
    meta = {d.doc_id: d.meta for d in seed_documents}
    assert {doc_id: (m.date, m.url, m.region) for doc_id, m in meta.items()} == {
        "000_f7569151e95805bd": ("2024", "https://netcoproject.org/", "brussels"),
        "001_c6c95ae73a52d834": ("2022", "", "flanders"),
        "002_bd07e3365d1f0d2e": ("", "", "netherlands"),
        "003_419f369990ea24fa": ("2022", "", "brussels"),
        "004_4de15e7da263b15e": ("2014", "", "netherlands"),
    }


def test_no_seed_date_or_link_is_missing_from_its_text(seed_documents: list[Document]) -> None:
    """Never invented: every date and link a sidecar gives appears in the document itself."""
    for document in seed_documents:
        assert document.meta.date in document.text, document.doc_id
        assert document.meta.url in document.text, document.doc_id


# --------------------------------------------------------------------------- grouping


def test_citations_of_one_document_make_one_source_in_order_of_first_use() -> None:
    citations = [citation(1, "netco", "p1", "Eerste zin."), citation(2, "leer", "p2", "Tweede."),
                 citation(3, "netco", "p3", "Derde zin.")]
    sources = group_sources(citations)
    assert [(s.number, s.doc_id, [c.n for c in s.citations]) for s in sources] == [
        (1, "netco", [1, 3]), (2, "leer", [2])]
    assert source_numbers(citations) == {1: 1, 2: 2, 3: 1}
    assert group_sources([]) == []


def test_the_answer_json_keeps_its_citations_and_adds_the_grouped_sources() -> None:
    citations = (citation(1, "netco", "p1", "Eerste zin."), citation(2, "netco", "p2", "Tweede."))
    body = answer_json(Answer("q", "nl", "“Eerste zin.” [1] “Tweede.” [2]", False, citations))
    assert [c["n"] for c in body["citations"]] == [1, 2]  # one per passage, as before
    assert body["citations"][0] == citation_json(citations[0])
    assert body["citations"][0]["region"] == "netherlands"
    assert set(body["citations"][0]) >= {"n", "passage_id", "doc_id", "title", "quote", "passage",
                                         "publisher", "date", "url", "language", "quote_start",
                                         "quote_end"}
    assert body["sources"] == [{
        "source": 1, "doc_id": "netco", "title": "Title of netco", "publisher": "P",
        "date": "2014", "url": "https://example.org/d", "language": "nl",
        "region": "netherlands", "citations": [1, 2],
        "quotes": [{"n": 1, "passage_id": "p1", "quote": "Eerste zin."},
                   {"n": 2, "passage_id": "p2", "quote": "Tweede."}]}]
    AskResponse.model_validate(body)  # the documented response model holds it


# --------------------------------------------------------------------------- age


def test_a_year_is_read_from_any_date_form() -> None:
    assert [document_year(d) for d in ("2014", "2024-03-01", "mei 2022", "", "n.d.", "12345")] \
        == [2014, 2024, 2022, None, None, None]


def test_the_notice_needs_every_source_to_be_old() -> None:
    old, older = citation(1, "a", "p1", "x", "2014"), citation(2, "b", "p2", "y", "2012")
    recent, undated = citation(3, "c", "p3", "z", "2024"), citation(4, "d", "p4", "w", "")
    assert age_notice([old], "en", 5, 2026) == "This answer is based on documents from 2014; " \
                                                 "things may have changed since."
    assert age_notice([old, older], "nl", 5, 2026) == say("dated", "nl", years="2012–2014")
    assert "2014" in age_notice([old], "fr", 5, 2026) and age_notice([old], "fr", 5, 2026) \
        .startswith("Cette réponse repose sur des documents de 2014")
    assert age_notice([old, recent], "en", 5, 2026) == ""
    assert age_notice([old, undated], "en", 5, 2026) == ""  # its age is unknown
    assert age_notice([old], "en", 12, 2026) == ""  # exactly the age allowed: not older
    assert age_notice([old], "en", 11, 2026) != ""
    assert age_notice([], "en", 5, 2026) == ""


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    return regional_pipeline(tmp_path_factory.mktemp("sources"))


def service_for(pipeline: Pipeline, **overrides) -> Assistant:
    service = build_assistant(pipeline.settings.model_copy(update=overrides), pipeline=pipeline,
                              policy=LandlordPolicy())
    return service


def test_an_answer_from_old_documents_says_from_when_they_are(pipeline: Pipeline) -> None:
    # 2022 is then exactly as old as allowed: answers from 001 carry no notice, from 004 do.
    years = date.today().year - 2022
    service = service_for(pipeline, old_document_years=years)
    answer = service.ask(PRESSURE_COOKER)
    assert {c.passage.doc_id for c in answer.citations} == {"004_4de15e7da263b15e"}
    assert answer.text.endswith("\n\n" + say("dated", "nl", years="2014"))
    french = service.ask(PRESSURE_COOKER, language="fr")
    assert french.text.endswith("\n\n" + say("dated", "fr", years="2014"))
    recent = service.ask(LEERTRAJECT)
    assert recent.citations and {c.passage.meta.date for c in recent.citations} == {"2022"}
    assert say("dated", "nl", years="2022") not in recent.text
    assert "2022;" not in recent.text
    streamed = list(service.stream(PRESSURE_COOKER))
    assert "".join(streamed[:-1]).strip() == streamed[-1].text.strip()
    assert streamed[-1].text.endswith(say("dated", "nl", years="2014"))


def test_the_age_is_a_setting(pipeline: Pipeline) -> None:
    assert service_for(pipeline, old_document_years=100).ask(PRESSURE_COOKER).text.count("2014;") == 0
    assert pipeline.settings.old_document_years == 5  # the default


def test_a_refusal_carries_no_age_notice(pipeline: Pipeline) -> None:
    answer = service_for(pipeline, old_document_years=0).ask(
        "Mag mijn verhuurder de huur verhogen tijdens het contract?")
    assert answer.refused and not answer.citations
    assert "documenten uit" not in answer.text


def test_seed_dates_feed_the_notice(seed_corpus) -> None:
    """004 (2014) is old by the default setting; 000 (2024) and 001 (2022) are not yet."""
    documents = {d.doc_id: d for d in iter_corpus(seed_corpus) if isinstance(d, Document)}
    this_year = date.today().year

    def cites(doc_id: str) -> Citation:
        doc = documents[doc_id]
        return Citation(1, Passage("p", doc_id, doc.text, 0, len(doc.text), doc.meta), 0, 10)

    assert age_notice([cites("004_4de15e7da263b15e")], "en", 5, this_year).startswith(
        "This answer is based on documents from 2014")
    assert age_notice([cites("002_bd07e3365d1f0d2e")], "en", 0, this_year) == ""  # undated


# --------------------------------------------------------------------------- the chat's view


class RecordingService:
    """Streams one answer, as Assistant.stream does; records the region asked for."""

    def __init__(self, answer: Answer) -> None:
        self.answer, self.regions = answer, []

    def stream(self, question, history=(), language=None, region=None):
        self.regions.append(region)
        yield self.answer.text
        yield self.answer


def grouped_answer() -> Answer:
    citations = (citation(1, "netco", "p1", "Eerste zin."), citation(2, "leer", "p2", "Tweede."),
                 citation(3, "netco", "p3", "Derde zin."))
    return Answer("q", "nl", "“Eerste zin.” [1]\n\n“Tweede.” [2]\n\n“Derde zin.” [3][1]", False,
                  citations)


def test_the_chat_panel_shows_one_source_per_document_with_all_its_quotes() -> None:
    from assistant.serve import chat_view as view

    netco, leer = view.source_views(grouped_answer(), "nl")
    assert (netco.n, netco.label) == (1, "[1] [3] Title of netco")
    assert [text for text, category in netco.segments if category] == ["Eerste zin.", "Derde zin."]
    assert [text for text, category in netco.segments if not category] == ["[1] ", "\n\n[3] "]
    assert (leer.n, leer.label, leer.segments) == (2, "[2] Title of leer", (("Tweede.", "geciteerd"),))


def test_chat_markers_link_to_their_documents_slot_and_read_back_plain() -> None:
    from assistant.serve import chat_view as view
    from assistant.serve.chat_turn import respond

    answer = grouped_answer()
    service = RecordingService(answer)
    final = list(respond(service, "Welke zin?", [], {}, [], None, region="brussels"))[-1]
    message = final.history[-1]["content"]
    assert message.count('(#source-1 "Title of netco")') == 3  # [1], [3] and [1]
    assert message.count('[\\[2\\]](#source-2 "Title of leer")') == 1
    assert "[\\[3\\]](#source-1" in message
    assert service.regions == ["brussels"]
    # The next question's history holds the answer as it was written.
    assert final.turns[0].answer == answer.text
    # A number that is no citation stays text.
    assert view.link_markers("zie [7]", answer) == "zie [7]"


def test_the_region_choice_offers_every_region_in_the_asked_language() -> None:
    from assistant.serve import chat_view as view

    assert view.region_choices("fr") == [("Toutes les régions", "all"), ("Flandre", "flanders"),
                                         ("Bruxelles", "brussels"), ("Pays-Bas", "netherlands"),
                                         ("Europe", "eu")]
    assert [view.region_filter(v) for v in ("all", "brussels", None, "mars")] \
        == [None, "brussels", None, None]
