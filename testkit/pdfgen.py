"""Hand-built PDFs for tests and benchmarks: exact control over pages and text objects."""

from __future__ import annotations


def text_objects_pdf(objects_per_page: int, pages: int = 1, char: str = "a") -> bytes:
    """A valid PDF whose pages each hold ``objects_per_page`` one-character text objects.

    pdfminer's layout analysis grows faster than linearly with the objects on a page (10,000
    take about 5 s, 20,000 about 20 s here), so a few kilobytes of PDF make a slow document.
    """
    page_ids = [3 + 2 * i for i in range(pages)]
    font_id = 3 + 2 * pages
    objs = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % p for p in page_ids), pages),
        font_id: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for p, page_id in enumerate(page_ids):
        ops = [f"BT /F1 2 Tf {20 + (i * 7) % 560} {20 + (i // 80) % 800} Td ({char}{p}) Tj ET" for i in range(objects_per_page)]
        content = "\n".join(ops).encode()
        objs[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (font_id, page_id + 1)
        )
        objs[page_id + 1] = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for i in sorted(objs):
        offsets[i] = len(out)
        out += b"%d 0 obj\n" % i + objs[i] + b"\nendobj\n"
    xref = len(out)
    n = max(objs) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % n
    for i in range(1, n):
        out += b"%010d 00000 n \n" % offsets[i]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (n, xref)
    return bytes(out)


def text_pages_pdf(pages: int, lines_per_page: int = 40) -> bytes:
    """A valid PDF of ``pages`` pages, each ``lines_per_page`` lines of Helvetica text that name
    their page (``page 17 line 3 ...``): a long document that is quick to make and to read."""
    page_ids = [4 + 2 * i for i in range(pages)]
    objs = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % p for p in page_ids), pages),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for p, page_id in enumerate(page_ids, 1):
        lines = b" T* ".join(b"(page %d line %d of a long report, its figures and their notes) Tj" % (p, i) for i in range(lines_per_page))
        content = b"BT /F1 10 Tf 14 TL 50 800 Td " + lines + b" ET"
        objs[page_id] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_id + 1)
        objs[page_id + 1] = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for i in sorted(objs):
        offsets[i] = len(out)
        out += b"%d 0 obj\n" % i + objs[i] + b"\nendobj\n"
    xref = len(out)
    n = max(objs) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % n
    for i in range(1, n):
        out += b"%010d 00000 n \n" % offsets[i]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (n, xref)
    return bytes(out)
