"""Webhook outbox retention (issue 21), on SQLite and PostgreSQL with an injected clock: the
worker deletes events delivered more than WEBHOOK_RETENTION_DAYS ago with their
deliveries, in bounded batches, and never an event with a delivery pending (failing,
paused), one not yet fanned out, a recent one, one replayed and delivered again lately,
or the request.overdue of a request still open; a pruned delivery cannot be replayed (the
API's 404 says why, the console says it is no longer kept); the setting is validated."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from admin_support import APP, deletion, post, sign_in
from livesrv import free_port
from server import Kelisim
from server.config import ConfigError, load_config
from server.models import DeletionRequest, WebhookDelivery, WebhookEvent
from server.webhooks import delivery
from server.webhooks.endpoints import create_endpoint, replay
from server.webhooks.events import add_event, overdue_event_id
from server.webhooks.secrets import webhook_key
from server.webhooks.worker import Worker

DAY = 86400.0
# After the real time: a replay is due at the real time (time.time()), and the request
# filed here is overdue by then.
T0 = datetime(2030, 3, 1, tzinfo=UTC).timestamp()


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def _stamp(t: float) -> str:
    return delivery.stamp(t)


def _events(k: Kelisim) -> dict[str, list[str]]:
    """Event id -> the statuses of its deliveries."""
    with k.db.session(readonly=True) as s:
        out: dict[str, list[str]] = {e: [] for e in s.scalars(select(WebhookEvent.event_id))}
        for eid, status in s.execute(select(WebhookEvent.event_id, WebhookDelivery.status)
                                     .join(WebhookDelivery,
                                           WebhookDelivery.event_seq == WebhookEvent.seq)):
            out[eid].append(status)
        return out


def _add(k: Kelisim, kind: str, t: float, data: dict[str, Any] | None = None,
         event_id: str | None = None) -> str:
    with k.db.session() as s:
        return add_event(s, APP, kind, data or {}, _stamp(t), event_id).event_id


def test_worker_prunes_only_what_was_delivered_long_ago(
        client: FlaskClient, published: Path, kelisim: Kelisim, users: dict[str, int],
        cli: Any, receiver: str) -> None:
    k = kelisim
    now = [T0]
    settings = replace(k.settings, webhook_allow_private=True, webhook_backoff_base=3600.0,
                       webhook_backoff_cap=3600.0, webhook_pause_after=100)
    worker = Worker(k.db, settings, clock=lambda: now[0])
    created = datetime.fromtimestamp(T0 - DAY, UTC)
    with k.db.session() as s:
        create_endpoint(s, APP, receiver, ["consent.accepted", "consent.withdrawn",
                                           "request.overdue"], "test", created,
                        key=webhook_key(settings), allow_private=True)
        # A receiver that is down hears withdrawals: those stay pending.
        create_endpoint(s, APP, f"http://127.0.0.1:{free_port()}/hook",
                        ["consent.withdrawn"], "test", created, key=webhook_key(settings),
                        allow_private=True)
    # The overdue event of a request still open: the scan would emit it again if pruned.
    resp = client.post(f"/v1/apps/{APP}/installs")
    assert resp.status_code == 201
    open_request = deletion(client, {"Authorization": f"Bearer {resp.get_json()['token']}"})
    with k.db.session(readonly=True) as s:
        assert s.scalar(select(DeletionRequest.status).where(
            DeletionRequest.request_id == open_request)) == "open"
    before = set(_events(k))
    delivered = [_add(k, "consent.accepted", T0) for _ in range(5)]
    failing = _add(k, "consent.withdrawn", T0)
    nobody = _add(k, "consent.declined", T0)  # no endpoint takes it
    replayed = _add(k, "consent.accepted", T0)
    overdue = _add(k, "request.overdue", T0, {"request_id": open_request},
                   overdue_event_id(APP, open_request))
    worker.run(threading.Event(), once=True)
    state = {e: v for e, v in _events(k).items() if e not in before}
    assert all(state[e] == ["delivered"] for e in [*delivered, replayed, overdue]), state
    assert sorted(state[failing]) == ["delivered", "pending"] and state[nobody] == []
    assert worker.pruned == 0  # it prunes before it fans out: nothing was fanned yet
    # Replayed 20 days later and delivered again then.
    with k.db.session(readonly=True) as s:
        rid = s.scalar(select(WebhookDelivery.id).join(
            WebhookEvent, WebhookEvent.seq == WebhookDelivery.event_seq)
            .where(WebhookEvent.event_id == replayed))
    assert rid is not None
    now[0] = T0 + 20 * DAY
    with k.db.session() as s:
        replay(s, APP, rid, "test", datetime.fromtimestamp(now[0], UTC))
    worker.run(threading.Event(), once=True)
    assert _events(k)[replayed] == ["delivered"]
    # The request's own request.created, written at the real time years before T0, that no
    # endpoint took: fanned out by the first run, pruned by this one.
    assert worker.pruned == 1 and not before & set(_events(k))
    # 29 days on: nothing is old enough.
    now[0] = T0 + 29 * DAY
    assert not worker.prune() and worker.pruned == 1
    assert set(_events(k)) - before == set(state)
    # 31 days on, an unfanned event created long ago (as if written just now with an old
    # time) and one delivered a day ago.
    now[0] = T0 + 31 * DAY
    unfanned = _add(k, "consent.accepted", T0)
    recent = _add(k, "consent.accepted", T0 + 30 * DAY)
    with k.db.session() as s:
        delivery.fan_out(s, T0 + 30 * DAY)
    with k.db.session() as s:
        s.execute(WebhookDelivery.__table__.update().values(  # type: ignore[attr-defined]
            status="delivered", delivered_at=_stamp(T0 + 30 * DAY)).where(
            WebhookDelivery.event_seq == select(WebhookEvent.seq)
            .where(WebhookEvent.event_id == recent).scalar_subquery()))
    # Bounded batches: two events a transaction, on from where the last batch stopped.
    gone, after = 0, 0
    batches = 0
    while True:
        with k.db.session() as s:
            n, nxt = delivery.prune(s, now[0], 30, after or 0, limit=2)
        gone, after, batches = gone + n, nxt, batches + 1
        assert n <= 2
        if nxt is None:
            break
    assert gone == 6 and batches >= 4  # five delivered and the one nobody took
    left = {e: v for e, v in _events(k).items() if e not in before}
    assert set(left) == {failing, replayed, overdue, unfanned, recent}, left
    assert sorted(left[failing]) == ["delivered", "pending"]
    # A pruned delivery cannot be replayed: the API's 404 says why, the console too.
    key = cli("api-keys", "create", APP, "--name", "hooks", "--scope",
              "webhooks:write").stdout.strip()
    with k.db.session(readonly=True) as s:
        top = int(s.scalar(select(func.max(WebhookDelivery.id))) or 0)
    pruned = next(i for i in range(1, top) if i != rid and not _exists(k, i))
    resp = client.post(f"/v1/apps/{APP}/operator/webhooks/deliveries/{pruned}/replay",
                       headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 404, resp.get_data(as_text=True)
    assert "pruned" in resp.get_json()["error"]["message"]
    sign_in(client, k, users["owner"])
    resp = post(client, f"/admin/apps/{APP}/webhooks/deliveries/{pruned}/replay")
    assert resp.status_code == 404
    assert "no longer kept" in resp.get_data(as_text=True)
    page = client.get(f"/admin/apps/{APP}/webhooks").get_data(as_text=True)
    assert "kept 30 days" in page
    # The worker's own schedule prunes the rest once they are old: the replayed one 30
    # days after its second delivery, the recent one too; never the pending one, the
    # unfanned one (fanned now, delivered now) or the open request's overdue event.
    now[0] = T0 + 61 * DAY
    worker.run(threading.Event(), once=True)
    left = {e: v for e, v in _events(k).items() if e not in before}
    assert set(left) == {failing, overdue, unfanned}, left
    assert worker.pruned == 3
    if worker.book is not k.db:
        worker.book.dispose()


def _exists(k: Kelisim, delivery_id: int) -> bool:
    with k.db.session(readonly=True) as s:
        return s.get(WebhookDelivery, delivery_id) is not None


@pytest.mark.parametrize("value", ["0", "-1", "x", "36501", "1.5"])
def test_retention_days_validated(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_RETENTION_DAYS"):
        load_config({"INSTANCE_PATH": str(tmp_path), "WEBHOOK_RETENTION_DAYS": value})


def test_worker_bookkeeping_is_not_flushed_on_sqlite(kelisim: Kelisim) -> None:
    """The worker's own transactions on SQLite commit without an fsync (each holds the
    write lock ingest needs); the server's handle, which writes consent records, flushes
    every commit. On PostgreSQL the worker uses the one handle."""
    worker = Worker(kelisim.db, kelisim.settings)
    try:
        if not kelisim.db.is_sqlite:
            assert worker.book is kelisim.db
            return
        with worker.book.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        with kelisim.db.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        if worker.book is not kelisim.db:
            worker.book.dispose()
