"""Production entry points; configuration comes from KELISIM_* environment variables.

- ``server.wsgi:rsgi``: what `kelisim serve` runs (its main process, server/serving/
  master.py, serves it with granian): the RSGI front (server/serving/front.py) around
  the WSGI app. Use this one.
- ``server.wsgi:app``: the plain WSGI app, for another WSGI server. Such a server gives a
  thread to a request as soon as its headers arrive, so slow bodies hold threads there:
  give it its own body timeout and threads (see docs/operations.md).

Unless the main process checked already (`kelisim serve`), importing this module checks
what the node needs (server/node.py) and refuses to start, naming what is missing; it
also warns, once per process, while the root's private key is in KEYS_DIR.
"""

from __future__ import annotations

import gc
import logging
import os

from server.app import create_app
from server.context import Kelisim
from server.errors import ConfigError, Unavailable
from server.node import root_key_warning, start_problems
from server.serving.front import Front
from server.serving.master import CHECKED_ENV

__all__ = ["app", "rsgi"]

try:
    app = create_app()
except ConfigError as exc:
    raise SystemExit(f"kelisim: this node cannot start:\n  - {exc}") from None
if not os.environ.get(CHECKED_ENV):
    _k: Kelisim = app.extensions["kelisim"]
    try:
        _problems = start_problems(_k.settings, _k.db)
    except Unavailable:
        _problems = []  # it answers 503 until the database does; no reason not to start
    if _problems:
        raise SystemExit("kelisim: this node cannot start:\n" + "\n".join(
            f"  - {p}" for p in _problems))
    _warning = root_key_warning(_k.settings)
    if _warning:
        logging.getLogger("server").warning("%s", _warning)
rsgi = Front.for_app(app)
# Everything made at start-up (Flask, SQLAlchemy, marshmallow, the models, the published
# cache) lives as long as the process: out of the cyclic collector's way, so that its full
# collections scan only what requests made. Without this, those collections were the
# worst ingest latencies (p99 under load, docs/operations.md).
gc.collect()
gc.freeze()
