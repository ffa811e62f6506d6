"""A one-line progress display on stderr (only on a terminal, never with --quiet)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from ingest.discover import Source

WIDTH = 30


class Progress:
    """Files and bytes landed so far, redrawn in place, plus the time spent on the current file.

    A ticker thread redraws every half second, so a single large file shows it is still being
    read; it only formats text and never touches DuckDB (asking DuckDB for query progress from
    another thread doubled load times when measured).
    """

    def __init__(self, sources: list[Source], stream: TextIO = sys.stderr) -> None:
        self.total_files = len(sources)
        self.total_bytes = sum(s.path.stat().st_size for s in sources if s.path.exists()) or 1
        self.files = self.bytes = 0
        self.current = ""
        self.started = self.file_started = time.monotonic()
        self.stream = stream
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.ticker = threading.Thread(target=self._tick, daemon=True)
        self.ticker.start()

    @classmethod
    def for_terminal(cls, sources: list[Source], quiet: bool) -> Progress | None:
        return cls(sources) if sources and not quiet and sys.stderr.isatty() else None

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

    def _draw(self) -> None:
        with self.lock:
            share = min(self.bytes / self.total_bytes, 1.0)
            bar = "#" * round(share * WIDTH)
            line = (f"\r[{bar:<{WIDTH}}] {self.files}/{self.total_files} files, "
                    f"{self.bytes / 1e6:,.1f}/{self.total_bytes / 1e6:,.1f} MB, "
                    f"{time.monotonic() - self.started:,.0f}s")
            if self.current:
                line += f"  landing {self.current[-40:]} ({time.monotonic() - self.file_started:,.0f}s)"
            self.stream.write(line.ljust(120)[:160])
            self.stream.flush()

    def close(self) -> None:
        self.done.set()
        self.ticker.join()
        self._draw()
        self.stream.write("\n")
        self.stream.flush()
