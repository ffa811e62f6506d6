"""Detection quality of performance_change_points on 240 seeded series with planted changes (steps of
5-50% at several noise levels, two steps close together, single outliers, slow drifts, pure noise),
built incrementally in three loads and again from scratch; and the same marts when runs land late."""

from __future__ import annotations

import shutil
from collections import defaultdict

import pytest

from conftest import query, run_dbt, run_ingest
from planted_series import START, generate, score, write_results

CHANGE_POINTS = """
    select model_name, metric, date_diff('day', ?::timestamp, changed_at) as run, is_regression,
        round(before_value, 6), round(after_value, 6), runs_before, runs_after
    from marts.performance_change_points order by all
"""


def detected(rows: list[tuple]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for model_name, metric, run, *_ in rows:
        assert metric == "throughput"
        found[model_name].append(run)
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The planted series landed in three loads (runs 0-19, 20-34, the rest), dbt build after each;
    then the change points of a full refresh."""
    work = tmp_path_factory.mktemp("planted")
    db = work / "w.duckdb"
    series = generate(240, seed=19)
    for first, last in ((0, 20), (20, 35), (35, None)):
        path = write_results(series, work / f"runs_{first}.ndjson", first, last)
        assert run_ingest(db, path).returncode == 0
        build = run_dbt(
            db,
            work,
            "build",
            "-s",
            "+performance_change_points",
            "+performance_alerts",
            "--indirect-selection",
            "cautious",
        )
        assert build.returncode == 0, build.stdout[-4000:]
    start = START.replace(tzinfo=None)
    incremental = query(db, CHANGE_POINTS, [start])
    build = run_dbt(
        db, work, "build", "-s", "+performance_change_points", "--full-refresh", "--indirect-selection", "cautious"
    )
    assert build.returncode == 0, build.stdout[-4000:]
    return series, incremental, query(db, CHANGE_POINTS, [start])


def test_planted_changes_are_found_with_precision_and_recall_of_at_least_0_9(built):
    series, _, rows = built
    assert len(series) >= 200
    result = score(series, detected(rows))
    assert result.required >= 100
    assert result.precision >= 0.9, result
    assert result.recall >= 0.9, result


def test_single_outliers_and_pure_noise_are_not_changes(built):
    series, _, rows = built
    found = detected(rows)
    outliers = [s for s in series if s.kind == "outliers"]
    assert len(outliers) >= 30
    assert {s.name: found[s.name] for s in outliers if found.get(s.name)} == {}
    noise = [s for s in series if s.kind == "noise"]
    assert sum(len(found.get(s.name, [])) for s in noise) <= len(noise) // 20


def test_a_change_point_says_which_way_and_how_far(built):
    series, _, rows = built
    by_name = {s.name: s for s in series}
    checked = 0
    for model_name, _, run, is_regression, before, after, runs_before, runs_after in rows:
        s = by_name[model_name]
        if s.kind != "step" or abs(run - s.changes[0]) > 0:
            continue
        planted_before, planted_after = s.values[s.changes[0] - 1], s.values[s.changes[0]]
        assert is_regression == (after < before)  # throughput: lower is worse
        assert (after < before) == (
            sum(s.values[s.changes[0] :]) / (len(s.values) - s.changes[0])
            < sum(s.values[: s.changes[0]]) / s.changes[0]
        ), (planted_before, planted_after)
        assert 6 <= runs_before <= 8 and 6 <= runs_after <= 8
        checked += 1
    assert checked >= 50


def test_incremental_builds_find_the_same_change_points_as_a_full_refresh(built):
    _, incremental, full = built
    assert incremental == full


LATE_MARTS = {
    "performance_change_points": "select series_id, metric, result_id, changed_at, round(before_value, 6), "
    "round(after_value, 6), round(statistic, 6), runs_before, runs_after from marts.performance_change_points",
    "performance_alerts": "select alert_id, result_id, run_at, round(current_value, 6), round(baseline_mean, 6), "
    "round(baseline_stddev, 6), baseline_runs, round(z_score, 6), is_regression, severity "
    "from marts.performance_alerts",
    "performance_regressions": "select regression_id, current_result_id, judgement, round(baseline_mean, 6), "
    "baseline_runs from marts.performance_regressions",
}


def test_late_runs_are_judged_from_the_runs_before_them_and_give_the_marts_of_a_full_refresh(tmp_path):
    """Runs land late: run 30 after the runs up to the fourth-last; run 40 after every other; run 0 last
    (no run before it: every run judged again). In series of up to 68 runs, runs 30 and 40 have more
    than the 26 stored runs before them the statistics need: judged from the stored tail; in longer
    ones, from the 26 runs before them, read from history. Each build gives the marts a full refresh
    gives."""
    db = tmp_path / "w.duckdb"
    series = generate(120, seed=23, runs_between=(50, 100))
    loads = (
        lambda s, r: 0 < r < len(s.values) - 3 and r not in (30, 40),
        lambda s, r: r == 30 or len(s.values) - 3 <= r < len(s.values) - 1,
        lambda s, r: r in (40, len(s.values) - 1),
        lambda s, r: r == 0,
    )
    selected = ("-s", "+performance_change_points", "+performance_alerts", "+performance_regressions")
    gathered_again = []
    for number, keep in enumerate(loads):
        assert run_ingest(db, write_results(series, tmp_path / f"load_{number}.ndjson", keep=keep)).returncode == 0
        build = run_dbt(db, tmp_path, "build", *selected, "--indirect-selection", "cautious")
        assert build.returncode == 0, build.stdout[-4000:]
        gathered_again.append(
            query(
                db,
                "select count(*) filter (where is_gathered_again), count(*) filter (where history_runs > len(tail_values)), "
                "count(*) from staging.int_performance_series_tails",
            )[0]
        )
        if number < 2:
            continue
        incremental = {mart: query(db, f"{sql} order by all") for mart, sql in LATE_MARTS.items()}
        refreshed = tmp_path / f"refreshed_{number}.duckdb"
        shutil.copyfile(db, refreshed)
        full = run_dbt(refreshed, tmp_path, "run", *selected, "--full-refresh")
        assert full.returncode == 0, full.stdout[-4000:]
        assert {mart: query(refreshed, f"{sql} order by all") for mart, sql in LATE_MARTS.items()} == incremental
        assert incremental["performance_change_points"] and incremental["performance_alerts"]
    # (gathered again, stored tail cut, tails) after each load: 52 values kept per tail; histories of
    # length - 6, - 3, - 1 and all runs; only the first and last loads judge every run again
    cut = [sum(len(s.values) - missing > 52 for s in series) for missing in (6, 3, 1, 0)]
    assert gathered_again == [(120, cut[0], 120), (0, cut[1], 120), (0, cut[2], 120), (120, cut[3], 120)]
    # run 40 has 94 - length stored runs before it (the last 52 of runs 1 to length - 2 but 40): fewer
    # than 26 in series of more than 68 runs, whose 26 runs before it include runs older than the tail
    assert 0 < sum(len(s.values) > 68 for s in series) < sum(len(s.values) > 40 for s in series)
