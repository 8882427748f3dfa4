"""Property tests on every body endpoint of the sync API: any JSON text
(and any bytes) gets a 2xx or a 4xx JSON answer, and a 4xx stores nothing; on SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import hypothesis.strategies as st
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from builders import APP, counts, install, json_text, near_valid, record
from server import Kelisim

pytestmark = pytest.mark.rate_limits_off

_SETTINGS = settings(max_examples=60, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])


def bodies(valid: dict[str, Any] | None) -> st.SearchStrategy[bytes]:
    options = [json_text.map(str.encode), st.binary(max_size=200)]
    if valid is not None:
        options.append(near_valid(valid).map(str.encode))
    return st.one_of(*options)


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
