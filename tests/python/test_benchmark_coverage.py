"""Every real file surfaces what it carries: the rows each file of ../shared/realdata and
../shared/realdata-history yields, against the table in realdata_coverage.csv (written from reading the
files: what each one carries and how many rows that must make), and what yields none is listed."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from conftest import REALDATA, ingest_and_build, query

HISTORY = REALDATA.parent / "realdata-history" / "files"
EXPECTED = Path(__file__).with_name("realdata_coverage.csv")
FOLDERS = {"realdata": REALDATA, "realdata-history": HISTORY}

pytestmark = pytest.mark.skipif(
    not (REALDATA.is_dir() and HISTORY.is_dir()), reason=f"real corpora not present at {REALDATA} and {HISTORY}"
)

# rows a document yields, before benchmark_results keeps one of two reports of the same measurement
YIELDED = """
    with benchmark as (
        select source_path, count(*) as n from staging.int_benchmark_results_unioned
        where model_name is not null and hardware_type is not null
        group by source_path
    ),
    tests as (
        select source_path, count(*) as n from marts.test_results group by source_path
    ),
    listed as (
        select distinct source_path from marts.unrecognized_documents
    )
    select
        loads.source_path,
        coalesce(benchmark.n, 0),
        coalesce(tests.n, 0),
        listed.source_path is not null
    from raw.loads as loads
    left join benchmark on loads.source_path = benchmark.source_path
    left join tests on loads.source_path = tests.source_path
    left join listed on loads.source_path = listed.source_path
"""


def expected_rows() -> dict[tuple[str, str], tuple[int, int]]:
    with EXPECTED.open(newline="", encoding="utf-8") as fh:
        return {
            (row["folder"], row["file"]): (int(row["benchmark_rows"]), int(row["test_rows"]))
            for row in csv.DictReader(fh)
        }


@pytest.fixture(scope="module")
def yielded(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[int, int, bool]]:
    """Both folders ingested and built; per file: benchmark rows, test rows, listed as unrecognized."""
    db = ingest_and_build(tmp_path_factory.mktemp("coverage") / "real.duckdb", REALDATA, HISTORY, timeout=600)
    out = {}
    for source_path, benchmark, tests, listed in query(db, YIELDED):
        path = Path(source_path)
        folder = next(name for name, root in FOLDERS.items() if path.parent == root)
        out[(folder, path.name)] = (benchmark, tests, listed)
    return out


def test_the_table_names_every_real_file():
    on_disk = {(name, p.name) for name, root in FOLDERS.items() for p in root.glob("*.json")}
    assert set(expected_rows()) == on_disk


def test_every_real_file_yields_the_rows_it_carries(yielded):
    expected = expected_rows()
    got = {key: (benchmark, tests) for key, (benchmark, tests, _) in yielded.items()}
    wrong = {key: {"expected": expected[key], "got": got.get(key)} for key in expected if got.get(key) != expected[key]}
    assert wrong == {}

    for folder in FOLDERS:
        files = [value for key, value in yielded.items() if key[0] == folder]
        kinds = Counter(
            "yield rows"
            if benchmark or tests
            else "listed in unrecognized_documents"
            if listed
            else "recognised, yield none (assert_parsed_documents_yield_rows warns)"
            for benchmark, tests, listed in files
        )
        print(
            f"\n{folder}: {len(files)} files, "
            + ", ".join(f"{n} {kind}" for kind, n in kinds.items())
            + f"; {sum(b for b, _, _ in files)} benchmark rows, {sum(t for _, t, _ in files)} test rows"
        )


def test_a_file_that_yields_nothing_is_listed_with_a_reason_or_warned_about(yielded):
    """A file yielding no row is in unrecognized_documents (with a reason), unless its shape carries
    results that this file happens not to have (an empty results map, cells naming no model): those
    the warn test assert_parsed_documents_yield_rows counts."""
    with EXPECTED.open(newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    listed = {(r["folder"], r["file"]) for r in table if "unrecognized_documents" in r["why"]}
    warned = {
        (r["folder"], r["file"])
        for r in table
        if (r["benchmark_rows"], r["test_rows"]) == ("0", "0") and "unrecognized_documents" not in r["why"]
    }
    assert {key for key, (_, _, is_listed) in yielded.items() if is_listed} == listed
    assert {key for key, (b, t, is_listed) in yielded.items() if not (b or t or is_listed)} == warned
