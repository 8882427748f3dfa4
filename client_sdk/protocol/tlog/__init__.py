"""Transparency logs to the C2SP specifications: RFC 6962 Merkle trees (:mod:`.merkle`),
tiles (:mod:`.tiles`, ``tlog-tiles``), signed notes and verifier keys (:mod:`.note`,
``signed-note``), checkpoints and cosignatures (:mod:`.checkpoint`, ``tlog-checkpoint``,
``tlog-cosignature``) and proof files (:mod:`.proof`, ``tlog-proof``).

Pure: bytes and values in, no I/O; the server builds trees with it, the SDK verifies. It
imports only the standard library and :mod:`client_sdk.protocol.ed25519` (``cryptography``
when present, else securesystemslib's pure-Python Ed25519). Malformed input is a
:class:`~client_sdk.errors.FormatError`, a bad signature a
:class:`~client_sdk.errors.SignatureError`, a proof that does not hold a
:class:`~client_sdk.errors.ProofError`. docs/transparency.md describes it.
"""

from client_sdk.protocol.tlog.checkpoint import (
    Checkpoint,
    VerifiedCheckpoint,
    add_cosignature,
    parse_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
)
from client_sdk.protocol.tlog.merkle import (
    EMPTY_ROOT,
    HashReader,
    append_hashes,
    consistency_proof,
    inclusion_proof,
    inclusion_proofs,
    leaf_hash,
    node_hash,
    root_from_inclusion,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)
from client_sdk.protocol.tlog.note import (
    SIG_COSIGNATURE,
    SIG_ED25519,
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    OpenedNote,
    key_id,
    open_note,
    parse_note,
    parse_vkey,
    sign_note,
)
from client_sdk.protocol.tlog.proof import TlogProof, parse_tlog_proof, verify_tlog_proof
from client_sdk.protocol.tlog.tiles import (
    Tile,
    new_tiles,
    parse_tile_path,
    tile_data,
    tile_hash_reader,
    tiles_for_size,
)

__all__ = [
    "EMPTY_ROOT",
    "SIG_COSIGNATURE",
    "SIG_ED25519",
    "Checkpoint",
    "HashReader",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "OpenedNote",
    "Tile",
    "TlogProof",
    "VerifiedCheckpoint",
    "add_cosignature",
    "append_hashes",
    "consistency_proof",
    "inclusion_proof",
    "inclusion_proofs",
    "key_id",
    "leaf_hash",
    "new_tiles",
    "node_hash",
    "open_note",
    "parse_checkpoint",
    "parse_note",
    "parse_tile_path",
    "parse_tlog_proof",
    "parse_vkey",
    "root_from_inclusion",
    "sign_checkpoint",
    "sign_note",
    "tile_data",
    "tile_hash_reader",
    "tiles_for_size",
    "tree_hash",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_tlog_proof",
]
