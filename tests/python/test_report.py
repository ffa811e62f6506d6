"""The HTML report (`python -m report`): written from a real warehouse, opened in real Chromium.

The browser tests drive Debian's Chromium through Playwright for Python. Without a browser they skip
with an install hint, except under CI (``$CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from chromium import CHROMIUM_ARGS, MISSING, find_chromium
from conftest import ROOT, query, run_dbt, run_ingest

SCREENSHOTS = ROOT / "target" / "report"
SECTIONS = ["glance", "regressed", "trends", "hardware", "compatibility", "tasks"]
SEVERITY = {"critical": 1, "major": 2, "minor": 3}


def run_report(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "DUCKDB_PATH"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "report", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def write_report(db: Path, out: Path, *args: str) -> str:
    done = run_report("--db", str(db), "--out", str(out), *args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out.resolve())
    return out.read_text(encoding="utf-8")


# -- the fixture warehouse --------------------------------------------------------------------------------


def add_alert_marts_if_absent(db: Path) -> None:
    """Issue 19 builds marts.performance_alerts and marts.performance_change_points. Where this warehouse's
    models do not have them yet, the test creates the two tables itself (their columns as issue 19 defines
    them), from the regression mart's judgement of the same data: an alert per current regression, one
    earlier improvement alert on another series, and a change point at the regressed throughput run."""
    con = duckdb.connect(str(db))
    try:
        have = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        if "performance_alerts" not in have:
            con.execute("""
                create table marts.performance_alerts as
                with judged as (
                    select r.series_id, r.model_name, r.hardware_type, r.batch_size, r.precision,
                           r.sequence_length, r.test_case, r.metric, r.direction, r.current_result_id as result_id,
                           r.current_run_at as run_at, r.current_value, r.baseline_mean, r.baseline_stddev,
                           r.baseline_runs, r.change_pct, r.z_score, true as is_regression,
                           false as is_improvement, r.severity
                    from marts.performance_regressions as r where r.is_regression
                    union all
                    select series_id, model_name, hardware_type, batch_size, precision, sequence_length, test_case,
                           'throughput', 'higher_is_better', result_id, run_at, throughput_items_per_second,
                           throughput_items_per_second / 1.2, 1.0, 4, 20.0, 4.0, false, true, 'minor'
                    from marts.benchmark_results
                    where model_name = 't5-small' and hardware_type = 'cpu' and batch_size = 1
                    qualify row_number() over (order by run_at) = 5
                )
                select md5(j.result_id || j.metric) as alert_id, j.*, b.load_id, b.git_commit as commit_sha,
                       b.git_branch as branch, b.device_name as machine_name, b.run_id as ci_run_id
                from judged as j inner join marts.benchmark_results as b on b.result_id = j.result_id""")
        if "performance_change_points" not in have:
            con.execute("""
                create table marts.performance_change_points as
                select md5(series_id || metric) as change_point_id, series_id, model_name, hardware_type,
                       batch_size, precision, sequence_length, test_case, metric, direction,
                       current_run_at as changed_at, baseline_mean as before_value, current_value as after_value,
                       change_pct, true as is_regression, abs(z_score) as statistic, 3.0 as threshold,
                       baseline_runs as runs_before, 1 as runs_after
                from marts.performance_regressions where is_regression and metric = 'throughput'""")
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data (deterministic) plus three simulated runs, ingested, a real `dbt build`, alert marts."""
    work = tmp_path_factory.mktemp("report")
    data = work / "data"
    # dated so that the simulated runs of tests/fixtures_report (2026-10-24..26) fall in the report's window
    generated = subprocess.run(
        [sys.executable, "examples/generate_demo_data.py", str(data), "--base-date", "2026-11-22"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert generated.returncode == 0, generated.stderr
    db = work / "warehouse.duckdb"
    landed = run_ingest(db, data, ROOT / "tests" / "fixtures_report" / "simulated_runs.ndjson")
    assert landed.returncode == 0, landed.stderr
    build = run_dbt(db, work, "build", "--exclude-resource-type", "unit_test")
    assert build.returncode == 0, build.stdout[-5000:]
    add_alert_marts_if_absent(db)
    return db


@pytest.fixture(scope="module")
def demo_report(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "index.html"
    write_report(demo_warehouse, out)
    return out


def window_start(db: Path, days: int = 30) -> Any:
    """The window's start as the README defines it: ``days`` before the newest run or task start."""
    return query(
        db,
        f"""select greatest((select max(run_at) from marts.benchmark_results),
                                         (select max(started_at) from marts.generator_tasks))
                         - interval {days} day""",
    )[0][0]


# -- without a browser ------------------------------------------------------------------------------------


def test_a_missing_database_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    done = run_report("--db", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path / "r.html"))
    assert done.returncode == 1
    assert "nope.duckdb: no such database file" in done.stderr
    assert not (tmp_path / "r.html").exists()


def test_the_report_reads_the_warehouse_read_only_beside_another_reader(built_copy: Path, tmp_path: Path) -> None:
    before = built_copy.read_bytes()
    reader = duckdb.connect(str(built_copy), read_only=True)  # a writer could not open the file now
    try:
        write_report(built_copy, tmp_path / "r.html")
    finally:
        reader.close()
    assert built_copy.read_bytes() == before


def test_the_default_out_and_db_come_from_the_environment(built_copy: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "report"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DUCKDB_PATH": str(built_copy), "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "reports" / "index.html").is_file()


def test_absent_marts_and_empty_windows_are_said_not_drawn(built_fixture_db: Path, tmp_path: Path) -> None:
    page = write_report(built_fixture_db, tmp_path / "r.html")
    if not query(
        built_fixture_db, "select count(*) from information_schema.tables where table_name = 'performance_alerts'"
    )[0][0]:
        assert "marts.performance_alerts does not exist in this warehouse" in page
    # the fixture's series have too few runs to be judged: nothing regressed, and the page says so
    assert "No current regressions (series whose latest real run regressed) in the 30 days to" in page
    assert 'data-chart="chooser"' in page  # the fixture's runs are still charted


def test_the_page_is_self_contained(demo_report: Path) -> None:
    page = demo_report.read_text(encoding="utf-8")
    assert "default-src 'none'" in page  # the browser refuses any request the page might try
    for external in ('src="http', "src='http", 'href="http', "@import", "<link"):
        assert external not in page
    assert "window.vegaEmbed=" in page  # the chart library is inlined


# -- in Chromium ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser_context() -> Iterator[Any]:
    executable = find_chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1200, "height": 900},
        )
        yield context
        context.close()


class Opened:
    """A report opened in Chromium: its page, console messages and every request it made."""

    def __init__(self, context: Any, path: Path) -> None:
        self.page = context.new_page()
        self.console: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.console.append(("error", str(e))))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("document.body.dataset.ready", timeout=60_000)
        assert self.page.evaluate("document.body.dataset.ready") == "true", self.console

    def errors(self) -> list[str]:
        return [text for kind, text in self.console if kind == "error"]

    def marks(self, chart: str, layer: str) -> int:
        """Items Vega drew for mark layer ``layer`` of chart ``chart``: Vega names the group of a layer's
        marks ``LAYER_marks``, or ``LAYER_N_marks`` inside panel N of a concatenation."""
        return self.page.evaluate(
            """([c, l]) => {
            const name = new RegExp(`^${l}(_[0-9]+)?_marks$`);
            return [...document.querySelectorAll(`[data-chart='${c}'] g.role-mark`)]
                .filter(g => [...g.classList].some(token => name.test(token)))
                .reduce((n, g) => n + g.children.length, 0);
        }""",
            [chart, layer],
        )

    def signal(self, chart: str, name: str) -> Any:
        return self.page.evaluate("([c, n]) => window.reportViews[c].signal(n)", [chart, name])

    def choose(self, chart: str, option: str) -> None:
        self.page.select_option(f"[data-chart='{chart}'] select", option)
        self.page.evaluate("c => window.reportViews[c].runAsync().then(() => true)", chart)

    def table(self, name: str) -> list[list[str]]:
        return self.page.eval_on_selector_all(
            f"table[data-table='{name}'] tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
        )


@pytest.fixture(scope="module")
def opened(browser_context: Any, demo_report: Path) -> Opened:
    return Opened(browser_context, demo_report)


def test_the_page_opens_without_errors_or_requests(opened: Opened, demo_report: Path) -> None:
    assert opened.errors() == []
    assert opened.requests == [demo_report.resolve().as_uri()]


def test_every_section_is_there_with_its_statement(opened: Opened) -> None:
    for anchor in SECTIONS:
        section = opened.page.locator(f"section#{anchor}")
        assert section.count() == 1, anchor
        assert len(section.locator("p.statement").inner_text()) > 40, anchor
    unrendered = opened.page.evaluate(
        "[...document.querySelectorAll('[data-chart]')].filter(e => e.dataset.rendered !== 'true').length"
    )
    assert unrendered == 0


def test_the_regressions_table_is_the_marts_rows(opened: Opened, demo_warehouse: Path) -> None:
    expected = query(
        demo_warehouse,
        """
        select model_name, metric, severity, round(change_pct, 2) from marts.performance_regressions
        where is_regression and current_run_at >= $1
        order by case severity when 'critical' then 1 when 'major' then 2 else 3 end, abs(change_pct) desc""",
        [window_start(demo_warehouse)],
    )
    assert expected, "the demo data plants a regression"
    shown = opened.table("regressions")
    assert [(row[0].split(" · ")[0], row[1], row[7], float(row[5].replace(",", ""))) for row in shown] == [
        (m, metric, severity, change) for m, metric, severity, change in expected
    ]


def test_the_alerts_table_is_the_marts_rows_worst_first(opened: Opened, demo_warehouse: Path) -> None:
    expected = query(
        demo_warehouse,
        """
        select metric, severity, round(change_pct, 2) from marts.performance_alerts where run_at >= $1
        order by is_regression desc, case severity when 'critical' then 1 when 'major' then 2
                 when 'minor' then 3 else 4 end, abs(change_pct) desc, run_at desc""",
        [window_start(demo_warehouse)],
    )
    shown = opened.table("alerts")
    assert [(row[1], row[8], float(row[5].replace(",", ""))) for row in shown] == expected


def test_a_regression_links_to_its_trend_chart_with_runs_alerts_and_change_points(
    opened: Opened, demo_warehouse: Path
) -> None:
    ((series_id,),) = query(
        demo_warehouse, "select distinct series_id from marts.performance_regressions where is_regression"
    )
    link = opened.page.locator(f"table[data-table='regressions'] a[href='#series-{series_id}']").first
    assert link.count() == 1
    chart = opened.page.get_attribute(f"figure#series-{series_id} [data-chart]", "data-chart")
    runs = dict(
        query(
            demo_warehouse,
            """
        select is_simulated, count(*) from marts.benchmark_results
        where series_id = $1 and succeeded and throughput_items_per_second is not null and run_at >= $2
        group by is_simulated""",
            [series_id, window_start(demo_warehouse)],
        )
    )
    assert runs[True] == 3, "the three simulated runs of tests/fixtures_report"
    assert opened.marks(chart, "throughput_runs") == runs[True] + runs[False]
    # simulated points are drawn distinctly: squares, hollow (white fill)
    hollow = opened.page.evaluate(
        f"document.querySelectorAll(\"[data-chart='{chart}'] g.role-mark > path[fill='white']\").length"
    )
    assert hollow == 3 * runs[True]  # in each of the three metric panels
    alerts = query(
        demo_warehouse,
        "select count(*) from marts.performance_alerts where series_id = $1 and metric = 'throughput'",
        [series_id],
    )[0][0]
    changes = query(
        demo_warehouse,
        "select count(*) from marts.performance_change_points where series_id = $1 and metric = 'throughput'",
        [series_id],
    )[0][0]
    # the demo plants its regression on the newest runs: an alert, but no change point yet (a change point
    # needs min-segment runs after it; test_change_point_quality covers detection); the chart draws what
    # the mart holds either way
    assert alerts
    assert opened.marks(chart, "throughput_alerts") == alerts
    assert opened.marks(chart, "throughput_changes") == changes
    assert opened.marks(chart, "throughput_regression") == 1


def test_the_series_chooser_draws_the_chosen_series(opened: Opened, demo_warehouse: Path) -> None:
    start = window_start(demo_warehouse)

    def runs_of(series_id: str) -> int:
        return query(
            demo_warehouse,
            "select count(*) from marts.benchmark_results where series_id = $1 and succeeded and run_at >= $2",
            [series_id, start],
        )[0][0]

    first = opened.signal("chooser", "series")
    assert opened.marks("chooser", "latency_runs") == runs_of(first) > 0
    other = query(
        demo_warehouse,
        "select series_id from marts.benchmark_results where series_id <> $1 and model_name = 'openai/whisper-tiny' limit 1",
        [first],
    )[0][0]
    opened.choose("chooser", other)
    assert opened.marks("chooser", "latency_runs") == runs_of(other)


def test_hardware_charts_have_a_mark_per_data_point(opened: Opened, demo_warehouse: Path) -> None:
    start = window_start(demo_warehouse)
    pairs = query(
        demo_warehouse,
        """
        select count(distinct (model_name, hardware_type)) from marts.hardware_comparison
        where hardware_type <> 'cpu' and throughput_speedup_vs_cpu is not null and not is_simulated
          and run_at >= $1""",
        [start],
    )[0][0]
    assert pairs == 15  # 5 models x (cuda, openvino, webgpu)
    assert opened.marks("speedup", "speedup") == pairs
    for model in ("bert-base-uncased", "openai/whisper-tiny"):  # canonical names (models seed)
        opened.choose("scaling", model)
        points = query(
            demo_warehouse,
            """
            select count(distinct (hardware_type, precision, batch_size)) from marts.latest_performance
            where model_name = $1 and not is_simulated and batch_size is not null and run_at >= $2""",
            [model, start],
        )[0][0]
        assert opened.marks("scaling", "scaling") == points == 10  # 4 hardware x batch 1, 8 (+fp16 on cuda)


def test_the_compatibility_heatmap_has_a_cell_per_tested_model_and_hardware(
    opened: Opened, demo_warehouse: Path
) -> None:
    cells = query(
        demo_warehouse,
        """
        select count(*) from marts.compatibility_matrix where model_name in (
            select model_name from marts.compatibility_matrix where compatibility_status <> 'untested')""",
    )[0][0]
    assert cells > 0
    assert opened.marks("compatibility", "cells") == cells


def test_the_task_charts_have_a_mark_per_data_point(opened: Opened, demo_warehouse: Path) -> None:
    start = window_start(demo_warehouse)
    day_outcomes = query(
        demo_warehouse,
        """
        select count(*) filter (where completed_tasks > 0) + count(*) filter (where failed_tasks > 0)
             + count(*) filter (where total_tasks > completed_tasks + failed_tasks)
        from marts.daily_task_stats where day >= $1::date""",
        [start],
    )[0][0]
    assert opened.marks("tasks-per-day", "days") == day_outcomes > 0
    models = query(
        demo_warehouse,
        "select count(distinct coalesce(model_name, '')) from marts.generator_tasks "
        "where started_at >= $1 and duration is not null",
        [start],
    )[0][0]
    for layer in ("boxes", "whiskers", "medians"):
        assert opened.marks("durations", layer) == models
    steps = query(
        demo_warehouse,
        """
        select count(distinct s.step_name) from marts.generator_task_steps as s
        inner join marts.generator_tasks as t on t.task_id = s.task_id
        where t.started_at >= $1 and s.duration is not null""",
        [start],
    )[0][0]
    assert opened.marks("steps", "steps") == steps
    failures = query(
        demo_warehouse,
        """
        select count(distinct (coalesce(s.step_name, ''), coalesce(t.error, ''))) from marts.generator_tasks as t
        left join marts.generator_task_steps as s on s.task_id = t.task_id and s.status = 'error'
        where t.status = 'error' and t.started_at >= $1""",
        [start],
    )[0][0]
    assert opened.marks("failures", "failures") == failures > 0


def test_screenshots_of_the_report_and_each_section(opened: Opened) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    opened.page.screenshot(path=str(SCREENSHOTS / "report.png"), full_page=True)
    opened.page.evaluate("document.querySelector('nav').style.position = 'static'")  # not over the sections
    for anchor in SECTIONS:
        path = SCREENSHOTS / f"{anchor}.png"
        opened.page.locator(f"section#{anchor}").screenshot(path=str(path))
        assert path.stat().st_size > 5_000, anchor


def test_a_warehouse_without_the_alert_marts_still_renders(
    browser_context: Any, built_fixture_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "fixture.html"
    write_report(built_fixture_db, out)
    page = Opened(browser_context, out)
    assert page.errors() == []
    assert page.page.locator("p.empty").count() >= 1
    for anchor in SECTIONS:
        assert page.page.locator(f"section#{anchor}").count() == 1


@pytest.mark.parametrize("ci, outcome, code", [("true", "1 error", 1), ("", "1 skipped", 0)])
def test_without_a_browser_the_browser_tests_fail_under_ci_and_skip_elsewhere(ci: str, outcome: str, code: int) -> None:
    env = {**os.environ, "CHROMIUM": "/nonexistent/chromium", "CI": ci}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rfs",
            "-p",
            "no:cacheprovider",
            f"{Path(__file__)}::test_the_page_opens_without_errors_or_requests",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert outcome in done.stdout and done.returncode == code, done.stdout[-3000:]
    assert "install it with `apt-get install -y chromium`" in done.stdout
