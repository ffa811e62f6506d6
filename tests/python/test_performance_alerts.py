"""Alerts over time, regressions of the latest runs, annotations and the CI gate, on generated
benchmark rows landed as three commits. The first two go through the `run:` lines of the gate job of
examples/ci/benchmarks.yml (ingest with the commit/branch/ci_run/machine labels, dbt build, the
gate), as GitHub Actions would run them, the warehouse kept at one path between the runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml  # type: ignore[import-untyped]

from conftest import ROOT, query, readme_code_blocks, run_dbt, write

DAY = datetime(2026, 10, 1, 2, 0)
MARTS = ("+performance_alerts", "+performance_regressions", "+performance_change_points")
STABLE = [100.0, 101.0, 99.0, 100.0, 102.0, 98.0]


def rows(model: str, hardware: str, days: list[int], **metrics: Sequence[float | None]) -> list[dict]:
    """Flat result rows of one series, one per day, with the given metrics' values."""
    out = []
    for i, day in enumerate(days):
        row = {
            "model_name": model,
            "hardware_type": hardware,
            "batch_size": 1,
            "precision": "fp32",
            "timestamp": (DAY + timedelta(days=day)).isoformat() + "Z",
        }
        row.update({name: values[i] for name, values in metrics.items() if values[i] is not None})
        out.append(row)
    return out


def throughput(model: str, hardware: str, days: list[int], values: list[float]) -> list[dict]:
    return rows(model, hardware, days, throughput_items_per_second=values)


FIRST = [  # commit c1: six runs of each series (two of "few")
    *throughput("drop", "cuda", list(range(6)), STABLE),
    *throughput("noise", "cpu", list(range(6)), [100.0, 103.0, 97.0, 102.0, 98.0, 100.0]),
    *throughput("few", "openvino", [4, 5], [100.0, 100.0]),
    *rows(
        "direction",
        "rocm",
        list(range(6)),
        average_latency_ms=[10.0, 10.1, 9.9, 10.0, 10.2, 9.8],
        memory_peak_mb=[500.0, 505.0, 495.0, 500.0, 510.0, 490.0],
        throughput_items_per_second=STABLE,
    ),
    *throughput("ignored", "mps", list(range(6)), STABLE),
    *throughput("expected", "qnn", list(range(6)), STABLE),
]
SECOND = [  # commit c2: day 6
    *throughput("drop", "cuda", [6], [70.0]),
    *throughput("noise", "cpu", [6], [97.0]),
    *throughput("few", "openvino", [6], [50.0]),
    *rows(
        "direction", "rocm", [6], average_latency_ms=[14.0], memory_peak_mb=[700.0], throughput_items_per_second=[140.0]
    ),
    *throughput("ignored", "mps", [6], [50.0]),
    *throughput("expected", "qnn", [6], [50.0]),
    # left out of every judgement: simulated, failed, and undated runs
    {**throughput("noise", "cpu", [7], [10.0])[0], "is_simulated": True},
    {**throughput("noise", "cpu", [7], [1.0])[0], "success": False},
    {
        "model_name": "noise",
        "hardware_type": "cpu",
        "batch_size": 1,
        "precision": "fp32",
        "throughput_items_per_second": 5.0,
    },
]
THIRD = [*throughput("drop", "cuda", [7], [71.0]), *throughput("noise", "cpu", [8], [101.0])]


WORKFLOW = ROOT / "examples" / "ci" / "benchmarks.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
GITHUB_ONLY = ("install",)  # the gate job's run: steps that set up the environment these tests run in


def gate_job() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["gate"]


def ci_run(
    work: Path, name: str, docs: list[dict], commit: str, only: tuple[str, ...] | None = None
) -> dict[str, subprocess.CompletedProcess]:
    """One run of examples/ci/benchmarks.yml for ``commit``: the benchmark job's results are ``docs``;
    then the gate job's ``run:`` steps (or ``only`` these), in order, each in ``bash -e`` as GitHub
    runs them, with the job's env; the checkout's relative paths (warehouse, results) are rooted in
    ``work``: the warehouse stays at one path between runs, as the cache keeps it. Stops at the first
    failing step; returns the steps run, by id."""
    job = gate_job()
    context = {
        "github.event.pull_request.head.sha || github.sha": commit,
        "github.head_ref || github.ref_name": "main",
        "github.run_id": name,
        "github.run_attempt": "1",
        "needs.benchmark.outputs.machine": "runner-1",
    }
    env = {key: EXPRESSION.sub(lambda m: context[m.group(1)], str(value)) for key, value in job["env"].items()}
    env["DUCKDB_PATH"] = str(work / env["DUCKDB_PATH"])
    env["RESULTS_DIR"] = str(work / name / env["RESULTS_DIR"])
    write(Path(env["RESULTS_DIR"]) / "results.json", json.dumps(docs))
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DUCKDB_", "DBT_"))},
        **env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    done: dict[str, subprocess.CompletedProcess] = {}
    for step in job["steps"]:
        if "run" not in step or step["id"] in GITHUB_ONLY or (only and step["id"] not in only):
            continue
        done[step["id"]] = proc = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=ROOT,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if proc.returncode != 0:
            break
    return done


def gate(db, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingest.gate", "--db", str(db), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def build(db, work, *args: str) -> None:
    proc = run_dbt(db, work, "build", "-s", *MARTS, "--indirect-selection", "cautious", *args)
    assert proc.returncode == 0, proc.stdout[-4000:]


def alerts(db) -> list[tuple]:
    return query(
        db,
        "select model_name, metric, run_at::date, round(change_pct, 1), is_regression, severity, "
        "commit_sha from marts.performance_alerts order by all",
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """Commits c1 (six runs of each series) and c2 (a -30% drop, noise, ...) through the workflow."""
    work = tmp_path_factory.mktemp("alerts")
    runs = {"c1": ci_run(work, "first", FIRST, "c1"), "c2": ci_run(work, "second", SECOND, "c2")}
    for commit, steps in runs.items():
        assert [(step, proc.returncode) for step, proc in steps.items()][:2] == [("ingest", 0), ("build", 0)], (
            commit,
            {step: (proc.stdout[-3000:], proc.stderr[-3000:]) for step, proc in steps.items()},
        )
    return work / gate_job()["env"]["DUCKDB_PATH"], work, {c: steps["gate"] for c, steps in runs.items()}


def test_the_workflow_keeps_the_warehouse_and_the_results_between_jobs():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    job = workflow["jobs"]["gate"]
    steps = {step.get("id") or step["uses"].split("@")[0]: step for step in job["steps"]}
    assert [s for s in steps if "run" in steps[s]] == ["install", "ingest", "build", "gate"]
    warehouse = str(Path(job["env"]["DUCKDB_PATH"]).parent) + "/"
    assert steps["restore"]["with"]["path"] == steps["save"]["with"]["path"] == warehouse
    assert steps["restore"]["with"]["key"] == steps["save"]["with"]["key"]
    order = list(steps)
    assert (
        order.index("restore")
        < order.index("ingest")
        < order.index("build")
        < order.index("save")
        < order.index("gate")
    )  # saved before the gate: a failing gate keeps its results
    uploaded = next(s for s in workflow["jobs"]["benchmark"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert steps["actions/download-artifact"]["with"] == uploaded["with"]
    assert uploaded["with"]["path"] == job["env"]["RESULTS_DIR"] + "/"
    for label in ("commit", "branch", "ci_run", "machine"):
        assert f"--label {label}=" in steps["ingest"]["run"]


def test_a_planted_drop_fails_the_gate_and_noise_passes(warehouse):
    _, _, gates = warehouse
    failed = gates["c2"]
    assert failed.returncode == 1, failed.stderr
    lines = failed.stdout.splitlines()
    assert lines[0].split() == ["series", "metric", "baseline", "value", "change", "severity"]
    assert any(
        line.split()[:2] == ["drop/cuda/bs1/fp32", "throughput"] and "-30.0%" in line and line.split()[-1] == "critical"
        for line in lines
    )
    assert not any(line.startswith(("noise/", "few/")) for line in lines)
    assert "regression(s)" in failed.stderr

    passed = gates["c1"]  # its last runs are judged (5 runs before them), within the noise
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout == "" and "no regression" in passed.stderr


def test_the_gate_says_when_no_load_carries_the_labels(warehouse, tmp_path):
    db, *_ = warehouse
    proc = gate(db, "--label", "commit=c2", "--label", "branch=other")
    assert proc.returncode == 2 and "no load carries the labels commit=c2 branch=other" in proc.stderr
    assert gate(db, "--label", "commit").returncode == 2
    assert gate(db).returncode == 2  # --label is required
    assert gate(tmp_path / "missing.duckdb", "--label", "commit=c2").returncode == 2


def test_alerts_are_direction_aware_and_carry_the_commit(warehouse):
    db, *_ = warehouse
    assert alerts(db) == [
        ("direction", "latency", DAY.date() + timedelta(days=6), 40.0, True, "critical", "c2"),
        ("direction", "memory", DAY.date() + timedelta(days=6), 40.0, True, "critical", "c2"),
        ("direction", "throughput", DAY.date() + timedelta(days=6), 40.0, False, "none", "c2"),
        ("drop", "throughput", DAY.date() + timedelta(days=6), -30.0, True, "critical", "c2"),
        ("expected", "throughput", DAY.date() + timedelta(days=6), -50.0, True, "critical", "c2"),
        ("ignored", "throughput", DAY.date() + timedelta(days=6), -50.0, True, "critical", "c2"),
    ]
    assert gate(db, "--label", "commit=c2", "--min-severity", "critical").returncode == 1


def test_regressions_judge_the_latest_run_only(warehouse):
    db, *_ = warehouse
    got = query(
        db,
        "select model_name, metric, current_value, baseline_runs, baseline_mean, judgement, severity, "
        "len(recent_values) from marts.performance_regressions "
        "where model_name in ('drop', 'noise', 'few') order by model_name",
    )
    assert got == [
        ("drop", "throughput", 70.0, 6, 100.0, "regression", "critical", 7),
        ("few", "throughput", 50.0, 2, 100.0, "insufficient_baseline", "not_judged", 3),
        ("noise", "throughput", 97.0, 6, 100.0, "stable", "none", 7),
    ]


def test_the_readmes_alert_history_finds_the_drop(warehouse):
    """The README's queries of performance_alerts and performance_change_points run here; its alert
    history of a series (the model's name replaced) finds the planted drop."""
    db, *_ = warehouse
    statements = [
        q.strip()
        for block in readme_code_blocks("sql")
        for q in block.split(";")
        if "marts.performance_alerts" in q or "marts.performance_change_points" in q
    ]
    history = [q for q in statements if q.startswith("select run_at, metric")]
    assert len(statements) >= 3 and len(history) == 1
    for sql in statements:
        query(db, sql)
    assert query(db, history[0].replace("'bert-base-uncased'", "'drop'")) == [
        (DAY + timedelta(days=6), "throughput", 100.0, 6, 70.0, -30.0, -21.2, True, "critical", "c2")
    ]


def test_history_annotations_and_full_refresh(warehouse, tmp_path):
    """After a newer commit the earlier alert stays; annotating a series as ignored and a change as
    expected takes their alerts away (the baseline restarts); a full refresh gives the same marts."""
    db, work, _ = warehouse
    assert ci_run(work, "third", THIRD, "c3", only=("ingest",))["ingest"].returncode == 0
    con = duckdb.connect(str(db))  # the seed's table, as a user's CSV would make it
    con.execute(
        "create or replace table marts.performance_annotations (series_id varchar, metric varchar, "
        "annotation varchar, starts_at timestamp, note varchar)"
    )
    for model, annotation, starts_at in (
        ("ignored", "ignore", None),
        ("expected", "expected_change", DAY + timedelta(days=6)),
    ):
        con.execute(
            "insert into marts.performance_annotations select any_value(series_id), null, ?, ?, 'test' "
            "from marts.benchmark_results where model_name = ?",
            [annotation, starts_at, model],
        )
    con.close()
    build(db, work, "--exclude", "performance_annotations")

    got = alerts(db)
    assert ("drop", "throughput", DAY.date() + timedelta(days=6), -30.0, True, "critical", "c2") in got
    assert not [a for a in got if a[0] in ("ignored", "expected")]
    assert query(
        db,
        "select model_name, judgement, baseline_runs from marts.performance_regressions "
        "where model_name in ('drop', 'expected', 'ignored') order by 1",
    ) == [
        # c3 at the new level: 71 against 100 x 6 and 70 is -26% but only 2 sd (not a regression)
        ("drop", "stable", 7),
        ("expected", "insufficient_baseline", 0),
    ]
    assert gate(db, "--label", "commit=c2").returncode == 1  # drop and direction still regressed in c2
    noise_only = gate(db, "--label", "commit=c3")  # judged, within the noise
    assert noise_only.returncode == 0 and "among 2 benchmark results of 1 load(s)" in noise_only.stderr
    before = {
        t: query(db, f"select * from marts.{t} order by all")
        for t in ("performance_alerts", "performance_regressions", "performance_change_points")
    }
    build(db, work, "--exclude", "performance_annotations", "--full-refresh")
    after = {t: query(db, f"select * from marts.{t} order by all") for t in before}
    assert after == before
