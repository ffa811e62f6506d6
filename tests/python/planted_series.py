"""Seeded benchmark series with planted changes, for the change-point quality test and `make bench`.

Each series is one model on cpu (batch 1, fp32) whose throughput follows a pattern: one step of 5-50%
at several noise levels, two steps close together, single outliers, a slow drift, or pure noise.
The planted changes are known, so a detector's findings can be scored (see ``score``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOISE_LEVELS = (0.005, 0.01, 0.02, 0.04)  # noise standard deviation, as a fraction of the level
STEP_SIZES = (0.05, 0.1, 0.2, 0.3, 0.5)
MATCH_RUNS = 2  # a detection within this many runs of a planted change finds it
MIN_SIDE_RUNS = 6  # a planted change counts for recall with at least this many runs each side ...
MIN_STEP_SD = 3.0  # ... and a step of at least this many noise standard deviations
START = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)


@dataclass
class Series:
    name: str
    kind: str  # step, two_steps, outliers, drift, noise
    noise: float
    values: list[float]
    changes: list[int] = field(default_factory=list)  # index of the first run after each change
    step_sds: list[float] = field(default_factory=list)  # each change's size in noise sds

    def required(self) -> list[int]:
        """The planted changes a detector must find (big enough, with enough runs on each side)."""
        bounds = [0, *self.changes, len(self.values)]
        return [
            c
            for i, (c, sd) in enumerate(zip(self.changes, self.step_sds, strict=False))
            if sd >= MIN_STEP_SD and c - bounds[i] >= MIN_SIDE_RUNS and bounds[i + 2] - c >= MIN_SIDE_RUNS
        ]


def _noisy(rng: random.Random, levels: list[float], noise: float) -> list[float]:
    return [round(level * (1 + rng.gauss(0, noise)), 4) for level in levels]


def generate(count: int = 240, seed: int = 19, runs_between: tuple[int, int] = (36, 60)) -> list[Series]:
    """``count`` series (seeded): 40% one step, 15% two steps 8-12 runs apart, 15% single outliers,
    15% slow drifts (at most a quarter of a noise sd per run), 15% pure noise; 36-60 runs each (or
    ``runs_between``)."""
    rng = random.Random(seed)
    kinds = ["step"] * 8 + ["two_steps"] * 3 + ["outliers"] * 3 + ["drift"] * 3 + ["noise"] * 3
    series = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        noise = NOISE_LEVELS[rng.randrange(len(NOISE_LEVELS))]
        runs = rng.randint(*runs_between)
        base = rng.choice((50.0, 120.0, 800.0, 2400.0))
        levels = [base] * runs
        changes: list[int] = []
        sds: list[float] = []
        if kind in ("step", "two_steps"):
            at = [
                rng.randint(
                    MIN_SIDE_RUNS, runs - 2 * MIN_SIDE_RUNS - 12 if kind == "two_steps" else runs - MIN_SIDE_RUNS
                )
            ]
            if kind == "two_steps":
                at.append(at[0] + rng.randint(8, 12))
            for change in at:
                step = rng.choice(STEP_SIZES) * rng.choice((-1, 1))
                levels = levels[:change] + [v * (1 + step) for v in levels[change:]]
                changes.append(change)
                sds.append(abs(step) / noise)
        elif kind == "drift":
            slope = rng.uniform(0.1, 0.25) * noise * rng.choice((-1, 1))
            levels = [base * (1 + slope * r) for r in range(runs)]
        values = _noisy(rng, levels, noise)
        if kind == "outliers":
            for r in rng.sample(range(2, runs - 2), rng.randint(1, 3)):
                values[r] = round(base * (1 + rng.choice((-1, 1)) * rng.uniform(0.3, 1.0)), 4)
        series.append(Series(f"planted-{kind}-{i:04d}", kind, noise, values, changes, sds))
    return series


def run_at(run: int) -> datetime:
    return START + timedelta(days=run)


def write_results(
    series: list[Series],
    path: Path,
    first_run: int = 0,
    last_run: int | None = None,
    keep: Callable[[Series, int], bool] | None = None,
) -> Path:
    """Flat benchmark result rows (NDJSON) of runs first_run..last_run-1 of every series (those of them
    ``keep(series, run)`` accepts)."""
    with path.open("w", encoding="utf-8") as out:
        for s in series:
            for r, value in enumerate(s.values[first_run:last_run], start=first_run):
                if keep and not keep(s, r):
                    continue
                out.write(
                    json.dumps(
                        {
                            "model_name": s.name,
                            "hardware_type": "cpu",
                            "batch_size": 1,
                            "precision": "fp32",
                            "test_case": "planted",
                            "throughput_items_per_second": value,
                            "timestamp": run_at(r).isoformat().replace("+00:00", "Z"),
                        }
                    )
                    + "\n"
                )
    return path


@dataclass
class Score:
    true_positives: int
    false_positives: int
    found_required: int
    required: int

    @property
    def precision(self) -> float:
        detected = self.true_positives + self.false_positives
        return self.true_positives / detected if detected else 1.0

    @property
    def recall(self) -> float:
        return self.found_required / self.required if self.required else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(series: list[Series], detected: dict[str, list[int]]) -> Score:
    """Score detections (series name -> indexes of the first run after each detected change).

    A detection within MATCH_RUNS runs of a planted change (of any size) is a true positive, any
    other a false positive; recall counts the required changes (Series.required) that a detection
    matches."""
    tp = fp = found = required = 0
    for s in series:
        found_here = detected.get(s.name, [])
        for d in found_here:
            if any(abs(d - c) <= MATCH_RUNS for c in s.changes):
                tp += 1
            else:
                fp += 1
        for c in s.required():
            required += 1
            found += any(abs(d - c) <= MATCH_RUNS for d in found_here)
    return Score(tp, fp, found, required)
