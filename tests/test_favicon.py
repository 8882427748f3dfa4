"""The site icon from the real server: browsers ask for /favicon.ico on every console page,
so it must be a real, cached icon (not a 404), and the console's pages link it."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from builders import server_env
from livesrv import free_port, get, kelisim_here, running

pytestmark = pytest.mark.slow
PNG = b"\x89PNG\r\n\x1a\n"


def frames(ico: bytes) -> list[tuple[int, bytes]]:
    """(size, image) of each frame of an ICO file, checked against its directory."""
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 1
    out = []
    for i in range(count):
        w, h, _, _, planes, bpp, size, offset = struct.unpack(
            "<BBBBHHII", ico[6 + 16 * i:22 + 16 * i])
        assert w == h and planes == 1 and bpp == 32 and offset + size <= len(ico)
        out.append((w, ico[offset:offset + size]))
    return out


def test_favicon_is_a_real_cached_icon_and_the_console_links_it(tmp_path: Path) -> None:
    env = server_env(tmp_path / "instance")
    kelisim_here(env, "db", "upgrade")
    kelisim_here(env, "keys", "init")  # /healthz answers 200 once there is a root
    port = free_port()
    with running(env, port):
        status, headers, body = get(port, "/favicon.ico")
        assert status == 200, body[:200]
        assert headers["content-type"] == "image/x-icon"
        assert headers["cache-control"] == "public, max-age=604800"
        found = frames(body)
        assert [size for size, _ in found] == [16, 32, 48]
        for size, image in found:
            assert image.startswith(PNG)
            assert struct.unpack(">II", image[16:24]) == (size, size)  # IHDR width, height
        again = get(port, "/favicon.ico", {"If-None-Match": headers["etag"]})
        assert again[0] == 304 and again[2] == b""
        # Every console page links the icon and an SVG of it.
        status, _, page = get(port, "/admin/login")
        assert status == 200
        links = re.findall(rb'<link rel="icon" href="([^"]+)"', page)
        assert links[0] == b"/favicon.ico"
        status, headers, svg = get(port, links[1].decode())
        assert status == 200 and headers["content-type"].startswith("image/svg+xml")
        assert svg.startswith(b"<svg ") and b"viewBox" in svg
