"""A faster multilingual-e5-small: int8 onnxruntime graph built offline from the prepared folder.

`prepare_onnx` exports the verified fp32 BertModel (`e5.py`) with torch once, fuses it with
onnxruntime's transformer optimizer (EmbedLayerNormalization, Attention, BiasGelu,
SkipLayerNormalization), quantizes every matrix to int8 and only installs the result once it
reproduces the fp32 sentence-transformers vectors (VERIFIED.json). At run time `OnnxEmbedder`
needs onnxruntime, tokenizers and numpy: no torch, loads in ~1-2 s.

Quantization (measured on 200 passages of ~800 characters against fp32; see the benchmark):
- onnxruntime's dynamic int8 quantizes activations per tensor, i.e. with one range for the whole
  batch. The FFN inputs carry huge values on the <s> and </s> rows only (GELU output up to 66
  where other tokens stay under ~6), so one range for all rows wastes most of the 8 bits:
  all-int8 per-channel gave cosine min 0.987 (mean 0.994), and vectors changed with batch-mates.
- So the two FFN matrices of each layer get the rows of <s> and </s> ("special rows", a model
  input computed at run time) out of the main product: those rows are zeroed before the int8
  MatMul and go through a second, small int8 MatMul on the same weights with their own
  activation range, then are scattered back. Cosine min 0.9987, mean 0.9991, batch vs alone min
  0.9991. (A float32 MatMul for those rows gave the same cosines but doubled the latency of a
  single query: it streams 4x larger weights for two rows.)
- Weights are int8 per output channel with 7-bit range (`reduce_range`): on AVX2 without VNNI
  the u8 x s8 kernel (vpmaddubsw) saturates 16-bit pair sums with full-range weights; this alone
  moved the cosine min from 0.996 to 0.998 here.
- Cost: the special-row nodes (mostly ScatterND copies) take ~7-10% of the run time.
- Rejected: FFN output matrices in float32 (min 0.9987, but ~18% more CPU than all-int8, ~6%
  more than this); fp32 FFN output of layers 2 and 4 only (min 0.997, but batch vs alone down to
  0.997); 4-bit MatMulNBits from the exact q4_0 weights (cosine 0.9999, but ~1.5x slower than
  int8 on this AVX2-only CPU).
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
from assistant.models.e5 import MODEL_NAME, PASSAGE_PROMPT, QUERY_PROMPT, prepare_model
from assistant.models.encoder import Engine
from assistant.models.onnx_runtime import (Int8Embedder, build_main, compare_with_fp32,
                                           export_fp32, length_sorted_batches, log, padded,
                                           prepare_int8)
from assistant.models.sentence_transformer import SentenceTransformerEmbedder

ONNX_DIR_NAME = f"{MODEL_NAME}-onnx-int8"
# Bump when the build recipe changes: an older folder then counts as not prepared and is rebuilt.
RECIPE = 2
MIN_COSINE = 0.99  # per text, against the fp32 sentence-transformers model; else nothing installs
MAX_TOKENS = 512
DIM = 384
NUM_HEADS = 12
PAD_ID = 1  # <pad>; padded positions are masked out anyway
MAX_LENGTH_RATIO = 2.0  # longest / shortest token count within one batch
_NOT_PREPARED = (
    "The fast (onnx-int8) embedding model is not prepared yet. "
    "Run `assistant prepare` (or `make run`)."
)

SPECIAL_ROWS = "special_rows"  # model input: flat indices (row * width + position) of <s>, </s>
# The FFN matrices (intermediate and output dense) of every layer; not the attention output.
_ISOLATED = re.compile(r"layer\.\d+/(intermediate|output)/dense/MatMul$")
_QUANTIZATION = (
    "int8 dynamic, weights per channel with 7-bit range; in the FFN products the <s> and </s> "
    "rows get their own activation range"
)


# ---------------------------------------------------------------- run time


class OnnxEmbedder(Int8Embedder):
    """multilingual-e5-small on onnxruntime (int8), with the e5 query/passage prompts.

    Texts are truncated to 512 tokens and sorted by length into batches of similar lengths
    (little padding; see `_batches`).
    """

    model_name = MODEL_NAME
    name = f"onnx-int8:{MODEL_NAME}"
    dim = DIM
    max_tokens = MAX_TOKENS
    query_prompt = QUERY_PROMPT
    passage_prompt = PASSAGE_PROMPT
    folder_name = ONNX_DIR_NAME
    recipe = RECIPE
    min_cosine = MIN_COSINE
    not_prepared = _NOT_PREPARED

    def __init__(self, folder: Path, *, batch_size: int = 32, threads: int | None = None) -> None:
        super().__init__(folder, batch_size=batch_size, threads=threads)
        self._inputs = {i.name for i in self._session.get_inputs()}

    def _batches_of(self, lengths: list[int]) -> list[np.ndarray]:
        return _batches(lengths, self._batch_size)

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        """Mean over real tokens of last_hidden_state, then L2 normalize (rows as given)."""
        input_ids, mask, lengths = padded(batch, PAD_ID)
        width = input_ids.shape[1]
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if SPECIAL_ROWS in self._inputs:
            feeds[SPECIAL_ROWS] = _special_rows(lengths, width)
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        (hidden,) = self._session.run(["last_hidden_state"], feeds)
        summed = np.matmul(mask.astype(np.float32)[:, None, :], hidden)[:, 0, :]
        vectors = summed / lengths[:, None].astype(np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors.astype(np.float32, copy=False)


# Named like the fp32 folders' prepared_model_dir / prepared_gemma_dir.
prepared_onnx_dir = OnnxEmbedder.prepared_dir


def _batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Indices of texts sorted by token count, cut into batches of similar lengths.

    A batch ends before a text over MAX_LENGTH_RATIO times its shortest one: int8 activations
    share one range per batch, so a short text batched with long ones would be embedded
    slightly differently (cosine ~0.998) than alone; within a 2x span it stays > 0.999.
    """
    return length_sorted_batches(lengths, batch_size, max_length_ratio=MAX_LENGTH_RATIO)


def _special_rows(lengths: np.ndarray, width: int) -> np.ndarray:
    """Flat row indices (row * width + position) of each text's <s> (first) and </s> (last).

    Padding rows are left in the int8 path: they carry no outliers (measured: same cosines with
    or without them) and, unlike <s>/</s>, their number grows with the batch's length spread.
    """
    starts = np.arange(len(lengths), dtype=np.int64) * width
    return np.concatenate([starts, starts + lengths - 1])


# ---------------------------------------------------------------- build


def _export_fp32(model_dir: Path, dst: Path) -> None:
    """torch.onnx (TorchScript exporter, opset 17) of the BertModel: ids + mask -> hidden states."""
    import torch
    from transformers import AutoModel

    class _Encoder(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    bert = AutoModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager"
    )
    encoder = _Encoder(bert).eval()
    input_ids = torch.tensor([[0, 6, 1000, 2000, 3000, 2], [0, 5, 6, 2, PAD_ID, PAD_ID]])
    export_fp32(encoder, input_ids, PAD_ID, dst, "last_hidden_state",
                {0: "batch", 1: "sequence"})


def _fuse(src: Path, dst: Path) -> dict[str, int]:
    """onnxruntime's BERT fusions; returns the fused operator counts (checked to be complete)."""
    import logging

    from onnxruntime.transformers.optimizer import optimize_model

    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    model = optimize_model(str(src), model_type="bert", num_heads=NUM_HEADS, hidden_size=DIM)
    stats = {k: int(v) for k, v in model.get_fused_operator_statistics().items() if v}
    expected = {"EmbedLayerNormalization": 1, "Attention": 12, "SkipLayerNormalization": 24}
    for op, count in expected.items():
        if stats.get(op, 0) != count:
            raise ModelNotPreparedError(
                f"The ONNX graph of {MODEL_NAME} did not fuse as expected ({stats}); "
                "nothing was installed."
            )
    model.save_model_to_file(str(dst))
    return stats


def _isolate_special_rows(src: Path, dst: Path) -> int:
    """Takes the special rows out of the int8 range of each FFN MatMul (see the module doc).

    For X [batch, width, K] @ W [K, N]:  Xf = X as [rows, K];  S = Xf[special];
    Y = scatter(MatMul(Xf with special rows zeroed, W), special, MatMul(S, W)): both MatMuls
    share W and are quantized later, each with its own dynamic activation range.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    graph.input.append(helper.make_tensor_value_info(SPECIAL_ROWS, TensorProto.INT64, ["rows"]))
    graph.initializer.append(numpy_helper.from_array(np.array([1], np.int64), "sr/axis1"))
    nodes = [
        helper.make_node("Unsqueeze", [SPECIAL_ROWS, "sr/axis1"], ["sr/index"], name="sr/index"),
        helper.make_node("Shape", ["input_ids"], ["sr/batch_width"], name="sr/batch_width"),
    ]
    isolated = 0
    for node in graph.node:
        if not (node.op_type == "MatMul" and _ISOLATED.search(node.name)):
            nodes.append(node)
            continue
        x, w = node.input
        k, n = numpy_helper.to_array(weights[w]).shape
        p = f"{node.name}/sr/"
        graph.initializer.extend(
            [
                numpy_helper.from_array(np.array([-1, k], np.int64), p + "flat"),
                numpy_helper.from_array(np.array([n], np.int64), p + "n"),
                numpy_helper.from_array(np.array(0, np.float32), p + "zero"),
            ]
        )
        nodes += [
            helper.make_node("Reshape", [x, p + "flat"], [p + "x"], name=p + "x"),
            helper.make_node("Gather", [p + "x", SPECIAL_ROWS], [p + "xs"], name=p + "xs", axis=0),
            helper.make_node("Mul", [p + "xs", p + "zero"], [p + "zeros"], name=p + "zeros"),
            helper.make_node(
                "ScatterND", [p + "x", "sr/index", p + "zeros"], [p + "xz"], name=p + "xz"
            ),
            helper.make_node("MatMul", [p + "xz", w], [p + "yq"], name=node.name),
            helper.make_node("MatMul", [p + "xs", w], [p + "ys"], name=p + "special/MatMul"),
            helper.make_node(
                "ScatterND", [p + "yq", "sr/index", p + "ys"], [p + "y"], name=p + "y"
            ),
            helper.make_node(
                "Concat", ["sr/batch_width", p + "n"], [p + "shape"], name=p + "shape", axis=0
            ),
            helper.make_node("Reshape", [p + "y", p + "shape"], list(node.output), name=p + "out"),
        ]
        isolated += 1
    if isolated != 24:
        raise ModelNotPreparedError(
            f"Expected 24 FFN matrices in the ONNX graph of {MODEL_NAME}, found {isolated}; "
            "nothing was installed."
        )
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))
    return isolated


def _quantize(src: Path, dst: Path) -> None:
    """int8 dynamic quantization of every MatMul and Attention (nothing is kept in float32)."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs "please run pre-processing" on the root
    try:
        quantize_dynamic(
            str(src),
            str(dst),
            per_channel=True,
            reduce_range=True,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Attention"],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)


def _to_int8(fp32: Path, work: Path, dst: Path) -> dict[str, Any]:
    """Fuses `fp32`, isolates the special rows, quantizes into `dst`; the marker's fields."""
    log("Fusing attention, LayerNorm and GELU (onnxruntime transformer optimizer)...")
    fused = _fuse(fp32, work / "fused.onnx")
    fp32.unlink()
    _isolate_special_rows(work / "fused.onnx", work / "isolated.onnx")
    (work / "fused.onnx").unlink()
    log(f"Quantizing to int8 ({_QUANTIZATION})...")
    _quantize(work / "isolated.onnx", dst)
    return {"fused_operators": fused}


def _verify(folder: Path, model_dir: Path) -> list[dict[str, Any]]:
    """Cosine of every check text against the fp32 sentence-transformers model; raises if low."""
    return compare_with_fp32(OnnxEmbedder(folder), SentenceTransformerEmbedder(model_dir),
                             check_texts(), MIN_COSINE, MODEL_NAME)


def prepare_onnx(cache_dir: Path, *, force: bool = False) -> Path:
    """Build, verify and install the int8 folder once; later calls return it at once."""
    return prepare_int8(OnnxEmbedder, cache_dir, force=force, fp32_dir=prepare_model,
                        export=_export_fp32, to_int8=_to_int8, verify=_verify,
                        quantization=_QUANTIZATION,
                        tools=("torch", "onnx", "onnxruntime", "tokenizers"))


def _load(settings: Settings) -> OnnxEmbedder:
    return OnnxEmbedder.load(settings.cache_dir, batch_size=settings.embed_batch_size)


ENGINE = Engine(prepare=prepare_onnx, load=_load)


def main(argv: Sequence[str] | None = None) -> int:
    return build_main(argv, OnnxEmbedder, prepare_onnx)


if __name__ == "__main__":
    sys.exit(main())
