"""``python -m report [--db PATH] [--out FILE] [--days N]``: write the HTML report of the marts."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from ingest.options import add_db_argument
from report import DEFAULT_OUT
from report.page import render_page
from report.sections import all_sections
from report.warehouse import Warehouse, WarehouseError

log = logging.getLogger("report")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m report", description=__doc__.split(":", 1)[1].strip())
    add_db_argument(parser, ", opened read-only")
    parser.add_argument("--out", type=Path, default=Path(DEFAULT_OUT), help="HTML file to write (default: %(default)s)")
    parser.add_argument(
        "--days",
        type=int,
        default=30,
        help="the time window: this many days up to the newest data (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be at least 1")
    return args


def write_report(db: Path | str, out: Path, days: int) -> Path:
    """Read the marts of ``db`` (read-only) and write the report to ``out``; returns ``out``."""
    warehouse = Warehouse(db)
    try:
        window = warehouse.window(days)
        sections = all_sections(warehouse, window)
    finally:
        warehouse.close()
    page = render_page(
        "ML analytics warehouse report",
        f"{Path(db).name}: {window.describe()} (the newest benchmark run or task start)",
        sections,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="report: %(message)s", stream=sys.stderr)
    started = time.monotonic()
    try:
        out = write_report(args.db, args.out, args.days)
    except WarehouseError as error:
        log.error("%s", error)
        return 1
    log.info("wrote %s (%.1f MB) in %.1f s", out, out.stat().st_size / 1e6, time.monotonic() - started)
    print(out.resolve())
    return 0
