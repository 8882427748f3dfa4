"""Store label proposals for an imported policy: which kinds of data its text names, each
with the Apple and Google Play data types it would be (docs/store-labels.md). Guesses from
words, for the officer to review: ``kelisim import`` writes them as ``# REVIEW`` lines."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Guess", "guess_categories", "proposal_lines", "proposals"]


@dataclass(frozen=True)
class Guess:
    """A kind of data the text names: a proposed category id, its store types, whether it
    is linked to the user, and the words that named it."""

    id: str
    apple: tuple[str, ...]
    play: tuple[str, ...]
    linked: bool
    found: str


_A = "NSPrivacyCollectedDataType"
# id, Apple types, Play types, linked, word stems in en/ru/kk/uz/ky (matched at a word's
# start, case-folded). The policy's words, not its meaning: every line is a proposal.
_KINDS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], bool, tuple[str, ...]], ...] = (
    ("name", (f"{_A}Name",), ("PSL_NAME",), True,
     ("full name", "your name", "фио", "имя", "фамили", "аты-жөн", "ism-familiya", "familiya")),
    ("email", (f"{_A}EmailAddress",), ("PSL_EMAIL",), True,
     ("e-mail", "email", "электронн", "электрондық пошта", "elektron pochta",
      "электрондук почта")),
    ("phone", (f"{_A}PhoneNumber",), ("PSL_PHONE",), True,
     ("phone", "телефон", "telefon")),
    ("address", (f"{_A}PhysicalAddress",), ("PSL_ADDRESS",), True,
     ("address", "адрес", "мекенжай", "manzil", "дарек")),
    ("location", (f"{_A}PreciseLocation",), ("PSL_PRECISE_LOCATION",), True,
     ("location", "geolocation", "геолокац", "местоположен", "геодерек", "орналасқан жер",
      "joylashuv", "жайгашкан жер")),
    ("photos", (f"{_A}PhotosorVideos",), ("PSL_PHOTOS",), True,
     ("photo", "фото", "сурет", "surat", "сүрөт")),
    ("payment", (f"{_A}PaymentInfo",), ("PSL_CREDIT_DEBIT_BANK_ACCOUNT_NUMBER",), True,
     ("payment card", "bank card", "банковск", "карт", "төлем карта", "to'lov karta",
      "toʻlov karta", "bank karta")),
    ("device", (f"{_A}DeviceID",), ("PSL_DEVICE_ID",), False,
     ("device", "устройств", "құрылғы", "qurilma", "түзмөк")),
    ("usage", (f"{_A}ProductInteraction",), ("PSL_USER_INTERACTION",), False,
     ("analytics", "аналитик", "analitika", "usage statistics", "статистик")),
    ("crashes", (f"{_A}CrashData",), ("PSL_CRASH_LOGS",), False,
     ("crash", "сбо", "ошибк")),
    ("purchases", (f"{_A}PurchaseHistory",), ("PSL_PURCHASE_HISTORY",), True,
     ("order history", "purchase", "истори заказ", "история заказ", "покупк", "тапсырыс",
      "buyurtma", "буйрутма")),
    ("health", (f"{_A}Health",), ("PSL_HEALTH",), True,
     ("health", "здоров", "денсаулы", "salomatlik", "ден соолу")),
)


def guess_categories(text: str) -> list[Guess]:
    """The kinds of data ``text`` names, in the table's order, each once."""
    folded = text.casefold()
    out = []
    for cid, apple, play, linked, stems in _KINDS:
        for stem in stems:
            m = re.search(r"(?<!\w)" + re.escape(stem.casefold()), folded)
            if m:
                end = re.match(r"\w*", folded[m.end():])
                word = text[m.start():m.end() + (end.end() if end else 0)]
                out.append(Guess(cid, apple, play, linked, " ".join(word.split())))
                break
    return out


def _list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def proposal_lines(guesses: list[Guess]) -> list[str]:
    """The version.toml comment block: one ``# REVIEW`` line per proposed data category,
    ``<id> = { apple = [...], play = [...], linked = ... }`` after ``proposal:``."""
    if not guesses:
        return ["# Store labels (docs/store-labels.md): the text names no kind of data this",
                "# importer knows; map each [[data_categories]] of app.toml by hand."]
    lines = ["# Store labels (docs/store-labels.md): the text names these kinds of data.",
             "# Proposed for app.toml's [[data_categories]] (store = { ... }): copy each to",
             "# the category it is, add tracking/ephemeral if so, then delete the line."]
    for g in guesses:
        lines.append(f"# REVIEW store proposal: {g.id} = {{ {_table(g.apple, g.play, g.linked)} "
                     f"}}  (the text says {g.found!r})")
    return lines


def _table(apple: tuple[str, ...], play: tuple[str, ...], linked: bool) -> str:
    return f"apple = {_list(apple)}, play = {_list(play)}, linked = {str(linked).lower()}"


def proposals(ids: list[str]) -> dict[str, str]:
    """{kind id: its store lines} (``apple = [...], play = [...], linked = ...``) for the
    ids the table knows: what a data category's store labels box would hold."""
    return {cid: _table(apple, play, linked) for cid, apple, play, linked, _s in _KINDS
            if cid in ids}
