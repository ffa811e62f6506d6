"""Turn command-line PATH arguments into the list of files to land."""

from __future__ import annotations

import glob
import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("ingest")

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
LANDABLE_SUFFIXES = JSON_SUFFIXES + tuple(s + ".gz" for s in JSON_SUFFIXES)
STDIN = "-"


class UsageError(Exception):
    """A PATH argument names nothing that can be read (exit code 2)."""


@dataclass(frozen=True)
class Source:
    path: Path  # what DuckDB reads
    name: str  # what lineage records (``<stdin>`` for standard input)
    is_spooled: bool = False  # a temporary copy of stdin, removed once landed


def is_landable(path: Path) -> bool:
    return path.name.lower().endswith(LANDABLE_SUFFIXES)


def _walk(folder: Path, problems: list[str]) -> list[Path]:
    found: list[Path] = []

    def onerror(err: OSError) -> None:
        problems.append(f"{err.filename}: cannot read folder: {err.strerror}")

    for root, dirs, files in os.walk(folder, onerror=onerror):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if is_landable(path):
                found.append(path)
            else:
                log.info("%s: skipped (not a JSON/NDJSON file)", path)
    return found


def spool_stdin() -> Path:
    """Copy standard input to a temporary file in chunks, so DuckDB can read it like any file."""
    handle = tempfile.NamedTemporaryFile(prefix="ingest-stdin-", suffix=".json", delete=False)
    with handle:
        shutil.copyfileobj(sys.stdin.buffer, handle, 1 << 20)
    return Path(handle.name)


def discover(arguments: list[str], problems: list[str]) -> list[Source]:
    """Expand files, folders (recursive), globs and ``-``; unreadable folders go to ``problems``."""
    sources: list[Source] = []
    for argument in arguments:
        if argument == STDIN:
            sources.append(Source(spool_stdin(), "<stdin>", is_spooled=True))
            continue
        path = Path(argument)
        if path.is_dir():
            if not os.access(path, os.R_OK | os.X_OK):
                problems.append(f"{path}: cannot read folder: permission denied")
                continue
            sources.extend(Source(p, str(p)) for p in _walk(path, problems))
        elif path.is_file():
            sources.append(Source(path, str(path)))
        else:
            matches = sorted(glob.glob(argument, recursive=True))
            if not matches:
                raise UsageError(f"{argument}: no such file, folder or glob match")
            for match in map(Path, matches):
                if match.is_dir():
                    sources.extend(Source(p, str(p)) for p in _walk(match, problems))
                elif is_landable(match):
                    sources.append(Source(match, str(match)))
    return sources
