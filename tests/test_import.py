"""`kelisim import`: the project's own test policies (tests/data/policies), other
languages, bad files; and, as an extra check, the real policies in ../shared/policies when
that folder is beside the repository."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from client_sdk.ui.markup import to_blocks
from conftest import POLICIES as REAL_POLICIES
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

# The project's own policies, written for these tests (invented companies, addresses under
# .example), and the languages each must import as. Each has the shape of a kind of policy
# met in the wild:
DATA = Path(__file__).resolve().parent / "data" / "policies"
OWN = {
    # plain text: ALL-CAPS title, "Effective Date: Month D, YYYY", 1. and 1.1. sections,
    # bullets, a hyphenated line break, "Page 1 of 2" footers, an ALL-CAPS heading
    "altyn-courier.en.txt": ["en"],
    # Markdown: italic "_Дата вступления в силу: DD.MM.YYYY_", lists right under a line,
    # [bracketed] contact placeholders, Kazakh words in the app's name, a closing "---"
    "bilim-quiz.ru.md": ["ru"],
    # plain text: Kazakh then Russian under "ҚАЗАҚ ТІЛІ" / "РУССКИЙ ЯЗЫК", no title, no date
    "dala-taxi.kk-ru.txt": ["kk", "ru"],
    # plain text Kyrgyz: ALL-CAPS title, "Акыркы жаңыртуу: DD.MM.YYYY"
    "jolgo.ky.txt": ["ky"],
    # Markdown: front matter, the date under a bold line before the title, a cited law's
    # date, bold lines as headings, "*   – item" lists, links
    "qoyan-books.ru.md": ["ru"],
    # Markdown: bold first line as title, [Insert Date] placeholders, "### 1. **Heading**",
    # backslash line breaks, an escaped mailto link
    "sary-post.en.md": ["en"],
    # plain text Uzbek (Latin, ʻ U+02BB and ʼ U+02BC): "Versiya: 2.3", a stated date
    "savat.uz.txt": ["uz"],
    # Markdown Uzbek written line under line: bold "**Key:** value" header lines, bold
    # section headers and "## 3." headings each directly followed by their numbered
    # sub-sections ("1.1. ...", no blank lines), "Kuchga kirish sanasi: 05.01.2026"
    "ipak-market.uz.md": ["uz"],
}

# The real policies (../shared/policies, not part of the repository) and their languages.
REAL = {
    "inji.ru.md": ["ru"],
    "jana-courier-v2.en.txt": ["en"],
    "jana-post-v1.en.md": ["en"],
    "jetauto.kk-ru.txt": ["kk", "ru"],
    "qazstep.ru.md": ["ru"],
}
NO_REAL = ("../shared/policies not beside the repository (or empty): the real-policy check "
           "is skipped")


def _real_files() -> list[str]:
    """The files in ../shared/policies; none when it is missing or unreadable (collection
    must not fail in a plain clone)."""
    try:
        return sorted(p.name for p in REAL_POLICIES.iterdir()
                      if p.is_file() and not p.name.startswith("."))
    except OSError:
        return []


REAL_FILES = _real_files()

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


def import_and_publish(path: Path, langs: list[str] | None, cli, client: FlaskClient,
                       tmp_path: Path) -> None:
    """`kelisim import` the file into a new app: one document per language in ``langs``
    (any, if None); `kelisim publish` refuses it while version.toml has REVIEW markers and
    publishes it once they are gone; the server then serves each document byte for byte."""
    app_dir = tmp_path / "imported"
    app_dir.mkdir()
    (app_dir / "app.toml").write_text(APP_TOML)
    cli("keys", "init")
    cli("apps", "create", str(app_dir))
    out = cli("import", str(path), "--app", "imported", "--out", str(app_dir / "v1")).output
    assert "wrote" in out
    files = sorted(p.stem for p in (app_dir / "v1").glob("*.md"))
    if langs is not None:
        assert files == sorted(langs)
    assert files
    refused = cli("publish", str(app_dir / "v1"), ok=False).output
    assert "version.toml:" in refused and "still marked REVIEW by `kelisim import`" in refused
    review(app_dir / "v1")
    cli("publish", str(app_dir / "v1"))
    manifest = payload_of(client.get("/v1/apps/imported/manifest.json").data)
    locales = manifest["current"]["locales"]
    assert sorted(locales) == files
    for tag, doc in locales.items():
        body = client.get(doc["url"]).data
        assert hashlib.sha256(body).hexdigest() == doc["sha256"]
        assert body == (app_dir / "v1" / f"{tag}.md").read_bytes()
        assert doc["title"]


def test_every_test_policy_is_in_the_table() -> None:
    """tests/data/policies holds exactly the policies OWN lists (so each is imported and
    published below, and a new one needs its expected languages)."""
    assert sorted(p.name for p in DATA.iterdir()) == sorted(OWN)


@pytest.mark.parametrize("name", sorted(OWN))
def test_policies_import_and_publish(name: str, cli, client: FlaskClient,
                                     tmp_path: Path) -> None:
    """Each test policy imports in its languages through the CLI, is refused while REVIEW
    markers remain, then publishes and is served unchanged."""
    import_and_publish(DATA / name, OWN[name], cli, client, tmp_path)


@pytest.mark.parametrize("name", REAL_FILES or [
    pytest.param(None, marks=pytest.mark.skip(reason=NO_REAL), id="absent")])
def test_real_policies_import_and_publish(name: str, cli, client: FlaskClient,
                                          tmp_path: Path) -> None:
    """Each real policy in ../shared/policies imports through the CLI (in the languages REAL
    gives, when it names the file), is refused while REVIEW markers remain, then publishes
    and is served unchanged; skipped when that folder is not beside the repository."""
    import_and_publish(REAL_POLICIES / name, REAL.get(name), cli, client, tmp_path)


def test_bilingual_file_splits_at_language_headings(tmp_path: Path) -> None:
    """A Kazakh + Russian text file splits at its language lines into kk.md and ru.md, each
    a section-numbered document with its bullets; without a title or a date in the text,
    titles are the defaults and the label is 1.0."""
    result = import_file(DATA / "dala-taxi.kk-ru.txt", tmp_path / "v")
    kk = (tmp_path / "v" / "kk.md").read_text()
    ru = (tmp_path / "v" / "ru.md").read_text()
    assert kk.startswith("## 1. Жалпы ережелер") and "РУССКИЙ ЯЗЫК" not in kk
    assert ru.startswith("## 1. Общие положения") and "Жалпы" not in ru
    assert "ҚАЗАҚ ТІЛІ" not in kk + ru
    assert "\n## 6. Байланыс\n" in kk and "\n## 6. Контакты\n" in ru
    assert "- аты-жөні, телефон нөмірі, ЖСН;" in kk
    assert "- ФИО, номер телефона, ИИН;" in ru
    # A wrapped line that starts with a dash mid-sentence is a dash, not a list item.
    assert "(далее – «Политика») объясняет" in ru and "- «Политика»" not in ru
    assert "privacy@dala-taxi.example" in kk and "privacy@dala-taxi.example" in ru
    assert set(result.documents) == {"kk", "ru"}
    assert result.notes[0] == "split into 2 languages: kk, ru"
    toml = (tmp_path / "v" / "version.toml").read_text()
    assert 'kk = "Құпиялылық саясаты"' in toml and 'ru = "Политика конфиденциальности"' in toml
    assert 'label = "1.0"' in toml and "effective" not in toml


@pytest.mark.parametrize("locale", ["kk", "ru"])
def test_locale_option_picks_one_section(locale: str, tmp_path: Path) -> None:
    """--locale keeps only that language's section of a bilingual file."""
    result = import_file(DATA / "dala-taxi.kk-ru.txt", tmp_path / "v", locale=locale)
    assert [p.name for p in (tmp_path / "v").glob("*.md")] == [f"{locale}.md"]
    assert list(result.documents) == [locale] and result.warnings == []


def test_front_matter_and_date(tmp_path: Path) -> None:
    """Front matter is dropped and its title used; the date under "Последнее обновление"
    ("14 Марта 2023") is the label and the proposed effective date (not applied), not the
    date of the law the text cites; the Markdown is otherwise kept as written."""
    src = DATA / "qoyan-books.ru.md"
    result = import_file(src, tmp_path / "v")
    text = (tmp_path / "v" / "ru.md").read_text()
    assert not text.startswith("---") and "layout: page" not in text
    assert text.startswith("**Последнее обновление**  \n14 Марта 2023\n\n# Политика")
    assert src.read_text().endswith(text)
    toml = (tmp_path / "v" / "version.toml").read_text()
    assert 'label = "2023-03-14"' in toml and "\n# effective = 2023-03-14T00:00:00Z\n" in toml
    assert "effective" not in result.spec
    assert "2013" not in toml  # Law 94-V of 21 May 2013
    assert 'ru = "Политика конфиденциальности"' in toml
    assert result.documents == {"ru": text}
    assert (result.kind, result.notes) == (
        "markdown", ["label proposed from the date the text states: 2023-03-14 (the text "
                     "names no version); keep it or give a version number",
                     "the text states the date 2023-03-14: proposed as the effective date, "
                     "not applied (a version takes effect when published; set its effective "
                     "date to schedule it later)",
                     "store labels: proposed a mapping for the data the text names (name, "
                     "email, phone, address, payment, device, purchases); review it in "
                     "version.toml"])


def test_a_label_proposed_from_the_stated_date_is_marked_for_review(tmp_path: Path) -> None:
    """A first version whose text names no version but states a date: the date is proposed
    as the label, with a REVIEW marker on the label's line (so `kelisim publish` asks the
    officer to confirm it) and a note; a label the text states is not marked."""
    result = import_file(DATA / "qoyan-books.ru.md", tmp_path / "v")
    line = next(x for x in result.version_toml.splitlines() if x.startswith("label"))
    assert line.startswith('label = "2023-03-14"  # REVIEW: proposed from the date')
    assert [x for x in result.notes if x.startswith("label proposed")]
    stated = import_file(DATA / "savat.uz.txt", tmp_path / "uz")
    line = next(x for x in stated.version_toml.splitlines() if x.startswith("label"))
    assert line == 'label = "2.3"' and not [x for x in stated.notes
                                             if x.startswith("label proposed")]
    given = import_document((DATA / "qoyan-books.ru.md").read_bytes(), "p.md", label="1.0")
    assert 'label = "1.0"\n' in given.version_toml


def test_plain_text_policy_becomes_sectioned_markdown(tmp_path: Path) -> None:
    """An English text file: its ALL-CAPS first line is the title, "1." and "1.1." lines
    and an ALL-CAPS line are section headings, "•" lines a list (a wrapped item joined),
    hard-wrapped lines paragraphs (a hyphenated break joined), "Page 1 of 2" footers dropped;
    "Effective Date: September 15, 2024" is the label and the stated date."""
    result = import_file(DATA / "altyn-courier.en.txt", tmp_path / "v")
    md = (tmp_path / "v" / "en.md").read_text()
    lines = md.splitlines()
    assert lines[0] == "# PRIVACY POLICY" and result.titles == {"en": "PRIVACY POLICY"}
    headings = [line for line in lines if line.startswith("#")]
    assert headings == ["# PRIVACY POLICY", "## 1. Data We Collect", "## 1.1. Account data",
                        "## 1.2. Location data", "## 1.3. Delivery data",
                        "## 2. Why We Use It", "## 3. Who Receives It", "## 4. Retention",
                        "## 5. Your Rights", "## CONTACT US"]
    assert [line for line in lines if line.startswith("- ")] == [
        "- to offer you orders near your position;", "- to pay you for completed deliveries;",
        "- to settle disputes with recipients about lost or damaged parcels;",
        "- to meet our obligations under tax and labour law."]
    assert ("This Privacy Policy describes how Altyn Courier LLP (the \"Company\") handles "
            "personal data in the Altyn Courier mobile application (the \"App\"), which "
            "couriers use to receive and deliver orders.") in lines
    assert "as accounting law requires." in md
    assert "Page" not in md
    assert "privacy@altyn-courier.example" in md
    assert (result.kind, result.label, result.stated_date) == ("text", "2024-09-15",
                                                             "2024-09-15")
    assert "plain text converted to Markdown" in result.notes


def test_markdown_with_placeholders_is_kept_for_review(tmp_path: Path) -> None:
    """An English Markdown file whose first line is a bold title and whose date is still
    "[Insert Date]": kept exactly as written, titled by the bold line; with no date the
    label is 1.0 and no effective date is set; purposes and flags are marked REVIEW."""
    src = DATA / "sary-post.en.md"
    result = import_file(src, tmp_path / "v")
    md = (tmp_path / "v" / "en.md").read_text()
    assert md == src.read_text()
    assert "**Effective Date:** [Insert Date]" in md and "[Insert Phone Number]" in md
    assert result.titles == {"en": "Privacy Policy"}
    assert (result.kind, result.label, result.stated_date) == ("markdown", "1.0", None)
    assert result.notes == ["store labels: proposed a mapping for the data the text names "
                            "(email, phone, address, location, photos, device, crashes); "
                            "review it in version.toml"]
    toml = (tmp_path / "v" / "version.toml").read_text()
    assert "effective" not in toml and 'en = "Privacy Policy"' in toml
    marked = [line.split()[0] for line in toml.splitlines() if "# REVIEW" in line]
    assert marked == ["third_party_transfer", "cross_border_transfer", "public_disclosure",
                      "[[purposes]]", "store", *["#"] * 7]


def test_russian_markdown_with_kazakh_words_and_an_italic_date(tmp_path: Path) -> None:
    """A Russian Markdown policy that names its app in Kazakh ("ҰБТ-ға дайындық") is one
    Russian document, kept as written; its italic "_Дата вступления в силу: 20.08.2024_"
    is the label and the stated date."""
    src = DATA / "bilim-quiz.ru.md"
    result = import_file(src, tmp_path / "v")
    assert result.documents == {"ru": src.read_text()}
    assert result.titles == {"ru": "Политика конфиденциальности"}
    assert (result.label, result.stated_date) == ("2024-08-20", "2024-08-20")


def test_uzbek_and_kyrgyz_policy_files_import(tmp_path: Path) -> None:
    """A Latin Uzbek text file imports as uz: its "Versiya: 2.3" is the label, its date the
    stated date, and ʻ (U+02BB) and ʼ (U+02BC) survive; a Kyrgyz one as ky, its
    ALL-CAPS first line the title and "Акыркы жаңыртуу: 20.05.2024" its date."""
    uz = import_file(DATA / "savat.uz.txt", tmp_path / "uz")
    md = (tmp_path / "uz" / "uz.md").read_text()
    assert list(uz.documents) == ["uz"]
    assert (uz.label, uz.stated_date, uz.titles) == ("2.3", "2024-09-01",
                                                   {"uz": "Maxfiylik siyosati"})
    assert "label taken from the version the text states: 2.3" in uz.notes
    assert md.startswith("# Maxfiylik siyosati\n")
    assert "\n## 1. Qanday maʼlumotlar yigʻiladi\n" in md and "\n## 5. Bogʻlanish\n" in md
    assert "- buyurtmalar tarixi va toʻlov holati (karta raqami saqlanmaydi)." in md
    ky = import_file(DATA / "jolgo.ky.txt", tmp_path / "ky")
    md = (tmp_path / "ky" / "ky.md").read_text()
    assert list(ky.documents) == ["ky"]
    assert (ky.label, ky.stated_date, ky.titles) == ("2024-05-20", "2024-05-20",
                                                   {"ky": "КУПУЯЛЫК САЯСАТЫ"})
    assert md.startswith("# КУПУЯЛЫК САЯСАТЫ\n") and "\n## 5. Байланыш\n" in md
    assert "- жеткирүү даректери;" in md


@pytest.mark.parametrize("name", sorted(OWN))
def test_imported_policies_render_in_the_sdk(name: str) -> None:
    """Each imported test policy renders in the SDK's Kivy markup as headings, list items
    and paragraphs, with no Markdown syntax left in the text and links (mailto too) as
    refs the widget opens."""
    result = import_document((DATA / name).read_bytes(), name)
    for md in result.documents.values():
        blocks = to_blocks(md)
        kinds = {b.kind for b in blocks}
        assert {"heading", "paragraph", "item"} <= kinds, kinds
        for b in blocks:
            assert "**" not in b.markup and "\\" not in b.markup, b
            assert not b.markup.startswith(("#", "- ", "* ")), b
        if "](mailto" in md:
            assert any("[ref=mailto:privacy@" in b.markup for b in blocks)


@pytest.mark.parametrize("text,lang", [(UZ_LATN, "uz"), (UZ_CYRL, "uz"), (KY, "ky"),
                                       (KK, "kk")])
def test_detects_central_asian_languages(text: str, lang: str) -> None:
    """A paragraph of Uzbek (Latin or Cyrillic), Kyrgyz or Kazakh is told apart."""
    assert detect(text) == lang


def test_uzbek_and_kyrgyz_files_import(tmp_path: Path) -> None:
    """Short Uzbek (Latin: uz, Cyrillic: uz-Cyrl) and Kyrgyz files import under their tags."""
    cases = {"uz.txt": (UZ_LATN, "uz"), "uzc.txt": (UZ_CYRL, "uz-Cyrl"), "ky.txt": (KY, "ky")}
    for name, (body, tag) in cases.items():
        src = tmp_path / name
        src.write_text(body + "\n\n" + body + "\n")
        result = import_file(src, tmp_path / name.split(".")[0])
        assert list(result.documents) == [tag]
    # The Uzbek modifier letter ʻ (U+02BB) survives NFC normalisation and the round trip.
    assert "koʻrsatish" in (tmp_path / "uz" / "uz.md").read_text()


def test_two_languages_without_headings_split_by_paragraph(tmp_path: Path) -> None:
    """Without language lines, a Kazakh run then a Kyrgyz run of paragraphs split in two."""
    src = tmp_path / "mixed.md"
    src.write_text(f"# Құпиялылық саясаты\n\n{KK}\n\n{KK}\n\n# Купуялык саясаты\n\n{KY}\n\n{KY}\n")
    parts = split_languages(src.read_text())
    assert [lang for lang, _ in parts] == ["kk", "ky"]


def test_plain_text_conversion_escapes_markup() -> None:
    """Plain text to Markdown: title, numbered heading, bullet; what Markdown would read as
    markup (* [ < and "2020." at a line start) is escaped."""
    md = text_to_markdown("Title\n\n1. Section\nA *star* and [link] <tag>\n• item\n"
                          "2020. It was a long year.")
    assert md.splitlines()[0] == "# Title"
    assert "## 1. Section" in md
    assert "A \\*star\\* and \\[link\\] \\<tag>" in md
    assert "- item" in md
    assert "2020\\. It was a long year." in md


def test_bad_files_get_clear_errors(cli, tmp_path: Path) -> None:
    """Not UTF-8, empty, NUL, no language, an unknown --locale, an --out folder that is not
    empty (left untouched): each refused with a message that says what is wrong."""
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
    out = cli("import", str(DATA / "bilim-quiz.ru.md"), "--app", "a", "--out", str(taken),
              ok=False).output
    assert "exists and is not empty" in out
    assert (taken / "x").read_text() == "keep me"


# -- issue 18.3: structure kept, a stated date only proposed -----------------------------------
def test_markdown_header_and_numbered_sub_sections_stay_apart() -> None:
    """A Markdown policy written line under line (ipak-market.uz.md) shows in the app as
    its structure: each bold section header, each numbered sub-section and the header
    block are blocks of their own (a Markdown renderer would join the lines into one)."""
    src = DATA / "ipak-market.uz.md"
    md = import_document(src.read_bytes(), src.name).documents["uz"]
    blocks = [(b.kind, b.markup) for b in to_blocks(md)]
    texts = [m for _, m in blocks]
    assert blocks[0] == ("heading", "“Ipak Market” mobil ilovasining maxfiylik siyosati")
    assert blocks[1][1].startswith("[b]Kuchga kirish sanasi:[/b] 05.01.2026\n[b]Operator:[/b]")
    assert ("paragraph", "[b]1. Umumiy qoidalar[/b]") in blocks
    assert ("paragraph", "[b]2. Qanday maʼlumotlarni yigʻamiz[/b]") in blocks
    assert ("heading", "3. Maʼlumotlardan foydalanish maqsadlari") in blocks
    numbered = [t for t in texts if re.match(r"[0-9]\.[0-9]\. ", t)]
    assert [t[:4] for t in numbered] == ["1.1.", "1.2.", "1.3.", "2.1.", "2.2.", "2.3.",
                                         "3.1.", "3.2.", "3.3.", "4.1.", "4.2.", "5.1.",
                                         "5.2."]
    assert all(not re.search(r" [0-9]\.[0-9]\. ", t) for t in texts)
    # Markdown written in blocks already is kept byte for byte (the other test policies).
    for name in ("bilim-quiz.ru.md", "sary-post.en.md"):
        assert import_document((DATA / name).read_bytes(), name).documents == {
            name.split(".")[1]: (DATA / name).read_text()}


def test_a_stated_date_is_a_proposal_never_a_back_dated_effective_date(
        cli, client: FlaskClient, tmp_path: Path, users: dict[str, int], kelisim) -> None:
    """The first version of a new app, imported from a policy that states 05.01.2026 (in
    the past): version.toml proposes the date in a comment (the note says so), publishing
    it makes it take effect when published, not on 2026-01-05; a console upload makes a
    draft whose Effective is empty and whose notes show the proposal."""
    from admin_support import post, sign_in
    from server.admin.models import Draft

    src = DATA / "ipak-market.uz.md"
    app_dir = tmp_path / "imported"
    app_dir.mkdir()
    (app_dir / "app.toml").write_text(APP_TOML)
    cli("keys", "init")
    cli("apps", "create", str(app_dir))
    out = cli("import", str(src), "--app", "imported", "--out", str(app_dir / "v1")).output
    assert "note: the text states the date 2026-01-05: proposed as the effective date, " \
           "not applied" in out
    toml = (app_dir / "v1" / "version.toml").read_text()
    assert "\n# effective = 2026-01-05T00:00:00Z\n" in toml
    assert not re.search(r"^effective", toml, re.M)
    review(app_dir / "v1")
    cli("publish", str(app_dir / "v1"))
    current = payload_of(client.get("/v1/apps/imported/manifest.json").data)["current"]
    assert current["effective"] == current["published"] > "2026-01-05T00:00:00Z"

    cli("apps", "create", str(_second_app(tmp_path)))
    sign_in(client, kelisim, users["publisher"])
    with client.session_transaction("/admin/") as sess:
        sess["lang"] = "en"
    resp = post(client, "/admin/apps/second/drafts/upload", {
        "file": (io.BytesIO(src.read_bytes()), src.name)}, content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(True)[-1500:]
    draft_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    with kelisim.db.session(readonly=True) as s:
        d = s.get(Draft, draft_id)
        assert d is not None and not d.spec.get("effective")
        # The importer's notes are not the officer's: the Notes field (the version's
        # history note) starts empty, and the page shows them apart.
        assert d.notes == ""
    page = client.get(f"/admin/drafts/{draft_id}").get_data(True)
    assert 'name="effective" value=""' in page
    notes = page[page.index('id="importer-notes"'):]
    # In the console's words: the form's field, not version.toml's key.
    assert ("The text states the date 2026-01-05: proposed as the effective date, not "
            "applied. The version takes effect when published; to schedule it later, set "
            "“Effective (UTC; empty = when published)”.") in notes[:notes.index("</div>")]


def _second_app(tmp_path: Path) -> Path:
    folder = tmp_path / "second"
    folder.mkdir()
    (folder / "app.toml").write_text(APP_TOML.replace('"imported"', '"second"', 1))
    return folder


# -- issue 17 items 17 and 18 ---------------------------------------------------------------
def test_kelisim_import_refuses_a_file_over_its_size_limit(cli, tmp_path: Path) -> None:
    """50 MB took 92 s and 1.9 GB and exited 0: now refused at IMPORT_MAX_FILE_BYTES
    (16 MiB), with nothing written; the file is read no further than the limit."""
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.write("Политика конфиденциальности\n".encode())
        f.truncate(17 * 1024 * 1024)  # sparse: no 17 MB written to the test's disk
    out_dir = tmp_path / "out"
    out = cli("import", str(big), "--app", "a", "--out", str(out_dir), ok=False).output
    assert "larger than the 16 MiB (16,777,216 bytes) of IMPORT_MAX_FILE_BYTES" in out
    assert not out_dir.exists()


def test_a_text_file_over_the_document_limit_is_refused_not_converted(cli,
                                                                     tmp_path: Path) -> None:
    text = tmp_path / "long.txt"
    text.write_text("Privacy Policy\n\n" + "We keep the data you give us for a year.\n"
                    * 30_000)  # 1.2 MB: over MAX_DOCUMENT_BYTES
    out = cli("import", str(text), "--app", "a", "--locale", "en", "--out",
              str(tmp_path / "o"), ok=False).output
    assert "the en document is 1.2 MiB (1,260,017 bytes), over MAX_DOCUMENT_BYTES, the 1 " \
        "MiB (1,048,576 bytes) a document may have" in " ".join(out.split())
    assert not (tmp_path / "o").exists()


def test_hard_wrapped_paragraphs_are_joined_in_linear_time() -> None:
    """One paragraph hard-wrapped over many lines was joined line by line into a new string
    each time (quadratic: 1M lines 39 s, 500k 10.5 s). The pieces of a paragraph are now
    joined once; bench/import_text.py prints the time ratio of two sizes."""
    from server.policy.importing.text import _blocks

    lines = ["Title", "", *(["we keep your data for a year and then delete"] * 2_000),
             "and a hyphen-", "ated word."]
    blocks = _blocks(lines)
    assert blocks[0] == ("para", "Title")
    assert blocks[1][1].startswith("we keep your data") and blocks[1][1].endswith(
        "and a hyphenated word.")
    assert blocks[1][1].count("delete we keep") == 1_999


@pytest.mark.parametrize("stated, line", [
    ("Effective: 2024-02-30", 3), ("Updated: 31.04.2024", 3),
    ("Последнее обновление: 30 февраля 2024", 3)])
def test_an_impossible_date_is_an_import_error_naming_its_line(
        tmp_path: Path, stated: str, line: int) -> None:
    """"Effective: 2024-02-30" gave a version.toml that TOML refuses: a 500 in the console."""
    from server.errors import PolicyImportError

    text = (f"# Privacy Policy\n\n{stated}\n\nWe keep the data you give us for one year, "
            f"and we never sell it to anyone.\n")
    with pytest.raises(PolicyImportError, match=rf"^p.md:{line}: .* is not a date"):
        import_document(text.encode(), "p.md", locale="en" if stated[0] != "П" else "ru")


def test_a_title_with_a_control_character_imports(tmp_path: Path) -> None:
    """A .md title with U+007F gave a version.toml that TOML refuses (a 500)."""
    text = ("# Privacy\x7f Policy\n\nWe keep the data you give us for one year, and we "
            "never sell it to anyone.\n")
    result = import_document(text.encode(), "p.md", locale="en")
    assert result.titles == {"en": "Privacy Policy"}
    assert result.spec["title"] == {"en": "Privacy Policy"}
