"""The server's JSON-lines files (insight's asks, the feedback log): read them, and rewrite
one in a single rename."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path


def entries(path: Path) -> Iterator[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            yield entry


def keep_lines(path: Path, keep: Callable[[dict], bool]) -> None:
    if not path.exists():
        return
    kept = [json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries(path) if keep(entry)]
    write_text(path, "".join(kept))


def write_text(path: Path, text: str) -> None:
    """Replace in one rename: a crash leaves the old file or the new one, never half."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
