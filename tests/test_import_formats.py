"""Issue 9 item 3: importing what compliance officers have: .docx, text PDFs, hard-wrapped
plain text; refusing scanned or empty files; placeholders that block publishing."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import pytest
from flask.testing import FlaskClient
from minipdf import make_pdf

from server.errors import PolicyImportError
from server.policy.importing.importer import import_document
from server.policy.importing.text import join_hyphenated, split_header, unligature

QOSHNI = """MAXFIYLIK SIYOSATI Yangilandi: 12.03.2024 Versiya: 1.1
1. Umumiy qoidalar
Ushbu maxfiylik siyosati Qoʻshni ilovasi foydalanuvchilarining shaxsiy
maʼlumotlari qanday yigʻilishi, saqlanishi va foydalanilishini
tushuntiradi. Biz maʼlumotlarni faqat xizmat koʻrsatish uchun ishlatamiz.
Ilovadan foydalanib, siz ushbu siyosatga rozilik bildirasiz.
2. Qanday maʼlumotlar yigʻiladi
• telefon raqami va ismingiz;
• qurilma haqidagi maʼlumotlar va ilovadan
foydalanish statistikasi.
3. Maʼlumotlarni uchinchi shaxslarga berish
Biz maʼlumotlaringizni sizning roziligingizsiz uchinchi shaxslarga
bermaymiz, qonunda nazarda tutilgan hollar bundan mustasno.
"""

ENGLISH_LINES = [
    "PRIVACY POLICY", "Last updated: 3 March 2025", "1. Who we are",
    "Jana Post LLP operates the Jana Post app. This policy says which data we",
    "collect and why we process it, and how you can withdraw your consent.",
    "2. Data we collect",
    "We collect your name, your phone number and the address of each delivery.",
    "We keep the data for three years after your last order.", "1",
]
GERMAN = ("Diese Datenschutzerklärung beschreibt, wie wir Ihre personenbezogenen Daten "
          "erheben und verarbeiten, wenn Sie die App nutzen. Wir geben Ihre Daten nicht an "
          "Dritte weiter. Die Daten werden auf Servern in der EU gespeichert und nach Ablauf "
          "der Frist gelöscht, wenn Sie das wünschen.\n")


def _docx() -> bytes:
    doc = docx.Document()
    doc.add_paragraph("Privacy Policy of Jana Post", style="Title")
    doc.add_paragraph("Effective date: 1 February 2025")
    doc.add_heading("1. What we collect", level=1)
    doc.add_paragraph("We collect the data you give us when you order a delivery, and the "
                      "data your phone sends when you use the app.")
    doc.add_paragraph("your name and phone number", style="List Bullet")
    doc.add_paragraph("the delivery address", style="List Bullet")
    bold = doc.add_paragraph()
    bold.add_run("2. Who receives it").bold = True
    doc.add_paragraph("Couriers see the address of the parcel they carry [and nothing else].")
    table = doc.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Firebase"
    table.rows[0].cells[1].text = "USA"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_docx_keeps_title_headings_lists_and_paragraphs() -> None:
    result = import_document(_docx(), "policy.docx")
    md = result.documents["en"]
    assert md.splitlines()[0] == "# Privacy Policy of Jana Post"
    assert "\n## 1. What we collect\n" in md and "\n## 2. Who receives it\n" in md
    assert "- your name and phone number\n- the delivery address\n" in md
    assert "Couriers see the address of the parcel they carry \\[and nothing else\\]." in md
    assert "Firebase | USA" in md
    assert (result.kind, result.label, result.stated_date) == ("docx", "2025-02-01",
                                                             "2025-02-01")
    assert result.titles == {"en": "Privacy Policy of Jana Post"}


def test_empty_or_broken_docx_is_refused() -> None:
    out = io.BytesIO()
    docx.Document().save(out)
    with pytest.raises(PolicyImportError, match=re.escape("policy.docx: the document has no text")):
        import_document(out.getvalue(), "policy.docx")
    with pytest.raises(PolicyImportError, match=re.escape("not a readable Word .docx file")):
        import_document(b"PK\x03\x04 truncated", "policy.docx")
    with pytest.raises(PolicyImportError,
                       match=re.escape("Word 97-2003 .doc file; save it as .docx")):
        import_document(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "policy.doc")


def test_text_pdf_is_reflowed() -> None:
    result = import_document(make_pdf([ENGLISH_LINES[:5], ENGLISH_LINES[5:]]), "policy.pdf")
    md = result.documents["en"]
    assert md.splitlines()[0] == "# PRIVACY POLICY"
    assert "## 1. Who we are" in md and "## 2. Data we collect" in md
    assert ("Jana Post LLP operates the Jana Post app. This policy says which data we "
            "collect and why we process it, and how you can withdraw your consent.") in md
    assert "\n1\n" not in md  # the page number is not part of the text
    assert (result.kind, result.stated_date) == ("pdf", "2025-03-03")


def test_scanned_or_broken_pdf_is_refused() -> None:
    with pytest.raises(PolicyImportError, match=r"scan.pdf: no text layer on its 2 page\(s\)"):
        import_document(make_pdf([[], []]), "scan.pdf")
    with pytest.raises(PolicyImportError, match="not a readable PDF"):
        import_document(b"%PDF-1.4\nnot really", "broken.pdf")
    with pytest.raises(PolicyImportError, match=r"x\.pdf: not a PDF"):
        import_document(b"hello", "x.pdf")
    partial = import_document(make_pdf([ENGLISH_LINES, []]), "half.pdf")
    assert any("pages 2 have no text" in n for n in partial.notes)


def test_run_together_header_and_hard_wrapped_paragraphs() -> None:
    assert split_header("MAXFIYLIK SIYOSATI Yangilandi: 12.03.2024 Versiya: 1.1") == [
        "MAXFIYLIK SIYOSATI", "Yangilandi: 12.03.2024", "Versiya: 1.1"]
    result = import_document(QOSHNI.encode(), "qoshni.txt")
    md = result.documents["uz"]
    lines = md.splitlines()
    assert lines[:4] == ["# MAXFIYLIK SIYOSATI", "", "Yangilandi: 12.03.2024  ",
                         "Versiya: 1.1  "]
    assert "## 1. Umumiy qoidalar" in lines and "## 3. Maʼlumotlarni uchinchi shaxslarga " \
        "berish" in lines
    assert ("Ushbu maxfiylik siyosati Qoʻshni ilovasi foydalanuvchilarining shaxsiy "
            "maʼlumotlari qanday yigʻilishi, saqlanishi va foydalanilishini tushuntiradi. "
            "Biz maʼlumotlarni faqat xizmat koʻrsatish uchun ishlatamiz.") in lines
    assert "Ilovadan foydalanib, siz ushbu siyosatga rozilik bildirasiz." in lines
    assert ("- qurilma haqidagi maʼlumotlar va ilovadan foydalanish statistikasi.") in lines
    assert (result.label, result.stated_date, result.titles["uz"]) == (
        "1.1", "2024-03-12", "MAXFIYLIK SIYOSATI")


def test_long_all_caps_first_line_is_the_title() -> None:
    title = ("ПОЛИТИКА КОНФИДЕНЦИАЛЬНОСТИ И ОБРАБОТКИ ПЕРСОНАЛЬНЫХ ДАННЫХ ПОЛЬЗОВАТЕЛЕЙ "
             "МОБИЛЬНОГО ПРИЛОЖЕНИЯ «ДОСТАВКА»")
    body = ("Настоящая политика определяет порядок обработки персональных данных, которые "
            "мы получаем от вас, и меры по их защите. Мы не передаём данные третьим лицам.\n")
    result = import_document(f"{title}\n{body}".encode(), "p.txt")
    assert len(title) > 100
    assert result.documents["ru"].splitlines()[0] == f"# {title}"
    assert result.titles["ru"] == title


def test_locale_that_does_not_match_the_text_warns(cli, tmp_path: Path) -> None:
    src = tmp_path / "de.txt"
    src.write_text(GERMAN * 2)
    with pytest.raises(PolicyImportError, match=r"looks like German \(de\).*pass --locale"):
        import_document(src.read_bytes(), "de.txt")
    out = cli("import", str(src), "--app", "a", "--locale", "en",
              "--out", str(tmp_path / "v")).output
    assert "warning: --locale en: the text looks like German (de), not en" in out
    assert (tmp_path / "v" / "en.md").exists()


def test_review_placeholders_block_publish_and_updates_ask_what_changed(
        cli, client: FlaskClient, published: Path, tmp_path: Path) -> None:
    src = tmp_path / "policy.pdf"
    src.write_bytes(make_pdf([ENGLISH_LINES]))
    out = cli("import", str(src), "--app", "jana-courier", "--out",
              str(published / "3.0"), "--label", "3.0").output
    assert "what changed" in out
    toml = (published / "3.0" / "version.toml").read_text()
    assert 'en = ""  # REVIEW: what changed since 1.0?' in toml
    assert "Policy imported into Kelisim" not in toml
    refused = cli("publish", str(published / "3.0"), ok=False).output
    marked = [n for n, line in enumerate(toml.splitlines(), 1) if "# REVIEW" in line]
    for n in marked:
        assert f"3.0/version.toml:{n}: still marked REVIEW" in refused
    # Markers deleted but the summary left empty: still refused, naming the field.
    (published / "3.0" / "version.toml").write_text(re.sub(r"\s*# REVIEW.*", "", toml))
    refused = cli("publish", str(published / "3.0"), ok=False).output
    assert "summary" in refused and "en" in refused
    # The policy's own date (2025, older than version 1.0 here) is only a proposal.
    (published / "3.0" / "version.toml").write_text(re.sub(
        r'en = ""', 'en = "Rewritten: we now say how long we keep data."',
        re.sub(r"\s*# REVIEW.*", "", toml)))
    assert "published jana-courier version 3.0" in cli(
        "publish", str(published / "3.0"), "--app", "jana-courier").output


def _docx_with(document_xml: bytes) -> bytes:
    """A real .docx (python-docx) whose word/document.xml is replaced."""
    import zipfile

    base = io.BytesIO()
    docx.Document().save(base)
    out = io.BytesIO()
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, document_xml if info.filename == "word/document.xml"
                         else data)
    return out.getvalue()


def test_docx_zip_bomb_is_refused_before_parsing() -> None:
    from server.policy.importing.formats import MAX_DOCX_UNPACKED

    body = b"<w:p/>" * (MAX_DOCX_UNPACKED // 6 + 1)
    bomb = _docx_with(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.'
                      b'openxmlformats.org/wordprocessingml/2006/main"><w:body>' + body
                      + b"</w:body></w:document>")
    assert len(bomb) < MAX_DOCX_UNPACKED // 100  # small on the wire
    with pytest.raises(PolicyImportError, match=re.escape("policy.docx: unpacks to")):
        import_document(bomb, "policy.docx")


@pytest.mark.parametrize("xml", [
    b"<w:document><w:body><w:p>not closed",
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;'
    b'&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;'
    b'&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]><l>&e;&e;&e;'
    b"&e;&e;&e;&e;&e;&e;&e;&e;&e;</l>",
])
def test_docx_with_broken_or_hostile_xml_is_refused(xml: bytes) -> None:
    with pytest.raises(PolicyImportError, match=re.escape("not a readable Word .docx file")):
        import_document(_docx_with(xml), "policy.docx")


@pytest.mark.parametrize(("text", "date"), [
    # The law every Kazakh policy cites is not the policy's date.
    ("Политика. В соответствии с Законом Республики Казахстан «О персональных данных» от "
     "21 мая 2013 года № 94-V. Дата обновления: 01.11.2025", "2025-11-01"),
    ("In accordance with the Law of the Republic of Kazakhstan dated 21 May 2013 "
     "No. 94-V on personal data.", None),
    ("Privacy Policy\nLast updated: March 3, 2024\nWe follow the Law of 21 May 2013 No. 94-V.",
     "2024-03-03"),
    ("_Дата вступления в силу: 05.02.2025_", "2025-02-05"),  # Markdown italics
    ("MAXFIYLIK SIYOSATI Yangilandi: 12.02.2024 Versiya: 1.1", "2024-02-12"),
])
def test_the_policy_s_own_date_not_a_cited_law_s(text: str, date: str | None) -> None:
    from server.policy.importing.text import find_date

    assert find_date(text) == date


# -- issue 18.3: a PDF's wrapped numbered lines, split title, ligatures, hyphens ---------------
PDF_LINES = Path(__file__).resolve().parent / "data" / "pdf" / "ipak-market.uz.lines"


def _pdf_of_lines(path: Path) -> bytes:
    """The PDF of a .lines file: one text line per line, a page ends after a line that
    is only its page number."""
    pages: list[list[str]] = [[]]
    for line in path.read_text().splitlines():
        pages[-1].append(line)
        if line.isdigit():
            pages.append([])
    return make_pdf([p for p in pages if p])


def test_pdf_keeps_sentences_title_words_and_hyphenated_compounds() -> None:
    """An Uzbek PDF (tests/data/pdf/ipak-market.uz.lines): a wrapped "1.2. ..." line is
    the start of a paragraph, not a heading cut mid-sentence; the two-line ALL-CAPS title
    is one title; "ﬁ" is "fi"; "veb-" / "saytiga" keeps its hyphen while "maʼlumot-" /
    "larni" (a typesetter's break) is joined."""
    result = import_document(_pdf_of_lines(PDF_LINES), "ipak-market.pdf")
    md = result.documents["uz"]
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert headings == ["# MAXFIYLIK SIYOSATI VA SHAXSIY MAʼLUMOTLARNI QAYTA ISHLASH SHARTLARI",
                        "## 1. Umumiy qoidalar", "## 2. Qanday maʼlumotlarni yigʻamiz",
                        "## 3. Bogʻlanish"]
    assert result.titles == {"uz": headings[0][2:]}
    paragraphs = md.split("\n\n")
    assert ("1.2. Ilovadan foydalanish orqali siz ushbu siyosat shartlariga rozilik "
            "bildirasiz va maʼlumotlaringiz quyida koʻrsatilgan maqsadlarda ishlatilishiga "
            "rozilik berasiz.") in paragraphs
    assert ("1.3. Biz maʼlumotlaringizni sotmaymiz va reklama uchun uchinchi shaxslarga "
            "bermaymiz.") in paragraphs  # short, but continued on the next line
    assert "mobil ilovasi va veb-saytiga tashrif" in md and "vebsayt" not in md
    assert "bu maʼlumotlarni faqat kuryerlik" in md
    assert "fiskal cheklarni" in md and "\ufb01" not in md
    assert (result.label, result.stated_date) == ("2026-01-05", "2026-01-05")


@pytest.mark.parametrize("left,right,words,prefixes,joined", [
    # a typesetter's break: no evidence, not a hyphenated form
    ("as ac-", "counting law", set(), set(), "as accounting law"),
    # the document spells it joined elsewhere / hyphenated elsewhere
    ("the infor-", "mation", {"information"}, set(), "the information"),
    ("mobil-", "ilova", {"mobil-ilova"}, {"mobil"}, "mobil-ilova"),
    ("kredit-", "kartasi", set(), {"kredit"}, "kredit-kartasi"),
    # hyphenated forms of the five languages and abbreviations
    ("va veb-", "saytiga", set(), set(), "va veb-saytiga"),
    ("на веб-", "сайте", set(), set(), "на веб-сайте"),
    ("что-", "либо", set(), set(), "что-либо"),
    ("SMS-", "xabar", set(), set(), "SMS-xabar"),
    ("an e-", "mail", set(), set(), "an e-mail"),
    ("opt-", "out", set(), set(), "opt-out"),
    # a soft hyphen is always a line-break hyphen
    ("конфиден\u00ad", "циальность", set(), set(), "конфиденциальность"),
    ("деректер-", "ді", set(), set(), "деректерді"),
])
def test_line_break_hyphens_are_removed_only_on_evidence(
        left: str, right: str, words: set[str], prefixes: set[str], joined: str) -> None:
    assert join_hyphenated(left, right, words, prefixes) == joined


def test_only_presentation_form_ligatures_are_normalised() -> None:
    assert unligature("ﬁnal ﬂow oﬀer eﬃcient ﬆ") == "final flow offer efficient st"
    # NFKC would change these too; they are not ligatures and stay.
    assert unligature("x² ½ Ｗ ℡ ﬁ") == "x² ½ Ｗ ℡ fi"
