"""Turn command-line PATH arguments into the list of files to land.

Only regular files are landed (a named pipe, socket or device could block a read forever). Links
are followed, but no folder is walked twice, so a link back up the tree ends the walk instead of
looping, and a file reachable under several names lands once, under the first name found.
"""

from __future__ import annotations

import fnmatch
import glob
import logging
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("ingest")

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
LANDABLE_SUFFIXES = JSON_SUFFIXES + tuple(s + ".gz" for s in JSON_SUFFIXES)
STDIN = "-"
RECURSIVE = "**"


class UsageError(Exception):
    """A PATH argument names nothing that can be read (exit code 2)."""


@dataclass(frozen=True)
class Source:
    path: Path  # what DuckDB reads
    name: str  # what lineage records (``<stdin>`` for standard input)
    is_spooled: bool = False  # a temporary copy of stdin, removed once landed


def is_landable(path: Path) -> bool:
    return path.name.lower().endswith(LANDABLE_SUFFIXES)


def special_kind(mode: int) -> str | None:
    """What a file of this mode is when it is not a regular file or a folder."""
    for test, kind in (
        (stat.S_ISFIFO, "named pipe"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "device"),
        (stat.S_ISBLK, "device"),
    ):
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else "special file"


def _identity(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_dev, info.st_ino


def _walk_once(
    folder: Path, walked: set[tuple[int, int]], problems: list[str]
) -> Iterator[tuple[Path, list[str], list[str]]]:
    """``os.walk`` of ``folder`` (sorted, following links) that enters no folder of ``walked``
    and adds each folder it enters to it."""

    def onerror(err: OSError) -> None:
        problems.append(f"{err.filename}: cannot read folder: {err.strerror}")

    walked.add(_identity(folder))
    for root, dirs, files in os.walk(folder, onerror=onerror, followlinks=True):
        kept = []
        for name in sorted(dirs):
            path = Path(root) / name
            try:
                key = _identity(path)
            except OSError as err:
                problems.append(f"{path}: cannot read folder: {err.strerror}")
                continue
            if key in walked:
                log.info("%s: skipped (a folder already walked, reached again through a link)", path)
                continue
            walked.add(key)
            kept.append(name)
        dirs[:] = kept
        yield Path(root), kept, sorted(files)


def _matches(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """Whether path components match glob components (``**``: any number of folders); as in
    ``glob``, a hidden name matches only a component that starts with a dot."""
    if not pattern:
        return not parts
    if pattern[0] == RECURSIVE:
        for skipped in range(len(parts) + 1):
            if _matches(parts[skipped:], pattern[1:]):
                return True
            if skipped < len(parts) and parts[skipped].startswith("."):
                return False
        return False
    return (
        bool(parts)
        and (not parts[0].startswith(".") or pattern[0].startswith("."))
        and fnmatch.fnmatchcase(parts[0], pattern[0])
        and _matches(parts[1:], pattern[1:])
    )


def expand_glob(pattern: str, problems: list[str]) -> list[Path]:
    """The paths a glob matches, sorted. A ``**`` component walks folders once each (following
    links, never in a loop); Python's own recursive glob follows a link back up the tree until
    the name is too long."""
    parts = Path(pattern).parts
    if RECURSIVE not in parts:
        return sorted(map(Path, glob.glob(pattern)))
    at = parts.index(RECURSIVE)
    bases = [Path(*parts[:at])] if at else [Path(".")]
    if glob.has_magic(str(bases[0])):
        bases = [p for p in map(Path, sorted(glob.glob(str(bases[0])))) if p.is_dir()]
    rest = parts[at:]
    found: list[Path] = []
    for base in bases:
        if not base.is_dir():
            continue
        for root, dirs, files in _walk_once(base, set(), problems):
            relative = root.relative_to(base).parts
            found += [root / name for name in dirs + files if _matches(relative + (name,), rest)]
            if _matches(relative, rest):
                found.append(root)
    return sorted(set(found))


class _Found:
    """The files found so far, each real file once (by device and inode), in the order found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        self.sources: list[Source] = []
        self.files: dict[tuple[int, int], Path] = {}
        self.folders: set[tuple[int, int]] = set()

    def add_file(self, path: Path, named: bool) -> bool:
        """Add one file (``named``: given as an argument, landed whatever its name); whether it was."""
        if not named and not is_landable(path):
            log.info("%s: skipped (not a JSON/NDJSON file)", path)
            return False
        try:
            info = path.stat()
        except OSError as err:
            self.problems.append(f"{path}: cannot read: {err.strerror}")
            return False
        kind = special_kind(info.st_mode)
        if kind is not None:
            if named:
                raise UsageError(
                    f"{path}: not a regular file ({kind}); to land a stream, pipe it to `python -m ingest -`"
                )
            log.warning("%s: skipped (not a regular file: %s)", path, kind)
            return False
        key = (info.st_dev, info.st_ino)
        if key in self.files:
            log.info("%s: skipped (the same file as %s)", path, self.files[key])
            return False
        self.files[key] = path
        self.sources.append(Source(path, str(path)))
        return True

    def add_folder(self, folder: Path) -> None:
        if _identity(folder) in self.folders:
            log.info("%s: skipped (a folder already walked)", folder)
            return
        files = landable = 0
        for root, _, names in _walk_once(folder, self.folders, self.problems):
            for path in (root / name for name in names):
                files += 1
                landable += is_landable(path)
                self.add_file(path, named=False)
        if landable == 0:
            log.warning("%s: no JSON/NDJSON files in this folder (other files skipped: %d)", folder, files)


def spool_stdin() -> Path:
    """Copy standard input to a temporary file in chunks, so DuckDB can read it like any file."""
    with tempfile.NamedTemporaryFile(prefix="ingest-stdin-", suffix=".json", delete=False) as handle:
        shutil.copyfileobj(sys.stdin.buffer, handle, 1 << 20)
    return Path(handle.name)


def discover(arguments: list[str], problems: list[str]) -> list[Source]:
    """Expand files, folders (recursive), globs and ``-``; what cannot be read goes to ``problems``.
    A path that exists is taken as it is, never as a glob."""
    found = _Found(problems)
    for argument in arguments:
        if argument == STDIN:
            found.sources.append(Source(spool_stdin(), "<stdin>", is_spooled=True))
            continue
        path = Path(argument)
        if path.is_dir():
            if not os.access(path, os.R_OK | os.X_OK):
                problems.append(f"{path}: cannot read folder: permission denied")
                continue
            found.add_folder(path)
        elif os.path.lexists(path):
            found.add_file(path, named=True)
        else:
            matches = expand_glob(argument, problems)
            if not matches:
                raise UsageError(f"{argument}: no such file, folder or glob match")
            for match in matches:
                if match.is_dir():
                    found.add_folder(match)
                else:
                    found.add_file(match, named=False)
    return found.sources
