"""Child of the crash test: accepts in a loop and prints each record id once it returned.

Usage: python crash_child.py DATA_DIR ROOT_FILE MANIFEST_FILE
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from client_sdk import ConsentClient, NetworkError
from client_sdk.transport import Response


class Offline:
    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        raise NetworkError("offline", url=url)


def main() -> None:
    data_dir, root_file, manifest_file = sys.argv[1:4]
    client = ConsentClient("https://offline.invalid", "demo", Path(root_file).read_bytes(),
                           data_dir, bundled_manifest=Path(manifest_file).read_bytes(),
                           transport=Offline())
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        rec = client.accept(["analytics"] if n % 2 else [],
                            evidence={"scrolled_to_end": True, "seconds_on_screen": n})
        # Printed only after accept() returned, i.e. after the commit reached the disk.
        print(rec.id, flush=True)


if __name__ == "__main__":
    main()
