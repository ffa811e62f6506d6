"""A small, independent Python folding of generator events, used as the oracle of
test_folding_properties.py.

It is written from the README ("The generator event contract" and "Folding rules"), not translated
from the SQL. Where the README is silent the decision of the dbt models is followed, and each such
place is marked ``README silent; follows the SQL``.

Input: every line written to the landing files, as ``(document, file_index, line_number)``, where
files are ingested in ``file_index`` order (so ``file_index`` orders loads) and ``line_number`` is
the 1-based record index. Output: the rows the marts should hold for those events.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TOMBSTONES = ("task_deleted", "batch_deleted")
STATUSES = ("initializing", "running", "completed", "error")


def parse_time(text: str | None) -> datetime | None:
    """ISO-8601 text as a naive UTC datetime (the marts hold UTC `timestamp`s)."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


def json_number(value: Any) -> float | None:
    """A JSON number as float; strings, booleans, objects and null are not numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def string_list(value: Any, *, lower: bool = False) -> list[str] | None:
    """`hardware` is a list or a single string. README: marts hold it as a list; the mart's column
    doc says lower-case (README silent on trimming; follows the SQL: lower(trim(x)))."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return None
    return [v.strip().lower() for v in value] if lower else list(value)


@dataclass
class Event:
    """One landed event with what the contract says it reports."""

    doc: dict
    key: tuple  # (occurred_at as datetime, file_index, line_number): the total order of events
    name: str
    at: datetime

    @property
    def task_id(self) -> str | None:
        return self.doc.get("task_id")

    @property
    def batch_id(self) -> str | None:
        return self.doc.get("batch_id")

    @property
    def entity_id(self) -> str:
        """The task_id of a task event, the batch_id of a batch event (ingest rejects one without it)."""
        value = self.batch_id if self.name.startswith("batch_") else self.task_id
        assert value is not None, self.doc
        return value

    @property
    def result(self) -> dict:
        result = self.doc.get("result")
        return result if isinstance(result, dict) else {}

    # --- what the event says about its task (README "Folding rules") ---
    def status(self) -> str | None:
        if self.name == "task_started":
            return "initializing"
        if self.name == "task_completed":
            # README: `error` when success is false, else completed (an absent success counts as
            # not false: README silent; follows the SQL).
            return "error" if self.result.get("success") is False else "completed"
        # README: any case; a status outside the contract's four counts as not reported
        status = self.doc.get("status")
        status = status.strip().lower() if isinstance(status, str) else None
        return status if status in STATUSES else None

    def progress(self) -> float | None:
        if self.name == "task_started":
            return 0.0
        if self.name == "task_completed":
            return 1.0
        # README: 0..1; over 1 and at most 100 is a percentage; anything else is not reported
        progress = json_number(self.doc.get("progress"))
        if progress is not None and 0 <= progress <= 1:
            return progress
        if progress is not None and 1 < progress <= 100:
            return progress / 100
        return None

    def completed_at(self) -> datetime | None:
        # README: task_completed sets completed_at. A task_updated whose status is completed/error
        # also ends the task at its own time: README silent; follows the SQL.
        if self.name == "task_completed" or self.status() in ("completed", "error"):
            return self.at
        return None

    def error(self) -> str | None:
        error = self.doc.get("error")
        return error if error is not None else self.result.get("error")

    def reported_started_at(self) -> datetime | None:
        # README: the event's `started_at`, else the task_started time.
        if self.name == "task_started":
            return parse_time(self.doc.get("started_at")) or self.at
        return parse_time(self.doc.get("started_at"))


@dataclass
class Task:
    task_id: str
    model_name: str | None = None
    hardware: list[str] | None = None
    status: str | None = None
    progress: float | None = None
    current_step: str | None = None
    error: str | None = None
    completed_at: datetime | None = None
    reported_duration: float | None = None
    batch_id: str | None = None
    task_type: str | None = None
    reported_started_at: datetime | None = None
    first_event_at: datetime | None = None
    events: list[Event] = field(default_factory=list)

    @property
    def started_at(self) -> datetime:
        started_at = self.reported_started_at or self.first_event_at
        assert started_at is not None, "a task has a first event"
        return started_at

    @property
    def duration(self) -> float | None:
        if self.completed_at is None:
            return None
        if self.reported_duration is not None:
            return self.reported_duration
        return seconds(self.completed_at, self.started_at)


def landed_events(lines: list[tuple[dict, int, int]]) -> list[Event]:
    """What ingest keeps: exact duplicates (same minified JSON) land once, the first copy in landing
    order (earlier file, then earlier line)."""
    first: dict[str, tuple[dict, int, int]] = {}
    for doc, file_index, line in sorted(lines, key=lambda item: (item[1], item[2])):
        first.setdefault(json.dumps(doc, separators=(",", ":"), ensure_ascii=False), (doc, file_index, line))
    events = []
    for doc, file_index, line in first.values():
        at = parse_time(doc["occurred_at"])
        assert at is not None  # ingest rejects an event without occurred_at
        events.append(Event(doc=doc, key=(at, file_index, line), name=doc["event"], at=at))
    # README: ordered by occurred_at, ties by landing order (load, then record)
    return sorted(events, key=lambda e: e.key)


def tombstone_keys(events: list[Event]) -> dict[tuple[str, str], tuple]:
    """(kind, id) -> key of the latest tombstone hiding it.

    A batch_deleted with delete_tasks hides "its tasks". Which tasks those are is README silent;
    follows the SQL: every task the batch ever declared in task_ids and every task any event ever
    put in it (whether that event is itself hidden, or comes after the deletion).
    """
    members: dict[str, set[str]] = {}
    for e in events:
        if e.batch_id is not None and isinstance(e.doc.get("task_ids"), list):
            members.setdefault(e.batch_id, set()).update(e.doc["task_ids"])
        if e.batch_id is not None and e.task_id is not None:
            members.setdefault(e.batch_id, set()).add(e.task_id)
    latest: dict[tuple[str, str], tuple] = {}

    def hide(kind: str, entity: str, key: tuple) -> None:
        if (kind, entity) not in latest or latest[(kind, entity)] < key:
            latest[(kind, entity)] = key

    for e in events:
        if e.name == "task_deleted":
            hide("task", e.entity_id, e.key)
        elif e.name == "batch_deleted":
            hide("batch", e.entity_id, e.key)
            if e.doc.get("delete_tasks") is True:  # default false
                for task_id in members.get(e.entity_id, ()):
                    hide("task", task_id, e.key)
    return latest


def fold(lines: list[tuple[dict, int, int]]) -> dict[str, list[tuple]]:
    events = landed_events(lines)
    hidden = tombstone_keys(events)

    def live(e: Event) -> bool:
        """README: a tombstone hides what came before it; events after it start afresh."""
        if e.name in TOMBSTONES:
            return False
        kind, entity = ("batch" if e.name.startswith("batch_") else "task"), e.entity_id
        return (kind, entity) not in hidden or e.key > hidden[(kind, entity)]

    live_events = [e for e in events if live(e)]  # still in event order
    task_events = [e for e in live_events if e.name.startswith("task_")]
    batch_events = [e for e in live_events if e.name.startswith("batch_")]

    # ---- tasks: fold in event order; a later report overwrites an earlier one ----
    tasks: dict[str, Task] = {}
    for e in task_events:
        task = tasks.setdefault(e.entity_id, Task(e.entity_id, first_event_at=e.at))
        task.events.append(e)
        # other attributes: latest non-null value
        if e.doc.get("model_name") is not None:
            task.model_name = e.doc["model_name"]
        hardware = string_list(e.doc.get("hardware"), lower=True)
        if hardware is not None:
            task.hardware = hardware
        if e.batch_id is not None:
            task.batch_id = e.batch_id
        if e.doc.get("task_type") is not None:
            task.task_type = e.doc["task_type"]
        # README: started_at = the event's started_at, else the task_started time; with several
        # task_started events the latest wins (README silent; follows the SQL).
        if e.reported_started_at() is not None:
            task.reported_started_at = e.reported_started_at()
        # latest event reporting a value decides status, progress, current_step
        if e.progress() is not None:
            task.progress = e.progress()
        if e.doc.get("current_step") is not None:
            task.current_step = e.doc["current_step"]
        if e.status() is not None:
            task.status = e.status()
            # README: error and completed_at belong to the latest status-bearing event, even when
            # it has none. That result.duration does too (a later status without a duration
            # falls back to completed_at - started_at) is README silent; follows the SQL.
            task.error = e.error()
            task.completed_at = e.completed_at()
            task.reported_duration = json_number(e.result.get("duration"))

    # ---- batches ----
    deleted_batches = {entity for kind, entity in hidden if kind == "batch"}
    deleted_tasks = {entity for kind, entity in hidden if kind == "task"} - set(tasks)
    declared: dict[str, set[str]] = {}
    listed_by: dict[str, tuple[tuple, str]] = {}  # task -> (key, batch) of its latest listing
    for e in batch_events:
        declared.setdefault(e.entity_id, set())
        if isinstance(e.doc.get("task_ids"), list):
            declared[e.entity_id].update(e.doc["task_ids"])
            for task_id in e.doc["task_ids"]:
                # README: several batches listing a task: the latest listing; equal keys (one
                # export document) by the larger batch_id: README silent; follows the SQL
                listed_by[task_id] = max(listed_by.get(task_id, (e.key, e.entity_id)), (e.key, e.entity_id))
    # A batch is shown when it has live events of its own, or a live task names it. A task naming a
    # batch that was ever deleted does not bring it back (README: "A task whose batch was deleted
    # shows batch_id NULL"; that a later task event does not restart the batch is README silent;
    # follows the SQL).
    visible = set(declared) | {
        t.batch_id for t in tasks.values() if t.batch_id is not None and t.batch_id not in deleted_batches
    }
    batch_rows = []
    for batch_id in visible:
        # README: a batch's tasks are its task_ids and any task whose batch_id names it; a deleted
        # task is hidden from every mart, so it is no member. A declared task that never had an
        # event still counts in task_count and keeps the batch running.
        member_ids = (
            declared.get(batch_id, set()) | {t.task_id for t in tasks.values() if t.batch_id == batch_id}
        ) - deleted_tasks
        members = [tasks.get(task_id) for task_id in member_ids]
        existing = [t for t in members if t is not None]
        completed = sum(t.status == "completed" for t in existing)
        failed = sum(t.status == "error" for t in existing)
        running = sum(t.status not in ("completed", "error") for t in existing)
        # README: running until every member is completed or error (declared tasks without events
        # never are); then completed if all completed, else partial. A batch without any member
        # is running: README silent (vacuous "every"); follows the SQL.
        if member_ids and completed + failed == len(member_ids):
            status = "completed" if failed == 0 else "partial"
        else:
            status = "running"
        batch_rows.append((batch_id, len(member_ids), len(existing), completed, failed, running, status))

    # ---- steps ----
    step_rows = []
    for t in tasks.values():
        first_seen: dict[str, Event] = {}
        for e in t.events:
            if e.doc.get("current_step") is not None:
                first_seen.setdefault(e.doc["current_step"], e)
        steps = sorted(first_seen.items(), key=lambda item: item[1].key)
        for index, (name, first) in enumerate(steps):
            started_at = first.at
            completed_at: datetime | None
            if index + 1 < len(steps):  # ends when the next step starts
                status, completed_at, error = "completed", steps[index + 1][1].at, None
            else:  # the last step takes the task's status; ends when the task ends
                status = t.status if t.status in ("completed", "error") else "running"
                completed_at = t.completed_at
                error = t.error if status == "error" else None
            duration = seconds(completed_at, started_at) if completed_at is not None else None
            step_rows.append((t.task_id, name, status, started_at, completed_at, duration, error))

    # ---- metrics: latest numeric value per (task, name) ----
    metric_rows = []
    for t in tasks.values():
        latest: dict[str, tuple[tuple, float, str | None]] = {}

        def offer(name: str, key: tuple, value: float | None, unit: str | None, latest: dict = latest) -> None:
            if value is not None and (name not in latest or latest[name][0] < key):
                latest[name] = (key, value, unit)

        for e in t.events:
            metrics = e.doc.get("metrics")
            if isinstance(metrics, dict):
                for name, value in metrics.items():
                    if isinstance(value, dict):
                        unit = value.get("unit")
                        offer(name, e.key, json_number(value.get("value")), None if unit is None else str(unit))
                    else:
                        offer(name, e.key, json_number(value), None)
            model_info = e.result.get("model_info") if e.name == "task_completed" else None
            if isinstance(model_info, dict):
                for name, value in model_info.items():
                    offer(f"model_info.{name}", e.key, json_number(value), None)
        if t.duration is not None:
            # The duration metric is recorded at completed_at. Against an event's own metric named
            # `duration` at that same instant the event wins: README silent; follows the SQL
            # (its sort key [completed_at] sorts before [completed_at, load, record]).
            offer("duration", (t.completed_at,), t.duration, "seconds")
        metric_rows += [(t.task_id, name, value, unit) for name, (_, value, unit) in latest.items()]

    # ---- tags: latest value per (task, name) ----
    tag_rows = []
    for t in tasks.values():
        tags: dict[str, Any] = {}
        for e in t.events:
            if isinstance(e.doc.get("tags"), dict):
                tags.update(e.doc["tags"])
        tag_rows += [(t.task_id, name, value) for name, value in tags.items()]

    step_count = Counter(row[0] for row in step_rows)
    metric_count = Counter(row[0] for row in metric_rows)

    def batch_of(t: Task) -> str | None:
        """README: the task's own latest batch_id, else the batch listing it in task_ids; NULL when
        that batch was deleted."""
        batch_id = t.batch_id or (listed_by[t.task_id][1] if t.task_id in listed_by else None)
        return batch_id if batch_id in visible else None

    task_rows = [
        (
            t.task_id,
            t.model_name,
            t.hardware,
            t.status or "initializing",
            t.progress or 0.0,
            t.current_step,
            t.error,
            batch_of(t),
            t.started_at,
            t.completed_at,
            t.duration,
            t.task_type or "single",  # README contract: task_type defaults to single
            step_count[t.task_id],
            metric_count[t.task_id],
        )
        for t in tasks.values()
    ]
    return {
        "generator_tasks": task_rows,
        "generator_task_steps": step_rows,
        "generator_task_metrics": metric_rows,
        "generator_task_tags": tag_rows,
        "generator_batch_tasks": batch_rows,
    }
