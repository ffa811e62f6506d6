#!/usr/bin/env python3
"""Generate benchmark input at scale, in bulk, with DuckDB (no Python loop per record).

    python bench/generate.py events OUT.ndjson --records 1000000 [--seed 1]
    python bench/generate.py benchmarks OUT.ndjson --records 1000000 [--seed 1]
    python bench/generate.py events OUT.json --records 1000000 --array
    python bench/generate.py delta-events OUT.ndjson --records 10000 --base-records 1000000 [--seed 1]

Shapes follow examples/generate_demo_data.py and the README's event contract:

- generator events: tasks (uuid ids) go through ``task_started``, ``task_updated`` per step (with
  ``metrics`` numbers and ``{value, unit}`` objects, some ``tags``) and ``task_completed`` (``result``
  with ``model_info``); 12% fail, and 30% of the tasks of the last 3 days are still running. Tasks
  come in batches of up to 20 (``batch_started`` with ``task_ids``, ``batch_completed``) or alone; a
  few tasks and batches get tombstones (``task_deleted``, ``batch_deleted``). About 5.2 events per
  task: 1,000,000 events are about 190,000 tasks. Times are spread over the 90 days before the base
  date, mostly ``Z``, some ``+00:00``, a few without offset.
- benchmark rows: the flat nightly result row (model, hardware, batch size, precision, latencies,
  throughput, memory, ``metrics`` object, run id, git commit): every field of the demo row, ~640 bytes.
- delta events: the 1% appended before an incremental ``dbt build``: new tasks, late events for tasks
  of the base file (updates back-dated into their lifetime, completions of tasks left running) and a
  few tombstones.

Every record is distinct (ingest drops exact duplicates); the output depends only on the arguments
and the base date (default today, UTC).
Rows are written by DuckDB's ``COPY``: JSON text through the CSV writer with quoting turned off.
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

log = logging.getLogger("bench.generate")

EVENTS_PER_TASK = 5.2  # measured average of the lifecycle below, batch events and tombstones included
TASKS_PER_BATCH = 20
HISTORY_DAYS = 90

REAL_MODELS = [  # name, architecture, template_type, family, parameters, layers, hidden_size
    ("bert-base-uncased", "encoder-only", "text_embedding", "bert", 109482240, 12, 768),
    ("t5-small", "encoder-decoder", "text2text_generation", "t5", 60506624, 6, 512),
    ("vit-base-patch16-224", "vision", "image_classification", "vit", 86567656, 12, 768),
    ("whisper-tiny", "speech-seq2seq", "speech_recognition", "whisper", 37760640, 4, 384),
    ("clip-vit-base-patch32", "vision-text", "multimodal", "clip", 151277313, 12, 512),
    ("llama-7b", "decoder-only", "text_generation", "llama", 6738415616, 32, 4096),
]
SYNTHETIC_MODELS = 194  # plus the 6 real ones: 200 model names, half of the tasks on the real ones


def _connect(base: datetime, seed: int) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the macros the generators share."""
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = true")
    real = ", ".join(
        "{" + f"name: '{n}', arch: '{a}', template: '{t}', family: '{f}', params: {p}, layers: {l}, hidden: {h}" + "}"
        for n, a, t, f, p, l, h in REAL_MODELS
    )
    con.execute(f"""
        create macro rnd(t, k) as (hash(t, k, {seed}) % 1000003) / 1000003.0;
        create macro pick(lst, t, k) as lst[1 + (hash(t, k, {seed}) % len(lst))::int];
        create macro uid(s) as
            substr(md5(s), 1, 8) || '-' || substr(md5(s), 9, 4) || '-4' || substr(md5(s), 14, 3)
            || '-a' || substr(md5(s), 18, 3) || '-' || substr(md5(s), 21, 12);
        create macro iso(ts, t, k) as
            strftime(ts, '%Y-%m-%dT%H:%M:%S.%g')
            || case when rnd(t, k) < 0.8 then 'Z' when rnd(t, k) < 0.96 then '+00:00' else '' end;
        create macro base_ts() as timestamp '{base:%Y-%m-%d %H:%M:%S}';
        create macro secs(x) as to_microseconds((x * 1e6)::bigint);
        create macro strip_nulls(j) as json_merge_patch('{{}}', j);
        create table real_models as select unnest([{real}]) as m;
        create table models as
            select m from real_models
            union all
            select {{name: 'hf-model-' || i, arch: pick(['encoder-only', 'decoder-only', 'encoder-decoder',
                    'vision', 'speech-seq2seq', 'vision-text'], i, 1),
                    template: pick(['text_embedding', 'text_generation', 'text2text_generation',
                    'image_classification', 'speech_recognition', 'multimodal'], i, 2),
                    family: 'family' || (i % 40), params: (1e7 + rnd(i, 3) * 3e9)::bigint,
                    layers: (4 + (i % 8) * 4)::bigint, hidden: (256 * (1 + i % 16))::bigint}}
            from range({SYNTHETIC_MODELS}) as r(i);
        create table model_list as select list(m) as ms from models;
        create table real_list as select list(m) as ms from real_models;
    """)
    return con


def _task_sql(seed: int, first_task: int, n_tasks: int, window_days: float, end_offset_days: float) -> str:
    """One row per task with everything its events need (time window: before base minus offset)."""
    return f"""
        select
            t,
            uid('{seed}:task:' || t) as task_id,
            case when rnd(t, 10) < 0.5 then pick(r.ms, t, 11) else pick(a.ms, t, 12) end as m,
            case when rnd(t, 15) * {window_days} + {end_offset_days} < 3 and rnd(t, 16) < 0.3 then 'running'
                 when rnd(t, 13) < 0.88 then 'success' else 'fail' end as outcome,
            case when rnd(t, 14) < 0.7 then t // {TASKS_PER_BATCH} end as batch_no,
            base_ts() - to_days({int(end_offset_days)}) - secs(rnd(t, 15) * {window_days * 86400}) as start_ts,
            secs(0.3 + rnd(t, 20) * 1.7) as d1,
            secs(0.3 + rnd(t, 21) * 1.7) as d2,
            secs(5 + rnd(t, 22) * 40) as d3,
            secs(0.3 + rnd(t, 23) * 1.7) as d4,
            secs(0.2 + rnd(t, 24) * 3) as d5,
            1 + (hash(t, 25, {seed}) % 3)::int as stop_at
        from range({first_task}, {first_task + n_tasks}) as g(t), model_list as a, real_list as r
    """


def _events_sql(
    seed: int, first_task: int, n_tasks: int, window_days: float = HISTORY_DAYS, end_offset_days: float = 0
) -> str:
    """Events of n_tasks tasks (and their batches and tombstones) as rows (occurred, doc)."""
    steps = "['load_template', 'render', 'validate', 'write_output']"
    errors = (
        "['TemplateError: undefined variable ''num_attention_heads'' in template', "
        "'ValidationError: generated file fails syntax check at line 42', "
        "'OSError: [Errno 28] No space left on device', "
        "'TimeoutError: render exceeded 300 seconds']"
    )
    hardware = "['cpu', 'cuda', 'rocm', 'mps', 'openvino', 'qnn', 'webnn', 'webgpu']"
    return f"""
    with tasks as ({_task_sql(seed, first_task, n_tasks, window_days, end_offset_days)}),
    timed as (
        select *,
            start_ts + d1 as t1, start_ts + d1 + d2 as t2, start_ts + d1 + d2 + d3 as t3,
            start_ts + d1 + d2 + d3 + d4 as t4, start_ts + d1 + d2 + d3 + d4 + d5 as t5,
            '{seed}:b:' || batch_no as batch_key,
            case when batch_no is not null then uid('{seed}:batch:' || batch_no) end as batch_id,
            'generated/' || m.family || '/test_hf_' || replace(m.name, '-', '_') || '.py' as output_file,
            m.params / 1e8 as scale
        from tasks
    ),
    task_events as (
        select t, unnest([
            -- task_started
            {{ts: start_ts, doc: strip_nulls(json_object(
                'event', 'task_started', 'occurred_at', iso(start_ts, t, 30), 'task_id', task_id,
                'model_name', m.name,
                'hardware', case when rnd(t, 31) < 0.75
                                 then to_json(list_distinct([pick({hardware}, t, 32), pick({hardware}, t, 33)]
                                      [1:1 + (hash(t, 34, {seed}) % 2)::int]))
                                 when rnd(t, 31) < 0.9 then to_json(pick({hardware}, t, 32)) end,
                'template_type', m.template, 'output_dir', 'generated/' || m.family,
                'template_context', json_object('model_family', m.family, 'num_layers', m.layers,
                    'hidden_size', m.hidden, 'precision', pick(['fp32', 'fp16'], t, 35)),
                'output_file', output_file, 'architecture', m.arch,
                'creator', pick(['alice', 'bob', 'ci-bot', 'dana'], t, 36),
                'task_type', case when batch_id is null then 'single' else 'batch' end,
                'batch_id', batch_id,
                'started_at', case when rnd(t, 37) < 0.6 then iso(start_ts, t, 38) end,
                'tags', json_object('env', pick(['ci', 'dev'], t, 39),
                                    'priority', pick(['normal', 'normal', 'high'], t, 40))))::varchar}},
            -- task_updated, one per step reached
            case when rnd(t, 17) < 0.4 then
            {{ts: t1, doc: json_object('event', 'task_updated', 'occurred_at', iso(t1, t, 41), 'task_id', task_id,
                'status', 'running', 'progress', 0.125, 'current_step', 'load_template',
                'metrics', json_object(), 'tags', json_object())::varchar}} end,
            {{ts: t2, doc: json_object('event', 'task_updated', 'occurred_at', iso(t2, t, 42), 'task_id', task_id,
                'status', 'running', 'progress', 0.375, 'current_step', 'render',
                'metrics', json_object(),
                'tags', case when rnd(t, 43) < 0.3
                        then json_object('worker', 'gen-worker-' || (1 + hash(t, 44, {seed}) % 4))
                        else json_object() end)::varchar}},
            case when outcome = 'success' or stop_at >= 2 then
            {{ts: t3, doc: json_object('event', 'task_updated', 'occurred_at', iso(t3, t, 45), 'task_id', task_id,
                'status', 'running', 'progress', 0.625, 'current_step', 'validate',
                'metrics', json_object(
                    'tokens_per_second', round((800 + rnd(t, 46) * 1700) / greatest(scale, 0.5), 1),
                    'render_ms', json_object('value', round((150 + rnd(t, 47) * 750) * greatest(scale, 0.5), 1),
                                             'unit', 'ms')),
                'tags', json_object())::varchar}} end,
            case when (outcome = 'success' and rnd(t, 18) < 0.7) or (outcome <> 'success' and stop_at >= 3) then
            {{ts: t4, doc: json_object('event', 'task_updated', 'occurred_at', iso(t4, t, 48), 'task_id', task_id,
                'status', 'running', 'progress', 0.875, 'current_step', 'write_output',
                'metrics', json_object('memory_mb', json_object(
                    'value', round(180 + rnd(t, 49) * 80 + 40 * scale, 1), 'unit', 'MB')),
                'tags', json_object())::varchar}} end,
            -- a failure is reported by an update (60%) before the completion
            case when outcome = 'fail' and rnd(t, 50) < 0.6 then
            {{ts: t5 - secs(0.001), doc: json_object('event', 'task_updated',
                'occurred_at', iso(t5 - secs(0.001), t, 51), 'task_id', task_id,
                'status', 'error', 'progress', round((stop_at + 0.5) / 4, 3),
                'current_step', {steps}[stop_at + 1], 'error', pick({errors}, t, 52),
                'metrics', json_object(), 'tags', json_object())::varchar}} end,
            case when outcome <> 'running' then
            {{ts: t5, doc: json_object('event', 'task_completed', 'occurred_at', iso(t5, t, 53), 'task_id', task_id,
                'result', strip_nulls(json_object(
                    'success', outcome = 'success',
                    'duration', case when rnd(t, 54) < 0.9
                                     then round(epoch(t5) - epoch(start_ts), 3) end,
                    'output_file', output_file, 'architecture', m.arch,
                    'error', case when outcome = 'fail' then pick({errors}, t, 52) end,
                    'model_info', json_object('parameters', m.params, 'layers', m.layers,
                                              'hidden_size', m.hidden))))::varchar}} end
        ]) as e
        from timed
    ),
    batches as (
        select batch_no, any_value(batch_id) as batch_id, min(start_ts) - secs(1) as started,
            max(case when outcome <> 'running' then t5 end) + secs(1) as finished,
            bool_and(outcome <> 'running') as all_done,
            list(task_id order by t) as task_ids, list(m.name order by t) as model_names
        from timed where batch_no is not null group by batch_no
    ),
    batch_events as (
        select batch_no as t, unnest([
            {{ts: started, doc: json_object('event', 'batch_started', 'occurred_at', iso(started, batch_no, 60),
                'batch_id', batch_id, 'description', 'Nightly regeneration #' || batch_no,
                'model_names', model_names, 'task_ids', task_ids,
                'creator', pick(['alice', 'bob', 'ci-bot', 'dana'], batch_no, 61))::varchar}},
            case when all_done then
            {{ts: finished, doc: json_object('event', 'batch_completed', 'occurred_at', iso(finished, batch_no, 62),
                'batch_id', batch_id)::varchar}} end,
            case when rnd(batch_no, 63) < 0.005 then
            {{ts: coalesce(finished, started) + to_days(2), doc: json_object('event', 'batch_deleted',
                'occurred_at', iso(coalesce(finished, started) + to_days(2), batch_no, 64),
                'batch_id', batch_id, 'delete_tasks', rnd(batch_no, 65) < 0.5)::varchar}} end
        ]) as e
        from batches
    ),
    tombstones as (
        select t, {{ts: t5 + to_days(1), doc: json_object('event', 'task_deleted',
            'occurred_at', iso(t5 + to_days(1), t, 70), 'task_id', task_id)::varchar}} as e
        from timed where rnd(t, 71) < 0.002
    )
    select e.ts as occurred, e.doc as doc
    from (select e from task_events union all select e from batch_events union all select e from tombstones)
    where e is not null and e.ts is not null
    """


def _write_docs(con: duckdb.DuckDBPyConnection, query: str, out: Path, limit: int, array: bool) -> int:
    """Write the first ``limit`` docs of ``query`` (ordered by time) as NDJSON or one JSON array."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "doc"
    if array:  # one element per line: '[' before the first, ',' before the others, ']' appended below
        text = "case when row_number() over (order by occurred) = 1 then '[' else ',' end || doc"
    written = con.execute(f"""
        copy (
            select {text} from (select * from ({query}) order by occurred, doc limit {limit})
            order by occurred, doc
        ) to '{out}' (format csv, header false, quote '', escape '', delimiter '\x01')
    """)
    if array:
        with open(out, "ab") as handle:
            handle.write(b"]\n")
    return _only_value(written)


def _base_tasks(records: int) -> int:
    """How many tasks to simulate for ``records`` events: a little spare, cut to exactly ``records``."""
    return int(records / EVENTS_PER_TASK * 1.1) + 10


def events(out: Path, records: int, seed: int = 1, base: date | None = None, array: bool = False) -> int:
    """Write ``records`` generator events for about records / 5.2 tasks; return the count written."""
    con = _connect(_base(base), seed)
    return _write_docs(con, _events_sql(seed, 0, _base_tasks(records)), out, records, array)


def delta_events(out: Path, records: int, base_records: int, seed: int = 1, base: date | None = None) -> int:
    """Write ``records`` events appended after a base file made by ``events(..., base_records, seed)``:
    ~75% events of new tasks (the last day), ~15% completions of base tasks left running, ~9% late
    updates back-dated into base tasks' lifetimes, ~1% tombstones of base tasks."""
    con = _connect(_base(base), seed)
    base_tasks = _base_tasks(base_records)
    first_new = -(-base_tasks // TASKS_PER_BATCH) * TASKS_PER_BATCH  # new tasks start a new batch
    new_tasks = int(records / EVENTS_PER_TASK) + 10  # enough to fill what the rest leaves
    n_complete, n_late = int(records * 0.15) + 1, int(records * 0.09) + 1
    n_tomb = max(int(records * 0.01), 1)
    running = f"select * from ({_task_sql(seed, 0, base_tasks, HISTORY_DAYS, 0)}) where outcome = 'running'"
    base_sample = f"select * from ({_task_sql(seed, 0, base_tasks, HISTORY_DAYS, 0)}) where rnd(t, {{k}}) < {{p}}"
    con.execute(f"""
        create table late as
        select * from (
            select base_ts() + secs(rnd(t, 80) * 3600) as occurred,
                json_object('event', 'task_completed', 'occurred_at', iso(base_ts() + secs(rnd(t, 80) * 3600), t, 81),
                    'task_id', task_id, 'result', json_object('success', rnd(t, 82) < 0.9,
                    'output_file', 'generated/' || m.family || '/late.py', 'architecture', m.arch,
                    'model_info', json_object('parameters', m.params)))::varchar as doc
            from ({running}) order by t limit {n_complete})
        union all
        select * from (
            select start_ts + secs(1 + rnd(t, 83)) as occurred,
                json_object('event', 'task_updated', 'occurred_at', iso(start_ts + secs(1 + rnd(t, 83)), t, 84),
                    'task_id', task_id, 'status', 'running', 'progress', 0.25, 'current_step', 'render',
                    'metrics', json_object('late_metric', round(rnd(t, 85) * 100, 2)),
                    'tags', json_object('arrived', 'late'))::varchar as doc
            from ({base_sample.format(k=86, p=n_late / base_tasks * 1.5)}) order by t limit {n_late})
        union all
        select * from (
            select base_ts() + secs(7200) as occurred,
                json_object('event', 'task_deleted', 'occurred_at', iso(base_ts() + secs(7200), t, 87),
                    'task_id', task_id)::varchar as doc
            from ({base_sample.format(k=88, p=n_tomb / base_tasks * 1.5)}) order by t limit {n_tomb})
    """)
    fixed = _only_value(con.execute("select count(*) from late"))
    query = f"""
        select * from (
            select * from ({_events_sql(seed, first_new, new_tasks, 1, 0)})
            order by occurred, doc limit {max(records - fixed, 0)})
        union all
        select * from late
    """
    return _write_docs(con, query, out, records, array=False)


def benchmarks(
    out: Path, records: int, seed: int = 1, base: date | None = None, first_row: int = 0, array: bool = False
) -> int:
    """Write ``records`` flat benchmark result rows (~640 bytes each), nightly runs of 50 rows spread
    over the year before the base date; ``first_row`` > 0 continues a series (newer runs)."""
    con = _connect(_base(base), seed)
    runs_total = (first_row + records) // 50 + 1
    hardware = (
        "[{hw: 'cpu', factor: 8.0, device: 'Intel Xeon Gold 6338'}, "
        "{hw: 'cuda', factor: 1.0, device: 'NVIDIA A10G'}, "
        "{hw: 'rocm', factor: 1.3, device: 'AMD Instinct MI210'}, "
        "{hw: 'mps', factor: 3.0, device: 'Apple M2 Max'}, "
        "{hw: 'openvino', factor: 5.0, device: 'Intel Xeon Gold 6338 (OpenVINO CPU)'}, "
        "{hw: 'qnn', factor: 6.0, device: 'Qualcomm Snapdragon 8 Gen 3 (QNN)'}, "
        "{hw: 'webnn', factor: 4.0, device: 'Chrome 130 WebNN (Intel Xeon Gold 6338)'}, "
        "{hw: 'webgpu', factor: 2.5, device: 'Chrome 130 WebGPU (NVIDIA A10G)'}]"
    )
    modality = (
        "map {'text_embedding': 'text', 'text_generation': 'text', 'text2text_generation': 'text', "
        "'image_classification': 'vision', 'speech_recognition': 'audio', 'multimodal': 'multimodal'}"
    )
    query = f"""
        with rows as (
            select i, i // 50 as run,
                case when rnd(i, 1) < 0.5 then pick(r.ms, i // 50 * 7 + i % 50, 2)
                     else pick(a.ms, i // 50 * 7 + i % 50, 3) end as m,
                pick({hardware}, i, 4) as h,
                pick([1, 2, 4, 8, 16, 32], i, 5) as batch_size,
                pick(['fp32', 'fp32', 'fp16', 'int8'], i, 6) as precision,
                base_ts() - secs(({runs_total} - i // 50) * (365 * 86400.0 / {runs_total}))
                    + secs((i % 50) * 90) as ts
            from range({first_row}, {first_row + records}) as g(i), model_list as a, real_list as r
        ),
        measured as (
            select *,
                (10 + (m.params / 1e8) * 4) * h.factor * (1 + 0.3 * (batch_size - 1))
                    * (case precision when 'fp16' then 0.6 when 'int8' then 0.45 else 1.0 end)
                    * (0.98 + rnd(i, 7) * 0.04) as latency
            from rows
        )
        select
            m.name as model_name, m.family as model_family, {modality}[m.template] as modality,
            h.hw as hardware_type, h.device as device_name, batch_size, precision, m.template as test_case,
            round(100 * latency / 1000, 4) as total_time_seconds,
            round(latency, 3) as average_latency_ms,
            round(latency * (0.97 + rnd(i, 8) * 0.02), 3) as p50_latency_ms,
            round(latency * (1.08 + rnd(i, 9) * 0.04), 3) as p90_latency_ms,
            round(latency * (1.22 + rnd(i, 10) * 0.06), 3) as p99_latency_ms,
            round(batch_size * 1000 / latency, 3) as throughput_items_per_second,
            round((m.params * (case precision when 'fp16' then 2 when 'int8' then 1 else 4 end) / 1048576
                   + batch_size * m.hidden * 0.25) * (0.98 + rnd(i, 11) * 0.04), 1) as memory_peak_mb,
            100 as iterations, 10 as warmup_iterations,
            {{utilization_pct: round(55 + rnd(i, 12) * 40, 1),
              first_run_ms: round(latency * (3 + rnd(i, 13) * 3), 3)}} as metrics,
            strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ') as "timestamp",
            'nightly-' || strftime(ts, '%Y%m%d') || '-' || run as run_id,
            md5('{seed}:commit:' || run) || substr(md5('{seed}:c2:' || run), 1, 8) as git_commit,
            'main' as git_branch
        from measured
        order by i
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    return _only_value(con.execute(f"copy ({query}) to '{out}' (format json, array {str(array).lower()})"))


def _only_value(result: duckdb.DuckDBPyConnection) -> int:
    """The one value of a statement that returns one row (a count; the rows a `copy` wrote)."""
    row = result.fetchone()
    if row is None:
        raise RuntimeError("the statement returned no row")
    return int(row[0])


def _base(base: date | None) -> datetime:
    day = base or datetime.now(UTC).date()  # recent data, so "last 30 days" queries find rows
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["events", "benchmarks", "delta-events"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--base-records", type=int, help="delta-events: records of the base file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--base-date", type=date.fromisoformat, help="default: today (UTC)")
    parser.add_argument("--array", action="store_true", help="one JSON array instead of NDJSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="generate: %(message)s")
    if args.kind == "events":
        written = events(args.out, args.records, args.seed, args.base_date, args.array)
    elif args.kind == "benchmarks":
        written = benchmarks(args.out, args.records, args.seed, args.base_date, array=args.array)
    else:
        if args.base_records is None:
            parser.error("delta-events needs --base-records")
        written = delta_events(args.out, args.records, args.base_records, args.seed, args.base_date)
    log.info("%s: %d records, %.1f MB", args.out, written, args.out.stat().st_size / 1e6)


if __name__ == "__main__":
    main()
