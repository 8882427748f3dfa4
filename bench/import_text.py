"""Plain-text import: the time of `kelisim import`'s conversion of a hard-wrapped policy at
two sizes, and their ratio.

A plain-text policy becomes Markdown in `kelisim import` and the console's upload
(server.policy.importing.importer.import_document: language detection per paragraph, then
text.text_to_markdown). One paragraph hard-wrapped over many lines was joined line by
line into a new string each time: doubling the lines quadrupled the time (1M lines 39 s,
500k 10.5 s: 3.7x). Linear conversion keeps the ratio near 2. The file limits
(IMPORT_*, twice MAX_DOCUMENT_BYTES of text) are lifted here to measure the conversion.

    python bench/import_text.py [--lines 40000] [--rounds 3]

Prints the median seconds of each size and their ratio (the larger over the smaller;
~2 is linear, ~4 quadratic).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.policy.importing.formats import ImportLimits
from server.policy.importing.importer import import_document

_NO_LIMITS = ImportLimits(max_text_bytes=2**62, max_seconds=1e9)


def policy(lines: int) -> bytes:
    # Half the lines are one paragraph hard-wrapped from start to end; the rest ordinary
    # paragraphs of eight wrapped lines.
    out = ["PRIVACY POLICY", ""]
    out += ["we keep the data you give us for one year and then"] * (lines // 2) + [
        "delete it.", ""]
    while len(out) < lines:
        out += ["we keep the data you give us for one year and then"] * 8 + [
            "delete it.", ""]
    return "\n".join(out).encode()


def timed(data: bytes, rounds: int) -> float:
    runs = []
    for _ in range(rounds):
        start = time.perf_counter()
        import_document(data, "policy.txt", locale="en", limits=_NO_LIMITS,
                        max_document_bytes=2**62)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    small, large = policy(args.lines), policy(2 * args.lines)
    t_small, t_large = timed(small, args.rounds), timed(large, args.rounds)
    print(f"{args.lines:>9,} lines: {t_small:7.3f} s")
    print(f"{2 * args.lines:>9,} lines: {t_large:7.3f} s")
    print(f"ratio (2x the lines): {t_large / t_small:.2f}  (2 = linear, 4 = quadratic)")


if __name__ == "__main__":
    main()
