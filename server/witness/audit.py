"""The auditor (``kelisim log audit``): checks a log from any mirror of its checkpoint and
tiles (``tlog-tiles``), and remembers every checkpoint it verified in a state file, so that
the next run proves the log only grew.

Steps, each an :class:`~server.witness.errors.AuditFailure` naming it:

1. ``checkpoint``: fetch ``<source>/checkpoint``; the origin, the log key's signature and,
   when witnesses are given, at least ``threshold`` of their cosignatures.
2. ``tiles``: fetch every tile of that size; each tile has its width's bytes, every hash of
   a tile above level 0 is the hash of the full tile below it, and the tree they make has the
   checkpoint's root.
3. ``consistency``: for every checkpoint of the state file, the new tree extends it (a proof
   computed from the tiles, checked with RFC 9162's algorithm). A smaller tree than one seen
   before is a rollback; the same size with another root, or a proof that fails, a fork.
   Either failure keeps both signed checkpoints in the state file (``evidence``).

4. ``entries`` (only with ``entries=True``: a consent log's private export, ``kelisim
   consents export-log`` or the console's entry bundles, or the policy log's public ones):
   every entry bundle ``tile/entries/<N>[.p/<W>]`` of that size; each entry's RFC 6962
   leaf hash is the leaf the tiles hold. Entries of a Kelisim consent log (32-byte salt,
   then a record's or a request's chained fields as canonical JSON) must name their own
   place (``seq`` = index + 1); they are counted by kind, as a policy log's roots and
   manifests are.

The source is an ``http(s)://`` URL (a timeout and a size cap per fetch, tiles 8 KiB and a
checkpoint 384 KiB), a ``file://`` URL or a directory.
"""

from __future__ import annotations

import json
import os
import stat
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from client_sdk.protocol import ConsentError, FormatError, ProofError, SignatureError
from client_sdk.protocol.jsonutil import canonical_bytes, loads_strict
from client_sdk.protocol.logentry import CHAINED, REQUEST_CHAINED, REQUEST_ENTRY, SALT_SIZE
from client_sdk.protocol.tlog.checkpoint import VerifiedCheckpoint, verify_checkpoint
from client_sdk.protocol.tlog.merkle import (
    HASH_SIZE,
    consistency_proof,
    leaf_hash,
    node_hash,
    tree_hash,
    verify_consistency,
)
from client_sdk.protocol.tlog.note import MAX_NOTE_BYTES, NoteVerifier
from client_sdk.protocol.tlog.tiles import (
    MAX_ENTRY_BYTES,
    TILE_WIDTH,
    Tile,
    entries_path,
    parse_entry_bundle,
    tile_hash_reader,
    tiles_for_size,
)
from server.witness.errors import AuditFailure

__all__ = ["MAX_TILES", "AuditReport", "Fetch", "audit", "fetcher"]

Fetch = Callable[[str, int], bytes]
MAX_TILES: Final = 100_000
_TILE_BYTES: Final = TILE_WIDTH * HASH_SIZE


def fetcher(source: str, *, timeout: float = 10.0) -> Fetch:
    """``fetch(path, limit)``: the bytes of ``path`` under ``source``, at most ``limit``."""
    parts = urlsplit(source)
    if parts.scheme in ("http", "https"):
        base = source.rstrip("/") + "/"

        def over_http(path: str, limit: int) -> bytes:
            url = base + path
            try:
                with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 (http(s))
                    data: bytes = r.read(limit + 1)
            except urllib.error.HTTPError as exc:
                raise AuditFailure(f"{url}: HTTP {exc.code}", step="fetch", path=path) \
                    from None
            except (urllib.error.URLError, OSError) as exc:
                raise AuditFailure(f"{url}: {getattr(exc, 'reason', exc)}", step="fetch",
                                   path=path) from None
            if len(data) > limit:
                raise AuditFailure(f"{url}: larger than {limit} bytes", step="fetch",
                                   path=path)
            return data

        return over_http
    if parts.scheme not in ("", "file"):
        raise AuditFailure(f"{source}: not http(s)://, file:// or a folder", step="fetch")
    root = Path(unquote(parts.path) if parts.scheme == "file" else source)

    def from_files(path: str, limit: int) -> bytes:
        target = root / path
        try:
            # Non-blocking, and a regular file only: a FIFO or a device in the folder
            # would make the audit wait, or read without end.
            fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise AuditFailure(f"{target}: not a regular file", step="fetch",
                                       path=path)
                data = f.read(limit + 1)
        except OSError as exc:
            raise AuditFailure(f"{target}: {exc.strerror}", step="fetch", path=path) from None
        if len(data) > limit:
            raise AuditFailure(f"{target}: larger than {limit} bytes", step="fetch", path=path)
        return data

    return from_files


@dataclass
class AuditReport:
    origin: str
    size: int
    root: bytes
    cosigners: tuple[tuple[str, int], ...]
    tiles: int
    consistent_with: list[int] = field(default_factory=list)
    new: bool = True
    # With entries: how many are a consent log's records and requests, and of no kind
    # Kelisim writes (another log's entries: only their hashes are checked).
    entries: dict[str, int] | None = None


def _load_state(path: Path | None, origin: str) -> dict[str, Any]:
    if path is None or not path.exists():
        return {"origin": origin, "checkpoints": [], "evidence": []}
    try:
        state = json.loads(path.read_text())
        assert isinstance(state, dict) and isinstance(state.get("checkpoints"), list)
    except (ValueError, AssertionError):
        raise AuditFailure(f"{path} is not an audit state file", step="state") from None
    if state.get("origin") != origin:
        raise AuditFailure(f"{path} is the state of {state.get('origin')!r}, not {origin!r}",
                           step="state")
    return state


def _save_state(path: Path | None, state: dict[str, Any]) -> None:
    if path is None:
        return
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w") as f:
        json.dump(state, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _check_tiles(tiles: dict[Tile, bytes]) -> None:
    for tile, data in tiles.items():
        if len(data) != tile.width * HASH_SIZE:
            raise AuditFailure(f"{tile.path()} has {len(data)} bytes, not "
                               f"{tile.width * HASH_SIZE}", step="tiles", tile=tile.path())
        if tile.level == 0:
            continue
        for j in range(tile.width):
            below = tiles.get(Tile(tile.level - 1, tile.index * TILE_WIDTH + j))
            if below is None or len(below) != _TILE_BYTES:
                raise AuditFailure(f"{tile.path()}: the full tile below entry {j} is missing",
                                   step="tiles", tile=tile.path())
            hashes = [below[i:i + HASH_SIZE] for i in range(0, _TILE_BYTES, HASH_SIZE)]
            while len(hashes) > 1:
                hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
            if hashes[0] != data[j * HASH_SIZE:(j + 1) * HASH_SIZE]:
                raise AuditFailure(f"{tile.path()} entry {j} is not the hash of the tile "
                                   f"below it: a tile was changed", step="tiles",
                                   tile=tile.path())


_POLICY_KEYS: Final = {"root": {"kind", "version", "sha256"},
                       "manifest": {"app", "kind", "seq", "sha256"}}


def _policy_kind(entry: bytes) -> str | None:
    """``root`` or ``manifest`` for a Kelisim policy-log entry (canonical JSON of its kind,
    number and payload hash: client_sdk/protocol/policylog.py), else None."""
    try:
        fields = loads_strict(entry, what="entry")
    except ConsentError:
        return None
    if isinstance(fields, dict) and canonical_bytes(fields) == entry and \
            set(fields) == _POLICY_KEYS.get(str(fields.get("kind")), set()):
        return str(fields["kind"])
    return None


def _entry_kind(entry: bytes, index: int) -> str:
    """``record`` or ``request`` for a Kelisim consent-log entry (which must name its own
    place), ``root`` or ``manifest`` for a policy-log entry, else ``other``."""
    policy = _policy_kind(entry) if entry[:1] == b"{" else None
    if policy is not None:
        return policy
    try:
        fields = loads_strict(entry[SALT_SIZE:], what="entry")
    except ConsentError:
        return "other"
    if not isinstance(fields, dict) or canonical_bytes(fields) != entry[SALT_SIZE:]:
        return "other"
    kind = "request" if fields.get("entry") == REQUEST_ENTRY else "record"
    if set(fields) != set(REQUEST_CHAINED if kind == "request" else CHAINED):
        return "other"
    if type(fields["seq"]) is not int or fields["seq"] != index + 1:
        raise AuditFailure(f"entry {index} is the {kind} of seq {fields['seq']!r}: an entry "
                           f"out of its place", step="entries", index=index)
    return kind


def _check_entries(fetch: Fetch, tiles: dict[Tile, bytes]) -> dict[str, int]:
    """Step 4: every entry bundle of the tree, against the leaves of the level-0 tiles."""
    counts = {"record": 0, "request": 0, "root": 0, "manifest": 0, "other": 0}
    for tile in sorted((t for t in tiles if t.level == 0), key=lambda t: t.index):
        path = entries_path(tile)
        try:
            entries = parse_entry_bundle(fetch(path, tile.width * (MAX_ENTRY_BYTES + 2)),
                                         tile.width)
        except FormatError as exc:
            raise AuditFailure(f"{path}: {exc}", step="entries", tile=path) from None
        leaves = tiles[tile]
        for j, entry in enumerate(entries):
            index = tile.index * TILE_WIDTH + j
            if leaf_hash(entry) != leaves[j * HASH_SIZE:(j + 1) * HASH_SIZE]:
                raise AuditFailure(f"{path}: entry {index} does not hash to its leaf: an "
                                   f"entry was changed, or is not this log's",
                                   step="entries", index=index)
            counts[_entry_kind(entry, index)] += 1
    return counts


def _evidence(state: dict[str, Any], kind: str, old: dict[str, Any], new_note: bytes,
              path: Path | None) -> None:
    state.setdefault("evidence", []).append(
        {"kind": kind, "checkpoints": [old["note"], new_note.decode()]})
    _save_state(path, state)


def audit(fetch: Fetch, *, origin: str, log_key: NoteVerifier,
          witnesses: Sequence[NoteVerifier] = (), threshold: int = 0,
          state_path: Path | None = None, entries: bool = False) -> AuditReport:
    """Run the three steps (four with ``entries``); on success the checkpoint joins the
    state file."""
    state = _load_state(state_path, origin)
    note = fetch("checkpoint", MAX_NOTE_BYTES)
    try:
        checked: VerifiedCheckpoint = verify_checkpoint(
            note, origin=origin, log_key=log_key, witnesses=witnesses, threshold=threshold)
    except SignatureError as exc:
        raise AuditFailure(f"checkpoint: {exc}", step=f"checkpoint signature ({exc.role})") \
            from None
    except FormatError as exc:
        raise AuditFailure(f"checkpoint: {exc}", step="checkpoint") from None
    cp = checked.checkpoint
    wanted = tiles_for_size(cp.size)
    if len(wanted) > MAX_TILES:
        raise AuditFailure(f"a tree of {cp.size} leaves has more than {MAX_TILES} tiles",
                           step="tiles")
    tiles = {t: fetch(t.path(), _TILE_BYTES) for t in wanted}
    _check_tiles(tiles)
    reader = tile_hash_reader(cp.size, lambda ts: [tiles[t] for t in ts])
    try:
        if tree_hash(cp.size, reader) != cp.root_hash:
            raise AuditFailure("the tiles do not make the checkpoint's root", step="tiles")
    except (FormatError, KeyError) as exc:
        raise AuditFailure(f"the tiles do not make a tree of {cp.size}: {exc}", step="tiles") \
            from None
    report = AuditReport(origin, cp.size, cp.root_hash, checked.cosigners, len(tiles))
    if entries:
        report.entries = _check_entries(fetch, tiles)
    for old in sorted(state["checkpoints"], key=lambda c: c["size"]):
        if old["size"] > cp.size:
            _evidence(state, "rollback", old, note, state_path)
            raise AuditFailure(f"rollback: the log shows size {cp.size}, smaller than size "
                               f"{old['size']} seen before (a log only grows; this may be "
                               f"another history too)", step="consistency",
                               evidence=[old["note"], note.decode()])
        try:
            verify_consistency(old["size"], cp.size, bytes.fromhex(old["root"]),
                               cp.root_hash, consistency_proof(old["size"], cp.size, reader))
        except (ProofError, ConsentError) as exc:
            _evidence(state, "fork", old, note, state_path)
            raise AuditFailure(f"fork: the tree of {cp.size} does not extend the checkpoint "
                               f"of size {old['size']} seen before: {exc}",
                               step="consistency", evidence=[old["note"], note.decode()]) \
                from None
        report.consistent_with.append(old["size"])
    if any(old["size"] == cp.size for old in state["checkpoints"]):
        report.new = False
    else:
        state["checkpoints"].append({"size": cp.size, "root": cp.root_hash.hex(),
                                     "note": note.decode()})
        _save_state(state_path, state)
    return report
