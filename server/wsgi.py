"""Production entry points; configuration comes from KELISIM_* environment variables.

- ``server.wsgi:rsgi``: what `kelisim serve` runs (``granian --interface rsgi``): the
  RSGI front (server/serving/front.py) around the WSGI app. Use this one.
- ``server.wsgi:app``: the plain WSGI app, for another WSGI server. Such a server gives a
  thread to a request as soon as its headers arrive, so slow bodies hold threads there:
  give it its own body timeout and threads (see docs/operations.md).
"""

from __future__ import annotations

import gc

from server.app import create_app
from server.serving.front import Front

__all__ = ["app", "rsgi"]

app = create_app()
rsgi = Front.for_app(app)
# Everything made at start-up (Flask, SQLAlchemy, marshmallow, the models, the published
# cache) lives as long as the process: out of the cyclic collector's way, so that its full
# collections scan only what requests made. Without this, those collections were the
# worst ingest latencies (p99 under load, docs/operations.md).
gc.collect()
gc.freeze()
