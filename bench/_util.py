"""Helpers shared by the benchmarks: free ports, waiting for a server, wrk runs."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                resp.read()
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout}s") from None
            time.sleep(0.1)


def need(tool: str) -> str:
    path = shutil.which(tool) or (f"/usr/sbin/{tool}" if shutil.which(f"/usr/sbin/{tool}")
                                  else None)
    if not path:
        raise SystemExit(f"{tool} not found: run `make bench`, which installs it")
    return path


def wrk(url: str, *, seconds: int, connections: int, threads: int,
        headers: dict[str, str] | None = None) -> float:
    """Requests per second that wrk measured; fails if any response was not 2xx/3xx."""
    cmd = [need("wrk"), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors for {url}:\n{out}")
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    return float(m.group(1))
