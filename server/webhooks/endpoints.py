"""Webhook endpoints of an app and their deliveries: registered, listed, paused, resumed,
deleted and tested by an owner (console) or the operator's backend (operator API, scope
``webhooks:write``); deliveries listed and replayed. Every change is recorded in the admin
audit log in the same transaction (``webhook.create``, ``webhook.pause``,
``webhook.resume``, ``webhook.delete``, ``webhook.test``, ``webhook.replay``; target
``<app>/<endpoint_id>``).
"""

from __future__ import annotations

import ipaddress
import secrets
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from client_sdk.protocol.timeutil import format_time
from server import adminlog
from server.errors import InvalidValue, NotFound, UnknownApp
from server.models import App, WebhookDelivery, WebhookEndpoint, WebhookEvent
from server.webhooks.events import EVENTS, add_event
from server.webhooks.secrets import new_secret, seal_secret
from server.webhooks.sender import public_address

__all__ = ["TEST_EVENT", "URL_MAX", "check_events", "check_url", "create_endpoint",
           "delete_endpoint", "get_endpoint", "list_deliveries", "list_endpoints",
           "replay", "send_test", "set_paused"]

URL_MAX: Final = 2000
TEST_EVENT: Final = "webhook.test"  # sent to one endpoint on request, never subscribed


def check_url(url: object, *, allow_private: bool) -> str:
    """An endpoint URL: http or https, a host, no credentials, at most :data:`URL_MAX`
    characters; a literal address must be public unless ``allow_private`` (names are
    checked again at each delivery, after resolving: server/webhooks/sender.py).

    Raises:
        InvalidValue: naming ``url``.
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidValue("url", "the address of your receiver, https://...")
    text = url.strip()
    if len(text) > URL_MAX or any(c.isspace() or ord(c) < 32 for c in text):
        raise InvalidValue("url", f"one URL without spaces, at most {URL_MAX} characters")
    try:
        parts = urlsplit(text)
        host, _ = parts.hostname, parts.port
    except ValueError:
        raise InvalidValue("url", "not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidValue("url", "must start with https:// (or http://) and name a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidValue("url", "must not carry a user name or password")
    if not allow_private and not public_host(host):
        raise InvalidValue("url", "must not point at a private, loopback or link-local "
                                  "address (WEBHOOK_ALLOW_PRIVATE)")
    return text


def public_host(host: str) -> bool:
    """False for a literal address that is not globally routable (nor an IPv6 address that
    carries a non-global IPv4 one: :func:`server.webhooks.sender.public_address`), and for
    ``localhost``."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True  # a name: resolved and checked at delivery
    return public_address(address)


def check_events(events: Iterable[object]) -> list[str]:
    """The subscribed events, sorted, once each.

    Raises:
        InvalidValue: naming ``events``: none, or one that is not in :data:`EVENTS`.
    """
    given = list(events)
    unknown = [e for e in given if e not in EVENTS]
    if unknown:
        raise InvalidValue("events", f"unknown {str(unknown[0])[:60]!r}; one or more of "
                                     f"{', '.join(EVENTS)}")
    if not given:
        raise InvalidValue("events", f"at least one of {', '.join(EVENTS)}")
    return sorted({str(e) for e in given})


def _app(session: Session, app_id: str) -> None:
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)


def create_endpoint(session: Session, app_id: str, url: object, events: Iterable[object],
                    actor: str, now: datetime, *, key: bytes,
                    allow_private: bool) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint and its signing secret (shown once; stored sealed with
    ``key``).

    Raises:
        InvalidValue: a bad ``url`` or ``events``.
        UnknownApp: no such app.
    """
    clean_url = check_url(url, allow_private=allow_private)
    clean_events = check_events(events)
    _app(session, app_id)
    endpoint_id, secret = secrets.token_hex(6), new_secret()
    row = WebhookEndpoint(app_id=app_id, endpoint_id=endpoint_id, url=clean_url,
                          secret_box=seal_secret(key, endpoint_id, secret),
                          events=clean_events, status="active", failures=0,
                          created_at=format_time(now), created_by=actor)
    session.add(row)
    session.flush()
    adminlog.record(session, actor, "webhook.create", f"{app_id}/{endpoint_id}",
                    {"url": clean_url, "events": clean_events}, now)
    return row, secret


def list_endpoints(session: Session, app_id: str) -> list[WebhookEndpoint]:
    """The app's endpoints, oldest first.

    Raises:
        UnknownApp: no such app.
    """
    _app(session, app_id)
    return list(session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.app_id == app_id).order_by(WebhookEndpoint.id)))


def get_endpoint(session: Session, app_id: str, endpoint_id: str, *,
                 lock: bool = False) -> WebhookEndpoint:
    """Raises: UnknownApp; NotFound: the app has no such endpoint."""
    _app(session, app_id)
    q = select(WebhookEndpoint).where(WebhookEndpoint.app_id == app_id,
                                      WebhookEndpoint.endpoint_id == endpoint_id)
    row = session.scalars(q.with_for_update() if lock else q).first()
    if row is None:
        raise NotFound(f"app {app_id} has no webhook endpoint {endpoint_id[:40]!r}")
    return row


def set_paused(session: Session, app_id: str, endpoint_id: str, paused: bool, actor: str,
               now: datetime) -> WebhookEndpoint:
    """Pause an endpoint (no deliveries until resumed) or resume it: its failure count
    starts again and its waiting deliveries are due at once."""
    row = get_endpoint(session, app_id, endpoint_id, lock=True)
    row.status = "paused" if paused else "active"
    row.paused_at = format_time(now) if paused else None
    if not paused:
        row.failures = 0
        session.execute(update(WebhookDelivery).where(
            WebhookDelivery.endpoint == row.id, WebhookDelivery.status == "pending")
            .values(next_attempt=time.time()))
    adminlog.record(session, actor, "webhook.pause" if paused else "webhook.resume",
                    f"{app_id}/{endpoint_id}", {"url": row.url}, now)
    return row


def delete_endpoint(session: Session, app_id: str, endpoint_id: str, actor: str,
                    now: datetime) -> None:
    """Delete an endpoint and its deliveries (the events stay for the other endpoints)."""
    row = get_endpoint(session, app_id, endpoint_id, lock=True)
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint == row.id))
    adminlog.record(session, actor, "webhook.delete", f"{app_id}/{endpoint_id}",
                    {"url": row.url}, now)
    session.delete(row)


def send_test(session: Session, app_id: str, endpoint_id: str, actor: str,
              now: datetime) -> dict[str, Any]:
    """Queue a ``webhook.test`` event for this endpoint alone (a paused endpoint's waits
    for it to be resumed)."""
    row = get_endpoint(session, app_id, endpoint_id)
    stamp = format_time(now)
    event = add_event(session, app_id, TEST_EVENT, {"endpoint_id": endpoint_id}, stamp)
    event.fanned = True  # its one delivery is made here
    session.flush()
    delivery = WebhookDelivery(event_seq=event.seq, endpoint=row.id, status="pending",
                               attempts=0, next_attempt=time.time(), created_at=stamp)
    session.add(delivery)
    session.flush()
    adminlog.record(session, actor, "webhook.test", f"{app_id}/{endpoint_id}",
                    {"event_id": event.event_id}, now)
    return delivery_json(delivery, event, row)


def list_deliveries(session: Session, app_id: str, endpoint_id: str | None = None, *,
                    limit: int = 50) -> list[dict[str, Any]]:
    """The app's deliveries (of one endpoint when given), newest first."""
    _app(session, app_id)
    q = (select(WebhookDelivery, WebhookEvent, WebhookEndpoint)
         .join(WebhookEvent, WebhookEvent.seq == WebhookDelivery.event_seq)
         .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint)
         .where(WebhookEndpoint.app_id == app_id))
    if endpoint_id is not None:
        q = q.where(WebhookEndpoint.endpoint_id == get_endpoint(
            session, app_id, endpoint_id).endpoint_id)
    rows = session.execute(q.order_by(WebhookDelivery.id.desc()).limit(limit)).all()
    return [delivery_json(d, e, p) for d, e, p in rows]


def delivery_json(d: WebhookDelivery, e: WebhookEvent, p: WebhookEndpoint) -> dict[str, Any]:
    return {"id": d.id, "event_id": e.event_id, "type": e.kind, "endpoint_id": p.endpoint_id,
            "status": d.status, "attempts": d.attempts, "last_status": d.last_status,
            "last_error": d.last_error, "created_at": d.created_at,
            "delivered_at": d.delivered_at,
            "next_attempt_at": None if d.status != "pending"
            else format_time(datetime.fromtimestamp(d.next_attempt, UTC))}


def replay(session: Session, app_id: str, delivery_id: int, actor: str,
           now: datetime) -> dict[str, Any]:
    """Send a delivery again (delivered or not): pending and due at once, with the same
    event id (receivers drop what they have seen). A paused endpoint's waits for it to be
    resumed.

    Raises:
        UnknownApp; NotFound: no such delivery of this app.
    """
    _app(session, app_id)
    if not 0 < delivery_id < 2**31:  # an id no row can have (PostgreSQL's integer)
        raise NotFound(f"no webhook delivery {delivery_id} of app {app_id}")
    found = session.execute(
        select(WebhookDelivery, WebhookEvent, WebhookEndpoint)
        .join(WebhookEvent, WebhookEvent.seq == WebhookDelivery.event_seq)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint)
        .where(WebhookEndpoint.app_id == app_id, WebhookDelivery.id == delivery_id)
        .with_for_update(of=WebhookDelivery)).first()
    if found is None:
        raise NotFound(f"app {app_id} has no webhook delivery {delivery_id}: it never "
                       f"existed, its endpoint was deleted, or it was delivered more than "
                       f"WEBHOOK_RETENTION_DAYS days ago and pruned (a pruned event "
                       f"cannot be replayed)")
    d, e, p = found
    d.status, d.next_attempt, d.lease_owner, d.lease_until = "pending", time.time(), None, None
    d.delivered_at = None
    session.flush()
    adminlog.record(session, actor, "webhook.replay", f"{app_id}/{p.endpoint_id}",
                    {"delivery": d.id, "event_id": e.event_id}, now)
    return delivery_json(d, e, p)
