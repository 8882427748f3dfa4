"""What makes a console password too weak (OWASP ASVS 5.0, 6.2): besides the 12 characters
the form asks, it must not be a common password, one built on the user's e-mail, or a run
of one character, a short repeated pattern or a keyboard or alphabet sequence.

The rule for "common" is one rule, not a list of cases: a password is common when it is
made of at most three guessable parts, where a part is guessable when it (read as typed,
with common character substitutions undone, or as Latin typed on a Russian keyboard) is
a common password, the product's or the site's name, a keyboard or alphabet sequence of
three or more (Latin and ЙЦУКЕН rows, the digit row shifted or not), a run of one
character, or a run of up to four digits or symbols (a year, "!"). So
``passwordpassword``, ``adminadmin12``, ``P@ssword2024!``, ``пароль123456``, ``gfhjkm2024!!``
and ``!@#$%^&*()_+`` are all refused, while a passphrase of four words is not.

The common passwords are data/common-passwords.txt (shipped in the server's wheel): the
zxcvbn list with common Russian and Kazakh passwords added.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

__all__ = ["MIN_LENGTH", "PRODUCT_NAMES", "weakness"]

MIN_LENGTH = 12
# Runs a password may not be a slice of (forwards or backwards, wrapping round).
_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl",
              "zxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "йцукенгшщзхъ", "фывапролджэ",
              "ячсмитьбю", "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
              # the digit row, and the same keys shifted (US and Russian layouts)
              "`1234567890-=", "~!@#$%^&*()_+", "ё1234567890-=", "ё!\"№;%:?*()_+")
# Digits and punctuation people put before or after a word to pass a rule.
_AFFIX = re.compile(r"^[\W\d_]+|[\W\d_]+$")
# Names anyone would try first on this console.
PRODUCT_NAMES = ("kelisim", "kelisimconsole", "kelisimadmin")
# Common substitutions, undone before the list is consulted ("1" and "!" stand for i or l).
_LEET = (str.maketrans({"@": "a", "0": "o", "1": "i", "3": "e", "4": "a", "5": "s",
                        "$": "s", "7": "t", "!": "i"}),
         str.maketrans({"@": "a", "0": "o", "1": "l", "3": "e", "4": "a", "5": "s",
                        "$": "s", "7": "t", "!": "l"}))
# Latin keys typed with the Russian (ЙЦУКЕН) layout on: "gfhjkm" is "пароль".
_RUSSIAN_LAYOUT = str.maketrans(dict(zip(
    "`qwertyuiop[]asdfghjkl;'zxcvbnm,.", "ёйцукенгшщзхъфывапролджэячсмитьбю", strict=True)))
_MAX_PARTS = 3
_MAX_PART = 40  # longer parts are not looked at (keeps the check linear in the length)
_SHORT_RUN = re.compile(r"[\W\d_]{1,4}")


@cache
def _common() -> frozenset[str]:
    text = (resources.files("server.admin") / "data" / "common-passwords.txt").read_text(
        encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def _is_sequence(word: str) -> bool:
    for seq in _SEQUENCES:
        for run in (seq, seq[::-1]):
            # A slice of the run repeated: "123456789012", "zyxwvutsrqpo".
            cycle = run * (len(word) // len(run) + 2)
            if word in cycle:
                return True
    return False


def _is_pattern(word: str) -> bool:
    # One character, or a unit of up to four repeated ("abababababab", "123123123123").
    for size in range(1, 5):
        unit = word[:size]
        if (unit * (len(word) // size + 1)).startswith(word):
            return True
    return len(set(word)) < 4


def _readings(part: str) -> set[str]:
    """``part`` as typed, with substitutions undone, and as Latin typed on a Russian layout."""
    return {part, *(part.translate(t) for t in _LEET), part.translate(_RUSSIAN_LAYOUT)}


def _guessable(part: str, names: frozenset[str]) -> bool:
    if _SHORT_RUN.fullmatch(part):
        return True
    if len(part) < 3:
        return False
    if len(set(part)) == 1 or _is_sequence(part):
        return True
    common = _common()
    return any(r in common or r in names for r in _readings(part))


def _parts_needed(word: str, names: frozenset[str]) -> int:
    """The fewest guessable parts ``word`` splits into (more than _MAX_PARTS: not so)."""
    n = len(word)
    best = [0] + [_MAX_PARTS + 1] * n  # best[i]: parts for word[:i]
    for end in range(1, n + 1):
        for start in range(max(0, end - _MAX_PART), end):
            if best[start] < _MAX_PARTS and best[start] + 1 < best[end] \
                    and _guessable(word[start:end], names):
                best[end] = best[start] + 1
    return best[n]


def weakness(password: str, email: str = "", names: Iterable[str] = ()) -> str | None:
    """The console message code saying why ``password`` is too weak, or None when it is
    strong enough: ``password_length``, ``password_common``, ``password_email``,
    ``password_pattern``. ``names``: the site's own names (its host name's labels), refused
    like the product's name."""
    if len(password) < MIN_LENGTH:
        return "password_length"
    word = password.lower()
    core = _AFFIX.sub("", word)
    common = _common()
    if word in common or (len(core) >= 4 and core in common):
        return "password_common"
    if email:
        email = email.strip().lower()
        local, _, domain = email.partition("@")
        rest = word
        for part in sorted({email, local, domain.split(".")[0], *re.split(r"[._+-]", local)},
                           key=len, reverse=True):
            if len(part) >= 3:
                rest = rest.replace(part, "")
        # What is left once the e-mail's parts are taken out: digits and punctuation only,
        # or too little to matter ("ada.lovelace1234", "owner@example.com!").
        if rest != word and len(_AFFIX.sub("", rest)) < 4:
            return "password_email"
    if _is_pattern(word) or _is_sequence(word) or (core and (_is_pattern(core) or
                                                              _is_sequence(core))
                                                    and len(core) >= len(word) - 4):
        return "password_pattern"
    own = frozenset({*PRODUCT_NAMES, *(n.lower() for n in names if len(n) >= 3)})
    if _parts_needed(word, own) <= _MAX_PARTS:
        return "password_common"
    return None
