"""Load on loopback: concurrent clients on /api/ask, /api/ask/stream and the Gradio chat.

    .venv/bin/python benchmarks/load.py [--seconds 60] [--clients 20] [--encoder e5-small]
                                        [--index DIR] [--json]

Indexes the seed corpus into a temporary folder (or uses `--index`), starts `assistant serve`
on 127.0.0.1 as its own process, then runs `--clients` threads for `--seconds`, each cycling
through the three kinds of request with the held-out questions: a plain ask, a streamed ask
(timed to its `done` event) and a chat question through Gradio's queue (`queue/join`, then
`queue/data` to `process_completed`; a new chat session every three questions). Prints, per
kind and overall: requests, errors, p50/p95/p99 latency, throughput, and the server's peak RSS
(VmHWM), and the CPU time used by the server and by this load generator (they share the
machine's cores). The per-client rate limits (30 asks a minute by default) would turn most of this into
429s from one address: the server is started with ASSISTANT_RATE_LIMIT,
ASSISTANT_SEARCH_RATE_LIMIT and ASSISTANT_FEEDBACK_RATE_LIMIT raised; every other setting,
the chat's concurrency included, is the product's default or the caller's environment.
Goals (issue 12): 0 errors, /api/ask p95 <= 1.5 s, chat p95 <= 3 s, RSS <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from live_server import ChatError, GradioChat, ServerProcess, rss_peak_mb, run_cli  # noqa: E402

QUESTIONS = [json.loads(line)["q"] for line in
             (REPO / "benchmarks" / "heldout_questions.jsonl").read_text(encoding="utf-8").splitlines()]
KINDS = ("ask", "stream", "chat")
UNLIMITED = "1000000/minute"
GOALS = {"ask": 1.5, "chat": 3.0}  # p95 seconds
RSS_GOAL_MB = 1536
TIMEOUT = 120.0


class Client(threading.Thread):
    """One user: the three kinds of request in turn, from its own connection and chat session."""

    def __init__(self, number: int, url: str, config: dict, deadline: float,
                 results: list[tuple[str, float, str | None]], lock: threading.Lock) -> None:
        super().__init__(name=f"client-{number}", daemon=True)
        self.number, self.url, self.config, self.deadline = number, url, config, deadline
        self.results, self.lock = results, lock

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=TIMEOUT) as http:
            chat, asked_in_chat, turn = GradioChat(http, self.config), 0, self.number
            while time.monotonic() < self.deadline:
                kind, question = KINDS[turn % 3], QUESTIONS[turn % len(QUESTIONS)]
                turn += 1
                if kind == "chat" and asked_in_chat == 3:
                    chat, asked_in_chat = GradioChat(http, self.config), 0
                started = time.perf_counter()
                try:
                    error = request(http, chat, kind, question)
                except (httpx.HTTPError, ChatError) as exc:
                    error = f"{type(exc).__name__}: {exc}"[:200]
                asked_in_chat += kind == "chat"
                with self.lock:
                    self.results.append((kind, time.perf_counter() - started, error))


def request(http: httpx.Client, chat: GradioChat, kind: str, question: str) -> str | None:
    """One request of `kind`; the error it met, or None."""
    if kind == "chat":
        reply = json.dumps(chat.ask(question)[-1], ensure_ascii=False)
        return None if '"role": "assistant"' in reply else f"no answer in the chat: {reply[:120]}"
    if kind == "ask":
        reply = http.post("/api/ask", json={"question": question})
        return None if reply.status_code == 200 else f"{reply.status_code}: {reply.text[:120]}"
    with http.stream("POST", "/api/ask/stream", json={"question": question}) as reply:
        if reply.status_code != 200:
            return f"{reply.status_code}: {reply.read()[:120]!r}"
        events = [line for line in reply.iter_lines() if line.startswith("event:")]
    return None if "event: done" in events else f"stream ended with {events[-1:]}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (/proc/PID/stat, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summarise(results: list[tuple[str, float, str | None]], seconds: float) -> dict:
    rows = {}
    for kind in (*KINDS, "all"):
        picked = [r for r in results if kind in (r[0], "all")]
        latencies = [r[1] for r in picked if r[2] is None]
        rows[kind] = {"requests": len(picked), "errors": sum(r[2] is not None for r in picked),
                      "p50_s": percentile(latencies, 50), "p95_s": percentile(latencies, 95),
                      "p99_s": percentile(latencies, 99),
                      "per_second": len(picked) / seconds}
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--encoder", default=None, help="ASSISTANT_ENCODER for the server")
    parser.add_argument("--index", type=Path, default=None,
                        help="an index of the seed corpus built with the same encoder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="load-") as scratch:
        root = Path(scratch)
        env = {**os.environ, "ASSISTANT_RATE_LIMIT": UNLIMITED,
               "ASSISTANT_SEARCH_RATE_LIMIT": UNLIMITED, "ASSISTANT_FEEDBACK_RATE_LIMIT": UNLIMITED,
               "ASSISTANT_CORPUS_DIR": str(REPO / "corpus"),
               "ASSISTANT_INDEX_DIR": str((args.index or root / "index").resolve()),
               "ASSISTANT_FEEDBACK_DIR": str(root / "feedback")}
        if args.encoder:
            env["ASSISTANT_ENCODER"] = args.encoder
        if args.index is None:
            print("indexing the seed corpus ...", file=sys.stderr, flush=True)
            run_cli(["ingest"], env, root, root, "ingest")
        server = ServerProcess(env, root, root)
        try:
            health = server.wait_ready()
            with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
                config = GradioChat.fetch_config(http)
                for kind in KINDS:  # warm-up: first calls load lazily built parts
                    if error := request(http, GradioChat(http, config), kind, QUESTIONS[0]):
                        raise SystemExit(f"warm-up {kind} failed: {error}")
            rss_ready = rss_peak_mb(server.pid)
            print(f"{args.clients} clients for {args.seconds:.0f} s on {server.url} "
                  f"({health['model']}) ...", file=sys.stderr, flush=True)
            results: list[tuple[str, float, str | None]] = []
            lock = threading.Lock()
            server_cpu, client_cpu = cpu_seconds(server.pid), own_cpu_seconds()
            started = time.monotonic()
            clients = [Client(i, server.url, config, started + args.seconds, results, lock)
                       for i in range(args.clients)]
            for client in clients:
                client.start()
            for client in clients:
                client.join(timeout=args.seconds + TIMEOUT + 30)
            elapsed = time.monotonic() - started
            server_cpu = cpu_seconds(server.pid) - server_cpu
            client_cpu = own_cpu_seconds() - client_cpu
            rss_peak = rss_peak_mb(server.pid)
        finally:
            server.stop()

    report = {"encoder": health["model"], "clients": args.clients, "seconds": round(elapsed, 1),
              "rss_peak_mb": round(rss_peak, 1), "rss_ready_mb": round(rss_ready, 1),
              "server_cpu_s": round(server_cpu, 1), "client_cpu_s": round(client_cpu, 1),
              "server_cpu_ms_per_request": round(1000 * server_cpu / max(len(results), 1), 1),
              "kinds": summarise(results, elapsed),
              "errors_seen": sorted({r[2] for r in results if r[2]})[:5]}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


def print_report(report: dict) -> None:
    print(f"encoder {report['encoder']}: {report['clients']} clients, {report['seconds']} s on loopback")
    print(f"{'':8}{'requests':>9}{'errors':>8}{'p50 s':>8}{'p95 s':>8}{'p99 s':>8}{'req/s':>8}")
    for kind, row in report["kinds"].items():
        print(f"{kind:8}{row['requests']:>9}{row['errors']:>8}{row['p50_s']:>8.2f}"
              f"{row['p95_s']:>8.2f}{row['p99_s']:>8.2f}{row['per_second']:>8.2f}")
    print(f"server peak RSS {report['rss_peak_mb']:.0f} MB (ready, after warm-up: "
          f"{report['rss_ready_mb']:.0f} MB)")
    print(f"CPU: server {report['server_cpu_s']} s ({report['server_cpu_ms_per_request']} ms "
          f"per request), this load generator {report['client_cpu_s']} s, of "
          f"{os.cpu_count()} cores x {report['seconds']} s")
    for error in report["errors_seen"]:
        print(f"  error: {error}")
    kinds = report["kinds"]
    print("goals: 0 errors {}; /api/ask p95 <= 1.5 s {}; chat p95 <= 3 s {}; RSS <= 1.5 GB {}".format(
        *("met" if ok else "MISSED" for ok in (
            kinds["all"]["errors"] == 0, kinds["ask"]["p95_s"] <= GOALS["ask"],
            kinds["chat"]["p95_s"] <= GOALS["chat"], report["rss_peak_mb"] <= RSS_GOAL_MB))))


if __name__ == "__main__":
    sys.exit(main())
