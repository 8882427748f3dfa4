"""A granian target that never finishes loading (tests/test_server_process.py): it says
it started loading by writing its pid to the file KELISIM_TEST_LOADING names."""

from __future__ import annotations

import os
import threading
from pathlib import Path

Path(os.environ["KELISIM_TEST_LOADING"]).write_text(str(os.getpid()))
threading.Event().wait()
