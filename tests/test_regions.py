"""Regions: codes and names, the filter in the store, the lexical index, the service and the
CLI, and the table of public services a refusal refers to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import HashingEmbedder
from regional import (EU_META, EU_NAME, EU_TEXT, NETCO_QUESTION, REGION_OF, LandlordPolicy,
                      regional_pipeline, regional_settings)

from assistant import cli
from assistant.config import Settings
from assistant.answer.messages import say
from assistant.pipeline import Pipeline
from assistant.referrals import DEFAULT_REFERRALS
from assistant.search.regions import (REGIONS, allowed_regions, referral, region_code,
                                      region_named)
from assistant.service import Assistant
from assistant.wiring import build_assistant

LANDLORD_NL = "Mag mijn verhuurder de huur verhogen tijdens het contract?"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    return regional_pipeline(tmp_path_factory.mktemp("regions"))


@pytest.fixture(scope="module")
def service(pipeline: Pipeline) -> Assistant:
    assistant = build_assistant(pipeline.settings, pipeline=pipeline,
                                policy=LandlordPolicy())
    return assistant


def regions_of(hits) -> set[str]:
    return {hit.passage.meta.region for hit in hits}


# --------------------------------------------------------------------------- codes and words


def test_region_names_become_codes_and_others_are_kept() -> None:
    assert [region_code(name) for name in ("Flanders", "Vlaanderen", " Région  flamande ")] \
        == ["flanders"] * 3
    assert [region_code(name) for name in ("Brussel", "Bruxelles", "brussels")] == ["brussels"] * 3
    assert [region_code(name) for name in ("Nederland", "Pays-Bas", "The Netherlands")] \
        == ["netherlands"] * 3
    assert region_code("Europese Unie") == region_code("EU") == "eu"
    assert region_code("Wallonie") == "Wallonie" and region_code("") == ""


def test_a_filter_keeps_its_region_and_the_european_documents() -> None:
    assert allowed_regions("flanders") == ("flanders", "eu")
    assert allowed_regions("Bruxelles") == ("brussels", "eu")
    assert allowed_regions("eu") == ("eu",)
    assert allowed_regions(None) is None and allowed_regions("") is None


def test_a_question_is_placed_by_whole_words_only() -> None:
    assert region_named("Mag de huur omhoog in Amsterdam?") == "netherlands"
    assert region_named("Hoe vraag ik huurtoeslag aan?") == "netherlands"  # a Dutch institution
    assert region_named("Loyer à Schaerbeek ?") == "brussels"
    assert region_named("Een Gentse woning huren") == "flanders"
    # "gent" inside another word, or words for a language, place nothing.
    assert region_named("Combien d'argent faut-il ? Il est gentil.") == ""
    assert region_named("Do I need to speak Dutch or Flemish?") == ""
    assert region_named("Huren in Vlaanderen of in Nederland?") == ""  # two regions: neither


# --------------------------------------------------------------------------- the referral table


def test_every_region_refers_in_every_language_to_named_public_services() -> None:
    assert set(DEFAULT_REFERRALS) == {"flanders", "brussels", "netherlands", ""}
    for region, texts in DEFAULT_REFERRALS.items():
        assert set(texts) == {"nl", "fr", "en"}, region
    for language in ("nl", "fr", "en"):
        assert "www.wonenvlaanderen.be" in DEFAULT_REFERRALS["flanders"][language]
        assert "OCMW" in DEFAULT_REFERRALS["flanders"][language]
        assert "logement.brussels" in DEFAULT_REFERRALS["brussels"]["fr"]
        assert "huisvesting.brussels" in DEFAULT_REFERRALS["brussels"]["nl"]
        for service in ("www.juridischloket.nl", "www.huurcommissie.nl", "www.woonbond.nl",
                        "www.rijksoverheid.nl"):
            assert service in DEFAULT_REFERRALS["netherlands"][language], (service, language)
    assert "CPAS" in DEFAULT_REFERRALS["brussels"]["fr"]


def test_the_referral_follows_the_question_then_the_filter_then_the_fallback() -> None:
    table = DEFAULT_REFERRALS
    assert referral(LANDLORD_NL, "nl", table) == table[""]["nl"]
    assert referral(LANDLORD_NL, "nl", table, "netherlands") == table["netherlands"]["nl"]
    assert referral(LANDLORD_NL, "nl", table, "brussels") == table["brussels"]["nl"]
    # The question's own place wins over the portal's region.
    assert referral("Mag mijn verhuurder in Amsterdam de huur verhogen?", "nl", table,
                    "brussels") == table["netherlands"]["nl"]
    assert referral("Mon bailleur à Gand peut-il ?", "fr", table, "flanders") \
        == table["flanders"]["fr"]
    assert referral("Mon bailleur peut-il augmenter le loyer ?", "fr", table, "brussels") \
        == table["brussels"]["fr"]
    # A European filter has no services of its own: the fallback.
    assert referral(LANDLORD_NL, "en", table, "eu") == table[""]["en"]


def test_a_dutch_question_without_a_place_names_services_of_both_countries() -> None:
    fallback = DEFAULT_REFERRALS[""]["nl"]
    assert "OCMW" in fallback and "Juridisch Loket" in fallback
    assert "België" in fallback and "Nederland" in fallback


def test_an_edited_table_is_used_and_may_key_regions_by_name(monkeypatch) -> None:
    table = {"Flanders": {"nl": "Bel het woonloket van uw gemeente."},
             "": {"nl": "Vraag het aan uw gemeente.", "en": "Ask your municipality."}}
    monkeypatch.setenv("ASSISTANT_REFERRALS", json.dumps(table))
    settings = Settings()
    assert referral("Huur in Gent?", "nl", settings.referrals) == "Bel het woonloket van uw gemeente."
    assert referral("Huur?", "nl", settings.referrals, "flanders") == "Bel het woonloket van uw gemeente."
    assert referral("Rent in Ghent?", "en", settings.referrals, "netherlands") == "Ask your municipality."


# --------------------------------------------------------------------------- the index


def test_corpus_regions_are_codes_in_the_store_and_the_lexical_index(pipeline: Pipeline) -> None:
    passages = list(pipeline.retriever.store.iter_passages())
    assert {p.doc_id: p.meta.region for p in passages} == REGION_OF
    lexical = pipeline.retriever.lexical
    assert dict(zip(lexical.ids, lexical.regions)) == {p.passage_id: p.meta.region for p in passages}


def test_the_filter_applies_to_the_dense_and_the_lexical_side(index_env, corpus_dir: Path) -> None:
    """Both store modes: Chroma's `where` on the server as in the embedded store."""
    (corpus_dir / EU_NAME).write_text(EU_TEXT, encoding="utf-8")
    (corpus_dir / f"{EU_NAME}.meta.json").write_text(json.dumps(EU_META), encoding="utf-8")
    pipeline = index_env.pipeline()
    pipeline.ingest(corpus_dir, show_progress=False)
    retriever = pipeline.retriever
    vector = retriever.embedder.embed_queries([NETCO_QUESTION])[0]
    everything = retriever.store.query(vector, 100)
    assert regions_of(everything) == set(REGIONS)
    for region in REGIONS:
        allowed = set(allowed_regions(region))
        dense = retriever.store.query(vector, 100, allowed_regions(region))
        assert dense and regions_of(dense) <= allowed
        assert len(dense) == sum(hit.passage.meta.region in allowed for hit in everything)
        region_of = {hit.passage.passage_id: hit.passage.meta.region for hit in everything}
        lexical = retriever.lexical.search(NETCO_QUESTION, "nl", 100, allowed_regions(region))
        assert lexical and {region_of[pid] for pid, _ in lexical} <= allowed
    unfiltered = retriever.lexical.search(NETCO_QUESTION, "nl", 100)
    assert {region_of[pid] for pid, _ in unfiltered} >= {"brussels", "eu"}


def test_search_with_a_region_leaves_out_the_other_regions(pipeline: Pipeline) -> None:
    unfiltered = pipeline.search(NETCO_QUESTION, k=5)
    assert unfiltered.hits[0].passage.doc_id == "000_f7569151e95805bd"  # NETCO: Brussels
    for region in REGIONS:
        hits = pipeline.search(NETCO_QUESTION, k=5, region=region).hits
        assert hits and regions_of(hits) <= set(allowed_regions(region)), region
    assert "eu" in regions_of(pipeline.search(NETCO_QUESTION, k=5, region="flanders").hits)


def test_an_index_of_the_previous_version_is_rebuilt_not_misread(tmp_path: Path) -> None:
    """Version 2 stored region names ("Brussels"), which no filter matches."""
    import assistant.ingest.indexer

    pipeline = regional_pipeline(tmp_path)
    manifest = json.loads((tmp_path / "index" / pipeline.location.generation()
                           / "manifest.json").read_text())
    assert manifest["version"] == assistant.ingest.indexer.MANIFEST_VERSION == 3
    old = dict(manifest, version=2)
    pipeline.location.publish(pipeline.location.generation(), old)
    fresh = Pipeline(pipeline.settings, embedder=HashingEmbedder(), index_dir=pipeline.index_dir)
    assert not fresh.index_is_current()
    with pytest.raises(Exception, match="another version"):
        fresh.search(NETCO_QUESTION, k=5)
    assert fresh.ingest(show_progress=False).rebuilt


# --------------------------------------------------------------------------- the service


def test_ask_with_a_region_cites_only_that_region(service: Assistant) -> None:
    answer = service.ask(NETCO_QUESTION)
    assert not answer.refused and any(c.passage.meta.region == "brussels" for c in answer.citations)
    filtered = service.ask(NETCO_QUESTION, region="netherlands")
    assert filtered.citations
    assert {c.passage.meta.region for c in filtered.citations} <= {"netherlands", "eu"}
    streamed = list(service.stream(NETCO_QUESTION, region="flanders"))[-1]
    assert {c.passage.meta.region for c in streamed.citations} <= {"flanders", "eu"}


def test_a_refusal_refers_by_region_and_language(service: Assistant) -> None:
    table = service.settings.referrals
    cases = [
        (LANDLORD_NL, None, "nl", table[""]["nl"]),
        (LANDLORD_NL, "netherlands", "nl", table["netherlands"]["nl"]),
        ("Mag mijn verhuurder in Rotterdam de huur verhogen?", "flanders", "nl",
         table["netherlands"]["nl"]),
        ("Mon bailleur peut-il augmenter le loyer en cours de bail ?", "brussels", "fr",
         table["brussels"]["fr"]),
        ("Mon bailleur peut-il augmenter le loyer en cours de bail ?", "flanders", "fr",
         table["flanders"]["fr"]),
        ("Can my landlord raise the rent?", "brussels", "en", table["brussels"]["en"]),
    ]
    for question, region, language, expected in cases:
        answer = service.ask(question, region=region)
        assert answer.refused and answer.language == language, question
        assert answer.text == say("refusal", language, referral=expected), (question, region)


# --------------------------------------------------------------------------- the CLI


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The regional index where `assistant` finds it, read with the hashing embedder."""
    import assistant.pipeline

    regional_pipeline(tmp_path)
    settings = regional_settings(tmp_path)
    for name in ("corpus_dir", "index_dir", "cache_dir", "feedback_dir"):
        monkeypatch.setenv(f"ASSISTANT_{name.upper()}", str(getattr(settings, name)))
    monkeypatch.setattr(assistant.pipeline, "load_embedder", lambda settings: HashingEmbedder())
    monkeypatch.setattr(Assistant, "policy", LandlordPolicy())
    return tmp_path


def run_cli(capsys, *argv: str) -> str:
    assert cli.main(list(argv)) == 0
    return capsys.readouterr().out


def test_cli_search_and_ask_take_a_region(cli_env: Path, capsys) -> None:
    hits = json.loads(run_cli(capsys, "search", NETCO_QUESTION, "--json"))["hits"]
    assert {hit["region"] for hit in hits} >= {"brussels"}
    for region in REGIONS:
        hits = json.loads(run_cli(capsys, "search", NETCO_QUESTION, "--json", "--region",
                                  region))["hits"]
        assert hits and {hit["region"] for hit in hits} <= set(allowed_regions(region))
    answer = json.loads(run_cli(capsys, "ask", NETCO_QUESTION, "--json", "--region",
                                "netherlands"))
    assert answer["citations"]
    assert {c["region"] for c in answer["citations"]} <= {"netherlands", "eu"}
    assert {s["region"] for s in answer["sources"]} <= {"netherlands", "eu"}
    refused = run_cli(capsys, "ask", LANDLORD_NL, "--region", "netherlands")
    assert "www.huurcommissie.nl" in refused


def test_cli_refuses_an_unknown_region(cli_env: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["search", NETCO_QUESTION, "--region", "wallonia"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'wallonia'" in capsys.readouterr().err
