"""A real PostgreSQL 15 for the DuckLake tests: started by the test session in a temporary folder,
listening on a free loopback port only; each test gets its own database (a lake of its own)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def missing_reason() -> str | None:
    """Why PostgreSQL cannot be started here (None: it can)."""
    for tool in ("initdb", "pg_ctl", "postgres", "psql"):
        if not (PG_BIN / tool).is_file():
            return f"no PostgreSQL binaries in {PG_BIN} (apt-get install postgresql; .ci/run does)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root and runuser is missing (PostgreSQL refuses to run as root)"
    return None


def skip_or_fail(reason: str) -> None:
    """Skip the lake tests locally; under CI (env CI set) a missing PostgreSQL is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and the DuckLake tests cannot run: {reason}")
    pytest.skip(f"DuckLake tests skipped: {reason}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Postgres:
    """One running server; ``dsn(name)`` is the libpq DSN of database ``name`` (created by ``create``)."""

    def __init__(self, parent: Path | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="lake-pg-", dir=parent))
        self.data = self.folder / "data"
        self.port = 0
        if os.geteuid() == 0:  # PostgreSQL never runs as root: as `postgres`, who owns its folders
            shutil.chown(self.folder, "postgres")

    def _run(self, *command: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(prefix + list(command), capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> None:
        proc = self._run(str(PG_BIN / "initdb"), "--no-sync", "-A", "trust", "-U", "postgres", "-D", str(self.data))
        if proc.returncode:
            raise RuntimeError(f"initdb failed: {proc.stderr}")
        for _attempt in range(5):  # the port may be taken between choosing and binding it
            self.port = free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off -c max_connections=200"
            )
            proc = self._run(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.folder / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            )
            if proc.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL did not start: {proc.stderr}\n{self.log()}")

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def psql(self, sql: str) -> None:
        """Run one statement as the superuser (in database ``postgres``)."""
        proc = self._run(
            str(PG_BIN / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        )
        if proc.returncode:
            raise RuntimeError(f"{sql}: {proc.stderr}")

    def create(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` (a copy of ``template``, if given); return its DSN."""
        self.psql(f'create database "{name}"' + (f' template "{template}"' if template else ""))
        return self.dsn(name)

    def dsn(self, name: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={name}"

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
