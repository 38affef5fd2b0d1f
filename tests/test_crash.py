"""kill -9 during real ingest processes, through benchmarks/crash.py with 4 kills instead of 20.

Each kill interrupts a rebuild or an incremental ingest at a moment spread over its run; the
index a fresh reader then sees must be exactly a clean ingest of the corpus before or after,
and the ingest run again must equal a clean ingest of its corpus (see the benchmark).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "crash.py"
KILLS = 4


@pytest.mark.slow
def test_kill_9_during_ingests_never_breaks_the_index(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--kills", str(KILLS), "--budget", "40", "--json",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=150,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert (result["kills"], result["broken"]) == (KILLS, 0)
    assert result["matching_clean"] == result["resumed_matching_clean"] == KILLS
    runs = result["runs"]
    assert [(r["kind"], r["towards"]) for r in runs] == [
        ("incremental", "B"), ("incremental", "A"), ("rebuild", "B"), ("rebuild", "A")]
    # Each kill hit a running ingest, and left either side of the change live.
    assert all(r["live_after_kill"] in ("A", "B") and not r["broken"] for r in runs)
    assert all(r["live_after_kill"] == r["towards"] or not r["published"] for r in runs)
    assert all(0 <= r["moment_s"] <= result["durations_s"][f"{r['kind']} to {r['towards']}"]
               for r in runs)
    assert f"broken indexes: 0 of {KILLS} kills" in done.stderr
