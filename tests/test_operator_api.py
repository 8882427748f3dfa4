"""The operator API against a real server (`kelisim serve`) and the real CLI, on SQLite and
PostgreSQL: an SDK client accepts and files requests; the operator's backend reads the
install's current consent and the requests with API keys, and answers a request as the
console does (the app reads the answer back). Keys are scoped, bound to their app,
refused once revoked or rotated, and rate-limited each on its own; bad input is named; the
server logs no error (livesrv.running fails on a traceback).

The CLI commands run in this process (the ``cli`` fixture, on the server's instance and
database): a `kelisim` process each cost ~1 s of CPU to start, 11 of them per database."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from builders import DEMO, server_env
from client_sdk import ConsentClient
from livesrv import free_port, running

pytestmark = pytest.mark.slow
APP = "jana-courier"
OTHER = "other-courier"
LIMIT = 40  # RATE_LIMIT_API_KEY per minute in these servers
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _setup(tmp_path: Path, config: dict[str, Any], cli: Any) -> dict[str, Any]:
    """The demo instance and a second app, by the CLI in this process; ``env``: the
    server's environment on the same instance and database."""
    env = server_env(config["INSTANCE_PATH"], config["DATABASE_URL"], RATE_LIMIT_IP="off",
                     RATE_LIMIT_INSTALL="off", RATE_LIMIT_API_KEY=f"{LIMIT}/minute")
    cli("demo-setup")
    other = tmp_path / "policy" / OTHER
    shutil.copytree(DEMO, other)
    toml = other / "app.toml"
    toml.write_text(toml.read_text().replace(f'id = "{APP}"', f'id = "{OTHER}"'))
    cli("apps", "create", str(other))
    static = tmp_path / "static"
    cli("export-static", str(static))
    return {"env": env, "root": (static / "v1/root/1.json").read_bytes(),
            "manifest": (static / f"v1/apps/{APP}/manifest.json").read_bytes()}


def _key(cli: Any, app: str, *scopes: str) -> tuple[str, dict[str, str]]:
    key = cli("api-keys", "create", app, "--name", f"backend {len(scopes)}",
              *[a for s in scopes for a in ("--scope", s)]).stdout.strip()
    return key.split("_")[2], {"Authorization": f"Bearer {key}"}


def _error(resp: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, (resp.status_code, resp.text)
    body = resp.json()["error"]
    assert body["code"] == code and set(body) == {"code", "message", "details"}, body
    return dict(body)


def test_keys_read_consent_and_answer_requests(tmp_path: Path, database_url: str,
                                               config: dict[str, Any], cli: Any) -> None:
    srv = _setup(tmp_path, config, cli)
    env = srv["env"]
    read_id, reader = _key(cli, APP, "consent:read")
    desk_id, desk = _key(cli, APP, "requests:read", "requests:write")
    _, other = _key(cli, OTHER, "consent:read", "requests:read", "requests:write")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/v1/apps/{APP}/operator"
    client = ConsentClient(base, APP, srv["root"], tmp_path / "app",
                           bundled_manifest=srv["manifest"])
    client.accept(age_confirmed=True)
    access = client.request("access")
    blocking = client.request("blocking", "Until my complaint is settled")
    with running(env, port, workers=1) as _:
        assert client.sync().ok
        [install] = {line.split('"install_id": "')[1][:36] for line in
                     cli("consents", "export", APP).stdout.splitlines()}
        # The current consent of the install, with a consent:read key.
        resp = requests.get(f"{api}/installs/{install}/consent", headers=reader, timeout=10)
        assert resp.status_code == 200, resp.text
        state = resp.json()
        decision = client.decide()
        assert decision.version is not None
        assert state["state"] == "granted" and state["stands"] is True
        assert set(state["granted"]) == set(decision.granted) != set()
        assert state["from_install"] == state["install_id"] == install
        assert (state["version"], state["label"]) == (decision.version.version,
                                                      decision.version.label)
        assert state["in_force"]["version"] == decision.version.version
        assert state["decided_at"] and state["record_id"]
        _error(requests.get(f"{api}/installs/{UNKNOWN}/consent", headers=reader,
                            timeout=10), 404, "not_found")
        _error(requests.get(f"{api}/installs/not-a-uuid/consent", headers=reader,
                            timeout=10), 404, "not_found")
        # Scopes: a consent:read key can neither list nor resolve requests.
        denied = _error(requests.get(f"{api}/requests", headers=reader, timeout=10), 403,
                        "insufficient_scope")
        assert denied["details"]["scope"] == "requests:read"
        _error(requests.post(f"{api}/requests/{access.id}/resolve", headers=reader,
                             json={"note": "done"}, timeout=10), 403, "insufficient_scope")
        _error(requests.get(f"{api}/installs/{install}/consent", headers=desk, timeout=10),
               403, "insufficient_scope")
        # The requests, with filters; bad filters named.
        listed = requests.get(f"{api}/requests", headers=desk, timeout=10).json()["requests"]
        assert {(r["id"], r["kind"], r["status"], r["install_id"]) for r in listed} == {
            (access.id, "access", "open", install), (blocking.id, "blocking", "open", install)}
        only = requests.get(f"{api}/requests", params={"kind": "blocking"}, headers=desk,
                            timeout=10).json()["requests"]
        assert [(r["id"], r["note"]) for r in only] == [(blocking.id,
                                                         "Until my complaint is settled")]
        assert requests.get(f"{api}/requests", params={"install_id": UNKNOWN}, headers=desk,
                            timeout=10).json() == {"requests": []}
        for name, value in [("status", "closed"), ("kind", "erasure"), ("limit", "0"),
                            ("install_id", "nope")]:
            bad = _error(requests.get(f"{api}/requests", params={name: value}, headers=desk,
                                      timeout=10), 422, "invalid")
            assert bad["message"].startswith(f"{name}: "), bad
        one = requests.get(f"{api}/requests/{access.id}", headers=desk, timeout=10)
        assert one.status_code == 200 and one.json() == next(r for r in listed
                                                             if r["id"] == access.id)
        _error(requests.get(f"{api}/requests/{UNKNOWN}", headers=desk, timeout=10), 404,
               "not_found")
        # Answering: bad bodies named, nothing changed; then as the console does.
        resolve = f"{api}/requests/{access.id}/resolve"
        for body, field in [({}, "note"), ({"note": ""}, "note"),
                            ({"note": "ok", "extra": 1}, "extra"),
                            ({"note": "sent \u202e"}, "note"), ({"note": 5}, "note")]:
            bad = _error(requests.post(resolve, headers=desk, json=body, timeout=10), 422,
                         "invalid")
            assert bad["message"].startswith(f"{field}: "), (body, bad)
        _error(requests.post(resolve, headers=desk, data="note", timeout=10), 415,
               "unsupported_media_type")
        assert requests.get(f"{api}/requests/{access.id}", headers=desk,
                            timeout=10).json()["status"] == "open"
        done = requests.post(resolve, headers=desk, json={"note": "Sent to your e-mail"},
                             timeout=10)
        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["answer"]) == ("resolved",
                                                                  "Sent to your e-mail")
        _error(requests.post(resolve, headers=desk, json={"note": "again"}, timeout=10),
               409, "conflict")
        refused = requests.post(f"{api}/requests/{blocking.id}/refuse", headers=desk,
                                json={"note": "Kept 5 years by law"}, timeout=10)
        assert refused.json()["status"] == "refused"
        assert requests.get(f"{api}/requests", params={"status": "resolved"}, headers=desk,
                            timeout=10).json()["requests"][0]["id"] == access.id
        # The app reads both answers back, as after the console; a withdrawal there is
        # what the backend reads next.
        client.withdraw()
        assert client.sync().ok
        state = requests.get(f"{api}/installs/{install}/consent", headers=reader,
                             timeout=10).json()
        assert (state["state"], state["granted"], state["stands"]) == ("withdrawn", [],
                                                                       False)
        assert state["from_install"] == install
        assert state["record_id"] != resp.json()["record_id"]
        assert {r.id: (r.status, r.answer) for r in client.requests()} == {
            access.id: ("resolved", "Sent to your e-mail"),
            blocking.id: ("refused", "Kept 5 years by law")}
        # Wrong keys: none, not a key, another app's (both ways).
        _error(requests.get(f"{api}/requests", timeout=10), 401, "unauthorized")
        _error(requests.get(f"{api}/requests", headers={"Authorization": "Bearer kls_x"},
                            timeout=10), 401, "invalid_key")
        _error(requests.get(f"{api}/requests", headers=other, timeout=10), 403, "forbidden")
        _error(requests.get(f"{base}/v1/apps/{OTHER}/operator/requests", headers=desk,
                            timeout=10), 403, "forbidden")
        assert requests.get(f"{base}/v1/apps/{OTHER}/operator/requests", headers=other,
                            timeout=10).json() == {"requests": []}
        # Rotated: the old key refused, the new one works. Revoked: refused.
        new = cli("api-keys", "rotate", APP, desk_id).stdout.strip()
        _error(requests.get(f"{api}/requests", headers=desk, timeout=10), 401,
               "key_revoked")
        assert requests.get(f"{api}/requests", timeout=10, headers={
            "Authorization": f"Bearer {new}"}).status_code == 200
        cli("api-keys", "revoke", APP, read_id)
        _error(requests.get(f"{api}/installs/{install}/consent", headers=reader,
                            timeout=10), 401, "key_revoked")
        _rate_limited(cli, f"{api}/requests")
    client.close()
    # Each answer is in the admin audit log under the key that gave it; each key's last
    # use is listed.
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            logged = conn.execute(sa.text(
                "SELECT actor, action, target FROM admin_events WHERE action LIKE "
                "'request.%' ORDER BY id")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in logged] == [
        (f"api:{desk_id}", "request.resolve", f"{APP}/{access.id}"),
        (f"api:{desk_id}", "request.refuse", f"{APP}/{blocking.id}")]
    used = {line.split("\t")[0]: line.split("\t")[6]
            for line in cli("api-keys", "list", APP).stdout.splitlines()[1:]}
    assert all(used[k] for k in (read_id, desk_id, new.split("_")[2])), used


def _rate_limited(cli: Any, url: str) -> None:
    """Every use of a key counts against its own limit: 429 with Retry-After."""
    _, first = _key(cli, APP, "requests:read")
    _, second = _key(cli, APP, "consent:read")
    with requests.Session() as session:
        # Within one minute the fixed window turns at most once: by 2 * LIMIT + 1
        # requests the limit was passed in one window.
        statuses = []
        for _ in range(2 * LIMIT + 1):
            resp = session.get(url, headers=first, timeout=10)
            statuses.append(resp.status_code)
            if resp.status_code == 429:
                break
        assert statuses[-1] == 429 and set(statuses[:-1]) == {200}, statuses
        body = _error(resp, 429, "rate_limited")
        assert 1 <= int(resp.headers["Retry-After"]) <= 60
        assert body["details"]["retry_after"] == int(resp.headers["Retry-After"])
        # Another key has its own count (refused here for its scope, checked after the
        # count: every use counts).
        _error(session.get(url, headers=second, timeout=10), 403, "insufficient_scope")
