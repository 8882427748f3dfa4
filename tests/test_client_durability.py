"""Durability, concurrency and platform tests of the SDK."""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from client_sdk import ConsentClient, Kind
from client_sdk._internal.store import Store
from simulator import BASE, NOW, Simulator

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


@pytest.mark.slow
def test_accepts_survive_sigkill(tmp_path: Path) -> None:
    sim = Simulator()
    root_file, manifest_file = tmp_path / "root.json", tmp_path / "manifest.json"
    root_file.write_bytes(sim.roots[0])
    manifest_file.write_bytes(sim.manifest_raw)
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    returned: list[str] = []
    rng = random.Random(94)
    kills = 0
    # The children are forked from one process that imported the SDK once (see
    # crash_child.py): each dies as a process started alone would, without the start-up.
    with subprocess.Popen([sys.executable, str(HERE / "crash_child.py"), str(data),
                           str(root_file), str(manifest_file)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env) as forks:
        assert forks.stdin is not None and forks.stdout is not None
        while kills < 200:
            forks.stdin.write(b"fork\n")
            forks.stdin.flush()
            ready = forks.stdout.readline()
            assert ready.startswith(b"ready "), ready
            child = int(ready.split()[1])
            # Let the child finish a random number of accepts (counted, not timed: the test
            # must not depend on the machine's speed), then kill it at a random moment of
            # the next one.
            seen = [forks.stdout.readline() for _ in range(rng.randint(0, 3))]
            deadline = time.monotonic() + rng.uniform(0.0, 0.004)
            while time.monotonic() < deadline:
                select.select([], [], [], 0.0005)
            os.kill(child, signal.SIGKILL)
            rest = b""
            while not (line := forks.stdout.readline()).startswith(b"reaped "):
                assert line, "the process that forks the children exited"
                rest += line
            assert int(line.split()[1]) == -signal.SIGKILL
            # The forking process wrote a line break before "reaped": it ends a line the
            # kill cut, and is not the child's.
            out = b"".join(seen) + rest[:-1]
            lines = out.decode().splitlines()
            # The last line may be cut by the kill; only whole lines are accepts that returned.
            if out and not out.endswith(b"\n"):
                lines = lines[:-1]
            returned += lines
            kills += 1
        forks.stdin.close()  # it ends its loop and exits; leaving the block waits for it
    store = Store(data)
    assert store.integrity_check() == "ok"
    stored = {r.id for r in store.records()}
    missing = [i for i in returned if i not in stored]
    assert not missing, f"{len(missing)} returned accepts lost after SIGKILL"
    assert len(returned) > 200, "the children barely accepted anything; the test proved little"


def test_refresh_on_a_worker_thread_while_the_ui_thread_records(tmp_path: Path) -> None:
    sim = Simulator()
    client = ConsentClient(BASE, "demo", sim.roots[0], tmp_path, transport=sim,
                           clock=lambda: NOW)
    assert client.refresh().ok
    errors: list[BaseException] = []
    stop = threading.Event()
    publishing = threading.Lock()

    def refresher() -> None:
        try:
            while not stop.is_set():
                # An honest server publishes one seq at a time; without the lock the two
                # threads could serve seq n after n+1, which the client rightly refuses.
                with publishing:
                    sim.publish()
                result = client.refresh()
                assert result.ok, result.error
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refresher) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for i in range(300):
            assert client.decide().kind in (Kind.PROMPT, Kind.NONE)
            client.accept(["analytics"] if i % 2 else [])
            assert client.is_granted("analytics") == bool(i % 2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert len(client.history()) == 300
    assert client.manifest is not None and client.manifest.seq > 1


@pytest.mark.slow
def test_works_without_cryptography(tmp_path: Path) -> None:
    """iOS has no `cryptography`: securesystemslib verifies Ed25519 in pure Python."""
    sim = Simulator()
    files = {"root": sim.roots[0], "manifest": sim.manifest_raw}
    forged = json.loads(sim.manifest_raw)
    forged["payload"] = forged["payload"][:-8] + "AAAAAAA="
    files["forged"] = json.dumps(forged).encode()
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    code = f"""
import sys
sys.modules["cryptography"] = None  # any import of it now fails, as on iOS
from pathlib import Path
from client_sdk import ConsentClient, Kind, FormatError, SignatureError
from securesystemslib.signer import _key
assert _key.CRYPTO_IMPORT_ERROR, "cryptography was still importable"
d = Path({str(tmp_path)!r})
c = ConsentClient("https://x.invalid", "demo", (d / "root").read_bytes(), d / "a",
                  bundled_manifest=(d / "manifest").read_bytes())
assert c.decide().kind is Kind.PROMPT
try:
    ConsentClient("https://x.invalid", "demo", (d / "root").read_bytes(), d / "b",
                  bundled_manifest=(d / "forged").read_bytes())
except (FormatError, SignatureError) as exc:
    print("rejected:", type(exc).__name__)
else:
    raise SystemExit("forged manifest accepted")
assert "cryptography.hazmat" not in sys.modules
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "ok"
    assert "rejected:" in out.stdout
