"""Vega-Lite specifications (made with Altair) for the report's charts.

Each builder takes rows already aggregated in SQL and returns a plain spec dict. Data goes in as named
``datasets`` after Altair has built (and validated) the spec, so validation does not walk the points.
Every drawn mark layer has a ``name``: Vega renders it as ``<g class="… NAME_marks">``, which is how the
browser test counts the marks of each layer.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import altair as alt

Rows = list[dict[str, Any]]

METRICS = {  # metric: (title, unit)
    "throughput": ("Throughput", "items/s"),
    "latency": ("Mean latency", "ms"),
    "memory": ("Peak memory", "MB"),
}
RUN_KINDS = alt.Scale(domain=["real", "simulated"], range=["#1f6fb4", "#9a9a9a"])
SEVERITY_COLORS = alt.Scale(domain=["critical", "major", "minor"], range=["#b2182b", "#ef8a62", "#f4c26b"])
COMPATIBILITY = alt.Scale(
    domain=[
        "compatible (real)",
        "compatible (simulated)",
        "incompatible (real)",
        "incompatible (simulated)",
        "untested",
    ],
    range=["#1a9850", "#a6dba0", "#d73027", "#f4a582", "#e0e0e0"],
)
UTC_TIME = alt.Scale(type="utc")


def _data(name: str) -> alt.Data:
    return alt.Data(name=name)


def finish(chart: alt.TopLevelMixin, datasets: dict[str, Rows]) -> dict[str, Any]:
    """The chart as a spec dict with its data attached as named datasets."""
    spec = chart.to_dict()
    spec["datasets"] = datasets
    spec.setdefault("config", {}).update({"view": {"stroke": None}, "font": "system-ui, sans-serif"})
    return spec


def _time(title: str | None = None) -> alt.X:
    return alt.X(
        "t:T", title=title, scale=UTC_TIME, axis=alt.Axis(format="%b %d", labelAngle=0, labelOverlap=True, tickCount=6)
    )


def _when() -> alt.Tooltip:
    return alt.Tooltip("t:T", title="when (UTC)", format="%Y-%m-%d %H:%M", formatType="utc")


def _metric_panel(
    metric: str, marks: dict[str, Rows], extra_filter: str | None = None, width: int = 300
) -> alt.LayerChart:
    """One metric of a series over time: runs as a line with points (simulated runs grey, hollow and
    dashed), alerts as triangles, the current regression as a ring, change points as dashed rules."""
    title, unit = METRICS[metric]
    keep = f"datum.metric === '{metric}'" + (f" && ({extra_filter})" if extra_filter else "")
    y = alt.Y("v:Q", title=f"{title} ({unit})", scale=alt.Scale(zero=False))
    runs = alt.Chart(_data("runs")).transform_filter(keep)
    line = (
        runs.mark_line(strokeWidth=1.5)
        .encode(
            x=_time(),
            y=y,
            detail="run:N",
            color=alt.Color(
                "run:N", scale=RUN_KINDS, title="runs", legend=alt.Legend(orient="bottom", direction="horizontal")
            ),
            strokeDash=alt.StrokeDash(
                "run:N", scale=alt.Scale(domain=["real", "simulated"], range=[[1, 0], [4, 3]]), legend=None
            ),
        )
        .properties(name=f"{metric}_line")
    )
    points = (
        runs.mark_point(size=28, strokeWidth=1.5)
        .encode(
            x=_time(),
            y=y,
            color=alt.Color("run:N", scale=RUN_KINDS, legend=None),
            fill=alt.Fill(
                "run:N", scale=alt.Scale(domain=["real", "simulated"], range=["#1f6fb4", "white"]), legend=None
            ),
            shape=alt.Shape(
                "run:N", scale=alt.Scale(domain=["real", "simulated"], range=["circle", "square"]), legend=None
            ),
            tooltip=[
                _when(),
                alt.Tooltip("v:Q", title=unit, format=",.3~f"),
                alt.Tooltip("n:Q", title="runs"),
                alt.Tooltip("run:N", title="kind"),
            ],
        )
        .properties(name=f"{metric}_runs")
    )
    changes = (
        alt.Chart(_data("changes"))
        .transform_filter(keep)
        .mark_rule(color="#e08214", strokeDash=[5, 3], strokeWidth=1.5)
        .encode(
            x=_time(),
            tooltip=[
                _when(),
                alt.Tooltip("before:Q", format=",.3~f"),
                alt.Tooltip("after:Q", format=",.3~f"),
                alt.Tooltip("change_pct:Q", title="change %", format="+.1f"),
            ],
        )
        .properties(name=f"{metric}_changes")
    )
    alerts = (
        alt.Chart(_data("alerts"))
        .transform_filter(keep)
        .mark_point(shape="triangle-up", size=110, filled=True, opacity=0.9)
        .encode(
            x=_time(),
            y=y,
            color=alt.Color(
                "severity:N",
                scale=SEVERITY_COLORS,
                title="alerts",
                legend=alt.Legend(orient="bottom", direction="horizontal"),
            ),
            tooltip=[
                _when(),
                alt.Tooltip("v:Q", title=unit, format=",.3~f"),
                "severity:N",
                "kind:N",
                alt.Tooltip("change_pct:Q", title="change %", format="+.1f"),
            ],
        )
        .properties(name=f"{metric}_alerts")
    )
    regression = (
        alt.Chart(_data("regressions"))
        .transform_filter(keep)
        .mark_point(shape="circle", size=260, filled=False, strokeWidth=2.5, color="#b2182b")
        .encode(
            x=_time(),
            y=y,
            tooltip=[
                _when(),
                alt.Tooltip("v:Q", title=unit, format=",.3~f"),
                "severity:N",
                alt.Tooltip("change_pct:Q", title="change %", format="+.1f"),
            ],
        )
        .properties(name=f"{metric}_regression")
    )
    # only layers of this metric with data: an empty layer makes Vega warn of an infinite extent
    drawn = [
        layer
        for kind, layer in (("changes", changes), ("alerts", alerts), ("regressions", regression))
        if any(row["metric"] == metric for row in marks.get(kind, []))
    ]
    return (
        alt.layer(line, points, *drawn)
        .resolve_scale(color="independent")
        .properties(width=width, height=150, title=title)
    )


def series_trend(metrics: list[str], runs: Rows, alerts: Rows, changes: Rows, regressions: Rows) -> dict[str, Any]:
    """One series: a panel per metric that has runs."""
    marks = {"alerts": alerts, "changes": changes, "regressions": regressions}
    layers = tuple(
        (m, tuple(kind for kind, rows in marks.items() if any(r["metric"] == m for r in rows))) for m in metrics
    )
    spec = json.loads(_trend_layout(layers))
    spec["datasets"] = {"runs": runs, **marks}
    return spec


@functools.cache
def _trend_layout(layers: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """A trend chart's spec without its data, for its (metric, kinds of marks drawn) panels: the same for
    every series with the same panels, so Altair builds and validates it once (measured: 30 trend charts
    took most of the report's 27 s at 5M rows when built one by one)."""
    marks = {
        kind: [{"metric": m} for m, kinds in layers if kind in kinds] for kind in ("alerts", "changes", "regressions")
    }
    chart = alt.hconcat(*[_metric_panel(m, marks) for m, _ in layers]).resolve_scale(color="independent")
    return json.dumps(finish(chart, {}))


def series_chooser(options: list[tuple[str, str]], runs: Rows) -> dict[str, Any]:
    """Any series picked from a drop-down (``options``: key, label), a panel per metric."""
    chooser = alt.param(
        name="series",
        value=options[0][0],
        bind=alt.binding_select(
            options=[key for key, _ in options], labels=[label for _, label in options], name="series "
        ),
    )
    panels = [_metric_panel(metric, {}, extra_filter="datum.s === series") for metric in METRICS]
    chart = alt.hconcat(*panels).add_params(chooser)
    return finish(chart, {"runs": runs})


def speedup_bars(rows: Rows) -> dict[str, Any]:
    """Median throughput speed-up over cpu per model, a bar per hardware kind."""
    base = alt.Chart(_data("speedups"))
    bars = (
        base.mark_bar()
        .encode(
            y=alt.Y("model_name:N", title=None, sort=None),
            yOffset="hardware_type:N",
            x=alt.X("speedup:Q", title="throughput ÷ cpu throughput (median over configurations)"),
            color=alt.Color("hardware_type:N", title="hardware"),
            tooltip=[
                "model_name:N",
                "hardware_type:N",
                alt.Tooltip("speedup:Q", format=".2f"),
                alt.Tooltip("configurations:Q"),
            ],
        )
        .properties(name="speedup")
    )
    one = alt.Chart(_data("one")).mark_rule(color="#444", strokeDash=[3, 3]).encode(x="x:Q")
    chart = alt.layer(one, bars).properties(width=620)
    return finish(chart, {"speedups": rows, "one": [{"x": 1}]})


def batch_scaling(models: list[str], rows: Rows) -> dict[str, Any]:
    """Throughput against batch size for one model (drop-down), a line per hardware kind and precision."""
    model = alt.param(name="model", value=models[0], bind=alt.binding_select(options=models, name="model "))
    base = alt.Chart(_data("scaling")).transform_filter("datum.model_name === model")
    x = alt.X("batch_size:Q", title="batch size", scale=alt.Scale(type="log", base=2))
    y = alt.Y("throughput:Q", title="throughput (items/s)")
    line = (
        base.mark_line()
        .encode(
            x=x,
            y=y,
            color=alt.Color("hardware_type:N", title="hardware"),
            strokeDash=alt.StrokeDash("precision:N"),
            detail="precision:N",
        )
        .properties(name="scaling_line")
    )
    points = (
        base.mark_point(filled=True, size=40)
        .encode(
            x=x,
            y=y,
            color="hardware_type:N",
            tooltip=[
                "model_name:N",
                "hardware_type:N",
                "precision:N",
                "batch_size:Q",
                alt.Tooltip("throughput:Q", format=",.1f"),
            ],
        )
        .properties(name="scaling")
    )
    chart = alt.layer(line, points).add_params(model).properties(width=620, height=260)
    return finish(chart, {"scaling": rows})


def compatibility_heatmap(rows: Rows) -> dict[str, Any]:
    """The model x hardware matrix, a cell per pair coloured by status and evidence."""
    chart = (
        alt.Chart(_data("cells"))
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("hardware_type:N", title=None, axis=alt.Axis(orient="top", labelAngle=0)),
            y=alt.Y("model_name:N", title=None),
            color=alt.Color("cell:N", scale=COMPATIBILITY, title="status"),
            tooltip=[
                "model_name:N",
                "hardware_type:N",
                "cell:N",
                "decided_by:N",
                "last_tested_at:N",
                "passed_count:Q",
                "failed_count:Q",
            ],
        )
        .properties(name="cells", width=alt.Step(58), height=alt.Step(16))
    )
    return finish(chart, {"cells": rows})


def daily_tasks(rows: Rows) -> dict[str, Any]:
    """Tasks started per UTC day, stacked by outcome."""
    chart = (
        alt.Chart(_data("days"))
        .mark_bar()
        .encode(
            x=alt.X("utcyearmonthdate(day):T", title=None, axis=alt.Axis(format="%b %d", labelAngle=0)),
            y=alt.Y("tasks:Q", title="tasks started", stack="zero"),
            color=alt.Color(
                "outcome:N",
                title=None,
                scale=alt.Scale(
                    domain=["completed", "failed", "not finished"], range=["#4c9f70", "#d73027", "#bdbdbd"]
                ),
            ),
            tooltip=["day:N", "outcome:N", "tasks:Q"],
        )
        .properties(name="days", width=620, height=180)
    )
    return finish(chart, {"days": rows})


def duration_boxes(rows: Rows) -> dict[str, Any]:
    """Task duration per model as a box (quartiles), whiskers (p5-p95) and a median tick."""
    base = alt.Chart(_data("durations")).encode(y=alt.Y("model_name:N", title=None, sort=None))
    tooltip = ["model_name:N", "tasks:Q"] + [
        alt.Tooltip(f"{c}:Q", format=",.1f") for c in ("p5", "q1", "median", "q3", "p95")
    ]
    whiskers = (
        base.mark_rule(color="#666")
        .encode(x=alt.X("p5:Q", title="duration (seconds)"), x2="p95:Q", tooltip=tooltip)
        .properties(name="whiskers")
    )
    boxes = (
        base.mark_bar(size=12, color="#8fb8de").encode(x="q1:Q", x2="q3:Q", tooltip=tooltip).properties(name="boxes")
    )
    medians = (
        base.mark_tick(color="#08306b", thickness=2, size=14)
        .encode(x="median:Q", tooltip=tooltip)
        .properties(name="medians")
    )
    return finish(alt.layer(whiskers, boxes, medians).properties(width=620), {"durations": rows})


def step_times(rows: Rows) -> dict[str, Any]:
    """Median time per step, with its p95 as a tick."""
    base = alt.Chart(_data("steps")).encode(y=alt.Y("step_name:N", title=None, sort=None))
    tooltip = ["step_name:N", "steps:Q", alt.Tooltip("median:Q", format=",.2f"), alt.Tooltip("p95:Q", format=",.2f")]
    bars = (
        base.mark_bar(color="#6a51a3")
        .encode(x=alt.X("median:Q", title="seconds (bar: median, tick: p95)"), tooltip=tooltip)
        .properties(name="steps")
    )
    p95 = base.mark_tick(color="#3f007d", thickness=2).encode(x="p95:Q", tooltip=tooltip).properties(name="steps_p95")
    return finish(alt.layer(bars, p95).properties(width=620), {"steps": rows})


def failures(rows: Rows) -> dict[str, Any]:
    """Failed tasks per step they failed in, stacked by error."""
    chart = (
        alt.Chart(_data("failures"))
        .mark_bar()
        .encode(
            y=alt.Y("step_name:N", title="failed in step", sort="-x"),
            x=alt.X("failures:Q", title="failed tasks"),
            color=alt.Color("error:N", title="error", legend=alt.Legend(orient="bottom", columns=1, labelLimit=600)),
            tooltip=["step_name:N", "error:N", "failures:Q"],
        )
        .properties(name="failures", width=620)
    )
    return finish(chart, {"failures": rows})
