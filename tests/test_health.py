"""Issue 17 item 2: /healthz is readiness (can this node accept a record now?) and /livez
a cheap liveness answer. Each test runs on SQLite and PostgreSQL; the full disk and the
unreachable database under a real server are in tests/test_outage.py."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from livesrv import free_port
from server import Kelisim, create_app
from server.node import Readiness

READY = {"status": "ok", "database": "ok", "migrations": "current", "root": "present",
         "receipt_key": "present", "manifest_key": "present", "disk": "ok"}


@pytest.fixture
def health(kelisim: Kelisim) -> Readiness:
    """The app's readiness, checked afresh on every request (no 2 s cache)."""
    kelisim.readiness = Readiness(kelisim.settings, kelisim.db, interval=0)
    return kelisim.readiness


def test_a_ready_node(client: FlaskClient, published: Path, health: Readiness) -> None:
    resp = client.get("/healthz")
    assert (resp.status_code, resp.get_json()) == (200, READY)
    assert client.get("/livez").get_json() == {"status": "alive"}


@pytest.mark.parametrize("role", ["receipt", "manifest"])
def test_a_node_without_a_key_is_not_ready(client: FlaskClient, published: Path,
                                           health: Readiness, kelisim: Kelisim,
                                           role: str, caplog: pytest.LogCaptureFixture
                                           ) -> None:
    for key in kelisim.keys_dir.glob(f"{role}-*.pem"):
        key.rename(key.with_suffix(".moved"))
    resp = client.get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "unavailable"
    assert body[f"{role}_key"].startswith("missing or unusable")
    assert str(kelisim.keys_dir) not in resp.get_data(as_text=True)
    # The log names the file it looked for, once however often the check runs.
    client.get("/healthz")
    lines = [r.getMessage() for r in caplog.records if "health: not ready" in r.getMessage()]
    assert len(lines) == 1 and f"{role}-" in lines[0] and "kelisim node import" in lines[0]
    for key in kelisim.keys_dir.glob(f"{role}-*.moved"):
        key.rename(key.with_suffix(".pem"))
    assert client.get("/healthz").status_code == 200


def test_a_receipt_key_others_can_read_is_not_ready(client: FlaskClient, published: Path,
                                                    health: Readiness,
                                                    kelisim: Kelisim) -> None:
    for key in kelisim.keys_dir.glob("receipt-*.pem"):
        os.chmod(key, 0o644)
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["receipt_key"] != "present"


def test_low_disk_is_not_ready(client: FlaskClient, published: Path, health: Readiness,
                               kelisim: Kelisim) -> None:
    kelisim.settings.min_free_disk_mb = 1 << 40  # a mebibyte short of a yottabyte
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["disk"] == f"low: less than {1 << 40} MiB free"


@contextlib.contextmanager
def write_lock_held(database_url: str) -> Iterator[None]:
    """Another process holds what a write needs: SQLite's write lock, or the PostgreSQL
    row the health check writes."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn, conn.begin() as tx:
            conn.execute(sa.text("SELECT * FROM generation FOR UPDATE"))
            yield
            tx.rollback()
    finally:
        engine.dispose()


def test_a_database_that_cannot_be_written_now_is_not_ready(
        client: FlaskClient, published: Path, health: Readiness, kelisim: Kelisim,
        database_url: str) -> None:
    kelisim.db.dispose()
    kelisim.db.lock_timeout = 0.3  # the next connections wait this long for a lock
    with write_lock_held(database_url):
        resp = client.get("/healthz")
        assert resp.status_code == 503
        assert resp.get_json()["database"] == "busy"
        assert client.get("/livez").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_health_checks_at_most_every_interval(client: FlaskClient, published: Path,
                                              kelisim: Kelisim) -> None:
    now = [100.0]
    kelisim.readiness = Readiness(kelisim.settings, kelisim.db, clock=lambda: now[0])
    assert client.get("/healthz").status_code == 200
    for key in kelisim.keys_dir.glob("receipt-*.pem"):
        key.unlink()
    # A flood of checks within the interval costs one check: the answer is the last one.
    for _ in range(50):
        assert client.get("/healthz").status_code == 200
    now[0] += 2.0
    assert client.get("/healthz").status_code == 503


def test_liveness_needs_no_database(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://kelisim@127.0.0.1:{free_port()}/gone"
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": url,
                      "TESTING": True, "SECRET_KEY": "s" * 40})
    client = app.test_client()
    assert client.get("/livez").status_code == 200
    assert client.get("/healthz").get_json() == {"status": "unavailable",
                                                 "database": "unavailable"}


def test_openapi_lists_both(client: FlaskClient) -> None:
    paths = client.get("/v1/openapi.json").get_json()["paths"]
    assert set(paths["/healthz"]["get"]["responses"]) == {"200", "503"}
    assert set(paths["/livez"]["get"]["responses"]) == {"200"}
