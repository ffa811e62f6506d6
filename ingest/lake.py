"""The warehouse on DuckLake: ``DUCKDB_PATH=ducklake:postgres:<libpq dsn>`` (data files in
``$DUCKLAKE_DATA_PATH``, a folder or an object-store URL). Every connection is an in-memory DuckDB
with the lake attached as ``lake`` and in use, so ``raw.loads`` and ``marts.x`` name the same
tables as on a DuckDB file.

``python -m ingest.lake install-extensions`` installs the ducklake and postgres extensions from
their wheels (``pip install -e '.[lake]'``) into the project's extension directory, offline.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from ingest.schema import LANDING_DDL

log = logging.getLogger("ingest")

LAKE_PREFIX = "ducklake:"
LAKE_ALIAS = "lake"
EXTENSIONS = ("ducklake", "postgres")
# Project-local, so that nothing is downloaded and every process (ingest, dbt, the report) finds them.
EXTENSION_DIRECTORY = os.environ.get("DUCKDB_EXTENSION_DIRECTORY") or str(
    Path(__file__).resolve().parent.parent / ".duckdb_extensions"
)
# DuckLake retries a commit that only lost the race for the next snapshot id; dbt's long
# transactions beside writers need more than its default 10 (measured: 100 made them pass).
MAX_RETRY_COUNT = 100
# Our own retry, of a whole landing transaction that conflicted (ingest.lake_land): bounded, jittered.
COMMIT_ATTEMPTS, RETRY_PAUSE_SECONDS, MAX_PAUSE_SECONDS = 50, 0.02, 1.0
T = TypeVar("T")
# Writers of one lake take turns at their landing transactions: a PostgreSQL advisory lock of the
# catalog database (any constant; advisory locks are per database, so per lake). Without turns, eight
# writers on 2 cores lost the race for the load counter 47-99 times for 32 loads, each time doing
# their append again (bench/RESULTS.md run 15).
TURN_LOCK_KEY = 7_212_021
TURN_WAIT_SECONDS = 60

# The file's landing DDL without what DuckLake cannot hold (sequences, primary keys, per-column
# compression), and the one-row counter that hands out load ids (see ingest.lake_land).
LAKE_DDL = re.sub(r"create sequence[^;]*;\n", "", LANDING_DDL)
LAKE_DDL = re.sub(r" using compression \w+", "", LAKE_DDL).replace(" primary key", "")
LAKE_DDL += """
create table if not exists raw.load_counter (next_load_id bigint not null);
insert into raw.load_counter
select coalesce((select max(load_id) from raw.loads), 0) + 1
where not exists (select 1 from raw.load_counter);
"""


class LakeUnavailable(Exception):
    """The lake cannot be attached (no extensions installed, catalog unreachable)."""


def is_lake(db: str) -> bool:
    """Whether a database setting (``--db``, ``$DUCKDB_PATH``) names a DuckLake catalog."""
    return str(db).startswith(LAKE_PREFIX)


def current_database(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(path, type) of the connection's database in use: a file's path (empty in memory) and
    ``duckdb``, or the lake's catalog (``postgres:<dsn>``) and ``ducklake``."""
    path, kind = con.execute(
        "select coalesce(path, ''), type from duckdb_databases() where database_name = current_database()"
    ).fetchall()[0]
    return path, kind


def is_lake_connection(con: duckdb.DuckDBPyConnection) -> bool:
    return current_database(con)[1] == "ducklake"


def open_duckdb(path: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """duckdb.connect with the project's extension directory: every connection the project opens."""
    return duckdb.connect(path, read_only=read_only, config={"extension_directory": EXTENSION_DIRECTORY})


def attach_options(read_only: bool) -> str:
    """The ATTACH options of the lake: its data path (needed once, when the lake is created)."""
    options = []
    data_path = os.environ.get("DUCKLAKE_DATA_PATH")
    if data_path:
        options.append("data_path " + sql_string(data_path))
    if read_only:
        options.append("read_only")
    return f" ({', '.join(options)})" if options else ""


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect_lake(db: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached as ``lake`` and in use."""
    con = open_duckdb(":memory:")
    try:
        _attach(con, db, read_only)
    except duckdb.Error as err:
        con.close()
        reason = str(err).splitlines()[0]
        hint = (
            " (run `make lake-extensions`: the ducklake and postgres extensions are not installed in "
            f"{EXTENSION_DIRECTORY})"
            if "extension" in reason.lower()
            else ""
        )
        raise LakeUnavailable(f"{db}: cannot attach the lake: {reason}{hint}; nothing was written") from err
    con.execute(f"use {LAKE_ALIAS}")
    con.execute(f"set ducklake_max_retry_count = {MAX_RETRY_COUNT}")
    return con


def _attach(con: duckdb.DuckDBPyConnection, db: str, read_only: bool) -> None:
    """ATTACH the lake. The first ATTACH of a new catalog creates DuckLake's own tables in it: when
    several processes do that at once, all but one fail on PostgreSQL's unique names and attach
    again (bounded, jittered), now to the catalog the winner created."""
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        try:
            con.execute(f"attach {sql_string(db)} as {LAKE_ALIAS}{attach_options(read_only)}")
            return
        except duckdb.Error as err:
            text = str(err).lower()
            if attempt == COMMIT_ATTEMPTS or not ("duplicate key" in text or "already exists" in text):
                raise
            pause(attempt)


def pause(attempt: int, scale: float = RETRY_PAUSE_SECONDS) -> None:
    """A jittered, growing pause before the next attempt (the writers that collided spread out):
    up to ``scale`` doubled per attempt, at most MAX_PAUSE_SECONDS."""
    time.sleep(random.uniform(0, min(scale * 2**attempt, MAX_PAUSE_SECONDS)))


def prepare_lake(con: duckdb.DuckDBPyConnection) -> None:
    """Create the landing tables, once (concurrent first writers: one wins, the others retry)."""
    retry_transaction(con, lambda: con.execute(LAKE_DDL))


# (id of a lake connection, its catalog's DSN) -> the psycopg connection its turns are taken on: one
# each, since a session holding the lock could take it again (two threads of a process would share it)
_turn_sessions: dict[tuple[int, str], Any] = {}


@contextmanager
def landing_turn(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Hold this lake's landing turn while the block runs: TURN_LOCK_KEY, a session-level advisory
    lock taken in the PostgreSQL catalog on a connection of this process's own (a writer killed
    while holding it releases it as its connection closes). A turn only saves work: exactly-once
    rests on the conflicting commits of ingest.lake_land. So when no turn can be had (a catalog that
    is not PostgreSQL, no psycopg, an error, more than TURN_WAIT_SECONDS of waiting), the block runs
    without one."""
    dsn = _catalog_dsn(con)
    key = (id(con), dsn or "")
    session = _turn_session(key) if dsn else None
    held = session is not None and _turn_call(key, "select pg_advisory_lock(%s)")
    try:
        yield
    finally:
        if held:
            _turn_call(key, "select pg_advisory_unlock(%s)")


def _catalog_dsn(con: duckdb.DuckDBPyConnection) -> str | None:
    """The libpq DSN of the lake's PostgreSQL catalog (None: another kind of catalog)."""
    path, kind = current_database(con)
    if kind != "ducklake" or not path.startswith("postgres:"):
        return None
    return path.removeprefix("postgres:")


def _turn_session(key: tuple[int, str]) -> Any:
    """The connection to the catalog DSN ``key[1]`` that lake connection ``key[0]`` takes its
    landing turns on, opened once (None: none can be)."""
    if key not in _turn_sessions:
        try:
            import psycopg  # the `lake` extra; without it writers land without turns
        except ImportError:
            return None
        try:
            session = psycopg.connect(key[1], autocommit=True, application_name="ml-analytics ingest")
            session.execute(f"set lock_timeout = '{TURN_WAIT_SECONDS}s'")
        except psycopg.Error as err:
            log.debug("landing without a turn: %s", err)
            return None
        _turn_sessions[key] = session
    return _turn_sessions[key]


def _turn_call(key: tuple[int, str], sql: str) -> bool:
    """Take or end the turn on ``key``'s session; on an error (a lost connection has released its
    lock) forget the session, so that the next turn opens a new one."""
    try:
        _turn_sessions[key].execute(sql, [TURN_LOCK_KEY])
        return True
    except Exception as err:  # noqa: BLE001  (psycopg's errors: landing goes on without a turn)
        log.debug("landing turn: %s: %s", sql, err)
        _turn_sessions.pop(key).close()
        return False


def retry_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], T]) -> T:
    """Run ``work`` in a transaction and commit it; when the commit conflicts with another writer's,
    run it again in a new transaction (which sees the winner's rows), after a jittered pause, at most
    COMMIT_ATTEMPTS times. An error before the commit rolls back; a failed commit has ended the
    transaction already, so it is never rolled back (that error would hide the real one)."""
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        started = time.perf_counter()
        con.execute("begin transaction")
        try:
            result = work()
        except BaseException:
            con.execute("rollback")
            raise
        try:
            con.execute("commit")
            return result
        except duckdb.TransactionException as err:
            if attempt == COMMIT_ATTEMPTS or not is_conflict(err):
                raise
            log.debug("commit conflicted with another writer (attempt %d): %s", attempt, err)
            # the colliding writers' transactions last about as long as this one: spread them out by
            # that much (measured, 8 writers on 2 cores: 47-69 conflicts for 32 commits instead of 74-99)
            pause(attempt, max(RETRY_PAUSE_SECONDS, time.perf_counter() - started))
    raise AssertionError("unreachable")


def is_conflict(err: duckdb.Error) -> bool:
    """Whether a failed commit lost a race with another writer (retrying it can succeed)."""
    text = str(err).lower()
    return "conflict" in text or "maximum retry count" in text


def extension_files() -> list[Path]:
    """The extension binaries inside the installed wheels (duckdb_extension_<name>)."""
    files = []
    for name in EXTENSIONS:
        spec = importlib.util.find_spec(f"duckdb_extension_{name}")
        if spec is None or not spec.submodule_search_locations:
            raise LakeUnavailable(f"the wheel duckdb-extension-{name} is not installed: pip install -e '.[lake]'")
        folder = Path(next(iter(spec.submodule_search_locations)))
        found = sorted(folder.glob(f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"))
        if not found:
            raise LakeUnavailable(f"{folder}: no {name}.duckdb_extension for DuckDB {duckdb.__version__}")
        files.append(found[0])
    return files


def install_extensions() -> list[str]:
    """INSTALL each extension from its wheel into EXTENSION_DIRECTORY; return what was installed."""
    con = open_duckdb(":memory:")
    try:
        for path in extension_files():
            con.execute(f"install {sql_string(str(path))}")
        return [
            f"{name} {version} from {path}"
            for name, version, path in con.execute(
                "select extension_name, extension_version, install_path from duckdb_extensions() "
                "where installed and starts_with(install_path, ?) order by 1",
                [EXTENSION_DIRECTORY],
            ).fetchall()
        ]
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.lake", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install-extensions", help=f"install {', '.join(EXTENSIONS)} into {EXTENSION_DIRECTORY}")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="ingest.lake: %(message)s", stream=sys.stderr)
    if args.command == "install-extensions":
        try:
            for line in install_extensions():
                log.info("installed %s", line)
        except (LakeUnavailable, duckdb.Error) as err:
            log.error("%s", err)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
