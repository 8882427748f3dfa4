"""Production WSGI entry point: ``granian --interface wsgi server.wsgi:app``.

Configuration comes from KELISIM_* environment variables.
"""

from __future__ import annotations

from . import create_app

app = create_app()
