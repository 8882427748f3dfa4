"""What a policy says about its controller, for the app.toml of an app not registered yet
(``kelisim import --new-app``): pure functions over the imported documents.

A policy usually names the operator ("ТОО «Dala Taxi»", "Altyn Courier LLP"), a contact
e-mail, often a postal address and, in Kazakhstan, the BIN. What is found is written with
a ``# REVIEW`` marker naming the document and line it came from; what is not found is an
empty value with a marker saying what belongs there. ``kelisim apps create`` refuses the
file while a marker is left (:func:`server.policy.source.load_app_dir`), and the schema
refuses an empty value: nothing the importer guessed is registered unread.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from client_sdk.protocol.model import LOCALES
from server.policy.schema import COMPANY_NUMBERS, company_number_problem

__all__ = ["Found", "app_toml_for", "find_controller"]

# Bounded parts, starting where a word starts: linear on a long run of letters (an
# unbounded local part rescans the run from every position).
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}"
                    r"(?:\.[A-Za-z0-9-]{1,63}){1,8}")
# A registration number after its name in the five languages (BIN/БИН/БСН in Kazakhstan,
# STIR/СТИР/TIN in Uzbekistan, INN/ИНН/СТН in Kyrgyzstan).
_NUMBER = re.compile(r"\b(?:BIN|БИН|БСН|STIR|СТИР|TIN|INN|ИНН|СТН|ЖСН)\b\W{0,4}"
                     r"(\d[\d ]{7,20}\d)")
_FORMS = r"(?:ТОО|ООО|ОсОО|ЖШС|ЖЧК|АО|АҚ|LLP|LLC|Ltd\.?|JSC|Inc\.?|MChJ|МЧЖ|XK|AJ)"
_QUOTED = r"[«\"“]([^»\"”\n]{2,80})[»\"”]"
_NAMES = [
    re.compile(rf"\b{_FORMS}\s+{_QUOTED}"),                        # ТОО «Dala Taxi»
    re.compile(rf"{_QUOTED}\s+{_FORMS}(?!\w)"),                    # “Ipak Market” MChJ
    re.compile(rf"\b((?:[A-Z][\w&'-]*\s){{1,5}}){_FORMS}(?!\w)"),  # Altyn Courier LLP
]
_ADDRESS = re.compile(r"^[\s*_>-]*(?:Address|Адрес|Мекенжай|Manzil|Дарек)[\s*_]*:[\s*_]*(.+)$",
                      re.IGNORECASE)
# A template's blank left in the policy ("[Insert Company Address]").
_BLANK = re.compile(r"insert|вставьте|укажите|\.\.\.|…|xxx", re.IGNORECASE)
# The country a policy's language suggests when it states no registration number.
_COUNTRY_OF_LANGUAGE = {"kk": "KZ", "uz": "UZ", "ky": "KG"}


@dataclass(frozen=True)
class Found:
    """A value found in a document: ``where`` is ``<locale>.md line N``."""

    value: str
    where: str


def _lines(documents: dict[str, str]) -> list[tuple[str, str]]:
    return [(f"{tag}.md line {n}", line) for tag, text in documents.items()
            for n, line in enumerate(text.splitlines(), 1)]


def _clean(value: str) -> str:
    value = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", value)  # [text](link) -> text
    return " ".join(value.replace("\\", " ").strip(" *_[]").split()).rstrip(".,;")


def find_controller(documents: dict[str, str]) -> dict[str, Found]:
    """``name``, ``bin``, ``country``, ``email`` and ``address`` of the controller, each
    where the documents state one (the first place, in the order of ``documents``)."""
    found: dict[str, Found] = {}
    lines = _lines(documents)
    for where, line in lines:
        if "bin" not in found:
            for m in _NUMBER.finditer(line):
                digits = m.group(1).replace(" ", "")
                country = next((c for c, (_, n) in COMPANY_NUMBERS.items()
                                if n == len(digits)), None)
                if country and company_number_problem(country, digits) is None:
                    found["bin"] = Found(digits, where)
                    found["country"] = Found(country, where)
                    break
        if "name" not in found:
            starts = [(m.start(), m) for p in _NAMES for m in p.finditer(line)]
            if starts:
                m = min(starts, key=lambda s: s[0])[1]
                found["name"] = Found(_clean(m.group(0)), where)
                rest = re.match(r",\s*(.+)$", line[m.end():])
                if rest and "address" not in found:
                    address = _clean(re.sub(r"\([^)]*\)\s*$", "", rest.group(1)))
                    if len(address) >= 8 and not _BLANK.search(address):
                        found["address"] = Found(address, where)
        if "address" not in found:
            a = _ADDRESS.match(line)
            if a and not _BLANK.search(a.group(1)) and "@" not in a.group(1):
                address = _clean(a.group(1))
                if len(address) >= 8:
                    found["address"] = Found(address, where)
    emails = [(where, m.group(0).rstrip(".")) for where, line in lines
              for m in _EMAIL.finditer(line)]
    if emails:
        # The address for personal data, when the policy has one of its own.
        where, email = next(((w, e) for w, e in emails
                             if re.match(r"(privacy|dpo|data|personal)", e, re.I)), emails[0])
        found["email"] = Found(email, where)
    return found


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def app_toml_for(app_id: str, documents: dict[str, str], filename: str) -> str:
    """app.toml for ``app_id`` from what the imported ``documents`` say, every value the
    importer found or could not find marked ``# REVIEW``."""
    found = find_controller(documents)
    first = next(iter(documents), "en")
    locale = first.split("-")[0] if first.split("-")[0] in LOCALES else "en"
    country = found.get("country")
    guessed = _COUNTRY_OF_LANGUAGE.get(locale)
    numbers = "; ".join(f"{c}: {name}, {n} digits" for c, (name, n) in COMPANY_NUMBERS.items())

    def line(key: str, what: str) -> str:
        f = found.get(key)
        if f is not None:
            return f"{key} = {_q(f.value)}  # REVIEW: found in {f.where}; check it"
        return f'{key} = ""  # REVIEW: not found in the policy: {what}'

    name = found.get("name")
    display = ""
    if name is not None:
        quoted = re.search(_QUOTED, name.value)
        display = quoted.group(1) if quoted else re.sub(rf"\s*{_FORMS}$", "", name.value)
    out = [
        f"# Written by `kelisim import --new-app` from "
        f"{' '.join(filename.split())}.",
        "# Lines marked REVIEW hold what the importer found in the policy (check each one",
        "# against it) or an empty value where it found nothing (fill it in). Delete each",
        "# marker when the value is right: `kelisim apps create` refuses this file until then.",
        f"id = {_q(app_id)}",
        (f"name = {_q(display)}  # REVIEW: taken from the controller's name; the app's name "
         f"as its users know it" if display else
         'name = ""  # REVIEW: not found in the policy: the app\'s name as its users know it'),
        f"default_locale = {_q(locale)}  # the language of the imported text",
        "",
        "[controller]",
        line("name", "the controller's (company's) name, as registered"),
        line("bin", f"the controller's company number ({numbers})"),
        (f"country = {_q(country.value)}  # REVIEW: the country of the number found in "
         f"{country.where}" if country else
         f"country = {_q(guessed)}  # REVIEW: guessed from the policy's language ({locale}); "
         f"the controller's country (KZ, UZ, KG)" if guessed else
         'country = ""  # REVIEW: not found in the policy: the controller\'s country '
         '(KZ, UZ, KG)'),
        line("email", "the e-mail address for questions about personal data"),
        line("address", "the controller's postal address"),
    ]
    return "\n".join(out) + "\n"
