"""Acceptance corpus: every real upstream result file in ../shared/realdata must land without loss."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REALDATA, loads, needs_realdata, query, run_ingest, scalar

pytestmark = needs_realdata

LANDABLE = (".json", ".jsonl", ".ndjson")


def expected_documents() -> dict[str, list]:
    """File name -> its JSON documents as Python's json module reads them (arrays unpacked)."""
    found: dict[str, list] = {}
    for path in sorted(REALDATA.rglob("*")):
        if not (path.is_file() and path.name.lower().endswith(LANDABLE)):
            continue
        text = path.read_text(encoding="utf-8-sig")
        try:
            docs = [json.loads(text)]
        except json.JSONDecodeError:  # NDJSON
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        if len(docs) == 1 and isinstance(docs[0], list):
            docs = docs[0]
        found[str(path.relative_to(REALDATA))] = docs
    return found


@pytest.fixture(scope="module")
def corpus() -> dict[str, list]:
    docs = expected_documents()
    assert docs, f"no JSON files in {REALDATA}"
    return docs


def landed_by_file(db) -> dict[str, list]:
    rows = query(
        db,
        """
        select source_path, record_index, payload::varchar from raw.documents
        union all
        select source_path, record_index, payload::varchar from raw.task_events
        order by 1, 2
    """,
    )
    out: dict[str, list] = {}
    for source, _index, payload in rows:
        out.setdefault(str(Path(source).relative_to(REALDATA)), []).append(json.loads(payload))
    return out


def test_realdata_lands_every_document_without_loss(tmp_path, corpus):
    db = tmp_path / "real.duckdb"
    total = sum(len(d) for d in corpus.values())

    proc = run_ingest(db, REALDATA)

    assert proc.returncode == 0, proc.stderr
    assert scalar(db, "select count(*) from raw.rejected_records") == 0
    assert ": rejected:" not in proc.stderr
    # 45 documents in the corpus as shipped: 31 files, two of them top-level arrays (13 and 3)
    assert (
        scalar(db, "select count(*) from raw.documents") + scalar(db, "select count(*) from raw.task_events") == total
    )
    # one load per JSON file, each complete, nothing else loaded (README.md, SOURCES.txt skipped)
    per_file = {str(Path(l["source_path"]).relative_to(REALDATA)): l for l in loads(db)}
    assert sorted(per_file) == sorted(corpus)
    for name, load in per_file.items():
        n = len(corpus[name])
        assert (
            load["records_in"],
            load["records_landed"],
            load["duplicates_skipped"],
            load["records_rejected"],
            load["status"],
        ) == (n, n, 0, 0, "succeeded"), name
    # lossless: every landed payload parses back to exactly the document Python reads
    assert landed_by_file(db) == corpus
    # routing: documents with an "event" key are events, the rest are documents
    n_events = sum(1 for docs in corpus.values() for d in docs if isinstance(d, dict) and "event" in d)
    assert scalar(db, "select count(*) from raw.task_events") == n_events
    for skipped in sorted(p for p in REALDATA.iterdir() if p.is_file() and not p.name.lower().endswith(LANDABLE)):
        assert f"{skipped}: skipped (not a JSON/NDJSON file)" in proc.stderr


def test_realdata_reingest_lands_nothing(tmp_path, corpus):
    db = tmp_path / "real.duckdb"
    total = sum(len(d) for d in corpus.values())
    assert run_ingest(db, REALDATA).returncode == 0
    before = query(db, "select load_id, source_path, record_index, record_hash from raw.documents order by all")

    proc = run_ingest(db, REALDATA)

    assert proc.returncode == 0, proc.stderr
    second = loads(db)[len(corpus) :]
    assert len(second) == len(corpus)
    assert sum(l["records_landed"] for l in second) == 0
    assert sum(l["duplicates_skipped"] for l in second) == total
    assert sum(l["records_rejected"] for l in second) == 0
    assert query(db, "select load_id, source_path, record_index, record_hash from raw.documents order by all") == before
