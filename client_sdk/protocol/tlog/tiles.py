"""Tiles (C2SP ``tlog-tiles``): the Merkle tree published as static, immutable files.

A tile at level ``L`` with index ``N`` holds up to 256 consecutive hashes of the tree at
Merkle level ``8 * L``: entry ``i`` is the complete subtree ``(8 * L, N * 256 + i)`` (see
:mod:`.merkle`). Full tiles are 256 hashes (8,192 bytes); the rightmost tile of a level is
*partial* for most tree sizes, 1 to 255 hashes wide, and has its width in the path::

    tile/<L>/<N>[.p/<W>]      N in 3-digit groups, all but the last prefixed with x:
                              1234067 -> x001/x234/067;  tile/0/x001/x234/067.p/12

A consent log publishes hash tiles only. The spec's entry bundles
(``tile/entries/<N>[.p/<W>]``: the entries of leaves ``N * 256`` to ``N * 256 + W - 1``,
each a big-endian uint16 length then the entry's bytes) are not public there: the entries
are consent records and requests, personal data that stays private to the operator and the
subject; a leaf is a salted hash of one, so the hashes reveal nothing. The operator exports
them (``kelisim consents export-log``, the console's entry bundles for owners and
auditors), and an auditor given them checks each against the public tiles (``kelisim log
audit --entries``). The policy log's entries (hashes of signed roots and manifests) are
public, served beside its tiles.

A hash read from tiles is only as good as the tiles: compare ``tree_hash(size, reader)``
with a verified checkpoint's root, and verify every proof against that root.

API::

    TILE_HEIGHT (8), TILE_WIDTH (256), MAX_TILE_LEVEL (63)
    Tile(level, index, width=256);  tile.path() -> str;  tile.full -> bool
    parse_tile_path(path) -> Tile                 (FormatError for anything non-canonical)
    tiles_for_size(size) -> list[Tile]            every tile of a tree of that size
    new_tiles(old_size, new_size) -> list[Tile]   the tiles growing from one to the other adds
    tile_data(tile, reader) -> bytes              the tile's bytes from stored hashes
    tile_hash_reader(size, read_tiles) -> HashReader
    entries_path(tile) -> str                     tile/entries/... of a level-0 tile's leaves
    parse_entries_path(path) -> Tile              the level-0 tile an entry bundle's path names
    entry_bundle(entries) -> bytes;  parse_entry_bundle(data, width) -> list[bytes]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from client_sdk.errors import FormatError
from client_sdk.protocol.tlog.merkle import (
    HASH_SIZE,
    MAX_TREE_SIZE,
    HashReader,
    node_hash,
)

__all__ = [
    "MAX_ENTRY_BYTES",
    "MAX_TILE_LEVEL",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "Tile",
    "TileReader",
    "entries_path",
    "entry_bundle",
    "new_tiles",
    "parse_entries_path",
    "parse_entry_bundle",
    "parse_tile_path",
    "tile_data",
    "tile_hash_reader",
    "tiles_for_size",
]

TILE_HEIGHT: Final = 8
TILE_WIDTH: Final = 1 << TILE_HEIGHT
MAX_TILE_LEVEL: Final = 63
_MAX_PATH: Final = 128
#: The largest entry an entry bundle can hold (its length is a uint16).
MAX_ENTRY_BYTES: Final = 0xFFFF

#: Reads tiles: ``[Tile, ...]`` in, their bytes in that order out.
TileReader = Callable[[Sequence["Tile"]], Sequence[bytes]]


@dataclass(frozen=True, slots=True)
class Tile:
    """Tile ``index`` at tile level ``level``, ``width`` hashes wide (256: full)."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not 0 <= self.level <= MAX_TILE_LEVEL:
            raise FormatError(f"must be from 0 to {MAX_TILE_LEVEL}", field="tile level")
        if not 0 <= self.index <= MAX_TREE_SIZE >> TILE_HEIGHT:
            raise FormatError("is out of range", field="tile index")
        if not 1 <= self.width <= TILE_WIDTH:
            raise FormatError(f"must be from 1 to {TILE_WIDTH}", field="tile width")

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    def path(self) -> str:
        """The tile's path under the log's prefix, e.g. ``tile/1/x001/234.p/7``."""
        digits = f"{self.index:d}"
        digits = "0" * (-len(digits) % 3) + digits
        groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
        n = "/".join([*("x" + g for g in groups[:-1]), groups[-1]])
        suffix = "" if self.full else f".p/{self.width}"
        return f"tile/{self.level}/{n}{suffix}"


def _decimal(text: str, field: str) -> int:
    if not text.isascii() or not text.isdigit() or (len(text) > 1 and text[0] == "0"):
        raise FormatError(f"{text!r} is not a decimal without leading zeros", field=field)
    return int(text)


def parse_tile_path(path: str) -> Tile:
    """The tile a path names (``tile/<L>/<N>[.p/<W>]``, relative to the log's prefix).
    Only the canonical spelling is accepted; entry bundles are not served."""
    if not isinstance(path, str) or len(path) > _MAX_PATH:
        raise FormatError(f"is not a tile path of at most {_MAX_PATH} characters",
                          field="tile path")
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise FormatError(f"{path!r} is not tile/<L>/<N>[.p/<W>]", field="tile path")
    if parts[1] == "entries":
        raise FormatError("entry bundles are not published (the entries are private)",
                          field="tile path")
    level = _decimal(parts[1], "tile level")
    rest = parts[2:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        width = _decimal(rest[-1], "tile width")
        if not 1 <= width < TILE_WIDTH:
            raise FormatError(f"must be from 1 to {TILE_WIDTH - 1}", field="tile width")
        rest = [*rest[:-2], rest[-2][:-2]]
    digits = ""
    for i, group in enumerate(rest):
        last = i == len(rest) - 1
        if not last:
            if not group.startswith("x"):
                raise FormatError(f"{path!r}: {group!r} must start with x", field="tile path")
            group = group[1:]
        if len(group) != 3 or not group.isascii() or not group.isdigit():
            raise FormatError(f"{path!r}: {group!r} is not three digits", field="tile path")
        digits += group
    tile = Tile(level, int(digits), width)
    if tile.path() != path:
        raise FormatError(f"{path!r} is not canonical ({tile.path()!r})", field="tile path")
    return tile


def _check_size(size: int, field: str) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_TREE_SIZE:
        raise FormatError(f"must be an integer from 0 to {MAX_TREE_SIZE}", field=field)


def _level_tiles(level: int, old_count: int, new_count: int) -> list[Tile]:
    first = old_count // TILE_WIDTH
    # The old partial tile is unchanged when this level gained no hash.
    if old_count == new_count:
        return []
    out = [Tile(level, n) for n in range(first, new_count // TILE_WIDTH)]
    if new_count % TILE_WIDTH:
        out.append(Tile(level, new_count // TILE_WIDTH, new_count % TILE_WIDTH))
    return out


def new_tiles(old_size: int, new_size: int) -> list[Tile]:
    """The tiles (full and partial) that the tree of ``new_size`` has and that of
    ``old_size`` has not: what to publish after growing."""
    _check_size(old_size, "old_size")
    _check_size(new_size, "new_size")
    if old_size > new_size:
        raise FormatError(f"{old_size} is larger than new_size {new_size}", field="old_size")
    out: list[Tile] = []
    level = 0
    while new_size >> (TILE_HEIGHT * level):
        shift = TILE_HEIGHT * level
        out += _level_tiles(level, old_size >> shift, new_size >> shift)
        level += 1
    return out


def tiles_for_size(size: int) -> list[Tile]:
    """Every tile of a tree of ``size`` leaves: per level, the full tiles and the partial one."""
    return new_tiles(0, size)


def tile_data(tile: Tile, reader: HashReader) -> bytes:
    """The bytes of ``tile``: its hashes read from stored complete-subtree hashes."""
    level = TILE_HEIGHT * tile.level
    start = tile.index * TILE_WIDTH
    hashes = list(reader([(level, start + i) for i in range(tile.width)]))
    if len(hashes) != tile.width or any(len(h) != HASH_SIZE for h in hashes):
        raise FormatError(f"did not answer {tile.width} hashes for {tile.path()}",
                          field="hash reader")
    return b"".join(hashes)


def _tile_for(level: int, index: int, size: int) -> Tile:
    count = size >> (TILE_HEIGHT * level)
    n = index // TILE_WIDTH
    width = TILE_WIDTH if (n + 1) * TILE_WIDTH <= count else count % TILE_WIDTH
    return Tile(level, n, width)


def tile_hash_reader(size: int, read_tiles: TileReader) -> HashReader:
    """A :data:`~.merkle.HashReader` over the tiles of a tree of ``size`` leaves: each
    complete subtree is hashed up from the tile entries under it, each tile read once per
    call (and its length checked)."""
    _check_size(size, "size")

    def read(wanted: Sequence[tuple[int, int]]) -> list[bytes]:
        spans: list[tuple[Tile, int, int]] = []
        for level, index in wanted:
            if level < 0 or index < 0 or (index + 1) << level > size:
                raise FormatError(f"({level}, {index}) is not a complete subtree of a tree "
                                  f"of {size} leaves", field="hash reader")
            sub = level % TILE_HEIGHT
            first = index << sub
            tile = _tile_for(level // TILE_HEIGHT, first, size)
            offset = first % TILE_WIDTH
            spans.append((tile, offset, offset + (1 << sub)))
        tiles = sorted({t for t, _, _ in spans}, key=lambda t: (t.level, t.index))
        data = dict(zip(tiles, read_tiles(tiles), strict=True))
        for tile, blob in data.items():
            if len(blob) != tile.width * HASH_SIZE:
                raise FormatError(f"has {len(blob)} bytes, not {tile.width * HASH_SIZE}",
                                  field=tile.path())
        out = []
        for tile, lo, hi in spans:
            blob = data[tile]
            hashes = [blob[i * HASH_SIZE:(i + 1) * HASH_SIZE] for i in range(lo, hi)]
            while len(hashes) > 1:
                hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
            out.append(hashes[0])
        return out

    return read


def entries_path(tile: Tile) -> str:
    """The path of the entry bundle of the leaves a level-0 ``tile`` covers:
    ``tile/entries/<N>[.p/<W>]``."""
    if tile.level != 0:
        raise FormatError("only a level-0 tile covers leaves", field="tile level")
    return "tile/entries/" + tile.path()[len("tile/0/"):]


def parse_entries_path(path: str) -> Tile:
    """The level-0 tile whose leaves the entry bundle ``path`` (``tile/entries/<N>[.p/<W>]``,
    canonical) holds; FormatError for anything else."""
    if not isinstance(path, str) or not path.startswith("tile/entries/"):
        raise FormatError(f"{str(path)[:80]!r} is not tile/entries/<N>[.p/<W>]",
                          field="entries path")
    tile = parse_tile_path("tile/0/" + path[len("tile/entries/"):])
    if entries_path(tile) != path:  # pragma: no cover - parse_tile_path is canonical
        raise FormatError(f"{path!r} is not canonical", field="entries path")
    return tile


def entry_bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle of ``entries`` (1 to 256 of them, each at most
    :data:`MAX_ENTRY_BYTES`)."""
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise FormatError(f"must hold 1 to {TILE_WIDTH} entries", field="entry bundle")
    out = bytearray()
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_BYTES:
            raise FormatError(f"is {len(entry)} bytes, over {MAX_ENTRY_BYTES}",
                              field=f"entry {i}")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def parse_entry_bundle(data: bytes, width: int) -> list[bytes]:
    """The ``width`` entries of an entry bundle; FormatError when it holds fewer, more,
    or ends inside one."""
    out: list[bytes] = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise FormatError(f"ends inside the length of entry {len(out)}",
                              field="entry bundle")
        n = int.from_bytes(data[at:at + 2], "big")
        if at + 2 + n > len(data):
            raise FormatError(f"ends inside entry {len(out)}", field="entry bundle")
        out.append(bytes(data[at + 2:at + 2 + n]))
        at += 2 + n
    if len(out) != width:
        raise FormatError(f"holds {len(out)} entries, not {width}", field="entry bundle")
    return out
