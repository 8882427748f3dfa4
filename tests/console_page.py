"""What the console's browser tests share: Debian's Chromium driven by Playwright (no browser
download: ``executable_path``), a click that waits for the page a form lands on, and the
first sign-in with the one-time password ``kelisim demo-setup`` (or ``users``) printed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CHROMIUM", "chromium", "first_sign_in", "submit"]

CHROMIUM = "/usr/bin/chromium"
# No background connections: this machine's closed network refuses them, many at a time.
_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextlib.contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A new page in headless Chromium; the test is skipped where Playwright or Debian's
    chromium is missing (scripts/system-deps.sh installs it)."""
    sync = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/system-deps.sh)")
    with sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=_ARGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def submit(page: Any, selector: str) -> None:
    """Click what posts a form and wait for the page it lands on (every form redirects)."""
    with page.expect_navigation():
        page.click(selector)


def first_sign_in(page: Any, base: str, email: str, one_time: str, new: str) -> None:
    """Sign in with a one-time password and choose ``new``, as the console asks first."""
    page.goto(f"{base}/admin/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", one_time)
    submit(page, "button[type=submit]")
    page.fill("input[name=current]", one_time)
    page.fill("input[name=new]", new)
    page.fill("input[name=confirm]", new)
    submit(page, "form button[type=submit]")
