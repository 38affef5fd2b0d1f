"""A faster EmbeddingGemma-300M: an int8 onnxruntime graph built offline from the prepared folder.

`prepare_gemma_onnx` exports the verified sentence-transformers folder (`gemma.py`) with
torch once, as one graph from token ids and attention mask to the final vector (Gemma3 encoder,
mean pooling, Dense 768->3072->768, L2 normalization), rewrites its matrices to int8 and only
installs the result once it reproduces the fp32 sentence-transformers vectors (VERIFIED.json).
At run time `GemmaOnnxEmbedder` needs onnxruntime, tokenizers and numpy: no torch.

Export details:
- The wrapper builds the additive attention masks itself (bidirectional: every real token sees
  every real token). The sliding-window layers (5 of 6) see only |i - j| < 257 tokens: that
  is `config.sliding_window` once transformers has loaded the folder (512 // 2 + 1 for
  bidirectional attention), and what sentence-transformers computes; with a full mask instead,
  ~800-character passages (140-320 tokens) dropped to cosine 0.997.
- onnxruntime's BERT fusions do not apply to Gemma3 (RMSNorm, GeGLU, RoPE, 1 KV head); its
  generic ORT_ENABLE_ALL optimizations (RMSNorm, attention MatMul+scale) run at load.

Quantization (2 cores, AVX2 without VNNI; "min" is the lowest cosine against fp32 over 30
check texts and 50 passages of ~800 characters):
- onnxruntime's quantize_dynamic (per-channel weights, 7-bit, activations per tensor) gave
  min 0.945. Nearly all of it is the MLP down projection: in its input (the GeGLU output) a
  few tokens are up to ~50x larger than the median one, and one activation range per tensor
  leaves the others a few levels (down_proj alone: min 0.955; q/k/v alone 0.995, gate/up
  0.9986, o 0.9995, the two Dense layers 0.992; all but down_proj and Dense: min 0.993).
- So every projection gets its activations quantized per row (per token): symmetric, scale =
  max|row| / 127, stored as uint8 + 128 for the u8 x s8 kernel (s8 x s8 was 5x slower);
  weights int8 per output channel in 7 bits (8 bits measured about the same, min 0.9968, but
  the AVX2 kernel's 16-bit pair sums can saturate with them; 7-bit activations with 8-bit
  weights: min 0.991). Projections sharing an input (q/k/v, gate/up) are one
  MatMulIntegerToFloat on concatenated weights, split after (3.4 -> 3.8 passages/s against
  one MatMulInteger + Cast + Mul chain each). Min 0.997, mean 0.998. Rows are quantized
  alone, so a text's vector does not depend on its batch-mates.
- The Dense layers stay float32 (one row per text: negligible time). The 262144 x 768
  embedding table is int8 per row (201 MB instead of 805 MB; cosines unchanged at 4
  decimals).
- Rejected: SmoothQuant-style scale migration. Calibrated on other texts it raised the min
  by only 0.0006 on the norm-fed projections (and lowered it when applied to o_proj or
  down_proj); a data-free variant from the RMSNorm weights lowered it to 0.987.

Measured on 2 cores (load average ~1 besides), 24 queries and 50 passages of ~815 characters
(~230 tokens), against sentence-transformers fp32 (batch 32):
- one query: p50 27.5 ms (fp32: 98.6 ms; this graph exported in fp32: 41.4 ms);
- passages: 4.8 per second (fp32: 1.7; fp32 graph: 3.1);
- cosine min 0.9967, mean 0.9978 (30 check texts: min 0.9974, mean 0.9982);
- RSS after loading 0.70 GB (fp32: 0.80 GB, 1.37 GB after the passages; fp32 graph: 1.6 GB);
- build 47 s (73 s with other work running): export, rewrite, verification; peak RSS 5.4 GB
  (the torch export).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.errors import ModelNotPreparedError
from assistant.models.check_texts import check_texts
from assistant.models.encoder import Engine
from assistant.models.gemma import MODEL_NAME, prepare_gemma
from assistant.models.onnx_runtime import (Int8Embedder, build_main, compare_with_fp32,
                                           export_fp32, length_sorted_batches, log, padded,
                                           prepare_int8)
from assistant.models.sentence_transformer import SentenceTransformerEmbedder

ONNX_DIR_NAME = f"{MODEL_NAME}-onnx-int8"
# Bump when the build recipe changes: an older folder then counts as not prepared and is rebuilt.
RECIPE = 1
MIN_COSINE = 0.99  # per text, against the fp32 sentence-transformers model; else nothing installs
QUERY_PROMPT = "task: search result | query: "
DOCUMENT_PROMPT = "title: none | text: "
MAX_TOKENS = 2048  # the folder's max_seq_length
DIM = 768
PAD_ID = 0
# Texts per onnxruntime call are also capped by padded tokens: smaller calls keep the
# intermediates in cache. 50 passages of ~230 tokens: 4.7 passages/s with 512 tokens per call,
# 4.8 with 1024, 4.5 with 2048; 16 passages per call: 3.5.
BATCH_TOKENS = 1024
_NOT_PREPARED = (
    "The fast (onnx-int8) EmbeddingGemma model is not prepared yet. "
    "Run `assistant prepare` (or `make run`)."
)
_QUANTIZATION = (
    "int8 projections: activations per row (symmetric, uint8 + 128), weights per output channel "
    "in 7 bits; embedding table int8 per row; Dense layers float32"
)


# ---------------------------------------------------------------- run time


class GemmaOnnxEmbedder(Int8Embedder):
    """EmbeddingGemma-300M on onnxruntime (int8), with the model's query/document prompts.

    Texts are tokenized <bos> ... <eos>, truncated to 2048 tokens, and sorted by length into
    batches (see `_batches`). The graph returns the L2-normalized sentence vectors.
    """

    model_name = MODEL_NAME
    name = f"onnx-int8:{MODEL_NAME}"
    dim = DIM
    max_tokens = MAX_TOKENS
    query_prompt = QUERY_PROMPT
    passage_prompt = DOCUMENT_PROMPT
    folder_name = ONNX_DIR_NAME
    recipe = RECIPE
    min_cosine = MIN_COSINE
    not_prepared = _NOT_PREPARED

    def _batches_of(self, lengths: list[int]) -> list[np.ndarray]:
        return _batches(lengths, self._batch_size)

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        input_ids, mask, _ = padded(batch, PAD_ID)
        (vectors,) = self._session.run(
            ["sentence_embedding"], {"input_ids": input_ids, "attention_mask": mask}
        )
        return vectors.astype(np.float32, copy=False)


# Named like the fp32 folders' prepared_model_dir / prepared_gemma_dir.
prepared_gemma_onnx_dir = GemmaOnnxEmbedder.prepared_dir


def _batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Indices of texts sorted by token count, cut into batches of at most `batch_size` texts
    and BATCH_TOKENS padded tokens (a longer text goes alone); the caller restores the order.
    """
    return length_sorted_batches(lengths, batch_size, max_padded_tokens=BATCH_TOKENS)


# ---------------------------------------------------------------- build


def _export_fp32(model_dir: Path, dst: Path) -> None:
    """torch.onnx (TorchScript exporter, opset 17): ids + mask -> normalized sentence vector."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel

    class _SentenceEncoder(torch.nn.Module):
        def __init__(self, gemma: torch.nn.Module, dense: list[torch.Tensor]) -> None:
            super().__init__()
            self.gemma = gemma
            self.window = int(gemma.config.sliding_window)
            self.dense = torch.nn.ParameterList(dense)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            real = attention_mask.to(torch.float32)
            padding = (1.0 - real)[:, None, None, :] * -1e9
            position = torch.arange(input_ids.shape[1])
            distance = (position[None, :] - position[:, None]).abs()
            outside = (distance >= self.window).to(torch.float32) * -1e9
            masks = {"full_attention": padding, "sliding_attention": padding + outside}
            hidden = self.gemma(input_ids=input_ids, attention_mask=masks).last_hidden_state
            vector = (hidden * real[:, :, None]).sum(1) / real.sum(1, keepdim=True)
            for weight in self.dense:
                vector = vector @ weight.T
            return vector / vector.norm(dim=1, keepdim=True).clamp_min(1e-12)

    gemma = AutoModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager"
    )
    dense = [
        load_file(str(model_dir / folder / "model.safetensors"))["linear.weight"]
        for folder in ("2_Dense", "3_Dense")
    ]
    encoder = _SentenceEncoder(gemma, dense).eval()
    # <bos> ... <eos>, the second row padded: the export traces the masking of padding
    input_ids = torch.tensor([[2, 8071, 236787, 3927, 1354, 1], [2, 3250, 1, 0, 0, 0]])
    export_fp32(encoder, input_ids, PAD_ID, dst, "sentence_embedding", {0: "batch"})


def _quantize(src: Path, dst: Path) -> dict[str, int]:
    """Rewrites the projections and the embedding table to int8 (see the module doc).

    Projections reading the same tensor x [.., K] (W = their weights side by side, [K, N]):
      s = max(|x| over K) / 127 (one per row);  xq = uint8(round(x / s) + 128)
      y = MatMulIntegerToFloat(xq, Wq, s, w_scale, 128), then split back per projection,
    with Wq = round(W / w_scale) and w_scale = max(|W| over K) / 63 (one per column).
    Embedding: table = int8 rows * row scale, gathered and multiplied back after the lookup.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    projection = re.compile(r"/layers\.\d+/(self_attn|mlp)/\w+_proj/MatMul$")
    model = onnx.load(str(src))
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    readers: dict[str, list[Any]] = {}
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in weights and projection.search(node.name):
            readers.setdefault(node.input[0], []).append(node)
    if sum(map(len, readers.values())) != 24 * 7 or len(readers) != 24 * 4:
        raise ModelNotPreparedError(
            f"The ONNX graph of {MODEL_NAME} does not have the expected projections; "
            "nothing was installed."
        )

    node = helper.make_node
    added = [
        numpy_helper.from_array(np.array(127, np.float32), "q/127"),
        numpy_helper.from_array(np.array(1e-30, np.float32), "q/tiny"),
        numpy_helper.from_array(np.array(128, np.float32), "q/128"),
        numpy_helper.from_array(np.array(128, np.uint8), "q/zero_point"),
    ]
    group_of = {member.name: x for x, group in readers.items() for member in group}
    replaced: set[str] = set()
    nodes: list[Any] = []
    tables = 0
    for old in graph.node:
        if old.op_type == "Gather" and old.input[0] in weights:  # the embedding table
            table = numpy_helper.to_array(weights[old.input[0]])
            scale = np.maximum(np.abs(table).max(axis=1, keepdims=True), 1e-12) / 127
            p = f"{old.name}/int8/"
            added += [
                numpy_helper.from_array(np.round(table / scale).astype(np.int8), p + "table"),
                numpy_helper.from_array(scale.astype(np.float32), p + "scale"),
            ]
            nodes += [
                node("Gather", [p + "table", old.input[1]], [p + "rows"], name=p + "rows"),
                node("Gather", [p + "scale", old.input[1]], [p + "scales"], name=p + "scales"),
                node("Cast", [p + "rows"], [p + "float"], name=p + "float", to=TensorProto.FLOAT),
                node("Mul", [p + "float", p + "scales"], list(old.output), name=p + "out"),
            ]
            replaced.add(old.input[0])
            tables += 1
            continue
        if old.name not in group_of:
            nodes.append(old)
            continue
        x = group_of[old.name]
        group = readers[x]
        if old.name != group[0].name:  # emitted with the group's first projection
            continue
        w = np.concatenate([numpy_helper.to_array(weights[m.input[1]]) for m in group], axis=1)
        w_scale = np.maximum(np.abs(w).max(axis=0), 1e-12) / 63
        p = old.name.rsplit("/", 2)[0] + "/" + "+".join(m.name.split("/")[-2] for m in group) + "/"
        w_int8 = np.clip(np.round(w / w_scale), -64, 63).astype(np.int8)
        added += [
            numpy_helper.from_array(w_int8, p + "W"),
            numpy_helper.from_array(w_scale.astype(np.float32), p + "w_scale"),
        ]
        y = p + "y" if len(group) > 1 else old.output[0]
        nodes += [
            node("Abs", [x], [p + "abs"], name=p + "abs"),
            node("ReduceMax", [p + "abs"], [p + "max"], name=p + "max", axes=[-1], keepdims=1),
            node("Div", [p + "max", "q/127"], [p + "s"], name=p + "s"),
            node("Max", [p + "s", "q/tiny"], [p + "x_scale"], name=p + "x_scale"),
            node("Div", [x, p + "x_scale"], [p + "scaled"], name=p + "scaled"),
            node("Round", [p + "scaled"], [p + "rounded"], name=p + "rounded"),
            node("Add", [p + "rounded", "q/128"], [p + "shifted"], name=p + "shifted"),
            node("Cast", [p + "shifted"], [p + "xq"], name=p + "xq", to=TensorProto.UINT8),
            node(
                "MatMulIntegerToFloat",
                [p + "xq", p + "W", p + "x_scale", p + "w_scale", "q/zero_point"],
                [y],
                name=p + "MatMul",
                domain="com.microsoft",
            ),
        ]
        if len(group) > 1:
            sizes = np.array([weights[m.input[1]].dims[1] for m in group], np.int64)
            added.append(numpy_helper.from_array(sizes, p + "sizes"))
            nodes.append(
                node("Split", [y, p + "sizes"], [m.output[0] for m in group], name=p + "split",
                     axis=-1)
            )
        replaced.update(m.input[1] for m in group)
    if tables != 1:
        raise ModelNotPreparedError(
            f"Expected one embedding table in the ONNX graph of {MODEL_NAME}, found {tables}; "
            "nothing was installed."
        )
    kept = [init for init in graph.initializer if init.name not in replaced]
    del graph.initializer[:]
    graph.initializer.extend(kept + added)
    del graph.node[:]
    graph.node.extend(nodes)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(dst))
    return {"int8_matmuls": len(readers), "projections": sum(map(len, readers.values()))}


def _to_int8(fp32: Path, work: Path, dst: Path) -> dict[str, Any]:
    """`_quantize` of `fp32` into `dst` (`work` is not needed); the marker's fields."""
    log(f"Quantizing to int8 ({_QUANTIZATION})...")
    return {
        "graph": _quantize(fp32, dst),
        "prompts": {"query": QUERY_PROMPT, "document": DOCUMENT_PROMPT},
    }


def _verify(folder: Path, model_dir: Path) -> list[dict[str, Any]]:
    """Cosine of every check text against the fp32 sentence-transformers model; raises if low."""
    reference = SentenceTransformerEmbedder(model_dir)
    if (reference.query_prompt, reference.document_prompt) != (QUERY_PROMPT, DOCUMENT_PROMPT):
        raise ModelNotPreparedError(
            f"The prompts of {model_dir} are not the expected EmbeddingGemma ones; "
            "nothing was installed."
        )
    return compare_with_fp32(GemmaOnnxEmbedder(folder), reference, check_texts(), MIN_COSINE,
                             MODEL_NAME)


def prepare_gemma_onnx(cache_dir: Path, *, force: bool = False) -> Path:
    """Build, verify and install the int8 folder once; later calls return it at once."""
    # Unlike e5's, this marker also records transformers: how it reads the folder's config
    # gives the export its sliding window (see the module doc).
    return prepare_int8(GemmaOnnxEmbedder, cache_dir, force=force, fp32_dir=prepare_gemma,
                        export=_export_fp32, to_int8=_to_int8, verify=_verify,
                        quantization=_QUANTIZATION,
                        tools=("torch", "transformers", "onnx", "onnxruntime", "tokenizers"))


def _load(settings: Settings) -> GemmaOnnxEmbedder:
    return GemmaOnnxEmbedder.load(settings.cache_dir, batch_size=settings.embed_batch_size)


ENGINE = Engine(prepare=prepare_gemma_onnx, load=_load)


def main(argv: Sequence[str] | None = None) -> int:
    return build_main(argv, GemmaOnnxEmbedder, prepare_gemma_onnx)


if __name__ == "__main__":
    sys.exit(main())
