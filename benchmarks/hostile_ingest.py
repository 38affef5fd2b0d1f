"""A hostile corpus change against a clean ingest: what is skipped, what is lost, peak memory.

    python benchmarks/hostile_ingest.py [--workdir DIR] [--json]

Baseline: a real ingest (embedded Chroma; the tests' hashing embedder, since memory and
safety do not depend on the vectors) of the seed corpus plus the 160 housing documents of
../shared/train/housing-qa.jsonl (as .txt files and one JSONL export), in a fresh process:
its time and peak RSS (VmHWM). Then the corpus turns hostile and the same index is ingested
again, incrementally, in another fresh process, with the default limits (config.Settings):

  nested.html     2 MB of nested <div> (minutes to parse without the time cap)
  huge.txt        200 MB on disk (sparse)
  one-line.jsonl  one 300 MB record
  lying.docx      inflates to 400 MB while declaring 2 kB
  export.jsonl    an indexed export, one line rewritten 10,000 levels deep
  utf16.txt       an indexed document re-saved as UTF-16
  binary.txt      an indexed document overwritten by binary bytes

It prints each skip with its reason, the documents lost (indexed before, still named by the
corpus, absent after: must be 0), whether the index still opens and answers, and the hostile
run's time and peak RSS as ratios of the clean run's. Exit status 1 if a document was lost,
a hostile file was not skipped, or the index does not answer.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for _path in (str(REPO), str(REPO / "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from test_ingest_limits import write_hostile_files  # noqa: E402

from assistant.fitted.reader_data import HOUSING_QA  # noqa: E402

# Skipped with a reason; utf16.txt is read as the same document, so it is not among them.
HOSTILE = ("nested.html", "huge.txt", "one-line.jsonl", "lying.docx", "export.jsonl",
           "binary.txt")

# One ingest in a fresh interpreter: what it reports, the live documents, a search, its VmHWM.
_INGEST = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from fakes import HashingEmbedder
from assistant.config import Settings
from assistant.pipeline import Pipeline
pipeline = Pipeline(Settings(index_dir=Path(sys.argv[2])), embedder=HashingEmbedder())
start = time.perf_counter()
report = pipeline.ingest(Path(sys.argv[1]), show_progress=False)
seconds = time.perf_counter() - start
hits = pipeline.search("huurpremie wachtlijst sociale huurwoning", k=5).hits
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "answers": bool(hits),
                  "documents": sorted(pipeline.location.current()[1]["documents"]),
                  "skipped": [[s.path, s.reason] for s in report.skipped],
                  "removed": report.removed_documents, "kept": report.kept_documents}))
"""


def run_ingest(corpus: Path, index: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _INGEST, str(corpus), str(index),
                           str(REPO / "tests")], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    if done.returncode != 0:
        sys.exit(f"ingest failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def clean_corpus(corpus: Path) -> None:
    """The seeds, the housing documents as text files, and twenty of them as one export."""
    for seed in (REPO / "corpus").iterdir():
        if seed.is_file() and seed.name != "README.md":
            (corpus / seed.name).write_bytes(seed.read_bytes())
    records = [json.loads(line) for line in HOUSING_QA.open(encoding="utf-8")]
    for record in records[22:]:
        (corpus / f"{record['doc_id']}.txt").write_text(record["text"], encoding="utf-8")
    (corpus / "export.jsonl").write_text("".join(
        json.dumps({"id": r["doc_id"], "text": r["text"], "title": r["title"]}) + "\n"
        for r in records[:20]), encoding="utf-8")
    (corpus / "utf16.txt").write_text(records[20]["text"], encoding="utf-8")
    (corpus / "binary.txt").write_text(records[21]["text"], encoding="utf-8")


def make_hostile(corpus: Path) -> None:
    write_hostile_files(corpus)  # nested.html, huge.txt, one-line.jsonl, lying.docx
    lines = (corpus / "export.jsonl").read_text(encoding="utf-8").splitlines()
    lines[2] = '{"id": "deep", "text": "x", "extra": ' + "[" * 10_000 + "]" * 10_000 + "}"
    (corpus / "export.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = (corpus / "utf16.txt").read_text(encoding="utf-8")
    (corpus / "utf16.txt").write_bytes(text.encode("utf-16"))
    (corpus / "binary.txt").write_bytes(b"\0\x01binary\0" * 50)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="keep the corpus and index here")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="hostile-"))
    corpus, index = work / "corpus", work / "index"
    corpus.mkdir(parents=True)

    clean_corpus(corpus)
    clean = run_ingest(corpus, index)
    make_hostile(corpus)
    started = time.perf_counter()
    hostile = run_ingest(corpus, index)
    wall = time.perf_counter() - started

    skipped = dict(hostile["skipped"])
    lost = sorted(set(clean["documents"]) - set(hostile["documents"]))
    not_skipped = [name for name in HOSTILE if name not in skipped]
    figures = {
        "clean": {k: clean[k] for k in ("seconds", "peak_mb")} | {
            "documents": len(clean["documents"])},
        "hostile": {k: hostile[k] for k in ("seconds", "peak_mb", "removed", "kept")} | {
            "documents": len(hostile["documents"]), "wall_s": wall},
        "time_ratio": hostile["seconds"] / clean["seconds"],
        "peak_rss_ratio": hostile["peak_mb"] / clean["peak_mb"],
        "lost": lost, "not_skipped": not_skipped, "answers": hostile["answers"],
        "skipped": skipped,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"clean ingest: {len(clean['documents'])} documents, {clean['seconds']:.1f} s, "
              f"peak RSS {clean['peak_mb']:.0f} MB")
        print(f"hostile ingest: {hostile['seconds']:.1f} s (x{figures['time_ratio']:.2f}), "
              f"peak RSS {hostile['peak_mb']:.0f} MB (x{figures['peak_rss_ratio']:.2f}), "
              f"{hostile['kept']} kept, {hostile['removed']} removed")
        for path, reason in sorted(skipped.items()):
            print(f"  skipped {path}: {reason}")
        print(f"documents lost: {len(lost)} {lost or ''}; hostile files not skipped: "
              f"{not_skipped or 0}; index answers: {hostile['answers']}")
    return 1 if lost or not_skipped or not hostile["answers"] else 0


if __name__ == "__main__":
    sys.exit(main())
