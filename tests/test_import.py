"""`kelisim import`: the five real policies, other languages, and bad files."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from conftest import POLICIES
from helpers import payload_of
from server.policy.importing.importer import ImportedPolicy, import_document, write_version_dir
from server.policy.importing.langdetect import detect, split_languages
from server.policy.importing.text import text_to_markdown

APP_TOML = """
id = "imported"
name = "Imported"
default_locale = "ru"
[controller]
name = "Test LLP"
bin = "240540012347"
country = "KZ"
email = "dpo@example.kz"
address = "Astana"
"""

if not POLICIES.is_dir():
    pytest.fail(f"{POLICIES} not found: the real policies are test data; check out the "
                f"shared folder beside the repository", pytrace=False)

EXPECTED = {
    "inji.ru.md": ["ru"],
    "jana-courier-v2.en.txt": ["en"],
    "jana-post-v1.en.md": ["en"],
    "jetauto.kk-ru.txt": ["kk", "ru"],
    "qazstep.ru.md": ["ru"],
}

UZ_LATN = ("Ushbu maxfiylik siyosati shaxsiy maʼlumotlaringiz qanday yigʻilishi, saqlanishi va "
           "foydalanilishini tushuntiradi. Biz maʼlumotlarni faqat xizmat koʻrsatish uchun "
           "ishlatamiz va ularni sizning roziligingizsiz uchinchi shaxslarga bermaymiz.")
UZ_CYRL = ("Ушбу махфийлик сиёсати шахсий маълумотларингиз қандай йиғилиши, сақланиши ва "
           "фойдаланилишини тушунтиради. Биз маълумотларни фақат хизмат кўрсатиш учун "
           "ишлатамиз ва уларни сизнинг розилигингизсиз учинчи шахсларга бермаймиз.")
KY = ("Бул купуялык саясаты сиздин жеке маалыматтарыңыз кантип чогултулуп, сакталып жана "
      "колдонуларын түшүндүрөт. Биз маалыматтарды кызмат көрсөтүү үчүн гана колдонобуз жана "
      "аларды сиздин макулдугуңузсуз үчүнчү жактарга бербейбиз.")
KK = ("Бұл құпиялылық саясаты жеке деректеріңіздің қалай жиналатынын, сақталатынын және "
      "пайдаланылатынын түсіндіреді. Біз деректерді тек қызмет көрсету үшін пайдаланамыз және "
      "оларды сіздің келісіміңізсіз үшінші тұлғаларға бермейміз.")


def review(folder: Path) -> None:
    """What the operator does after checking each placeholder: delete the markers."""
    toml = folder / "version.toml"
    toml.write_text(re.sub(r"\s*# REVIEW.*", "", toml.read_text()))


def import_file(path: Path, out: Path, **kw: str) -> ImportedPolicy:
    result = import_document(path.read_bytes(), path.name, **kw)
    write_version_dir(result, out)
    return result


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_policies_import_and_publish(name: str, cli, client: FlaskClient,
                                          tmp_path: Path) -> None:
    app_dir = tmp_path / "imported"
    app_dir.mkdir()
    (app_dir / "app.toml").write_text(APP_TOML)
    cli("keys", "init")
    cli("apps", "create", str(app_dir))
    out = cli("import", str(POLICIES / name), "--app", "imported", "--out",
              str(app_dir / "v1")).output
    assert "wrote" in out
    files = sorted(p.stem for p in (app_dir / "v1").glob("*.md"))
    assert files == sorted(EXPECTED[name])
    refused = cli("publish", str(app_dir / "v1"), ok=False).output
    assert "version.toml:" in refused and "still marked REVIEW by `kelisim import`" in refused
    review(app_dir / "v1")
    cli("publish", str(app_dir / "v1"))
    manifest = payload_of(client.get("/v1/apps/imported/manifest.json").data)
    locales = manifest["current"]["locales"]
    assert sorted(locales) == sorted(EXPECTED[name])
    for tag, doc in locales.items():
        body = client.get(doc["url"]).data
        assert hashlib.sha256(body).hexdigest() == doc["sha256"]
        assert body == (app_dir / "v1" / f"{tag}.md").read_bytes()
        assert doc["title"]


def test_bilingual_file_splits_at_language_headings(tmp_path: Path) -> None:
    result = import_file(POLICIES / "jetauto.kk-ru.txt", tmp_path / "v")
    kk = (tmp_path / "v" / "kk.md").read_text()
    ru = (tmp_path / "v" / "ru.md").read_text()
    assert kk.startswith("## 1. Жалпы ережелер") and "РУССКИЙ ЯЗЫК" not in kk
    assert ru.startswith("## 1. Общие положения") and "Жалпы" not in ru
    assert "- ЖСН, АТЖ, телефон" in kk
    assert set(result.documents) == {"kk", "ru"}
    toml = (tmp_path / "v" / "version.toml").read_text()
    assert 'kk = "Құпиялылық саясаты"' in toml


def test_locale_option_picks_one_section(tmp_path: Path) -> None:
    import_file(POLICIES / "jetauto.kk-ru.txt", tmp_path / "v", locale="ru")
    assert [p.name for p in (tmp_path / "v").glob("*.md")] == ["ru.md"]


def test_front_matter_and_date(tmp_path: Path) -> None:
    result = import_file(POLICIES / "inji.ru.md", tmp_path / "v")
    text = (tmp_path / "v" / "ru.md").read_text()
    assert not text.startswith("---") and "layout: page" not in text
    toml = (tmp_path / "v" / "version.toml").read_text()
    assert 'label = "2022-11-08"' in toml and "effective = 2022-11-08T00:00:00Z" in toml
    assert 'ru = "Политика конфиденциальности"' in toml
    assert result.documents == {"ru": text}


@pytest.mark.parametrize("text,lang", [(UZ_LATN, "uz"), (UZ_CYRL, "uz"), (KY, "ky"),
                                       (KK, "kk")])
def test_detects_central_asian_languages(text: str, lang: str) -> None:
    assert detect(text) == lang


def test_uzbek_and_kyrgyz_files_import(tmp_path: Path) -> None:
    cases = {"uz.txt": (UZ_LATN, "uz"), "uzc.txt": (UZ_CYRL, "uz-Cyrl"), "ky.txt": (KY, "ky")}
    for name, (body, tag) in cases.items():
        src = tmp_path / name
        src.write_text(body + "\n\n" + body + "\n")
        result = import_file(src, tmp_path / name.split(".")[0])
        assert list(result.documents) == [tag]
    # The Uzbek modifier letter ʻ (U+02BB) survives NFC normalisation and the round trip.
    assert "koʻrsatish" in (tmp_path / "uz" / "uz.md").read_text()


def test_two_languages_without_headings_split_by_paragraph(tmp_path: Path) -> None:
    src = tmp_path / "mixed.md"
    src.write_text(f"# Құпиялылық саясаты\n\n{KK}\n\n{KK}\n\n# Купуялык саясаты\n\n{KY}\n\n{KY}\n")
    parts = split_languages(src.read_text())
    assert [lang for lang, _ in parts] == ["kk", "ky"]


def test_plain_text_conversion_escapes_markup() -> None:
    md = text_to_markdown("Title\n\n1. Section\nA *star* and [link] <tag>\n• item\n"
                          "2020. It was a long year.")
    assert md.splitlines()[0] == "# Title"
    assert "## 1. Section" in md
    assert "A \\*star\\* and \\[link\\] \\<tag>" in md
    assert "- item" in md
    assert "2020\\. It was a long year." in md


def test_bad_files_get_clear_errors(cli, tmp_path: Path) -> None:
    binary = tmp_path / "b.txt"
    binary.write_bytes("Саясат\nжол\n".encode() + b"\xff\xfe bad")
    out = cli("import", str(binary), "--app", "a", "--out", str(tmp_path / "o1"),
              ok=False).output
    assert "b.txt:3: not UTF-8" in out
    empty = tmp_path / "e.md"
    empty.write_text("  \n")
    assert "the file is empty" in cli("import", str(empty), "--app", "a", ok=False).output
    nul = tmp_path / "n.txt"
    nul.write_text("a\nb\x00")
    assert "n.txt:2: contains a NUL character" in cli("import", str(nul), "--app", "a",
                                                      ok=False).output
    unknown = tmp_path / "u.txt"
    unknown.write_text("12345 67890")
    assert "cannot tell the language" in cli("import", str(unknown), "--app", "a",
                                             "--out", str(tmp_path / "o2"), ok=False).output
    assert "--locale 'xx'" in cli("import", str(unknown), "--app", "a", "--locale", "xx",
                                  ok=False).output
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "x").write_text("keep me")
    out = cli("import", str(POLICIES / "qazstep.ru.md"), "--app", "a", "--out", str(taken),
              ok=False).output
    assert "exists and is not empty" in out
    assert (taken / "x").read_text() == "keep me"
