"""The README's two commands, as make would run them (``make -n``: nothing is installed).

``make demo`` installs only what the service needs and says so first; ``make test`` installs
the development tools, and a demo after it installs nothing more."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def dry_run(target: str, venv: Path, *variables: str) -> list[str]:
    """The commands ``make <target>`` would run with its virtualenv at ``venv``."""
    assert MAKE is not None
    done = subprocess.run(
        [MAKE, "--no-print-directory", "-n", target, f"VENV={venv}", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.splitlines()


def installs(commands: list[str]) -> list[str]:
    return [line for line in commands if "pip install" in line]


def fake_venv(tmp_path: Path, *stamps: str) -> Path:
    """A virtualenv as make sees it: its python and the stamps of what was installed."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    newer = (ROOT / "pyproject.toml").stat().st_mtime + 1
    for stamp in stamps:
        (venv / stamp).touch()
        os.utime(venv / stamp, (newer, newer))
    return venv


def test_a_first_demo_installs_the_service_only_and_says_so_first(tmp_path: Path) -> None:
    commands = dry_run("demo", tmp_path / "venv")
    assert any("-m venv" in line for line in commands)
    assert installs(commands) == [
        f"{tmp_path}/venv/bin/python -m pip install --quiet --disable-pip-version-check"
        " -e '.[service]'"
    ]
    said = next(i for i, line in enumerate(commands) if "installing tgpass" in line)
    assert said < commands.index(installs(commands)[0])
    assert "first run only, about a minute" in commands[said]
    assert commands[-1].endswith("tgpass demo ")  # then it runs


def test_a_first_test_run_installs_the_development_tools(tmp_path: Path) -> None:
    commands = dry_run("test", tmp_path / "venv")
    assert [line.rpartition(" ")[2] for line in installs(commands)] == ["'.[dev,service]'"]


def test_the_tools_installed_after_the_service_alone(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path, ".installed-service")
    assert installs(dry_run("demo", venv)) == []
    assert [line.rpartition(" ")[2] for line in installs(dry_run("test", venv))] == [
        "'.[dev,service]'"
    ]


def test_a_demo_after_make_test_installs_nothing(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path, ".installed-dev", ".installed-service")
    assert installs(dry_run("demo", venv)) == []
    assert installs(dry_run("test", venv)) == []


def test_installing_the_tools_marks_the_service_installed_too(tmp_path: Path) -> None:
    commands = dry_run("test", tmp_path / "venv")
    assert f"touch {tmp_path}/venv/.installed-dev {tmp_path}/venv/.installed-service" in commands


def test_demo_args_reach_the_demo(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path, ".installed-service")
    commands = dry_run("demo", venv, "DEMO_ARGS=--fresh --port 8001")
    assert commands[-1] == (f"TGPASS_DEMO_VIA=make {venv}/bin/tgpass demo --fresh --port 8001")
