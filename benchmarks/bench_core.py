"""The product against raw baselines measured in the same run, on the same texts.

    python benchmarks/bench_core.py [--corpus DIR] [--eval FILE] [--repeat 5] [--json]

1. Ingest: `Pipeline.ingest(rebuild=True)` into a temporary index (with the sentence
   vectors the reranker needs) against the bare encoder on the same passage texts.
2. Search latency: `retriever.search(q, k=5)` against the floor that any dense search pays
   (embed the question + one Chroma query).
3. Quality: hit@1 / hit@5 / MRR per language, ours against the plain llama-index recipe a
   newcomer would write (VectorStoreIndex over Chroma, default SentenceSplitter, dense only)
   with the SAME model and its own prompts, so only the pipeline differs.
Figures depend on machine load: the load average is printed at start and end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from assistant.ingest.chunking import chunk_document, embedding_texts, with_context  # noqa: E402
from assistant.config import Settings  # noqa: E402  (sets the offline environment first)
from assistant.ingest.documents import iter_corpus  # noqa: E402
from assistant.evaluation import (Metrics, format_table, read_questions,  # noqa: E402
                                  retrieval_metrics, supports)
from assistant.pipeline import Pipeline  # noqa: E402
from assistant.types import Document  # noqa: E402

K = 5
DEFAULT_EVAL = Path(__file__).resolve().parents[2] / "shared/eval/dev.jsonl"


def say(*parts: object) -> None:
    # With --json, stdout carries only the JSON object; everything else goes to stderr.
    print(*parts, file=sys.stderr if ARGS.json else sys.stdout, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def rank_of(texts: list[str], evidence: tuple[str, ...]) -> int | None:
    return next((rank for rank, text in enumerate(texts, 1) if supports(text, evidence)), None)


def as_json(metrics: dict[str, Metrics]) -> dict:
    return {group: {"hit_at_1": round(m.hit_at_1, 4), "hit_at_k": round(m.hit_at_k, 4),
                    "mrr": round(m.mrr, 4)} for group, m in metrics.items()}


def bench_ingest(pipeline: Pipeline, corpus: Path, settings: Settings) -> dict:
    passages = [p for doc in iter_corpus(corpus) if isinstance(doc, Document)
                for p in chunk_document(doc, pipeline.chunking)]
    # The raw encoder on the product's input: each passage under its title, one pass each.
    whole = [with_context(p, p.text) for p in passages]
    embedder = pipeline.embedder  # loaded (and warmed) before either clock starts
    embedder.embed_passages(whole[:4])
    one_pass = hasattr(embedder, "embed_with_sentences")
    sentences = [] if one_pass else [s for p in passages for s in embedding_texts(p)[1] if s]

    # The machine is shared: raw runs before AND after the ingest, and their mean is the
    # baseline, so a load spike does not land on one side only.
    before, _ = timed(embedder.embed_passages, whole)
    report = pipeline.ingest(corpus, rebuild=True, show_progress=False)
    after, _ = timed(embedder.embed_passages, whole)
    # The product hands the encoder >= batch_size passages per call, which the encoder
    # splits into batches of embed_batch_size: one call over all passages batches the same.
    raw_seconds = (before + after) / 2
    product_rate = report.embedded / report.seconds
    raw_rate = len(whole) / raw_seconds
    how = ("sentence vectors pooled from the same pass" if one_pass else
           f"the passages + {len(sentences)} sentences embedded as texts of their own")
    say(f"\n== Ingest ({len(passages)} passages, {embedder.name}: {how})")
    say(f"product          {product_rate:7.2f} passages/s  ({report.seconds:.2f} s)")
    say(f"raw, passages    {raw_rate:7.2f} passages/s  ({before:.2f} s before, {after:.2f} s after; "
        f"embed_passages, batch {settings.embed_batch_size})")
    say(f"ratio product/raw {product_rate / raw_rate:.2f}")
    return {"encoder": embedder.name, "ingest_passages_per_s": round(product_rate, 3),
            "ingest_texts_embedded": len(whole) + len(sentences),
            "raw_encoder_passages_per_s": round(raw_rate, 3),
            "ingest_ratio": round(product_rate / raw_rate, 3)}


def latencies(fns, questions: list[str], repeat: int) -> list[list[float]]:
    """Milliseconds per call of each fn; calls alternate so both see the same machine load."""
    for q in questions:  # warm-up: first calls pay lazy imports, caches, HNSW loading
        for fn in fns:
            fn(q)
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for q in questions:
            for fn, bucket in zip(fns, times):
                bucket.append(timed(fn, q)[0] * 1000)
    return times


def bench_latency(pipeline: Pipeline, questions: list[str], repeat: int) -> dict:
    retriever = pipeline.retriever
    embedder, store = retriever.embedder, retriever.store
    ours, floor = latencies([lambda q: retriever.search(q, k=K),
                             lambda q: store.query(embedder.embed_queries([q])[0], K)],
                            questions, repeat)
    fig = {"search_p50_ms": percentile(ours, 0.5), "search_p95_ms": percentile(ours, 0.95),
           "raw_floor_p50_ms": percentile(floor, 0.5), "raw_floor_p95_ms": percentile(floor, 0.95)}
    fig = {key: round(value, 2) for key, value in fig.items()}
    fig["search_p50_ratio"] = round(fig["search_p50_ms"] / fig["raw_floor_p50_ms"], 3)
    fig["search_p95_ratio"] = round(fig["search_p95_ms"] / fig["raw_floor_p95_ms"], 3)
    say(f"\n== Search latency ({len(questions)} questions x {repeat}, k={K}, after a warm-up)")
    say(f"product search   p50 {fig['search_p50_ms']:7.2f} ms  p95 {fig['search_p95_ms']:7.2f} ms")
    say(f"raw floor        p50 {fig['raw_floor_p50_ms']:7.2f} ms  p95 {fig['raw_floor_p95_ms']:7.2f} ms"
        "  (embed query + one Chroma query)")
    say(f"ratio            p50 {fig['search_p50_ratio']:7.2f}     p95 {fig['search_p95_ratio']:7.2f}")
    return fig


def llama_index_retriever(corpus: Path, embedder):
    """The recipe from the llama-index docs, with every model passed explicitly."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    with contextlib.redirect_stdout(sys.stderr):  # llama-index prints a notice: keep --json clean
        LlamaSettings.llm = None  # never fall back to the default OpenAI LLM
    # Without the instructions llama-index embeds with empty prompts: silently wrong vectors.
    embed_model = HuggingFaceEmbedding(model_name=str(embedder.path),
                                       query_instruction=embedder.query_prompt,
                                       text_instruction=embedder.document_prompt, device="cpu")
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection(
        "llama-baseline", embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
    documents = SimpleDirectoryReader(input_files=sorted(corpus.glob("*.txt"))).load_data()
    index = VectorStoreIndex.from_documents(
        documents, storage_context=StorageContext.from_defaults(
            vector_store=ChromaVectorStore(chroma_collection=collection)),
        embed_model=embed_model, transformations=[SentenceSplitter()])
    return index.as_retriever(similarity_top_k=K), collection.count()


def bench_quality(pipeline: Pipeline, corpus: Path, eval_file: Path) -> dict:
    questions = [q for q in read_questions(eval_file) if not q.unanswerable]
    ours = [(q.lang, rank_of([h.passage.text for h in pipeline.retriever.search(q.q, k=K).hits],
                             q.evidence)) for q in questions]
    retriever, nodes = llama_index_retriever(corpus, pipeline.embedder)
    theirs = [(q.lang, rank_of([n.node.get_content() for n in retriever.retrieve(q.q)], q.evidence))
              for q in questions]
    ours_m, theirs_m = retrieval_metrics(ours, K), retrieval_metrics(theirs, K)
    say(f"\n== Quality on {eval_file.name} ({len(questions)} answerable questions, k={K})")
    say(format_table(ours_m, K, "-- ours (dense + BM25, sentence rerank)"))
    say(format_table(theirs_m, K, f"-- plain llama-index (SentenceSplitter, dense only, {nodes} nodes)"))
    if K / nodes > 0.25:  # a top-5 that returns most of the index finds everything by size alone
        say(f"   note: top-{K} returns {K / nodes:.0%} of llama-index's nodes; its hit@{K} says little")
    say("-- delta ours - llama-index")
    say(f"{'group':<6} {'hit@1':>7} {f'hit@{K}':>7} {'MRR':>7}")
    for group, m in ours_m.items():
        t = theirs_m[group]
        say(f"{group:<6} {m.hit_at_1 - t.hit_at_1:>+7.3f} {m.hit_at_k - t.hit_at_k:>+7.3f} "
            f"{m.mrr - t.mrr:>+7.3f}")
    return {"ours": as_json(ours_m), "llama_index": as_json(theirs_m)}


def main() -> None:
    load_start = os.getloadavg()
    say(f"load average at start: {' '.join(f'{x:.2f}' for x in load_start)} "
        f"({os.cpu_count()} CPUs)")
    logging.disable(logging.WARNING)  # llama-index/transformers chatter would drown the figures
    settings = Settings()
    corpus = ARGS.corpus.resolve()
    questions = [q.q for q in read_questions(ARGS.eval)]
    with tempfile.TemporaryDirectory(prefix="bench-core-") as tmp:
        # A private index: the benchmark never touches the live index/ folder.
        pipeline = Pipeline(settings, index_dir=Path(tmp) / "index")
        result = bench_ingest(pipeline, corpus, settings)
        result.update(bench_latency(pipeline, questions, ARGS.repeat))
        result.update(bench_quality(pipeline, corpus, ARGS.eval))
    load_end = os.getloadavg()
    say(f"\nload average at end: {' '.join(f'{x:.2f}' for x in load_end)}")
    result["load_avg"] = [round(x, 2) for x in load_start]
    result["load_avg_end"] = [round(x, 2) for x in load_end]
    if ARGS.json:
        print(json.dumps(result, ensure_ascii=False))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--repeat", type=int, default=5, help="timed searches per question")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return parser.parse_args()


if __name__ == "__main__":
    ARGS = parse_args()
    main()
