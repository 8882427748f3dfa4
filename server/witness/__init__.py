"""What parties outside the operator run against a Kelisim transparency log (issue 19): a
``tlog-witness`` witness (:mod:`.core`, :mod:`.state`, :mod:`.keys`, :mod:`.wsgi`), the log
side's client for witnesses (:mod:`.submit`) and the auditor (:mod:`.audit`). No Flask:
the witness is its own small WSGI service. docs/transparency.md describes them."""

from __future__ import annotations

__all__: list[str] = []
