"""The command line's edges: the database path, option values, what is found under a PATH (pipes,
link loops, empty folders), the run's summary line and the progress line on a real terminal (a pty).
Real files, a real DuckDB, the CLI run as a subprocess."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, ingest_invocation, loads, ndjson, query, run_ingest, run_on_terminal, write

GOOD = '{"model_name": "good"}'


def folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --------------------------------------------------------------------------------------------
# the database path
# --------------------------------------------------------------------------------------------


def parquet_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "made.parquet"
    duckdb.execute(f"copy (select 1 as a) to '{path}' (format parquet)")
    return path.read_bytes()


@pytest.mark.parametrize(
    "name, content",
    [
        ("results.json", b'{"model_name": "x"}'),
        ("table.csv", b"a,b\n1,2\n"),
        ("data.parquet", None),
        ("warehouse.duckdb", b""),
        ("warehouse.db", b"SQLite format 3\x00" + b"\x00" * 84),
    ],
    ids=["json", "csv", "parquet", "empty", "sqlite"],
)
@pytest.mark.parametrize("via", ["--db", "DUCKDB_PATH"])
def test_a_database_path_naming_a_file_that_is_not_duckdb_is_refused(tmp_path, name, content, via):
    target = tmp_path / "there" / name
    write(target, parquet_bytes(tmp_path) if content is None else content)
    before = folder_state(target.parent)
    path = write(tmp_path / "in.json", GOOD)

    if via == "--db":
        proc = run_ingest(target, path)
    else:
        proc = run_ingest(None, path, env={"DUCKDB_PATH": str(target)})

    assert proc.returncode == 2, proc.stderr
    assert f"{target}: exists and is not a DuckDB database file; nothing was written" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert folder_state(target.parent) == before  # the file unchanged, no .wal beside it


def test_a_new_database_path_with_any_suffix_is_created_as_duckdb(tmp_path):
    target = tmp_path / "new.json"

    proc = run_ingest(target, write(tmp_path / "in.json", GOOD))

    assert proc.returncode == 0, proc.stderr
    assert target.read_bytes()[8:12] == b"DUCK"
    assert query(target, "select payload ->> 'model_name' from raw.documents") == [("good",)]


def test_export_refuses_a_database_that_is_not_duckdb(tmp_path):
    target = write(tmp_path / "results.json", b'{"model_name": "x"}')

    proc = subprocess.run(
        [sys.executable, "-m", "ingest.export", "--db", str(target), str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert proc.returncode == 2
    assert f"{target}: exists and is not a DuckDB database file" in proc.stderr
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------
# option values
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--memory-limit", "banana"], {}, "argument --memory-limit: 'banana' is not a usable memory size"),
        (["--memory-limit", "80%"], {}, "argument --memory-limit: '80%' is not a usable memory size"),
        ([], {"INGEST_MEMORY_LIMIT": "lots"}, "argument --memory-limit: 'lots' is not a usable memory size"),
        (["--threads", "-1"], {}, "argument --threads: '-1' is not a whole number of at least 1"),
        (["--threads", "0"], {}, "argument --threads: '0' is not a whole number of at least 1"),
        (["--threads", "two"], {}, "argument --threads: 'two' is not a whole number of at least 1"),
        (["--lock-timeout", "-5"], {}, "argument --lock-timeout: '-5' is not a number of seconds"),
        (["--lock-timeout", "nan"], {}, "argument --lock-timeout: 'nan' is not a number of seconds"),
    ],
    ids=[
        "banana",
        "percent",
        "env-memory",
        "threads-negative",
        "threads-zero",
        "threads-word",
        "timeout-negative",
        "timeout-nan",
    ],
)
def test_bad_option_values_are_usage_errors_before_the_database_is_created(tmp_path, db, args, env, message):
    proc = run_ingest(db, write(tmp_path / "in.json", GOOD), args=args, env=env)

    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not db.parent.exists()


def test_good_option_values_are_used(tmp_path, db):
    proc = run_ingest(
        db, write(tmp_path / "in.json", GOOD), args=["--memory-limit", "1GiB", "--threads", "1", "--lock-timeout", "0"]
    )

    assert proc.returncode == 0, proc.stderr
    assert query(db, "select payload ->> 'model_name' from raw.documents") == [("good",)]


# --------------------------------------------------------------------------------------------
# what is found: never hang, each real file once
# --------------------------------------------------------------------------------------------


def test_pipes_and_sockets_in_a_folder_are_skipped_not_waited_on(tmp_path, db):
    folder = tmp_path / "drop"
    good = write(folder / "good.json", GOOD)
    os.mkfifo(folder / "x.json")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(folder / "s.ndjson"))
    try:
        proc = run_ingest(db, folder, timeout=60)
        proc_glob = run_ingest(db, f"{folder}/*.*json", timeout=60)
    finally:
        listener.close()

    assert (proc.returncode, proc_glob.returncode) == (0, 0), proc.stderr + proc_glob.stderr
    for out in (proc.stderr, proc_glob.stderr):
        assert f"{folder / 'x.json'}: skipped (not a regular file: named pipe)" in out
        assert f"{folder / 's.ndjson'}: skipped (not a regular file: socket)" in out
    assert [(l["source_path"], l["records_landed"], l["duplicates_skipped"]) for l in loads(db)] == [
        (str(good), 1, 0),
        (str(good), 0, 1),
    ]


def test_a_named_pipe_given_by_name_is_a_usage_error_not_a_hang(tmp_path, db):
    pipe = tmp_path / "stream.json"
    os.mkfifo(pipe)

    proc = run_ingest(db, write(tmp_path / "good.json", GOOD), pipe, timeout=60)

    assert proc.returncode == 2
    assert (
        f"{pipe}: not a regular file (named pipe); to land a stream, pipe it to `python -m ingest -`"
    ) in proc.stderr
    assert not db.parent.exists()


def looping_tree(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A folder with two files, two links back up the tree and a second name for one file."""
    folder = tmp_path / "tree"
    top = write(folder / "a.json", '{"model_name": "a"}')
    deep = write(folder / "sub" / "b.ndjson", ndjson([{"model_name": "b"}]))
    (folder / "latest").symlink_to(".")
    (folder / "sub" / "up").symlink_to("..")
    (folder / "alias.json").symlink_to("a.json")
    return folder, top, deep


@pytest.mark.parametrize(
    "pattern",
    ["{folder}", "{folder}/**/*.json", "{folder}/**/*.*json", "{folder}/**"],
    ids=["folder", "glob-json", "glob-all", "glob-dirs"],
)
def test_link_loops_end_and_each_real_file_lands_once(tmp_path, db, pattern):
    folder, top, deep = looping_tree(tmp_path)

    proc = run_ingest(db, pattern.format(folder=folder), timeout=60)

    assert proc.returncode == 0, proc.stderr
    expected = [str(top)] if pattern.endswith("*.json") else [str(top), str(deep)]
    assert [l["source_path"] for l in loads(db)] == expected
    assert query(db, "select count(*) from raw.documents")[0][0] == len(expected)
    assert "reached again through a link" in proc.stderr


def test_the_same_file_under_several_names_lands_once(tmp_path, db):
    folder, top, _ = looping_tree(tmp_path)

    proc = run_ingest(db, top, folder / "alias.json", folder / "latest" / "a.json", timeout=60)

    assert proc.returncode == 0, proc.stderr
    assert [(l["source_path"], l["records_in"]) for l in loads(db)] == [(str(top), 1)]
    assert f"{folder / 'alias.json'}: skipped (the same file as {top})" in proc.stderr


def test_a_folder_without_json_files_is_said_and_nothing_is_written(tmp_path, db):
    folder = tmp_path / "notes"
    write(folder / "README.md", "# nothing to land\n")
    write(folder / "sub" / "table.csv", "a,b\n")

    proc = run_ingest(db, folder)

    assert proc.returncode == 2, proc.stderr
    assert f"{folder}: no JSON/NDJSON files in this folder (other files skipped: 2)" in proc.stderr
    assert f"nothing to land: no JSON/NDJSON file in {folder}; nothing was written" in proc.stderr
    assert not db.parent.exists()


def test_a_folder_without_json_files_beside_a_good_file_is_said_and_the_rest_lands(tmp_path, db):
    empty = tmp_path / "empty"
    empty.mkdir()
    good = write(tmp_path / "good.json", GOOD)

    proc = run_ingest(db, empty, good)

    assert proc.returncode == 0, proc.stderr
    assert f"{empty}: no JSON/NDJSON files in this folder (other files skipped: 0)" in proc.stderr
    assert [l["source_path"] for l in loads(db)] == [str(good)]


# --------------------------------------------------------------------------------------------
# the run's summary line names the database file
# --------------------------------------------------------------------------------------------


def test_the_summary_line_names_the_database_file_written(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "a.json", GOOD)
    write(elsewhere / "b.ndjson", ndjson([{"model_name": "b1"}, {"model_name": "b2"}, "scalar"]))
    command, env = ingest_invocation(None, "a.json", "b.ndjson")  # no --db, no $DUCKDB_PATH

    proc = subprocess.run(command, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60, check=False)

    created = elsewhere / "data" / "analytics.duckdb"
    assert proc.returncode == 1, proc.stderr  # the scalar is rejected
    assert proc.stderr.splitlines()[-1] == (
        f"ingest: 2 files into {created}: 4 records, 3 landed, 0 duplicates skipped, 1 rejected"
    )
    assert proc.stderr.count(str(created)) == 1
    assert query(created, "select count(*) from raw.documents") == [(3,)]


# --------------------------------------------------------------------------------------------
# the progress line on an 80-column terminal
# --------------------------------------------------------------------------------------------


def screen(output: str, columns: int) -> tuple[list[str], list[str]]:
    """The rows a terminal ``columns`` wide shows for ``output`` (carriage return, newline, and
    wrapping once the last column is written, as xterm does), and the log lines that began
    beside other text or away from the left edge."""
    rows: list[list[str]] = [[]]
    col = 0
    glued = []
    for i, char in enumerate(output):
        if char == "\r":
            col = 0
        elif char == "\n":
            rows.append([])
            col = 0
        else:
            if output.startswith("ingest: ", i) and (col or "".join(rows[-1]).strip()):
                glued.append("".join(rows[-1]) + " <- " + output[i : i + 40])
            if col == columns:
                rows.append([])
                col = 0
            row = rows[-1]
            row.extend(" " * (col + 1 - len(row)))
            row[col] = char
            col += 1
    return ["".join(r).rstrip() for r in rows], glued


def test_progress_line_fits_an_80_column_terminal_and_is_cleared_before_summary_lines(tmp_path, db):
    # gzip content under a .json name is landed alone: two loads, redrawn between their summaries
    # (short names keep the summaries within 80 columns; shortening: the test below)
    names = ["a.json", "b.json"]
    for name in names:
        write(tmp_path / name, ndjson([{"model_name": name}]), gz=True)
    command, env = ingest_invocation(db, *names)

    output = run_on_terminal(command, tmp_path, env, 80)

    draws = [part for line in output.split("\n") for part in line.split("\r") if " MB, " in part]
    assert draws and any("1/2 files" in d for d in draws), output
    assert max(len(d) for d in draws) <= 79, draws
    rows, glued = screen(output, 80)
    assert glued == []
    shown = [r for r in rows if r]
    assert not any(" MB, " in r for r in shown), shown  # cleared at the end
    assert [r for r in shown if ": load " in r] == [
        f"ingest: {names[0]}: load 1: 1 records, 1 landed, 0 duplicates skipped, 0 rejected",
        f"ingest: {names[1]}: load 2: 1 records, 1 landed, 0 duplicates skipped, 0 rejected",
    ]


def test_progress_line_shortens_the_file_name_first_then_leaves_it_out(tmp_path):
    from ingest.discover import Source
    from ingest.progress import Progress, StatusStream

    path = write(tmp_path / "f.json", GOOD)
    progress = Progress([Source(path, str(path))], StatusStream(io.StringIO()))
    try:
        progress.current = "/very/long/folder/" + "x" * 100 + "/results_2026.json"
        wide, narrow, tiny = progress.line(300), progress.line(80), progress.line(40)
    finally:
        progress.close()

    assert re.fullmatch(
        r"\[ {30}\] 0/1 files, 0\.0/0\.0 MB, \d+s  landing " + re.escape(progress.current) + r" \(\d+s\)", wide
    ), wide
    assert re.fullmatch(
        r"\[ {10}\] 0/1 files, 0\.0/0\.0 MB, \d+s  landing \.\.\.x+/results_2026\.json "
        r"\(\d+s\)",
        narrow,
    ), narrow
    assert len(narrow) == 79
    assert re.fullmatch(r"0/1 files, 0\.0/0\.0 MB, \d+s", tiny), tiny
