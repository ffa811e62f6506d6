"""The benchmark marts built from the acceptance corpus of real upstream files (../shared/realdata)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REALDATA, ingest_and_build, needs_realdata, query, scalar
from test_generator_marts import readme_queries

pytestmark = needs_realdata


@pytest.fixture(scope="module")
def realdata_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 31 real files ingested and built (models and data tests; unit tests run in `make test`)."""
    return ingest_and_build(tmp_path_factory.mktemp("realdata") / "real.duckdb", REALDATA)


def test_hardware_comparison_shows_real_results_and_what_tells_rows_apart(realdata_db):
    """The README's "which hardware is fastest" query: real results only, one row per configuration
    and hardware with every distinguishing column shown, and a flag for cells with simulated runs."""
    fastest = next(q for q in readme_queries() if "from marts.hardware_comparison" in q)

    rows = query(realdata_db, fastest)

    assert len(rows) == len(set(rows)) > 0  # no two rows look the same
    assert scalar(realdata_db, "select count(*) from marts.hardware_comparison where is_simulated") == 0
    # the corpus' simulated webgpu placeholders (throughput 100 per item) are not compared ...
    assert (
        scalar(
            realdata_db,
            """
        select count(*) from marts.hardware_comparison
        where model_name = 'openai/clip-vit-base-patch32' and hardware_type = 'webgpu'""",
        )
        == 0
    )
    # ... and a cell with a real run and a simulated one shows the real one, flagged
    assert query(
        realdata_db,
        """
        select source_format, is_simulated, series_run_count, simulated_run_count
        from marts.latest_performance
        where model_name = 'bert-base-uncased' and hardware_type = 'webgpu' and batch_size is null""",
    ) == [("web_platform_comparison", False, 2, 1)]
    assert [row[-1] for row in rows if row[4] == "webgpu" and row[0] is None] == [True]


def test_full_refresh_rows_of_the_corpus_and_what_yields_none(realdata_db):
    """The rows a full refresh builds from the 31 files: 186 benchmark and 230 test rows as before
    issue 17.2, plus the benchmark summary's 3 measurements (bert, distilbert, roberta on cpu) and the
    progress file's failed clap benchmark; the 5 documents that carry no result are listed, each with
    its reason."""
    assert query(
        realdata_db,
        """
        select source_format, count(*) from marts.benchmark_results
        group by all having source_format = 'benchmark_summary'""",
    ) == [("benchmark_summary", 3)]
    assert scalar(realdata_db, "select count(*) from marts.benchmark_results") == 186 + 3
    assert query(
        realdata_db,
        """
        select model_key, hardware_type, status, error_message from marts.test_results
        where source_format = 'benchmark_progress'""",
    ) == [("clap", "cpu", "failed", "Command failed with exit code 1")]
    assert scalar(realdata_db, "select count(*) from marts.test_results") == 230 + 1
    assert query(
        realdata_db,
        """
        select document_shape, reason is not null from marts.unrecognized_documents
        order by document_shape""",
    ) == [
        ("benchmark_config", True),
        ("browser_capabilities", True),
        ("empty_aggregate", True),
        ("hardware_coverage_report", True),
        ("test_generation_summary", True),
    ]
