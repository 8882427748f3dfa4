"""Install tokens: renewal revokes the previous token, a bounded renewal grace after expiry
(injected clock), and secret key rotation. SQLite and PostgreSQL, through the test client."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from builders import APP, record
from helpers import payload_of
from server import create_app

pytestmark = pytest.mark.rate_limits_off

DAY = 24 * 3600


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def config(config: dict[str, Any]) -> dict[str, Any]:
    return {**config, "INSTALL_TOKEN_MAX_AGE": 30 * DAY, "INSTALL_TOKEN_RENEW_GRACE": 7 * DAY}


@pytest.fixture
def clock(app: Flask) -> Clock:
    c = Clock()
    app.extensions["kelisim"].clock = c
    return c


def _manifest(client: FlaskClient) -> dict[str, Any]:
    return payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)


def _record(m: dict[str, Any]) -> dict[str, Any]:
    return record(m, evidence={})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _register(client: FlaskClient) -> tuple[str, str]:
    body = client.post(f"/v1/apps/{APP}/installs").get_json()
    return body["install_id"], body["token"]


def _code(resp: Any) -> tuple[int, str]:
    return resp.status_code, (resp.get_json().get("error") or {}).get("code", "")


def _post(client: FlaskClient, token: str) -> Any:
    # The clock of the test is in 2030: records carry a client time near it.
    m = _manifest(client)
    rec = _record(m)
    clock_now = client.application.extensions["kelisim"].clock()
    rec["client_time"] = clock_now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return client.post(f"/v1/apps/{APP}/consents", json={"records": [rec]},
                       headers=_bearer(token))


def test_renewal_revokes_the_previous_token(client: FlaskClient, published: Path,
                                            clock: Clock) -> None:
    install_id, old = _register(client)
    assert _post(client, old).status_code == 200
    renewed = client.post(f"/v1/apps/{APP}/installs/{install_id}/token", headers=_bearer(old))
    assert renewed.status_code == 200, renewed.get_json()
    new = renewed.get_json()["token"]
    assert renewed.get_json()["install_id"] == install_id and new != old
    # The old token neither writes, nor reads, nor mints another token.
    assert _code(_post(client, old)) == (401, "invalid_token")
    assert _code(client.get(f"/v1/apps/{APP}/installs/{install_id}/consents",
                            headers=_bearer(old))) == (401, "invalid_token")
    assert _code(client.post(f"/v1/apps/{APP}/installs/{install_id}/token",
                             headers=_bearer(old))) == (401, "invalid_token")
    assert _code(client.post(f"/v1/apps/{APP}/deletion-requests", headers=_bearer(old),
                             json={"id": str(uuid.uuid4()),
                                   "client_time": "2030-01-01T00:00:00Z"})) \
        == (401, "invalid_token")
    # The new one does all of it.
    assert _post(client, new).status_code == 200
    history = client.get(f"/v1/apps/{APP}/installs/{install_id}/consents",
                         headers=_bearer(new))
    assert history.status_code == 200 and len(history.get_json()["records"]) == 2


def test_renewal_within_the_grace_window_only(client: FlaskClient, published: Path,
                                              clock: Clock) -> None:
    install_id, token = _register(client)
    clock.now += timedelta(days=30, seconds=1)  # expired
    assert _code(_post(client, token)) == (401, "token_expired")
    clock.now += timedelta(days=6)  # 6 days into the 7-day grace: renewal works
    renewed = client.post(f"/v1/apps/{APP}/installs/{install_id}/token",
                          headers=_bearer(token))
    assert renewed.status_code == 200, renewed.get_json()
    fresh = renewed.get_json()["token"]
    assert _post(client, fresh).status_code == 200
    # A token past its expiry by more than the grace is refused for good.
    clock.now += timedelta(days=30 + 7, seconds=1)
    assert _code(_post(client, fresh)) == (401, "token_expired")
    resp = client.post(f"/v1/apps/{APP}/installs/{install_id}/token", headers=_bearer(fresh))
    assert _code(resp) == (401, "invalid_token")
    assert "register" in resp.get_json()["error"]["message"]


def test_two_renewals_with_one_token_one_wins(client: FlaskClient, published: Path,
                                              clock: Clock) -> None:
    install_id, token = _register(client)
    first = client.post(f"/v1/apps/{APP}/installs/{install_id}/token", headers=_bearer(token))
    second = client.post(f"/v1/apps/{APP}/installs/{install_id}/token", headers=_bearer(token))
    assert first.status_code == 200 and _code(second) == (401, "invalid_token")


def test_secret_key_rotation(config: dict[str, Any], client: FlaskClient, published: Path
                             ) -> None:
    # The fixture app generated a secret into the instance folder; rotate from it.
    old_secret = (Path(config["INSTANCE_PATH"]) / "secret_key").read_text().strip()
    install_id, old_token = _register(client)

    def app_with(keys: list[str]) -> Flask:
        app = create_app({**config, "SECRET_KEY": keys})
        app.extensions["kelisim"].clock = lambda: datetime.now(UTC).replace(microsecond=0)
        return app

    both = app_with([old_secret, "new-secret-" + "x" * 32])
    try:
        c = both.test_client()
        # Verified with the older key, signed with the newest.
        assert _post(c, old_token).status_code == 200
        _, new_token = _register(c)
        assert _post(c, new_token).status_code == 200
    finally:
        both.extensions["kelisim"].db.dispose()
    only_new = app_with(["new-secret-" + "x" * 32])
    try:
        c = only_new.test_client()
        assert _post(c, new_token).status_code == 200
        # Signed by a secret no longer configured: refused for good, renewal too.
        assert _code(_post(c, old_token)) == (401, "invalid_token")
        assert _code(c.post(f"/v1/apps/{APP}/installs/{install_id}/token",
                            headers=_bearer(old_token))) == (401, "invalid_token")
    finally:
        only_new.extensions["kelisim"].db.dispose()


def test_secret_keys_from_the_environment_and_config_file(tmp_path: Path) -> None:
    from server.config import ConfigError, load_config

    cfg = load_config({"INSTANCE_PATH": str(tmp_path)}, {"KELISIM_SECRET_KEY": "old  new\n"})
    assert cfg["SECRET_KEY"] == ["old", "new"]
    (tmp_path / "config.toml").write_text('SECRET_KEY = ["a", "b", "c"]\n')
    assert load_config({"INSTANCE_PATH": str(tmp_path)}, {})["SECRET_KEY"] == ["a", "b", "c"]
    (tmp_path / "config.toml").write_text('SECRET_KEY = ["a", 5]\n')
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"INSTANCE_PATH": str(tmp_path)}, {})
