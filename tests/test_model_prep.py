"""The offline e5-small folder: built once per session, verified, and usable with no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import get_args

import numpy as np
import pytest

from assistant.models import e5
from assistant.config import Encoder, Settings
from assistant.errors import ModelNotPreparedError
from assistant.models.e5 import MARKER, MIN_COSINE, MODEL_NAME, prepare_model, prepared_model_dir
from assistant.models.encoder import Engine
from assistant.models.registry import ENGINES, engine

REPO = Path(__file__).resolve().parents[1]

# Runs in a child process so the socket patch cannot leak into other tests.
_OFFLINE_EMBED = """
import json, socket, sys
from pathlib import Path

import numpy as np

def _refuse(*args, **kwargs):
    raise OSError("network access blocked by the test")

socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse

from assistant.models.sentence_transformer import SentenceTransformerEmbedder

embedder = SentenceTransformerEmbedder(Path(sys.argv[1]))
query = embedder.embed_queries(["Combien le propriétaire peut-il demander comme garantie locative ?"])
passages = embedder.embed_passages([
    "De huurwaarborg mag maximaal twee maanden huur bedragen en staat op een geblokkeerde rekening.",
    "De gemeente haalt het huisvuil elke dinsdagochtend op.",
])
print(json.dumps({
    "dim": embedder.dim,
    "shape": list(query.shape),
    "norm": float(np.linalg.norm(query[0])),
    "scores": (passages @ query[0]).tolist(),
}))
"""


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The real prepared model in the user cache; built on first use, reused afterwards."""
    return prepare_model(Settings().cache_dir)


@pytest.mark.model
def test_prepared_model_embeds_with_network_blocked(model_dir: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-c", _OFFLINE_EMBED, str(model_dir)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["dim"] == 384
    assert result["shape"] == [1, 384]
    assert result["norm"] == pytest.approx(1.0, abs=1e-4)
    relevant, unrelated = result["scores"]
    assert relevant > unrelated


@pytest.mark.model
def test_prepare_model_is_idempotent(model_dir: Path) -> None:
    marker = model_dir / MARKER
    before = marker.stat().st_mtime_ns
    started = time.monotonic()
    assert prepare_model(model_dir.parent) == model_dir
    assert time.monotonic() - started < 1.0
    assert marker.stat().st_mtime_ns == before
    assert prepared_model_dir(model_dir.parent) == model_dir


@pytest.mark.model
def test_marker_records_verification_in_every_language(model_dir: Path) -> None:
    marker = json.loads((model_dir / MARKER).read_text(encoding="utf-8"))
    assert marker["model"] == MODEL_NAME
    assert marker["min_cosine"] >= MIN_COSINE
    checked = {(r["lang"], r["prompt"]) for r in marker["cosines"]}
    assert checked == {(lang, p) for lang in ("nl", "fr", "en") for p in ("query", "passage")}


def test_every_encoder_setting_has_an_engine() -> None:
    assert set(ENGINES) == set(get_args(Encoder))
    assert all(isinstance(engine(name), Engine) for name in ENGINES)


def test_prepared_model_dir_on_empty_cache_raises(tmp_path: Path) -> None:
    with pytest.raises(ModelNotPreparedError, match="assistant prepare"):
        prepared_model_dir(tmp_path)


def test_folder_without_marker_is_not_prepared(tmp_path: Path) -> None:
    (tmp_path / MODEL_NAME).mkdir()
    (tmp_path / MODEL_NAME / "config.json").write_text("{}")
    with pytest.raises(ModelNotPreparedError):
        prepared_model_dir(tmp_path)


def test_dequantize_q4_0_follows_ggml_layout() -> None:
    # One block: scale 0.5; byte j holds weight j (low nibble) and weight j+16 (high nibble).
    low, high = np.arange(16, dtype=np.uint8), np.full(16, 15, dtype=np.uint8)
    block = np.concatenate([np.array([0.5], dtype="<f2").view(np.uint8), low | (high << 4)])
    weights = e5._dequantize_q4_0(block, 32)
    expected = 0.5 * (np.concatenate([low, high]).astype(np.float32) - 8)
    np.testing.assert_array_equal(weights, expected)


def _fake_build(dst: Path) -> None:
    (dst / "config.json").write_text("{}")


def test_failed_verification_installs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(folder: Path) -> list[dict]:
        raise ModelNotPreparedError("vectors differ")

    monkeypatch.setattr(e5, "_build", _fake_build)
    monkeypatch.setattr(e5, "_verify", fail)
    with pytest.raises(ModelNotPreparedError, match="vectors differ"):
        prepare_model(tmp_path)
    assert [p for p in tmp_path.iterdir() if p.is_dir()] == []


def test_force_replaces_a_verified_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cosines = [{"lang": "en", "prompt": "query", "text": "x", "cosine": 1.0}]
    monkeypatch.setattr(e5, "_build", _fake_build)
    monkeypatch.setattr(e5, "_verify", lambda folder: cosines)
    first = prepare_model(tmp_path)
    (first / "stale.txt").write_text("from the old build")
    assert prepare_model(tmp_path, force=True) == first
    assert not (first / "stale.txt").exists()
    assert (first / MARKER).is_file()
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == [MODEL_NAME]
