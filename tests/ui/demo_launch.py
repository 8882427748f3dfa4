"""``python -m demo_app`` as a person starts it, watched from outside the app.

    python demo_launch.py SCREENSHOT.png

Runs demo_app/__main__.py (the window opens there, as in ``make demo``) and, once the app's
first refresh has its answer, prints one JSON line: the window's size, the server the app
talks to and what the refresh said; then takes a screenshot and quits. Nothing here opens
the window or changes the app.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")

from kivy.app import App  # no window yet: demo_app/__main__.py opens it
from kivy.clock import Clock

SHOT = Path(sys.argv[1])
DEADLINE = time.monotonic() + 120


def watch(_dt: float) -> Any:
    app: Any = App.get_running_app()
    gate = getattr(app, "gate", None)
    if (gate is None or gate.last_refresh is None) and time.monotonic() < DEADLINE:
        return None
    from kivy.core.window import Window

    made = Window.screenshot(str(SHOT))
    if made and Path(made).exists():
        Path(made).replace(SHOT)
    refresh = gate.last_refresh if gate is not None else None
    print(json.dumps({
        "window": list(Window.size), "server_url": app.client.server_url,
        "refreshed": refresh is not None, "refresh_ok": refresh is not None and refresh.ok,
        "refresh_error": app.refresh_error,
        "shown": type(gate.shown).__name__ if gate is not None else None}), flush=True)
    app.stop()
    return False


Clock.schedule_interval(watch, 0.1)
runpy.run_module("demo_app", run_name="__main__", alter_sys=True)
