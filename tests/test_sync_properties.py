"""Property tests on every body endpoint of the sync API (issue 8 item 11): any JSON text
(and any bytes) gets a 2xx or a 4xx JSON answer, and a 4xx stores nothing; on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import uuid
from typing import Any

import hypothesis.strategies as st
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from test_sync_api import APP, config, install, manifest, record
from test_sync_input import counts

from server import Kelisim

_SETTINGS = settings(max_examples=60, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])

# JSON *text*, so that what json.dumps cannot write is generated too: integers of thousands
# of digits, lone surrogates (st.characters includes category Cs), floats, deep nesting.
_strings = st.text(st.characters(codec=None), max_size=20).map(json.dumps)
_scalars = st.one_of(
    st.sampled_from(["null", "true", "false", "0", "-1", "2147483648", "1e3", "1.5"]),
    st.integers().map(str),
    st.integers(4000, 6000).map(lambda n: "1" + "0" * n),
    _strings,
)
json_text = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]"),
    st.lists(st.tuples(_strings, inner), max_size=4).map(
        lambda kv: "{" + ",".join(f"{k}:{v}" for k, v in kv) + "}"),
), max_leaves=12)


# Values near each rule's edge: they reach the checks that random JSON rarely passes.
EDGES = [json.dumps(v) for v in [
    None, True, 0, 1, 86400, 86401, 2**31 - 1, 2**31, -1, "", "kk", "kk\n", "uz-Cyrl",
    "2025-02-30T00:00:00Z", "2025-11-01T09:30:00Z", "2025-11-01T09:30:00Z\n", "ab" * 32,
    str(uuid.UUID(int=1)), str(uuid.UUID(int=1)) + "\n", "accept", "withdraw",
    ["first_layer", "purposes"], ["purposes", "purposes"], ["full_text"] * 4,
    {"first_layer": 3}, {"first_layer": True}, {"delivery": True}, {"Delivery": True},
    {"name": "A"}, {"name": ""}, {"name": "A", "relation": "x" * 101}, [], {},
]]


def _object(fields: dict[str, str]) -> str:
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in fields.items()) + "}"


@st.composite
def near_valid(draw: st.DrawFn, valid: dict[str, Any]) -> str:
    """``valid`` as JSON text with some fields dropped, replaced or added."""
    fields = {k: json.dumps(v) for k, v in valid.items()}
    keys = st.lists(st.sampled_from(sorted(valid)), max_size=3, unique=True) if valid else \
        st.just([])
    for key in draw(keys):
        action = draw(st.sampled_from(["drop", "replace", "replace"]))
        if action == "drop":
            del fields[key]
        else:
            fields[key] = draw(st.one_of(json_text, st.sampled_from(
                EDGES + [json.dumps(v) for v in valid.values()])))
    if draw(st.booleans()) and draw(st.booleans()):
        fields[draw(st.text(max_size=8))] = draw(json_text)
    return _object(fields)


def bodies(valid: dict[str, Any] | None) -> st.SearchStrategy[bytes]:
    options = [json_text.map(str.encode), st.binary(max_size=200)]
    if valid is not None:
        options.append(near_valid(valid).map(str.encode))
    return st.one_of(*options)


__all__ = ["config", "manifest"]  # fixtures, from test_sync_api


def check(client: FlaskClient, kelisim: Kelisim, path: str, body: bytes,
          headers: dict[str, str], ok: int) -> int:
    before = counts(kelisim)
    resp = client.post(path, data=body, headers=headers, content_type="application/json")
    assert resp.status_code == ok or 400 <= resp.status_code < 500, \
        (path, body[:300], resp.status_code, resp.get_data()[:300])
    answer = resp.get_json()
    assert isinstance(answer, dict), resp.get_data()[:300]
    if resp.status_code >= 400:
        assert set(answer["error"]) == {"code", "message", "details"}
        assert counts(kelisim) == before, (path, body[:300], answer)
    return resp.status_code


def test_installs_any_body(client: FlaskClient, manifest: dict[str, Any],
                           kelisim: Kelisim) -> None:
    @_SETTINGS
    @given(body=bodies({}))
    def run(body: bytes) -> None:
        check(client, kelisim, f"/v1/apps/{APP}/installs", body, {}, 201)

    run()


def test_token_renewal_any_body(client: FlaskClient, manifest: dict[str, Any],
                                kelisim: Kelisim) -> None:
    @_SETTINGS
    @given(body=bodies({}))
    def run(body: bytes) -> None:
        install_id, auth = install(client)
        check(client, kelisim, f"/v1/apps/{APP}/installs/{install_id}/token", body, auth, 200)

    run()


def test_consents_any_body(client: FlaskClient, manifest: dict[str, Any],
                           kelisim: Kelisim) -> None:
    _, auth = install(client)
    statuses: set[int] = set()

    one_record = st.uuids().flatmap(lambda u: near_valid(record(manifest, id=str(u))))

    @_SETTINGS
    @given(body=st.one_of(bodies({"records": [record(manifest)]}),
                          one_record.map(lambda r: ('{"records":[' + r + "]}").encode())))
    def run(body: bytes) -> None:
        statuses.add(check(client, kelisim, f"/v1/apps/{APP}/consents", body, auth, 200))

    run()
    assert 422 in statuses and 400 in statuses, statuses


def test_deletion_requests_any_body(client: FlaskClient, manifest: dict[str, Any],
                                    kelisim: Kelisim) -> None:
    _, auth = install(client)

    @_SETTINGS
    @given(body=bodies({"id": str(uuid.uuid4()), "client_time": manifest["issued"]}))
    def run(body: bytes) -> None:
        check(client, kelisim, f"/v1/apps/{APP}/deletion-requests", body, auth, 201)

    run()
