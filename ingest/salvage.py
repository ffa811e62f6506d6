"""Salvage of a file DuckDB's JSON reader refused: every document that parses on its own lands, every
other line is rejected with its line number and reason, whatever their proportion.

DuckDB reads the file as lines of text (``read_csv`` without delimiter or quotes, in parallel,
spilling like any table) and marks each line that is one JSON object. Python looks only at the
other lines: a value spread over several lines (a pretty-printed document), several values on one
line, a truncated line. It fetches them a page at a time, so memory stays bounded whatever the
file's size; the good documents it finds go back to DuckDB in pages too. The elements of a top-level
array are all taken by Python, one by one (record index: their position), so an array with a bad
element or a trailing comma keeps its good elements.
"""

from __future__ import annotations

import json
import tempfile
import zlib
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import duckdb

from ingest.classify import classify
from ingest.connect import one_row
from ingest.reader import literal_path
from ingest.schema import rows_table

MAX_LINE_BYTES = 32 << 20  # a line (document) read as text may be up to 32 MiB, like a document
PAGE_ROWS, INLINE_BYTES = 512, 256 << 10  # lines fetched per page; longer lines are fetched alone
FLUSH_BYTES = 8 << 20  # documents and rejects found by Python go to DuckDB in pages of this size

LINES_SQL = f"""
create or replace temp table salvage_lines as
select ordinality as line_no, line,
    coalesce(trim(line, ' \t\r') = '', true) as is_blank,
    coalesce(starts_with(ltrim(line, ' \t'), '{{') and json_valid(line), false) as is_object
from read_csv(?, columns = {{'line': 'varchar'}}, header = false, auto_detect = false, delim = '',
              quote = '', escape = '', strict_mode = false, max_line_size = {MAX_LINE_BYTES},
              buffer_size = {2 * MAX_LINE_BYTES}) with ordinality
"""
PAGE_SQL = f"""
select line_no, strlen(line), case when strlen(line) <= {INLINE_BYTES} then line end
from salvage_lines where line_no > ? and {{which}} order by line_no limit {PAGE_ROWS}
"""
DOCS_COLUMNS = {"record_index": "BIGINT", "first_line": "BIGINT", "last_line": "BIGINT", "doc": "VARCHAR"}
REJECT_COLUMNS = {"file_index": "INTEGER", "record_index": "BIGINT", "line": "VARCHAR", "reason": "VARCHAR"}
# What lands: the lines that are one object each (unless Python took them as part of a longer value)
# and the documents Python found, each with its record index.
GOOD_SOURCE = """(
    select 0 as file_index, line_no as record_index, line as doc from salvage_lines
    where is_object and not exists (
        select 1 from salvage_docs as d where salvage_lines.line_no between d.first_line and d.last_line)
    union all
    select 0, record_index, doc from salvage_docs where json_valid(doc)
)"""


@dataclass
class Salvaged:
    good: int  # documents staged in ``classified``
    message: str | None = None  # what the load should say (a cut-off gzip stream)
    rejects: list[tuple[int | None, str, str]] = field(default_factory=list)


class _Lines:
    """The lines of salvage_lines, read forward a page at a time."""

    def __init__(self, con: duckdb.DuckDBPyConnection, which: str) -> None:
        self.con, self.which = con, which

    def after(self, start: int) -> Iterator[tuple[int, str]]:
        line_no = start
        while True:
            page = self.con.execute(PAGE_SQL.format(which=self.which), [line_no]).fetchall()
            for line_no, length, text in page:
                if text is None and length is not None:
                    (text,) = one_row(self.con.execute("select line from salvage_lines where line_no = ?", [line_no]))
                yield line_no, text or ""
            if len(page) < PAGE_ROWS:
                return


class _Sink:
    """Documents and rejected lines found by Python, written to DuckDB in pages."""

    def __init__(self, con: duckdb.DuckDBPyConnection, max_text: int) -> None:
        self.con, self.max_text = con, max_text
        self.docs: list[dict] = []
        self.rejects: list[dict] = []
        self.pending, self.found = 0, 0
        con.execute(
            "create or replace temp table salvage_docs "
            "(record_index bigint, first_line bigint, last_line bigint, doc varchar)"
        )

    def doc(self, record_index: int, first_line: int, last_line: int, text: str) -> None:
        self.docs.append({"record_index": record_index, "first_line": first_line, "last_line": last_line, "doc": text})
        self.found += 1
        self._grow(len(text))

    def reject(self, record_index: int, text: str, reason: str) -> None:
        self.rejects.append(
            {"file_index": 0, "record_index": record_index, "line": text[: self.max_text], "reason": reason}
        )
        self._grow(min(len(text), self.max_text))

    def _grow(self, size: int) -> None:
        self.pending += size
        if self.pending >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        rows_table(self.con, "salvage_docs", DOCS_COLUMNS, self.docs, append=True)
        rows_table(self.con, "bad_lines", REJECT_COLUMNS, self.rejects, append=True)
        self.docs, self.rejects, self.pending = [], [], 0


def _scan(lines: _Lines, follow: _Lines, sink: _Sink, in_array: bool) -> None:
    """Decode the values of the lines ``lines`` yields, and of the lines after them while a value
    goes on: objects go to the sink as documents, anything else is rejected. A value that does not
    decode is rejected up to the end of its line, and decoding resumes on the next line; a value
    cut off by the end of the file is rejected whole (it would otherwise yield its fragments).
    """
    decoder = json.JSONDecoder()
    done, position = 0, 0  # lines up to `done` are taken; array position of the last element
    skip = " \t\r\n" + (",[]" if in_array else "")
    for line_no, text in lines.after(0):
        if line_no <= done:
            continue
        # the window: lines starts[0], starts[1], ... joined by "\n", line i from offsets[i]
        window, starts, offsets, pos = text, [line_no], [0], 0
        following = None  # the lines after the window's last, while a value needs them
        while True:
            while pos < len(window) and window[pos] in skip:
                pos += 1
            if pos >= len(window):
                break
            value, end, reason = None, None, None
            while end is None and reason is None:
                try:
                    value, end = decoder.raw_decode(window, pos)
                except json.JSONDecodeError as err:
                    if err.pos < len(window):
                        reason = f"not valid JSON: {err.msg}"
                    elif len(window) - pos > MAX_LINE_BYTES:
                        reason = f"not valid JSON: {err.msg} (a value of over {MAX_LINE_BYTES >> 20} MiB)"
                    else:
                        following = following or follow.after(starts[-1])
                        longer = _extend(following, starts, offsets, window)
                        if longer is None:
                            reason = f"not valid JSON: {err.msg} (cut off by the end of the file)"
                        window = longer or window
            first_line = starts[bisect_right(offsets, pos) - 1]
            position += 1
            index = position if in_array else first_line
            if end is not None:
                last_line = starts[bisect_right(offsets, end - 1) - 1]
                if isinstance(value, dict):
                    sink.doc(index, first_line, last_line, window[pos:end])
                else:
                    sink.reject(index, window[pos:end], "not a JSON object")
            elif reason is not None and reason.endswith("(cut off by the end of the file)"):
                sink.reject(index, window[pos:], reason)
                end = len(window)
            else:
                line_end = window.find("\n", pos)
                end = len(window) if line_end < 0 else line_end
                sink.reject(index, window[pos:end], reason or "not valid JSON")
            pos = end
            line = bisect_right(offsets, pos) - 1  # keep the window from the line that holds pos
            if line:
                cut = offsets[line]
                starts, offsets = starts[line:], [offset - cut for offset in offsets[line:]]
                window, pos = window[cut:], pos - cut
                following = None
        done = starts[-1]
    sink.flush()


def _extend(following: Iterator[tuple[int, str]], starts: list[int], offsets: list[int], window: str) -> str | None:
    """``window`` with lines from ``following`` appended (their numbers to ``starts``, where they
    begin to ``offsets``) until it is twice as long, so that a long value is decoded O(log n) times,
    not once per line; None at the end of the file."""
    parts, added, target = [window], 0, max(len(window), 64 << 10)
    for line_no, text in following:
        starts.append(line_no)
        offsets.append(len(window) + added + 1)
        parts.append(text)
        added += len(text) + 1
        if added >= target:
            break
    return "\n".join(parts) if len(parts) > 1 else None


@contextmanager
def _plain_copy(path: Path, compression: str) -> Iterator[tuple[str, str | None]]:
    """(the file to read as text, why its gzip stream ended early or None): a gzip file is
    decompressed to a temporary file first, in chunks, keeping what decompresses of a cut-off one."""
    if compression != "gzip":
        yield str(path), None
        return
    with tempfile.NamedTemporaryFile(prefix="ingest-salvage-", suffix=".ndjson") as plain:
        yield plain.name, _gunzip(path, plain)


def _gunzip(path: Path, out: IO[bytes]) -> str | None:
    """Decompress ``path`` (gzip, one member or several) into ``out``; return what is wrong with
    the stream (cut off, corrupt), after writing everything before the fault, or None."""
    inflate, in_member = zlib.decompressobj(wbits=31), False
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                while chunk:
                    out.write(inflate.decompress(chunk))
                    in_member = not inflate.eof
                    chunk = inflate.unused_data
                    if inflate.eof:
                        inflate = zlib.decompressobj(wbits=31)
    except zlib.error as err:
        return f"the gzip stream is corrupt ({err}); the lines before the fault were read"
    finally:
        out.flush()
    if in_member:
        out.write(inflate.flush())
        out.flush()
        return "the gzip stream is cut off; the lines before the cut were read"
    return None


def stage_salvaged(
    con: duckdb.DuckDBPyConnection, path: Path, compression: str, in_array: bool, max_text: int
) -> Salvaged:
    """Stage ``classified`` (the good documents) and ``bad_lines`` (the rest, with line and reason)
    of a file DuckDB's reader refused. Raises duckdb.Error when the file is not text (not UTF-8)."""
    with _plain_copy(path, compression) as (plain, problem):
        con.execute(LINES_SQL, [literal_path(plain)])
    sink = _Sink(con, max_text)
    which = "true" if in_array else "not is_blank and not is_object"
    _scan(_Lines(con, which), _Lines(con, "true"), sink, in_array)
    # documents Python decoded but DuckDB's parser refuses (an unpaired surrogate such as "\ud800")
    con.execute(
        """
        insert into bad_lines
        select 0, record_index, left(doc, ?), 'not valid JSON: DuckDB''s JSON parser refuses it '
            || '(for example an unpaired surrogate escape such as \\ud800)'
        from salvage_docs where not json_valid(doc)
    """,
        [max_text],
    )
    classify(con, GOOD_SOURCE, [])
    (good,) = one_row(con.execute("select count(*) from classified"))
    return Salvaged(good=good, message=problem)
