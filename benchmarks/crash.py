"""kill -9 during ingests: how many kills leave a broken index, out of --kills.

    python benchmarks/crash.py [--kills 20] [--budget 300] [--seed 1] [--workdir DIR] [--json]

Two corpora: A (the seeds and 12 generated documents) and B (A with one document changed,
one deleted and four added). Each is first ingested cleanly into an index of its own: the
references. The working index then alternates between them: each kill interrupts one
ingest towards the other corpus (in turn incremental to B, to A, rebuild to B, to A) in a
real process, SIGKILL at a moment drawn over the duration measured for that kind of run
(stratified, so the kills spread over the whole run). A fresh reader then opens the index.
It is broken if it cannot be opened, its counts disagree with its manifest, its saved
lexical index is missing, search does not answer, or it is not exactly a clean ingest of
the corpus before or after (every passage id, text, span, metadata, vector and sentence
vector, the manifest, the lexical index's scores). The interrupted ingest is then run again
to the end: it must equal the clean ingest of its corpus and leave no other generation.

The embedder is the tests' hashing fake with a pause per call (crash safety does not depend
on the vectors, and the pause gives the kills a window); the store is the real embedded
Chroma. Processes are forked from this one after the slow imports, and it never opens a
Chroma client itself (forking a process that has one is unsafe). Exit status 1 if any
index was broken or any run did not match.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for _path in (str(REPO), str(REPO / "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import chromadb  # noqa: E402,F401  (imported before forking, never opened here)
from fakes import HashingEmbedder  # noqa: E402

from assistant.ingest.chunking import sentence_spans  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.ingest.documents import iter_corpus  # noqa: E402
from assistant.search.language import detect_language  # noqa: E402
from assistant.search.lexical import SAVED_NAME, LexicalIndex  # noqa: E402
from assistant.pipeline import Pipeline  # noqa: E402
from assistant.search.generations import index_location, open_current  # noqa: E402
from assistant.types import Document  # noqa: E402

SEEDS = REPO / "corpus"
FORK = multiprocessing.get_context("fork")
DELAY_S = 0.04  # per encoder call
BATCH = 8  # passages per encoder call: a rebuild makes ~15 calls
CHILD_TIMEOUT_S = 120
QUERIES = (("collaborative housing in Brussel", "en"), ("coöperatief wonen", "nl"),
           ("logement coopératif", "fr"))


# --------------------------------------------------------------------------- corpora


def write_corpora(root: Path) -> tuple[Path, Path]:
    """A and B as folders; B changes, deletes and adds documents of A."""
    seeds = [d for d in iter_corpus(SEEDS) if isinstance(d, Document)]
    sentences = [s.strip() + "." for d in seeds for s in d.text.replace("\n", " ").split(".")
                 if len(s.strip()) > 40]
    rng = random.Random(7)
    a, b = root / "A", root / "B"
    shutil.copytree(SEEDS, a)
    for n in range(12):
        body = " ".join(rng.sample(sentences, 8))
        (a / f"extra_{n:03d}.txt").write_text(f"Extra document {n}\n\nCode extra{n:03d}. {body}\n",
                                              encoding="utf-8")
    shutil.copytree(a, b)
    changed = b / "extra_000.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nAanvulling: " +
                       " ".join(rng.sample(sentences, 4)) + "\n", encoding="utf-8")
    (b / "extra_001.txt").unlink()
    for n in range(12, 16):
        (b / f"extra_{n:03d}.txt").write_text(
            f"Added document {n}\n\nCode added{n:03d}. {' '.join(rng.sample(sentences, 8))}\n",
            encoding="utf-8")
    return a, b


def settings_for(index_dir: Path) -> Settings:
    return Settings(index_dir=index_dir, cache_dir=index_dir.parent / "cache",
                    collection_prefix="crash", chunk_chars=600, chunk_overlap_sentences=1,
                    embed_batch_size=BATCH, chroma_mode="embedded")


# --------------------------------------------------------------------------- in a child


class SlowEmbedder(HashingEmbedder):
    """The fake, pausing per call and counting calls where the parent can read them."""

    def __init__(self, calls) -> None:
        super().__init__()
        self.calls = calls

    def embed_passages(self, texts):
        time.sleep(DELAY_S)
        vectors = super().embed_passages(texts)
        self.calls.value += 1
        return vectors


@dataclass(frozen=True)
class Signals:
    """What an ingest process tells the parent, in shared memory (readable after a kill)."""

    started: Any = field(default_factory=FORK.Event)
    calls: Any = field(default_factory=lambda: FORK.Value("i", 0))  # encoder calls done
    published: Any = field(default_factory=lambda: FORK.Value("i", 0))
    seconds: Any = field(default_factory=lambda: FORK.Value("d", 0.0))  # set once it ended


def ingest_job(settings: Settings, corpus: Path, rebuild: bool, signals: Signals) -> None:
    pipeline = Pipeline(settings, embedder=SlowEmbedder(signals.calls))
    publish = pipeline.location.publish

    def publish_and_tell(generation: str, manifest: dict) -> None:
        publish(generation, manifest)
        signals.published.value = 1

    pipeline.location.publish = publish_and_tell
    began = time.perf_counter()
    signals.started.set()
    pipeline.ingest(corpus, rebuild=rebuild, show_progress=False)
    signals.seconds.value = time.perf_counter() - began


def snapshot(settings: Settings) -> dict:
    """What a fresh reader sees, checked for health; `content` compares exactly with a
    clean ingest's."""
    location = index_location(settings)
    store, manifest, generation = open_current(location)
    passages = sorted(store.iter_passages(), key=lambda p: p.passage_id)
    ids = [p.passage_id for p in passages]
    entries = manifest["documents"].values()
    _require(store.count() == len(ids) == manifest["passages"] == sum(e["passages"] for e in entries),
             "the store and its manifest disagree")
    lexical = LexicalIndex.load(location.derived_dir(generation) / SAVED_NAME)
    probes = np.random.default_rng(0).standard_normal((2, HashingEmbedder().dim)).astype(np.float32)
    scored = [{hit.passage.passage_id: hit for hit in store.score(ids, probe)} for probe in probes]
    hits = Pipeline(settings, embedder=HashingEmbedder()).retriever.search(QUERIES[0][0], k=5).hits
    _require(hits and all(h.passage.doc_id in manifest["documents"] for h in hits),
             "search does not answer from the manifest's documents")
    records = {
        p.passage_id: (p.doc_id, p.text, p.start, p.end, p.sentences, p.meta.as_flat_dict(),
                       [by_id[p.passage_id].dense for by_id in scored],
                       _bytes(scored[0][p.passage_id].sentence_vectors))
        for p in passages}
    content = {
        "passages": records,
        "manifest": {k: v for k, v in manifest.items() if k != "created"},
        # Every passage's score (in id order: passages stored in another order tie otherwise).
        "lexical": (sorted(lexical.ids), [sorted((i, round(s, 5)) for i, s in
                                                 lexical.search(q, lang, len(ids)))
                                          for q, lang in QUERIES]),
    }
    others = sorted(p.name for p in settings.index_dir.glob("gen-*") if p.name != generation)
    return {"generation": generation, "content": content, "others": others}


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise RuntimeError(problem)


def _bytes(rows: np.ndarray | None) -> bytes | None:
    return None if rows is None else np.asarray(rows).tobytes()


def clean_ingest(settings: Settings, corpus: Path, rebuild: bool = False) -> dict:
    Pipeline(settings, embedder=HashingEmbedder()).ingest(corpus, rebuild=rebuild,
                                                          show_progress=False)
    return snapshot(settings)


def in_child(function: Callable, *args):
    """`function(*args)` in a forked process; its result, or RuntimeError with its error."""
    receive, send = FORK.Pipe(duplex=False)

    def child() -> None:
        try:
            send.send(("ok", function(*args)))
        except BaseException as error:  # reported to the parent, which decides
            send.send(("error", f"{type(error).__name__}: {error}"))

    process = FORK.Process(target=child)
    process.start()
    send.close()  # the child's end only: a child that dies makes recv() fail, not hang
    try:
        if not receive.poll(CHILD_TIMEOUT_S):
            raise RuntimeError(f"{function.__name__} did not finish in {CHILD_TIMEOUT_S} s")
        outcome = receive.recv()
    except EOFError:
        outcome = ("error", f"{function.__name__} died")
    finally:
        process.kill()  # a no-op once it has ended
        process.join()
    if outcome[0] == "error":
        raise RuntimeError(outcome[1])
    return outcome[1]


# --------------------------------------------------------------------------- kills


def start_ingest(settings: Settings, corpus: Path, rebuild: bool) -> tuple[Any, Signals]:
    signals = Signals()
    process = FORK.Process(target=ingest_job, args=(settings, corpus, rebuild, signals))
    process.start()
    if not signals.started.wait(CHILD_TIMEOUT_S):
        process.kill()
        raise RuntimeError("the ingest process did not start")
    return process, signals


def timed_ingest(settings: Settings, corpus: Path, rebuild: bool) -> float:
    """Seconds an unkilled ingest takes (from its start to its return, not its exit)."""
    process, signals = start_ingest(settings, corpus, rebuild)
    process.join(CHILD_TIMEOUT_S)
    if process.exitcode != 0:
        raise RuntimeError(f"an unkilled ingest failed (exit {process.exitcode})")
    return signals.seconds.value


def kill_during(settings: Settings, corpus: Path, rebuild: bool, moment: float) -> dict:
    """Start an ingest and SIGKILL it `moment` s after it began. `ended_after` says how
    long it took when it ended before the kill (then it was no kill during an ingest)."""
    process, signals = start_ingest(settings, corpus, rebuild)
    time.sleep(moment)
    os.kill(process.pid, signal.SIGKILL)
    process.join(CHILD_TIMEOUT_S)
    if signals.seconds.value or process.exitcode != -signal.SIGKILL:
        return {"ended_after": signals.seconds.value}
    return {"encoder_calls": signals.calls.value, "published": bool(signals.published.value)}


def run(kills: int, budget: float, seed: int, workdir: Path, say: Callable[[str], None]) -> dict:
    began = time.perf_counter()
    a, b = write_corpora(workdir)
    corpora = {"A": a, "B": b}
    references = {name: in_child(clean_ingest, settings_for(workdir / f"ref-{name}" / "index"), path)
                  for name, path in corpora.items()}
    _require(references["A"]["content"] != references["B"]["content"], "A and B index alike")
    settings = settings_for(workdir / "work" / "index")
    in_child(clean_ingest, settings, a)
    durations = {}  # each kind of run towards each corpus, unkilled; the index ends on A
    for kind, target in (("incremental", "B"), ("incremental", "A"), ("rebuild", "B"),
                         ("rebuild", "A")):
        durations[f"{kind} to {target}"] = timed_ingest(settings, corpora[target], kind == "rebuild")
        _require(in_child(snapshot, settings)["content"] == references[target]["content"],
                 f"an unkilled {kind} ingest differs from a clean one")
    say("clean runs: " + ", ".join(f"{name} {s:.2f} s" for name, s in durations.items()) +
        f"; {len(references['A']['content']['passages'])} and "
        f"{len(references['B']['content']['passages'])} passages")
    live, rng, runs, early = "A", random.Random(seed), [], 0
    while len(runs) < kills and time.perf_counter() - began < budget:
        # Each group of four: incremental to B, to A, then rebuilds to B, to A.
        kind = ("incremental", "rebuild")[len(runs) % 4 // 2]
        target = "A" if live == "B" else "B"
        # Stratified: kill n of each kind and direction lands in its own slice of the run.
        per_slot = max(1, kills // 4)
        slot = (len(runs) // 4) % per_slot
        combination = f"{kind} to {target}"
        moment = durations[combination] * (slot + rng.random()) / per_slot
        phase = kill_during(settings, corpora[target], kind == "rebuild", moment)
        if "ended_after" in phase:  # no kill during an ingest: draw again, within its time
            early += 1
            durations[combination] = min(durations[combination], phase["ended_after"])
            in_child(clean_ingest, settings, corpora[live])  # back to where the kill starts
            continue
        runs.append(check_after_kill(settings, kind, moment, phase, live, target,
                                     corpora[target], references))
        say(format_run(len(runs), runs[-1]))
        live = target
    broken = sum(1 for r in runs if r["broken"])
    return {"kills": len(runs), "asked": kills, "broken": broken,
            "matching_clean": sum(1 for r in runs if r["matches_clean"]),
            "resumed_matching_clean": sum(1 for r in runs if r["resumed_matches_clean"]),
            "ended_before_kill": early, "seconds": round(time.perf_counter() - began, 1),
            "budget_s": budget, "durations_s": {k: round(v, 3) for k, v in durations.items()},
            "runs": runs}


def check_after_kill(settings, kind, moment, phase, live, target, corpus, references) -> dict:
    result = {"kind": kind, "towards": target, "moment_s": round(moment, 3), **phase}
    try:
        seen = in_child(snapshot, settings)
        same = [name for name in (live, target) if seen["content"] == references[name]["content"]]
        result.update(live_after_kill=same[0] if same else "neither", broken=not same,
                      matches_clean=bool(same), reason="" if same else "matches no clean ingest")
    except RuntimeError as error:  # the reader could not open or check it
        result.update(live_after_kill="none", broken=True, matches_clean=False, reason=str(error))
    try:
        resumed = in_child(clean_ingest, settings, corpus)
        result["resumed_matches_clean"] = (resumed["content"] == references[target]["content"]
                                           and not resumed["others"])
    except RuntimeError as error:
        result.update(resumed_matches_clean=False, reason=result["reason"] or str(error))
    return result


def format_run(n: int, r: dict) -> str:
    where = "published" if r["published"] else f"after {r['encoder_calls']:>2} encoder calls"
    return (f"kill {n:>2}  {r['kind']:<11} towards {r['towards']}  at {r['moment_s']:.2f} s "
            f"({where})  live: {r['live_after_kill']:<7} broken: {'YES' if r['broken'] else 'no '} "
            f"matches clean ingest: {'yes' if r['matches_clean'] else 'NO'}  resumed matches: "
            f"{'yes' if r['resumed_matches_clean'] else 'NO'}  {r['reason']}").rstrip()


def warm_up() -> None:
    """The lazy loads every ingest pays (sentence splitters, language model), done once
    here so each forked ingest starts at once."""
    for text, language in (("Klaar. Nu.", "nl"), ("Fini. Oui.", "fr"), ("Done. Yes.", "en")):
        sentence_spans(text, language)
        detect_language(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--budget", type=float, default=300,
                        help="seconds: no new kill starts after this")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None, help="kept; default: a temp dir")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()

    def say(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    warm_up()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="crash-"))
    try:
        result = run(args.kills, args.budget, args.seed, workdir, say)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
    say(f"broken indexes: {result['broken']} of {result['kills']} kills "
        f"({result['ended_before_kill']} ingests ended before their kill and were redrawn); "
        f"matching a clean ingest: {result['matching_clean']} of {result['kills']} after the "
        f"kill, {result['resumed_matching_clean']} of {result['kills']} once resumed; "
        f"{result['seconds']} s (budget {args.budget:.0f} s)")
    ok = (result["kills"] == args.kills and result["broken"] == 0
          and result["matching_clean"] == result["resumed_matching_clean"] == args.kills)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
