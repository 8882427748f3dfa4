"""The status of a request read back from the install's history (not signed): it may say
whether and how the operator answered, never move what the signed receipt fixed (when the
request was received, its deadline), and its answer is text a person can read safely."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from client_sdk import ConsentClient, FormatError
from simulator import NOW, ts
from syncsim import SyncServer


def _filed(client: ConsentClient, server: SyncServer) -> tuple[str, dict[str, Any]]:
    client.accept()
    rec = client.request("access")
    assert client.sync().ok
    return rec.id, server.requests[rec.id]


def test_an_honest_answer_is_shown(client: ConsentClient, server: SyncServer) -> None:
    rid, entry = _filed(client, server)
    entry.update(status="resolved", resolved_at=ts(NOW + timedelta(days=2)),
                 answer="Отправили копию данных\nна вашу почту")
    assert client.sync(force=True).ok
    (q,) = client.requests()
    assert (q.id, q.status, q.answer) == (rid, "resolved", entry["answer"])


def test_the_history_cannot_move_the_signed_deadline(client: ConsentClient,
                                                      server: SyncServer) -> None:
    _, entry = _filed(client, server)
    signed = client.requests()[0]
    entry.update(server_time="2099-01-01T00:00:00Z", deadline="2099-12-31T00:00:00Z",
                 status="resolved", resolved_at="2099-01-02T00:00:00Z", answer="done")
    assert client.sync(force=True).ok
    (q,) = client.requests()
    assert (q.received_at, q.deadline) == (signed.received_at, signed.deadline)
    assert q.deadline == ts(NOW + timedelta(days=30)) and q.status == "resolved"


@pytest.mark.parametrize("change,field", [
    ({"status": "resolved", "resolved_at": "1970-01-01T00:00:00Z", "answer": "done"},
     "resolved_at"),
    ({"status": "resolved", "resolved_at": None, "answer": "done"}, "resolved_at"),
    ({"status": "open", "resolved_at": ts(NOW), "answer": None}, "resolved_at"),
    ({"status": "refused", "resolved_at": ts(NOW), "answer": "no\u202eevil"}, "answer"),
    ({"status": "refused", "resolved_at": ts(NOW), "answer": "\x1b[31mno"}, "answer"),
    ({"status": "refused", "resolved_at": ts(NOW), "answer": "\u200b"}, "answer"),
    ({"status": "resolved", "resolved_at": ts(NOW), "answer": None}, "answer"),
])
def test_a_hostile_answer_is_refused_and_nothing_stored(
        client: ConsentClient, server: SyncServer, change: dict[str, Any], field: str) -> None:
    _, entry = _filed(client, server)
    before = client.requests()
    entry.update(change)
    result = client.sync(force=True)
    assert isinstance(result.error, FormatError) and result.error.field == f"requests[0].{field}"
    after = client.requests()
    assert [(q.status, q.answer, q.deadline) for q in after] == \
        [(q.status, q.answer, q.deadline) for q in before]
