"""Model folders in the cache: built once, in a staging folder, published by one rename.

Every prepared model (e5-small, its int8 ONNX graph, EmbeddingGemma) is built the same way:
one builder at a time under a file lock, into a hidden staging folder that a crashed build
leaves behind for the next run to delete, and only a folder that passed its own checks is
renamed into place, so a reader never sees a half-built model.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from filelock import FileLock

from assistant.config import Settings
from assistant.errors import ModelNotPreparedError


def build_once(cache_dir: Path, name: str, is_ready: Callable[[Path], bool],
               build: Callable[[Path], None], *, force: bool = False) -> Path:
    """`cache_dir / name`, built by `build(staging)` unless `is_ready` already accepts it.

    `build` must raise (a ModelNotPreparedError with a user-safe message) on any failed check;
    then nothing is published and the previous folder, if any, stays.
    """
    cache_dir = Path(cache_dir)
    target = cache_dir / name
    if not force and is_ready(target):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    # `make run` and the tests may prepare at once; the others wait and reuse the folder.
    with FileLock(str(cache_dir / f".{name}.lock")):
        if not force and is_ready(target):
            return target
        for stale in cache_dir.glob(f".{name}.*-*"):  # crashed builds, often hundreds of MB
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.building-", dir=cache_dir))
        staging.chmod(0o755)  # mkdtemp is owner-only; a service user may need to read it
        try:
            build(staging)
            if target.exists():  # a rename is atomic: the old folder is moved aside first
                old = target.with_name(f".{name}.old-{os.getpid()}")
                target.rename(old)
                shutil.rmtree(old, ignore_errors=True)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def prepared_from_command_line(argv: Sequence[str] | None, description: str,
                               prepare: Callable[..., Path],
                               marker: str) -> tuple[Path, dict] | None:
    """A model builder's `python -m` (`--cache-dir`, `--force`): the built folder and its
    marker file read, or None once the error is printed (exit status 1)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--cache-dir", type=Path, help="Default: ASSISTANT_CACHE_DIR or ~/.cache/housing-assistant."
    )
    parser.add_argument("--force", action="store_true", help="Rebuild even if already verified.")
    args = parser.parse_args(argv)
    try:
        folder = prepare(args.cache_dir or Settings().cache_dir, force=args.force)
    except ModelNotPreparedError as error:
        print(f"error: {error}", file=sys.stderr)
        return None
    return folder, json.loads((folder / marker).read_text(encoding="utf-8"))
