"""Trust rules: which roots, manifests and documents to believe. Bytes in, no I/O.

Modelled on python-tuf's ``TrustedMetadataSet``: every update either returns the new
trusted value or raises, leaving the trusted state exactly as it was. Time is passed in.
"""

from __future__ import annotations

from datetime import datetime

from client_sdk.errors import (
    DocumentMismatchError,
    ExpiredError,
    RepositoryError,
    RollbackError,
    WrongAppError,
)
from client_sdk.protocol.digest import sha256_hex
from client_sdk.protocol.envelope import (
    PAYLOAD_MANIFEST,
    PAYLOAD_ROOT,
    parse_envelope,
    verify_threshold,
)
from client_sdk.protocol.model import LocaleDoc, Manifest, Root
from client_sdk.protocol.record import Record, record
from client_sdk.protocol.timeutil import format_time

__all__ = ["TrustedManifest", "TrustedRoot", "TrustedState", "check_document"]


@record
class TrustedRoot(Record):
    """A verified root and the exact bytes it was verified from."""

    raw: bytes
    root: Root


@record
class TrustedManifest(Record):
    """A verified manifest and the exact bytes it was verified from."""

    raw: bytes
    manifest: Manifest


def load_root(raw: bytes, *, url: str | None = None) -> TrustedRoot:
    """Verify a root by its own root keys (for the root an app pins).

    Raises:
        FormatError, SignatureError: not a validly self-signed root.
    """
    env = parse_envelope(raw, PAYLOAD_ROOT, url=url)
    root = Root.from_payload(env.payload_json(url=url))
    role = root.roles["root"]
    verify_threshold(env, root.keys, role.keyids, role.threshold, role="root", url=url)
    return TrustedRoot(raw, root)


def check_document(data: bytes, doc: LocaleDoc, *, url: str | None = None) -> None:
    """Check a document against the manifest's length and sha256.

    Raises:
        DocumentMismatchError: other length or other hash.
    """
    if len(data) != doc.length:
        raise DocumentMismatchError(
            f"document is {len(data)} bytes, the manifest says {doc.length}",
            expected=str(doc.length), actual=str(len(data)), url=url)
    digest = sha256_hex(data)
    if digest != doc.sha256:
        raise DocumentMismatchError(f"document sha256 {digest} differs from the manifest's "
                                    f"{doc.sha256}", expected=doc.sha256, actual=digest, url=url)


class TrustedState:
    """The trusted root and manifest of one app; updated only by verified data."""

    def __init__(self, app_id: str, root: TrustedRoot,
                 manifest: TrustedManifest | None = None) -> None:
        self.app_id = app_id
        self.root = root
        self.manifest = manifest

    def update_root(self, raw: bytes, *, url: str | None = None) -> TrustedRoot:
        """Accept root N+1: signed by a threshold of root N's keys and of its own.

        Raises:
            FormatError, SignatureError: bad structure or signatures.
            RollbackError: not exactly version N+1.
        """
        env = parse_envelope(raw, PAYLOAD_ROOT, url=url)
        old = self.root.root
        role = old.roles["root"]
        verify_threshold(env, old.keys, role.keyids, role.threshold,
                         role=f"root v{old.version + 1} (by v{old.version}'s keys)", url=url)
        new = Root.from_payload(env.payload_json(url=url))
        new_role = new.roles["root"]
        verify_threshold(env, new.keys, new_role.keyids, new_role.threshold,
                         role=f"root v{new.version} (by its own keys)", url=url)
        if new.version != old.version + 1:
            raise RollbackError(f"expected root version {old.version + 1}, got {new.version}",
                                trusted=old.version, offered=new.version, url=url)
        self.root = TrustedRoot(raw, new)
        return self.root

    def check_root_expiry(self, now: datetime) -> None:
        """Raises ExpiredError when the newest trusted root has expired."""
        if self.root.root.expires <= now:
            stamp = format_time(self.root.root.expires)
            raise ExpiredError(f"root v{self.root.root.version} expired at {stamp}",
                               expires=stamp)

    def verify_manifest(self, raw: bytes, *, url: str | None = None) -> Manifest:
        """Signature, structure and app binding; no rollback or expiry check.

        Raises:
            FormatError, SignatureError, WrongAppError.
        """
        env = parse_envelope(raw, PAYLOAD_MANIFEST, url=url)
        role = self.root.root.roles["manifest"]
        verify_threshold(env, self.root.root.keys, role.keyids, role.threshold,
                         role="manifest", url=url)
        manifest = Manifest.from_payload(env.payload_json(url=url))
        if manifest.app != self.app_id:
            raise WrongAppError(f"manifest is for app {manifest.app!r}, not {self.app_id!r}",
                                url=url)
        return manifest

    def confirm_not_modified(self, now: datetime, *,
                             url: str | None = None) -> TrustedManifest:
        """The server answered 304 Not Modified for the trusted manifest: it is kept only
        while it is still trusted now (the current root's keys verify it, it has not
        expired). A server that keeps answering 304 for an expired manifest is freezing
        the client.

        Raises:
            RepositoryError: there is no trusted manifest for a 304 to confirm.
            FormatError, SignatureError, WrongAppError: see :meth:`verify_manifest` (a
                root walked forward may no longer trust its keys).
            ExpiredError: ``expires`` is not after ``now``.
        """
        if self.manifest is None:
            raise RepositoryError("304 Not Modified, but no manifest is trusted yet", url=url)
        manifest = self.verify_manifest(self.manifest.raw, url=url)
        if manifest.expires <= now:
            stamp = format_time(manifest.expires)
            raise ExpiredError(f"manifest seq {manifest.seq} expired at {stamp} and the "
                               f"server answered 304 Not Modified", expires=stamp, url=url)
        return self.manifest

    def update_manifest(self, raw: bytes, now: datetime, *,
                        url: str | None = None) -> TrustedManifest:
        """Accept a newer manifest.

        Raises:
            FormatError, SignatureError, WrongAppError: see :meth:`verify_manifest`.
            RollbackError: seq lower than trusted, or equal with other bytes.
            ExpiredError: ``expires`` is not after ``now``.
        """
        manifest = self.verify_manifest(raw, url=url)
        if self.manifest is not None:
            trusted = self.manifest.manifest.seq
            if manifest.seq < trusted:
                raise RollbackError(f"manifest seq {manifest.seq} is older than the trusted "
                                    f"seq {trusted}", trusted=trusted, offered=manifest.seq,
                                    url=url)
            if manifest.seq == trusted and raw != self.manifest.raw:
                raise RollbackError(f"manifest seq {trusted} arrived with different bytes",
                                    trusted=trusted, offered=manifest.seq, url=url)
        if manifest.expires <= now:
            stamp = format_time(manifest.expires)
            raise ExpiredError(f"manifest seq {manifest.seq} expired at {stamp}",
                               expires=stamp, url=url)
        self.manifest = TrustedManifest(raw, manifest)
        return self.manifest
