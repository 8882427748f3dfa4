"""What the real server refuses in a consent sync, over 127.0.0.1 on SQLite and PostgreSQL:
a guardian beside an adult's accept, a record of a manifest seq never published, a token
renewal with a body it would ignore; each refused by name, nothing stored."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from builders import RATE_LIMITS_OFF, record, server_env
from helpers import payload_of
from livesrv import demo_setup, free_port, get, kelisim_here, running

pytestmark = pytest.mark.slow
APP = "jana-courier"


class Live:
    """A running `kelisim serve` and the few calls an app makes to it."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port

    def post(self, path: str, body: bytes | Iterable[bytes] | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", path, body=body, headers=headers or {},
                         encode_chunked=body is not None and not isinstance(body, bytes))
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"null")
        finally:
            conn.close()

    def post_json(self, path: str, value: Any, token: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.post(path, json.dumps(value).encode(), headers)

    def manifest(self) -> dict[str, Any]:
        status, _, body = get(self.port, f"/v1/apps/{APP}/manifest.json")
        assert status == 200
        return payload_of(body)

    def install(self) -> tuple[str, str]:
        status, body = self.post(f"/v1/apps/{APP}/installs")
        assert status == 201, body
        return body["install_id"], body["token"]

    def history(self, install_id: str, token: str) -> tuple[int, Any]:
        status, _, body = get(self.port, f"/v1/apps/{APP}/installs/{install_id}/consents",
                              {"Authorization": f"Bearer {token}"})
        return status, json.loads(body)

    def stored(self) -> set[str]:
        lines = kelisim_here(self.env, "consents", "export", APP).splitlines()
        return {json.loads(line)["record_id"] for line in lines}


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[Live]:
    env = server_env(tmp_path / "instance", database_url, **RATE_LIMITS_OFF)
    demo_setup(env)
    port = free_port()
    with running(env, port):
        yield Live(env, port)


def rejected(body: Any) -> list[tuple[str, str, str]]:
    assert body["error"]["code"] == "rejected", body
    return [(r["id"], r["field"], r["reason"]) for r in body["error"]["details"]["rejected"]]


def test_an_adults_accept_carrying_a_guardian_is_refused(live: Live) -> None:
    m = live.manifest()
    assert m["current"]["min_age"] is not None and m["current"]["guardian_consent"] is False
    _, token = live.install()
    adult = record(m, age_confirmed=True, guardian={"name": "Aigerim", "relation": "mother"})
    plain = record(m)
    status, body = live.post_json(f"/v1/apps/{APP}/consents", {"records": [adult, plain]},
                                  token)
    assert status == 422
    [(rid, field, reason)] = rejected(body)
    assert (rid, field) == (adult["id"], "guardian")
    assert "an adult's accept carries no guardian" in reason
    assert live.stored() == set()  # nothing of the batch
    # The same decision without the guardian is stored, and so is the rest.
    fixed = {**adult, "guardian": None}
    status, body = live.post_json(f"/v1/apps/{APP}/consents", {"records": [fixed, plain]},
                                  token)
    assert status == 200, body
    assert live.stored() == {fixed["id"], plain["id"]}


def test_a_record_of_a_manifest_seq_never_published_is_refused(live: Live) -> None:
    m = live.manifest()
    _, token = live.install()
    ahead = record(m, manifest_seq=m["seq"] + 1)
    far = record(m, manifest_seq=2**31 - 1)
    now = record(m)
    status, body = live.post_json(f"/v1/apps/{APP}/consents", {"records": [now, ahead, far]},
                                  token)
    assert status == 422
    found = rejected(body)
    assert [(rid, field) for rid, field, _ in found] == [(ahead["id"], "manifest_seq"),
                                                          (far["id"], "manifest_seq")]
    assert f"signed manifests up to seq {m['seq']}: manifest seq {m['seq'] + 1} was never " \
        f"published" in found[0][2]
    assert body["error"]["details"]["problems"][0].startswith("records[1].manifest_seq: ")
    assert live.stored() == set()
    # Every worker has seen seq m["seq"] by now; a manifest signed after that is known to
    # each at once (its seq is looked up before a record is refused), not after a cache time.
    for _ in range(4):  # new connections: granian spreads them over both workers
        status, body = live.post_json(f"/v1/apps/{APP}/consents", {"records": [record(m)]},
                                      token)
        assert status == 200, body
    kelisim_here(live.env, "resign", APP, "--force")
    # The manifest a worker serves follows within CACHE_CHECK_INTERVAL (1 s).
    deadline = time.monotonic() + 30
    while live.manifest()["seq"] != m["seq"] + 1:
        assert time.monotonic() < deadline, "the new manifest was never served"
        time.sleep(0.05)
    for _ in range(4):
        status, body = live.post_json(f"/v1/apps/{APP}/consents", {
            "records": [record(m, manifest_seq=m["seq"] + 1)]}, token)
        assert status == 200, body
    status, body = live.post_json(f"/v1/apps/{APP}/consents", {
        "records": [record(m, manifest_seq=m["seq"] + 2)]}, token)
    assert status == 422 and rejected(body)[0][1] == "manifest_seq"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_token_renewal_refuses_a_body_it_would_ignore(live: Live) -> None:
    install_id, token = live.install()
    path = f"/v1/apps/{APP}/installs/{install_id}/token"
    auth = {"Authorization": f"Bearer {token}"}
    json_auth = {**auth, "Content-Type": "application/json"}
    for body, headers, status, field in [
        (b'{"install_id": "x", "generation": 7}', json_auth, 422, "generation"),
        # Chunked: no Content-Length, the body is read all the same.
        (iter([b'{"reason": ', b'"lost"}']), json_auth, 422, "reason"),
        (b"[]", json_auth, 422, "_schema"),
        (b"{", json_auth, 400, None),
        (b"renew please", {**auth, "Content-Type": "text/plain"}, 415, None),
    ]:
        got, answer = live.post(path, body, headers)
        assert got == status, (body, answer)
        if field is not None:
            problems = answer["error"]["details"]["problems"]
            assert any(p.startswith(f"{field}: ") for p in problems), problems
        # Refused: the token sent is still the install's token.
        assert live.history(install_id, token)[0] == 200
    for body, content_type in [(b"{}", "application/json"), (None, None)]:
        headers = {"Authorization": f"Bearer {token}"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        got, answer = live.post(path, body, headers)
        assert got == 200, answer
        assert live.history(install_id, token)[0] == 401  # renewed: the old one is revoked
        token = answer["token"]
