"""How ingest hands a file to DuckDB's readers: the path as a literal name (never a glob), the file's
compression, and threads sized so that the readers' buffers fit in the memory limit."""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import duckdb

from ingest.connect import one_row
from ingest.discover import Source

GZIP_MAGIC = b"\x1f\x8b"
# DuckDB's JSON reader holds a buffer of twice its maximum object size per thread (at least 16 MiB
# each), which cannot spill. With 16 MiB it reads documents of up to 32 MiB (33,554,400 bytes) of
# NDJSON; a larger one fails the read ("maximum_object_size ... exceeded").
MAX_OBJECT_BYTES = 16 << 20
BUFFER_BYTES = 2 * MAX_OBJECT_BYTES
# The readers' buffers may take this share of the memory limit (the rest is for the query): at the
# default 512MB, 3 threads, enough for 2 cores; more threads are used beyond 1 GB.
BUFFER_SHARE = 4

_UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


def literal_path(path: Path | str) -> str:
    """The path as DuckDB's readers take it: each glob character in a bracket class of its own
    (``c[1].json`` -> ``c[[]1[]].json``), so the path names this one file, never others."""
    return re.sub(r"([\[\]*?])", r"[\1]", str(path))


def memory_limit_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """The connection's memory limit, from DuckDB's own rendering of it (``488.2 MiB``)."""
    (text,) = one_row(con.execute("select current_setting('memory_limit')"))
    number, unit = str(text).split()
    return int(float(number) * _UNITS[unit])


def fit_threads(con: duckdb.DuckDBPyConnection, requested: int | None) -> int:
    """Set and return the connection's threads: ``requested`` (default: DuckDB's, one per core),
    at most as many as have their reader buffers within a 1/BUFFER_SHARE of the memory limit
    (at least 1). Every reader of a load then fits, on any number of cores."""
    if requested:
        con.execute(f"set threads = {int(requested)}")
    (threads,) = one_row(con.execute("select current_setting('threads')"))
    fitted = max(1, min(int(threads), memory_limit_bytes(con) // (BUFFER_SHARE * BUFFER_BYTES)))
    if fitted != int(threads):
        con.execute(f"set threads = {fitted}")
    return fitted


def read_head(path: Path, compression: str, size: int = 4096) -> bytes:
    """The file's first bytes (decompressed); empty when they do not decompress."""
    opener = gzip.open if compression == "gzip" else open
    try:
        with opener(path, "rb") as handle:
            return handle.read(size)
    except (OSError, EOFError, zlib.error):
        return b""


def is_array(source: Source, compression: str) -> bool:
    """Whether the file's first character (after a byte-order mark and whitespace) opens an array.
    A head that does not decompress is no array: DuckDB's reader then says what is wrong with it."""
    return read_head(source.path, compression).removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"[")


def sniff(source: Source) -> tuple[str, str | None]:
    """Return (compression, file-level rejection reason or None)."""
    with open(source.path, "rb") as handle:
        head = handle.read(2)
    if head == GZIP_MAGIC:
        return "gzip", None
    if source.name.lower().endswith(".gz"):
        return "uncompressed", "file name ends in .gz but the content is not gzip-compressed"
    return "uncompressed", None


def content_bytes(path: Path, compression: str) -> int:
    """The file's size once decompressed (gzip: its trailer's size, modulo 4 GiB, of the last
    member; a guess that can only be wrong for a file that is also checked otherwise)."""
    if compression != "gzip":
        return path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(-4, 2)
        return int.from_bytes(handle.read(4), "little")
