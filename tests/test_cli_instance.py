"""`kelisim` run where there is no instance folder: only the commands that create an
instance make one; every other command refuses, naming the folder and
KELISIM_INSTANCE_PATH, and leaves nothing behind (run from another folder, a command must
not make a new ./instance with a new root). The real console script, as a user runs it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from livesrv import KELISIM, free_port

pytestmark = pytest.mark.slow


def run(cwd: Path, *args: str, instance: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("KELISIM_INSTANCE_PATH", "KELISIM_DATABASE_URL", "KELISIM_KEYS_DIR")}
    if instance is not None:
        env["KELISIM_INSTANCE_PATH"] = str(instance)
    return subprocess.run([KELISIM, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def refused(proc: subprocess.CompletedProcess[str], path: Path) -> None:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"Error: no Kelisim instance at {path}: "), proc.stderr
    assert "KELISIM_INSTANCE_PATH" in proc.stderr and "kelisim demo-setup" in proc.stderr


def test_commands_refuse_to_run_without_an_instance(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    policy = elsewhere / "policy.md"
    policy.write_text("# Privacy policy\n\nWe keep your e-mail address.\n", "utf-8")
    before = tree(elsewhere)
    assert run(elsewhere, "--help").returncode == 0  # listing commands builds no app
    for args in [("versions", "list", "jana-courier"), ("root", "show"), ("keys", "init"),
                 ("serve", "--port", str(free_port())), ("users", "list"),
                 ("import", str(policy), "--app", "my-app"), ("routes",)]:
        refused(run(elsewhere, *args), elsewhere / "instance")
    missing = tmp_path / "nowhere" / "instance"
    refused(run(elsewhere, "apps", "list", instance=missing), missing)
    assert tree(elsewhere) == before and not missing.parent.exists()
    # A file where the instance folder should be.
    (elsewhere / "instance").write_text("not a folder")
    proc = run(elsewhere, "apps", "list")
    assert proc.returncode == 1 and "is not a folder" in proc.stderr, proc.stderr


def test_creating_commands_say_where_and_the_rest_then_run(tmp_path: Path) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    proc = run(project, "db", "upgrade")
    assert proc.returncode == 0, proc.stderr
    assert f"created the instance folder {project / 'instance'}" in proc.stderr
    proc = run(project, "keys", "init")
    assert proc.returncode == 0 and "root v1 signed" in proc.stdout, proc.stderr
    root = run(project, "root", "show").stdout
    # From another folder, the same instance through KELISIM_INSTANCE_PATH: the same root.
    assert run(elsewhere, "root", "show", instance=project / "instance").stdout == root
    assert tree(elsewhere) == []
    # An existing instance is used quietly.
    proc = run(project, "db", "upgrade")
    assert proc.returncode == 0 and "created" not in proc.stderr, proc.stderr
