"""The int8 onnxruntime EmbeddingGemma: built once per session, checked against the fp32 model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import ModelNotPreparedError
from assistant.ingest.gemma_onnx import (
    BATCH_TOKENS,
    MARKER,
    MIN_COSINE,
    ONNX_DIR_NAME,
    GemmaOnnxEmbedder,
    _batches,
    prepare_gemma_onnx,
    prepared_gemma_onnx_dir,
)

REPO = Path(__file__).resolve().parents[1]

TEXTS = [
    "Hoeveel mag de verhuurder vragen als huurwaarborg?",
    "De huurwaarborg mag maximaal twee maanden huur bedragen en staat op een geblokkeerde "
    "rekening.",
    "Combien de temps dure le préavis si je veux quitter mon logement ?",
    "Le propriétaire fait les grosses réparations, l'entretien courant revient au locataire.",
    "Can my landlord raise the rent in the middle of the lease?",
    # ~800 characters, the passage size the index uses
    "Wie een sociale woning wil huren, schrijft zich in bij een sociale huisvestingsmaatschappij "
    "van de gemeente waar hij wil wonen. Het inkomen van het gezin mag een jaarlijks aangepast "
    "plafond niet overschrijden en niemand in het gezin mag een woning bezitten. De kandidaat "
    "krijgt een volgnummer op de wachtlijst en moet zijn inschrijving elk jaar bevestigen, anders "
    "wordt ze geschrapt. Voorrang gaat onder meer naar gezinnen die in een onbewoonbare woning "
    "leven, naar personen met een handicap en naar grote gezinnen. De huurprijs van een sociale "
    "woning hangt af van het inkomen van het gezin en van de waarde van de woning zelf, en ligt "
    "daardoor meestal ver onder de prijzen op de private markt. Wie een woning weigert die bij "
    "zijn gezin past, kan van de lijst worden geschrapt.",
]

# Runs in a child process: loading and embedding must not import torch.
_NO_TORCH = """
import json, sys
from pathlib import Path
from assistant.ingest.gemma_onnx import GemmaOnnxEmbedder

embedder = GemmaOnnxEmbedder.load(Path(sys.argv[1]))
vectors = embedder.embed_queries(["Wie betaalt de herstellingen?"])
vectors = embedder.embed_passages(["Le locataire paie l'entretien.", "Rent is due monthly."])
print(json.dumps({"torch": "torch" in sys.modules, "shape": list(vectors.shape)}))
"""


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    return Settings().cache_dir


@pytest.fixture(scope="session")
def gemma_onnx_dir(cache_dir: Path) -> Path:
    """The real int8 folder in the user cache; built on first use (~1-2 min), reused afterwards."""
    return prepare_gemma_onnx(cache_dir)


@pytest.fixture(scope="session")
def embedder(gemma_onnx_dir: Path, cache_dir: Path) -> GemmaOnnxEmbedder:
    return GemmaOnnxEmbedder.load(cache_dir)


@pytest.fixture(scope="session")
def fp32_embedder(gemma_onnx_dir: Path, cache_dir: Path):
    from assistant.ingest.embedding import SentenceTransformerEmbedder
    from assistant.ingest.gemma_prep import prepared_gemma_dir

    return SentenceTransformerEmbedder(prepared_gemma_dir(cache_dir))


@pytest.mark.model
def test_marker_records_a_passing_verification(gemma_onnx_dir: Path) -> None:
    marker = json.loads((gemma_onnx_dir / MARKER).read_text(encoding="utf-8"))
    assert marker["min_cosine"] >= MIN_COSINE
    assert min(r["cosine"] for r in marker["cosines"]) == marker["min_cosine"]
    assert len(marker["cosines"]) >= 20
    assert {r["lang"] for r in marker["cosines"]} == {"nl", "fr", "en"}
    assert {r["prompt"] for r in marker["cosines"]} == {"query", "passage"}
    assert max(len(r["text"]) for r in marker["cosines"]) > 700


@pytest.mark.model
@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_matches_fp32_sentence_transformers(embedder, fp32_embedder, prompt: str) -> None:
    method = {"query": "embed_queries", "passage": "embed_passages"}[prompt]
    ours = getattr(embedder, method)(TEXTS)
    reference = getattr(fp32_embedder, method)(TEXTS)
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() >= MIN_COSINE, cosines


@pytest.mark.model
def test_output_is_normalized_float32(embedder: GemmaOnnxEmbedder) -> None:
    for vectors in (embedder.embed_passages(TEXTS), embedder.embed_queries(TEXTS[:1])):
        assert vectors.dtype == np.float32
        assert vectors.shape[1] == embedder.dim == 768
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_passages([]).shape == (0, 768)
    assert embedder.name == "onnx-int8:embeddinggemma-300m"


@pytest.mark.model
def test_a_batch_gives_each_text_its_vector_alone(embedder: GemmaOnnxEmbedder) -> None:
    texts = [TEXTS[5], TEXTS[0], TEXTS[3], "Huur.", TEXTS[1], TEXTS[4] * 3, TEXTS[2], TEXTS[5] * 2]
    together = embedder.embed_passages(texts)
    alone = np.vstack([embedder.embed_passages([text]) for text in texts])
    cosines = np.sum(together * alone, axis=1)
    assert cosines.min() > 0.9999, cosines


@pytest.mark.model
def test_french_question_finds_the_dutch_passage(embedder: GemmaOnnxEmbedder) -> None:
    query = embedder.embed_queries(
        ["Combien le propriétaire peut-il demander comme garantie locative ?"]
    )[0]
    relevant, unrelated = embedder.embed_passages(
        [
            "De huurwaarborg mag maximaal twee maanden huur bedragen en staat op een "
            "geblokkeerde rekening op naam van de huurder.",
            "De gemeente haalt het huisvuil elke dinsdagochtend op.",
        ]
    )
    assert float(relevant @ query) > float(unrelated @ query) + 0.05


@pytest.mark.model
def test_loading_and_embedding_do_not_import_torch(gemma_onnx_dir: Path, cache_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-c", _NO_TORCH, str(cache_dir)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {"torch": False, "shape": [2, 768]}


@pytest.mark.model
def test_prepare_is_idempotent(gemma_onnx_dir: Path, cache_dir: Path) -> None:
    before = (gemma_onnx_dir / MARKER).stat().st_mtime_ns
    assert prepare_gemma_onnx(cache_dir) == gemma_onnx_dir
    assert (gemma_onnx_dir / MARKER).stat().st_mtime_ns == before


def test_batches_sort_by_length_within_the_token_budget() -> None:
    lengths = [300, 5, 12, 40, 310, 6, 290, 80, 7, 3000]
    batches = _batches(lengths, batch_size=3)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        sizes = [lengths[i] for i in batch]
        assert sizes == sorted(sizes)
        assert len(batch) <= 3
        assert len(batch) == 1 or len(batch) * max(sizes) <= BATCH_TOKENS
    assert [lengths[i] for i in batches[-1]] == [3000]


def test_folder_without_marker_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelNotPreparedError, match="assistant prepare"):
        GemmaOnnxEmbedder.load(tmp_path)
    # A folder without its verification marker (e.g. a crashed build) does not count either.
    folder = tmp_path / ONNX_DIR_NAME
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"")
    (folder / "tokenizer.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelNotPreparedError, match="assistant prepare"):
        prepared_gemma_onnx_dir(tmp_path)


@pytest.mark.model
def test_the_setting_selects_this_engine(gemma_onnx_dir: Path, cache_dir: Path) -> None:
    from assistant.ingest.embedding import load_embedder, prepare_encoder

    settings = Settings(encoder="embeddinggemma-onnx-int8", cache_dir=cache_dir)
    assert prepare_encoder(settings) == gemma_onnx_dir
    assert isinstance(load_embedder(settings), GemmaOnnxEmbedder)
