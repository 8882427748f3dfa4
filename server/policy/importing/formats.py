"""Reading a policy file into text: Markdown or plain text, Word .docx, PDF with a text layer.

Formats are told by their bytes first (a PDF named .txt is still a PDF), then by name.
A .docx becomes Markdown (its heading and list styles kept); a PDF becomes plain text for
:func:`server.policy.importing.text.text_to_markdown`. A file without text (a scanned image, an
empty document) is refused with what to do instead.
"""

from __future__ import annotations

import io
import re
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from server.errors import PolicyImportError
from server.messages import Message, human_bytes
from server.policy.importing.text import escape_markdown

if TYPE_CHECKING:
    from server.config import Settings

__all__ = ["MAX_DOCX_UNPACKED", "MAX_PDF_CONTENT", "MAX_PDF_OPERATORS", "Extracted",
           "ImportLimits", "extract"]


# A page's content streams, decoded, that no policy page needs: text extraction parses
# them operator by operator in Python (seconds per megabyte).
MAX_PDF_CONTENT = 4 * 1024 * 1024
# Content operators text extraction may run in one file, those of forms (XObjects drawn
# with ``Do``) counted each time they are drawn: one per 8 bytes of MAX_PDF_CONTENT. A
# policy's text operators (a line's TJ) are tens of bytes; 2-byte ones ("n") would let a
# file within MAX_PDF_CONTENT run 2 million (about 1 s per 500,000 measured).
MAX_PDF_OPERATORS = MAX_PDF_CONTENT // 8


@dataclass(frozen=True)
class ImportLimits:
    """How much work reading one file may take (docs/configuration.md): the text it may
    produce (UTF-8 bytes: twice MAX_DOCUMENT_BYTES by default, a bilingual file), Word
    paragraphs and table cells, PDF pages, and seconds. A file over a limit is refused
    with a message naming it, as early as the limit can be known: a count before any
    paragraph or page is converted, the text and the time as they grow. PDF text
    extraction may run ``max_pdf_operators`` content operators (MAX_PDF_OPERATORS, derived
    from MAX_PDF_CONTENT; not a setting). ``clock`` is the monotonic clock the time limit
    reads (tests give their own)."""

    max_text_bytes: int = 2 * 1024 * 1024
    max_paragraphs: int = 20_000
    max_pages: int = 300
    max_seconds: float = 30.0
    # Not a setting: derived from MAX_PDF_CONTENT; tests give a smaller one.
    max_pdf_operators: int = MAX_PDF_OPERATORS
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        """The IMPORT_* settings (and twice MAX_DOCUMENT_BYTES of text)."""
        return cls(max_text_bytes=2 * settings.max_document_bytes,
                   max_paragraphs=settings.import_max_paragraphs,
                   max_pages=settings.import_max_pages,
                   max_seconds=settings.import_max_seconds)


class _Budget:
    """What is left of the limits while one file is read."""

    def __init__(self, limits: ImportLimits, filename: str) -> None:
        self.limits = limits
        self.filename = filename
        self.deadline = limits.clock() + limits.max_seconds
        self.text = 0

    def tick(self) -> None:
        """Raises: PolicyImportError: the time limit is reached."""
        if self.limits.clock() >= self.deadline:
            raise PolicyImportError(
                f"{self.filename}: reading it takes more than {self.limits.max_seconds:g} s "
                f"(IMPORT_MAX_SECONDS); a policy document reads in well under a second: "
                f"check the file, or export the policy as plain text", self.filename)

    def add_text(self, text: str) -> None:
        """Raises: PolicyImportError: the text produced is over the limit."""
        self.text += len(text.encode("utf-8", "surrogatepass"))
        if self.text > self.limits.max_text_bytes:
            raise PolicyImportError(Message(
                f"{self.filename}: its text is over {human_bytes(self.limits.max_text_bytes)}"
                f" (twice MAX_DOCUMENT_BYTES), more than a policy document may have",
                "import_text_too_large", limit=self.limits.max_text_bytes), self.filename)

    def count(self, what: str, found: int, limit: int, key: str) -> None:
        """Raises: PolicyImportError: ``found`` is over ``limit``."""
        if found > limit:
            raise PolicyImportError(
                f"{self.filename}: {found:,} {what}, more than the {limit:,} a policy "
                f"document may have ({key}); check the file, or export the policy as plain "
                f"text", self.filename)

# Fewer letters than this per page means no text layer worth importing.
_MIN_LETTERS_PER_PAGE = 20


@dataclass
class Extracted:
    kind: str  # markdown | text | docx | pdf
    text: str  # Markdown for markdown/docx, plain text for text/pdf
    notes: list[str] = field(default_factory=list)


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def _decode(data: bytes, filename: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise PolicyImportError(Message(f"{filename}: not valid UTF-16 (byte {exc.start})",
                                            "imp_not_utf16", file=filename), filename) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PolicyImportError(Message(f"{filename}:{line}: not UTF-8 (byte {exc.start}); "
                                        f"convert the file to UTF-8 first", "imp_not_utf8",
                                        file=filename, line=line), filename, line) from None


# A policy is tens of kilobytes; a .docx that unpacks to more than this is not one (a zip
# bomb would otherwise cost the worker gigabytes of memory in the XML parser).
MAX_DOCX_UNPACKED = 32 * 1024 * 1024


# XML elements (runs, their properties, paragraphs, everything) a .docx may have in all
# its parts, per paragraph IMPORT_MAX_PARAGRAPHS allows: a Word policy has a few runs of
# a few elements per paragraph; python-docx spends tens of microseconds on each.
ELEMENTS_PER_PARAGRAPH = 10


def _check_unpacked(data: bytes, filename: str, budget: _Budget) -> None:
    """Refuse a .docx whose members would unpack to more than MAX_DOCX_UNPACKED bytes,
    reading only the zip's directory (sizes it states) and never more than that while
    checking them (a directory can lie); and one whose XML parts have more elements than
    ``ELEMENTS_PER_PARAGRAPH`` × IMPORT_MAX_PARAGRAPHS, counted by a streaming parser as
    the parts inflate, before python-docx builds anything (a paragraph of a million runs
    took a minute and 1.3 GB)."""
    from lxml import etree

    max_elements = ELEMENTS_PER_PARAGRAPH * budget.limits.max_paragraphs
    elements = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            stated = sum(i.file_size for i in zf.infolist())
            if stated > MAX_DOCX_UNPACKED:
                raise PolicyImportError(
                    f"{filename}: unpacks to {stated:,} bytes, more than the "
                    f"{MAX_DOCX_UNPACKED:,} a policy document may have", filename)
            total = 0
            for info in zf.infolist():
                xml = info.filename.lower().endswith((".xml", ".rels"))
                parser = etree.XMLPullParser(events=("start",), resolve_entities=False,
                                             no_network=True) if xml else None
                with zf.open(info) as member:
                    while chunk := member.read(1 << 16):
                        total += len(chunk)
                        if total > MAX_DOCX_UNPACKED:
                            raise PolicyImportError(
                                f"{filename}: unpacks to more than the "
                                f"{MAX_DOCX_UNPACKED:,} bytes a policy document may have",
                                filename)
                        if parser is None:
                            continue
                        parser.feed(chunk)
                        elements += sum(1 for _ in parser.read_events())
                        if elements > max_elements:
                            raise PolicyImportError(
                                f"{filename}: more than {max_elements:,} XML elements "
                                f"(runs, paragraphs, ...), more than a policy document "
                                f"may have ({ELEMENTS_PER_PARAGRAPH} × "
                                f"IMPORT_MAX_PARAGRAPHS); check the file, or export the "
                                f"policy as plain text", filename)
                if parser is not None:
                    parser.close()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError,
            zlib.error, etree.LxmlError) as exc:
        raise PolicyImportError(f"{filename}: not a readable Word .docx file ({exc})",
                                filename) from None


def _paragraph_styles(doc: Any) -> tuple[dict[str, str], str]:
    """Paragraph style id -> name, and the default style's name, read once: python-docx
    looks a paragraph's style up by scanning every style (an XPath per paragraph), which
    made a file of many tiny paragraphs take minutes."""
    from docx.enum.style import WD_STYLE_TYPE

    names = {st.style_id: st.name or "" for st in doc.styles
             if st.type == WD_STYLE_TYPE.PARAGRAPH}
    default = doc.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    return names, (default.name or "") if default is not None else ""


def _docx(data: bytes, filename: str, budget: _Budget) -> Extracted:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.oxml.ns import qn
    from docx.table import Table, _Cell
    from lxml import etree

    _check_unpacked(data, filename, budget)
    try:
        doc = Document(io.BytesIO(data))
        body = doc.element.body
        # Counted in the parsed XML before python-docx makes an object of any of them.
        budget.count("paragraphs and table cells",
                     sum(1 for _ in body.iter(qn("w:p"), qn("w:tc"))),
                     budget.limits.max_paragraphs, "IMPORT_MAX_PARAGRAPHS")
        styles, default_style = _paragraph_styles(doc)
        blocks = doc.iter_inner_content()
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError,
            etree.LxmlError) as exc:
        raise PolicyImportError(f"{filename}: not a readable Word .docx file ({exc})",
                                filename) from None
    out: list[str] = []

    def emit(*lines: str) -> None:
        for line in lines:
            budget.add_text(line)
        out.extend(lines)

    for n, block in enumerate(blocks):
        if n % 256 == 0:
            budget.tick()
        if isinstance(block, Table):
            for tr in block._tbl.tr_lst:
                budget.tick()
                cells = [t for tc in tr.tc_lst if (t := _Cell(tc, block).text.strip())]
                if cells:
                    emit(escape_markdown(" | ".join(dict.fromkeys(cells))), "")
            continue
        text = " ".join(block.text.split())
        if not text:
            continue
        style_id = block._p.style
        style = styles.get(style_id, default_style) if style_id else default_style
        heading = re.fullmatch(r"Heading ([0-9])", style)
        numbered = block._p.pPr is not None and block._p.pPr.numPr is not None
        runs = [r for r in block.runs if r.text.strip()]
        if style == "Title":
            emit(f"# {escape_markdown(text, block_start=False)}", "")
        elif heading:
            level = min(int(heading[1]) + 1, 6)
            emit(f"{'#' * level} {escape_markdown(text, block_start=False)}", "")
        elif style.startswith("List") or numbered:
            emit(f"- {escape_markdown(text)}")
        elif runs and all(r.bold for r in runs) and len(text) <= 90:
            emit(f"## {escape_markdown(text, block_start=False)}", "")
        else:
            if out and out[-1].startswith("- "):
                emit("")
            emit(escape_markdown(text), "")
    md = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
    if _letters(md) < _MIN_LETTERS_PER_PAGE:
        raise PolicyImportError(Message(
            f"{filename}: the document has no text (only images or nothing); save the policy's "
            f"text in it, or export it as text", "imp_no_text", file=filename), filename)
    if not md.startswith("# "):
        first, _, rest = md.partition("\n")
        md = f"# {first.lstrip('#').strip()}\n{rest}"
    return Extracted("docx", md + "\n", ["Word .docx converted to Markdown"])


# The clock is read once per this many operators (and once per page).
_OPERATORS_PER_TICK = 4096

_DO_RE = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s*Do(?![^\s/\[\]()<>{}%])")


class _OverBudget(PolicyImportError):
    """Raised by the extraction visitor to stop pypdf; the PolicyImportError it stands for
    is raised once pypdf has unwound (pypdf logs and skips an exception raised inside a form, so
    the visitor keeps raising until it reaches the page)."""


def _content_cost(data: bytes, resources: Any, filename: str, spent: int,
                  costs: dict[int, int], open_forms: set[int]) -> int:
    """``spent`` plus the bytes of content that drawing ``data`` makes text extraction
    parse: its own and, for each ``/Name Do`` of a form XObject, the form's (nested forms
    included) once per use, as pypdf parses a form again each time it is drawn.

    Raises:
        PolicyImportError: the total passes MAX_PDF_CONTENT.
    """
    spent += len(data)
    if spent > MAX_PDF_CONTENT:
        raise PolicyImportError(
            f"{filename}: its pages' content streams, with the forms they draw counted "
            f"each time they are drawn, are over {MAX_PDF_CONTENT:,} bytes, far more than "
            f"a policy's text needs", filename)
    xobjects = resources.get("/XObject") if resources is not None else None
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not xobjects or b"Do" not in data:
        return spent
    uses: dict[bytes, int] = {}
    for name in _DO_RE.findall(data):
        uses[name] = uses.get(name, 0) + 1
    for name, n in uses.items():
        ref = xobjects.get("/" + name.decode("latin-1"))
        form = ref.get_object() if ref is not None else None
        # An indirect object by its number; a direct one (alive in ``resources``) by id.
        key = ref.idnum if hasattr(ref, "idnum") else -id(form)
        if form is None or form.get("/Subtype") != "/Form" or key in open_forms:
            continue  # an image, a missing name, or a cycle (pypdf skips one)
        if key not in costs:
            open_forms.add(key)
            try:
                costs[key] = _content_cost(form.get_data(), form.get("/Resources")
                                           or resources, filename, 0, costs, open_forms)
            finally:
                open_forms.discard(key)
        spent += n * costs[key]
        if spent > MAX_PDF_CONTENT:
            return _content_cost(b"", None, filename, spent, costs, open_forms)
    return spent


def _pdf(data: bytes, filename: str, budget: _Budget) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    limit = budget.limits.max_pages
    pages: list[str] = []
    content = 0
    costs: dict[int, int] = {}
    operators = 0
    max_operators = budget.limits.max_pdf_operators
    over: list[PolicyImportError] = []

    def count_operator(*_: Any) -> None:
        # Called by pypdf before each operator it runs, in the page and in each form it
        # draws: the work of extraction counted, not timed. Once over, every call raises
        # (pypdf swallows an exception raised inside a form).
        nonlocal operators
        if over:
            raise _OverBudget(str(over[0]))
        operators += 1
        if operators > max_operators:
            over.append(PolicyImportError(
                f"{filename}: its text takes more than {max_operators:,} content "
                f"operators to read (MAX_PDF_CONTENT / 8), far more than a policy "
                f"needs; export the policy as text", filename))
        elif operators % _OPERATORS_PER_TICK == 0:
            try:
                budget.tick()
            except PolicyImportError as exc:
                over.append(exc)
        if over:
            raise _OverBudget(str(over[0]))

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PolicyImportError(Message(f"{filename}: the PDF is encrypted; export an "
                                            f"unprotected copy", "imp_encrypted", file=filename),
                                    filename)
        # The count the page tree states, before any page is read; then the pages
        # themselves, which may be more (a tree can lie).
        tree: Any = reader.root_object["/Pages"]
        stated = tree.get_object().get("/Count", 0)
        budget.count("pages", int(stated) if isinstance(stated, int) else 0, limit,
                     "IMPORT_MAX_PAGES")
        budget.count("pages", len(reader.pages), limit, "IMPORT_MAX_PAGES")
        for page in reader.pages:
            budget.tick()
            contents = page.get_contents()
            page_data = contents.get_data() if contents is not None else b""
            content += len(page_data)
            if content > MAX_PDF_CONTENT:
                raise PolicyImportError(
                    f"{filename}: its pages' content streams are over "
                    f"{MAX_PDF_CONTENT:,} bytes, far more than a policy's text needs",
                    filename)
            content = _content_cost(page_data, page.get("/Resources"), filename,
                                    content - len(page_data), costs, set())
            try:
                text = page.extract_text(visitor_operand_before=count_operator) or ""
            except _OverBudget:
                raise over[0] from None
            if over:  # raised inside a form, which pypdf then skipped
                raise over[0]
            budget.add_text(text)
            pages.append(text)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PolicyImportError(Message(f"{filename}: not a readable PDF ({exc})",
                                        "imp_not_pdf", file=filename), filename) from None
    if not pages:
        raise PolicyImportError(f"{filename}: the PDF has no pages", filename)
    blank = [n for n, text in enumerate(pages, 1) if _letters(text) < _MIN_LETTERS_PER_PAGE]
    if len(blank) == len(pages):
        raise PolicyImportError(Message(
            f"{filename}: no text layer on its {len(pages)} page(s) (a scanned image?); "
            f"export the policy as text from the original document, or run OCR first",
            "imp_scanned", file=filename, pages=len(pages)), filename)
    notes = ["PDF text extracted and converted to Markdown"]
    if blank:
        notes.append(f"pages {', '.join(map(str, blank))} have no text (scanned?) and "
                     f"were skipped; check that nothing is missing")
    return Extracted("pdf", "\n".join(pages), notes)


def extract(data: bytes, filename: str, limits: ImportLimits | None = None) -> Extracted:
    """The text of a policy file, read within ``limits``.

    Raises:
        PolicyImportError: an unreadable, scanned, empty or unsupported file, or one over
            a limit (named in the message).
    """
    budget = _Budget(limits or ImportLimits(), filename)
    lower = filename.lower()
    if data.startswith(b"%PDF-"):
        return _pdf(data, filename, budget)
    if data.startswith(b"PK\x03\x04") or lower.endswith(".docx"):
        return _docx(data, filename, budget)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise PolicyImportError(Message(f"{filename}: a Word 97-2003 .doc file; save it as .docx"
                                        f" and import that", "imp_doc", file=filename), filename)
    if data.startswith(b"{\\rtf"):
        raise PolicyImportError(Message(f"{filename}: an RTF file; save it as .docx or plain "
                                        f"text", "imp_rtf", file=filename), filename)
    if lower.endswith(".pdf"):
        raise PolicyImportError(Message(f"{filename}: not a PDF (no %PDF- header)",
                                        "imp_not_pdf", file=filename), filename)
    if len(data) > budget.limits.max_text_bytes:
        budget.add_text(data.decode("utf-8", "replace"))
    text = unicodedata.normalize("NFC", _decode(data, filename).removeprefix("\ufeff"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise PolicyImportError(f"{filename}:{line}: contains a NUL character; not a text "
                                f"file", filename, line)
    if not text.strip():
        raise PolicyImportError(Message(f"{filename}: the file is empty", "imp_empty",
                                        file=filename), filename)
    is_md = lower.endswith((".md", ".markdown"))
    return Extracted("markdown" if is_md else "text", text)
