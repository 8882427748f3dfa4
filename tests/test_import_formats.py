"""Issue 9 item 3: importing what compliance officers have: .docx, text PDFs, hard-wrapped
plain text; refusing scanned or empty files; placeholders that block publishing."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

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
# -- issue 17 item 16: bounded work, not only bounded bytes --------------------------------
def _docx_with_body(body_xml: str) -> bytes:
    """A real .docx (python-docx's template) whose body is ``body_xml``."""
    import zipfile

    base = io.BytesIO()
    docx.Document().save(base)
    out = io.BytesIO()
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                start = text.index("<w:body>") + len("<w:body>")
                data = (text[:start] + body_xml + text[start:]).encode("utf-8")
            dst.writestr(info, data)
    return out.getvalue()


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts of the costly steps of reading a file: python-docx paragraph objects made,
    style look-ups by id (an XPath over every style), PDF pages whose text was extracted."""
    from docx.styles.styles import Styles
    from docx.text.paragraph import Paragraph
    from pypdf import PageObject

    counts = {"paragraphs": 0, "style_lookups": 0, "pages": 0}

    def counting(name: str, cls: Any, key: str) -> None:
        real = getattr(cls, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[key] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)

    counting("__init__", Paragraph, "paragraphs")
    counting("get_by_id", Styles, "style_lookups")
    counting("extract_text", PageObject, "pages")
    return counts


def test_a_docx_of_many_tiny_paragraphs_is_refused_before_any_is_converted(
        work: dict[str, int]) -> None:
    """928,738 tiny paragraphs took 850 s and 794 MB, and made a draft over the document
    limit: now counted in the XML and refused, naming the limit, before python-docx makes
    one paragraph object."""
    data = _docx_with_body("<w:p><w:r><w:t>a</w:t></w:r></w:p>" * 100_000)
    assert len(data) < 400_000
    # Its 400,000 XML elements are refused as they inflate, before the paragraphs are
    # counted (test_a_docx_table_of_many_cells_is_refused reaches that count).
    with pytest.raises(PolicyImportError,
                       match=r"more than 200,000 XML elements .* "
                             r"\(10 × IMPORT_MAX_PARAGRAPHS\)"):
        import_document(data, "tiny.docx", locale="en")
    assert work["paragraphs"] == 0


def test_a_docx_table_of_many_cells_is_refused(work: dict[str, int]) -> None:
    rows = "<w:tr>" + "<w:tc><w:p><w:r><w:t>x</w:t></w:r></w:p></w:tc>" * 5 + "</w:tr>"
    data = _docx_with_body("<w:tbl>" + rows * 3_000 + "</w:tbl>")
    with pytest.raises(PolicyImportError, match=r"IMPORT_MAX_PARAGRAPHS"):
        import_document(data, "table.docx", locale="en")
    assert work["paragraphs"] == 0


def test_a_docx_producing_too_much_text_stops_at_the_limit(work: dict[str, int]) -> None:
    """Under the paragraph count, over the text: reading stops once the text produced
    passes twice MAX_DOCUMENT_BYTES, long before the last paragraph."""
    from server.policy.importing.formats import ImportLimits

    para = "<w:p><w:r><w:t>" + "Privacy text words. " * 10 + "</w:t></w:r></w:p>"
    data = _docx_with_body(para * 10_000)  # 2 MB of text
    limits = ImportLimits(max_text_bytes=400_000)
    with pytest.raises(PolicyImportError, match=r"its text is over 390\.6\d KiB \(400,000 bytes\)"):
        import_document(data, "long.docx", locale="en", limits=limits)
    assert work["paragraphs"] < 2_100


def test_docx_styles_are_read_once(work: dict[str, int]) -> None:
    """python-docx looked each paragraph's style up by scanning every style."""
    doc = docx.Document()
    doc.add_paragraph("Privacy Policy", style="Title")
    for n in range(1_500):
        doc.add_paragraph(f"Paragraph {n} of the policy says what data we keep and why.")
        if n % 100 == 0:
            doc.add_heading(f"Section {n}", level=1)
    out = io.BytesIO()
    doc.save(out)
    work["style_lookups"] = 0
    result = import_document(out.getvalue(), "styled.docx", locale="en")
    assert work["style_lookups"] == 0
    md = result.documents["en"]
    assert md.startswith("# Privacy Policy\n") and "\n## Section 1400\n" in md


def test_reading_stops_at_the_time_limit() -> None:
    """IMPORT_MAX_SECONDS, read from the clock the limits are given (a test's own)."""
    from server.policy.importing.formats import ImportLimits

    ticks = iter(range(10**6))
    limits = ImportLimits(max_seconds=3, clock=lambda: float(next(ticks)))
    pdf = make_pdf([[f"Page {n} of a policy with enough letters on it."] for n in range(20)])
    with pytest.raises(PolicyImportError, match=r"takes more than 3 s \(IMPORT_MAX_SECONDS\)"):
        import_document(pdf, "slow.pdf", locale="en", limits=limits)
    assert next(ticks) <= 5  # the clock was read once per page, and reading stopped


def _pdf_of_one_page_many_times(kids: int, count: int) -> bytes:
    from minipdf import assemble, text_stream

    stream = text_stream(["A policy page with enough letters to be text."])
    refs = " ".join(["3 0 R"] * kids)
    return assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{refs}] /Count {count} >>".encode(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


@pytest.mark.parametrize("kids, count", [(99_000, 99_000), (5_000, 1)])
def test_a_pdf_whose_pages_all_point_to_one_page_is_refused(
        work: dict[str, int], kids: int, count: int) -> None:
    """A 7 KB PDF of 99,000 pages that are one page took seconds per thousand pages; a
    page tree may also state a smaller count than it has."""
    data = _pdf_of_one_page_many_times(kids, count)
    with pytest.raises(PolicyImportError,
                       match=rf"{kids:,} pages, more than the 300 .* \(IMPORT_MAX_PAGES\)"):
        import_document(data, "pages.pdf", locale="en")
    assert work["pages"] == 0


def test_a_pdf_with_a_huge_content_stream_is_refused_before_extraction(
        work: dict[str, int]) -> None:
    import zlib

    from minipdf import assemble

    stream = zlib.compress(b"BT /F1 11 Tf (policy words) Tj ET\n" * 200_000)
    data = assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n"
        + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])
    assert len(data) < 200_000
    with pytest.raises(PolicyImportError, match=r"content streams are over 4,194,304 bytes"):
        import_document(data, "stream.pdf", locale="en")
    assert work["pages"] == 0


def test_the_console_refuses_a_hostile_docx_and_stores_no_draft(
        client: FlaskClient, published: Path, kelisim: Any, users: dict[str, int]) -> None:
    import sqlalchemy as sa

    from admin_support import APP, csrf, sign_in
    from server.admin.models import Draft

    sign_in(client, kelisim, users["publisher"])
    data = _docx_with_body("<w:p><w:r><w:t>a</w:t></w:r></w:p>" * 30_000)
    resp = client.post(f"/admin/apps/{APP}/drafts/upload", data={
        "csrf_token": csrf(client), "locale": "en", "file": (io.BytesIO(data), "tiny.docx")},
        content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "IMPORT_MAX_PARAGRAPHS" in resp.get_data(True)
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


# -- issue 17 red team: forms drawn many times, runs, controls ----------------------------
def _pdf_drawing_a_form(uses: int, ops: int, nested: int = 0) -> bytes:
    """One text page that draws the form /X0 ``uses`` times; /X0 holds ``ops`` path
    operators (a 970-byte file at 600 uses took 38 s). With ``nested``, the page draws /X1
    ``uses`` times and /X1 draws /X0 ``nested`` times."""
    import zlib

    from minipdf import assemble, text_stream

    page = text_stream(["A policy page with enough letters to be text."]) + b"\n" \
        + (b"/X1 Do\n" if nested else b"/X0 Do\n") * uses
    # A text operator in the form: pypdf skips parsing a form without one.
    form = b"BT /F1 1 Tf (.) Tj ET\n" + b"0 0 m 1 1 l S\n" * (ops // 3)

    def stream(data: bytes, head: bytes = b"") -> bytes:
        data = zlib.compress(data, 9)
        return b"<< " + head + b"/Filter /FlateDecode /Length " + str(len(data)).encode() \
            + b" >>\nstream\n" + data + b"\nendstream"

    form_head = b"/Type /XObject /Subtype /Form /BBox [0 0 10 10] "
    return assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font "
        b"<< /F1 5 0 R >> /XObject << /X0 6 0 R /X1 7 0 R >> >> /Contents 4 0 R >>",
        stream(page),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        stream(form, form_head + b"/Resources << /Font << /F1 5 0 R >> >> "),
        stream(b"/X0 Do\n" * nested, form_head
               + b"/Resources << /Font << /F1 5 0 R >> /XObject << /X0 6 0 R >> >> "),
    ])


@pytest.fixture
def operators(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many content operators pypdf's text extraction ran (its operator visitor,
    wrapped: the count of work, not time)."""
    from pypdf import PageObject

    count = [0]
    real = PageObject.extract_text

    def extract_text(self: Any, *args: Any, **kwargs: Any) -> Any:
        visitor = kwargs.get("visitor_operand_before")

        def counting(*a: Any) -> None:
            count[0] += 1
            if visitor is not None:
                visitor(*a)

        kwargs["visitor_operand_before"] = counting
        return real(self, *args, **kwargs)

    monkeypatch.setattr(PageObject, "extract_text", extract_text)
    return count


def test_a_pdf_drawing_one_form_many_times_is_refused_before_extraction(
        work: dict[str, int], operators: list[int]) -> None:
    """600 × ``/X0 Do`` of a form of 2,000 path operators: 970 bytes, 38 s, accepted.
    The forms' content is counted each time it is drawn, against MAX_PDF_CONTENT."""
    data = _pdf_drawing_a_form(600, 2_000)
    assert len(data) < 1_500
    with pytest.raises(PolicyImportError, match=r"forms they draw counted each time they "
                                                r"are drawn, are over 4,194,304 bytes"):
        import_document(data, "forms.pdf", locale="en")
    assert work["pages"] == 0 and operators[0] == 0


def test_pdf_extraction_stops_at_the_operator_budget(operators: list[int]) -> None:
    """Under the content cap, over the operators extraction may run (here a smaller
    budget than MAX_PDF_OPERATORS, to be quick): stopped inside the forms, the count
    bounded."""
    from server.policy.importing.formats import ImportLimits

    data = _pdf_drawing_a_form(50, 300, nested=20)  # 50 × 20 × 300 = 300,000 operators
    limits = ImportLimits(max_pdf_operators=20_000)
    with pytest.raises(PolicyImportError, match=r"more than 20,000 content operators "
                                                r"to read \(MAX_PDF_CONTENT / 8\)"):
        import_document(data, "nested.pdf", locale="en", limits=limits)
    assert 20_000 < operators[0] < 20_000 + 400


def test_pdf_extraction_inside_a_page_stops_at_the_time_limit() -> None:
    """IMPORT_MAX_SECONDS is read inside a page too, every 4,096 operators."""
    from server.policy.importing.formats import ImportLimits

    ticks = iter(range(10**6))
    limits = ImportLimits(max_seconds=3, clock=lambda: float(next(ticks)))
    data = _pdf_drawing_a_form(50, 300, nested=20)
    with pytest.raises(PolicyImportError, match=r"takes more than 3 s \(IMPORT_MAX_SECONDS\)"):
        import_document(data, "slow-page.pdf", locale="en", limits=limits)
    assert next(ticks) <= 6


def test_a_pdf_with_a_form_of_text_is_still_read() -> None:
    data = _pdf_drawing_a_form(3, 30)
    result = import_document(data, "ok.pdf", locale="en")
    assert "A policy page with enough letters" in result.documents["en"]


def test_a_docx_paragraph_of_a_million_runs_is_refused_before_python_docx_reads_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One paragraph of 1.3 million runs (109 KB zipped): 57 s and 1.3 GB, accepted. The
    XML parts' elements are counted as they inflate; python-docx never opens the file."""
    data = _docx_with_body("<w:p>" + "<w:r><w:t>a</w:t></w:r>" * 1_300_000 + "</w:p>")
    assert len(data) < 200_000
    ordinary = _docx()
    opened = [0]
    real = docx.Document

    def counting(*args: Any, **kwargs: Any) -> Any:
        opened[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(docx, "Document", counting)
    with pytest.raises(PolicyImportError,
                       match=r"more than 200,000 XML elements .* \(10 × "
                             r"IMPORT_MAX_PARAGRAPHS\)"):
        import_document(data, "runs.docx", locale="en")
    assert opened[0] == 0
    # An ordinary document is still read.
    assert import_document(ordinary, "policy.docx").documents
    assert opened[0] == 1


def test_control_and_bidi_characters_are_dropped_from_everything_imported() -> None:
    """A title kept U+202E (it displays reversed); ESC, BEL and DEL stayed in the body."""
    md = ("# Privacy \u202epolicy\u202c of Acme\x07\n\nWe keep \x1b[31mdata\x1b[0m for a "
          "year\x7f. Bidi \u2066isolated\u2069 and \u202aembedded\u202c text, a C1 \x9b "
          "control.\n\nPage one\x0cpage two, with a\ttab.\n")
    result = import_document(md.encode(), "acme\x1b.md", locale="en")
    doc, title = result.documents["en"], result.titles["en"]
    assert title == "Privacy policy of Acme"
    assert "We keep [31mdata[0m for a year." in doc
    assert "Bidi isolated and embedded text, a C1  control." in doc
    assert "Page one\npage two, with a\ttab." in doc
    everything = doc + title + result.version_toml + result.label
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]",
                         everything)
    assert result.spec["title"]["en"] == "Privacy policy of Acme"


def test_docx_and_pdf_text_lose_control_characters_too() -> None:
    d = docx.Document()
    d.add_paragraph("Privacy \u202eeciloP", style="Title")
    d.add_paragraph("We keep data for a \u2067year\u2069 and delete it after. " * 3)
    out = io.BytesIO()
    d.save(out)  # XML itself refuses ESC and the like
    result = import_document(out.getvalue(), "p.docx", locale="en")
    assert result.titles["en"] == "Privacy eciloP"
    assert "a year and delete" in result.documents["en"]
    pdf = make_pdf([["Privacy \u202ePolicy", "We keep data\x1b for a year\x07 and delete",
                     "it after that year."]])
    text = import_document(pdf, "p.pdf", locale="en").documents["en"]
    assert "We keep data for a year and delete" in text
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)


@pytest.mark.parametrize("stamp", ["2024-02-29T25:61", "2024-02-29 24:00", "2024-02-29T23:60"])
def test_an_impossible_time_after_a_valid_date_is_an_error_naming_the_line(
        stamp: str) -> None:
    text = f"Privacy Policy\n\nEffective: {stamp}\n\nWe keep data for a year.\n"
    with pytest.raises(PolicyImportError, match=r"p\.txt:3: .* after 2024-02-29 is not a "
                                                r"time of day"):
        import_document(text.encode(), "p.txt", locale="en")
    ok = import_document(text.replace(stamp, "2024-02-29T23:59").encode(), "p.txt",
                         locale="en")
    assert ok.stated_date == "2024-02-29"


@pytest.mark.parametrize(("line", "label"), [
    ("Version: 1e400", None), ("Version: 2beta", None), ("Version 1.2e4", None),
    ("Version: 1.1.", "1.1"), ("Versiya: 3", "3"), ("Version: v2.0, updated", "2.0"),
])
def test_a_version_that_goes_on_in_letters_is_not_cut_short(line: str, label: str | None,
                                                             ) -> None:
    from server.policy.importing.text import find_label

    assert find_label(f"Privacy Policy\n{line}\n") == label
    result = import_document(f"Privacy Policy\n\n{line}\n\nWe keep data for a year.\n"
                             .encode(), "p.txt", locale="en")
    assert result.label == (label or "1.0")
