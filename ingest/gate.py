"""``python -m ingest.gate --label KEY=VALUE ...``: fail a CI job on a performance regression.

Reads the marts (read-only) after ``dbt build``, finds the loads that carry every given label
(``python -m ingest --label ...``), prints the regressions among their results
(``marts.performance_alerts``) and exits 1 when there is at least one, 0 when there is none, 2 on
usage errors (no such labels, no such database, marts not built).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

import duckdb

from ingest.cli import EXIT_USAGE, setup_logging
from ingest.connect import one_row
from ingest.lake import LakeUnavailable, connect_lake, is_lake, open_duckdb
from ingest.options import add_db_argument, label

log = logging.getLogger("ingest")

EXIT_PASS, EXIT_REGRESSION = 0, 1
SEVERITIES = ("minor", "major", "critical")

# The loads carrying every label: ?::varchar[] keys and values, pairwise.
LABELLED_LOADS = """
    select load_id from raw.loads
    where finished_at is not null
        and len(list_filter(list_zip(?::varchar[], ?::varchar[]), lambda kv: labels[kv[1]] is distinct from kv[2])) = 0
"""
RESULTS_OF_LOADS = "select count(*) from marts.benchmark_results where load_id in (select unnest(?::bigint[]))"
REGRESSIONS = """
    select model_name, hardware_type, batch_size, precision, sequence_length, test_case, metric,
        baseline_mean, baseline_runs, current_value, change_pct, severity, commit_sha, run_at
    from marts.performance_alerts
    where is_regression and load_id in (select unnest(?::bigint[]))
        and list_position(?::varchar[], severity) is not null
    order by list_position(['critical', 'major', 'minor'], severity), abs(change_pct) desc, model_name, metric
"""


class GateError(Exception):
    """A usage error: reported, exit 2."""


def open_marts(db: str, lock_timeout: float) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only, waiting up to lock_timeout seconds while a writer holds it."""
    if is_lake(db):
        try:
            return connect_lake(db, read_only=True)
        except LakeUnavailable as err:
            raise GateError(str(err)) from err
    if not os.path.exists(db):
        raise GateError(f"{db}: no such database (ingest and dbt build first, or pass --db)")
    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            return open_duckdb(db, read_only=True)
        except duckdb.IOException as err:
            if time.monotonic() >= deadline:
                raise GateError(f"{db}: could not be opened read-only: {err}") from err
            time.sleep(0.5)


def regressions(
    con: duckdb.DuckDBPyConnection, labels: dict[str, str], min_severity: str
) -> tuple[list[tuple], int, int]:
    """The regressions among the results of the loads carrying ``labels``, at ``min_severity`` or
    worse; with the number of those loads and of their benchmark results."""
    try:
        load_ids = [row[0] for row in con.execute(LABELLED_LOADS, [list(labels), list(labels.values())]).fetchall()]
    except duckdb.CatalogException as err:
        raise GateError(f"not a warehouse (no raw.loads with labels): {err}") from err
    wanted = " ".join(f"{k}={v}" for k, v in labels.items())
    if not load_ids:
        raise GateError(f"no load carries the labels {wanted} (python -m ingest --label ...)")
    try:
        results = one_row(con.execute(RESULTS_OF_LOADS, [load_ids]))[0]
        severities = list(SEVERITIES[SEVERITIES.index(min_severity) :])
        rows = con.execute(REGRESSIONS, [load_ids, severities]).fetchall()
    except duckdb.CatalogException as err:
        raise GateError(f"the marts are not built (run dbt build): {err}") from err
    if not results:
        raise GateError(
            f"the {len(load_ids)} load(s) labelled {wanted} have no benchmark results in "
            "marts.benchmark_results (did dbt build run after ingest?)"
        )
    return rows, len(load_ids), results


def render(rows: list[tuple]) -> str:
    """One line per regression: series, metric, baseline, value, change, severity."""
    header = ("series", "metric", "baseline", "value", "change", "severity")
    lines = [header]
    for (
        model,
        hardware,
        batch,
        precision,
        seq,
        test_case,
        metric,
        baseline,
        runs,
        value,
        change,
        severity,
        _commit,
        _run_at,
    ) in rows:
        series = "/".join(
            str(part)
            for part in (
                model,
                hardware,
                f"bs{batch}" if batch is not None else None,
                precision,
                f"seq{seq}" if seq is not None else None,
                test_case,
            )
            if part is not None
        )
        lines.append((series, metric, f"{baseline:.4g} ({runs} runs)", f"{value:.4g}", f"{change:+.1f}%", severity))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)).rstrip() for line in lines
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.gate",
        description="Exit 1 when the benchmark results of the loads carrying the given labels contain a "
        "regression (marts.performance_alerts), 0 when they do not. Run dbt build first.",
        epilog="Exit codes: 0 no regression, 1 at least one regression, 2 usage error (no such labels, "
        "no database, marts not built).",
    )
    add_db_argument(parser, ", opened read-only")
    parser.add_argument(
        "--label",
        type=label,
        action="append",
        required=True,
        metavar="KEY=VALUE",
        help="the loads to judge carry this label (repeatable: all of them)",
    )
    parser.add_argument(
        "--min-severity",
        choices=SEVERITIES,
        default="minor",
        help="fail only on regressions at least this severe (default: %(default)s)",
    )
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="how long to wait while a writer holds the file (default: %(default)s)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the regressions")
    args = parser.parse_args(argv)
    setup_logging(args.quiet)
    labels = dict(args.label)
    try:
        con = open_marts(args.db, args.lock_timeout)
        with con:
            rows, loads, results = regressions(con, labels, args.min_severity)
    except GateError as err:
        log.error("gate: %s", err)
        return EXIT_USAGE
    judged = f"{results} benchmark results of {loads} load(s)"
    if not rows:
        log.info("gate: no regression (%s or worse) among %s", args.min_severity, judged)
        return EXIT_PASS
    print(render(rows))
    log.error("gate: %d regression(s) (%s or worse) among %s", len(rows), args.min_severity, judged)
    return EXIT_REGRESSION


if __name__ == "__main__":
    sys.exit(main())
