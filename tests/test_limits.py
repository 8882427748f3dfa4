"""Bounded per-worker state, rate limits with an injected clock, body caps, file modes and
what the server tells strangers."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from builders import APP, record
from helpers import payload_of
from livesrv import free_port
from server import Kelisim, create_app
from server.config import ConfigError, load_config
from server.http.ratelimit import Limit, MemoryCounter, RateLimiter
from server.serving.published import MISS_CACHE_ENTRIES, Misses, Published

pytestmark = pytest.mark.rate_limits_off


class FakeClock:
    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t
        self.mono = 100.0

    def time(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.mono

    def __call__(self) -> float:
        return self.t


# -- rate-limit counters -------------------------------------------------------------------
def test_counts_within_the_window_and_resets_with_the_next() -> None:
    clock = FakeClock(1_700_000_020.0)  # 40 s into a minute
    limiter = RateLimiter(MemoryCounter(), clock)
    per_minute = Limit(3, 60)
    assert [limiter.hit("ip", "a", per_minute) for _ in range(3)] == [None, None, None]
    assert limiter.hit("ip", "a", per_minute) == 20  # seconds until the minute ends
    assert limiter.hit("ip", "b", per_minute) is None  # counted per client
    clock.t += 19.5
    assert limiter.hit("ip", "a", per_minute) == 1  # never 0: "retry now" would be wrong
    clock.t += 0.5  # the next minute
    assert limiter.hit("ip", "a", per_minute) is None


def test_keys_expire_with_their_window() -> None:
    clock = FakeClock(1_700_000_000.0)
    counter = MemoryCounter()
    limiter = RateLimiter(counter, clock)
    per_minute, per_hour = Limit(5, 60), Limit(5, 3600)
    for i in range(100_001):
        limiter.hit("ip", f"10.0.{i // 256}.{i % 256}", per_minute)
    limiter.hit("install", "x", per_hour)
    assert len(counter) == 100_002
    # One minute later the minute's keys are gone, all at once, on the next hit; the
    # hour's key lives on until its own window ends.
    clock.t += 60
    limiter.hit("ip", "10.0.0.1", per_minute)
    assert len(counter) == 2
    clock.t += 3600
    limiter.hit("ip", "10.0.0.1", per_minute)
    limiter.hit("install", "y", per_hour)
    assert len(counter) == 2


def test_a_hit_from_just_before_the_turn_counts_in_the_new_window() -> None:
    counter = MemoryCounter()
    assert counter.incr("k", 120, 60) == 1
    assert counter.incr("k", 60, 60) == 2  # a late thread's stamp: the old window is gone
    assert len(counter) == 1


# -- bounded caches ------------------------------------------------------------------------
def test_misses_are_remembered_within_a_bound(kelisim: Kelisim, published: Path) -> None:
    # The bound itself, at its real size: names beyond it push out the oldest.
    misses: Misses[str] = Misses()
    for i in range(MISS_CACHE_ENTRIES + 500):
        misses.add(f"no-such-app-{i}")
    assert len(misses) == MISS_CACHE_ENTRIES
    assert "no-such-app-499" not in misses and "no-such-app-500" in misses
    # The app's cache has that bound; the same cache with a small one shows each kind of
    # miss remembered (asked again, the database is not) and bounded, over the database
    # (a round trip per miss: the real size would take minutes on PostgreSQL).
    assert kelisim.published.miss_limit == MISS_CACHE_ENTRIES
    k, limit = kelisim, 64
    pub = Published(k.db, k.keys_dir, k.timing, manifest_max_age=60, root_max_age=300,
                    check_interval=3600.0, document_cache_bytes=1 << 20, miss_limit=limit)
    queries: list[str] = []

    def count(*args: Any) -> None:
        queries.append(args[2])

    event.listen(k.db.engine, "before_cursor_execute", count)
    try:
        for i in range(limit + 20):
            assert pub.manifest(f"no-such-app-{i}") is None
            assert pub.root(1000 + i) is None
            assert pub.document(f"{i:064x}") is None
        asked = len(queries)
        assert asked >= 3 * (limit + 20)
        for i in range(20, limit + 20):  # the latest `limit` of each: remembered
            assert pub.manifest(f"no-such-app-{i}") is None
            assert pub.root(1000 + i) is None
            assert pub.document(f"{i:064x}") is None
        assert len(queries) == asked
        assert pub.manifest("no-such-app-0") is None  # pushed out: asked again
        assert len(queries) > asked
    finally:
        event.remove(k.db.engine, "before_cursor_execute", count)
    sizes = pub.cache_sizes()
    assert sizes["manifest_misses"] == limit
    assert sizes["root_misses"] == limit
    assert sizes["document_misses"] == limit
    # Hits are still served and cached.
    assert pub.manifest(APP) is not None and pub.cache_sizes()["manifests"] == 1


def test_publication_check_and_expiry_follow_the_injected_clock(kelisim: Kelisim,
                                                                 published: Path) -> None:
    k = kelisim
    clock = FakeClock()
    pub = Published(k.db, k.keys_dir, k.timing, manifest_max_age=60, root_max_age=300,
                    check_interval=1.0, document_cache_bytes=1 << 20, clock=clock)
    assert pub.cached_manifest(APP) is None  # never checked: go to the database
    blob = pub.manifest(APP)
    assert blob is not None and pub.cached_manifest(APP) is blob
    clock.mono += 0.9
    assert pub.cached_manifest(APP) is blob
    clock.mono += 0.1  # a second since the check: the next answer asks the database
    assert pub.cached_manifest(APP) is None
    assert pub.manifest(APP) is blob and pub.cached_manifest(APP) is blob
    clock.t = blob.refresh_at  # time to re-sign: never answered from memory
    assert pub.cached_manifest(APP) is None


# -- the body cap for WSGI servers ---------------------------------------------------------
@pytest.fixture
def config(config: dict[str, Any]) -> dict[str, Any]:
    return {**config, "MAX_BODY_BYTES": 4096}


def test_chunked_body_over_the_cap_is_413_under_wsgi(client: FlaskClient, published: Path,
                                                     kelisim: Kelisim) -> None:
    manifest = payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)
    token = client.post(f"/v1/apps/{APP}/installs").get_json()["token"]
    cur = manifest["current"]
    body = json.dumps({"records": [record(
        manifest, purposes={p["id"]: True for p in cur["purposes"]})]}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "Transfer-Encoding": "chunked"}
    over = body + b" " * 8192
    # As a WSGI server passes a chunked body: a stream to its end, no length.
    terminated = {"wsgi.input_terminated": True}
    resp = client.post(f"/v1/apps/{APP}/consents", input_stream=io.BytesIO(over),
                       headers=headers, environ_overrides=terminated)
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too_large"
    from server.models import ConsentRecord

    with kelisim.db.session(readonly=True) as s:
        assert s.query(ConsentRecord).count() == 0
    resp = client.post(f"/v1/apps/{APP}/consents", input_stream=io.BytesIO(body),
                       headers=headers, environ_overrides=terminated)
    assert resp.status_code == 200, resp.get_json()


# -- files and what strangers learn --------------------------------------------------------
def test_database_file_is_private_in_a_private_folder(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True})
    k: Kelisim = app.extensions["kelisim"]
    k.db.upgrade()  # writes, so the WAL file exists too
    try:
        assert stat.S_IMODE(instance.stat().st_mode) == 0o700
        for name in ("kelisim.db", "kelisim.db-wal", "secret_key"):
            assert stat.S_IMODE((instance / name).stat().st_mode) == 0o600, name
    finally:
        k.db.dispose()


def test_existing_database_file_is_made_private(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "kelisim.db").touch()
    os.chmod(instance / "kelisim.db", 0o644)
    app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True})
    k: Kelisim = app.extensions["kelisim"]
    k.db.upgrade()
    try:
        assert stat.S_IMODE((instance / "kelisim.db").stat().st_mode) == 0o600
    finally:
        k.db.dispose()


def test_secret_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    secret = instance / "secret_key"
    secret.write_text("0" * 64)
    os.chmod(secret, 0o644)
    with pytest.raises(ConfigError, match=r"secret_key: .*0o644.*chmod 600"):
        create_app({"INSTANCE_PATH": str(instance), "TESTING": True})


def test_health_with_the_database_down_names_no_host(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql+psycopg://kelisim@127.0.0.1:{port}/consentvault"
    # A secret given: a new node does not make its own while it cannot see the database.
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": url,
                      "TESTING": True, "SECRET_KEY": "s" * 40})
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "unavailable", "database": "unavailable"}
    for secret in ("127.0.0.1", str(port), "consentvault", "kelisim"):
        assert secret not in resp.get_data(as_text=True)


def test_receipt_key_readable_by_others_gives_503(client: FlaskClient, published: Path,
                                                  kelisim: Kelisim) -> None:
    manifest = payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)
    for key in kelisim.keys_dir.glob("receipt-*.pem"):
        os.chmod(key, 0o644)
    token = client.post(f"/v1/apps/{APP}/installs").get_json()["token"]
    cur = manifest["current"]
    rec = record(manifest, purposes={p["id"]: True for p in cur["purposes"]})
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": [rec]},
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 503, resp.get_json()
    assert resp.get_json()["error"]["code"] == "unavailable"
    assert resp.headers["Retry-After"] == "30"  # another node may answer meanwhile


# -- configuration of the new keys ---------------------------------------------------------
@pytest.mark.parametrize("env,message", [
    ({"KELISIM_WORKER_THREADS": "0"}, "KELISIM_WORKER_THREADS: must be more than 0"),
    ({"KELISIM_BODY_READ_TIMEOUT": "nan"}, "KELISIM_BODY_READ_TIMEOUT: must be a finite"),
    ({"KELISIM_BODY_READ_TIMEOUT": "0"}, "KELISIM_BODY_READ_TIMEOUT: must be more than 0"),
    ({"KELISIM_TRUSTED_PROXIES": "-1"}, "KELISIM_TRUSTED_PROXIES: must not be negative"),
    ({"KELISIM_TRUSTED_PROXIES": "yes"}, "KELISIM_TRUSTED_PROXIES: 'yes' is not an integer"),
])
def test_bad_serving_keys(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config({"INSTANCE_PATH": str(tmp_path)}, environ=env)


def test_serving_defaults(tmp_path: Path) -> None:
    cfg = load_config({"INSTANCE_PATH": str(tmp_path)}, environ={})
    assert cfg["BODY_READ_TIMEOUT"] == 10.0 and cfg["WORKER_THREADS"] == 32
    assert cfg["TRUSTED_PROXIES"] == 0
