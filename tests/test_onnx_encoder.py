"""The int8 onnxruntime encoder: built once per session, checked against the fp32 model."""

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
from assistant.ingest.onnx_encoder import MARKER, MIN_COSINE, ONNX_DIR_NAME, OnnxEmbedder, prepare_onnx

REPO = Path(__file__).resolve().parents[1]

TEXTS = [
    "Hoeveel mag de verhuurder vragen als huurwaarborg?",
    "De huurwaarborg mag maximaal twee maanden huur bedragen en staat op een geblokkeerde "
    "rekening.",
    "Combien de temps dure le préavis si je veux quitter mon logement ?",
    "Le propriétaire fait les grosses réparations, l'entretien courant revient au locataire.",
    "Can my landlord raise the rent in the middle of the lease?",
    "A social housing application must be renewed every year, otherwise it is removed from the "
    "waiting list. Priority points are granted for unfit housing, disability or large families, "
    "and the rent of a social home depends on the household's income and on the home itself.",
]

# Runs in a child process: loading and embedding must not import torch.
_NO_TORCH = """
import json, sys
from pathlib import Path
from assistant.ingest.onnx_encoder import OnnxEmbedder

embedder = OnnxEmbedder.load(Path(sys.argv[1]))
vectors = embedder.embed_queries(["Wie betaalt de herstellingen?"])
vectors = embedder.embed_passages(["Le locataire paie l'entretien.", "Rent is due monthly."])
print(json.dumps({"torch": "torch" in sys.modules, "shape": list(vectors.shape)}))
"""


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    return Settings().cache_dir


@pytest.fixture(scope="session")
def onnx_dir(cache_dir: Path) -> Path:
    """The real int8 folder in the user cache; built on first use, reused afterwards."""
    return prepare_onnx(cache_dir)


@pytest.fixture(scope="session")
def onnx_embedder(onnx_dir: Path, cache_dir: Path) -> OnnxEmbedder:
    return OnnxEmbedder.load(cache_dir)


@pytest.fixture(scope="session")
def fp32_embedder(onnx_dir: Path, cache_dir: Path):
    from assistant.ingest.embedding import SentenceTransformerEmbedder
    from assistant.ingest.model_prep import prepared_model_dir

    return SentenceTransformerEmbedder(prepared_model_dir(cache_dir))


@pytest.mark.model
def test_marker_records_a_passing_verification(onnx_dir: Path) -> None:
    marker = json.loads((onnx_dir / MARKER).read_text(encoding="utf-8"))
    assert marker["min_cosine"] >= MIN_COSINE
    assert len(marker["cosines"]) >= 30
    assert {r["lang"] for r in marker["cosines"]} == {"nl", "fr", "en"}
    assert {r["prompt"] for r in marker["cosines"]} == {"query", "passage"}


@pytest.mark.model
@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_matches_fp32_sentence_transformers(onnx_embedder, fp32_embedder, prompt: str) -> None:
    method = {"query": "embed_queries", "passage": "embed_passages"}[prompt]
    ours = getattr(onnx_embedder, method)(TEXTS)
    reference = getattr(fp32_embedder, method)(TEXTS)
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() >= 0.99, cosines


@pytest.mark.model
def test_output_is_normalized_float32(onnx_embedder: OnnxEmbedder) -> None:
    for vectors in (onnx_embedder.embed_passages(TEXTS), onnx_embedder.embed_queries(TEXTS[:1])):
        assert vectors.dtype == np.float32
        assert vectors.shape[1] == onnx_embedder.dim == 384
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert onnx_embedder.embed_passages([]).shape == (0, 384)
    assert onnx_embedder.name == "onnx-int8:multilingual-e5-small"


@pytest.mark.model
def test_order_is_kept_in_mixed_length_batches(onnx_embedder: OnnxEmbedder) -> None:
    texts = [TEXTS[5], TEXTS[0], TEXTS[3], "Huur.", TEXTS[1], TEXTS[4] * 3, TEXTS[2]]
    together = onnx_embedder.embed_passages(texts)
    assert together.shape == (len(texts), 384)
    alone = np.vstack([onnx_embedder.embed_passages([text]) for text in texts])
    cosines = np.sum(together * alone, axis=1)
    assert cosines.min() > 0.999, cosines


@pytest.mark.model
def test_batches_group_similar_lengths() -> None:
    from assistant.ingest.onnx_encoder import _batches

    lengths = [300, 5, 12, 40, 310, 6, 290, 80, 7]
    batches = _batches(lengths, batch_size=2)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        sizes = [lengths[i] for i in batch]
        assert len(batch) <= 2 and max(sizes) <= 2 * min(sizes)
        assert sizes == sorted(sizes)


@pytest.mark.model
def test_trailing_whitespace_does_not_change_the_vector(onnx_embedder: OnnxEmbedder) -> None:
    plain, padded = onnx_embedder.embed_queries([TEXTS[0], f"  {TEXTS[0]} \n"])
    assert float(plain @ padded) > 0.9999


@pytest.mark.model
def test_french_question_finds_the_dutch_passage(onnx_embedder: OnnxEmbedder) -> None:
    query = onnx_embedder.embed_queries(
        ["Combien le propriétaire peut-il demander comme garantie locative ?"]
    )[0]
    relevant, unrelated = onnx_embedder.embed_passages(
        [
            "De huurwaarborg mag maximaal twee maanden huur bedragen en staat op een "
            "geblokkeerde rekening op naam van de huurder.",
            "De gemeente haalt het huisvuil elke dinsdagochtend op.",
        ]
    )
    assert float(relevant @ query) > float(unrelated @ query) + 0.02


@pytest.mark.model
def test_loading_and_embedding_do_not_import_torch(onnx_dir: Path, cache_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-c", _NO_TORCH, str(cache_dir)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {"torch": False, "shape": [2, 384]}


@pytest.mark.model
def test_prepare_onnx_is_idempotent(onnx_dir: Path, cache_dir: Path) -> None:
    before = (onnx_dir / MARKER).stat().st_mtime_ns
    assert prepare_onnx(cache_dir) == onnx_dir
    assert (onnx_dir / MARKER).stat().st_mtime_ns == before


def test_missing_folder_raises_model_not_prepared(tmp_path: Path) -> None:
    with pytest.raises(ModelNotPreparedError, match="assistant prepare"):
        OnnxEmbedder.load(tmp_path)
    # A folder without its verification marker (e.g. a crashed build) does not count either.
    (tmp_path / ONNX_DIR_NAME).mkdir()
    with pytest.raises(ModelNotPreparedError, match="assistant prepare"):
        OnnxEmbedder.load(tmp_path)
