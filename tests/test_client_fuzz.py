"""refresh() and sync() never raise: arbitrary bytes and JSON for every answer the SDK parses.

Each example starts from a client with verified state, serves one hostile answer, and checks
that only a ConsentError comes back (in the result) and that nothing trusted changed: the
root, the manifest, the stored meta, no record synced without a valid receipt, no install
credentials that do not fit their grammar.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client_sdk import ConsentClient, ConsentError
from client_sdk._internal.store import Store
from client_sdk.protocol.grammar import is_token, is_uuid
from client_sdk.transport import Request, Response
from simulator import BASE, MANIFEST_TYPE, NOW, ROOT_TYPE, Simulator, canonical, envelope
from syncsim import SyncServer

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)

# Bodies: raw bytes, JSON of any shape, and the two number attacks of the issue.
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.just(b'{"a": 1' + b"0" * 5000 + b"}"),
    st.just(b"1" + b"0" * 5000),
    st.just(b'{"install_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "token": "a\\r\\nb"}'),
)
statuses = st.sampled_from([200, 201, 204, 304, 400, 401, 404, 409, 413, 418, 422, 429, 500])


def fresh(sim: Simulator, tmp: str) -> ConsentClient:
    client = ConsentClient(BASE, sim.app, sim.roots[0], Path(tmp), transport=sim,
                           clock=lambda: NOW)
    assert client.refresh().ok
    return client


def snapshot(client: ConsentClient) -> tuple[Any, ...]:
    # Not the ETag: a 304 may legitimately name a new one; it is no trust state.
    meta = client.store.get_metas(("root", "manifest"))
    m = client._trust.manifest
    return (client.root_version, m.raw if m else None, meta)


def serve(sim: Simulator, path: str, status: int, body: bytes) -> None:
    plain = sim.request

    def hostile(method: str, url: str, **kw: Any) -> Response:
        if url == BASE + path:
            return Response(status, body, {"etag": '"x"'})
        return plain(method, url, **kw)

    sim.request = hostile  # type: ignore[method-assign]


@SETTINGS
@given(st.sampled_from(["/v1/root/2.json", "/v1/apps/demo/manifest.json", "document"]),
       statuses, bodies)
def test_refresh_never_raises_on_any_answer(path: str, status: int, body: bytes) -> None:
    sim = Simulator()
    with tempfile.TemporaryDirectory() as tmp:
        client = fresh(sim, tmp)
        before = snapshot(client)
        if path == "document":
            # A new manifest whose kk document the client does not have yet.
            new = "# Жаңа саясат\n".encode()
            sha = hashlib.sha256(new).hexdigest()
            sim.manifest_payload["current"]["locales"]["kk"].update(
                sha256=sha, length=len(new), url=f"/v1/documents/{sha}")
            sim.publish()
            path = f"/v1/documents/{sha}"
        serve(sim, path, status, body)
        result = client.refresh()
        # A 404 for root 2 or a 304 for the manifest are honest answers: nothing is new.
        assert result.ok or isinstance(result.error, ConsentError)
        assert snapshot(client) == before
        client.close()


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*prefix, i))
    return out


def mutate(payload: dict[str, Any], where: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(payload)
    target = out
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    return out


@SETTINGS
@given(st.data(), json_values)
def test_signed_manifests_with_any_field_changed(data: st.DataObject, value: Any) -> None:
    # Signed by the right key, so every field check of the model is reached.
    sim = Simulator()
    with tempfile.TemporaryDirectory() as tmp:
        client = fresh(sim, tmp)
        before = snapshot(client)
        sim.seq += 1
        sim.manifest_payload["seq"] = sim.seq
        where = data.draw(st.sampled_from(paths(sim.manifest_payload)[1:]))
        payload = mutate(sim.manifest_payload, where, value)
        sim.files[f"/v1/apps/{sim.app}/manifest.json"] = envelope(
            canonical(payload), MANIFEST_TYPE, sim.manifest_keys)
        result = client.refresh()
        if not result.ok:
            assert isinstance(result.error, ConsentError)
            assert snapshot(client) == before
        client.decide()
        client.close()


@SETTINGS
@given(st.data(), json_values)
def test_signed_roots_with_any_field_changed(data: st.DataObject, value: Any) -> None:
    sim = Simulator()
    with tempfile.TemporaryDirectory() as tmp:
        client = fresh(sim, tmp)
        before = snapshot(client)
        root = sim.root_payload(2)
        where = data.draw(st.sampled_from(paths(root)[1:]))
        sim.roots.append(envelope(canonical(mutate(root, where, value)), ROOT_TYPE,
                                  sim.root_keys))
        result = client.refresh()
        if not result.ok:
            assert isinstance(result.error, ConsentError)
            assert snapshot(client) == before
        client.close()


ENDPOINTS = ["/installs", "/token", "/consents", "/requests"]


@SETTINGS
@given(st.sampled_from(ENDPOINTS), statuses, bodies)
def test_sync_never_raises_on_any_answer(endpoint: str, status: int, body: bytes) -> None:
    check_sync(endpoint, lambda req: Response(status, body))


consents_answers = st.fixed_dictionaries(
    {}, optional={"stored": json_values, "receipts": st.lists(
        st.one_of(st.text(max_size=50), json_values), max_size=3),
        "records": st.lists(st.one_of(json_values, st.fixed_dictionaries(
            {"id": st.text(max_size=40), "receipt": json_values})), max_size=3),
        "receipt": st.one_of(st.text(max_size=50), json_values)})


@SETTINGS
@given(st.sampled_from(["/consents", "/requests"]), consents_answers)
def test_sync_with_answers_of_the_right_shape(endpoint: str, doc: dict[str, Any]) -> None:
    check_sync(endpoint, lambda req: Response(200 if endpoint == "/consents" else 201,
                                              json.dumps(doc).encode()))


def check_sync(endpoint: str, hostile: Callable[[Request], Response]) -> None:
    sim = Simulator()
    server = SyncServer(sim)
    with tempfile.TemporaryDirectory() as tmp:
        client = fresh(sim, tmp)
        client.accept()
        client.sync()  # registered, one record synced
        if endpoint == "/token":
            server.expire_all()
        if endpoint == "/installs":
            client.store.put_meta({"install_id": None, "install_token": None})
        client.withdraw()
        client.request_deletion()
        server.override = lambda req: hostile(req) if req.url.endswith(endpoint) else None
        result = client.sync()
        assert result.error is None or isinstance(result.error, ConsentError)
        history = client.history()
        assert history[0].status == "synced"
        hostile_actions = {"/consents": "withdraw", "/requests": "deletion_request",
                           "/installs": None, "/token": None}
        for rec in history[1:]:
            # A hostile answer can refuse a record (it is then set aside) but never confirm
            # one: a synced record holds a receipt the honest server signed, byte for byte.
            if rec.status == "synced":
                assert rec.receipt is not None and rec.receipt.decode() in server.issued
                assert rec.action != hostile_actions[endpoint]
                assert endpoint != "/installs"
        store = Store(Path(tmp))
        meta = store.get_metas(("install_id", "install_token"))
        store.close()
        assert "install_id" not in meta or is_uuid(meta["install_id"].decode())
        assert "install_token" not in meta or is_token(meta["install_token"].decode())
        client.close()
