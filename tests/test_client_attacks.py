"""Attacks on the client, against the in-memory repository simulator.

Each test asserts the error and that the trusted state (root, manifest, stored bytes) did
not change.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client_sdk import (
    ConsentClient,
    DocumentMismatchError,
    ExpiredError,
    FormatError,
    Kind,
    NetworkError,
    OversizeError,
    RepositoryError,
    RollbackError,
    SignatureError,
    WrongAppError,
)
from simulator import BASE, NOW, Key, Simulator, canonical, envelope, version


def make_client(sim: Simulator, data_dir: Path, **kw: Any) -> ConsentClient:
    kw.setdefault("clock", lambda: NOW)
    return ConsentClient(BASE, sim.app, sim.roots[0], data_dir, transport=sim, **kw)


def snapshot(client: ConsentClient) -> tuple[Any, ...]:
    return (client.root_version, client.manifest.seq if client.manifest else None,
            client.store.get_meta("root"), client.store.get_meta("manifest"))


@pytest.fixture
def client(sim: Simulator, tmp_path: Path) -> ConsentClient:
    c = make_client(sim, tmp_path / "data")
    assert c.refresh().ok
    return c


def expect(client: ConsentClient, error: type[Exception], match: str = "") -> None:
    before = snapshot(client)
    result = client.refresh()
    assert not result.ok and isinstance(result.error, error), result.error
    assert match in str(result.error)
    assert snapshot(client) == before


def test_happy_path(client: ConsentClient, sim: Simulator) -> None:
    assert client.manifest is not None and client.manifest.seq == 1
    assert client.document("kk").startswith("# Саясат")
    assert client.decide().kind is Kind.PROMPT


def test_forged_payload(client: ConsentClient, sim: Simulator) -> None:
    raw = json.loads(sim.publish())
    payload = json.loads(base64.b64decode(raw["payload"]))
    payload["current"]["min_age"] = 3
    raw["payload"] = base64.b64encode(canonical(payload)).decode()
    sim.files[f"/v1/apps/{sim.app}/manifest.json"] = json.dumps(raw).encode()
    expect(client, SignatureError, "manifest: 0 valid signature(s) of 1 needed")


def test_unknown_key(client: ConsentClient, sim: Simulator) -> None:
    sim.publish(keys=[Key()])
    expect(client, SignatureError, "0 valid signature(s)")


def test_fewer_signatures_than_threshold(tmp_path: Path) -> None:
    sim = Simulator(manifest_threshold=2)
    client = make_client(sim, tmp_path)
    assert client.refresh().ok
    sim.publish(keys=sim.manifest_keys[:1])
    expect(client, SignatureError, "1 valid signature(s) of 2 needed")
    # The same key twice counts once.
    sim.publish(keys=[sim.manifest_keys[0], sim.manifest_keys[0]])
    expect(client, SignatureError, "1 valid signature(s) of 2 needed")


def test_signed_by_the_root_key_instead_of_the_manifest_key(client: ConsentClient,
                                                            sim: Simulator) -> None:
    sim.publish(keys=sim.root_keys)
    expect(client, SignatureError)


def test_rollback_to_lower_seq(client: ConsentClient, sim: Simulator) -> None:
    old = sim.manifest_raw
    sim.publish()
    assert client.refresh().ok and client.manifest.seq == 2
    sim.files[f"/v1/apps/{sim.app}/manifest.json"] = old
    expect(client, RollbackError, "manifest seq 1 is older than the trusted seq 2")


def test_same_seq_other_bytes(client: ConsentClient, sim: Simulator) -> None:
    sim.manifest_payload["current"]["min_age"] = 16
    sim.publish(bump=False)
    expect(client, RollbackError, "manifest seq 1 arrived with different bytes")


def test_expired_online_is_an_error(client: ConsentClient, sim: Simulator) -> None:
    sim.manifest_payload["expires"] = "2026-01-15T11:00:00Z"
    sim.publish()
    expect(client, ExpiredError, "expired at 2026-01-15T11:00:00Z")


def test_expired_offline_keeps_cache_marked_stale(sim: Simulator, tmp_path: Path) -> None:
    client = make_client(sim, tmp_path)
    assert client.refresh().ok
    later = NOW + timedelta(days=8)
    client.clock = lambda: later
    sim.offline = True
    expect(client, NetworkError, "simulated network failure")
    decision = client.decide()
    assert decision.kind is Kind.PROMPT and decision.stale
    # Restarting offline keeps the cached copy too.
    again = make_client(sim, tmp_path, clock=lambda: later)
    assert again.manifest is not None and again.decide().stale


def test_freeze_by_304_on_expired_manifest(sim: Simulator, tmp_path: Path) -> None:
    client = make_client(sim, tmp_path)
    assert client.refresh().ok
    client.clock = lambda: NOW + timedelta(days=8)
    expect(client, ExpiredError, "server answered 304")


def test_the_304_rule_is_a_trust_rule_without_io() -> None:
    """TrustedState.confirm_not_modified (client_sdk._internal.trust, no I/O, time passed
    in): a 304 keeps the trusted manifest only while it verifies and has not expired, and
    leaves the trusted state as it was either way."""
    from client_sdk._internal.trust import TrustedState, load_root

    sim = Simulator()
    trust = TrustedState("demo", load_root(sim.roots[0]))
    with pytest.raises(RepositoryError, match="no manifest is trusted yet"):
        trust.confirm_not_modified(NOW)
    kept = trust.update_manifest(sim.manifest_raw, NOW)
    assert trust.confirm_not_modified(NOW + timedelta(days=6)) is kept
    with pytest.raises(ExpiredError, match="server answered 304") as err:
        trust.confirm_not_modified(NOW + timedelta(days=8), url="https://x/m")
    assert err.value.url == "https://x/m" and err.value.expires
    assert trust.manifest is kept


def test_manifest_for_another_app(client: ConsentClient, sim: Simulator) -> None:
    sim.manifest_payload["app"] = "other-app"
    sim.publish()
    expect(client, WrongAppError, "manifest is for app 'other-app', not 'demo'")


def test_swapped_document(sim: Simulator, tmp_path: Path) -> None:
    client = make_client(sim, tmp_path)
    kk = sim.manifest_payload["current"]["locales"]["kk"]
    sim.docs[kk["sha256"]] = sim.kk.replace(b"#", b"!")  # same length, other text
    before = snapshot(client)
    result = client.refresh()
    assert isinstance(result.error, DocumentMismatchError)
    assert "differs from the manifest's" in str(result.error)
    assert snapshot(client) == before and client.manifest is None


def test_truncated_document(sim: Simulator, tmp_path: Path) -> None:
    client = make_client(sim, tmp_path)
    kk = sim.manifest_payload["current"]["locales"]["kk"]
    sim.docs[kk["sha256"]] = sim.kk[:-3]
    result = client.refresh()
    assert isinstance(result.error, DocumentMismatchError)
    assert "the manifest says" in str(result.error)
    assert client.manifest is None


def test_oversized_manifest_and_document(sim: Simulator, tmp_path: Path) -> None:
    client = make_client(sim, tmp_path, max_manifest_bytes=1000)
    result = client.refresh()
    assert isinstance(result.error, OversizeError) and client.manifest is None
    client = make_client(sim, tmp_path / "b")
    kk = sim.manifest_payload["current"]["locales"]["kk"]
    sim.docs[kk["sha256"]] = sim.kk + b"x" * 10_000_000
    result = client.refresh()
    # The cap for a document is the length the manifest declares.
    assert isinstance(result.error, OversizeError)
    assert result.error.limit == kk["length"]


def test_root_rotation_good(client: ConsentClient, sim: Simulator) -> None:
    sim.rotate(manifest=True)
    sim.rotate(root=True)
    sim.publish()
    result = client.refresh()
    assert result.ok and result.root_version == 3 and result.manifest_seq == 2


def test_root_rotation_without_old_keys(client: ConsentClient, sim: Simulator) -> None:
    sim.root_keys = [Key()]
    sim.sign_root(signers=sim.root_keys)  # only the new key signs root 2
    sim.publish()
    expect(client, SignatureError, "root v2 (by v1's keys)")


def test_root_rotation_skipping_a_version(client: ConsentClient, sim: Simulator) -> None:
    sim.rotate()
    sim.rotate()
    sim.roots[1] = sim.roots[2]  # /v1/root/2.json serves version 3
    expect(client, RollbackError, "expected root version 2, got 3")


def test_expired_root(client: ConsentClient, sim: Simulator) -> None:
    sim.root_expires = NOW - timedelta(seconds=1)
    sim.rotate()
    expect(client, ExpiredError, "root v2 expired")


def test_old_manifest_key_rejected_after_rotation(client: ConsentClient,
                                                  sim: Simulator) -> None:
    old_keys = sim.manifest_keys
    sim.rotate(manifest=True)
    sim.publish(keys=old_keys)
    expect(client, SignatureError)


def test_bundled_manifest_offline_first_launch(sim: Simulator, tmp_path: Path) -> None:
    sim.offline = True
    client = make_client(sim, tmp_path, bundled_manifest=sim.manifest_raw,
                         bundled_documents={h: b for h, b in sim.docs.items()})
    assert client.decide().kind is Kind.PROMPT
    assert client.document("ru").startswith("# Политика")
    forged = json.loads(sim.manifest_raw)
    forged["signatures"][0]["keyid"] = Key().keyid
    with pytest.raises(SignatureError):
        make_client(sim, tmp_path / "x", bundled_manifest=json.dumps(forged).encode())
    with pytest.raises(DocumentMismatchError):
        kk = sim.manifest_payload["current"]["locales"]["kk"]["sha256"]
        make_client(sim, tmp_path / "y", bundled_manifest=sim.manifest_raw,
                    bundled_documents={kk: sim.ru})


def test_pinned_root_must_be_self_signed(sim: Simulator, tmp_path: Path) -> None:
    payload = json.loads(base64.b64decode(json.loads(sim.roots[0])["payload"]))
    bad = envelope(canonical(payload), "application/vnd.kelisim.root+json", [Key()])
    with pytest.raises(SignatureError):
        ConsentClient(BASE, "demo", bad, tmp_path, transport=sim)
    with pytest.raises(FormatError):
        ConsentClient(BASE, "demo", b"not json", tmp_path, transport=sim)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_byte_change_is_rejected(data: st.DataObject, tmp_path: Path) -> None:
    sim = _shared_sim()
    raw = bytearray(sim.manifest_raw)
    i = data.draw(st.integers(0, len(raw) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != raw[i]))
    raw[i] = new
    state = _shared_state()
    with pytest.raises((FormatError, SignatureError, WrongAppError)):
        state.update_manifest(bytes(raw), NOW)
    assert state.manifest is None


_SIM: list[Simulator] = []


def _shared_sim() -> Simulator:
    if not _SIM:
        _SIM.append(Simulator())
    return _SIM[0]


def _shared_state() -> Any:
    from client_sdk._internal.trust import TrustedState, load_root

    return TrustedState("demo", load_root(_shared_sim().roots[0]))


def test_version_helper_is_valid() -> None:
    from client_sdk.protocol.model import Version as V

    V.from_payload(version(2, docs={"kk": b"x"}), "v")


def test_non_canonical_base64_signature_is_rejected(tmp_path: Path) -> None:
    # A 64-byte signature leaves 4 unused bits in the last base64 digit: flipping them
    # changes the envelope's bytes but not the decoded signature.
    sim = Simulator()
    doc = json.loads(sim.manifest_raw)
    sig = doc["signatures"][0]["sig"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    i = alphabet.index(sig[-3])
    twin = alphabet[(i & 0b110000) | ((i + 1) & 0b001111)]
    doc["signatures"][0]["sig"] = sig[:-3] + twin + "=="
    assert base64.b64decode(doc["signatures"][0]["sig"]) == base64.b64decode(sig)
    from client_sdk._internal.trust import TrustedState, load_root

    trust = TrustedState("demo", load_root(sim.roots[0]))
    with pytest.raises(FormatError, match="is not canonical base64"):
        trust.update_manifest(json.dumps(doc).encode(), NOW)


def test_bundle_not_newer_than_the_store_is_ignored(sim: Simulator, tmp_path: Path) -> None:
    client = make_client(sim, tmp_path)
    assert client.refresh().ok and client.manifest.seq == 1
    sim.publish()
    assert client.refresh().ok and client.manifest.seq == 2
    client.close()
    # The app ships seq 1 in its bundle and passes it at every launch: the store's seq 2
    # wins and the old bundle is not even verified.
    stale_bundle = json.loads(sim.manifest_raw)
    stale_bundle["signatures"][0]["keyid"] = Key().keyid  # would fail verification
    payload = json.loads(base64.b64decode(stale_bundle["payload"]))
    payload["seq"] = 1
    stale_bundle["payload"] = base64.b64encode(canonical(payload)).decode()
    again = make_client(sim, tmp_path, bundled_manifest=json.dumps(stale_bundle).encode())
    assert again.manifest is not None and again.manifest.seq == 2
    # A bundle that claims a newer seq is verified, and a forged one refused.
    payload["seq"] = 3
    stale_bundle["payload"] = base64.b64encode(canonical(payload)).decode()
    with pytest.raises(SignatureError):
        make_client(sim, tmp_path, bundled_manifest=json.dumps(stale_bundle).encode())
