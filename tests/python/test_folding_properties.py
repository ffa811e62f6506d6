"""Property: whatever the order, duplication and file split of generator events, the marts equal an
independent Python folding of the README's rules (reference_folding.py).

A dbt run costs seconds, so one Hypothesis example is not one stream but N_STREAMS independent
event streams, each in its own id namespace (tasks `s{n}-t{k}`, batches `s{n}-b{k}`), landed and
built together and then compared stream by stream. MAX_EXAMPLES examples run per test run.

Landing order is modelled exactly rather than avoided: occurred_at values are drawn from a small
range so that ties are frequent, and the reference breaks ties the way the README says (load, then
record) from where each line was written: files are ingested in index order (one load each), and
a line's record index is its 1-based line number. Exact duplicates land once (the first copy in
landing order), as ingest promises.

Shrinking is switched off: every shrink step would cost a full ingest + dbt build. Streams are
small and independent, so a failure reports the failing streams themselves (their events, in
event order with file:line, and both sides of every mart that differs).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import minified, ndjson, query, run_dbt, run_ingest, write
from reference_folding import fold, parse_time

N_STREAMS = 150
# Hypothesis' first example is always its simplest one (N_STREAMS copies of a one-event stream),
# so 3 examples check 2 * N_STREAMS = 300 varied streams (plus the simplest ones) per run.
MAX_EXAMPLES = 3
N_FILES = 3
MAX_SECOND = 15  # occurred_at = BASE + 0..15 s: few enough seconds that ties are common
BASE = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)

MARTS = (
    "generator_tasks",
    "generator_task_steps",
    "generator_task_metrics",
    "generator_task_tags",
    "generator_batch_tasks",
)
SELECT = " ".join(f"+{mart}" for mart in MARTS)
COLUMNS = {  # compared columns, in the order reference_folding.fold() gives them
    "generator_tasks": "task_id, model_name, hardware, status, progress, current_step, error, "
    "batch_id, started_at, completed_at, duration, task_type, step_count, "
    "metric_count",
    "generator_task_steps": "task_id, step_name, status, started_at, completed_at, duration, error",
    "generator_task_metrics": "task_id, metric_name, metric_value, metric_unit",
    "generator_task_tags": "task_id, tag_name, tag_value",
    "generator_batch_tasks": "batch_id, task_count, actual_task_count, completed_tasks, "
    "failed_tasks, running_tasks, status",
}

# event kinds, weighted by repetition
KINDS = (
    ["task_updated"] * 5
    + ["task_started"] * 3
    + ["task_completed"] * 2
    + ["batch_started"] * 2
    + ["batch_completed", "task_deleted", "batch_deleted"]
)
FILE_SETS = [(0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2)]
MODELS = ["bert-base-uncased", "t5-small", "vit-base"]
HARDWARE = ["cpu", "CUDA", "rocm", "WebGPU"]
STEPS = ["load_template", "render", "write_output"]
METRICS = {"tokens": 0.5, "render_ms": 0.5, "memory_mb": 0.3, "duration": 0.1}  # name: how often


def ts(second: int) -> str:
    return (BASE + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# Strategy. Hypothesis draws each stream's shape (how many tasks, which files it is spread over)
# and each event's kind, target and time; the events' optional fields, the file each copy goes to
# and which events are duplicated come from a per-stream seed it draws. That keeps an example of
# 150 streams inside Hypothesis' size budget (8 KiB of choices; beyond it examples are discarded).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamDraft:
    n_tasks: int
    files: tuple[int, ...]  # the files its events (and their duplicates) are spread over
    seed: int  # optional fields, file of each copy, duplicates
    events: tuple[tuple[str, int, int], ...]  # (kind, target task or batch, occurred_at second)


event_drafts = st.tuples(st.sampled_from(KINDS), st.integers(0, 5), st.integers(0, MAX_SECOND))


@st.composite
def stream_drafts(draw) -> StreamDraft:
    return StreamDraft(
        n_tasks=draw(st.integers(1, 3)),
        files=draw(st.sampled_from(FILE_SETS)),
        seed=draw(st.integers(0, 2**32 - 1)),
        events=tuple(draw(st.lists(event_drafts, min_size=1, max_size=12))),
    )


def metric_value(rng: random.Random):
    return rng.choice(
        [
            lambda: rng.randint(0, 500),
            lambda: rng.randint(0, 1000) / 10,
            lambda: {"value": rng.randint(0, 1000) / 10, "unit": rng.choice(["ms", "MiB"])},
            lambda: {"value": rng.randint(0, 50)},
            lambda: {"value": "fast", "unit": "ms"},  # not a number: ignored
            lambda: "n/a",  # text: ignored
            lambda: True,  # not a number: ignored
        ]
    )()


def tags(rng: random.Random) -> dict:
    names = [name for name in ("team", "priority", "owner") if rng.random() < 0.5] or ["team"]
    return {name: rng.choice(["nlp", "vision", "high", "low"]) for name in names}


def details(kind: str, second: int, rng: random.Random, ns: str, n_tasks: int) -> dict:
    """The optional fields of one event (README: The generator event contract)."""
    d: dict = {}
    if kind == "task_started":
        if rng.random() < 0.8:
            d["model_name"] = rng.choice(MODELS)
        r = rng.random()
        if r < 0.45:
            d["hardware"] = rng.sample(HARDWARE, rng.randint(1, 2))
        elif r < 0.7:
            d["hardware"] = rng.choice(HARDWARE)  # a single string
        if rng.random() < 0.2:
            d["task_type"] = "batch"
        if rng.random() < 0.4:
            d["batch_id"] = f"{ns}-b{rng.randrange(2)}"
        if rng.random() < 0.3:
            d["started_at"] = ts(second - rng.randint(0, 10))
        if rng.random() < 0.3:
            d["tags"] = tags(rng)
    elif kind == "task_updated":
        if rng.random() < 0.6:
            d["status"] = rng.choice(["initializing", "running", "running", "completed", "error"])
        if rng.random() < 0.6:
            d["progress"] = rng.randint(0, 20) / 20
        if rng.random() < 0.6:
            d["current_step"] = rng.choice(STEPS)
        if rng.random() < (0.8 if d.get("status") == "error" else 0.15):
            d["error"] = f"boom-{rng.randint(1, 3)}"
        if rng.random() < 0.5:
            d["metrics"] = {name: metric_value(rng) for name, p in METRICS.items() if rng.random() < p}
        if rng.random() < 0.3:
            d["tags"] = tags(rng)
    elif kind == "task_completed":
        result: dict = {}
        r = rng.random()
        if r < 0.9:
            result["success"] = r < 0.6
        if rng.random() < 0.4:
            result["duration"] = rng.randint(1, 900) / 10
        if result.get("success") is False and rng.random() < 0.8:
            result["error"] = f"failed-{rng.randint(1, 3)}"
        if rng.random() < 0.4:
            result["model_info"] = {"parameters": rng.randint(1, 10**9)}
            if rng.random() < 0.5:
                result["model_info"]["layers"] = rng.choice([6, 12, "twelve"])
        d["result"] = result
    elif kind == "batch_started":
        if rng.random() < 0.5:
            d["description"] = rng.choice(["nightly", "adhoc"])
        if rng.random() < 0.85:
            ids = [f"{ns}-t{k}" for k in range(n_tasks) if rng.random() < 0.6]
            if rng.random() < 0.15:
                ids.append(f"{ns}-t9")  # declared, but never has an event of its own
            d["task_ids"] = ids
    elif kind == "batch_deleted":
        r = rng.random()
        if r < 0.66:
            d["delete_tasks"] = r < 0.33
    return d


def materialize(n: int, draft: StreamDraft) -> list[tuple[dict, int]]:
    """The stream's NDJSON documents with the file each copy goes to (duplicates are verbatim)."""
    ns = f"s{n}"
    lines = []
    rng = random.Random(draft.seed)
    for kind, target, second in draft.events:
        doc = {"event": kind, "occurred_at": ts(second)}
        if kind.startswith("task_"):
            doc["task_id"] = f"{ns}-t{target % draft.n_tasks}"
        else:
            doc["batch_id"] = f"{ns}-b{target % 2}"
        doc.update(details(kind, second, rng, ns, draft.n_tasks))
        lines.append((doc, rng.choice(draft.files)))
        if rng.random() < 0.15:
            lines.append((doc, rng.choice(draft.files)))
    return lines


def stream_of(entity_id: str) -> str:
    return entity_id.split("-", 1)[0]


def normalized(value):
    if isinstance(value, float):
        return round(value, 6)  # tolerance: values compared to 1e-6
    if isinstance(value, list):
        return tuple(value)
    return value


def rows_by_stream(rows_by_mart: dict[str, list[tuple]]) -> dict[str, dict[str, Counter]]:
    grouped: dict[str, dict[str, Counter]] = {}
    for mart, rows in rows_by_mart.items():
        for row in rows:
            marts = grouped.setdefault(stream_of(row[0]), {m: Counter() for m in MARTS})
            marts[mart][tuple(normalized(v) for v in row)] += 1
    return grouped


def describe(
    stream: str, lines: list[tuple[dict, int, int]], expected: dict[str, Counter], actual: dict[str, Counter]
) -> str:
    def key(line):
        return (parse_time(line[0]["occurred_at"]), line[1], line[2])

    out = [(f"--- stream {stream}: events in event order (file:line = landing position; files were ingested 0, 1, 2):")]
    out += [f"  {f}:{n}  {minified(doc)}" for doc, f, n in sorted(lines, key=key)]
    for mart in MARTS:
        if expected[mart] == actual[mart]:
            continue
        out.append(f"  {mart}:")
        out.append(f"    columns: {COLUMNS[mart]}")
        missing, unexpected = expected[mart] - actual[mart], actual[mart] - expected[mart]
        out += [f"    missing (reference only): {row}" for row in sorted(missing, key=repr)]
        out += [f"    unexpected (marts only):  {row}" for row in sorted(unexpected, key=repr)]
        out += [f"    reference: {row}" for row in sorted(expected[mart].elements(), key=repr)]
        out += [f"    marts:     {row}" for row in sorted(actual[mart].elements(), key=repr)]
    return "\n".join(out)


def expected_rows(landed: dict[str, list[tuple[dict, int, int]]]) -> dict[str, list[tuple]]:
    rows: dict[str, list[tuple]] = {mart: [] for mart in MARTS}
    for lines in landed.values():
        for mart, mart_rows in fold(lines).items():
            rows[mart] += mart_rows
    return rows


@pytest.fixture(scope="session")
def dbt_work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dbt target folder and database path for every example, so dbt parses the project once:
    partial parsing is abandoned when the profile (the database path) changes."""
    return tmp_path_factory.mktemp("folding-dbt")


# on failure Hypothesis prints the whole drawn example (~35 kB); the assertion message says more
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)
@given(drafts=st.lists(stream_drafts(), min_size=N_STREAMS, max_size=N_STREAMS), shuffle_seed=st.integers(0, 2**32 - 1))
def test_marts_equal_reference_folding(tmp_path_factory, dbt_work, drafts, shuffle_seed):
    work = tmp_path_factory.mktemp("folding")
    db = dbt_work / "warehouse.duckdb"  # a fresh database at the same path for every example
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)

    # write every stream's events into N_FILES NDJSON files, each file's lines shuffled
    files: list[list[dict]] = [[] for _ in range(N_FILES)]
    for n, draft in enumerate(drafts):
        for doc, file_index in materialize(n, draft):
            files[file_index].append(doc)
    shuffler = random.Random(shuffle_seed)
    landed: dict[str, list[tuple[dict, int, int]]] = {}
    paths = []
    for file_index, docs in enumerate(files):
        if not docs:
            continue
        shuffler.shuffle(docs)
        paths.append(write(work / "landing" / f"events-{file_index}.ndjson", ndjson(docs)))
        for line, doc in enumerate(docs, start=1):
            landed.setdefault(stream_of(doc.get("task_id") or doc["batch_id"]), []).append((doc, file_index, line))

    ingest = run_ingest(db, *paths)  # in file index order: one load per file
    assert ingest.returncode == 0, ingest.stderr
    distinct = {minified(doc) for docs in files for doc in docs}
    assert query(db, "select count(*) from raw.task_events") == [(len(distinct),)]

    # `run`, not `build`: the marts' data tests and the unit tests do not depend on the drawn
    # events' values beyond what the comparison below checks (row counts included), and would
    # double the time of an example.
    build = run_dbt(db, dbt_work, "run", "--select", SELECT)
    assert build.returncode == 0, build.stdout[-8000:]

    actual = rows_by_stream(
        {mart: query(db, f"select {columns} from marts.{mart}") for mart, columns in COLUMNS.items()}
    )
    expected = rows_by_stream(expected_rows(landed))

    empty: dict[str, Counter] = {m: Counter() for m in MARTS}
    failing = sorted(s for s in set(expected) | set(actual) if expected.get(s, empty) != actual.get(s, empty))
    assert not failing, (
        f"{len(failing)} of {len(drafts)} streams differ from the reference folding "
        f"(database: {db}); the first ones:\n"
        + "\n".join(describe(s, landed.get(s, []), expected.get(s, empty), actual.get(s, empty)) for s in failing[:3])
    )
