"""When a request of the data subject must be answered: pure rules, no I/O.

A request's deadline is fixed when the server receives it (and signed in its receipt):
``received + days``, where ``days`` is the app's setting (the console's app page,
``admin_app_settings.request_deadline_days``; the server's ``request_deadline_days``, 30,
when the app has none), capped by what the law of the controller's country sets for that
kind of request (:data:`STATUTORY_DAYS`; the controller's ``country`` in app.toml).

Kyrgyzstan's law on personal information gives the subject an answer to an access request
within a week (7 days; issue 22, docs/compliance.md). Elsewhere, and for the other kinds,
the app's setting applies. The table is the one place to add a jurisdiction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from client_sdk.protocol.records import REQUEST_KINDS

__all__ = ["STATUTORY_DAYS", "deadline", "deadline_days"]

# country (ISO 3166 alpha-2) -> request kind -> the most days the law allows.
STATUTORY_DAYS: Final[dict[str, dict[str, int]]] = {
    "KG": {"access": 7},
}


def deadline_days(country: str | None, kind: str, app_days: int) -> int:
    """Days to answer a request of ``kind`` for a controller in ``country``: the app's
    setting, capped by the statutory limit where there is one."""
    assert kind in REQUEST_KINDS
    limit = STATUTORY_DAYS.get((country or "").upper(), {}).get(kind)
    return app_days if limit is None else min(app_days, limit)


def deadline(received: datetime, country: str | None, kind: str, app_days: int) -> datetime:
    """The time by which a request received at ``received`` must be answered."""
    return received + timedelta(days=deadline_days(country, kind, app_days))
