"""The checks both int8 onnxruntime engines pass, against their real folders in the user cache
(built on first use, reused afterwards). tests/test_onnx_encoder.py and tests/test_gemma_onnx.py
each subclass `Int8EngineChecks` with their engine and what differs between the two.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import ModelNotPreparedError
from assistant.models.onnx_runtime import MARKER, MODEL_FILE, TOKENIZER_FILE, Int8Embedder

REPO = Path(__file__).resolve().parents[1]

EN_PASSAGE = (
    "A social housing application must be renewed every year, otherwise it is removed from the "
    "waiting list. Priority points are granted for unfit housing, disability or large families, "
    "and the rent of a social home depends on the household's income and on the home itself."
)
# ~800 characters, the passage size the index uses
NL_PASSAGE = (
    "Wie een sociale woning wil huren, schrijft zich in bij een sociale huisvestingsmaatschappij "
    "van de gemeente waar hij wil wonen. Het inkomen van het gezin mag een jaarlijks aangepast "
    "plafond niet overschrijden en niemand in het gezin mag een woning bezitten. De kandidaat "
    "krijgt een volgnummer op de wachtlijst en moet zijn inschrijving elk jaar bevestigen, anders "
    "wordt ze geschrapt. Voorrang gaat onder meer naar gezinnen die in een onbewoonbare woning "
    "leven, naar personen met een handicap en naar grote gezinnen. De huurprijs van een sociale "
    "woning hangt af van het inkomen van het gezin en van de waarde van de woning zelf, en ligt "
    "daardoor meestal ver onder de prijzen op de private markt. Wie een woning weigert die bij "
    "zijn gezin past, kan van de lijst worden geschrapt."
)
TEXTS = [
    "Hoeveel mag de verhuurder vragen als huurwaarborg?",
    "De huurwaarborg mag maximaal twee maanden huur bedragen en staat op een geblokkeerde "
    "rekening.",
    "Combien de temps dure le préavis si je veux quitter mon logement ?",
    "Le propriétaire fait les grosses réparations, l'entretien courant revient au locataire.",
    "Can my landlord raise the rent in the middle of the lease?",
    EN_PASSAGE,
    NL_PASSAGE,
]

# Runs in a child process: loading and embedding must not import torch.
_NO_TORCH = """
import importlib, json, sys
from pathlib import Path

engine = getattr(importlib.import_module(sys.argv[1]), sys.argv[2])
embedder = engine.load(Path(sys.argv[3]))
vectors = embedder.embed_queries(["Wie betaalt de herstellingen?"])
vectors = embedder.embed_passages(["Le locataire paie l'entretien.", "Rent is due monthly."])
print(json.dumps({"torch": "torch" in sys.modules, "shape": list(vectors.shape)}))
"""


def sorted_batch_lengths(batches: Sequence[np.ndarray], lengths: list[int],
                         batch_size: int) -> list[list[int]]:
    """The token counts of each batch, once checked what every batching rule keeps: each text
    in one batch, at most `batch_size` texts, sorted by length."""
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    sizes = [[lengths[i] for i in batch] for batch in batches]
    for batch_sizes in sizes:
        assert len(batch_sizes) <= batch_size
        assert batch_sizes == sorted(batch_sizes)
    return sizes


class Int8EngineChecks:
    """Subclassed by a `Test...` class per engine, which sets:"""

    engine: type[Int8Embedder]
    prepare: Callable[[Path], Path]  # the engine's prepare_*, as a staticmethod
    fp32_dir: Callable[[Path], Path]  # the prepared fp32 folder it is checked against, likewise
    encoder_setting: str  # its ASSISTANT_ENCODER
    name: str
    dim: int
    # The lowest cosine of a text batched with others against alone: e5's int8 activations share
    # one range per batch, EmbeddingGemma quantizes each row alone.
    batch_vs_alone_min: float
    # The passage batched with short texts and with itself doubled. EmbeddingGemma keeps
    # > 0.9999 with NL_PASSAGE, not with EN_PASSAGE: the texts of 11-60 tokens, padded to its
    # doubled copy's 112, then get 0.998-0.999 against alone.
    batch_passage: str
    # How far the relevant Dutch passage must score above an unrelated one for a French question.
    cross_language_margin: float

    @pytest.fixture(scope="class")
    @classmethod
    def cache_dir(cls) -> Path:
        return Settings().cache_dir

    @pytest.fixture(scope="class")
    @classmethod
    def engine_dir(cls, cache_dir: Path) -> Path:
        return cls.prepare(cache_dir)

    @pytest.fixture(scope="class")
    @classmethod
    def embedder(cls, engine_dir: Path, cache_dir: Path) -> Int8Embedder:
        return cls.engine.load(cache_dir)

    @pytest.fixture(scope="class")
    @classmethod
    def fp32_embedder(cls, engine_dir: Path, cache_dir: Path):
        from assistant.models.sentence_transformer import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(cls.fp32_dir(cache_dir))

    @pytest.mark.model
    def test_marker_records_a_passing_verification(self, engine_dir: Path) -> None:
        marker = json.loads((engine_dir / MARKER).read_text(encoding="utf-8"))
        assert marker["min_cosine"] >= self.engine.min_cosine
        assert min(r["cosine"] for r in marker["cosines"]) == marker["min_cosine"]
        assert len(marker["cosines"]) >= 30
        assert {r["lang"] for r in marker["cosines"]} == {"nl", "fr", "en"}
        assert {r["prompt"] for r in marker["cosines"]} == {"query", "passage"}
        assert max(len(r["text"]) for r in marker["cosines"]) > 700

    @pytest.mark.model
    @pytest.mark.parametrize("prompt", ["query", "passage"])
    def test_matches_fp32_sentence_transformers(self, embedder, fp32_embedder, prompt: str) -> None:
        method = {"query": "embed_queries", "passage": "embed_passages"}[prompt]
        ours = getattr(embedder, method)(TEXTS)
        reference = getattr(fp32_embedder, method)(TEXTS)
        cosines = np.sum(ours * reference, axis=1)
        assert cosines.min() >= self.engine.min_cosine, cosines

    @pytest.mark.model
    def test_output_is_normalized_float32(self, embedder: Int8Embedder) -> None:
        for vectors in (embedder.embed_passages(TEXTS), embedder.embed_queries(TEXTS[:1])):
            assert vectors.dtype == np.float32
            assert vectors.shape[1] == embedder.dim == self.dim
            np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert embedder.embed_passages([]).shape == (0, self.dim)
        assert embedder.name == self.name

    @pytest.mark.model
    def test_a_batch_gives_each_text_its_vector_alone(self, embedder: Int8Embedder) -> None:
        texts = [self.batch_passage, TEXTS[0], TEXTS[3], "Huur.", TEXTS[1], TEXTS[4] * 3,
                 TEXTS[2], self.batch_passage * 2]
        together = embedder.embed_passages(texts)
        assert together.shape == (len(texts), self.dim)
        alone = np.vstack([embedder.embed_passages([text]) for text in texts])
        cosines = np.sum(together * alone, axis=1)
        assert cosines.min() > self.batch_vs_alone_min, cosines

    @pytest.mark.model
    def test_trailing_whitespace_does_not_change_the_vector(self, embedder: Int8Embedder) -> None:
        plain, padded = embedder.embed_queries([TEXTS[0], f"  {TEXTS[0]} \n"])
        assert float(plain @ padded) > 0.9999

    @pytest.mark.model
    def test_french_question_finds_the_dutch_passage(self, embedder: Int8Embedder) -> None:
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
        assert float(relevant @ query) > float(unrelated @ query) + self.cross_language_margin

    @pytest.mark.model
    def test_loading_and_embedding_do_not_import_torch(self, engine_dir: Path,
                                                       cache_dir: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        run = subprocess.run(
            [sys.executable, "-c", _NO_TORCH, self.engine.__module__, self.engine.__name__,
             str(cache_dir)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
        )
        assert run.returncode == 0, run.stderr
        result = json.loads(run.stdout.strip().splitlines()[-1])
        assert result == {"torch": False, "shape": [2, self.dim]}

    @pytest.mark.model
    def test_prepare_is_idempotent(self, engine_dir: Path, cache_dir: Path) -> None:
        before = (engine_dir / MARKER).stat().st_mtime_ns
        assert self.prepare(cache_dir) == engine_dir
        assert (engine_dir / MARKER).stat().st_mtime_ns == before

    def test_folder_without_marker_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ModelNotPreparedError, match="assistant prepare"):
            self.engine.load(tmp_path)
        # A folder without its verification marker (e.g. a crashed build) does not count either,
        # empty or with its files.
        folder = tmp_path / self.engine.folder_name
        folder.mkdir()
        with pytest.raises(ModelNotPreparedError, match="assistant prepare"):
            self.engine.load(tmp_path)
        (folder / MODEL_FILE).write_bytes(b"")
        (folder / TOKENIZER_FILE).write_text("{}", encoding="utf-8")
        with pytest.raises(ModelNotPreparedError, match="assistant prepare"):
            self.engine.prepared_dir(tmp_path)

    @pytest.mark.model
    def test_the_setting_selects_this_engine(self, engine_dir: Path, cache_dir: Path) -> None:
        from assistant.models.registry import load_embedder, prepare_encoder

        settings = Settings(encoder=self.encoder_setting, cache_dir=cache_dir)
        assert prepare_encoder(settings) == engine_dir
        assert isinstance(load_embedder(settings), self.engine)
