"""Proof files: one consent record's (or one request of the data subject's) proof of
inclusion in its app's transparency log, in a self-contained file anyone can check offline
with nothing but the root they trust.

A proof file is UTF-8 JSON (``.kelisim-proof``)::

    {"_type": "kelisim.proof", "spec_version": 1,
     "app": "<app id>",
     "record": {<the record's chained fields: seq, record_id, install_id, ..., server_time>},
     "salt": "<base64 of the 32-byte salt>",
     "tlog_proof": "<the C2SP tlog-proof file, verbatim: index, inclusion proof, the
                   checkpoint with its cosignatures>",
     "root": {<the signed root envelope in force when the proof was made>}}

A request's file is the same, ``spec_version`` 1 too (a record's file is unchanged): its
``record`` member holds the request's chained fields
(:data:`~client_sdk.protocol.logentry.REQUEST_CHAINED`: ``"entry": "request"``, seq,
request_id, install_id, kind, client_time, withdraw, note_sha256 (the note's sha256, never
its words), server_time, deadline). A file's ``record`` has exactly a record's chained
fields or exactly a request's, nothing in between; ``entry`` says which.

JSON because the record and the root are JSON already, so the file is one document a
person or ``jq`` can read; the ``tlog_proof`` member is the specification's own text format,
kept verbatim, so ``jq -r .tlog_proof`` gives a file that tools Kelisim did not write check.

Verifying (:func:`verify_proof_file`), each step failing with the SDK's errors and a message
that names it: the trusted root is self-signed; the file's root is that root, or its direct
successor signed by a threshold of its root keys and its own; that root lists the log
(``log.origin_prefix``, ``log.keys``) and the witnesses (``witnesses``,
``witness_threshold``); the tlog-proof's index is the record's ``seq`` - 1; the leaf is
rebuilt from the record (or request) and salt
(:func:`~client_sdk.protocol.logentry.record_leaf`); the tlog-proof's checkpoint has the
origin ``<origin_prefix>/<app>``, a log key's signature, at least ``witness_threshold``
witness cosignatures, and its inclusion proof binds the leaf to its root. Expiry is not
checked: a proof is evidence of the past.

API::

    PROOF_TYPE;  MAX_PROOF_FILE_BYTES
    ProofFile(app, record, salt, tlog_proof, root);  .to_bytes() -> bytes
    build_proof_file(app, record, salt, tlog_proof, root) -> bytes   # what the console and
                                                                     # client.proof() write
    parse_proof_file(data) -> ProofFile
    ProvenRecord(app, record_id, index, size, origin, root_version, witnesses, checkpoint,
                 entry="record")                   # entry "request": record_id is its id
    verify_proof_file(data, trusted_root) -> ProvenRecord
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from client_sdk.errors import FormatError, ProofError, RollbackError, SignatureError
from client_sdk.protocol.envelope import (
    PAYLOAD_ROOT,
    ParsedEnvelope,
    parse_envelope,
    verify_threshold,
)
from client_sdk.protocol.grammar import ID_RE
from client_sdk.protocol.jsonutil import loads_strict
from client_sdk.protocol.logentry import (
    CHAINED,
    REQUEST_CHAINED,
    REQUEST_ENTRY,
    SALT_SIZE,
    entry_id,
    record_leaf,
)
from client_sdk.protocol.model import Root
from client_sdk.protocol.reader import Reader
from client_sdk.protocol.rootlog import LOG_FIELDS, LogSpec, Witness, log_fields
from client_sdk.protocol.tlog.note import parse_vkey
from client_sdk.protocol.tlog.proof import MAX_PROOF_BYTES, parse_tlog_proof, verify_tlog_proof

__all__ = ["MAX_PROOF_FILE_BYTES", "PROOF_TYPE", "ProofFile", "ProvenRecord",
           "build_proof_file", "parse_proof_file", "verify_proof_file"]

PROOF_TYPE: Final = "kelisim.proof"
MAX_PROOF_FILE_BYTES: Final = 2 * MAX_PROOF_BYTES + 256 * 1024


@dataclass(frozen=True, slots=True)
class ProofFile:
    app: str
    record: Mapping[str, Any]
    salt: bytes
    tlog_proof: bytes
    root: bytes

    def to_bytes(self) -> bytes:
        return json.dumps({
            "_type": PROOF_TYPE, "spec_version": 1, "app": self.app,
            "record": dict(self.record), "salt": base64.b64encode(self.salt).decode(),
            "tlog_proof": self.tlog_proof.decode("utf-8"),
            "root": json.loads(self.root)}, indent=1, ensure_ascii=False).encode() + b"\n"


def build_proof_file(app: str, record: Mapping[str, Any], salt: bytes, tlog_proof: bytes,
                     root: bytes) -> bytes:
    """The one writer of proof files (the console's download and ``client.proof()``):
    ``record`` is exactly the record's chained fields (:data:`CHAINED`) or a request's
    (:data:`REQUEST_CHAINED`), ``tlog_proof`` the C2SP tlog-proof text, ``root`` the signed
    root envelope. The result parses with :func:`parse_proof_file` (checked here, so a
    writer cannot produce a file the verifier refuses as malformed).

    Raises:
        FormatError: a record with other fields (named), a bad salt, app id or root.
    """
    _entry(record)
    data = ProofFile(app, dict(record), salt, tlog_proof, root).to_bytes()
    parse_proof_file(data)
    return data


def _entry(record: Mapping[str, Any]) -> str:
    """``record`` or ``request``: which chained fields ``record`` has, exactly.

    Raises:
        FormatError: neither, naming the first field too many or missing (of the kind
            whose fields it is closest to).
    """
    names = set(record)
    kinds = (("record", set(CHAINED)), (REQUEST_ENTRY, set(REQUEST_CHAINED)))
    # The kind it differs least from (a record's fields with an "entry" added: a record
    # with one field too many); on a tie, a request's if it has "entry".
    said = REQUEST_ENTRY if "entry" in names else "record"
    what, expected = min(kinds, key=lambda k: (len(names ^ k[1]), k[0] != said))
    extra, missing = sorted(names - expected), sorted(expected - names)
    if extra:
        raise FormatError(f"is not a field of a {what}'s proof (it has exactly "
                          f"{sorted(expected)})", field=f"record.{extra[0]}")
    if missing:
        raise FormatError(f"is missing (a {what}'s proof has exactly {sorted(expected)})",
                          field=f"record.{missing[0]}")
    if what == REQUEST_ENTRY and record["entry"] != REQUEST_ENTRY:
        raise FormatError(f"must be {REQUEST_ENTRY!r}", field="record.entry")
    ident = "request_id" if what == REQUEST_ENTRY else "record_id"
    if not isinstance(record[ident], str):
        raise FormatError("must be a string", field=f"record.{ident}")
    seq = record["seq"]
    if type(seq) is not int or seq < 1:
        raise FormatError("must be a positive integer", field="record.seq")
    return what


@dataclass(frozen=True, slots=True)
class ProvenRecord:
    """What a verified proof file proves: the record ``record_id`` of ``app`` is leaf
    ``index`` of the log ``origin`` at tree ``size``, a checkpoint signed by the log key
    root ``root_version`` lists and cosigned by ``witnesses`` (name, timestamp).
    ``entry``: ``record``, or ``request`` (a request of the data subject; ``record_id``
    is the request's id)."""

    app: str
    record_id: str
    index: int
    size: int
    origin: str
    root_version: int
    witnesses: tuple[tuple[str, int], ...]
    checkpoint: bytes
    entry: str = "record"


def parse_proof_file(data: bytes) -> ProofFile:
    """The parts of a proof file, strictly; FormatError names the field."""
    if not isinstance(data, bytes) or len(data) > MAX_PROOF_FILE_BYTES:
        raise FormatError(f"is not bytes of at most {MAX_PROOF_FILE_BYTES}",
                          field="proof file")
    r = Reader(loads_strict(data, what="proof file"), "")
    r.only("_type", "spec_version", "app", "record", "salt", "tlog_proof", "root")
    if r.string("_type") != PROOF_TYPE:
        raise FormatError(f"must be {PROOF_TYPE!r}", field="_type")
    if r.integer("spec_version") != 1:
        raise FormatError("unsupported (this SDK reads 1)", field="spec_version")
    app = r.string("app")
    if not ID_RE.fullmatch(app):
        raise FormatError("is not an app id", field="app")
    record = dict(r.mapping("record"))
    _entry(record)
    try:
        salt = base64.b64decode(r.string("salt"), validate=True)
    except (binascii.Error, ValueError):
        raise FormatError("is not base64", field="salt") from None
    if len(salt) != SALT_SIZE:
        raise FormatError(f"must be {SALT_SIZE} bytes", field="salt")
    tlog_proof = r.string("tlog_proof").encode()
    root = json.dumps(r.mapping("root")).encode()
    return ProofFile(app, record, salt, tlog_proof, root)


def _root(env: ParsedEnvelope) -> tuple[Root, LogSpec | None, tuple[Witness, ...], int]:
    """A root payload with its log fields read apart (a root of before the log parses)."""
    payload = env.payload_json()
    if not isinstance(payload, dict):
        raise FormatError("must be an object", field="root")
    log, witnesses, threshold = log_fields(Reader(payload, ""))
    core = {k: v for k, v in payload.items() if k not in LOG_FIELDS}
    return Root.from_payload(core), log, witnesses, threshold


def _trusted(trusted_root: bytes, given: bytes
             ) -> tuple[Root, LogSpec | None, tuple[Witness, ...], int]:
    """The root to verify with: the trusted one (self-signed), or the file's root when it
    is the trusted root's direct successor."""
    trusted_env = parse_envelope(trusted_root, PAYLOAD_ROOT)
    trusted = _root(trusted_env)
    role = trusted[0].roles["root"]
    verify_threshold(trusted_env, trusted[0].keys, role.keyids, role.threshold,
                     role="trusted root (by its own keys)")
    env = parse_envelope(given, PAYLOAD_ROOT)
    theirs = _root(env)
    old, new = trusted[0], theirs[0]
    if new.version <= old.version:
        if new.version == old.version and env.payload != trusted_env.payload:
            raise SignatureError(f"the proof's root v{new.version} differs from the trusted "
                                 f"root v{old.version}: two roots of one version",
                                 role="root", threshold=role.threshold)
        return trusted
    if new.version != old.version + 1:
        raise RollbackError(f"the proof was made under root v{new.version}; pass root "
                            f"v{new.version - 1} or newer as the trusted root",
                            trusted=old.version, offered=new.version)
    verify_threshold(env, old.keys, role.keyids, role.threshold,
                     role=f"root v{new.version} (by v{old.version}'s keys)")
    own = new.roles["root"]
    verify_threshold(env, new.keys, own.keyids, own.threshold,
                     role=f"root v{new.version} (by its own keys)")
    return theirs


def verify_proof_file(data: bytes, trusted_root: bytes) -> ProvenRecord:
    """Verify a proof file against the root envelope bytes ``trusted_root``, offline.

    Raises:
        FormatError: a malformed file, root or tlog-proof; a root without a log; a
            checkpoint of another origin (another app or deployment).
        SignatureError: a root, log or witness signature that does not verify, too few
            witness cosignatures, or a root that is not the trusted one.
        RollbackError: a root too far from the trusted one to check.
        ProofError: the record is not in the signed tree, or the tlog-proof is for
            another leaf than its seq's (seq - 1).
    """
    proof = parse_proof_file(data)
    what = _entry(proof.record)
    root, log, witnesses, threshold = _trusted(trusted_root, proof.root)
    if log is None:
        raise FormatError(f"root v{root.version} lists no transparency log", field="root.log")
    index, seq = parse_tlog_proof(proof.tlog_proof).index, proof.record["seq"]
    if index != seq - 1:
        raise ProofError(f"the tlog-proof is for leaf {index}, the {what} is at seq {seq} "
                         f"(leaf {seq - 1})", kind="inclusion")
    origin = f"{log.origin_prefix}/{proof.app}"
    leaf = record_leaf(proof.salt, proof.record)
    failure: SignatureError | None = None
    cosigners = [parse_vkey(w.vkey) for w in witnesses]
    for key in (parse_vkey(k) for k in log.keys):
        try:
            verified = verify_tlog_proof(proof.tlog_proof, leaf, origin=origin, log_key=key,
                                         witnesses=cosigners,
                                         threshold=threshold)
        except SignatureError as exc:
            if exc.role != "log":
                raise
            failure = exc
            continue
        return ProvenRecord(proof.app, entry_id(proof.record), index,
                            verified.checkpoint.size, origin, root.version,
                            verified.cosigners, verified.note, what)
    assert failure is not None
    raise failure
