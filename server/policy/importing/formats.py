"""Reading a policy file into text: Markdown or plain text, Word .docx, PDF with a text layer.

Formats are told by their bytes first (a PDF named .txt is still a PDF), then by name.
A .docx becomes Markdown (its heading and list styles kept); a PDF becomes plain text for
:func:`server.policy.importing.text.text_to_markdown`. A file without text (a scanned image, an
empty document) is refused with what to do instead.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field

from server.errors import PolicyImportError
from server.policy.importing.text import escape_markdown

__all__ = ["MAX_DOCX_UNPACKED", "Extracted", "extract"]

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
            raise PolicyImportError(f"{filename}: not valid UTF-16 (byte {exc.start})",
                                    filename) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PolicyImportError(f"{filename}:{line}: not UTF-8 (byte {exc.start}); convert "
                                f"the file to UTF-8 first", filename, line) from None


# A policy is tens of kilobytes; a .docx that unpacks to more than this is not one (a zip
# bomb would otherwise cost the worker gigabytes of memory in the XML parser).
MAX_DOCX_UNPACKED = 32 * 1024 * 1024


def _check_unpacked_size(data: bytes, filename: str) -> None:
    """Refuse a .docx whose members would unpack to more than MAX_DOCX_UNPACKED bytes,
    reading only the zip's directory (sizes it states) and never more than that while
    checking them (a directory can lie)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            stated = sum(i.file_size for i in zf.infolist())
            if stated > MAX_DOCX_UNPACKED:
                raise PolicyImportError(
                    f"{filename}: unpacks to {stated:,} bytes, more than the "
                    f"{MAX_DOCX_UNPACKED:,} a policy document may have", filename)
            total = 0
            for info in zf.infolist():
                with zf.open(info) as member:
                    while chunk := member.read(1 << 20):
                        total += len(chunk)
                        if total > MAX_DOCX_UNPACKED:
                            raise PolicyImportError(
                                f"{filename}: unpacks to more than the "
                                f"{MAX_DOCX_UNPACKED:,} bytes a policy document may have",
                                filename)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError,
            zlib.error) as exc:
        raise PolicyImportError(f"{filename}: not a readable Word .docx file ({exc})",
                                filename) from None


def _docx(data: bytes, filename: str) -> Extracted:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from lxml import etree

    _check_unpacked_size(data, filename)
    try:
        doc = Document(io.BytesIO(data))
        blocks = list(doc.iter_inner_content())
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError,
            etree.LxmlError) as exc:
        raise PolicyImportError(f"{filename}: not a readable Word .docx file ({exc})",
                                filename) from None
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Table):
            for row in block.rows:
                cells = [c.text.strip() for c in row.cells if c.text.strip()]
                if cells:
                    out += [escape_markdown(" | ".join(dict.fromkeys(cells))), ""]
            continue
        text = " ".join(block.text.split())
        if not text:
            continue
        style = (block.style.name if block.style is not None else "") or ""
        heading = re.fullmatch(r"Heading ([0-9])", style)
        numbered = block._p.pPr is not None and block._p.pPr.numPr is not None
        runs = [r for r in block.runs if r.text.strip()]
        if style == "Title":
            out += [f"# {escape_markdown(text, block_start=False)}", ""]
        elif heading:
            level = min(int(heading[1]) + 1, 6)
            out += [f"{'#' * level} {escape_markdown(text, block_start=False)}", ""]
        elif style.startswith("List") or numbered:
            out.append(f"- {escape_markdown(text)}")
        elif runs and all(r.bold for r in runs) and len(text) <= 90:
            out += [f"## {escape_markdown(text, block_start=False)}", ""]
        else:
            if out and out[-1].startswith("- "):
                out.append("")
            out += [escape_markdown(text), ""]
    md = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
    if _letters(md) < _MIN_LETTERS_PER_PAGE:
        raise PolicyImportError(f"{filename}: the document has no text (only images or "
                                f"nothing); save the policy's text in it, or export it as "
                                f"text", filename)
    if not md.startswith("# "):
        first, _, rest = md.partition("\n")
        md = f"# {first.lstrip('#').strip()}\n{rest}"
    return Extracted("docx", md + "\n", ["Word .docx converted to Markdown"])


def _pdf(data: bytes, filename: str) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PolicyImportError(f"{filename}: the PDF is encrypted; export an "
                                    f"unprotected copy", filename)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise PolicyImportError(f"{filename}: not a readable PDF ({exc})", filename) from None
    if not pages:
        raise PolicyImportError(f"{filename}: the PDF has no pages", filename)
    blank = [n for n, text in enumerate(pages, 1) if _letters(text) < _MIN_LETTERS_PER_PAGE]
    if len(blank) == len(pages):
        raise PolicyImportError(
            f"{filename}: no text layer on its {len(pages)} page(s) (a scanned image?); "
            f"export the policy as text from the original document, or run OCR first",
            filename)
    notes = ["PDF text extracted and converted to Markdown"]
    if blank:
        notes.append(f"pages {', '.join(map(str, blank))} have no text (scanned?) and "
                     f"were skipped; check that nothing is missing")
    return Extracted("pdf", "\n".join(pages), notes)


def extract(data: bytes, filename: str) -> Extracted:
    """The text of a policy file.

    Raises:
        PolicyImportError: an unreadable, scanned, empty or unsupported file.
    """
    lower = filename.lower()
    if data.startswith(b"%PDF-"):
        return _pdf(data, filename)
    if data.startswith(b"PK\x03\x04") or lower.endswith(".docx"):
        return _docx(data, filename)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise PolicyImportError(f"{filename}: a Word 97-2003 .doc file; save it as .docx "
                                f"and import that", filename)
    if data.startswith(b"{\\rtf"):
        raise PolicyImportError(f"{filename}: an RTF file; save it as .docx or plain text",
                                filename)
    if lower.endswith(".pdf"):
        raise PolicyImportError(f"{filename}: not a PDF (no %PDF- header)", filename)
    text = unicodedata.normalize("NFC", _decode(data, filename).removeprefix("\ufeff"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise PolicyImportError(f"{filename}:{line}: contains a NUL character; not a text "
                                f"file", filename, line)
    if not text.strip():
        raise PolicyImportError(f"{filename}: the file is empty", filename)
    is_md = lower.endswith((".md", ".markdown"))
    return Extracted("markdown" if is_md else "text", text)
