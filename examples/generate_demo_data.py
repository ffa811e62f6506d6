#!/usr/bin/env python3
"""Write deterministic demo data: python examples/generate_demo_data.py OUTDIR [--base-date D] [--seed N].

Generator task events (NDJSON, gzipped NDJSON, a late JSON array), one upstream export document, a README
that ingest must skip, and nightly benchmark results under OUTDIR/benchmarks/. Everything is dated in the
three weeks before the base date (default: today, UTC), so the README's "last 30 days" reports show it right
after `make demo`. Stdlib only; the output depends only on the arguments, base date included (seeded RNGs,
gzip header without mtime or file name).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

log = logging.getLogger("generate_demo_data")

Event = dict[str, Any]
Timed = tuple[datetime, Event]

# name: (architecture, template_type, modality, family, parameters, layers, hidden_size, cuda latency ms)
MODELS: dict[str, tuple[str, str, str, str, int, int, int, float]] = {
    "bert-base-uncased": ("encoder-only", "text_embedding", "text", "bert", 109_482_240, 12, 768, 4.0),
    "t5-small": ("encoder-decoder", "text2text_generation", "text", "t5", 60_506_624, 6, 512, 9.0),
    "vit-base-patch16-224": ("vision", "image_classification", "vision", "vit", 86_567_656, 12, 768, 5.5),
    "whisper-tiny": ("speech-seq2seq", "speech_recognition", "audio", "whisper", 37_760_640, 4, 384, 14.0),
    "clip-vit-base-patch32": ("vision-text", "multimodal", "multimodal", "clip", 151_277_313, 12, 512, 7.5),
    "llama-7b": ("decoder-only", "text_generation", "text", "llama", 6_738_415_616, 32, 4096, 60.0),
}
HARDWARE = ["cpu", "cuda", "rocm", "mps", "openvino", "qnn", "webnn", "webgpu"]
STEPS = ["load_template", "render", "validate", "write_output"]
CREATORS = ["alice", "bob", "ci-bot", "dana"]
ERRORS = [
    "TemplateError: undefined variable 'num_attention_heads' in template",
    "ValidationError: generated file fails syntax check at line 42",
    "OSError: [Errno 28] No space left on device",
    "TimeoutError: render exceeded 300 seconds",
]
# (days before base date, description, outcome per task, how the batch ends)
BATCHES = [
    (12.3, "Nightly text model regeneration", ["success"] * 4, "completed"),
    (8.6, "Vision and audio refresh", ["success", "fail", "success", "success"], "completed"),
    (9.2, "Experimental hardware sweep", ["success"] * 3, "deleted"),
    (4.4, "Multimodal regeneration", ["success"] * 5, "completed"),
    (0.1, "Release candidate sweep", ["success", "running", "running"], "running"),
]
STANDALONE_TASKS = 38
STANDALONE_FAILURES = 7  # with the batch failure: 8 of 57 finished tasks (~14%)
README = (
    "Demo data for the model-generation warehouse: generator task events as NDJSON (plain and gzip), "
    "late-arriving events as a JSON array, one upstream export document with legacy tasks and batches, "
    "and nightly benchmark results under benchmarks/. This file is not JSON; ingest skips it.\n"
)
BENCH_MODELS = [m for m in MODELS if m != "llama-7b"]
BENCH_HARDWARE = {
    "cpu": (8.0, "Intel Xeon Gold 6338"),
    "cuda": (1.0, "NVIDIA A10G"),
    "openvino": (5.0, "Intel Xeon Gold 6338 (OpenVINO CPU)"),
    "webgpu": (2.5, "Chrome 130 WebGPU (NVIDIA A10G)"),
}


def new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso(moment: datetime, rng: random.Random | None = None) -> str:
    """ISO-8601 UTC text; with an rng mostly 'Z', some '+00:00' and a few without offset (UTC)."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
    roll = rng.random() if rng else 0.0
    return text + ("Z" if roll < 0.8 else "+00:00" if roll < 0.96 else "")


class EventLog:
    """Collects events with their true time, so they can be split and ordered later."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.events: list[Timed] = []

    def emit(self, moment: datetime, name: str, **fields: Any) -> None:
        self.events.append((moment, {"event": name, "occurred_at": iso(moment, self.rng), **fields}))


def output_file(model: str) -> str:
    return f"generated/{MODELS[model][3]}/test_hf_{model.replace('-', '_')}.py"


def task_started_fields(
    rng: random.Random, task_id: str, model: str, start: datetime, batch_id: str | None
) -> dict[str, Any]:
    arch, template_type, _, family, _, layers, hidden, _ = MODELS[model]
    fields: dict[str, Any] = {"task_id": task_id, "model_name": model}
    kinds, shape = rng.sample(HARDWARE, rng.choice([1, 1, 2, 3])), rng.random()
    if shape < 0.9:  # a list; older generators send a bare string; ~10% omit it
        fields["hardware"] = kinds if shape < 0.75 else kinds[0]
    fields.update(
        template_type=template_type,
        output_dir=f"generated/{family}",
        template_context={
            "model_family": family,
            "num_layers": layers,
            "hidden_size": hidden,
            "precision": rng.choice(["fp32", "fp16"]),
        },
        output_file=output_file(model),
        architecture=arch,
        creator=rng.choice(CREATORS),
        task_type="batch" if batch_id else "single",
    )
    if batch_id:
        fields["batch_id"] = batch_id
    if rng.random() < 0.6:
        fields["started_at"] = iso(start, rng)
    fields["tags"] = {"env": rng.choice(["ci", "dev"]), "priority": rng.choice(["normal", "normal", "high"])}
    return fields


def step_metrics(rng: random.Random, step: str, model: str) -> dict[str, Any]:
    scale = MODELS[model][4] / 1e8
    if step == "render":
        return {
            "tokens_per_second": round(rng.uniform(800, 2500) / max(scale, 0.5), 1),
            "render_ms": {"value": round(rng.uniform(150, 900) * max(scale, 0.5), 1), "unit": "ms"},
        }
    if step == "validate":
        return {"memory_mb": {"value": round(rng.uniform(180, 260) + 40 * scale, 1), "unit": "MB"}}
    return {}


def simulate_task(
    log_: EventLog, task_id: str, model: str, start: datetime, outcome: str, batch_id: str | None = None
) -> datetime:
    """Emit one task's lifecycle (outcome: success, fail or running); return its last event time."""
    rng = log_.rng
    log_.emit(start, "task_started", **task_started_fields(rng, task_id, model, start, batch_id))
    t = start + timedelta(seconds=rng.uniform(0.05, 0.5))
    log_.emit(
        t,
        "task_updated",
        task_id=task_id,
        status="initializing",
        progress=0.0,
        current_step=STEPS[0],
        metrics={},
        tags={},
    )
    stop_at = rng.randint(1, 3) if outcome != "success" else len(STEPS)
    for i, step in enumerate(STEPS if outcome == "success" else STEPS[: stop_at + 1]):
        t += timedelta(seconds=rng.uniform(0.3, 2.0) + (rng.uniform(5, 40) if i == 2 else 0))
        tags = {"worker": f"gen-worker-{rng.randint(1, 4)}"} if rng.random() < 0.3 else {}
        log_.emit(
            t,
            "task_updated",
            task_id=task_id,
            status="running",
            progress=round((i + 0.5) / len(STEPS), 3),
            current_step=step,
            metrics=step_metrics(rng, STEPS[i - 1], model) if i else {},
            tags=tags,
        )
    if outcome == "running":
        return t
    t += timedelta(seconds=rng.uniform(0.2, 3.0))
    result: dict[str, Any] = {
        "success": outcome == "success",
        "duration": round((t - start).total_seconds(), 3),
        "output_file": output_file(model),
        "architecture": MODELS[model][0],
    }
    if outcome == "fail":
        result["error"] = rng.choice(ERRORS)
        if rng.random() < 0.6:
            log_.emit(
                t,
                "task_updated",
                task_id=task_id,
                status="error",
                current_step=STEPS[stop_at],
                progress=round((stop_at + 0.5) / len(STEPS), 3),
                error=result["error"],
                metrics={},
                tags={},
            )
    else:
        log_.emit(
            t,
            "task_updated",
            task_id=task_id,
            status="completed",
            progress=1.0,
            current_step=STEPS[-1],
            metrics={"files_written": 1},
            tags={},
        )
    if rng.random() < 0.1:
        del result["duration"]  # some generator versions do not report it
    _, _, _, _, params, layers, hidden, _ = MODELS[model]
    result["model_info"] = {"parameters": params, "layers": layers, "hidden_size": hidden}
    t += timedelta(milliseconds=rng.randint(5, 200))
    log_.emit(t, "task_completed", task_id=task_id, result=result)
    return t


def simulate_batch(log_: EventLog, start: datetime, description: str, outcomes: list[str], ending: str) -> None:
    rng = log_.rng
    batch_id = new_id(rng)
    models = rng.sample(list(MODELS), len(outcomes))
    task_ids = [new_id(rng) for _ in outcomes]
    log_.emit(
        start,
        "batch_started",
        batch_id=batch_id,
        description=description,
        model_names=models,
        task_ids=task_ids,
        creator=rng.choice(CREATORS),
    )
    last = start
    for task_id, model, outcome in zip(task_ids, models, outcomes, strict=True):
        begin = start + timedelta(seconds=rng.uniform(0.5, 30))
        last = max(last, simulate_task(log_, task_id, model, begin, outcome, batch_id))
    if ending == "completed":
        log_.emit(last + timedelta(seconds=1), "batch_completed", batch_id=batch_id)
    elif ending == "deleted":
        log_.emit(last + timedelta(days=3), "batch_deleted", batch_id=batch_id, delete_tasks=True)


def simulate_all(rng: random.Random, base: datetime) -> list[Timed]:
    log_ = EventLog(rng)
    for days, description, outcomes, ending in BATCHES:
        start = base - timedelta(days=days, seconds=rng.uniform(0, 900))
        simulate_batch(log_, start, description, outcomes, ending)
    failing = set(rng.sample(range(STANDALONE_TASKS), STANDALONE_FAILURES))
    for i in range(STANDALONE_TASKS):
        start = base - timedelta(seconds=rng.uniform(0.5 * 86400, 14 * 86400))
        simulate_task(log_, new_id(rng), rng.choice(list(MODELS)), start, "fail" if i in failing else "success")
    for _ in range(2):  # still running right before the base date
        simulate_task(log_, new_id(rng), rng.choice(list(MODELS)), base - timedelta(hours=rng.uniform(1, 3)), "running")
    reborn = new_id(rng)  # deleted, then started again under the same id
    simulate_task(log_, reborn, "t5-small", base - timedelta(days=10.5), "success")
    log_.emit(base - timedelta(days=5), "task_deleted", task_id=reborn)
    simulate_task(log_, reborn, "t5-small", base - timedelta(days=4.2), "success")
    return sorted(log_.events, key=lambda timed: timed[0])


def split_events(rng: random.Random, events: list[Timed], base: datetime) -> tuple[list[str], list[str], list[Event]]:
    """File 1 = first week, file 2 = second week; some early events of file-1 tasks arrive late."""
    cutoff = base - timedelta(days=7)
    first = [e for t, e in events if t < cutoff]
    second = [e for t, e in events if t >= cutoff]
    started = [e["task_id"] for _, e in events if e["event"] == "task_started"]
    once = [e["task_id"] for e in first if e["event"] == "task_started" and started.count(e["task_id"]) == 1]
    late_ids = rng.sample(once, 6)
    late: list[Event] = []
    for task_id in late_ids:
        own = [e for e in first if e.get("task_id") == task_id][: rng.randint(1, 2)]
        late.extend(own)
        first = [e for e in first if not any(e is x for x in own)]
    lines1 = [json.dumps(e) for e in first]
    lines2 = [json.dumps(e) for e in second]
    cross = rng.sample(lines1, 3)
    lines1 += rng.sample(lines1, 4)
    lines2 += rng.sample(lines2, 3) + cross
    rng.shuffle(lines1)
    rng.shuffle(lines2)
    return lines1, lines2, late


def legacy_task(rng: random.Random, index: int, before: datetime, status: str, batch_id: str | None) -> dict[str, Any]:
    model = rng.choice(list(MODELS))
    arch, template_type, _, family, _, layers, hidden, _ = MODELS[model]
    start = before - timedelta(hours=1) if status == "running" else before - timedelta(days=rng.uniform(1, 6))
    done = {"completed": len(STEPS), "error": 2, "running": 1}[status]
    steps, t = [], start
    for i, name in enumerate(STEPS[: done + (status != "completed")]):
        end = t + timedelta(seconds=rng.uniform(0.5, 20))
        state = "completed" if i < done else ("error" if status == "error" else "running")
        steps.append(
            {
                "step_name": name,
                "status": state,
                "progress": 1.0 if i < done else 0.5,
                "started_at": t.isoformat(),
                "completed_at": end.isoformat() if state != "running" else None,
                "duration": round((end - t).total_seconds(), 3) if state != "running" else None,
                "error": ERRORS[index % len(ERRORS)] if state == "error" else None,
            }
        )
        t = end
    finished = status != "running"
    measured = (("tokens_per_second", "tokens/s", 500, 2000), ("memory_mb", "MB", 150, 400))
    metrics = [
        {
            "metric_name": name,
            "metric_value": round(rng.uniform(low, high), 1),
            "metric_unit": unit,
            "recorded_at": t.isoformat(),
        }
        for name, unit, low, high in measured
    ]
    return {
        "task_id": f"legacy-{index + 1:04d}",
        "model_name": model,
        "hardware": rng.sample(HARDWARE, 2),
        "status": status,
        "progress": 1.0 if status == "completed" else round(done / len(STEPS), 2),
        "current_step": steps[-1]["step_name"],
        "template_type": template_type,
        "template_context": {"model_family": family, "num_layers": layers, "hidden_size": hidden},
        "output_dir": f"generated/{family}",
        "output_file": output_file(model),
        "architecture": arch,
        "error": steps[-1]["error"],
        "creator": rng.choice(CREATORS),
        "task_type": "batch" if batch_id else "single",
        "batch_id": batch_id,
        "started_at": start.isoformat(),
        "completed_at": t.isoformat() if finished else None,
        "duration": round((t - start).total_seconds(), 3) if finished else None,
        "steps": steps,
        "metrics": metrics,
        "tags": {"env": "legacy", "migrated": "true"},
    }


def build_upstream_export(rng: random.Random, base: datetime) -> dict[str, Any]:
    exported = base - timedelta(days=15)
    batch_id = "legacy-batch-0001"
    statuses = ["completed", "completed", "error", "completed", "running"]
    tasks = [legacy_task(rng, i, exported, s, batch_id if i < 3 else None) for i, s in enumerate(statuses)]
    members = [t for t in tasks if t["batch_id"] == batch_id]
    batch = {
        "batch_id": batch_id,
        "description": "Legacy regeneration before the event pipeline",
        "task_count": len(members),
        "creator": "ci-bot",
        "started_at": min(t["started_at"] for t in members),
        "completed_at": max(t["completed_at"] for t in members),
        "task_ids": [t["task_id"] for t in members],
    }
    stats = {
        "total_tasks": len(tasks),
        "completed": statuses.count("completed"),
        "failed": statuses.count("error"),
        "running": statuses.count("running"),
        "total_batches": 1,
    }
    return {"tasks": tasks, "batches": [batch], "stats": stats, "export_date": exported.isoformat()}


def bench_configs() -> list[tuple[str, str, int, str]]:
    """5 models x 4 hardware x batch 1/8 x fp32 (+fp16 on cuda) = 50 configurations."""
    return [
        (m, h, b, p)
        for m in BENCH_MODELS
        for h in BENCH_HARDWARE
        for b in (1, 8)
        for p in (("fp32", "fp16") if h == "cuda" else ("fp32",))
    ]


def bench_row(
    rng: random.Random, moment: datetime, config: tuple[str, str, int, str], regressed: bool, commit: str
) -> dict[str, Any]:
    model, hardware, batch_size, precision = config
    _, test_case, modality, family, params, _, hidden, cuda_ms = MODELS[model]
    factor, device = BENCH_HARDWARE[hardware]
    mean_ms = cuda_ms * factor * (1 + 0.3 * (batch_size - 1)) * (0.6 if precision == "fp16" else 1.0)
    latency = mean_ms * (1.4 if regressed else 1.0) * rng.gauss(1, 0.02)
    throughput = batch_size * 1000 / mean_ms * (0.7 if regressed else 1.0) * rng.gauss(1, 0.02)
    memory = (params * (2 if precision == "fp16" else 4) / 2**20 + batch_size * hidden * 0.25) * rng.gauss(1, 0.02)
    iterations = 100
    return {
        "model_name": model,
        "model_family": family,
        "modality": modality,
        "hardware_type": hardware,
        "device_name": device,
        "batch_size": batch_size,
        "precision": precision,
        "test_case": test_case,
        "total_time_seconds": round(iterations * latency / 1000, 4),
        "average_latency_ms": round(latency, 3),
        "p50_latency_ms": round(latency * 0.98 * rng.gauss(1, 0.02), 3),
        "p90_latency_ms": round(latency * 1.10 * rng.gauss(1, 0.02), 3),
        "p99_latency_ms": round(latency * 1.25 * rng.gauss(1, 0.02), 3),
        "throughput_items_per_second": round(throughput, 3),
        "memory_peak_mb": round(memory, 1),
        "iterations": iterations,
        "warmup_iterations": 10,
        "metrics": {
            "utilization_pct": round(min(99.0, rng.gauss(70, 8)), 1),
            "first_run_ms": round(latency * rng.uniform(3, 6), 3),
        },
        "timestamp": iso(moment),
        "run_id": f"nightly-{moment:%Y%m%d}",
        "git_commit": commit,
        "git_branch": "main",
    }


def write_benchmarks(outdir: Path, rng: random.Random, base: datetime, days: int = 10) -> None:
    folder = outdir / "benchmarks"
    folder.mkdir(parents=True, exist_ok=True)
    for offset in range(days, 0, -1):
        day = base - timedelta(days=offset)
        commit = f"{rng.getrandbits(160):040x}"
        rows = [
            bench_row(
                rng,
                day + timedelta(hours=2, seconds=90 * i),
                config,
                offset == 1 and config == ("bert-base-uncased", "cuda", 8, "fp16"),
                commit,
            )
            for i, config in enumerate(bench_configs())
        ]
        write_lines(folder / f"benchmark_results_{day:%Y%m%d}.ndjson", [json.dumps(r) for r in rows])


def write_lines(path: Path, lines: list[str]) -> None:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if path.suffix == ".gz":
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed:
            packed.write(data)
    else:
        path.write_bytes(data)
    log.info("%s: %d records", path, len(lines))


def write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    log.info("%s: %d records", path, len(document) if isinstance(document, list) else 1)


def write_all(outdir: Path, base_date: date, seed: int) -> None:
    base = datetime(base_date.year, base_date.month, base_date.day, tzinfo=UTC)
    outdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{seed}:events")
    lines1, lines2, late = split_events(rng, simulate_all(rng, base), base)
    write_lines(outdir / "generator_events_1.ndjson", lines1)
    write_lines(outdir / "generator_events_2.ndjson.gz", lines2)
    write_json(outdir / "late_events.json", late)
    write_json(outdir / "upstream_export.json", build_upstream_export(random.Random(f"{seed}:export"), base))
    (outdir / "README.txt").write_text(README, encoding="utf-8")
    write_benchmarks(outdir, random.Random(f"{seed}:benchmarks"), base)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write deterministic demo data for the warehouse.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument(
        "--base-date",
        type=date.fromisoformat,
        default=None,
        help="the data ends just before this day (YYYY-MM-DD; default: today, UTC)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    write_all(args.outdir, args.base_date or datetime.now(UTC).date(), args.seed)


if __name__ == "__main__":
    main()
