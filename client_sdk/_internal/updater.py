"""The I/O half of trust: trusted state from the store at launch, and ``refresh()``.

Functions over a :class:`TrustedState`, the :class:`Store` and a :class:`Transport`: they
read, write and fetch; every rule (signatures, rollback, expiry, a 304 for an expired
manifest, document hashes) is :mod:`trust`'s. On any error the caller's state is untouched:
a refresh builds its new state on the side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeGuard

from client_sdk._internal.locales import negotiate
from client_sdk._internal.store import Store
from client_sdk._internal.trust import (
    TrustedManifest,
    TrustedRoot,
    TrustedState,
    check_document,
    load_root,
)
from client_sdk.errors import ConsentError, NetworkError, RepositoryError
from client_sdk.protocol.digest import sha256_hex
from client_sdk.protocol.envelope import PAYLOAD_MANIFEST, PAYLOAD_ROOT, parse_envelope
from client_sdk.protocol.model import LocaleDoc, Manifest, Root
from client_sdk.protocol.record import Record, record

if TYPE_CHECKING:
    from client_sdk.transport import Response, Transport

__all__ = ["Limits", "fetch_document", "launch_root", "load_bundle", "update"]

MAX_ROOT_WALK = 32


@record
class Limits(Record):
    """Size caps of the downloads (endless-data defence)."""

    root: int = 64 * 1024
    manifest: int = 1024 * 1024
    document: int = 4 * 1024 * 1024


def launch_root(trusted_root: bytes, meta: Mapping[str, bytes],
                warn: Callable[[str], None]) -> tuple[TrustedRoot, dict[str, bytes | None]]:
    """The root to trust at launch: the stored one when it was reached from this pinned
    root, else the pinned root (verified). A damaged stored root is reported to ``warn``.

    Also returns the meta keys to store with the next write (empty when the store is up to
    date): remembering a verified pinned root is worth no transaction of its own, and
    forgetting it costs only one more verification at the next launch.

    Raises:
        RepositoryError: the pinned root is not validly self-signed.
    """
    pinned_hash = sha256_hex(trusted_root).encode()
    stored_root = meta.get("root")
    if stored_root is not None and meta.get("pinned_sha256") == pinned_hash:
        # This pinned root was verified on an earlier launch and the stored root was
        # reached from it; the local store is trusted like the app's own files.
        try:
            env = parse_envelope(stored_root, PAYLOAD_ROOT)
            return TrustedRoot(stored_root, Root.from_payload(env.payload_json(),
                                                              verify_keyids=False)), {}
        except RepositoryError as exc:
            warn(f"the stored root is damaged; using the pinned root ({exc})")
            stored_root = None
    root = load_root(trusted_root)
    if stored_root is not None:
        try:
            env = parse_envelope(stored_root, PAYLOAD_ROOT)
            candidate = Root.from_payload(env.payload_json())
            if candidate.version >= root.root.version:
                root = TrustedRoot(stored_root, candidate)
        except RepositoryError as exc:
            warn(f"the stored root is damaged; using the pinned root ({exc})")
    return root, {"pinned_sha256": pinned_hash, "root": root.raw}


def _seq_of(raw: bytes) -> int:
    """The seq an envelope claims, unverified (huge when unreadable): only used to skip a
    bundle that could not win anyway; a bundle that might is verified in full."""
    try:
        payload = parse_envelope(raw, PAYLOAD_MANIFEST).payload_json()
        seq = payload.get("seq") if isinstance(payload, dict) else None
    except ConsentError:
        return 10**18  # unreadable: let full verification report it
    return seq if isinstance(seq, int) else 10**18


def load_bundle(trust: TrustedState, store: Store, raw: bytes,
                documents: Mapping[str, bytes], extra_meta: Mapping[str, bytes | None],
                proof: bytes | None = None) -> bool:
    """Verify a bundled manifest and documents; use and store them when newer, with
    ``extra_meta`` in the same transaction. Returns whether it wrote. ``proof``: the
    manifest's tlog-proof in the policy log (required when the root says so).

    Raises:
        RepositoryError: the bundle fails verification.
    """
    trusted = trust.manifest
    if trusted is not None and (raw == trusted.raw or _seq_of(raw) <= trusted.manifest.seq):
        # The app passes its bundle at every launch; once the store holds the same or a
        # newer manifest, the bundle is not used, so it need not be verified again.
        return False
    manifest = trust.verify_manifest(raw, url="bundled manifest")
    policy_meta = _policy_check(trust, store, raw, manifest, proof, None, "", None)
    checked: dict[str, bytes] = {}
    versions = [manifest.current, *([manifest.upcoming] if manifest.upcoming else [])]
    for version in versions:
        for tag, doc in version.locales.items():
            data = documents.get(doc.sha256)
            if data is not None:
                check_document(data, doc, url=f"bundled document {tag}")
                checked[doc.sha256] = data
    meta: dict[str, bytes | None] = dict(extra_meta)
    if trusted is None or manifest.seq > trusted.manifest.seq:
        # A bundle is used even when expired (offline first launch); decide() marks it
        # stale until refresh() brings a fresh one.
        trust.manifest = TrustedManifest(raw, manifest)
        meta.update({"manifest": raw, "manifest_etag": None, **policy_meta})
    # One transaction (one fsync) for the whole bundle: this is the first launch.
    if meta or checked.keys() - store.has_documents(checked):
        store.put_documents(checked, meta)
        return True
    return False


def _policy_check(trust: TrustedState, store: Store, raw: bytes, manifest: Manifest,
                  proof: bytes | Response | None, transport: Transport | None,
                  server_url: str, now: datetime | None) -> dict[str, bytes | None]:
    """When the root requires it, the manifest's check in the policy log
    (client_sdk/_internal/policycheck.py: imported only then); the meta to store."""
    root = trust.root.root
    if root.log is None or not root.log.require_policy_inclusion:
        return {}
    from client_sdk._internal import policycheck as pc
    from client_sdk.errors import ProofError

    if proof is not None and not isinstance(proof, bytes):  # the manifest's answer
        assert transport is not None
        proof = pc.proof_of(proof, transport, server_url, trust.app_id)
    if proof is None:
        raise ProofError("the bundle holds no inclusion proof of its manifest in the "
                         "policy log and the root requires one", kind="inclusion")
    note = pc.check_inclusion(root, trust.app_id, raw, manifest, proof, store=store,
                              transport=transport, server_url=server_url or None,
                              now=now or datetime.now(UTC))
    if transport is None:  # a bundle: a checkpoint other than the held one waits
        from client_sdk.protocol.tlog import parse_tlog_proof
        bundled = parse_tlog_proof(proof).checkpoint
        return {pc.POLICY_CHECKPOINT_KEY: note,
                pc.PENDING_KEY: None if bundled == note else bundled}
    return {pc.POLICY_CHECKPOINT_KEY: note, pc.PENDING_KEY: None}


def _is_etag(value: str | None) -> TypeGuard[str]:
    """An ETag that is safe to send back: printable ASCII, no line breaks, short."""
    return value is not None and 0 < len(value) <= 256 and value.isascii() and \
        value.isprintable()


def _get(transport: Transport, url: str, *, max_bytes: int, etag: str | None = None,
         ok: tuple[int, ...] = (200,)) -> Response:
    """GET ``url``; a status outside ``ok`` is a NetworkError naming it."""
    headers = {"If-None-Match": etag} if etag else {}
    resp = transport.request("GET", url, headers=headers, max_bytes=max_bytes)
    if resp.status not in ok:
        raise NetworkError(f"HTTP {resp.status}", status=resp.status, url=url)
    return resp


def fetch_document(transport: Transport, server_url: str, tag: str, doc: LocaleDoc,
                   limits: Limits) -> bytes:
    """Download and check one document (the caller stores it).

    Raises:
        NetworkError, OversizeError, DocumentMismatchError.
    """
    url = server_url + doc.url
    resp = transport.request("GET", url, max_bytes=min(doc.length, limits.document))
    if resp.status != 200:
        raise NetworkError(f"document {tag} answered HTTP {resp.status}",
                           status=resp.status, url=url)
    check_document(resp.body, doc, url=url)
    return resp.body


def _fetch_documents(store: Store, transport: Transport, server_url: str, manifest: Manifest,
                     preferred_locales: Sequence[str], limits: Limits) -> dict[str, bytes]:
    wanted: dict[str, tuple[str, LocaleDoc]] = {}
    for version in (manifest.current, manifest.upcoming):
        if version is None:
            continue
        tags = {negotiate(preferred_locales, version.locales, version.default_locale),
                version.default_locale}
        for tag in sorted(tags):
            wanted.setdefault(version.locales[tag].sha256, (tag, version.locales[tag]))
    missing = wanted.keys() - store.has_documents(wanted)
    return {sha: fetch_document(transport, server_url, *wanted[sha], limits)
            for sha in sorted(missing)}


def update(current: TrustedState, *, store: Store, transport: Transport, server_url: str,
           now: datetime, preferred_locales: Sequence[str], limits: Limits,
           extra_meta: Mapping[str, bytes | None]) -> tuple[TrustedState, bool]:
    """Walk the root forward, fetch and verify the manifest and the documents, and store
    them (with ``extra_meta``) in one transaction: one durable write per refresh.

    Returns the new trusted state (``current`` is not changed) and whether anything was new.

    Raises:
        ConsentError: any failure; nothing was stored.
    """
    app_id = current.app_id
    trust = TrustedState(app_id, current.root, current.manifest)
    for _ in range(MAX_ROOT_WALK):
        url = f"{server_url}/v1/root/{trust.root.root.version + 1}.json"
        resp = _get(transport, url, max_bytes=limits.root, ok=(200, 404))
        if resp.status == 404:
            break
        trust.update_root(resp.body, url=url)
    trust.check_root_expiry(now)
    url = f"{server_url}/v1/apps/{app_id}/manifest.json"
    stored_etag = store.get_meta("manifest_etag") if trust.manifest else None
    etag = stored_etag.decode("ascii", errors="replace") if stored_etag else None
    etag = etag if _is_etag(etag) else None
    log = trust.root.root.log
    if etag and log is not None and log.require_policy_inclusion:
        from client_sdk._internal.policycheck import PENDING_KEY, POLICY_CHECKPOINT_KEY
        if trust.root is not current.root or store.get_meta(POLICY_CHECKPOINT_KEY) is None \
                or store.get_meta(PENDING_KEY) is not None:
            # The held manifest was accepted under another root (maybe without a proof in
            # the policy log), or a bundle's checkpoint waits for its check: a 304 would
            # skip it. The whole answer, with its proof, is checked under the root in force.
            etag = None
    resp = _get(transport, url, max_bytes=limits.manifest, etag=etag,
                ok=(200, 304, 404) if etag else (200, 404))
    if resp.status == 404:
        raise NetworkError(f"the server has no app {app_id!r}", status=404, url=url)
    if resp.status == 304:  # only accepted after an If-None-Match
        trust.confirm_not_modified(now, url=url)
        updated = trust.root is not current.root
    else:
        trusted = trust.update_manifest(resp.body, now, url=url)
        policy_meta = _policy_check(trust, store, resp.body, trusted.manifest, resp, transport,
                                    server_url, now)
        extra_meta = {**extra_meta, **policy_meta}
        updated = True
    assert trust.manifest is not None
    documents = _fetch_documents(store, transport, server_url, trust.manifest.manifest,
                                 preferred_locales, limits)
    store.put_documents(documents, {
        **extra_meta, "root": trust.root.raw, "manifest": trust.manifest.raw,
        "manifest_etag": resp.etag.encode() if _is_etag(resp.etag) else None})
    return trust, updated
