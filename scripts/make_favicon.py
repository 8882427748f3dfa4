"""Rebuild server/admin/static/favicon.ico from favicon.svg beside it: the SVG drawn by
Chromium (Playwright, Debian's /usr/bin/chromium) at 16, 32 and 48 px, each PNG frame kept
as is in the ICO container (Windows Vista and every current browser read PNG frames).

Run after changing the SVG: .venv/bin/python scripts/make_favicon.py
"""

from __future__ import annotations

import base64
import struct
from pathlib import Path

from playwright.sync_api import sync_playwright

STATIC = Path(__file__).resolve().parent.parent / "server" / "admin" / "static"
SIZES = (16, 32, 48)


def ico(frames: list[tuple[int, bytes]]) -> bytes:
    """An ICO file of PNG frames: ICONDIR, one ICONDIRENTRY per frame, then the PNGs."""
    header = struct.pack("<HHH", 0, 1, len(frames))
    offset = len(header) + 16 * len(frames)
    entries, data = b"", b""
    for size, png in frames:
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png),
                               offset + len(data))
        data += png
    return header + entries + data


def main() -> None:
    svg = (STATIC / "favicon.svg").read_bytes()
    src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    frames = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        for size in SIZES:
            page.set_viewport_size({"width": size, "height": size})
            page.set_content(f'<style>body{{margin:0}}</style><img src="{src}" '
                             f'width="{size}" height="{size}">')
            page.wait_for_function("document.images[0].complete")
            frames.append((size, page.locator("img").screenshot(omit_background=True)))
        browser.close()
    (STATIC / "favicon.ico").write_bytes(ico(frames))
    print(f"wrote {STATIC / 'favicon.ico'} ({', '.join(f'{s} px' for s in SIZES)})")


if __name__ == "__main__":
    main()
