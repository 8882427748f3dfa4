"""An in-memory sync API for the SDK's sync tests, in the manner of tests/simulator.py.

It follows the sync protocol (COMMON contracts, docs/http-api.md): installs and tokens with
a generation per install, batches answered with receipts as strings, ``422 rejected``
naming refused records, ``413`` over a batch size, requests of the data subject (and the
older deletion-request endpoint). Knobs let a test play
what the real server does rarely (a rotated secret, an expired token) and what it never does
(forged or mismatched receipts, answers that are not JSON).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from client_sdk.transport import Request, Response
from simulator import BASE, NOW, Key, Simulator, canonical, envelope, ts

RECEIPT_TYPE = "application/vnd.kelisim.receipt+json"


def answer(status: int, body: Any) -> Response:
    return Response(status, json.dumps(body).encode(), {"content-type": "application/json"})


def error(status: int, code: str, message: str = "", details: Any = None) -> Response:
    return answer(status, {"error": {"code": code, "message": message or code,
                                     "details": details or {}}})


class SyncServer:
    """Serves POST /installs, /installs/<id>/token, /consents, /requests,
    /deletion-requests."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.base = f"/v1/apps/{sim.app}"
        self.tokens: dict[str, str] = {}  # live token -> install id
        self.expired: set[str] = set()  # live but expired tokens (renewable)
        self.stored: dict[str, tuple[str, dict[str, Any]]] = {}  # record id -> (install, rec)
        self.deletions: dict[str, str] = {}
        self.reject: dict[str, tuple[str, str]] = {}  # id -> (field, reason): 422 rejected
        self.unnamed: set[str] = set()  # ids that make a batch 422 without naming them
        self.max_batch: int | None = None  # 413 above
        self.refuse_renewal = False
        self.receipt_keys: list[Key] = sim.receipt_keys
        # Changes a receipt payload before it is signed (attacks), or the answer's body.
        self.tamper: Callable[[dict[str, Any]], None] | None = None
        self.override: Callable[[Request], Response | None] | None = None
        self.log: list[tuple[str, int]] = []  # (path, status)
        self.batches: list[int] = []
        self.last_receipts: list[str] = []
        self.issued: list[str] = []  # every receipt signed, oldest first
        self.requests: dict[str, dict[str, Any]] = {}  # request id -> its history entry
        sim.post_handler = self.handle
        sim.get_handler = self.history

    # -- helpers ------------------------------------------------------------------------
    def rotate_secret(self) -> None:
        """Every token becomes invalid for good (SECRET_KEY changed, install unknown)."""
        self.tokens.clear()
        self.expired.clear()

    def expire_all(self) -> None:
        self.expired |= set(self.tokens)

    def _who(self, req: Request, *, allow_expired: bool = False) -> str | Response:
        header = req.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        if token not in self.tokens:
            return error(401, "invalid_token", "the install token is not valid")
        if token in self.expired and not allow_expired:
            return error(401, "token_expired", "the install token has expired")
        return self.tokens[token]

    def _issue(self, install_id: str) -> str:
        for old in [t for t, i in self.tokens.items() if i == install_id]:
            del self.tokens[old]  # renewal revokes the previous token
            self.expired.discard(old)
        token = f"tok.{uuid.uuid4().hex}"
        self.tokens[token] = install_id
        return token

    def _sign(self, payload: dict[str, Any]) -> str:
        if self.tamper is not None:
            self.tamper(payload)
        receipt = envelope(canonical(payload), RECEIPT_TYPE, self.receipt_keys).decode()
        self.issued.append(receipt)
        return receipt

    # -- endpoints ----------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        path = req.url[len(BASE):]
        resp = self.override(req) if self.override is not None else None
        if resp is None:
            resp = self._route(path, req)
        self.log.append((path, resp.status))
        return resp

    def _route(self, path: str, req: Request) -> Response:
        if path == f"{self.base}/installs":
            install_id = str(uuid.uuid4())
            return answer(201, {"install_id": install_id, "token": self._issue(install_id)})
        if path.startswith(f"{self.base}/installs/") and path.endswith("/token"):
            who = self._who(req, allow_expired=True)
            if isinstance(who, Response):
                return who
            if self.refuse_renewal:
                return error(401, "invalid_token", "renewal refused")
            return answer(200, {"install_id": who, "token": self._issue(who)})
        who = self._who(req)
        if isinstance(who, Response):
            return who
        body = json.loads(req.body or b"{}")
        if path == f"{self.base}/consents":
            return self._consents(who, body["records"])
        if path == f"{self.base}/deletion-requests":
            return self._deletion(who, body)
        if path == f"{self.base}/requests":
            return self._request(who, body)
        return error(404, "not_found")

    def _consents(self, who: str, records: list[dict[str, Any]]) -> Response:
        self.batches.append(len(records))
        if self.max_batch is not None and len(records) > self.max_batch:
            return error(413, "too_large", "body too large")
        if any(r["id"] in self.unnamed for r in records):
            return error(422, "unprocessable", "records[?].client_time: too far ahead")
        named = [{"id": r["id"], "field": self.reject[r["id"]][0],
                  "reason": self.reject[r["id"]][1]} for r in records if r["id"] in self.reject]
        if named:
            return error(422, "rejected", f"{len(named)} record(s) refused",
                         {"rejected": named})
        stamp = ts(NOW)
        for r in records:
            self.stored.setdefault(r["id"], (who, r))
        payload = {"_type": "receipt", "spec_version": 1, "kind": "consents",
                   "app": self.sim.app, "install": who, "issued": stamp,
                   "records": [{"id": r["id"], "action": r["action"], "version": r["version"],
                                "document_sha256": r["document_sha256"],
                                "purposes": r["purposes"], "client_time": r["client_time"],
                                "server_time": stamp, "seq": i + 1, "chain_hash": "00" * 32}
                               for i, r in enumerate(records)]}
        self.last_receipts = [self._sign(payload)]
        return answer(200, {"stored": len(records), "receipts": self.last_receipts,
                            "records": [{"id": r["id"], "receipt": 0} for r in records]})

    def _deletion(self, who: str, body: dict[str, Any]) -> Response:
        if body["id"] in self.reject:
            field, reason = self.reject[body["id"]]
            return error(422, "unprocessable", f"{field}: {reason}")
        self.deletions[body["id"]] = who
        stamp = ts(NOW)
        receipt = self._sign({"_type": "receipt", "spec_version": 1,
                              "kind": "deletion_request", "app": self.sim.app, "install": who,
                              "issued": stamp, "request": {"id": body["id"],
                                                           "client_time": body["client_time"],
                                                           "server_time": stamp}})
        self.last_receipts = [receipt]
        return answer(201, {"request_id": body["id"], "status": "open", "receipt": receipt})

    def _request(self, who: str, body: dict[str, Any]) -> Response:
        """A request of the data subject, answered with a ``request`` receipt (what the
        real server's POST /requests does; its deadline here is 30 days from NOW)."""
        if body["id"] in self.reject:
            field, reason = self.reject[body["id"]]
            return error(422, "unprocessable", f"{field}: {reason}")
        self.deletions[body["id"]] = who
        stamp, deadline = ts(NOW), ts(NOW + timedelta(days=30))
        note = body.get("note")
        receipt = self._sign({"_type": "receipt", "spec_version": 1, "kind": "request",
                              "app": self.sim.app, "install": who, "issued": stamp,
                              "request": {"id": body["id"], "kind": body["kind"],
                                          "client_time": body["client_time"],
                                          "server_time": stamp, "deadline": deadline,
                                          "withdraw": body.get("withdraw"),
                                          "note_sha256": None if note is None else
                                          hashlib.sha256(note.encode()).hexdigest()}})
        self.last_receipts = [receipt]
        self.requests[body["id"]] = {"id": body["id"], "kind": body["kind"],
                                     "install": who, "status": "open", "server_time": stamp,
                                     "deadline": deadline, "resolved_at": None,
                                     "answer": None, "receipt": receipt}
        return answer(201, {"request_id": body["id"], "status": "open",
                            "deadline": deadline, "receipt": receipt})

    def history(self, req: Request) -> Response | None:
        """GET /installs/<id>/consents: the requests part of the install's history (what
        the SDK reads back after a sync while a request is open), on one page."""
        path = req.url[len(BASE):].split("?")[0]
        prefix = f"{self.base}/installs/"
        if not (path.startswith(prefix) and path.endswith("/consents")):
            return None
        who = self._who(req)
        if isinstance(who, Response):
            return who
        if path != f"{prefix}{who}/consents":
            return error(403, "forbidden", "another install's history")
        mine = [{k: v for k, v in r.items() if k != "install"}
                for r in self.requests.values() if r["install"] == who]
        return answer(200, {"records": [], "requests": mine, "next_cursor": None})
