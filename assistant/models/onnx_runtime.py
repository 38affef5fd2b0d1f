"""What the two int8 onnxruntime engines (e5-small, EmbeddingGemma) share.

Run time: `Int8Embedder`, an engine's verified cache folder opened as an onnxruntime session and
its tokenizer, texts run in length-sorted batches and put back in input order. Build:
`prepare_int8` exports the fp32 model, lets the engine rewrite it to int8, checks the result
against the fp32 model (`compare_with_fp32`) and only then installs it with its marker;
`build_main` is the engines' `python -m`. Each engine keeps its graph (export, int8 rewrite,
how a batch is run), its batching rule, its prompts and its folder.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any, Self

import numpy as np

from assistant.errors import ModelNotPreparedError
from assistant.models.cache import build_once, prepared_from_command_line

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MARKER = "VERIFIED.json"


# ---------------------------------------------------------------- run time


class Int8Embedder:
    """An int8 engine's run time; each engine sets the class attributes, `_batches_of`, `_run`.

    Texts are stripped, prompt first, tokenized with the folder's tokenizer.json (truncated to
    `max_tokens`), run in the engine's batches and returned as rows in input order.
    """

    model_name: str
    name: str  # "onnx-int8:<model_name>", recorded in the index manifest
    dim: int
    max_tokens: int
    query_prompt: str
    passage_prompt: str
    folder_name: str  # in the cache dir
    # Bumped when the engine's build recipe changes: an older folder then counts as not
    # prepared and is rebuilt.
    recipe: int
    min_cosine: float  # per check text, against the fp32 model; else the build installs nothing
    not_prepared: str  # the user-facing error while the folder is missing or outdated

    def __init__(self, folder: Path, *, batch_size: int = 32, threads: int | None = None) -> None:
        self.folder = Path(folder)
        self._batch_size = max(1, int(batch_size))
        self._session = open_session(self.folder / MODEL_FILE, threads)
        self._tokenizer = open_tokenizer(self.folder / TOKENIZER_FILE, self.max_tokens)

    @classmethod
    def load(cls, cache_dir: Path, batch_size: int = 32, threads: int | None = None) -> Self:
        """The verified int8 model of `cache_dir`, or ModelNotPreparedError (safe for users)."""
        return cls(cls.prepared_dir(cache_dir), batch_size=batch_size, threads=threads)

    @classmethod
    def prepared_dir(cls, cache_dir: Path) -> Path:
        """The verified int8 folder of the current recipe, or ModelNotPreparedError."""
        folder = Path(cache_dir) / cls.folder_name
        if not cls.is_current(folder):
            raise ModelNotPreparedError(cls.not_prepared)
        return folder

    @classmethod
    def is_current(cls, folder: Path) -> bool:
        try:
            marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return (
            marker.get("recipe") == cls.recipe
            and (folder / MODEL_FILE).is_file()
            and (folder / TOKENIZER_FILE).is_file()
        )

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prompt)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prompt)

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("expected a sequence of texts, not one string")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        encodings = self._tokenizer.encode_batch([prompt + text.strip() for text in texts])
        token_ids = [encoding.ids for encoding in encodings]
        for rows in self._batches_of([len(ids) for ids in token_ids]):
            out[rows] = self._run([token_ids[i] for i in rows])
        return out

    def _batches_of(self, lengths: list[int]) -> list[np.ndarray]:
        """Indices of the texts (by their token counts), one array per onnxruntime call."""
        raise NotImplementedError

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        """L2-normalized float32 vectors of the token ids of a batch, rows as given."""
        raise NotImplementedError


def open_session(model_file: Path, threads: int | None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])


def open_tokenizer(tokenizer_file: Path, max_tokens: int):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_tokens)
    tokenizer.no_padding()
    return tokenizer


def length_sorted_batches(lengths: Sequence[int], batch_size: int, *,
                          max_length_ratio: float | None = None,
                          max_padded_tokens: int | None = None) -> list[np.ndarray]:
    """Indices of texts sorted by token count, cut into batches of at most `batch_size` texts.

    Sorting means a batch is padded to its longest text only (the caller puts rows back by
    index). The engines end a batch early for different reasons, so each passes its own limit:
    before a text over `max_length_ratio` times the batch's shortest one (e5: its activations
    share one int8 range per batch), or before the batch would exceed `max_padded_tokens`
    (EmbeddingGemma: rows are quantized alone, so only the size of a call matters).
    """
    order = np.argsort(np.asarray(lengths), kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    for end in range(1, len(order) + 1):
        if (
            end == len(order)
            or end - start >= batch_size
            or (max_length_ratio is not None
                and lengths[order[end]] > max_length_ratio * lengths[order[start]])
            or (max_padded_tokens is not None
                and (end + 1 - start) * lengths[order[end]] > max_padded_tokens)
        ):
            batches.append(order[start:end])
            start = end
    return batches


def padded(batch: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(input_ids, attention_mask, lengths) of a batch padded to its longest text."""
    lengths = np.fromiter((len(ids) for ids in batch), dtype=np.int64, count=len(batch))
    width = int(lengths.max())
    input_ids = np.full((len(batch), width), pad_id, dtype=np.int64)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = ids
    mask = (np.arange(width)[None, :] < lengths[:, None]).astype(np.int64)
    return input_ids, mask, lengths


# ---------------------------------------------------------------- build


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def export_fp32(encoder, input_ids, pad_id: int, dst: Path, output: str,
                output_axes: dict[int, str]) -> None:
    """torch.onnx export (TorchScript exporter, opset 17) of `encoder(input_ids, attention_mask)`,
    traced on `input_ids` (rows padded with `pad_id`), with batch and sequence dynamic."""
    import warnings

    import torch

    attention_mask = (input_ids != pad_id).long()
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            encoder,
            (input_ids, attention_mask),
            str(dst),
            dynamo=False,
            opset_version=17,
            input_names=["input_ids", "attention_mask"],
            output_names=[output],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, output: output_axes},
            do_constant_folding=True,
        )


def compare_with_fp32(ours, reference, texts: list[dict[str, str]], min_cosine: float,
                      label: str) -> list[dict[str, Any]]:
    """Cosine of every check text (`prompt` "query" or "passage") between the int8 engine and
    the fp32 sentence-transformers model; raises below `min_cosine`, so nothing installs."""
    results = []
    for prompt in ("query", "passage"):
        items = [t for t in texts if t["prompt"] == prompt]
        batch = [t["text"] for t in items]
        if prompt == "query":
            a, b = ours.embed_queries(batch), reference.embed_queries(batch)
        else:
            a, b = ours.embed_passages(batch), reference.embed_passages(batch)
        for item, cosine in zip(items, np.sum(a * b, axis=1), strict=True):
            results.append({**item, "cosine": round(float(cosine), 6)})
    worst = min(r["cosine"] for r in results)
    if worst < min_cosine:
        raise ModelNotPreparedError(
            f"The int8 {label} does not match the fp32 model (lowest cosine {worst:.4f} "
            f"< {min_cosine}); nothing was installed."
        )
    return results


def prepare_int8(engine: type[Int8Embedder], cache_dir: Path, *, force: bool,
                 fp32_dir: Callable[[Path], Path], export: Callable[[Path, Path], None],
                 to_int8: Callable[[Path, Path, Path], dict[str, Any]],
                 verify: Callable[[Path, Path], list[dict[str, Any]]],
                 quantization: str, tools: Sequence[str]) -> Path:
    """Build, verify and install `engine`'s folder once; later calls return it at once, without
    preparing the fp32 folder (`fp32_dir(cache_dir)`) it is built from.

    The engine's steps: `export(fp32 folder, fp32 .onnx)`; `to_int8(fp32 .onnx, work folder,
    MODEL_FILE)`, returning its own marker fields; `verify(staged folder, fp32 folder)`, the
    cosines of `compare_with_fp32`. `tools` are the packages whose versions the marker records.
    """
    folder = Path(cache_dir) / engine.folder_name
    if not force and engine.is_current(folder):
        return folder
    model_dir = fp32_dir(cache_dir)

    def build(staging: Path) -> None:
        started = time.monotonic()
        work = staging / "work"
        work.mkdir()
        log(f"Exporting {engine.model_name} to ONNX (torch, opset 17)...")
        export(model_dir, work / "fp32.onnx")
        engine_fields = to_int8(work / "fp32.onnx", work, staging / MODEL_FILE)
        shutil.rmtree(work)
        shutil.copyfile(model_dir / TOKENIZER_FILE, staging / TOKENIZER_FILE)
        for path in (staging / MODEL_FILE, staging / TOKENIZER_FILE):
            path.chmod(0o644)
        log("Verifying against the fp32 sentence-transformers model...")
        results = verify(staging, model_dir)
        _write_marker(staging, {
            "model": engine.model_name,
            "encoder": engine.name,
            "recipe": engine.recipe,
            "quantization": quantization,
            **engine_fields,
        }, started=started, tools=tools, model_dir=model_dir, min_cosine=engine.min_cosine,
            results=results)

    return build_once(cache_dir, engine.folder_name, engine.is_current, build, force=force)


def _write_marker(staging: Path, fields: dict[str, Any], *, started: float,
                  tools: Sequence[str], model_dir: Path, min_cosine: float,
                  results: list[dict]) -> None:
    """The engine's `fields`, then what every build records: when, with which tools,
    and how close to the fp32 reference it came (`build_main` prints it back)."""
    cosines = [r["cosine"] for r in results]
    marker = {
        **fields,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "build_seconds": round(time.monotonic() - started, 1),
        "tools": {package: version(package) for package in tools},
        "reference": f"sentence-transformers fp32 {model_dir.name}",
        "min_cosine_required": min_cosine,
        "min_cosine": min(cosines),
        "mean_cosine": round(float(np.mean(cosines)), 6),
        "cosines": results,
    }
    (staging / MARKER).write_text(
        json.dumps(marker, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def build_main(argv: Sequence[str] | None, engine: type[Int8Embedder],
               prepare: Callable[..., Path]) -> int:
    """An engine's `python -m`: build (or find) its folder and print what was verified."""
    built = prepared_from_command_line(
        argv, f"Build and verify the int8 onnxruntime {engine.model_name} (no network).",
        prepare, MARKER)
    if built is None:
        return 1
    folder, marker = built
    print(f"Model ready: {folder} (verified {marker['built_at']}, "
          f"{marker['quantization']})")
    for r in marker["cosines"]:
        print(f"  {r['lang']} {r['prompt']:<7} cosine {r['cosine']:.6f}  {r['text'][:60]}")
    print(
        f"Cosine against fp32: min {marker['min_cosine']:.6f}, mean {marker['mean_cosine']:.6f} "
        f"(required {engine.min_cosine})"
    )
    return 0
