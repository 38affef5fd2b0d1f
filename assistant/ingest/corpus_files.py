"""Which files of a corpus folder are read, and reading them without leaving the folder.

A corpus is untrusted input: a link can point at /etc/passwd, a name need not be text, a
named pipe blocks its reader forever. Listing never follows a symbolic link, and a file is
then opened without following one and must still be the regular file that was listed, so
nothing outside the corpus folder is ever read. A hard link is indexed as the ordinary file
it is: under Linux's fs.protected_hardlinks (on by default) one can only hard-link a file one
owns or may write, so it publishes nothing its creator could not have copied in.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from assistant.errors import InputError
from assistant.types import Skipped

# Characters that would break the one-line reason or the terminal that prints it.
_CONTROL_CATEGORIES = {"Cc", "Zl", "Zp"}
_REASON_MAX_CHARS = 200


class UnreadableFile(Exception):
    """A reason to skip a file; the message is the Skipped reason."""


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    rel: str  # relative to the corpus, '/'-separated: document ids and reasons use it
    identity: tuple[int, int]  # (st_dev, st_ino) when listed: a swapped file is noticed
    size: int


def list_corpus(root: Path, ignore: Callable[[str], bool]) -> Iterator[CorpusFile | Skipped]:
    """Files under `root` (hidden ones and those `ignore(rel)` names aside), sorted, files
    before subfolders; a Skipped for each link, special file, bad name or unreadable folder.

    Folders are opened relative to their parent's descriptor without following links, and
    each file's identity is taken there: a folder swapped for a link while this runs leads
    nowhere (see open_listed)."""
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"Corpus folder not found: {root}") from None
    except OSError as error:  # never an empty listing: that would empty the index
        raise InputError(f"Corpus folder cannot be read: {root} ({error.strerror})") from None
    try:
        yield from _walk(fd, root, "", ignore)
    finally:
        os.close(fd)


def _walk(fd: int, root: Path, prefix: str,
          ignore: Callable[[str], bool]) -> Iterator[CorpusFile | Skipped]:
    try:
        with os.scandir(fd) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
        # Listed now, while `fd` is this very folder; yielded later.
        files = [item for entry in entries if (item := _file(entry, root, prefix, ignore))]
    except OSError as error:
        yield Skipped(display(prefix) or ".", f"folder cannot be read: {error.strerror}")
        return
    yield from files
    for entry in entries:
        rel = prefix + entry.name
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            continue
        if problem := _name_problem(entry.name):
            yield Skipped(display(rel) + "/", f"folder {problem}")
            continue
        try:
            child = open_folder(entry.name, fd)
        except OSError as error:
            yield Skipped(display(rel) + "/", f"folder cannot be read: {error.strerror}")
            continue
        try:
            yield from _walk(child, root, rel + "/", ignore)
        finally:
            os.close(child)


def open_folder(name: str, parent: int) -> int:
    """A subfolder's descriptor, opened in `parent` itself; a link there is refused."""
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                   dir_fd=parent)


def _file(entry: os.DirEntry, root: Path, prefix: str,
          ignore: Callable[[str], bool]) -> CorpusFile | Skipped | None:
    """The entry as a file to read, a Skipped, or None (a folder, hidden, or ignored)."""
    rel = prefix + entry.name
    if entry.name.startswith(".") or entry.is_dir(follow_symlinks=False) or ignore(rel):
        return None
    if entry.is_symlink():
        return Skipped(display(rel), "symbolic link, not followed: only files inside the "
                                     "corpus folder are read")
    if problem := _name_problem(entry.name):
        return Skipped(display(rel), f"file {problem}")
    if not entry.is_file(follow_symlinks=False):
        return Skipped(display(rel), "not a regular file (a pipe, socket or device)")
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError as error:  # gone since the folder was listed
        return Skipped(display(rel), f"unreadable file: {error.strerror}")
    return CorpusFile(root / rel, rel, (info.st_dev, info.st_ino), info.st_size)


def _name_problem(name: str) -> str | None:
    try:
        name.encode("utf-8")  # undecodable bytes arrive as lone surrogates (surrogateescape)
    except UnicodeEncodeError:
        return "name is not valid UTF-8"
    if any(unicodedata.category(char) in _CONTROL_CATEGORIES for char in name):
        return "name contains control characters"
    return None


def display(rel: str) -> str:
    """A printable one-line form of a path: undecodable bytes and controls as escapes."""
    text = os.fsencode(rel).decode("utf-8", "backslashreplace")
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


def open_listed(file: CorpusFile) -> BinaryIO:
    """The listed file, opened without following a link; refused if it is no longer that
    file (replaced by a link, or a folder on its path swapped for one)."""
    handle = open_regular(file.path)
    info = os.fstat(handle.fileno())
    if (info.st_dev, info.st_ino) != file.identity:
        handle.close()
        raise UnreadableFile("file changed while being read")
    return handle


def open_regular(path: Path) -> BinaryIO:
    """`path` for reading if it is a regular file and not a link (a sidecar is not listed)."""
    # O_NONBLOCK: opening a named pipe would otherwise wait for a writer, forever.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableFile("not a regular file (a pipe, socket or device)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def reason(error: BaseException) -> str:
    """One line, without the file name an OSError carries (an absolute path)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return one_line(error)


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:_REASON_MAX_CHARS] or type(error).__name__
