"""What ``python -m demo_app`` settles before Kivy opens its window: the window's shape and
the server the demo talks to. Nothing here imports Kivy's window (the size must be set
before it exists), and the server's address follows the same ``KELISIM_HOST`` and
``KELISIM_PORT`` that ``kelisim serve`` (``make run``) reads."""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "PHONE", "open_phone_shaped", "server_url",
           "window_size"]

# kelisim serve's defaults (server/config.py; tests/test_demo_launch.py compares them).
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
PHONE = (400, 800)  # portrait, about a phone's proportions, fits a 1024-pixel-high screen
_KIVY_DEFAULT = (800, 600)  # Kivy's own [graphics] width and height
# A server bound to every address is reached on the loopback.
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 - reached, not bound


def server_url(environ: Mapping[str, str] = os.environ) -> str:
    """``KELISIM_DEMO_SERVER`` when given; otherwise the server ``make run`` serves, at
    ``KELISIM_HOST``:``KELISIM_PORT``.
    Raises ValueError naming the variable when the port is not a port number."""
    given = environ.get("KELISIM_DEMO_SERVER", "").strip()
    if given:
        return given
    host = environ.get("KELISIM_HOST", "").strip() or DEFAULT_HOST
    host = _WILDCARDS.get(host, host)
    raw = environ.get("KELISIM_PORT", "").strip() or str(DEFAULT_PORT)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"KELISIM_PORT must be a port number (1-65535), not {raw!r}")
    return f"http://{f'[{host}]' if ':' in host else host}:{int(raw)}"


def window_size(environ: Mapping[str, str] = os.environ) -> tuple[int, int] | None:
    """The phone-shaped size to open at, or None when the user chose a size: through
    Kivy's environment (``KCFG_GRAPHICS_WIDTH``/``KCFG_GRAPHICS_HEIGHT``) or its
    config.ini (a ``[graphics]`` width and height other than Kivy's 800x600)."""
    if "KCFG_GRAPHICS_WIDTH" in environ or "KCFG_GRAPHICS_HEIGHT" in environ:
        return None
    from kivy.config import Config  # Kivy's configuration only: no window yet

    if (Config.getint("graphics", "width"), Config.getint("graphics", "height")) \
            != _KIVY_DEFAULT:
        return None
    return PHONE


def open_phone_shaped(environ: Mapping[str, str] = os.environ) -> None:
    """Set the window's size, before the window is created, unless the user chose one.
    Kivy applies it only on the desktop: a phone's window is its screen."""
    size = window_size(environ)
    if size is not None:
        from kivy.config import Config

        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))
