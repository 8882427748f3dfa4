"""A minimal PDF writer for tests: pages of text lines in Helvetica, or pages with no text
at all (what a scanner produces, minus the image). Characters outside Latin-1 (Uzbek ʻ,
the "ﬁ" ligature a PDF's text layer keeps) get codes 1-31 and a /ToUnicode map, as a
font subset's do."""

from __future__ import annotations


def _codes(pages: list[list[str]]) -> dict[str, int]:
    """Byte codes for the characters WinAnsi cannot encode."""
    extra = sorted({c for lines in pages for line in lines for c in line
                    if ord(c) > 255 or ord(c) < 32})
    if len(extra) > 31:
        raise ValueError("more than 31 characters outside Latin-1")
    return {c: i for i, c in enumerate(extra, 1)}


def _escape(line: str, codes: dict[str, int] | None = None) -> bytes:
    codes = codes or {}
    raw = b"".join(bytes([codes[c]]) if c in codes else c.encode("latin-1") for c in line)
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _to_unicode(codes: dict[str, int]) -> bytes:
    """A /ToUnicode CMap: every code to its character (Latin-1 codes as themselves)."""
    pairs = [(i, chr(i)) for i in range(32, 256)] + [(n, c) for c, n in codes.items()]
    body = b"".join(f"<{n:02X}> <{c.encode('utf-16-be').hex().upper()}>\n".encode()
                    for n, c in pairs)
    chunks = [body.splitlines(keepends=True)[i:i + 100]
              for i in range(0, len(pairs), 100)]
    bf = b"".join(f"{len(c)} beginbfchar\n".encode() + b"".join(c) + b"endbfchar\n"
                  for c in chunks)
    return (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            b"/CMapName /Test-UCS def /CMapType 2 def\n"
            b"1 begincodespacerange <00> <FF> endcodespacerange\n" + bf
            + b"endcmap CMapName currentdict /CMap defineresource pop end end")


def make_pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose page i shows ``pages[i]``, one text line per item (empty list: a page
    without a text layer)."""
    objects: list[bytes] = []
    codes = _codes(pages)
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, lines in enumerate(pages):
        content_id = 4 + 2 * i
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       f"/Resources << /Font << /F1 {font_id} 0 R >> >> "
                       f"/Contents {content_id} 0 R >>".encode())
        stream = b"BT /F1 11 Tf 14 TL 56 740 Td " + b" ".join(
            b"(" + _escape(line, codes) + b") Tj T*" for line in lines) + b" ET" if lines else b""
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
                       + b"\nendstream")
    if codes:
        cmap = _to_unicode(codes)
        objects.append(f"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                       f"/Encoding /WinAnsiEncoding /ToUnicode {font_id + 1} 0 R >>".encode())
        objects.append(b"<< /Length " + str(len(cmap)).encode() + b" >>\nstream\n" + cmap
                       + b"\nendstream")
    else:
        objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                       b"/Encoding /WinAnsiEncoding >>")
    return assemble(objects)


def text_stream(lines: list[str]) -> bytes:
    """A content stream showing ``lines`` (Latin-1) in the font /F1."""
    return b"BT /F1 11 Tf 14 TL 56 740 Td " + b" ".join(
        b"(" + _escape(line) + b") Tj T*" for line in lines) + b" ET"


def assemble(objects: list[bytes]) -> bytes:
    """A PDF of ``objects`` (object n is ``objects[n - 1]``; object 1 is the catalog), with
    its cross-reference table and trailer."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
            .encode())
    return bytes(out)
