"""The reproducible install and the checks around it: requirements.lock pins every package that
pyproject.toml asks for, with hashes; the environment is the lock; `make test` lints first."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from conftest import ROOT

LOCK = ROOT / "requirements.lock"


def locked() -> list[tuple[str, Version, Marker | None, list[str]]]:
    """requirements.lock's entries: (name, version, marker, hashes)."""
    entries: list[tuple[str, Version, Marker | None, list[str]]] = []
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        pinned = re.match(r"^([A-Za-z0-9._-]+)==(\S+)(?:\s*;\s*(.+?))?\s*\\?$", line)
        if pinned:
            name, version, marker = pinned.groups()
            entries.append((canonicalize_name(name), Version(version), Marker(marker) if marker else None, []))
        elif line.strip().startswith("--hash=") and entries:
            entries[-1][3].append(line.strip().removeprefix("--hash=").rstrip(" \\"))
    return entries


def lock_extras() -> list[str]:
    """The extras the Makefile locks (and so installs)."""
    found = re.search(r"^LOCK_EXTRAS\s*:=\s*(.*)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert found, "the Makefile names no LOCK_EXTRAS"
    return found.group(1).split()


def applies(marker: Marker | None, extra: str = "") -> bool:
    return marker is None or marker.evaluate({"extra": extra})


def test_the_lock_pins_every_requirement_of_pyproject_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    for extra in lock_extras():
        wanted += [Requirement(r) for r in project["optional-dependencies"][extra]]
    entries = locked()
    assert entries, f"{LOCK} holds no pinned package"
    for name, version, _, hashes in entries:
        assert hashes and all(h.startswith("sha256:") for h in hashes), f"{name}=={version} has no sha256 hash"
    here = {name: version for name, version, marker, _ in entries if applies(marker)}
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in here, f"{requirement} is in pyproject.toml but not in {LOCK.name}: run `make lock`"
        assert requirement.specifier.contains(here[name], prereleases=True), (
            f"{LOCK.name} pins {name}=={here[name]}, outside pyproject.toml's {requirement}: run `make lock`"
        )


def test_the_environment_is_the_lock() -> None:
    """What `make` installed is exactly what the lock says, for this Python."""
    differ = []
    for name, version, marker, _ in locked():
        if not applies(marker):
            continue
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            differ.append(f"{name}=={version}: not installed")
            continue
        if installed != version:
            differ.append(f"{name}=={version}: {installed} installed")
    assert not differ, differ


def test_python_311_to_313_are_accepted() -> None:
    from packaging.specifiers import SpecifierSet

    accepted = SpecifierSet(
        tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    )
    assert [v for v in ("3.10", "3.11", "3.12", "3.13") if Version(v) in accepted] == ["3.11", "3.12", "3.13"]


@pytest.mark.skipif(sys.platform == "win32", reason="make")
def test_make_test_runs_the_lint_checks_first() -> None:
    dry = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    lines = dry.stdout.splitlines()

    def first(fragment: str) -> int:
        return next(i for i, line in enumerate(lines) if fragment in line)

    order = [first(f) for f in ("ruff check", "ruff format --check", "/mypy", "sqlfluff lint", "-m pytest")]
    assert order == sorted(order), dry.stdout


def test_every_macro_is_documented_with_its_arguments() -> None:
    """macros/_macros.yml names every macro and generic test of macros/, with the arguments it takes."""
    documented: dict[str, list[str]] = {}
    for line in (ROOT / "macros" / "_macros.yml").read_text(encoding="utf-8").splitlines():
        if entry := re.match(r"^  - name: (\w+)$", line):
            documented[entry.group(1)] = []
        elif argument := re.match(r"^      - name: (\w+)$", line):
            documented[list(documented)[-1]].append(argument.group(1))
    defined = {}
    for path in sorted((ROOT / "macros").rglob("*.sql")):
        for kind, name, args in re.findall(r"\{%-?\s*(macro|test)\s+(\w+)\(([^)]*)\)", path.read_text("utf-8")):
            key = f"test_{name}" if kind == "test" else name
            defined[key] = [a.split("=")[0].strip() for a in args.split(",") if a.strip()]
    assert sorted(documented) == sorted(defined)
    assert documented == defined
