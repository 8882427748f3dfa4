"""An RSGI app that tests/test_handoff.py runs under real granian workers.

``answer`` (installed with server.serving.handoff.install) answers ``/direct`` and raises for
``/fails``; everything else reaches ``__rsgi__`` on the event loop. Each answer says which
thread gave it. ``/block`` says so through the FIFO ``blocked`` in HANDOFF_DIR and then
holds the event loop until the test writes "go" to the FIFO ``release`` (a blocking
read: no polling), so a test can show what still answers while the loop is stuck.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from server.serving import handoff

DIR = Path(os.environ.get("HANDOFF_DIR", "."))
TEXT = [("content-type", "text/plain")]


def _where() -> str:
    return "loop" if threading.current_thread() is threading.main_thread() else "handoff"


def answer(scope: Any, proto: Any) -> bool:
    if scope.path == "/direct":
        proto.response_str(200, TEXT, _where())
        return True
    if scope.path == "/fails":
        raise RuntimeError("this answer fails on purpose")
    return False


class App:
    installed = False

    def __rsgi_init__(self, loop: Any) -> None:
        self.installed = handoff.install(answer)

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        if scope.path == "/block":
            with open(DIR / "blocked", "wb") as blocked:
                blocked.write(b"blocked")
            # On purpose, a blocking read on the loop: nothing else runs on it meanwhile.
            with open(DIR / "release", "rb") as release:
                release.read(2)
        proto.response_str(200, TEXT, f"{_where()} installed={self.installed}")


app = App()
