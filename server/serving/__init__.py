"""Serving: the published-object cache and the layers a request passes before Flask.

How a request travels (``kelisim serve``: granian, RSGI)::

    granian I/O thread
      └─ hand-off thread ── handoff.install(): Front.answer_from_memory()
           │                  manifest / root / document held in memory → answered here
           └─ event loop ── front.Front: reads the body (BODY_READ_TIMEOUT, MAX_BODY_BYTES)
                └─ worker thread ── fastpath.FastPath: the four cacheable GETs from bytes
                     └─ Flask (server.http blueprints, server.admin) over the domains

Under a plain WSGI server (``server.wsgi:app``) the chain starts at ``front.BodyLimit``,
then ``FastPath``, then Flask. :mod:`.published` holds what every layer serves from memory;
:mod:`.runner` starts granian with its options.
"""

__all__: list[str] = []
