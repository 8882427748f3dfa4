"""Markdown to Kivy label markup, block by block. Imports no Kivy: testable without a window.

Headings, paragraphs, bullet and numbered lists, bold, italic, links (as ``[ref=url]``
for the widget to open in the browser), inline code; raw HTML is shown as text. A text
with no Markdown renders as its paragraphs. Everything the text contains is escaped, so a
policy cannot inject markup.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import TYPE_CHECKING

from client_sdk.protocol.record import Record, record

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

__all__ = ["Block", "escape", "parsed", "to_blocks"]

LINK_COLOR = "1a73e8"


@cache
def _md() -> MarkdownIt:
    """The parser, made on first use: markdown-it loads in 0.1 s, off the first frame."""
    from markdown_it import MarkdownIt

    # Kivy turns the root logger up to DEBUG; markdown-it would then log every block.
    logging.getLogger("markdown_it").setLevel(logging.WARNING)
    return MarkdownIt("commonmark", {"html": False}).disable("image")


@record
class Block(Record):
    kind: str  # heading | paragraph | item | rule
    markup: str
    level: int = 0  # heading level, or list nesting depth for items


def escape(text: str) -> str:
    """Escape Kivy markup: & [ ] (order matters: & first)."""
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


def _inline(tokens: list[Token], link: str = LINK_COLOR) -> str:
    out: list[str] = []
    links: list[bool] = []  # open links: external (a ref the widget opens) or not
    for t in tokens:
        if t.type == "text":
            out.append(escape(t.content))
        elif t.type == "softbreak":
            out.append(" ")
        elif t.type == "hardbreak":
            out.append("\n")
        elif t.type == "strong_open":
            out.append("[b]")
        elif t.type == "strong_close":
            out.append("[/b]")
        elif t.type == "em_open":
            out.append("[i]")
        elif t.type == "em_close":
            out.append("[/i]")
        elif t.type == "link_open":
            href = str(t.attrs.get("href", ""))
            external = href.startswith(("http://", "https://", "mailto:", "tel:"))
            links.append(external)
            out.append(f"[ref={escape(href)}][color={link}][u]" if external else "[u]")
        elif t.type == "link_close":
            external = links.pop() if links else False
            out.append("[/u][/color][/ref]" if external else "[/u]")
        elif t.type == "code_inline" or t.type in ("html_inline",):
            out.append(escape(t.content))
        elif t.children:
            out.append(_inline(t.children, link))
        else:
            out.append(escape(t.content))
    return "".join(out)


# A line that makes a text Markdown rather than plain: a heading, a bullet, a quote, a
# fence or emphasis.
_MARKDOWN = re.compile(r"^(?:#{1,6}\s|[*+-]\s|>|```)|\*\*|__|\]\(", re.M)
_SECTION = re.compile(r"(\d+(?:\.\d+)*)\.?\s+\S.*")


def _plain_blocks(text: str) -> list[Block]:
    """A policy imported from plain text: a short line on its own (no closing full stop)
    is a heading; numbered ones ("2.1 Data we collect") nest by their number."""
    blocks: list[Block] = []
    for para in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in para.splitlines() if line.strip()]
        if not lines:
            continue
        first = lines[0]
        if len(lines) == 1 and len(first) <= 90 and not first.endswith((".", ";", ",")):
            number = _SECTION.fullmatch(first)
            level = 1 if not blocks else 2 + (number.group(1).count(".") if number else 0)
            blocks.append(Block("heading", escape(first), min(level, 4)))
        else:
            blocks.append(Block("paragraph", escape("\n".join(lines))))
    return blocks


def parsed(text: str, link_color: str = LINK_COLOR) -> list[Block] | None:
    """``to_blocks(text, link_color)`` if it was parsed recently, else None (no parsing)."""
    return _recent.get((text, link_color))


_recent: dict[tuple[str, str], list[Block]] = {}


def to_blocks(text: str, link_color: str = LINK_COLOR) -> list[Block]:
    """The document as blocks of Kivy markup (plain text: see :func:`_plain_blocks`);
    links in ``link_color`` (hex RGB, the theme's). The last few are kept (see
    :func:`parsed`): the full text opened after the consent screen parsed it shows at
    once. Callers must not change the list."""
    key = (text, link_color)
    if key not in _recent:
        if len(_recent) >= 4:
            _recent.pop(next(iter(_recent)))
        _recent[key] = _to_blocks(text, link_color)
    return _recent[key]


def _to_blocks(text: str, link_color: str = LINK_COLOR) -> list[Block]:
    if not _MARKDOWN.search(text):
        return _plain_blocks(text)
    tokens = _md().parse(text)
    blocks: list[Block] = []
    lists: list[list[int]] = []  # stack of [ordered?, counter]
    heading_level = 0
    for i, t in enumerate(tokens):
        if t.type == "heading_open":
            heading_level = int(t.tag[1])
        elif t.type == "bullet_list_open":
            lists.append([0, 0])
        elif t.type == "ordered_list_open":
            start = int(t.attrs.get("start", 1) or 1)
            lists.append([1, start - 1])
        elif t.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t.type == "list_item_open" and lists:
            lists[-1][1] += 1
        elif t.type == "inline":
            content = _inline(t.children or [], link_color)
            if heading_level:
                blocks.append(Block("heading", content, heading_level))
                heading_level = 0
            elif lists and tokens[i - 1].type == "paragraph_open":
                ordered, n = lists[-1]
                marker = f"{n}." if ordered else "•"
                blocks.append(Block("item", f"{marker} {content}", len(lists)))
            else:
                blocks.append(Block("paragraph", content))
        elif t.type == "hr":
            blocks.append(Block("rule", ""))
        elif t.type in ("code_block", "fence", "html_block"):
            blocks.append(Block("paragraph", escape(t.content.rstrip("\n"))))
    return blocks
