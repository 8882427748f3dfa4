"""The console's header in real Chromium at 1280 px: the owner's navigation (every link),
the language switch, the time zone, the user and Sign out stay on one line in en, ru and kk
(Russian and Kazakh words are longer); at 1024 px whole groups move to a second line, no
item wraps inside itself. Screenshots: test-artifacts/console/header-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from console_page import chromium, first_sign_in, submit

from livesrv import demo_server

pytestmark = pytest.mark.slow

PASSWORD = "header test password 1"
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "console"

# The vertical middle and the box of everything the header holds, in the page.
_BOXES = """() => [...document.querySelectorAll(
    'header.top .brand, header.top nav a, header.top .who > *')].map(e => {
  const r = e.getBoundingClientRect();
  return {text: e.textContent.trim(), top: r.top, bottom: r.bottom, right: r.right,
          height: r.height};
})"""


def test_the_header_stays_on_one_line(tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with demo_server(tmp_path) as server:
        _check(server)


def _check(server: dict[str, Any]) -> None:
    base = server["url"]
    for width in (1280, 1024):
        with chromium(width, 800) as page:
            if width == 1280:  # the first sign-in chooses the password
                first_sign_in(page, base, "owner@localhost", server["password"], PASSWORD)
            else:
                _sign_in(page, base)
            for lang in ("en", "ru", "kk"):
                page.goto(f"{base}/admin/lang/{lang}?next=/admin/")
                page.screenshot(path=str(SHOTS / f"header-{lang}-{width}.png"),
                                clip={"x": 0, "y": 0, "width": width, "height": 120})
                boxes = page.evaluate(_BOXES)
                assert len(boxes) >= 11, boxes  # brand, 5 links, 3 languages, zone, user...
                # No item wraps inside itself ("Журнал / действий"), nothing runs off.
                assert all(b["height"] < 30 for b in boxes), (lang, width, boxes)
                assert max(b["right"] for b in boxes) <= width, (lang, width)
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                if width == 1280:  # and at 1280 px it is all one line
                    header = page.eval_on_selector("header.top",
                                                   "e => e.getBoundingClientRect()")
                    lines = {round((b["top"] + b["bottom"]) / 2 / 8) for b in boxes}
                    assert len(lines) == 1, (lang, [(b["text"], b["top"]) for b in boxes])
                    assert header["height"] < 60, (lang, header)


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("input[name=email]", "owner@localhost")
    page.fill("input[name=password]", PASSWORD)
    submit(page, "button[type=submit]")
