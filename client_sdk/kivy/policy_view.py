"""``PolicyView``: the full text of a policy in a RecycleView, so a 2,000-block policy shows
its first frame at once and only the lines on screen exist as widgets.

``scrolled_to_end`` is measured on screen, after layout: it turns True only when the view
of the last block ("End of the policy") is in the window, laid out at the height of its
own rendered text, with its bottom inside the viewport. An estimate never counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.modalview import ModalView
from kivy.uix.recycleview import RecycleView
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from client_sdk.client import ConsentClient
from client_sdk.errors import ConsentError, UsageError
from client_sdk.kivy.base import KText, background
from client_sdk.kivy.style import theme
from client_sdk.protocol.model import Version
from client_sdk.ui.markup import Block, escape, parsed, to_blocks
from client_sdk.ui.texts import Words

__all__ = ["PolicyLine", "PolicyModal", "PolicyView", "blocks_to_data"]

# Kivy draws a label as one texture; a paragraph longer than this is cut into several
# lines so that no texture outgrows the GPU.
MAX_BLOCK_CHARS = 2500
_TAG = re.compile(r"\[/?[a-z]+(?:=[^\]]*)?\]")
LINE_PAD = dp(8)


class PolicyLine(RecycleDataViewBehavior, KText):  # type: ignore[misc]
    """One block of the policy. Its height is its own rendered text, set when the view is
    placed (a recycled view keeps no stale height)."""

    kind = StringProperty("paragraph")

    def refresh_view_layout(self, rv: Any, index: int, layout: dict[str, Any],
                            viewport: Any) -> None:
        super().refresh_view_layout(rv, index, layout, viewport)
        self.text_size = (max(self.width, 1), None)
        self._fit_words()  # now, not next frame: the height below must be final
        self.texture_update()
        self.height = self.texture_size[1] + LINE_PAD


def _sizes(kind: str, level: int) -> tuple[float, bool]:
    if kind == "heading":
        return max(theme.title_size - 2 * (level - 1), theme.body_size + 1), True
    return theme.body_size, False


def blocks_to_data(blocks: list[Block], end_text: str) -> list[dict[str, Any]]:
    """RecycleView data for ``blocks``, long paragraphs split, an end marker last."""
    data: list[dict[str, Any]] = []
    for b in blocks:
        size, bold = _sizes(b.kind, b.level)
        if b.kind == "rule":
            data.append({"text": "—" * 6, "base_size": size, "bold": False,
                         "muted": True, "kind": "rule", "chars": 6, "lines": 1})
            continue
        # Nested list items are indented with em spaces: one label, no padding maths.
        indent = "\u2003" * (b.level - 1) if b.kind == "item" else ""
        for i in range(0, max(len(b.markup), 1), MAX_BLOCK_CHARS):
            text = indent + b.markup[i:i + MAX_BLOCK_CHARS]
            # Visible characters and hard lines, counted once for the height estimates.
            data.append({"text": text, "base_size": size, "bold": bold, "muted": False,
                         "kind": b.kind, "chars": len(_TAG.sub("", text)),
                         "lines": text.count("\n") + 1})
    data.append({"text": f"[i]{escape(end_text)}[/i]", "base_size": theme.small_size,
                 "bold": False, "muted": True, "kind": "end", "chars": len(end_text),
                 "lines": 1})
    return data


class PolicyView(RecycleView):  # type: ignore[misc]
    """The policy's blocks; ``scrolled_to_end`` as described in the module docstring."""

    scrolled_to_end = BooleanProperty(False)
    lines = ListProperty()

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._estimated: tuple[float, float, int, int] | None = None
        self._check = Clock.create_trigger(self.check_end, 0)
        self._estimate = Clock.create_trigger(self._set_estimates, 0)
        self.fbind("scroll_y", self._check)
        self.fbind("height", self._check)
        self.fbind("width", self._estimate)
        theme.fbind("text_scale", self._estimate)

    def on_lines(self, _view: Any, lines: list[dict[str, Any]]) -> None:
        self._set_estimates()

    def _set_estimates(self, *_: Any) -> None:
        # Estimated heights keep the scroll bar honest before a block is seen; each block
        # is laid out at its real height when it comes into view.
        width = max(self.width - dp(24), dp(100))
        scale = theme.text_scale
        key = (width, scale, id(self.lines), len(self.lines))
        if key == self._estimated:
            return
        self._estimated = key
        data = []
        for item in self.lines:
            px = sp(item["base_size"]) * scale
            per_line = max(int(width / (px * 0.55)), 1)
            rows = math.ceil(item["chars"] / per_line) + item["lines"] - 1
            data.append({**item, "size": (None, max(rows, 1) * px * 1.25 + LINE_PAD)})
        self.data = data
        self._check()

    def check_end(self, *_: Any) -> None:
        """Set ``scrolled_to_end`` when the last block is fully on screen (see above)."""
        if self.scrolled_to_end or not self.data or self.get_root_window() is None:
            return
        view = self.view_adapter.get_visible_view(len(self.data) - 1)
        if view is None or view.width <= 1 or view.get_root_window() is None:
            return
        if abs(view.height - (view.texture_size[1] + LINE_PAD)) > 1:
            return  # not laid out at its own height yet
        bottom = view.to_window(view.x, view.y)[1]
        if bottom >= self.to_window(self.x, self.y)[1] - dp(2):
            self.scrolled_to_end = True

    def on_kv_post(self, _base: Any) -> None:
        # A block laid out at its real height moves the rest: check again after layout.
        self.layout_manager.fbind("height", self._check)

    def scroll_to_end(self) -> None:
        self.scroll_y = 0
        self._check()


class PolicyModal(ModalView):  # type: ignore[misc]
    """The full policy of ``version`` in ``tag`` over the whole window, loaded off the UI
    thread; ``on_close`` runs when the user closes it."""

    title = StringProperty("")
    status = StringProperty("")
    close_text = StringProperty("")

    def __init__(self, client: ConsentClient, version: Version, tag: str,
                 on_close: Callable[[PolicyModal], None] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.client, self.version, self.tag = client, version, tag
        self.words = Words(tag, version, client.manifest, prefs=client.preferred_locales)
        doc = version.locales.get(tag)
        self.title = doc.title if doc else self.words("title")
        self.close_text = self.words("close")
        self.status = self.words("loading")
        self._on_close = on_close
        number = version.version
        link = theme.link_hex()

        def work() -> list[Block] | ConsentError:
            try:
                return to_blocks(client.document(tag, version=number), link)
            except (ConsentError, UsageError) as exc:
                return ConsentError(str(exc)) if isinstance(exc, UsageError) else exc

        # A text already on this device and parsed (the consent screen did both) shows
        # in this frame; anything else is read and parsed off the UI thread.
        doc = version.locales.get(tag)
        cached = client.store.get_document(doc.sha256) if doc is not None else None
        blocks = parsed(cached.decode("utf-8"), link) if cached is not None else None
        if blocks is not None:
            self._loaded(blocks)
        else:
            background(work, self._loaded, lambda exc: self._loaded(ConsentError(str(exc))))

    def _loaded(self, result: list[Block] | ConsentError) -> None:
        if isinstance(result, ConsentError):
            self.status = self.words("offline_document")
            return
        self.status = ""
        if result and result[0].kind == "heading" and result[0].level == 1:
            # The document opens with its own title: the header would say it twice.
            self.title = ""
        self.ids.policy.lines = blocks_to_data(result, self.words("end_of_policy"))

    def on_dismiss(self) -> None:
        if self._on_close is not None:
            self._on_close(self)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
