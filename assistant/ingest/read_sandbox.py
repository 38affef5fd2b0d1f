"""Reading one file's text in a child process, within a time and a memory limit.

A parser is C code as often as Python: lexbor takes minutes over HTML nested 200,000 deep
(quadratic in depth), pypdf can inflate streams far past a file's size. Neither can be
interrupted from inside, so each file is read by a worker process that the ingest can kill:
a file that takes longer than `seconds` is skipped and the worker replaced; the worker's
address space is capped (RLIMIT_AS) at what it held after its imports plus `memory_bytes`,
so a parser that needs more gets a MemoryError, reported as one Skipped.

The worker is a fresh interpreter (`python -m assistant.ingest.read_sandbox`, the readers'
modules imported before its memory cap), never a fork of the ingest, which holds torch's
threads. Not a multiprocessing worker either: a spawned or fork-server worker runs the
caller's main script again (a script calling `kb.ingest()` would run twice), and a process
forked after its parent started the fork server cannot wait on it ("No child processes"),
which skipped every file.
It reads only bytes it is sent, never a path. If the ingest dies (kill -9), the worker sees
its pipe close and exits.
"""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from assistant.ingest.corpus_files import UnreadableFile, one_line

_MB = 2**20
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # so the worker imports this copy


class ReaderFailed(Exception):
    """The reader raised on a malformed file; the message is one line, safe to print."""


def _address_space() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _serve(jobs: Connection, replies: Connection, memory_bytes: int) -> None:
    """The worker: one job at a time, (function, args) in, (kind, value) out."""
    import assistant.ingest.extractors  # noqa: F401  (the parsers, before the memory cap)

    # The parsers' warnings ("EOF marker not found") would reach the terminal beside the
    # progress bar; what matters comes back as the Skipped reason.
    logging.getLogger().addHandler(logging.NullHandler())
    base = _address_space()
    if base is not None:
        limit = base + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            function, args = jobs.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", function(*args))
        except MemoryError:
            reply = ("memory", None)
        except UnreadableFile as error:
            reply = ("unreadable", str(error))
        except Exception as error:  # noqa: BLE001  (a parser's own error: one line back)
            reply = ("failed", one_line(error))
        try:
            replies.send(reply)
        except MemoryError:
            replies.send(("memory", None))
        except OSError:  # the ingest is gone
            return


class ReaderProcess:
    """A worker process for `run`, started on first use, replaced after a kill or a crash."""

    def __init__(self, seconds: float, memory_bytes: int) -> None:
        self.seconds = seconds
        self.memory_bytes = memory_bytes
        self._process: subprocess.Popen | None = None
        self._jobs: Connection | None = None
        self._replies: Connection | None = None

    def __enter__(self) -> ReaderProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _start(self) -> None:
        jobs_read, jobs_write = os.pipe()
        replies_read, replies_write = os.pipe()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, (str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH"))))}
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "assistant.ingest.read_sandbox", str(jobs_read),
                 str(replies_write), str(self.memory_bytes)],
                pass_fds=(jobs_read, replies_write), stdin=subprocess.DEVNULL, env=env)
        finally:
            os.close(jobs_read)
            os.close(replies_write)
        self._jobs = Connection(jobs_write, readable=False)
        self._replies = Connection(replies_read, writable=False)

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` in the worker. UnreadableFile for a file over a limit (the
        reason says which) or one the reader raised UnreadableFile on; ReaderFailed for any
        other error of the reader."""
        if self._process is None:
            self._start()
        try:
            self._jobs.send((function, args))
            if not self._replies.poll(self.seconds):
                self.close()
                raise UnreadableFile(f"took more than {self.seconds:g} s to read, the limit "
                                     "(ASSISTANT_MAX_PARSE_SECONDS)")
            kind, value = self._replies.recv()
        except (EOFError, OSError):  # the worker died: killed by the OS, or a parser crashed
            code = self._process.poll() if self._process is not None else None
            self.close()
            raise UnreadableFile(f"the reader process ended while reading it (exit {code})") from None
        if kind == "ok":
            return value
        if kind == "memory":
            self.close()  # a fresh worker for the next file
            raise UnreadableFile(f"needs more than {self.memory_bytes / _MB:.3g} MB of memory to "
                                 "read, the limit (ASSISTANT_MAX_PARSE_MEMORY_BYTES)")
        if kind == "unreadable":
            raise UnreadableFile(value)
        raise ReaderFailed(value)

    def close(self) -> None:
        process, connections = self._process, (self._jobs, self._replies)
        self._process = self._jobs = self._replies = None
        for connection in connections:
            if connection is not None:
                connection.close()
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1]), writable=False),
           Connection(int(sys.argv[2]), readable=False), int(sys.argv[3]))
