"""Every registered document shape (macros/benchmarks/benchmark_document_shapes.sql) has a fixture in its
family's folder (models/intermediate/benchmarks/shapes/<family>/<shape>.json, taken from a real upstream
file), each fixture is recognised as its shape, and it yields the rows its shape carries after a real
`dbt build`: benchmark results, test outcomes, both, a listed reason, or generator tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, ingest_and_build, query

SHAPES = ROOT / "models" / "intermediate" / "benchmarks" / "shapes"
FIXTURES = sorted(SHAPES.glob("*/*.json"))

# rows per landed file, by the mart its shape kind fills
YIELDED = """
    select
        loads.source_path,
        (select count(*) from marts.benchmark_results as r where r.load_id = loads.load_id),
        (select count(*) from marts.test_results as t where t.load_id = loads.load_id),
        (select list(distinct u.reason) from marts.unrecognized_documents as u where u.load_id = loads.load_id),
        (select count(*) from marts.generator_tasks as g where g.last_load_id = loads.load_id)
    from raw.loads as loads
"""


@pytest.fixture(scope="module")
def yielded(shapes_db: Path) -> dict[str, tuple]:
    """Landed file -> (benchmark results, test outcomes, reasons listed, generator tasks)."""
    return {path: tuple(counts) for path, *counts in query(shapes_db, YIELDED)}


def fixture_shape(path: Path) -> str:
    """The shape a fixture is of: its name up to the first dot (skill_hardware_test.json, x.second_rule.json)."""
    return path.name.split(".")[0]


@pytest.fixture(scope="module")
def shapes_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shape fixtures ingested (one load per file) and built (models and data tests)."""
    return ingest_and_build(tmp_path_factory.mktemp("shapes") / "shapes.duckdb", SHAPES)


@pytest.fixture(scope="module")
def registry(shapes_db: Path) -> dict[str, tuple[str, str | None]]:
    """Registered shape -> (kind, reason)."""
    rows = query(shapes_db, "select document_shape, shape_kind, reason from staging.int_benchmark_shape_registry")
    return {shape: (kind, reason) for shape, kind, reason in rows}


def test_every_registered_shape_has_a_fixture_and_every_fixture_a_shape(registry, yielded):
    fixture_shapes = {fixture_shape(path) for path in FIXTURES}
    assert set(registry) - fixture_shapes == set(), "registered shapes without a fixture"
    assert fixture_shapes - set(registry) == set(), "fixtures of no registered shape"
    # shapes of every kind are registered, and the fixtures of shapes carrying both yield both
    both = [path for path in FIXTURES if registry[fixture_shape(path)][0] == "measurements_and_tests"]
    for shape in {fixture_shape(path) for path in both}:
        counts = [yielded[str(path)][:2] for path in both if fixture_shape(path) == shape]
        assert any(results > 0 and tests > 0 for results, tests in counts), shape
    assert {kind for kind, _ in registry.values()} == {
        "measurements",
        "tests",
        "measurements_and_tests",
        "no_measurements",
        "generator_export",
    }


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_fixture_is_recognised_as_its_shape_and_yields_its_rows(fixture, shapes_db, registry, yielded):
    shape = fixture_shape(fixture)
    recognised = query(
        shapes_db,
        """
        select distinct shapes.document_shape
        from staging.int_benchmark_document_shapes as shapes
        inner join raw.loads as loads on shapes.load_id = loads.load_id
        where loads.source_path = ?""",
        [str(fixture)],
    )
    assert recognised == [(shape,)]

    kind, reason = registry[shape]
    results, tests, reasons, tasks = yielded[str(fixture)]
    if kind == "measurements":
        assert results > 0 and tests == 0
    elif kind == "tests":
        assert tests > 0 and results == 0
    elif kind == "measurements_and_tests":  # a document of such a shape may carry one of the two
        assert results + tests > 0
    elif kind == "no_measurements":
        assert (results, tests, reasons) == (0, 0, [reason])
        assert reason
    else:
        assert kind == "generator_export" and tasks > 0
    if kind != "no_measurements":
        assert reasons is None, "a document of a shape carrying rows is not listed as unrecognized"
