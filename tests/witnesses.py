"""Start real witness processes (`kelisim witness serve`) for tests."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.livesrv import KELISIM, stop


def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([KELISIM, *args], capture_output=True, text=True,
                          env={**os.environ, "KELISIM_INSTANCE_PATH": "/nonexistent-kelisim"})
    if ok and proc.returncode != 0:
        raise AssertionError(f"kelisim {' '.join(args)}: {proc.stdout}{proc.stderr}")
    return proc


def init(directory: Path, name: str = "witness.test/w1") -> str:
    """A new witness in ``directory``; returns its verifier key."""
    return run("witness", "init", "--name", name, "--dir", str(directory)).stdout.strip()


@contextmanager
def serving(directory: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`kelisim witness serve --port 0` on ``directory``: yields its URL (read from the
    line it prints once listening) and the process (its own process group)."""
    log = directory / "serve.log"
    with log.open("w") as err:
        proc = subprocess.Popen([KELISIM, "witness", "serve", "--dir", str(directory),
                                 "--port", "0"], stdout=subprocess.PIPE, stderr=err,
                                text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        line = proc.stdout.readline() if ready else ""
        assert " at http://" in line, f"the witness did not start: {line}{log.read_text()}"
        yield line.strip().rsplit(" ", 1)[1], proc
    finally:
        if proc.poll() is None:
            stop(proc)  # type: ignore[arg-type]
        if proc.stdout is not None:
            proc.stdout.close()
        print(log.read_text()[-2000:], file=sys.stderr)
