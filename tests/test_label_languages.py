"""Store label lines in the reader's language: ``labels.<locale>.md`` in en, ru, kk, uz and
ky, and the console's labels page in ru and kk, say no English line word; only the stores'
names of data types (as App Store Connect and Play Console print them), URLs and domains
stay as they are. The guard's lines stay English."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from admin_support import APP, Clock, sign_in
from server import Kelisim
from server.policy.labelfiles import Source, build_files
from server.policy.labelwords import WORDS
from server.policy.storelabels import (
    APPLE_DATA_TYPES,
    APPLE_PURPOSES,
    PLAY_DATA_TYPES,
    PLAY_PURPOSES,
    label_lines,
    labels_of,
)

LANGS = ("en", "ru", "kk", "uz", "ky")
STORE_NAMES = sorted({n for _c, n in APPLE_DATA_TYPES.values()}
                     | {n for _q, n in PLAY_DATA_TYPES.values()}, key=len, reverse=True)
# Every English line word and purpose name, as a phrase ("collected and shared", "no").
ENGLISH = sorted({part.strip(" :;,") for text in WORDS["en"].values()
                  for part in re.split(r"\{purposes\}", text) if part.strip(" :;,")}
                 | {n for _i, n in APPLE_PURPOSES.values()} | set(PLAY_PURPOSES.values()),
                 key=len, reverse=True)


def _title(text: str) -> dict[str, str]:
    return dict.fromkeys(LANGS, text)


def _version(everything: bool) -> dict[str, Any]:
    """A version whose lines use every word: tracking and not, linked and not, shared,
    ephemeral, optional and required, every purpose of both stores; or (``everything``
    False) the "no" answers."""
    cats = [{"id": "location", "title": _title("x"), "store": {
                "apple": ["NSPrivacyCollectedDataTypePreciseLocation"],
                "play": ["PSL_PRECISE_LOCATION"], "linked": True, "tracking": everything}},
            {"id": "crashes", "title": _title("x"), "store": {
                "apple": ["NSPrivacyCollectedDataTypeCrashData"], "play": ["PSL_CRASH_LOGS"],
                "ephemeral": True}}]
    purposes = [{"id": "all", "required": False, "data": ["location", "crashes"],
                 "vendors": ["v"] if everything else [],
                 "store": {"apple": list(APPLE_PURPOSES), "play": list(PLAY_PURPOSES)}},
                {"id": "core", "required": True, "data": ["location"], "vendors": [],
                 "store": {"apple": ["NSPrivacyCollectedDataTypePurposeAppFunctionality"],
                           "play": ["PSL_APP_FUNCTIONALITY"]}}]
    store = {"encrypted_in_transit": everything, "tracking_domains": ["t.example.com"],
             "account_deletion_url": "https://a.example/delete" if everything else None,
             "data_deletion_url": None}
    return {"locales": {tag: {} for tag in LANGS}, "data_categories": cats,
            "purposes": purposes, "store": store}


def _english_left(text: str, cyrillic: bool) -> list[str]:
    """English line words left in ``text`` once the stores' names, URLs and domains are
    taken out (for a Cyrillic language: any Latin letter left)."""
    text = re.sub(r"https://\S+|t\.example\.com|^(Apple|Play): ", " ", text, flags=re.M)
    for name in STORE_NAMES:
        text = text.replace(name, " ")
    left = [w for w in ENGLISH if re.search(rf"(?<![\w']){re.escape(w)}(?![\w'])", text,
                                            re.IGNORECASE)]
    if cyrillic:
        left += re.findall(r"[A-Za-z]+", text)
    return left


@pytest.mark.parametrize("everything", [True, False])
def test_labels_md_says_its_line_words_in_its_language(everything: bool) -> None:
    body = _version(everything)
    labels = labels_of(body)
    assert labels is not None and not labels.problems
    files = build_files(body, labels, Source(APP, "Jana", 1, "1.0", 1, "0" * 64))
    for tag in LANGS:
        md = files[f"labels.{tag}.md"].decode()
        lines = md[md.index("## App Store"):].replace("## App Store", "").replace(
            "## Google Play", "")
        left = _english_left(lines, cyrillic=tag in ("ru", "kk", "ky"))
        if tag == "en":
            assert "collected and shared" in lines or not everything
            assert left, "the English file says its words in English"
        else:
            assert not left, f"labels.{tag}.md still says {left} in English:\n{lines}"
    # Uzbek is Latin with the modifier letter turned comma (U+02BB), not a quote mark.
    uz = files["labels.uz.md"].decode()
    assert "yoʻq" in uz or everything
    assert "\u2018" not in uz and "'" not in uz.split("## App Store")[1]


def test_the_guard_compares_english_lines() -> None:
    labels = labels_of(_version(True))
    assert label_lines(labels) == label_lines(labels, "en") == label_lines(labels, "fr")
    assert "Play: data encrypted in transit: yes" in label_lines(labels)
    assert all(set(WORDS[lang]) == set(WORDS["ru"]) for lang in LANGS[1:])


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_console_labels_page_says_its_lines_in_the_page_language(
        client: FlaskClient, published: Path, users: dict[str, int], kelisim: Kelisim,
        clock: Clock, lang: str) -> None:
    sign_in(client, kelisim, users["viewer"])
    page = client.get(f"/admin/apps/{APP}/versions/1/labels",
                      headers={"Accept-Language": lang}).get_data(True)
    items = [html.unescape(i) for section in ("labels-apple", "labels-play")
             for i in re.findall(r'<li translate="no">(.*?)</li>',
                                 page.split(f'id="{section}"')[1].split("</section>")[0])]
    assert len(items) >= 6
    assert any("Precise Location" in i for i in items)  # the store's own name stays
    left = _english_left("\n".join(items), cyrillic=True)
    assert not left, f"the {lang} page still says {left} in English: {items}"
