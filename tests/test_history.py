"""GET /v1/apps/<app>/installs/<id>/consents: bounded pages, each receipt once, a cursor
that walks the whole history exactly once. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from builders import APP, record
from helpers import payload_of, verified_root, verify
from server.consent import history

RECEIPT_TYPE = "application/vnd.kelisim.receipt+json"


pytestmark = pytest.mark.rate_limits_off


def _record(m: dict[str, Any]) -> dict[str, Any]:
    return record(m, evidence={"scrolled_to_end": True, "seconds_on_screen": 12})


def _history(client: FlaskClient, batches: int, singles: int) -> dict[str, Any]:
    m = payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)
    body = client.post(f"/v1/apps/{APP}/installs").get_json()
    auth = {"Authorization": f"Bearer {body['token']}"}
    other = client.post(f"/v1/apps/{APP}/installs").get_json()
    other_auth = {"Authorization": f"Bearer {other['token']}"}
    ids: list[str] = []
    for i in range(batches + singles):
        recs = [_record(m) for _ in range(50 if i < batches else 1)]
        resp = client.post(f"/v1/apps/{APP}/consents", json={"records": recs}, headers=auth)
        assert resp.status_code == 200, resp.get_json()
        ids += [r["id"] for r in recs]
        if i % 100 == 0:
            client.post(f"/v1/apps/{APP}/consents", json={"records": [_record(m)]},
                        headers=other_auth)
    return {"id": body["install_id"], "auth": auth, "ids": ids, "manifest": m}


@pytest.fixture
def loaded(client: FlaskClient, published: Path) -> dict[str, Any]:
    """One install with 2,000 records: 30 batches of 50 and 500 single-record batches
    (the answer of the old endpoint was ~40 MB), and another install's records beside."""
    return _history(client, 30, 500)


@pytest.fixture
def some(client: FlaskClient, published: Path) -> dict[str, Any]:
    return _history(client, 12, 20)


def _get(client: FlaskClient, loaded: dict[str, Any], query: str = "") -> Any:
    return client.get(f"/v1/apps/{APP}/installs/{loaded['id']}/consents{query}",
                      headers=loaded["auth"])


def test_pages_are_bounded_and_walk_the_history_once(client: FlaskClient,
                                                     loaded: dict[str, Any]) -> None:
    root = verified_root(client.get("/v1/root.json").data)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        resp = _get(client, loaded, f"?cursor={cursor}" if cursor else "")
        assert resp.status_code == 200, resp.get_json()
        page = resp.get_json()
        pages += 1
        assert set(page) == {"install_id", "records", "receipts", "deletion_requests",
                             "requests", "next_cursor"}
        assert 1 <= len(page["records"]) <= history.DEFAULT_LIMIT
        assert len(resp.data) <= history.PAGE_BYTES
        # Each receipt once, each one used, each one covering its records.
        assert set(page["receipts"]) == {r["receipt"] for r in page["records"]}
        covered = {}
        for text in page["receipts"].values():
            assert isinstance(text, str)
            receipt = verify(text.encode(), root, "receipt", RECEIPT_TYPE)
            assert receipt["install"] == loaded["id"]
            covered.update({r["id"]: r["chain_hash"] for r in receipt["records"]})
        for r in page["records"]:
            assert covered[r["id"]] == r["chain_hash"]
        seen += [r["id"] for r in page["records"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == loaded["ids"]
    assert pages == len(loaded["ids"]) // history.DEFAULT_LIMIT


def test_limit_and_cursor_arguments(client: FlaskClient, some: dict[str, Any]) -> None:
    page = _get(client, some, "?limit=500").get_json()
    assert len(page["records"]) == 500 and page["next_cursor"]
    nxt = _get(client, some, f"?limit=7&cursor={page['next_cursor']}").get_json()
    assert [r["id"] for r in nxt["records"]] == some["ids"][500:507]
    for bad in ("0", "501", "-1", "ten", "1e2", "%D9%A5", "100%0A", ""):
        resp = _get(client, some, f"?limit={bad}")
        assert resp.status_code == 422, bad
        assert resp.get_json()["error"]["message"].startswith("limit")
    for bad in ("x", "MTIz", page["next_cursor"] + "A", "LTEuMA", "a" * 100):
        resp = _get(client, some, f"?cursor={bad}")
        assert resp.status_code == 422, bad
        assert resp.get_json()["error"]["message"].startswith("cursor")


def test_memory_of_a_page_does_not_grow_with_history(client: FlaskClient,
                                                     loaded: dict[str, Any]) -> None:
    _get(client, loaded)  # warm caches outside the measurement
    tracemalloc.start()
    try:
        resp = _get(client, loaded)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert resp.status_code == 200
    # The whole history with its receipts is ~40 MB; a page is a few hundred kB.
    assert peak < 8 * 1024 * 1024, peak


def test_a_page_stops_at_its_byte_budget(client: FlaskClient, some: dict[str, Any],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "PAGE_BYTES", 40_000)
    page = _get(client, some).get_json()
    # The first receipt covers 50 records (~26 kB): one receipt fits, the next does not.
    assert 1 <= len(page["records"]) <= 50 and len(page["receipts"]) == 1
    assert page["next_cursor"]
    nxt = _get(client, some, f"?cursor={page['next_cursor']}").get_json()
    assert nxt["records"][0]["id"] == some["ids"][len(page["records"])]


def test_deletion_requests_are_paged_too(client: FlaskClient, some: dict[str, Any]) -> None:
    made = []
    for _ in range(3):
        body = {"id": str(uuid.uuid4()), "client_time": some["manifest"]["issued"]}
        resp = client.post(f"/v1/apps/{APP}/deletion-requests", json=body,
                           headers=some["auth"])
        assert resp.status_code == 201
        made.append(body["id"])
    got: list[str] = []
    cursor = None
    while True:
        page = _get(client, some, "?limit=2" + (f"&cursor={cursor}" if cursor else "")
                    ).get_json()
        assert len(page["deletion_requests"]) <= 2
        for d in page["deletion_requests"]:
            assert json.loads(d["receipt"])["payloadType"] == RECEIPT_TYPE
        got += [d["id"] for d in page["deletion_requests"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert got == made
