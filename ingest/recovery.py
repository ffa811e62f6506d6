"""Loads that never finished, and what a load rejected."""

from __future__ import annotations

import logging

import duckdb

from ingest.connect import one_row
from ingest.schema import LANDING_TABLES, REJECTED_TABLE

log = logging.getLogger("ingest")


def rejected_details(con: duckdb.DuckDBPyConnection, load_id: int, limit: int) -> list[tuple]:
    return con.execute(
        "select record_index, reason from raw.rejected_records where load_id = ? "
        "order by record_index nulls first limit ?",
        [load_id, limit],
    ).fetchall()


LANDED_TABLES = (*LANDING_TABLES.values(), REJECTED_TABLE)


def recover_interrupted_loads(con: duckdb.DuckDBPyConnection) -> int:
    """Remove the rows of loads that never finished; return how many rows were removed.

    Only one process writes at a time, so when ingest starts, a load still ``running`` was cut off
    (the process killed). Its rows are invisible already (the raw views show finished loads only);
    they are deleted here so that landing the same file again stores them exactly once, and the load
    is marked ``interrupted``. DuckDB may replay a commit cut off midway partly, so the newest
    finished load's rows are also counted against its accounting.
    """
    finished = "select load_id from raw.loads where finished_at is not null"
    con.execute("begin transaction")
    try:
        newest = con.execute(
            "select load_id, records_landed, records_rejected from raw.loads "
            "where finished_at is not null order by load_id desc limit 1"
        ).fetchone()
        if newest is not None:
            load_id, landed, rejected = newest
            counted = [
                one_row(con.execute(f"select count(*) from {table} where load_id = ?", [load_id]))[0]
                for table in LANDED_TABLES
            ]
            if sum(counted[:-1]) != landed or counted[-1] != rejected:
                con.execute("update raw.loads set finished_at = null, status = 'running' where load_id = ?", [load_id])
        removed = sum(
            one_row(con.execute(f"delete from {table} where load_id not in ({finished})"))[0] for table in LANDED_TABLES
        )
        interrupted = con.execute(
            "update raw.loads set status = 'interrupted', message = 'the ingest process stopped "
            "before this load finished; none of its rows were kept' "
            "where finished_at is null and status = 'running' returning load_id"
        ).fetchall()
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    for (load_id,) in interrupted:
        log.warning("load %d was interrupted before it finished: removed its rows; land its file again", load_id)
    return removed
