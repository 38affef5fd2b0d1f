"""Index scale: write throughput, query latency, load time, disk and memory at 10k / 100k passages.

    python benchmarks/bench_scale.py [--sizes 10000,100000 | --quick] [--server] [--real 5000]
                                     [--encoder ENCODER] [--json]

Passages are REAL text: the 5 seed documents of corpus/ plus distractors streamed from
/work/shared/corpus-large/{be_laws_fr,nl_laws_markdown}.jsonl.gz through
`assistant.ingest.documents.iter_corpus` and `assistant.ingest.chunking.chunk_document` (default params).

Vectors: encoding 100k real passages (and their sentences) does not fit a benchmark run on
2 cores, so
- the seed passages and their sentences get REAL vectors from the chosen encoder;
- the first `--real` distractors get REAL vectors too, passages and sentences, from the same
  encoder. They are the hardest ones: every distractor passage that mentions renting,
  housing or cooperatives (huur, woning, huisvest, bail, logement, loyer, coopérat...), then
  the others in corpus order;
- the remaining distractors get SYNTHETIC vectors: normalize(0.8 * seed centroid + 0.6 * a
  random unit vector), and up to 4 sentence vectors each, normalize(passage + 0.5 * random).
Vectors are computed once and cached in benchmarks/results/ (git-ignored). The quality
figure is reported with and without the distractors.

Stores are written with `PassageStore.add` in batches inside a `LocalIndex` generation
(or a `ServerIndex` one with --server), given their saved lexical index and published with a
manifest, as `assistant ingest` does, so `Pipeline.retriever` opens them like a real index.
Query timings, load time and peak RSS are measured in a child process per index (the
"serving process"). Every figure carries os.getloadavg().
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import get_args

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from assistant.config import Encoder, Settings  # noqa: E402

LARGE = Path("/work/shared/corpus-large")
LARGE_FILES = ("be_laws_fr.jsonl.gz", "nl_laws_markdown.jsonl.gz")
DEV = Path("/work/shared/eval/dev.jsonl")
SEEDS = REPO / "corpus"
RESULTS = REPO / "benchmarks" / "results"
PREFIX = "bench"
BATCH = 1000
SENTENCES_PER_DISTRACTOR = 4
TOPICAL = re.compile(r"huur|woning|huisvest|\bbail|logement|loyer|locataire|bailleur|"
                     r"coop[ée]rat|co[öo]perat", re.IGNORECASE)


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, int(round(q / 100 * (len(values) - 1)))))
    return round(values[index], 2)


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


# --------------------------------------------------------------------------- data

def seed_passages(chunking):
    from assistant.ingest.chunking import chunk_document
    from assistant.ingest.documents import iter_corpus
    from assistant.types import Document

    docs = [d for d in iter_corpus(SEEDS) if isinstance(d, Document)]
    return docs, [p for d in docs for p in chunk_document(d, chunking)]


def real_vectors(embedder, passages, name: str):
    """Real vectors for passages and their sentences, as ingest computes them (cached)."""
    from assistant.ingest.indexer import embed_passages_and_sentences

    ids = [p.passage_id for p in passages]
    cache = RESULTS / f"{name}_vectors_{embedder.name.replace(':', '_')}.pkl"
    if cache.exists():
        cached = pickle.loads(cache.read_bytes())
        if cached["ids"] == ids:
            return cached["passages"], cached["sentences"], cached.get("timing")
    started = time.perf_counter()
    pvec, svec = embed_passages_and_sentences(embedder, passages)
    seconds = time.perf_counter() - started
    sentences = sum(row is not None for rows in svec for row in rows)
    # What ingest's encoder work costs on these passages (it embeds passages + sentences).
    timing = {"passages": len(passages), "sentences": sentences,
              "seconds": round(seconds, 1), "passages_per_s": round(len(passages) / seconds, 2),
              "load": load(), "when": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    cache.write_bytes(pickle.dumps({"ids": ids, "passages": pvec, "sentences": svec,
                                    "timing": timing}))
    log(f"encoded {name}: {timing}")
    return pvec, svec, timing


def distractors(n: int, chunking):
    """The first n passages of the large corpus (cached), with their documents' entries."""
    from assistant.ingest.chunking import chunk_document
    from assistant.ingest.documents import iter_corpus
    from assistant.types import Document

    cache = RESULTS / f"distractors_{n}_{chunking.max_chars}_{chunking.overlap_sentences}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    bigger = sorted(RESULTS.glob(f"distractors_*_{chunking.max_chars}_{chunking.overlap_sentences}.pkl"))
    for path in bigger:
        if int(path.name.split("_")[1]) >= n:
            passages, documents = pickle.loads(path.read_bytes())
            keep = passages[:n]
            ids = {p.doc_id for p in keep}
            return keep, {k: v for k, v in documents.items() if k in ids}
    started = time.perf_counter()
    passages, documents = [], {}
    with tempfile.TemporaryDirectory() as folder:
        for name in LARGE_FILES:
            os.symlink(LARGE / name, Path(folder) / name)
        for doc in iter_corpus(Path(folder)):
            if not isinstance(doc, Document):
                continue
            chunks = chunk_document(doc, chunking)[: n - len(passages)]
            passages.extend(chunks)
            documents[doc.doc_id] = {"hash": doc.content_hash, "passages": len(chunks),
                                     "source": doc.source}
            if len(passages) >= n:
                break
    log(f"chunked {len(passages)} distractor passages from {len(documents)} documents "
        f"in {time.perf_counter() - started:.1f}s (load {load()})")
    cache.write_bytes(pickle.dumps((passages, documents)))
    return passages, documents


def topical_first(passages):
    """Distractors that talk about renting, housing or cooperatives first: the hardest ones."""
    topical = [p for p in passages if TOPICAL.search(p.text)]
    return topical + [p for p in passages if not TOPICAL.search(p.text)], len(topical)


def synthetic_vectors(n: int, centroid: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(12345)
    return unit(0.8 * centroid + 0.6 * unit(rng.standard_normal((n, centroid.shape[0]))))


def synthetic_sentence_vectors(passages, vectors, seed: int):
    rng = np.random.default_rng(seed)
    out = []
    for passage, vector in zip(passages, vectors):
        count = min(SENTENCES_PER_DISTRACTOR, len(passage.sentences))
        noise = unit(rng.standard_normal((count, vector.shape[0]))) if count else []
        rows = [unit(vector + 0.5 * noise[i]) for i in range(count)]
        out.append(rows + [None] * (len(passage.sentences) - count))
    return out


# --------------------------------------------------------------------------- building

def build(location, size: int, data: dict, signature: dict) -> dict:
    """Fill one generation as ingest does (batched adds, saved lexical index, publish); time it."""
    from assistant.search.lexical import SAVED_NAME, LexicalIndex
    from assistant.search.generations import new_generation_name

    seeds, dist = data["seeds"], data["distractors"]
    take = size - len(seeds)
    real = min(take, len(data["real_passage_vectors"]))
    generation = new_generation_name()
    store = location.create(generation)
    write_seconds = 0.0
    sentences = 0
    started = time.perf_counter()
    batches = [(seeds, data["seed_passage_vectors"], data["seed_sentence_vectors"])]
    batches += [(dist[i:min(real, i + BATCH)], data["real_passage_vectors"][i:min(real, i + BATCH)],
                 data["real_sentence_vectors"][i:min(real, i + BATCH)]) for i in range(0, real, BATCH)]
    for first in range(real, take, BATCH):
        chunk = dist[first:min(take, first + BATCH)]
        vectors = data["synthetic_vectors"][first - real:first - real + len(chunk)]
        batches.append((chunk, vectors, None))
    written = 0
    for passages, vectors, sentence_rows in batches:
        if sentence_rows is None:
            sentence_rows = synthetic_sentence_vectors(passages, vectors, seed=written)
        sentences += sum(row is not None for rows in sentence_rows for row in rows)
        t = time.perf_counter()
        store.add(passages, vectors, sentence_rows)
        write_seconds += time.perf_counter() - t
        written += len(passages)
        if (written // BATCH) % 20 == 0 and written >= BATCH:
            log(f"  {written}/{size} written, {written / write_seconds:.0f} passages/s (load {load()})")
    t = time.perf_counter()
    LexicalIndex.build(store.iter_passages()).save(location.derived_dir(generation) / SAVED_NAME)
    lexical_seconds = time.perf_counter() - t
    ids = {p.doc_id for p in dist[:take]}
    documents = {**data["seed_documents"],
                 **{k: v for k, v in data["distractor_documents"].items() if k in ids}}
    manifest = {**signature, "created": datetime.now(timezone.utc).isoformat(),
                "passages": size, "documents": documents,
                "real_distractor_vectors": real, "synthetic_distractor_vectors": take - real}
    count = store.count()
    location.publish(generation, manifest)
    return {"generation": generation, "passages": count, "sentence_vectors": sentences,
            "real_vector_distractors": real, "synthetic_vector_distractors": take - real,
            "write_seconds": round(write_seconds, 2),
            "write_passages_per_s": round(written / write_seconds, 1),
            "lexical_build_seconds": round(lexical_seconds, 2),
            "build_wall_seconds": round(time.perf_counter() - started, 2),
            "languages": _languages(seeds + dist[:take]), "load_after_write": load()}


def _languages(passages) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in passages:
        out[p.meta.language] = out.get(p.meta.language, 0) + 1
    return out


def du_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return round(total / 1e6, 1)


# --------------------------------------------------------------------------- serving child

class Timer:
    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.on = False

    def wrap(self, obj, name: str, label: str) -> None:
        inner = getattr(obj, name)

        def timed(*args, **kwargs):
            if not self.on:
                return inner(*args, **kwargs)
            t = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.totals[label] = self.totals.get(label, 0.0) + time.perf_counter() - t
        setattr(obj, name, timed)


class HttpApi:
    """`assistant serve`'s app (API only) under uvicorn on loopback; POST /api/ask over HTTP."""

    def __init__(self, service) -> None:
        import http.client
        import threading

        import uvicorn

        from assistant.serve.server import create_app

        port = free_port()
        config = uvicorn.Config(create_app(service.settings, service, with_ui=False),
                                host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        threading.Thread(target=self.server.run, daemon=True).start()
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        deadline = time.time() + 120
        while time.time() < deadline:  # 503 until the app has its model and index
            try:
                self.connection.request("GET", "/api/health")
                response = self.connection.getresponse()
                response.read()
                if response.status == 200:
                    return
            except OSError:
                self.connection.close()
            time.sleep(0.1)
        raise RuntimeError("the API did not become ready")

    def ask(self, question: str) -> dict:
        self.connection.request("POST", "/api/ask", body=json.dumps({"question": question}),
                                headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"/api/ask answered {response.status}: {body[:300]!r}")
        return json.loads(body)


def child(args) -> None:
    """The serving process: load the index, time queries, report peak RSS. JSON on stdout."""
    from assistant.config import Settings
    from assistant.evaluation import first_relevant_rank, read_questions
    from assistant.pipeline import Pipeline
    from assistant.wiring import build_assistant

    out: dict = {"load_start": load()}
    overrides = {"collection_prefix": PREFIX, "index_dir": Path(args.index_dir),
                 "encoder": args.encoder, "rate_limit": "100000/minute"}
    if args.server:
        host, port = args.server.split(":")
        overrides.update(chroma_mode="server", chroma_host=host, chroma_port=int(port))
    settings = Settings(**overrides)
    t = time.perf_counter()
    pipeline = Pipeline(settings, index_dir=Path(args.index_dir))
    embedder = pipeline.embedder
    out["model_load_s"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    retriever = pipeline.retriever
    out["retriever_load_s"] = round(time.perf_counter() - t, 2)
    out["lexical_passages"] = len(retriever.lexical)
    out["load_after_index_load"] = load()
    service = build_assistant(settings, pipeline=pipeline)
    api = HttpApi(service)

    questions = read_questions(DEV)
    answerable = [q for q in questions if q.evidence and not q.unanswerable]
    store = retriever.store

    timer = Timer()
    timer.wrap(embedder, "embed_queries", "embed_query")
    timer.wrap(store, "query", "chroma_query")
    timer.wrap(store, "score", "chroma_get_lexical_only")
    timer.wrap(retriever.lexical, "search", "bm25_search")

    for q in questions[:3]:  # warm-up
        retriever.search(q.q, k=5)
        api.ask(q.q)
        store.query(embedder.embed_queries([q.q])[0], 5)

    # Interleaved per question, so load swings on the shared machine hit all three alike.
    floor, search, ask, floor_index, search_index = [], [], [], [], []
    search_profile: dict[str, float] = {}
    ask_profile: dict[str, float] = {}
    timer.on = True
    for _ in range(args.repeat):
        for q in questions:
            timer.totals = {}
            t = time.perf_counter()
            store.query(embedder.embed_queries([q.q])[0], 5)
            floor.append((time.perf_counter() - t) * 1000)
            floor_index.append(floor[-1] - timer.totals["embed_query"] * 1000)
            timer.totals = {}
            t = time.perf_counter()
            retriever.search(q.q, k=5)
            search.append((time.perf_counter() - t) * 1000)
            search_index.append(search[-1] - timer.totals["embed_query"] * 1000)
            for key, value in timer.totals.items():
                search_profile[key] = search_profile.get(key, 0.0) + value
            timer.totals = {}
            t = time.perf_counter()
            api.ask(q.q)
            ask.append((time.perf_counter() - t) * 1000)
            for key, value in timer.totals.items():
                ask_profile[key] = ask_profile.get(key, 0.0) + value
    timer.on = False
    n = len(search)
    out["queries_timed"] = n
    out["floor_ms"] = {"p50": pct(floor, 50), "p95": pct(floor, 95)}
    out["search_ms"] = {"p50": pct(search, 50), "p95": pct(search, 95)}
    out["ask_ms"] = {"p50": pct(ask, 50), "p95": pct(ask, 95)}
    out["search_over_floor_p50"] = round(pct(search, 50) / pct(floor, 50), 2)
    out["ask_over_floor_p50"] = round(pct(ask, 50) / pct(floor, 50), 2)
    # Without the query embedding (the part that grows with the index, and is less noisy).
    out["floor_no_embed_ms"] = {"p50": pct(floor_index, 50), "p95": pct(floor_index, 95)}
    out["search_no_embed_ms"] = {"p50": pct(search_index, 50), "p95": pct(search_index, 95)}
    out["search_no_embed_over_floor_no_embed_p50"] = round(pct(search_index, 50) / pct(floor_index, 50), 2)
    prof = {k: round(v / n * 1000, 2) for k, v in search_profile.items()}
    prof["rest_python_fusion_rerank"] = round(sum(search) / n - sum(prof.values()), 2)
    out["search_profile_mean_ms"] = prof
    aprof = {k: round(v / n * 1000, 2) for k, v in ask_profile.items()}
    aprof["rest_answering_http_python"] = round(sum(ask) / n - sum(aprof.values()), 2)
    out["ask_profile_mean_ms"] = aprof
    out["load_after_queries"] = load()

    ranks = [first_relevant_rank(retriever.search(q.q, k=5).hits, q.evidence) for q in answerable]
    out["quality"] = {"questions": len(ranks),
                      "hit@1": round(sum(r == 1 for r in ranks) / len(ranks), 3),
                      "hit@5": round(sum(r is not None for r in ranks) / len(ranks), 3)}
    out["peak_rss_mb_ru_maxrss"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            out["peak_rss_mb_vmhwm"] = round(int(line.split()[1]) / 1024, 1)
    out["load_end"] = load()
    print("CHILD-JSON " + json.dumps(out), flush=True)


def serve(index_dir: Path, repeat: int, encoder: str, server: str | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", "--index-dir", str(index_dir), "--repeat", str(repeat),
           "--encoder", encoder]
    if server:
        cmd += ["--server", server]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    for line in done.stdout.splitlines():
        if line.startswith("CHILD-JSON "):
            return json.loads(line[len("CHILD-JSON "):])
    raise RuntimeError(f"serving child failed ({done.returncode}):\n{done.stderr[-3000:]}")


# --------------------------------------------------------------------------- chroma server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_chroma(folder: Path):
    import urllib.request

    exe = Path(sys.executable).parent / "chroma"
    port = free_port()
    logf = open(folder / "chroma.log", "w")
    process = subprocess.Popen([str(exe), "run", "--path", str(folder / "db"), "--host",
                                "127.0.0.1", "--port", str(port)], stdout=logf, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            return process, port
        except Exception:
            if process.poll() is not None:
                raise RuntimeError((folder / "chroma.log").read_text()[-2000:])
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("chroma server did not start")


# --------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--quick", action="store_true", help="sizes 2000,10000")
    parser.add_argument("--server", nargs="?", const="start", default=None,
                        help="also time the 10k index on a `chroma run` server on loopback")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--real", type=int, default=5000,
                        help="distractors with real vectors (encoded once, then cached)")
    parser.add_argument("--encoder", default=Settings.model_fields["encoder"].default,
                        choices=get_args(Encoder), help="ASSISTANT_ENCODER of the run (default: the product's)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the built indexes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    from assistant.ingest.indexer import index_signature
    from assistant.pipeline import Pipeline
    from assistant.search.generations import LocalIndex, ServerIndex

    sizes = [2000, 10000] if args.quick else [int(s) for s in args.sizes.split(",")]
    RESULTS.mkdir(parents=True, exist_ok=True)
    report: dict = {"load_start": load(), "cpu_count": os.cpu_count(), "sizes": sizes,
                    "vectors": f"seed passages+sentences and the first {args.real} distractors "
                               "(topical first): real encoder vectors; other distractors: "
                               "SYNTHETIC normalize(0.8*seed centroid + 0.6*random unit), "
                               f"<= {SENTENCES_PER_DISTRACTOR} sentence vectors each near it",
                    "runs": {}}
    base = Pipeline(Settings(encoder=args.encoder))
    embedder = base.embedder
    chunking = base.chunking
    signature = index_signature(embedder, chunking)
    report["model"] = embedder.name

    # raw encoder on 64 real ~800-char passages
    texts = []
    _, dist_for_raw = None, distractors(max(sizes), chunking)[0]
    joined = ""
    for p in dist_for_raw:
        joined += p.text + " "
        while len(joined) >= 800 and len(texts) < 64:
            texts.append(joined[:800])
            joined = joined[800:]
        if len(texts) >= 64:
            break
    embedder.embed_passages(texts[:8])
    t = time.perf_counter()
    embedder.embed_passages(texts)
    raw = 64 / (time.perf_counter() - t)
    report["raw_encoder_passages_per_s"] = round(raw, 1)
    report["load_after_raw_encoder"] = load()
    log(f"raw encoder: {raw:.1f} passages/s (64 x 800 chars, load {load()})")

    work = Path(tempfile.mkdtemp(prefix="bench-scale-", dir=RESULTS))
    try:
        seeds_index = work / "seeds"
        product = Pipeline(Settings(collection_prefix=PREFIX, index_dir=seeds_index,
                                    encoder=args.encoder), embedder=embedder,
                           index_dir=seeds_index).ingest(SEEDS, rebuild=True, show_progress=False)
        report["product_ingest"] = {"passages": product.passages, "seconds": round(product.seconds, 2),
                                    "passages_per_s": round(product.passages_per_second, 1),
                                    "ratio_product_over_raw": round(product.passages_per_second / raw, 3),
                                    "load": load()}
        log(f"product ingest of seeds: {product.passages_per_second:.1f} passages/s "
            f"(ratio {product.passages_per_second / raw:.3f}; it also embeds every sentence; load {load()})")

        docs, seeds = seed_passages(chunking)
        seed_pvec, seed_svec, _ = real_vectors(embedder, seeds, "seed")
        dist, dist_docs = distractors(max(sizes) - len(seeds), chunking)
        dist, topical = topical_first(dist)
        real = min(args.real, len(dist))
        log(f"{topical} topical distractors; encoding the first {real} (load {load()})")
        real_pvec, real_svec, timing = real_vectors(embedder, dist[:real], f"distractors_{real}")
        report["real_distractor_encoding"] = timing
        data = {
            "seeds": seeds, "seed_passage_vectors": seed_pvec, "seed_sentence_vectors": seed_svec,
            "seed_documents": {d.doc_id: {"hash": d.content_hash, "source": d.source,
                                          "passages": sum(p.doc_id == d.doc_id for p in seeds)}
                               for d in docs},
            "distractors": dist, "distractor_documents": dist_docs,
            "real_passage_vectors": real_pvec, "real_sentence_vectors": real_svec,
            "synthetic_vectors": synthetic_vectors(len(dist) - real, unit(seed_pvec.mean(axis=0))),
        }
        report["topical_distractors"] = topical
        report["real_vector_distractors"] = real

        log(f"serving child on the 5-doc index (load {load()})")
        report["runs"]["seeds-embedded"] = {"passages": product.passages,
                                            "serve": serve(seeds_index, args.repeat, args.encoder),
                                            "disk_mb": du_mb(seeds_index)}
        for size in sizes:
            folder = work / f"idx-{size}"
            log(f"building {size} passages embedded (load {load()})")
            built = build(LocalIndex(folder, PREFIX), size, data, signature)
            built["disk_mb"] = du_mb(folder / built["generation"])
            log(f"  {built}")
            log(f"serving child on {size} (load {load()})")
            built["serve"] = serve(folder, args.repeat, args.encoder)
            report["runs"][f"{size}-embedded"] = built
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
        if args.server:
            size = 10000 if 10000 in sizes else sizes[0]
            sfolder = work / "server"
            sfolder.mkdir()
            process, port = start_chroma(sfolder)
            try:
                log(f"building {size} passages on chroma server :{port} (load {load()})")
                built = build(ServerIndex("127.0.0.1", port, PREFIX, cache_dir=work / "server-cache"),
                              size, data, signature)
                built["disk_mb_server_db"] = du_mb(sfolder / "db")
                # A replica on another folder: its first load builds the lexical index.
                built["serve"] = serve(work / "replica", args.repeat, args.encoder,
                                       server=f"127.0.0.1:{port}")
                report["runs"][f"{size}-server"] = built
            finally:
                process.terminate()
                process.wait(timeout=30)
    except BaseException as error:
        report["error"] = repr(error)  # what was measured so far is still saved
        raise
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        report["load_end"] = load()
        saved = RESULTS / time.strftime("bench_scale-%Y%m%d-%H%M%S.json")
        saved.write_text(json.dumps(report, indent=1))
        log(f"saved {saved}")

    if args.json:
        print(json.dumps(report))
    else:
        print_report(report)


def print_report(r: dict) -> None:
    print(f"model {r['model']}; cpus {r['cpu_count']}; load start {r['load_start']} end {r['load_end']}")
    print(f"VECTORS: {r['vectors']} ({r['topical_distractors']} topical distractors)")
    print(f"raw encoder {r['raw_encoder_passages_per_s']} passages/s (64 real 800-char passages; "
          f"load {r['load_after_raw_encoder']})")
    if r.get("real_distractor_encoding"):
        t = r["real_distractor_encoding"]
        print(f"encoding real distractors as ingest does ({t['passages']} passages + {t['sentences']} "
              f"sentences): {t['passages_per_s']} passages/s, {t['seconds']} s (load {t['load']}, {t['when']})")
    pi = r["product_ingest"]
    print(f"product ingest (5 seed docs, {pi['passages']} passages, passage+sentence vectors): "
          f"{pi['passages_per_s']} passages/s, product/raw {pi['ratio_product_over_raw']} (load {pi['load']})")
    for name, run in r["runs"].items():
        s = run["serve"]
        print(f"\n== {name}: {run['passages']} passages")
        if "write_passages_per_s" in run:
            print(f"  store writes: {run['write_passages_per_s']} passages/s "
                  f"({run['sentence_vectors']} sentence vectors too; {run['write_seconds']} s; "
                  f"load {run['load_after_write']}); languages {run['languages']}")
        disk = run.get("disk_mb", run.get("disk_mb_server_db"))
        lexical = f"; lexical index build {run['lexical_build_seconds']} s" if "lexical_build_seconds" in run else ""
        print(f"  disk {disk} MB{lexical}; model load {s['model_load_s']} s; retriever load "
              f"{s['retriever_load_s']} s (load {s['load_after_index_load']})")
        print(f"  ms p50/p95 over {s['queries_timed']} queries: floor {s['floor_ms']['p50']}/{s['floor_ms']['p95']}  "
              f"search {s['search_ms']['p50']}/{s['search_ms']['p95']} (x{s['search_over_floor_p50']})  "
              f"/api/ask {s['ask_ms']['p50']}/{s['ask_ms']['p95']} (x{s['ask_over_floor_p50']})  load {s['load_after_queries']}")
        print(f"  without the query embedding, ms p50/p95: floor {s['floor_no_embed_ms']['p50']}/"
              f"{s['floor_no_embed_ms']['p95']}  search {s['search_no_embed_ms']['p50']}/"
              f"{s['search_no_embed_ms']['p95']} (x{s['search_no_embed_over_floor_no_embed_p50']})")
        print(f"  search profile, mean ms/query: {s['search_profile_mean_ms']}")
        print(f"  /api/ask profile, mean ms/query: {s['ask_profile_mean_ms']}")
        real = f"{run['real_vector_distractors']} real-vector + {run['synthetic_vector_distractors']} " \
               "synthetic-vector distractors" if "real_vector_distractors" in run else "no distractors"
        print(f"  quality on {DEV.name}: hit@1 {s['quality']['hit@1']} hit@5 {s['quality']['hit@5']} "
              f"({s['quality']['questions']} questions; {real})")
        print(f"  peak RSS serving process {s['peak_rss_mb_vmhwm']} MB (load end {s['load_end']})")


if __name__ == "__main__":
    main()
