"""What a new user meets first: the Makefile's install, the DuckDB shell, the README's shell lines."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, readme_code_blocks

VENV_BIN = Path(sys.executable).parent


def readme_shell_lines(prefix: str) -> list[str]:
    """Every line of the README's ```sh blocks that starts with ``prefix``."""
    return [
        line.strip()
        for block in readme_code_blocks("sh")
        for line in block.splitlines()
        if line.strip().startswith(prefix)
    ]


def test_the_duckdb_shell_is_installed_at_the_library_version():
    shell = VENV_BIN / "duckdb"
    assert shell.exists(), f"{shell} is missing: the README's CLI lines would say 'command not found'"
    version = subprocess.run([str(shell), "-version"], capture_output=True, text=True, timeout=60, check=False)
    assert version.returncode == 0, version.stderr
    assert version.stdout.split()[0].lstrip("v") == duckdb.__version__


@pytest.mark.parametrize("line", readme_shell_lines(".venv/bin/duckdb ") + readme_shell_lines(".venv/bin/python -c "))
def test_every_readme_reader_line_runs_as_written(built_fixture_db, tmp_path, line):
    """Run the README line as a user would after `make demo`: from a project folder holding
    data/analytics.duckdb and .venv (here the built fixture warehouse and this environment)."""
    (tmp_path / "data").mkdir()
    shutil.copyfile(built_fixture_db, tmp_path / "data" / "analytics.duckdb")
    (tmp_path / ".venv").symlink_to(VENV_BIN.parent)
    command = line.split("  #")[0]
    done = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "bert-base-uncased" in done.stdout, done.stdout  # rows of the fixture, not an empty answer


def test_a_failed_install_is_not_taken_as_ready(tmp_path):
    """The Makefile marks the environment ready only after a complete install: when pip fails, the
    next make installs again instead of running with a half-made .venv."""
    shutil.copyfile(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("[project\nthis is not toml\n")  # pip cannot install it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    env["PYTHON"] = sys.executable
    for attempt in (1, 2):
        done = subprocess.run(
            ["make", "lint"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300, check=False
        )
        assert done.returncode != 0, f"attempt {attempt}: {done.stdout}"
        assert "pip install" in done.stdout, f"attempt {attempt} did not try to install: {done.stdout}"
        assert not (tmp_path / ".venv" / ".installed").exists()
    assert (tmp_path / ".venv").is_dir()
    cleaned = subprocess.run(
        ["make", "distclean"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert cleaned.returncode == 0, cleaned.stderr
    assert not (tmp_path / ".venv").exists()
