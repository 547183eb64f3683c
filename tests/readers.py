"""Read built outputs back as a reader would: the PDF's text and the DOCX's text, normalised."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path


def pdf_pages(path: Path) -> list[str]:
    """Each page's extracted text."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def pdf_text(path: Path) -> str:
    """The PDF's text, whitespace folded."""
    return fold("\n".join(pdf_pages(path)))


def docx_paragraphs(path: Path) -> list[tuple[str, str]]:
    """(style name, text) of every body paragraph, including those inside tables, in order."""
    import docx

    doc = docx.Document(str(path))
    out = []
    body = doc.element.body
    for el in body.iter():
        if el.tag.endswith("}p"):
            from docx.text.paragraph import Paragraph

            p = Paragraph(el, doc)
            out.append((p.style.name if p.style is not None else "", p.text))
    return out


def docx_text(path: Path) -> str:
    """The DOCX body's text, whitespace folded."""
    return fold("\n".join(t for _, t in docx_paragraphs(path)))


def docx_xml(path: Path, part: str = "word/document.xml") -> str:
    """One XML part of the DOCX, as text."""
    with zipfile.ZipFile(path) as z:
        return z.read(part).decode("utf-8")


def fold(text: str) -> str:
    """Collapse all whitespace to single spaces."""
    return re.sub(r"\s+", " ", text).strip()


def words(text: str) -> list[str]:
    """Word tokens, case-folded, for comparing texts that break lines differently."""
    return re.findall(r"\w+", text.casefold())
