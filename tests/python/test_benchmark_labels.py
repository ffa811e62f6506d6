"""No label of a user's file breaks `dbt build`: every mart is built from documents with unheard-of values
(tests/fixtures_labels), clear synonyms are normalised, the rest is kept and listed by warn-level tests;
test names in a hardware position become test cases; every configuration, failed or not, is its own row
and its own series."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, query, run_dbt, run_ingest, scalar

LABELS = ROOT / "tests" / "fixtures_labels"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    work = tmp_path_factory.mktemp("labels")
    db = work / "labels.duckdb"
    landed = run_ingest(db, LABELS)
    assert landed.returncode == 0, landed.stderr
    build = run_dbt(db, work, "build", "--exclude-resource-type", "unit_test")
    assert build.returncode == 0, build.stdout[-5000:]
    return db, build.stdout


def test_every_mart_is_built_from_unheard_of_labels(built):
    db, log = built
    marts = {
        name for (name,) in query(db, "select table_name from information_schema.tables where table_schema = 'marts'")
    }
    assert {
        "benchmark_results",
        "test_results",
        "latest_performance",
        "hardware_comparison",
        "compatibility_matrix",
        "models",
        "hardware_platforms",
    } <= marts
    assert "ERROR=0" in log and "SKIP=0" in log
    # a model no seed knows, reported with modality "Image": the accepted-values test on models.modality
    # failed the build (and skipped compatibility_matrix) before the synonym was folded
    assert query(db, "select modality from marts.models where model_name = 'acme/pixel-net'") == [("vision",)]


def test_clear_synonyms_are_normalised_and_the_rest_kept_and_listed(built):
    db, _ = built
    assert query(
        db,
        """
        select model_name, modality, hardware_type, precision from marts.benchmark_results
        where source_format = 'flat_result' and model_name <> 'acme/pixel-net' order by run_at""",
    ) == [
        ("google/vit-base-patch16-224", "vision", "cuda", "fp16"),  # image, GPU, float16
        ("google/vit-base-patch16-224", "hologram", "cuda", "fp8_e4m3"),  # vit-base-patch16-224, cuda:0
        ("openai/whisper-tiny", "audio", "tpu", None),  # whisper-tiny, speech
        ("bert-base-uncased", "text", "cpu", None),
    ]  # batch size beyond integer range: NULL, row kept
    assert query(
        db, "select batch_size, sequence_length from marts.benchmark_results where model_name = 'bert-base-uncased'"
    ) == [(None, None)]
    # kept as reported, listed by the warn-level tests (stored in schema test_failures)
    assert query(
        db, "select label_name, label_value from test_failures.assert_labels_are_in_vocabulary order by all"
    ) == [("modality", "hologram"), ("precision", "fp8_e4m3")]
    assert query(
        db, "select hardware_type, found_in from test_failures.assert_hardware_types_are_known order by all"
    ) == [("quantum", "test_results"), ("tpu", "benchmark_results")]
    assert query(db, "select modality from marts.models where model_name = 'google/vit-base-patch16-224'") == [
        ("vision",)
    ]


def test_test_names_are_test_cases_not_hardware(built):
    db, _ = built
    assert query(
        db,
        """
        select hardware_type, test_case, status from marts.test_results
        where model_name = 'gpt2' order by result_path""",
    ) == [(None, "from_pretrained", "failed"), (None, "pipeline", "passed"), ("cuda", "pipeline", "passed")]
    hardware = {h for (h,) in query(db, "select hardware_type from marts.hardware_platforms")}
    assert not hardware & {"pipeline", "from_pretrained"}
    assert (
        scalar(
            db, "select count(*) from marts.compatibility_matrix where hardware_type in ('pipeline', 'from_pretrained')"
        )
        == 0
    )


def test_each_configuration_is_its_own_series_and_every_failure_keeps_its_row(built):
    db, _ = built
    assert query(
        db,
        """
        select image_size, round(throughput_items_per_second, 1) from marts.latest_performance
        where model_name = 'google/vit-base-patch16-224' and hardware_type = 'cpu' order by image_size""",
    ) == [("224x224", 10.0), ("384x384", 3.3)]
    failures = query(
        db,
        """
        select batch_size, audio_length_seconds, error_message from marts.benchmark_results
        where model_name = 'openai/whisper-tiny' and not succeeded and hardware_type = 'cuda'
        order by all""",
    )
    assert failures == [(b, s, "CUDA out of memory") for b in (1, 2, 4) for s in (5.0, 10.0, 30.0)]
    assert (
        scalar(
            db,
            """
        select failed_count from marts.compatibility_matrix
        where model_name = 'openai/whisper-tiny' and hardware_type = 'cuda'""",
        )
        == 9
    )
    # within one run no two results share a series
    assert scalar(db, "select count(*) from test_failures.assert_one_result_per_series_per_run") == 0
