"""Signed-in users on several devices (issue 21 part 2) against a real server (`kelisim
serve`) on SQLite and PostgreSQL: two SDK clients with their own data folders are linked
to one subject with link tokens the operator's backend obtained; what one decides reaches
the other (no prompt after an accept, revoked after a withdrawal, listener told); offline
conflicts resolve by the server's order and the losing device is told; stolen, replayed,
expired and other-app tokens are refused with nothing stored; scopes are enforced."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from test_operator_api import APP, OTHER, _error, _key, _setup

from client_sdk import ConsentClient
from client_sdk.decision import GrantChange, Kind
from client_sdk.errors import FormatError
from client_sdk.protocol.subjects import verify_subject_state
from client_sdk.protocol.timeutil import utcnow
from livesrv import free_port, running

pytestmark = pytest.mark.slow
USER = "courier-42@jana.example"


class Device:
    """One phone: an SDK client with its own data folder, and what its listener heard."""

    def __init__(self, base: str, srv: dict[str, Any], folder: Path,
                 ahead: timedelta = timedelta(0)) -> None:
        self.client = ConsentClient(base, APP, srv["root"], folder,
                                    bundled_manifest=srv["manifest"],
                                    clock=lambda: utcnow() + ahead)
        self.changes: list[GrantChange] = []
        self.client.add_listener(self.changes.append)

    def install(self) -> str:
        raw = self.client.store.get_meta("install_id")
        assert raw is not None
        return raw.decode()

    def token(self) -> str:
        raw = self.client.store.get_meta("install_token")
        assert raw is not None
        return raw.decode()


def _link_token(api: str, headers: dict[str, str], user: str = USER) -> str:
    resp = requests.post(f"{api}/subjects/link-tokens", json={"user_id": user},
                         headers=headers, timeout=10)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) == {"token", "expires"} and body["token"].startswith("kls_link_")
    return str(body["token"])


def _subject(api: str, headers: dict[str, str], user: str = USER) -> dict[str, Any]:
    resp = requests.get(f"{api}/subjects/consent", params={"user_id": user},
                        headers=headers, timeout=10)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _count(url: str, where: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(sa.text(f"SELECT count(*) FROM {where}")).scalar_one())
    finally:
        engine.dispose()


def test_two_devices_share_one_subjects_consent(tmp_path: Path, config: dict[str, Any],
                                                cli: Any) -> None:
    srv = _setup(tmp_path, config, cli)
    env = srv["env"]
    _, linker = _key(cli, APP, "subjects:link")
    _, reader = _key(cli, APP, "consent:read")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/v1/apps/{APP}/operator"
    a = Device(base, srv, tmp_path / "phone-a")
    # B's clock is an hour fast: the server's order, not the devices' clocks, decides.
    b = Device(base, srv, tmp_path / "phone-b", ahead=timedelta(hours=1))
    a.client.accept(["notifications"], age_confirmed=True)
    with running(env, port, workers=1):
        # Phone A: the user accepted, then signed in.
        result = a.client.link_subject(_link_token(api, linker))
        assert result.ok and result.rejected == 0, result
        assert a.client.subject_linked
        # Phone B: a new device; before sign-in it prompts, after it does not.
        assert b.client.decide().kind is Kind.PROMPT
        assert not b.client.is_granted("delivery")
        assert b.client.link_subject(_link_token(api, linker)).ok
        assert b.client.decide().kind is Kind.NONE
        assert b.client.is_granted("delivery") and b.client.is_granted("notifications")
        assert not b.client.is_granted("analytics")
        assert b.changes[-1].granted == {"delivery", "notifications"}
        statement = b.client.subject_state()
        assert statement is not None and statement.from_install == a.install()
        assert statement.state == "granted" and statement.install == b.install()
        state = _subject(api, reader)
        assert state["state"] == "granted" and state["stands"]
        assert state["from_install"] == a.install() and USER not in str(state)
        assert {x["install_id"] for x in state["installs"]} == {a.install(), b.install()}
        # A purpose turned off on A: off on B at its next sync, its listener told.
        a.client.update_purposes({"notifications": False})
        assert a.client.sync().ok
        assert b.client.sync().ok
        assert not b.client.is_granted("notifications") and b.client.is_granted("delivery")
        assert b.changes[-1].revoked == {"notifications"}
        # A withdrawal on A: revoked on B at its next refresh.
        a.client.withdraw()
        assert a.client.sync().ok
        assert b.client.refresh().ok
        assert not b.client.is_granted("delivery")
        assert b.changes[-1].revoked == {"delivery"} and b.changes[-1].cause == "refresh"
        assert b.client.decide().kind is Kind.PROMPT
        # Offline on both: B accepts (its clock says an hour later than A's), A accepts with
        # analytics then withdraws; B reaches the server first, A after: A's withdrawal is
        # the later one in the server's order and stands, and B is told.
        b.client.accept(age_confirmed=True)
        a.client.accept(["analytics"], age_confirmed=True)
        a.client.withdraw()
        assert b.client.sync().ok and b.client.is_granted("delivery")
        assert a.client.sync().ok
        lost = b.client.sync()
        assert lost.ok and lost.superseded == (b.client.history()[-1].id,)
        assert not b.client.is_granted("delivery") and b.changes[-1].revoked == {"delivery"}
        assert _subject(api, reader)["state"] == "withdrawn"
        # B's access export (its history, scope=subject) holds every linked device's records.
        resp = requests.get(f"{base}/v1/apps/{APP}/installs/{b.install()}/consents",
                            params={"scope": "subject", "limit": "500"}, timeout=10,
                            headers={"Authorization": f"Bearer {b.token()}"})
        assert resp.status_code == 200, resp.text
        page = resp.json()["records"]
        assert {r["install_id"] for r in page} == {a.install(), b.install()}
        assert {r.id for r in a.client.history() + b.client.history()} == \
            {r["id"] for r in page}
        # Sign-out on B: the link ends with an unlink record.
        assert b.client.unlink_subject().ok and not b.client.subject_linked
        after = _subject(api, reader)
        assert [x["unlinked_at"] is None for x in after["installs"]] == [True, False]
        assert [r.action for r in b.client.history() if r.action in ("link", "unlink")] == \
            ["link", "unlink"]
        assert all(r.synced for r in b.client.history())
    assert _count(srv["env"]["KELISIM_DATABASE_URL"],
                  "consent_records WHERE action IN ('link', 'unlink')") == 3
    # The backend hears each link and unlink with its subject (docs/webhooks.md).
    engine = sa.create_engine(srv["env"]["KELISIM_DATABASE_URL"])
    try:
        with engine.connect() as c:
            events = [(kind, (json.loads(p) if isinstance(p, str) else p)["data"])
                      for kind, p in c.execute(sa.text(
                "SELECT kind, payload FROM webhook_events WHERE kind LIKE 'subject.%' "
                "ORDER BY seq"))]
    finally:
        engine.dispose()
    subject = after["subject_id"]
    assert [(k, d["install_id"], d["subject_id"]) for k, d in events] == [
        ("subject.linked", a.install(), subject), ("subject.linked", b.install(), subject),
        ("subject.unlinked", b.install(), subject)]


def test_link_tokens_refused_and_scopes_enforced(tmp_path: Path, config: dict[str, Any],
                                                 cli: Any) -> None:
    srv = _setup(tmp_path, config, cli)
    env = srv["env"]
    url = env["KELISIM_DATABASE_URL"]
    linker_id, linker = _key(cli, APP, "subjects:link")
    _, reader = _key(cli, APP, "consent:read")
    _, other = _key(cli, OTHER, "subjects:link")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/v1/apps/{APP}/operator"
    a = Device(base, srv, tmp_path / "phone-a")
    thief = Device(base, srv, tmp_path / "thief")
    with running(env, port, workers=1):
        # Scopes: a consent:read key cannot make tokens, a subjects:link key cannot read;
        # a key of another app is refused here.
        resp = requests.post(f"{api}/subjects/link-tokens", json={"user_id": USER},
                             headers=reader, timeout=10)
        assert _error(resp, 403, "insufficient_scope")["details"]["scope"] == "subjects:link"
        resp = requests.get(f"{api}/subjects/consent", params={"user_id": USER},
                            headers=linker, timeout=10)
        _error(resp, 403, "insufficient_scope")
        resp = requests.post(f"{api}/subjects/link-tokens", json={"user_id": USER},
                             headers=other, timeout=10)
        _error(resp, 403, "forbidden")
        resp = requests.post(f"{api}/subjects/link-tokens", json={"user_id": ""},
                             headers=linker, timeout=10)
        assert "user_id" in str(_error(resp, 422, "invalid")["details"])
        # A used token, replayed by another install: refused, nothing stored.
        token = _link_token(api, linker)
        assert a.client.link_subject(token).ok
        assert thief.client.sync().ok  # registered, nothing to send
        records = _count(url, "consent_records")
        # A's own link record again with a fresh token for another user: not a retry (its
        # token was another) and no new record: refused, A stays linked to USER.
        sent = next(r for r in a.client.history() if r.action == "link").to_json()
        headers_a = {"Authorization": f"Bearer {a.token()}"}
        for _ in range(2):
            resp = requests.post(f"{base}/v1/apps/{APP}/subject-links", timeout=10, json={
                "record": sent, "token": _link_token(api, linker, "someone-else")},
                headers=headers_a)
            _error(resp, 422, "conflict")
        resp = requests.post(f"{base}/v1/apps/{APP}/subject-links", timeout=10,
                             json={"record": sent, "token": token}, headers=headers_a)
        assert resp.status_code == 200, resp.text  # the true retry still answers
        assert _count(url, "consent_records") == records
        assert _count(url, f"install_links WHERE install_id = '{a.install()}'") == 1
        assert [x["install_id"] for x in _subject(api, reader)["installs"]] == [a.install()]
        for stolen, reason in [
                (token, "used"),
                (_link_token(f"{base}/v1/apps/{OTHER}/operator", other), "other_app"),
                ("kls_link_" + "A" * 43, "unknown")]:
            out = thief.client.link_subject(stolen)
            assert out.rejected == 1 and not thief.client.subject_linked, (reason, out)
            assert "link_refused" in str(thief.client.history()[-1].reason)
            fresh = "00000000-0000-4000-8000-00000000000" + str(len(reason))
            body: dict[str, Any] = {
                "record": {**thief.client.history()[-1].to_json(), "id": fresh},
                "token": stolen}
            resp = requests.post(f"{base}/v1/apps/{APP}/subject-links", json=body, timeout=10,
                                 headers={"Authorization": f"Bearer {thief.token()}"})
            assert _error(resp, 422, "link_refused")["details"]["reason"] == reason
        # An expired token (its expiry moved into the past in the database).
        late = _link_token(api, linker)
        engine = sa.create_engine(url)
        with engine.begin() as c:
            c.execute(sa.text("UPDATE link_tokens SET expires_at = '2020-01-01T00:00:00Z' "
                              "WHERE used_at IS NULL"))
        engine.dispose()
        out = thief.client.link_subject(late)
        assert out.rejected == 1 and "expired" in str(thief.client.history()[-1].reason)
        assert _count(url, "consent_records") == records
        assert _count(url, f"install_links WHERE install_id = '{thief.install()}'") == 0
        assert [x["install_id"] for x in _subject(api, reader)["installs"]] == [a.install()]
        # The thief cannot read the subject's state either: it is not linked.
        resp = requests.get(f"{base}/v1/apps/{APP}/installs/{thief.install()}/subject-state",
                            headers={"Authorization": f"Bearer {thief.token()}"}, timeout=10)
        assert resp.status_code == 200 and resp.json() == {"linked": False, "state": None}
        resp = requests.get(f"{base}/v1/apps/{APP}/installs/{thief.install()}/consents",
                            params={"scope": "subject"}, timeout=10,
                            headers={"Authorization": f"Bearer {thief.token()}"})
        _error(resp, 409, "not_linked")
        # The statement A holds verifies with the root's receipt keys, for A only.
        resp = requests.get(f"{base}/v1/apps/{APP}/installs/{a.install()}/subject-state",
                            headers={"Authorization": f"Bearer {a.token()}"}, timeout=10)
        raw = resp.json()["state"].encode()
        root = a.client._trust.root.root
        statement = verify_subject_state(raw, root, app_id=APP, install_id=a.install())
        assert (statement.state, statement.seq) == ("none", 0)  # A decided nothing yet
        with pytest.raises(FormatError, match="another install"):
            verify_subject_state(raw, root, app_id=APP, install_id=thief.install())
        # The operator unlinks the user: an unlink record, told to A at its next sync.
        resp = requests.post(f"{api}/subjects/unlink", json={"user_id": USER,
                                                             "install_id": None},
                             headers=linker, timeout=10)
        assert resp.status_code == 200 and resp.json() == {"unlinked": [a.install()]}
        assert a.client.sync().ok and not a.client.subject_linked
    events = _count(url, f"admin_events WHERE action = 'subject.unlink' AND actor = "
                         f"'api:{linker_id}'")
    assert events == 1


def test_subject_lookup_takes_the_user_id_in_the_body(tmp_path: Path,
                                                      config: dict[str, Any],
                                                      cli: Any) -> None:
    """POST /subjects/lookup answers as GET /subjects/consent (deprecated: the user id in
    the URL reaches access logs and proxies), with the user id in the JSON body."""
    srv = _setup(tmp_path, config, cli)
    _, linker = _key(cli, APP, "subjects:link")
    _, reader = _key(cli, APP, "consent:read")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/v1/apps/{APP}/operator"
    a = Device(base, srv, tmp_path / "phone-a")
    a.client.accept(["notifications"], age_confirmed=True)
    with running(srv["env"], port, workers=1):
        assert a.client.link_subject(_link_token(api, linker)).ok
        resp = requests.post(f"{api}/subjects/lookup", json={"user_id": USER},
                             headers=reader, timeout=10)
        assert resp.status_code == 200, resp.text
        assert resp.json() == _subject(api, reader)
        assert resp.json()["state"] == "granted" and USER not in resp.text
        assert [x["install_id"] for x in resp.json()["installs"]] == [a.install()]
        # A user no install was ever linked to: 404, as the GET answers.
        resp = requests.post(f"{api}/subjects/lookup", json={"user_id": "nobody"},
                             headers=reader, timeout=10)
        _error(resp, 404, "not_found")
        resp = requests.get(f"{api}/subjects/consent", params={"user_id": "nobody"},
                            headers=reader, timeout=10)
        _error(resp, 404, "not_found")
        # The same scope as the GET; the body checked field by field.
        resp = requests.post(f"{api}/subjects/lookup", json={"user_id": USER},
                             headers=linker, timeout=10)
        assert _error(resp, 403, "insufficient_scope")["details"]["scope"] == "consent:read"
        for body in ({}, {"user_id": ""}, {"user_id": 42}, {"user_id": "x" * 257},
                     {"user_id": USER, "extra": 1}):
            resp = requests.post(f"{api}/subjects/lookup", json=body, headers=reader,
                                 timeout=10)
            details = str(_error(resp, 422, "invalid")["details"])
            assert ("extra" if "extra" in body else "user_id") in details, (body, details)
        resp = requests.post(f"{api}/subjects/lookup", json={"user_id": USER}, timeout=10)
        assert resp.status_code == 401
