"""What the two int8 onnxruntime engines (e5-small, EmbeddingGemma) share at run and build time:
the session and tokenizer, length-sorted batching back into input order, the check against
the fp32 model before a build is installed, and the build report. Each engine keeps its own
graph, batching rule and verification texts.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ModelNotPreparedError


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


def encode(tokenizer, texts: Sequence[str], prompt: str, dim: int,
           batches: Callable[[list[int]], list[np.ndarray]],
           run: Callable[[list[list[int]]], np.ndarray]) -> np.ndarray:
    """Rows in input order: texts (stripped, prompt first) tokenized, run in `batches`."""
    if isinstance(texts, str):
        raise TypeError("expected a sequence of texts, not one string")
    out = np.empty((len(texts), dim), dtype=np.float32)
    if not len(texts):
        return out
    encodings = tokenizer.encode_batch([prompt + text.strip() for text in texts])
    token_ids = [encoding.ids for encoding in encodings]
    for rows in batches([len(ids) for ids in token_ids]):
        out[rows] = run([token_ids[i] for i in rows])
    return out


def padded(batch: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(input_ids, attention_mask, lengths) of a batch padded to its longest text."""
    lengths = np.fromiter((len(ids) for ids in batch), dtype=np.int64, count=len(batch))
    width = int(lengths.max())
    input_ids = np.full((len(batch), width), pad_id, dtype=np.int64)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = ids
    mask = (np.arange(width)[None, :] < lengths[:, None]).astype(np.int64)
    return input_ids, mask, lengths


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


def write_build_marker(staging: Path, marker_name: str, fields: dict[str, Any], *,
                       started: float, tools: Sequence[str], model_dir: Path,
                       min_cosine: float, results: list[dict]) -> None:
    """The engine's own `fields`, then what every build records: when, with which tools,
    and how close to the fp32 reference it came (`report_build` prints it back)."""
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
    (staging / marker_name).write_text(
        json.dumps(marker, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def report_build(prepare: Callable[[], Path], marker_name: str, min_cosine: float) -> int:
    """The `python -m` entry of an engine: build (or find) it and print what was verified."""
    try:
        folder = prepare()
    except ModelNotPreparedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    marker = json.loads((folder / marker_name).read_text(encoding="utf-8"))
    print(f"Model ready: {folder} (verified {marker['built_at']}, {marker['quantization']})")
    for r in marker["cosines"]:
        print(f"  {r['lang']} {r['prompt']:<7} cosine {r['cosine']:.6f}  {r['text'][:60]}")
    print(
        f"Cosine against fp32: min {marker['min_cosine']:.6f}, mean {marker['mean_cosine']:.6f} "
        f"(required {min_cosine})"
    )
    return 0
