"""Children of the crash test, forked from one process that imported the SDK once.

Usage: python crash_child.py DATA_DIR ROOT_FILE MANIFEST_FILE

For each line ``fork`` on stdin it forks a child. The child opens its own ConsentClient on
DATA_DIR (nothing of the store is open in the parent), prints ``ready PID``, then accepts
in a loop and prints each record id once accept() returned. The test SIGKILLs the child;
this process reaps it and prints an empty line (which ends a line the kill cut) and
``reaped STATUS``, STATUS as subprocess gives a return code (-9).

Forking is what makes 200 kills cheap: a new interpreter importing the SDK for each kill
took most of the test's time, and the child dies exactly as a process started alone would.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from client_sdk import ConsentClient, NetworkError
from client_sdk.transport import Response


class Offline:
    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        raise NetworkError("offline", url=url)


def child(data_dir: str, root: bytes, manifest: bytes) -> None:
    client = ConsentClient("https://offline.invalid", "demo", root, data_dir,
                           bundled_manifest=manifest, transport=Offline())
    print(f"ready {os.getpid()}", flush=True)
    n = 0
    while True:
        n += 1
        rec = client.accept(["analytics"] if n % 2 else [],
                            evidence={"scrolled_to_end": True, "seconds_on_screen": n})
        # Printed only after accept() returned, i.e. after the commit reached the disk.
        print(rec.id, flush=True)


def main() -> None:
    data_dir, root_file, manifest_file = sys.argv[1:4]
    root, manifest = Path(root_file).read_bytes(), Path(manifest_file).read_bytes()
    for line in sys.stdin:
        if line.strip() != "fork":
            break
        pid = os.fork()
        if pid == 0:
            try:
                child(data_dir, root, manifest)
            finally:
                os._exit(1)  # never back into the parent's loop
        _, status = os.waitpid(pid, 0)
        print(f"\nreaped {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main()
