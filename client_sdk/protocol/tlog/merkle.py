"""RFC 6962 Merkle trees (SHA-256): hashing, building, proving and verifying.

A tree of ``size`` leaves is addressed by its *complete subtrees*: ``(level, index)`` is the
hash of leaves ``[index * 2**level, (index + 1) * 2**level)``; ``(0, i)`` is leaf ``i``'s hash.
Those hashes never change once the tree has grown over them, so they are what a log stores
and what tiles publish (:mod:`.tiles`). Whoever proves reads them through a
:data:`HashReader`, in one batch per call, so that a database answers in one query.

Verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency). A proof that
does not hold is a :class:`~client_sdk.errors.ProofError`; a hash that is not 32 bytes, or a
size or index out of range, a :class:`~client_sdk.errors.FormatError`.

API::

    leaf_hash(data) -> bytes;  node_hash(left, right) -> bytes;  EMPTY_ROOT
    HashReader = Callable[[Sequence[tuple[int, int]]], Sequence[bytes]]
    append_hashes(size, leaf_hashes, reader) -> list[tuple[int, int, bytes]]
    tree_hash(size, reader) -> bytes
    inclusion_proof(index, size, reader) -> list[bytes]
    inclusion_proofs(indexes, size, reader) -> list[list[bytes]]
    consistency_proof(old_size, new_size, reader) -> list[bytes]
    root_from_inclusion(index, size, leaf, proof) -> bytes
    verify_inclusion(index, size, leaf, proof, root)
    verify_consistency(old_size, new_size, old_root, new_root, proof)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Final

from client_sdk.errors import FormatError, ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_PROOF_HASHES",
    "MAX_TREE_SIZE",
    "HashReader",
    "append_hashes",
    "consistency_proof",
    "inclusion_proof",
    "inclusion_proofs",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion",
    "tree_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE: Final = 32
#: Go's tlog and the checkpoint spec count leaves in a signed 64-bit integer.
MAX_TREE_SIZE: Final = 2**63 - 1
#: No proof in a tree of at most 2**63 - 1 leaves is longer (RFC 9162: ceil(log2 n) + 1).
MAX_PROOF_HASHES: Final = 64
#: The root of the empty tree: SHA-256 of nothing (RFC 6962 §2.1).
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()

#: Reads complete-subtree hashes: ``[(level, index), ...]`` in, their hashes in that order
#: out. It raises what its store raises for a hash it does not hold.
HashReader = Callable[[Sequence[tuple[int, int]]], Sequence[bytes]]


def leaf_hash(data: bytes) -> bytes:
    """MTH of one entry: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_size(size: int, field: str) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_TREE_SIZE:
        raise FormatError(f"must be an integer from 0 to {MAX_TREE_SIZE}", field=field)


def _check_hash(value: bytes, field: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise FormatError(f"must be a {HASH_SIZE}-byte SHA-256 hash", field=field)


def _check_proof(proof: Sequence[bytes]) -> None:
    if len(proof) > MAX_PROOF_HASHES:
        raise FormatError(f"has {len(proof)} hashes, more than {MAX_PROOF_HASHES}", field="proof")
    for i, h in enumerate(proof):
        _check_hash(h, f"proof[{i}]")


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2): RFC 6962's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtrees(lo: int, hi: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` as RFC 6962 splits it, down to complete subtrees, left to right."""
    out: list[tuple[int, int]] = []
    stack = [(lo, hi)]
    while stack:
        a, b = stack.pop()
        n = b - a
        if n & (n - 1) == 0 and a % n == 0:
            level = n.bit_length() - 1
            out.append((level, a >> level))
        else:
            k = _split(n)
            stack.append((a + k, b))
            stack.append((a, a + k))
    return out


def _fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its complete subtrees (sizes strictly decreasing, left to right)."""
    h = hashes[-1]
    for left in reversed(hashes[:-1]):
        h = node_hash(left, h)
    return h


def _read(reader: HashReader, wanted: Sequence[tuple[int, int]]) -> list[bytes]:
    got = list(reader(wanted)) if wanted else []
    if len(got) != len(wanted):
        raise FormatError(f"answered {len(got)} hashes for {len(wanted)}", field="hash reader")
    for (level, index), h in zip(wanted, got, strict=True):
        _check_hash(h, f"hash ({level}, {index})")
    return got


class _Plan:
    """Range hashes a proof needs, read from a :data:`HashReader` in one batch."""

    def __init__(self) -> None:
        self.ranges: list[tuple[int, int]] = []

    def add(self, lo: int, hi: int) -> None:
        self.ranges.append((lo, hi))

    def run(self, reader: HashReader) -> list[bytes]:
        # A range several proofs share is split and folded once.
        parts = {r: _subtrees(*r) for r in dict.fromkeys(self.ranges)}
        wanted = sorted({s for p in parts.values() for s in p})
        by_key = dict(zip(wanted, _read(reader, wanted), strict=True))
        folded = {r: by_key[p[0]] if len(p) == 1 else _fold([by_key[s] for s in p])
                  for r, p in parts.items()}
        return [folded[r] for r in self.ranges]


def append_hashes(size: int, leaf_hashes: Sequence[bytes],
                  reader: HashReader) -> list[tuple[int, int, bytes]]:
    """The complete-subtree hashes a tree of ``size`` leaves gains by appending
    ``leaf_hashes``, as ``(level, index, hash)`` (the leaves themselves are level 0).

    ``reader`` is asked only for left siblings that lie in the first ``size`` leaves."""
    _check_size(size, "size")
    _check_size(size + len(leaf_hashes), "new size")
    new: dict[tuple[int, int], bytes] = {}
    needed: set[tuple[int, int]] = set()
    for i in range(len(leaf_hashes)):
        n = size + i
        level = 0
        while (n >> level) & 1:
            sibling = (level, (n >> level) - 1)
            if (sibling[1] + 1) << level <= size:
                needed.add(sibling)
            level += 1
    ordered = sorted(needed)
    old = dict(zip(ordered, _read(reader, ordered), strict=True))
    out: list[tuple[int, int, bytes]] = []
    for i, leaf in enumerate(leaf_hashes):
        _check_hash(leaf, f"leaf_hashes[{i}]")
        n = size + i
        h, level = leaf, 0
        new[(0, n)] = h
        out.append((0, n, h))
        while (n >> level) & 1:
            sibling = (level, (n >> level) - 1)
            left = new.get(sibling) or old[sibling]
            h = node_hash(left, h)
            level += 1
            new[(level, n >> level)] = h
            out.append((level, n >> level, h))
    return out


def tree_hash(size: int, reader: HashReader) -> bytes:
    """The root hash of the first ``size`` leaves (EMPTY_ROOT for 0)."""
    _check_size(size, "size")
    if size == 0:
        return EMPTY_ROOT
    plan = _Plan()
    plan.add(0, size)
    return plan.run(reader)[0]


def _inclusion_ranges(index: int, lo: int, hi: int, plan: _Plan) -> None:
    # RFC 9162 §2.1.3.1 PATH(m, D[lo:hi]); appended leaf side first.
    ranges: list[tuple[int, int]] = []
    m = index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m - lo < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo = lo + k
    for r in reversed(ranges):
        plan.add(*r)


def inclusion_proof(index: int, size: int, reader: HashReader) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1),
    from the leaf's sibling up to the root's child."""
    return inclusion_proofs([index], size, reader)[0]


def inclusion_proofs(indexes: Sequence[int], size: int, reader: HashReader
                     ) -> list[list[bytes]]:
    """:func:`inclusion_proof` of each of ``indexes`` in the same tree, made together: the
    hashes all of them need read in one batch, and a range several of them share (the
    leaves a group appended share most of theirs) hashed once."""
    _check_size(size, "size")
    plan = _Plan()
    lengths = []
    for index in indexes:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
            raise FormatError(f"must be from 0 to {size - 1}", field="index")
        before = len(plan.ranges)
        _inclusion_ranges(index, 0, size, plan)
        lengths.append(len(plan.ranges) - before)
    hashes = plan.run(reader)
    out = []
    at = 0
    for n in lengths:
        out.append(hashes[at:at + n])
        at += n
    return out


def consistency_proof(old_size: int, new_size: int, reader: HashReader) -> list[bytes]:
    """The proof that the tree of ``new_size`` leaves extends that of ``old_size``
    (RFC 9162 §2.1.4.1); empty when ``old_size`` is 0 or equals ``new_size``."""
    _check_size(old_size, "old_size")
    _check_size(new_size, "new_size")
    if old_size > new_size:
        raise FormatError(f"{old_size} is larger than new_size {new_size}", field="old_size")
    if old_size in (0, new_size):
        return []
    # SUBPROOF(m, D[lo:hi], b), unrolled; the ranges come out root side first.
    ranges: list[tuple[int, int]] = []
    lo, hi, m, whole = 0, new_size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            m -= k
            lo += k
            whole = False
    if not whole:
        ranges.append((lo, hi))
    plan = _Plan()
    for r in reversed(ranges):
        plan.add(*r)
    return plan.run(reader)


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` makes of ``leaf`` at ``index`` in a tree of ``size``
    (RFC 9162 §2.1.3.2); :class:`ProofError` when the path has the wrong length."""
    _check_size(size, "size")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of {size} leaves", kind="inclusion")
    _check_hash(leaf, "leaf")
    _check_proof(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError(f"the proof is longer than a tree of {size} leaves needs",
                             kind="inclusion")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"the proof is shorter than a tree of {size} leaves needs",
                         kind="inclusion")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                     root: bytes) -> None:
    """Checks that ``leaf`` is entry ``index`` of the tree of ``size`` leaves whose root is
    ``root``; raises :class:`ProofError` if not."""
    _check_hash(root, "root")
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"entry {index} is not in the tree of {size} leaves with this root",
                         kind="inclusion")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> None:
    """Checks that the tree (``new_size``, ``new_root``) extends (``old_size``,
    ``old_root``) (RFC 9162 §2.1.4.2); raises :class:`ProofError` if not."""
    _check_size(old_size, "old_size")
    _check_size(new_size, "new_size")
    _check_hash(old_root, "old_root")
    _check_hash(new_root, "new_root")
    _check_proof(proof)

    def fail(why: str) -> ProofError:
        return ProofError(f"the tree of {new_size} leaves is not consistent with the tree of "
                          f"{old_size}: {why}", kind="consistency")

    if old_size > new_size:
        raise fail("the older tree is larger")
    if old_size == 0:
        if old_root != EMPTY_ROOT:
            raise fail("an empty tree's root is SHA-256 of nothing")
        if proof:
            raise fail("an empty tree needs no proof")
        return
    if old_size == new_size:
        if proof:
            raise fail("equal sizes need no proof")
        if old_root != new_root:
            raise fail("equal sizes with different roots")
        return
    if not proof:
        raise fail("the proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise fail("the proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise fail("the proof is too short")
    if fr != old_root:
        raise fail("it does not lead to the older root")
    if sr != new_root:
        raise fail("it does not lead to the newer root")
