"""A one-line progress display on stderr (only on a terminal, never with --quiet)."""

from __future__ import annotations

import os
import threading
import time
from typing import TextIO

from ingest.discover import Source

DEFAULT_COLUMNS = 80
MIN_NAME = 8  # a file name shorter than this once shortened is left out
ELLIPSIS = "..."  # ASCII: stderr may not be UTF-8


class StatusStream:
    """A stream (stderr) with at most one status line kept at its bottom. Text written through it
    (log lines) first clears the status line, which is drawn again below the text. The status line
    never wraps, so a carriage return is enough to redraw it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.RLock()
        self.status = ""

    def isatty(self) -> bool:
        return self.stream.isatty()

    def columns(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 0
        return columns or DEFAULT_COLUMNS  # 0: a terminal that does not say its width

    def write(self, text: str) -> int:
        with self.lock:
            if self.status:
                self.stream.write(self._blank())
            self.stream.write(text)
            if not text.endswith("\n"):
                self.status = ""  # the cursor is inside the text now: draw the next status after it
            elif self.status:
                self.stream.write(self.status)
            self.stream.flush()
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def show(self, line: str) -> None:
        """Draw (or redraw) the status line."""
        with self.lock:
            self.stream.write("\r" + line.ljust(len(self.status)))
            self.status = line
            self.stream.flush()

    def clear(self) -> None:
        with self.lock:
            if self.status:
                self.stream.write(self._blank())
                self.status = ""
            self.stream.flush()

    def _blank(self) -> str:
        return "\r" + " " * len(self.status) + "\r"


def shorten(name: str, room: int) -> str:
    """``name`` in at most ``room`` characters, keeping its end (the file name)."""
    return name if len(name) <= room else ELLIPSIS + name[len(name) - room + len(ELLIPSIS) :]


def bar_width(columns: int) -> int:
    return 30 if columns >= 120 else 10 if columns >= 60 else 0


class Progress:
    """Files and bytes landed so far, redrawn in place, plus the time spent on the current file.
    The line fits the terminal: the file name is shortened first, then left out.

    A ticker thread redraws every half second, so a single large file shows it is still being
    read; it only formats text and never touches DuckDB (asking DuckDB for query progress from
    another thread doubled load times when measured).
    """

    def __init__(self, sources: list[Source], out: StatusStream) -> None:
        self.total_files = len(sources)
        self.total_bytes = sum(s.path.stat().st_size for s in sources if s.path.exists()) or 1
        self.files = self.bytes = 0
        self.current = ""
        self.started = self.file_started = time.monotonic()
        self.out = out
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.ticker = threading.Thread(target=self._tick, daemon=True)
        self.ticker.start()

    @classmethod
    def for_terminal(cls, sources: list[Source], quiet: bool, out: StatusStream) -> Progress | None:
        return cls(sources, out) if sources and not quiet and out.isatty() else None

    def start(self, group: list[Source]) -> None:
        with self.lock:
            self.current = group[0].name if len(group) == 1 else f"{len(group)} files"
            self.file_started = time.monotonic()

    def advance(self, group: list[Source]) -> None:
        with self.lock:
            self.files += len(group)
            self.bytes += sum(s.path.stat().st_size for s in group if s.path.exists())
            self.current = ""
        self._draw()

    def _tick(self) -> None:
        while not self.done.wait(0.5):
            self._draw()

    def line(self, columns: int) -> str:
        """The progress line in at most ``columns - 1`` characters (the last column is left free:
        some terminals wrap when it is written)."""
        room = columns - 1
        now = time.monotonic()
        width = bar_width(columns)
        share = min(self.bytes / self.total_bytes, 1.0)
        line = f"[{'#' * round(share * width):<{width}}] " if width else ""
        line += (
            f"{self.files}/{self.total_files} files, "
            f"{self.bytes / 1e6:,.1f}/{self.total_bytes / 1e6:,.1f} MB, {now - self.started:,.0f}s"
        )
        if self.current:
            landing = ("  landing ", f" ({now - self.file_started:,.0f}s)")
            name_room = room - len(line) - len(landing[0]) - len(landing[1])
            if name_room >= MIN_NAME:
                line += landing[0] + shorten(self.current, name_room) + landing[1]
        return line[:room]

    def _draw(self) -> None:
        with self.lock:
            line = self.line(self.out.columns())
        self.out.show(line)

    def close(self) -> None:
        """Stop redrawing and take the line off the terminal (the run's summary line follows)."""
        self.done.set()
        self.ticker.join()
        self.out.clear()
