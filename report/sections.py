"""The report's sections: SQL over the marts (all aggregation happens here) into blocks and charts.

Each section says in one line what it shows and which filters apply. A relation the warehouse lacks, or
a window with no data, gives an empty state that says so instead of empty axes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from report import charts
from report.page import Block, Chart, Empty, Section, Table, Tile, Tiles
from report.warehouse import Warehouse, Window

SEVERITY_RANK = "case {0} when 'critical' then 1 when 'major' then 2 when 'minor' then 3 else 4 end"
SERIES_LABEL = (
    "concat_ws(' · ', model_name, hardware_type, 'batch ' || batch_size, precision, "
    "'seq ' || sequence_length, test_case)"
)
SERIES_COLUMNS = "model_name, hardware_type, batch_size, precision, sequence_length, test_case"
TREND_POINTS = 240  # at most this many points per series and metric: runs closer in time are averaged
CHOOSER_POINTS = 30  # a point a day in the default window: the chooser's data is the page's largest
MAX_TRENDS = 30
MAX_CHOOSER_SERIES = 100
MAX_TABLE_ROWS = 100
MAX_MODELS = 20
MAX_ERRORS = 8

REGRESSIONS = "marts.performance_regressions"
ALERTS = "marts.performance_alerts"
CHANGES = "marts.performance_change_points"
RESULTS = "marts.benchmark_results"


@dataclass
class Context:
    warehouse: Warehouse
    window: Window

    @property
    def params(self) -> dict[str, Any]:
        return self.window.params()

    def rows(self, sql: str, **extra: Any) -> list[dict[str, Any]]:
        return self.warehouse.rows(sql, {**self.params, **extra})

    def missing(self, *relations: str) -> Empty | None:
        """An empty state naming the first relation the warehouse lacks, else None."""
        for relation in relations:
            if not self.warehouse.has(relation):
                return Empty(
                    f"{relation} does not exist in this warehouse (run `dbt build` with a version of "
                    f"the project that has it)."
                )
        return None

    def nothing(self, what: str) -> Empty:
        return Empty(f"No {what} in {self.window.describe()}.")


def series_anchor(series_id: str) -> str:
    return f"series-{series_id}"


# -- 1. At a glance ---------------------------------------------------------------------------------------


def _severity_tiles(ctx: Context, relation: str, time_column: str, noun: str) -> list[Tile]:
    if not ctx.warehouse.has(relation):
        return [Tile(noun, "–", f"{relation} does not exist")]
    counts = {
        r["severity"]: r["n"]
        for r in ctx.rows(
            f"select severity, count(*) as n from {relation} where is_regression "
            f"and {time_column} between $start and $end group by severity"
        )
    }
    tiles = [
        Tile(
            f"{severity} {noun}",
            str(counts.get(severity, 0)),
            "in the window",
            tone=("bad" if severity == "critical" else "warn") if counts.get(severity) else "good",
        )
        for severity in ("critical", "major", "minor")
    ]
    return tiles


def at_a_glance(ctx: Context) -> Section:
    tiles = _severity_tiles(ctx, REGRESSIONS, "current_run_at", "regressions")
    tiles += _severity_tiles(ctx, ALERTS, "run_at", "regression alerts")
    if ctx.warehouse.has(RESULTS):
        runs = ctx.rows(
            f"select count(*) filter (where not is_simulated) as real_runs, "
            f"count(*) filter (where is_simulated) as simulated, count(distinct series_id) as series "
            f"from {RESULTS} where run_at between $start and $end"
        )[0]
        tiles.append(
            Tile(
                "benchmark runs (real)",
                f"{runs['real_runs']:,}",
                f"{runs['series']:,} series; {runs['simulated']:,} simulated runs besides",
            )
        )
    if ctx.warehouse.has("marts.generator_tasks"):
        tasks = ctx.rows(
            "select count(*) as n, count(*) filter (where status = 'error') as failed, "
            "count(*) filter (where status not in ('completed', 'error')) as running "
            "from marts.generator_tasks where started_at between $start and $end"
        )[0]
        tiles.append(Tile("tasks run", f"{tasks['n']:,}", f"{tasks['running']:,} not finished"))
        tiles.append(
            Tile(
                "tasks failed",
                f"{tasks['failed']:,}",
                f"{100 * tasks['failed'] / tasks['n']:.1f}% of those run" if tasks["n"] else "",
                tone="bad" if tasks["failed"] else "good",
            )
        )
    if ctx.warehouse.has("raw.loads"):
        load = ctx.warehouse.rows(
            "select load_id, source_path, finished_at, status, records_landed "
            "from raw.loads order by load_id desc limit 1"
        )
        if load:
            newest = load[0]
            tiles.append(
                Tile(
                    "newest load",
                    str(newest["finished_at"] or "not finished")[:16],
                    f"#{newest['load_id']} {newest['status']}, {newest['records_landed']:,} records: "
                    f"{newest['source_path'][-60:]}",
                )
            )
    return Section(
        "glance",
        "At a glance",
        f"Counts over {ctx.window.describe()} (the newest data); benchmark runs real only unless said; "
        "the newest load is the warehouse's latest ingest.",
        [Tiles(tiles)],
    )


# -- 2. What regressed ------------------------------------------------------------------------------------


def current_regressions(ctx: Context) -> list[dict[str, Any]]:
    """The mart's regressions whose judged run is in the window, worst first."""
    return ctx.rows(f"""
        select series_id, {SERIES_LABEL} as series, metric, baseline_mean, baseline_runs, current_value,
               change_pct, z_score, severity, current_run_at
        from {REGRESSIONS}
        where is_regression and current_run_at between $start and $end
        order by {SEVERITY_RANK.format("severity")}, abs(change_pct) desc, series, metric""")


def window_alerts(ctx: Context) -> list[dict[str, Any]]:
    return ctx.rows(f"""
        select series_id, {SERIES_LABEL} as series, metric, run_at, baseline_mean, current_value, change_pct,
               z_score, case when is_regression then 'regression' when is_improvement then 'improvement'
                             else 'alert' end as kind, severity, commit_sha, branch, machine_name
        from {ALERTS}
        where run_at between $start and $end
        order by is_regression desc, {SEVERITY_RANK.format("severity")}, abs(change_pct) desc, run_at desc""")


def _capped(rows: list[dict[str, Any]], noun: str) -> tuple[list[dict[str, Any]], str]:
    if len(rows) <= MAX_TABLE_ROWS:
        return rows, ""
    return rows[:MAX_TABLE_ROWS], f"The worst {MAX_TABLE_ROWS} of {len(rows):,} {noun} are shown."


def what_regressed(ctx: Context, charted: set[str]) -> Section:
    blocks: list[Any] = []
    missing = ctx.missing(REGRESSIONS)
    regressions = [] if missing else current_regressions(ctx)
    if missing or not regressions:
        blocks.append(missing or ctx.nothing("current regressions (series whose latest real run regressed)"))
    else:
        shown, note = _capped(regressions, "regressions")
        blocks.append(
            Table(
                ["series", "metric", "baseline", "runs", "current", "change %", "z", "severity", "run at (UTC)"],
                [
                    [
                        r["series"],
                        r["metric"],
                        r["baseline_mean"],
                        r["baseline_runs"],
                        r["current_value"],
                        r["change_pct"],
                        r["z_score"],
                        r["severity"],
                        r["current_run_at"],
                    ]
                    for r in shown
                ],
                caption="Current regressions",
                name="regressions",
                note=note,
                links=[series_anchor(r["series_id"]) if r["series_id"] in charted else None for r in shown],
            )
        )
    missing = ctx.missing(ALERTS)
    alerts = [] if missing else window_alerts(ctx)
    if missing or not alerts:
        blocks.append(missing or ctx.nothing("alerts"))
    else:
        shown, note = _capped(alerts, "alerts")
        blocks.append(
            Table(
                [
                    "series",
                    "metric",
                    "run at (UTC)",
                    "baseline",
                    "value",
                    "change %",
                    "z",
                    "kind",
                    "severity",
                    "commit",
                    "branch",
                    "machine",
                ],
                [
                    [
                        a["series"],
                        a["metric"],
                        a["run_at"],
                        a["baseline_mean"],
                        a["current_value"],
                        a["change_pct"],
                        a["z_score"],
                        a["kind"],
                        a["severity"],
                        (a["commit_sha"] or "")[:10] or None,
                        a["branch"],
                        a["machine_name"],
                    ]
                    for a in shown
                ],
                caption="Alerts of the window",
                name="alerts",
                note=note,
                links=[series_anchor(a["series_id"]) if a["series_id"] in charted else None for a in shown],
            )
        )
    return Section(
        "regressed",
        "What regressed",
        "Current regressions (each series' latest real run judged against its previous runs, run in "
        "the window), then every alert of the window; worst first; a series links to its trend chart.",
        blocks,
    )


# -- 3. Trends --------------------------------------------------------------------------------------------


def flagged_series(ctx: Context) -> list[dict[str, Any]]:
    """Series with a current regression, an alert or a change point in the window, worst first."""
    parts = []
    if ctx.warehouse.has(REGRESSIONS):
        parts.append(
            f"select series_id, {SEVERITY_RANK.format('severity')} as rank, abs(change_pct) as size "
            f"from {REGRESSIONS} where is_regression and current_run_at between $start and $end"
        )
    if ctx.warehouse.has(ALERTS):
        parts.append(
            f"select series_id, case when is_regression then {SEVERITY_RANK.format('severity')} "
            f"else 5 end as rank, abs(change_pct) as size from {ALERTS} where run_at between $start and $end"
        )
    if ctx.warehouse.has(CHANGES):
        parts.append(
            f"select series_id, case when is_regression then 4 else 6 end as rank, "
            f"abs(change_pct) as size from {CHANGES} where changed_at between $start and $end"
        )
    if not parts or not ctx.warehouse.has(RESULTS):
        return []
    return ctx.rows(f"""
        with flagged as ({" union all ".join(parts)}),
        ranked as (
            select series_id, min(rank) as rank, max(size) as size from flagged group by series_id
        ),
        labels as (
            select distinct on (series_id) series_id, {SERIES_LABEL} as series from {RESULTS}
            where series_id in (select series_id from ranked)
        )
        select r.series_id, coalesce(l.series, r.series_id) as series
        from ranked as r left join labels as l on l.series_id = r.series_id
        order by r.rank, r.size desc nulls last, series""")


def run_points(ctx: Context, series_ids: list[str], points: int) -> list[dict[str, Any]]:
    """Succeeded runs of the series in the window, long by metric; runs within window/points of each
    other (same series, metric and kind) averaged into one point."""
    return ctx.rows(
        f"""
        with runs as (
            select series_id, run_at, case when is_simulated then 'simulated' else 'real' end as run,
                   throughput_items_per_second as throughput, average_latency_ms as latency,
                   memory_peak_mb as memory
            from {RESULTS}
            where succeeded and run_at between $start and $end and list_contains($series, series_id)
        ),
        long as (unpivot runs on throughput, latency, memory into name metric value v)
        select series_id as s, metric, run, round(avg(epoch_ms(run_at)))::bigint as t, round(avg(v), 4) as v,
               count(*) as n
        from long
        where isfinite(v)
        group by s, metric, run, time_bucket(to_seconds($bucket), run_at, $start::timestamp)
        order by s, metric, t""",
        series=series_ids,
        bucket=ctx.window.days * 86400.0 / points,
    )


def series_marks(ctx: Context, series_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Alerts, change points and current regressions of the series, each with its series id ``s``."""
    marks: dict[str, list[dict[str, Any]]] = {"alerts": [], "changes": [], "regressions": []}
    if ctx.warehouse.has(ALERTS):
        marks["alerts"] = ctx.rows(
            f"""
            select series_id as s, metric, epoch_ms(run_at) as t, current_value as v, severity, change_pct,
                   case when is_regression then 'regression' when is_improvement then 'improvement'
                        else 'alert' end as kind
            from {ALERTS} where run_at between $start and $end and list_contains($series, series_id)""",
            series=series_ids,
        )
    if ctx.warehouse.has(CHANGES):
        marks["changes"] = ctx.rows(
            f"""
            select series_id as s, metric, epoch_ms(changed_at) as t, before_value as before,
                   after_value as after, change_pct
            from {CHANGES} where changed_at between $start and $end and list_contains($series, series_id)""",
            series=series_ids,
        )
    if ctx.warehouse.has(REGRESSIONS):
        marks["regressions"] = ctx.rows(
            f"""
            select series_id as s, metric, epoch_ms(current_run_at) as t, current_value as v, severity, change_pct
            from {REGRESSIONS}
            where is_regression and current_run_at between $start and $end and list_contains($series, series_id)""",
            series=series_ids,
        )
    return marks


def _of(rows: list[dict[str, Any]], series_id: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["s"] == series_id]


def trend_charts(ctx: Context, flagged: list[dict[str, Any]]) -> list[Chart]:
    ids = [f["series_id"] for f in flagged]
    runs = run_points(ctx, ids, TREND_POINTS)
    marks = series_marks(ctx, ids)
    result = []
    for index, series in enumerate(flagged):
        own = _of(runs, series["series_id"])
        metrics = [m for m in charts.METRICS if any(r["metric"] == m for r in own)]
        if not metrics:
            continue
        spec = charts.series_trend(
            metrics, own, *(_of(marks[k], series["series_id"]) for k in ("alerts", "changes", "regressions"))
        )
        result.append(Chart(f"trend-{index}", series["series"], spec, anchor=series_anchor(series["series_id"])))
    return result


def chooser_chart(ctx: Context) -> Chart | Empty:
    options = ctx.rows(f"""
        select series_id, {SERIES_LABEL} as series, count(*) as runs from {RESULTS}
        where succeeded and run_at between $start and $end
        group by all order by count(*) filter (where not is_simulated) desc, runs desc, series
        limit {MAX_CHOOSER_SERIES}""")
    if not options:
        return ctx.nothing("benchmark results")
    total = ctx.warehouse.value(
        f"select count(distinct series_id) from {RESULTS} where succeeded and run_at between $start and $end",
        ctx.params,
    )
    runs = run_points(ctx, [o["series_id"] for o in options], CHOOSER_POINTS)
    spec = charts.series_chooser([(o["series_id"], o["series"]) for o in options], runs)
    note = (
        f"The chooser offers the {len(options)} series with the most runs of {total:,}." if total > len(options) else ""
    )
    return Chart("chooser", "Any series", spec, note=note)


def trends(ctx: Context) -> tuple[Section, set[str]]:
    blocks: list[Any] = []
    charted: set[str] = set()
    missing = ctx.missing(RESULTS)
    if missing:
        return Section("trends", "Trends", "Per-series throughput, latency and memory.", [missing]), charted
    flagged = flagged_series(ctx)
    absent = [r for r in (REGRESSIONS, ALERTS, CHANGES) if not ctx.warehouse.has(r)]
    if absent:
        blocks.append(Empty(f"{', '.join(absent)} not in this warehouse: their marks are missing from the charts."))
    if not flagged:
        blocks.append(ctx.nothing("series with regressions, alerts or change points"))
    charts_ = trend_charts(ctx, flagged[:MAX_TRENDS])
    charted = {f["series_id"] for f in flagged[:MAX_TRENDS]}
    blocks += charts_
    if len(flagged) > MAX_TRENDS:
        blocks.append(Empty(f"{len(flagged) - MAX_TRENDS:,} more flagged series are not drawn; pick them below."))
    blocks.append(chooser_chart(ctx))
    hours = ctx.window.days * 24 / TREND_POINTS
    return Section(
        "trends",
        "Trends",
        f"Throughput, latency and memory over the window for each series with a current regression, an alert or a "
        f"change point in it (worst first), then any series: a point per succeeded run (runs within {hours:g} h "
        f"averaged), simulated runs grey, hollow and dashed; ▲ alert, ○ current regression, dashed rule change "
        f"point.",
        blocks,
    ), charted


# -- 4. Hardware ------------------------------------------------------------------------------------------


def hardware(ctx: Context) -> Section:
    blocks: list[Any] = []
    missing = ctx.missing("marts.hardware_comparison")
    speedups = (
        []
        if missing
        else ctx.rows(f"""
        with compared as (
            select model_name, hardware_type, throughput_speedup_vs_cpu
            from marts.hardware_comparison
            where hardware_type <> 'cpu' and throughput_speedup_vs_cpu is not null and not is_simulated
              and run_at between $start and $end
        ),
        top_models as (
            select model_name from compared group by model_name
            order by count(*) desc, model_name limit {MAX_MODELS}
        )
        select model_name, hardware_type, median(throughput_speedup_vs_cpu) as speedup,
               count(*) as configurations
        from compared where model_name in (select model_name from top_models)
        group by all order by model_name, hardware_type""")
    )
    blocks.append(
        Chart("speedup", "Speed-up over cpu", charts.speedup_bars(speedups))
        if speedups
        else missing or ctx.nothing("real results with a cpu result to compare with")
    )
    missing = ctx.missing("marts.latest_performance")
    scaling = (
        []
        if missing
        else ctx.rows(f"""
        with latest as (
            select model_name, hardware_type, coalesce(precision, '(unknown)') as precision, batch_size,
                   throughput_items_per_second
            from marts.latest_performance
            where not is_simulated and batch_size is not null and throughput_items_per_second is not null
              and run_at between $start and $end
        ),
        top_models as (
            select model_name from latest group by model_name
            order by count(distinct batch_size) desc, count(*) desc, model_name limit {MAX_MODELS}
        )
        select model_name, hardware_type, precision, batch_size, avg(throughput_items_per_second) as throughput
        from latest where model_name in (select model_name from top_models)
        group by all order by model_name, hardware_type, precision, batch_size""")
    )
    models = list(dict.fromkeys(r["model_name"] for r in scaling))
    blocks.append(
        Chart("scaling", "Batch-size scaling", charts.batch_scaling(models, scaling))
        if scaling
        else missing or ctx.nothing("real results with a batch size")
    )
    return Section(
        "hardware",
        "Hardware",
        f"Latest real result of each configuration, run in the window: throughput speed-up over cpu on "
        f"the same model, batch size, precision, sequence length and test case (median over those), and "
        f"throughput by batch size per hardware kind (up to {MAX_MODELS} models with the most results).",
        blocks,
    )


# -- 5. Compatibility -------------------------------------------------------------------------------------


def compatibility(ctx: Context) -> Section:
    statement = (
        "Every model with any evidence × hardware kind, from all test and benchmark results (not only "
        "the window): the latest real evidence decides, else the latest simulated; pale = simulated."
    )
    missing = ctx.missing("marts.compatibility_matrix")
    if missing:
        return Section("compatibility", "Compatibility", statement, [missing])
    cells = ctx.rows("""
        with tested as (
            select model_name from marts.compatibility_matrix
            group by model_name having bool_or(compatibility_status <> 'untested')
        )
        select model_name, hardware_type,
               case when compatibility_status = 'untested' then 'untested'
                    else compatibility_status || ' (' || coalesce(evidence, 'real') || ')' end as cell,
               decided_by, last_tested_at, passed_count, failed_count
        from marts.compatibility_matrix
        where model_name in (select model_name from tested)
        order by model_name, hardware_type""")
    untested = ctx.warehouse.value(
        "select count(distinct model_name) - count(distinct model_name) filter "
        "(where compatibility_status <> 'untested') from marts.compatibility_matrix"
    )
    if not cells:
        return Section(
            "compatibility",
            "Compatibility",
            statement,
            [Empty("No compatibility evidence: no test or benchmark result names a model and hardware.")],
        )
    note = (
        f"{untested:,} models known from the seeds have no evidence on any hardware and are not drawn."
        if untested
        else ""
    )
    return Section(
        "compatibility",
        "Compatibility",
        statement,
        [Chart("compatibility", "Model × hardware", charts.compatibility_heatmap(cells), note=note)],
    )


# -- 6. Generator tasks -----------------------------------------------------------------------------------


def _task_chart(ctx: Context, name: str, title: str, sql: str, build: Any, what: str) -> Chart | Empty:
    rows = ctx.rows(sql)
    return Chart(name, title, build(rows)) if rows else ctx.nothing(what)


def generator_tasks(ctx: Context) -> Section:
    statement = (
        "Tasks started in the window: per UTC day by outcome, duration per model (box: quartiles, "
        f"whiskers: 5th-95th percentile; the {MAX_MODELS} models with most tasks), time per step, and "
        "failed tasks by the step they failed in and their error."
    )
    missing = ctx.missing("marts.generator_tasks", "marts.generator_task_steps", "marts.daily_task_stats")
    if missing:
        return Section("tasks", "Generator tasks", statement, [missing])
    in_window = "started_at between $start and $end"
    blocks: list[Block] = [
        _task_chart(
            ctx,
            "tasks-per-day",
            "Tasks per day",
            """
            with days as (
                select day, completed_tasks as completed, failed_tasks as failed,
                       total_tasks - completed_tasks - failed_tasks as "not finished"
                from marts.daily_task_stats where day between $start::date and $end::date
            )
            select strftime(day, '%Y-%m-%d') as day, outcome, tasks
            from (unpivot days on completed, failed, "not finished" into name outcome value tasks)
            where tasks > 0 order by day, outcome""",
            charts.daily_tasks,
            "tasks started",
        ),
        _task_chart(
            ctx,
            "durations",
            "Duration per model",
            f"""
            with finished as (
                select coalesce(model_name, '(unknown)') as model_name, duration
                from marts.generator_tasks where {in_window} and duration is not null and isfinite(duration)
            ),
            top_models as (
                select model_name from finished group by model_name
                order by count(*) desc, model_name limit {MAX_MODELS}
            ),
            stats as (
                select model_name, count(*) as tasks,
                       quantile_cont(duration, [0.05, 0.25, 0.5, 0.75, 0.95]) as q
                from finished where model_name in (select model_name from top_models) group by model_name
            )
            select model_name, tasks, q[1] as p5, q[2] as q1, q[3] as median, q[4] as q3, q[5] as p95
            from stats order by tasks desc, model_name""",
            charts.duration_boxes,
            "finished tasks",
        ),
        _task_chart(
            ctx,
            "steps",
            "Time per step",
            f"""
            select s.step_name, count(*) as steps, median(s.duration) as median,
                   quantile_cont(s.duration, 0.95) as p95
            from marts.generator_task_steps as s
            inner join marts.generator_tasks as t on t.task_id = s.task_id
            where t.{in_window} and s.duration is not null and isfinite(s.duration)
            group by s.step_name order by median desc, s.step_name limit 20""",
            charts.step_times,
            "finished steps",
        ),
        _task_chart(
            ctx,
            "failures",
            "Failures by step and error",
            f"""
            with failed as (
                select coalesce(s.step_name, '(no step recorded)') as step_name,
                       coalesce(left(split_part(t.error, chr(10), 1), 90), '(no error message)') as error
                from marts.generator_tasks as t
                left join marts.generator_task_steps as s on s.task_id = t.task_id and s.status = 'error'
                where t.{in_window} and t.status = 'error'
            ),
            top_errors as (
                select error from failed group by error order by count(*) desc, error limit {MAX_ERRORS}
            )
            select step_name,
                   case when error in (select error from top_errors) then error else '(other errors)' end as error,
                   count(*) as failures
            from failed group by all order by failures desc, step_name, error""",
            charts.failures,
            "failed tasks",
        ),
    ]
    return Section("tasks", "Generator tasks", statement, blocks)


def all_sections(warehouse: Warehouse, window: Window) -> list[Section]:
    ctx = Context(warehouse, window)
    trend_section, charted = trends(ctx)
    return [
        at_a_glance(ctx),
        what_regressed(ctx, charted),
        trend_section,
        hardware(ctx),
        compatibility(ctx),
        generator_tasks(ctx),
    ]
