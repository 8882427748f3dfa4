"""What makes a console password too weak (OWASP ASVS 5.0, 6.2): besides the 12 characters
the form asks, it must not be a common password, one built on the user's e-mail, or a run
of one character, a short repeated pattern or a keyboard or alphabet sequence.

The common passwords are data/common-passwords.txt (shipped in the server's wheel).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

__all__ = ["MIN_LENGTH", "weakness"]

MIN_LENGTH = 12
# Runs a password may not be a slice of (forwards or backwards, wrapping round).
_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl",
              "zxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "йцукенгшщзхъ", "фывапролджэ",
              "ячсмитьбю")
# Digits and punctuation people put before or after a word to pass a rule.
_AFFIX = re.compile(r"^[\W\d_]+|[\W\d_]+$")


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


def weakness(password: str, email: str = "") -> str | None:
    """The console message code saying why ``password`` is too weak, or None when it is
    strong enough: ``password_length``, ``password_common``, ``password_email``,
    ``password_pattern``."""
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
    return None
