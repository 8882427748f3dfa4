"""app.toml / version.toml validation: every error names the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import DEMO
from server.errors import PolicySourceError
from server.policy.schema import is_publishable_locale, valid_bin
from server.policy.source import AppMetadata, load_app_dir, load_version_dir


def test_demo_bundles_are_valid() -> None:
    app = load_app_dir(DEMO)
    assert app.id == "jana-courier" and app.controller["bin"] == "240540012347"
    v = load_version_dir(DEMO / "2.0", 1 << 20)
    assert sorted(v.documents) == ["en", "kk", "ky", "ru", "uz"]
    assert v.spec["effective"] is None and v.spec["min_age"] == 16


@pytest.mark.parametrize("value,ok", [("240540012347", True), ("240540012340", False),
                                      ("12345", False), ("abcdefghijkl", False),
                                      # Arabic-Indic digits of a valid BIN: \d took them.
                                      ("٢٤٠٥٤٠٠١٢٣٤٧", False)])
def test_bin_check_digit(value: str, ok: bool) -> None:
    assert valid_bin(value) is ok


def _app(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "app.toml").write_text(text)
    with pytest.raises(PolicySourceError) as exc:
        load_app_dir(tmp_path)
    return exc.value.problems


def test_app_toml_errors(tmp_path: Path) -> None:
    toml = (DEMO / "app.toml").read_text()
    toml = "surprise = 1\n" + toml
    problems = _app(tmp_path, toml.replace('bin = "240540012347"', 'bin = "240540012340"')
                    .replace('default_locale = "kk"', 'default_locale = "de"')
                    .replace('id = "firebase"', 'id = "Fire Base"'))
    src = str(tmp_path / "app.toml")
    assert f"{src}: controller.bin: is not a valid 12-digit BIN (check digit fails)" in problems
    assert any(p.startswith(f"{src}: default_locale: Must be one of") for p in problems)
    assert any(p.startswith(f"{src}: vendors[0].id: must be a lowercase id") for p in problems)
    assert f"{src}: surprise: Unknown field." in problems


def test_app_toml_syntax_error_and_missing(tmp_path: Path) -> None:
    problems = _app(tmp_path, "id = \n")
    assert problems[0].startswith(f"{tmp_path / 'app.toml'}: Invalid value")
    with pytest.raises(PolicySourceError, match="file not found"):
        load_app_dir(tmp_path / "missing")


def _version(tmp_path: Path, toml: str, docs: dict[str, bytes] | None = None) -> list[str]:
    d = tmp_path / "v"
    d.mkdir(exist_ok=True)
    (d / "version.toml").write_text(toml)
    for name, data in (docs if docs is not None else {"kk.md": b"# T\n\nText\n"}).items():
        (d / name).write_bytes(data)
    with pytest.raises(PolicySourceError) as exc:
        load_version_dir(d, 1000)
    return exc.value.problems


def test_version_toml_field_errors(tmp_path: Path) -> None:
    toml = (DEMO / "1.0" / "version.toml").read_text()
    bad = (toml.replace('significance = "major"', 'significance = "huge"')
           .replace('consent_term = "P3Y"', 'consent_term = "3 years"')
           .replace("third_party_transfer = false\n", "")
           .replace('id = "delivery"', 'id = "notifications"'))
    problems = _version(tmp_path, bad)
    src = str(tmp_path / "v" / "version.toml")
    assert f"{src}: significance: Must be one of: major, minor, patch." in problems
    assert any(p.startswith(f"{src}: consent_term: '3 years' is not an ISO 8601 duration")
               for p in problems)
    assert f"{src}: third_party_transfer: Missing data for required field." in problems
    assert f"{src}: purposes[1].id: duplicate id 'notifications'" in problems


def test_version_documents_errors(tmp_path: Path) -> None:
    toml = (DEMO / "1.0" / "version.toml").read_text()
    problems = _version(tmp_path, toml, {"kk.md": b"# T\n\nok", "de.md": b"# T",
                                         "ru.md": b"\xff\xfe", "en.md": b"x" * 2000})
    d = tmp_path / "v"
    assert any(p.startswith(f"{d / 'de.md'}: file name is not a locale tag") for p in problems)
    assert f"{d / 'ru.md'}: not UTF-8 (byte 0)" in problems
    assert f"{d / 'en.md'}: 1.95 KiB (2,000 bytes) is over MAX_DOCUMENT_BYTES, the limit of " \
        f"1000 bytes a document may have in UTF-8" in problems


def test_version_without_title_or_documents(tmp_path: Path) -> None:
    toml = (DEMO / "1.0" / "version.toml").read_text()
    problems = _version(tmp_path, toml, {"kk.md": b"No heading here\n"})
    assert any("no title; start the document with a '# heading'" in p for p in problems)
    (tmp_path / "v" / "kk.md").unlink()
    problems = _version(tmp_path, toml, {})
    assert problems == [f"{tmp_path / 'v'}: no documents; add one <locale>.md per language"]


def test_summary_for_missing_locale(tmp_path: Path) -> None:
    toml = (DEMO / "1.0" / "version.toml").read_text()
    problems = _version(tmp_path, toml, {"kk.md": b"# T\n"})
    assert f"{tmp_path / 'v' / 'version.toml'}: summary.ru: there is no ru.md document" in problems


@pytest.mark.parametrize("tag,ok", [("kk", True), ("uz-Cyrl", True), ("uz-Latn", True),
                                    ("kk-KZ", False), ("de", False), ("kk\n", False),
                                    ("KK", False), ("uz-cyrl", False)])
def test_publishable_locales(tag: str, ok: bool) -> None:
    assert is_publishable_locale(tag) is ok


def test_grammar_is_full_match(tmp_path: Path) -> None:
    """A trailing newline passed the old ``^…$`` patterns (``$`` matches before it)."""
    import tomllib

    data = tomllib.loads((DEMO / "app.toml").read_text())
    data["id"] = "jana-courier\n"
    data["controller"]["country"] = "KZ\n"
    with pytest.raises(PolicySourceError) as exc:
        AppMetadata.from_dict(data, "form")
    assert sorted(exc.value.problems) == [
        "form: controller.country: must be an ISO 3166 two-letter code such as KZ",
        "form: id: must be a lowercase id (letters, digits, '-', '_', '.'; at most 64)"]


@pytest.mark.parametrize(("mapping", "problem"), [
    ({"ad_click": ["analytics"]}, "consent_mode.ad_click: Unknown field."),
    ({"analytics_storage": ["marketing"]},
     "consent_mode.analytics_storage: unknown purpose 'marketing'; this version's purposes "
     "are ['analytics', 'delivery', 'notifications']"),
    ({"analytics_storage": "analytics"}, "consent_mode.analytics_storage: Not a valid list."),
])
def test_consent_mode_errors_name_the_field(mapping: dict[str, object], problem: str) -> None:
    import tomllib

    from server.policy.source import version_from_data

    spec = tomllib.loads((DEMO / "2.0" / "version.toml").read_text())
    docs = {p.stem: p.read_bytes() for p in (DEMO / "2.0").glob("*.md")}
    with pytest.raises(PolicySourceError) as exc:
        version_from_data({**spec, "consent_mode": mapping}, docs, max_document_bytes=10**6)
    assert exc.value.problems == [f"draft/version.toml: {problem}"]
    # The demo's own mapping is valid: analytics_storage needs analytics.
    ok = version_from_data(spec, docs, max_document_bytes=10**6)
    assert ok.spec["consent_mode"] == {"analytics_storage": ["analytics"]}
