"""client_sdk.protocol.grammar: the one definition of ids, locales, times, hashes and integer
ranges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client_sdk.protocol import grammar
from client_sdk.protocol.grammar import (
    INT32_MAX,
    INT32_MIN,
    is_app_id,
    is_id,
    is_int32,
    is_locale,
    is_sha256,
    is_time,
    is_uuid,
    parse_time,
)

UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"
SHA = "ab" * 32

# Digits that are digits to str.isdigit() and int() but not to the formats.
FOREIGN_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９߀०১"


def test_parse_time() -> None:
    assert parse_time("2025-11-01T08:30:59Z") == datetime(2025, 11, 1, 8, 30, 59, tzinfo=UTC)


@pytest.mark.parametrize("value", [
    "2025-02-30T00:00:00Z", "2025-13-01T00:00:00Z", "2025-01-01T24:00:00Z",
    "2025-01-01T00:60:00Z", "2025-01-01T00:00:60Z", "0000-01-01T00:00:00Z",
    "2025-01-01T00:00:00Z\n", "2025-01-01T00:00:00", "2025-01-01T00:00:00+00:00",
    "2025-01-01 00:00:00Z", " 2025-01-01T00:00:00Z", "2025-01-01T00:00:00z",
    "２０２５-01-01T00:00:00Z", "2025-0١-01T00:00:00Z", "",
])
def test_parse_time_refuses(value: str) -> None:
    with pytest.raises(ValueError, match=r"RFC 3339|not a valid date"):
        parse_time(value)
    assert not is_time(value)


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
def test_every_real_moment_parses(moment: datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    text = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z"
    assert parse_time(text) == moment


@given(st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z",
                     fullmatch=True))
def test_impossible_dates_raise_value_error_only(text: str) -> None:
    try:
        moment = parse_time(text)
    except ValueError:
        y, mo, d = int(text[0:4]), int(text[5:7]), int(text[8:10])
        h, mi, s = int(text[11:13]), int(text[14:16]), int(text[17:19])
        with pytest.raises(ValueError):
            datetime(y, mo, d, h, mi, s)
    else:
        assert f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z" == text


@given(st.integers(min_value=0, max_value=18), st.sampled_from(FOREIGN_DIGITS))
def test_non_ascii_digits_are_refused_everywhere(position: int, digit: str) -> None:
    good = "2025-11-01T08:30:59Z"
    digit_positions = [i for i, c in enumerate(good) if c.isdigit()]
    i = digit_positions[position % len(digit_positions)]
    bad = good[:i] + digit + good[i + 1:]
    assert not is_time(bad)
    assert not is_uuid(UUID[:0] + digit + UUID[1:])
    assert not is_sha256(digit + SHA[1:])
    assert not is_id("app" + digit)
    assert not is_locale("uz-" + digit * 2)


@given(st.sampled_from([UUID, SHA, "app.id", "kk", "uz-Cyrl", "2025-11-01T08:30:59Z"]),
       st.sampled_from(["\n", "\r\n", " ", "\x00", "\t"]))
def test_trailing_and_leading_whitespace_refused(value: str, junk: str) -> None:
    for checker in (is_uuid, is_sha256, is_id, is_locale, is_time):
        assert not checker(value + junk)
        assert not checker(junk + value)


def test_ids() -> None:
    assert is_uuid(UUID) and not is_uuid(UUID.upper()) and not is_uuid(UUID[:-1])
    assert is_sha256(SHA) and not is_sha256(SHA.upper()) and not is_sha256(SHA + "a")
    assert is_id("jana-post.v1_x") and is_id("a" * 64) and not is_id("a" * 65)
    # App ids are ids: what app.toml takes, the bundler writes and the SDK reads.
    for app in ("kz.jana_app", "a" * 64, "0", "jana-courier"):
        assert is_app_id(app), app
    for app in ("a" * 65, "_app", ".app", "Kz.app", "app\n", "", None, "кз"):
        assert not is_app_id(app), app
    assert not is_id("-app") and not is_id("App") and not is_id("")
    assert not is_id(5) and not is_uuid(None) and not is_sha256(b"ab" * 32)


@pytest.mark.parametrize("tag,ok", [
    ("kk", True), ("ru", True), ("uz-Cyrl", True), ("uz-Latn", True), ("kk-KZ", True),
    ("ast", True), ("zh-Hant-TW", True), ("K", False), ("KK", False), ("kk_KZ", False),
    ("kk-", False), ("k", False), ("kkkk", False), ("en-abcdefghi", False),
    ("zh-Hant-TW-x1-y2", False), ("ı" + "k", False),
])
def test_locale_tags(tag: str, ok: bool) -> None:
    assert is_locale(tag) is ok


@given(st.text(max_size=20))
def test_locale_tags_are_short_and_ascii(tag: str) -> None:
    if is_locale(tag):
        assert tag.isascii() and len(tag) <= grammar.LOCALE_MAX


@given(st.one_of(st.integers(), st.booleans(), st.floats(), st.text(max_size=3), st.none()))
def test_int32(value: object) -> None:
    expected = type(value) is int and INT32_MIN <= value <= INT32_MAX  # type: ignore[operator]
    assert is_int32(value) is expected


def test_int32_bounds() -> None:
    assert is_int32(INT32_MAX) and not is_int32(INT32_MAX + 1)
    assert is_int32(INT32_MIN) and not is_int32(INT32_MIN - 1)
    assert not is_int32(0, minimum=1) and is_int32(1, minimum=1)
    assert not is_int32(True) and not is_int32(2**63)


class _Published:
    """Records what the fast path asks the published state for."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def manifest(self, app_id: str) -> None:
        self.asked.append(("manifest", app_id))

    def document(self, sha256: str) -> None:
        self.asked.append(("document", sha256))


@pytest.mark.parametrize("path", ["/v1/apps/jana-courier\n/manifest.json",
                                  f"/v1/documents/{SHA}\n", "/v1/apps/Jana/manifest.json",
                                  f"/v1/documents/{SHA.upper()}"])
def test_the_fast_path_uses_the_grammar(path: str) -> None:
    """server/serving/fastpath.py names apps and documents by grammar.py's definitions
    (full match): "jana-courier\\n" is no app id there either, so it never reaches the
    database or the miss caches."""
    from server.serving.fastpath import lookup

    published = _Published()
    assert lookup(published, path) is None  # type: ignore[arg-type]
    assert published.asked == []
    lookup(published, "/v1/apps/jana-courier/manifest.json")  # type: ignore[arg-type]
    lookup(published, f"/v1/documents/{SHA}")  # type: ignore[arg-type]
    assert published.asked == [("manifest", "jana-courier"), ("document", SHA)]
