"""The SDK pieces the server shares: strict JSON, envelopes, models, public names."""

from __future__ import annotations

import base64
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import client_sdk
from client_sdk.errors import ConsentError, FormatError, RepositoryError, SignatureError
from client_sdk.protocol.envelope import PAYLOAD_ROOT, keyid_of, parse_envelope, verify_threshold
from client_sdk.protocol.jsonutil import canonical_bytes, loads_strict
from client_sdk.protocol.model import Root


def test_exported_members() -> None:
    exported = set(client_sdk.__all__)
    # Submodules appear as attributes once anything imported them; they are not exports.
    public = {name for name in dir(client_sdk) if not name.startswith("_")
              and not inspect.ismodule(getattr(client_sdk, name)) and name != "annotations"}
    assert exported == public


@pytest.mark.slow
def test_sdk_imports_neither_flask_nor_server() -> None:
    code = ("import sys, client_sdk, client_sdk.protocol.model, client_sdk.protocol.envelope;"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'server', 'kivy',"
            " 'sqlalchemy')]; print(bad); sys.exit(1 if bad else 0)")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("data,message", [
    (b'{"a": 1, "a": 2}', "duplicate JSON key 'a'"),
    (b'{"a": 1.5}', "number 1.5 is not an integer"),
    (b'{"a": NaN}', "non-finite number NaN"),
    (b"\xff", "is not UTF-8"),
    (b"{", "is not valid JSON"),
    (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
])
def test_strict_json(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        loads_strict(data)


def test_canonical_bytes_sorts_and_normalises() -> None:
    # "e" + COMBINING ACUTE is composed to "é" (NFC), in keys and values alike.
    assert canonical_bytes({"b": 1, "e\u0301": "e\u0301"}) == '{"b":1,"é":"é"}'.encode()


def _env(**kw: object) -> bytes:
    doc = {"payload": base64.b64encode(b"{}").decode(), "payloadType": PAYLOAD_ROOT,
           "signatures": [{"keyid": "k", "sig": base64.b64encode(b"s").decode()}]}
    doc.update(kw)
    return json.dumps(doc).encode()


@pytest.mark.parametrize("data,message", [
    (_env(payloadType="text/plain"), "expected payloadType"),
    (_env(extra=1), "unknown envelope field"),
    (_env(payload="***"), "payload: is not valid base64"),
    (_env(signatures=[]), "signatures: must be a non-empty list"),
    (_env(signatures=[{"keyid": "k"}]), "signatures\\[0\\]: must be an object"),
    (b"[]", "envelope must be a JSON object"),
])
def test_envelope_structure(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_envelope(data, PAYLOAD_ROOT)


def test_signature_error_is_a_repository_error() -> None:
    env = parse_envelope(_env(), PAYLOAD_ROOT)
    with pytest.raises(SignatureError, match="0 valid signature\\(s\\) of 1 needed") as exc:
        verify_threshold(env, {}, ["k"], 1, role="root")
    assert isinstance(exc.value, RepositoryError) and isinstance(exc.value, ConsentError)


def test_root_model_names_the_bad_field() -> None:
    public = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": "ab" * 32}}
    kid = keyid_of(public)
    good = {"_type": "root", "spec_version": 1, "version": 1, "expires": "2030-01-01T00:00:00Z",
            "keys": {kid: public},
            "roles": {r: {"keyids": [kid], "threshold": 1} for r in ("root", "manifest",
                                                                       "receipt")}}
    assert Root.from_payload(good).version == 1
    with pytest.raises(FormatError, match=r"roles\.manifest\.threshold: is larger than"):
        Root.from_payload({**good, "roles": {**good["roles"],
                                             "manifest": {"keyids": [kid], "threshold": 2}}})
    with pytest.raises(FormatError, match="does not match the key"):
        Root.from_payload({**good, "keys": {"0" * 64: public}, "roles": {
            r: {"keyids": ["0" * 64], "threshold": 1} for r in ("root", "manifest", "receipt")}})
    with pytest.raises(FormatError, match=r"expires: .* is not an RFC 3339 UTC time"):
        Root.from_payload({**good, "expires": "2030-01-01"})
    with pytest.raises(FormatError, match="version: must be an integer"):
        Root.from_payload({**good, "version": True})


def test_records_compare_hash_and_print_as_dataclasses_do() -> None:
    import dataclasses

    from client_sdk.decision import Change
    from client_sdk.protocol.model import Role
    from client_sdk.protocol.record import Record, record

    a, b = Role(("k1", "k2"), 2), Role(("k1", "k2"), 2)
    assert a == b and hash(a) == hash(b) and a != Role(("k1",), 1)
    assert repr(a) == "Role(keyids=('k1', 'k2'), threshold=2)"
    assert dataclasses.replace(a, threshold=1) == Role(("k1", "k2"), 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.threshold = 3  # type: ignore[misc]

    @record
    class Twin(Record):  # the same fields as Role, another type: never equal
        keyids: tuple[str, ...]
        threshold: int

    assert Twin(("k1", "k2"), 2) != a and a.__eq__(Twin(("k1", "k2"), 2)) is NotImplemented
    assert Change.__eq__ is Record.__eq__  # shared, not generated per class
    with pytest.raises(TypeError, match="derive from Record"):
        record(type("Plain", (), {}))


def test_a_record_field_is_set_once_by_its_constructor() -> None:
    import copy
    import dataclasses

    from client_sdk.protocol.model import Role

    role = Role(("k1",), 1)
    for attempt in (lambda: setattr(role, "threshold", 2), lambda: setattr(role, "new", 1),
                    lambda: delattr(role, "threshold")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            attempt()
    assert role == Role(("k1",), 1) and not hasattr(role, "new")
    assert copy.copy(role) == role and copy.deepcopy(role) == role
    assert dataclasses.asdict(role) == {"keyids": ("k1",), "threshold": 1}


def test_one_data_dir_for_two_apps_is_refused(tmp_path: Path) -> None:
    """Issue 17 item 23: a second app opened on the first one's folder read its consent
    as its own (the stored manifest was only skipped with a warning)."""
    import sqlite3

    from client_sdk import ConsentClient, WrongAppError
    from simulator import BASE, NOW, Simulator

    first, second = Simulator("courier"), Simulator("shop")
    c = ConsentClient(BASE, "courier", first.roots[0], tmp_path, transport=first,
                      clock=lambda: NOW)
    assert c.refresh().ok
    c.accept()
    c.close()
    before = (tmp_path / "kelisim.db").read_bytes()
    with pytest.raises(WrongAppError, match="store of app 'courier', not 'shop'") as err:
        ConsentClient(BASE, "shop", second.roots[0], tmp_path, transport=second,
                      clock=lambda: NOW)
    assert err.value.url == str(tmp_path / "kelisim.db")
    assert (tmp_path / "kelisim.db").read_bytes() == before
    # A store from before the app id was kept: judged by its manifest's app.
    db = sqlite3.connect(tmp_path / "kelisim.db")
    with db:
        db.execute("DELETE FROM meta WHERE key = 'app_id'")
    db.close()
    with pytest.raises(WrongAppError):
        ConsentClient(BASE, "shop", second.roots[0], tmp_path, transport=second)
    again = ConsentClient(BASE, "courier", first.roots[0], tmp_path, transport=first,
                          clock=lambda: NOW)
    assert again.consent_state().status == "accepted"
    again.close()
