"""The public read endpoints through Flask's test client (the fast path included)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from helpers import MANIFEST_TYPE, verified_root, verify

MANIFEST = "/v1/apps/jana-courier/manifest.json"


def _root(client: FlaskClient) -> dict:
    resp = client.get("/v1/root.json")
    assert resp.status_code == 200
    return verified_root(resp.data)


def test_manifest_is_signed_by_the_roots_manifest_key(client: FlaskClient,
                                                      published: Path) -> None:
    resp = client.get(MANIFEST)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["Cache-Control"] == "public, max-age=60"
    manifest = verify(resp.data, _root(client), "manifest", MANIFEST_TYPE)
    assert manifest["app"] == "jana-courier" and manifest["seq"] == 1
    assert manifest["upcoming"] is None and manifest["history"] == []


def test_documents_match_the_manifest(client: FlaskClient, published: Path) -> None:
    manifest = verify(client.get(MANIFEST).data, _root(client), "manifest", MANIFEST_TYPE)
    locales = manifest["current"]["locales"]
    assert sorted(locales) == ["en", "kk", "ru"]
    for tag, doc in locales.items():
        resp = client.get(doc["url"])
        assert resp.status_code == 200
        assert resp.headers["Content-Type"] == "text/markdown; charset=utf-8"
        assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert len(resp.data) == doc["length"]
        assert hashlib.sha256(resp.data).hexdigest() == doc["sha256"]
        assert resp.data == (published / "1.0" / f"{tag}.md").read_bytes()
    assert locales["kk"]["title"] == "Jana Courier құпиялылық саясаты"


@pytest.mark.parametrize("path", ["/v1/root.json", "/v1/root/1.json", MANIFEST])
def test_etag_304_and_head(client: FlaskClient, published: Path, path: str) -> None:
    first = client.get(path)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get(path, headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": "*"}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head(path)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(first.data))


def test_new_publish_changes_etag(client: FlaskClient, cli, published: Path) -> None:
    etag = client.get(MANIFEST).headers["ETag"]
    cli("publish", str(published / "2.0"))
    resp = client.get(MANIFEST, headers={"If-None-Match": etag})
    assert resp.status_code == 200 and resp.headers["ETag"] != etag


@pytest.mark.parametrize("path,message", [
    ("/v1/apps/nosuch/manifest.json", "app 'nosuch' not found"),
    ("/v1/apps/UPPER/manifest.json", "not found"),
    ("/v1/documents/" + "0" * 64, "not found"),
    ("/v1/documents/xyz", "not found"),
    ("/v1/root/99.json", "root version 99 not found"),
    ("/v1/root/0.json", "not found"),
    ("/v1/nothing", "not found"),
])
def test_unknown_things_are_json_404(client: FlaskClient, published: Path, path: str,
                                     message: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 404
    body = resp.get_json()
    assert body["error"]["code"] == "not_found"
    assert message in body["error"]["message"]


def test_wrong_method_is_json_405(client: FlaskClient, published: Path) -> None:
    resp = client.post(MANIFEST, data=b"{}")
    assert resp.status_code == 405
    assert resp.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in resp.headers["Allow"]


def test_before_keys_init_root_is_404_and_health_503(client: FlaskClient) -> None:
    assert client.get("/v1/root.json").status_code == 404
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["root"].startswith("missing")


def test_healthz_and_openapi(client: FlaskClient, published: Path) -> None:
    assert client.get("/healthz").get_json()["status"] == "ok"
    spec = client.get("/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/v1/apps/{app_id}/manifest.json" in spec["paths"]


@pytest.mark.parametrize("path", [
    "/v1/apps/%00/manifest.json", "/v1/apps/" + "a" * 5000 + "/manifest.json",
    "/v1/documents/" + "f" * 65, "/v1/root/99999999999999999999.json",
    "/v1/apps/../../etc/passwd", "/v1/root/-1.json", "/v1/apps/x%2Fy/manifest.json",
])
def test_odd_paths_never_500(client: FlaskClient, published: Path, path: str) -> None:
    resp = client.get(path)
    assert 400 <= resp.status_code < 500
    assert resp.get_json()["error"]["code"]
