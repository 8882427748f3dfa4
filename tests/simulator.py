"""An in-memory repository for attack tests, in the manner of python-tuf's simulator.

It signs roots, manifests and documents with its own keys (securesystemslib and
cryptography directly; no server code) and answers ``Transport.fetch``. A test changes
what it serves (``sim.manifest_payload`` ...) and calls ``sim.publish()`` to re-sign, or
replaces raw bytes to serve what no honest server would.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from client_sdk.errors import NetworkError, OversizeError
from client_sdk.protocol.envelope import keyid_of
from client_sdk.transport import Request, Response

ROOT_TYPE = "application/vnd.kelisim.root+json"
MANIFEST_TYPE = "application/vnd.kelisim.manifest+json"
BASE = "https://sim.example"
NOW = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)


def ts(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Key:
    private: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def public(self) -> dict[str, Any]:
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": raw.hex()}}

    @property
    def keyid(self) -> str:
        return keyid_of(self.public)


def envelope(payload: bytes, ptype: str, keys: list[Key]) -> bytes:
    pae = b"DSSEv1 %d %b %d %b" % (len(ptype), ptype.encode(), len(payload), payload)
    sigs = [{"keyid": k.keyid, "sig": base64.b64encode(k.private.sign(pae)).decode()}
            for k in keys]
    return json.dumps({"payload": base64.b64encode(payload).decode(), "payloadType": ptype,
                       "signatures": sigs}, separators=(",", ":")).encode()


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def version(number: int, *, significance: str = "major", since: int | None = None,
            effective: datetime = NOW - timedelta(days=30), summary: str = "",
            purposes: list[dict[str, Any]] | None = None, docs: dict[str, bytes],
            min_age: int | None = None, guardian: bool = False,
            term: str | None = None) -> dict[str, Any]:
    return {
        "version": number, "label": f"{number}.0", "significance": significance,
        "reconsent_required_since": since or number,
        "effective": ts(effective), "published": ts(effective), "min_age": min_age,
        "guardian_consent": guardian, "consent_term": term, "default_locale": "kk",
        "locales": {tag: {"title": f"Policy {tag}", "url": f"/v1/documents/"
                          f"{hashlib.sha256(body).hexdigest()}",
                          "sha256": hashlib.sha256(body).hexdigest(), "length": len(body),
                          "summary": f"{summary} [{tag}]" if summary else ""}
                    for tag, body in docs.items()},
        "purposes": purposes if purposes is not None else [
            {"id": "service", "required": True, "title": {"kk": "Қызмет"},
             "description": {"kk": "Қызмет көрсету"}, "data": [], "vendors": []},
            {"id": "analytics", "required": False, "title": {"kk": "Аналитика"},
             "description": {"kk": "Статистика"}, "data": [], "vendors": []}],
        "vendors": [], "data_categories": [], "permissions": [],
        "third_party_transfer": False, "cross_border_transfer": False,
        "public_disclosure": False,
    }


class Simulator:
    """Serves /v1/root/<n>.json, the manifest and documents from memory."""

    def __init__(self, app: str = "demo", manifest_threshold: int = 1) -> None:
        self.app = app
        self.root_keys = [Key()]
        self.manifest_keys = [Key() for _ in range(manifest_threshold)]
        self.receipt_keys = [Key()]
        self.manifest_threshold = manifest_threshold
        self.roots: list[bytes] = []
        self.docs: dict[str, bytes] = {}
        self.files: dict[str, bytes] = {}  # path -> raw bytes, served as they are
        self.fetched: list[str] = []
        self.offline = False
        # Answers POSTs (the sync API) when a test sets it; see tests/syncsim.py.
        self.post_handler: Callable[[Request], Response] | None = None
        # GETs the sync API answers (an install's history): None lets the files serve it.
        self.get_handler: Callable[[Request], Response | None] | None = None
        self.seq = 0
        self.root_expires = NOW + timedelta(days=365)
        self.sign_root()
        self.kk = "# Саясат\n\nҚұпиялылық саясаты.\n".encode()
        self.ru = "# Политика\n\nПолитика конфиденциальности.\n".encode()
        self.add_docs(self.kk, self.ru)
        self.manifest_payload: dict[str, Any] = {
            "_type": "manifest", "spec_version": 1, "app": app, "seq": 0,
            "issued": ts(NOW), "expires": ts(NOW + timedelta(days=7)),
            "controller": {"name": "Demo LLP", "bin": "240540012347", "country": "KZ",
                           "email": "dpo@demo.kz", "address": "Almaty"},
            "current": version(1, docs={"kk": self.kk, "ru": self.ru}),
            "upcoming": None, "history": [],
        }
        self.publish()

    # -- signing ------------------------------------------------------------------------
    def root_payload(self, version_: int) -> dict[str, Any]:
        keys = {k.keyid: k.public for k in
                [*self.root_keys, *self.manifest_keys, *self.receipt_keys]}
        return {"_type": "root", "spec_version": 1, "version": version_,
                "expires": ts(self.root_expires), "keys": keys,
                "roles": {"root": {"keyids": [k.keyid for k in self.root_keys], "threshold": 1},
                          "manifest": {"keyids": [k.keyid for k in self.manifest_keys],
                                       "threshold": self.manifest_threshold},
                          "receipt": {"keyids": [k.keyid for k in self.receipt_keys],
                                      "threshold": 1}}}

    def sign_root(self, signers: list[Key] | None = None) -> bytes:
        """Sign the next root version with the previous root keys and the current ones."""
        number = len(self.roots) + 1
        body = canonical(self.root_payload(number))
        keys = signers if signers is not None else list(
            {k.keyid: k for k in [*self.old_root_keys(), *self.root_keys]}.values())
        raw = envelope(body, ROOT_TYPE, keys)
        self.roots.append(raw)
        self._previous_root_keys = list(self.root_keys)
        return raw

    def old_root_keys(self) -> list[Key]:
        return getattr(self, "_previous_root_keys", [])

    def rotate(self, *, root: bool = False, manifest: bool = False) -> None:
        if root:
            self.root_keys = [Key()]
        if manifest:
            self.manifest_keys = [Key() for _ in range(self.manifest_threshold)]
        self.sign_root()

    def add_docs(self, *bodies: bytes) -> None:
        for body in bodies:
            self.docs[hashlib.sha256(body).hexdigest()] = body

    def publish(self, keys: list[Key] | None = None, bump: bool = True) -> bytes:
        if bump:
            self.seq += 1
        self.manifest_payload["seq"] = self.seq
        raw = envelope(canonical(self.manifest_payload), MANIFEST_TYPE,
                       keys if keys is not None else self.manifest_keys)
        self.files[f"/v1/apps/{self.app}/manifest.json"] = raw
        return raw

    @property
    def manifest_raw(self) -> bytes:
        return self.files[f"/v1/apps/{self.app}/manifest.json"]

    def edit(self) -> dict[str, Any]:
        """A deep copy to change; assign it back to manifest_payload and publish()."""
        return copy.deepcopy(self.manifest_payload)

    # -- Transport ----------------------------------------------------------------------
    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        if self.offline:
            raise NetworkError("simulated network failure", url=url)
        assert url.startswith(BASE), url
        path = url[len(BASE):]
        if method != "GET":
            handler = self.post_handler
            if handler is None:
                raise NetworkError("the simulator serves no sync endpoints", url=url)
            resp = handler(Request(method, url, dict(headers or {}), body))
            if len(resp.body) > max_bytes:
                raise OversizeError(f"more than {max_bytes} bytes", limit=max_bytes, url=url)
            return resp
        self.fetched.append(path)
        if self.get_handler is not None:
            answered = self.get_handler(Request(method, url, dict(headers or {}), body))
            if answered is not None:
                return answered
        data: bytes | None
        if path in self.files:
            data = self.files[path]
        elif path.startswith("/v1/root/"):
            n = int(path[len("/v1/root/"):-len(".json")])
            data = self.roots[n - 1] if 0 < n <= len(self.roots) else None
        elif path.startswith("/v1/documents/"):
            data = self.docs.get(path[len("/v1/documents/"):])
        else:
            data = None
        if data is None:
            return Response(404, b"")
        tag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        if (headers or {}).get("If-None-Match") == tag:
            return Response(304, b"", {"etag": tag})
        if len(data) > max_bytes:
            raise OversizeError(f"more than {max_bytes} bytes", limit=max_bytes, url=url)
        return Response(200, data, {"etag": tag})
