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


# -- strict readers: what a picky consumer of the files would reject ------------------------------

def assert_valid_pdf(path: Path) -> None:
    """The PDF opens in pypdf and, where qpdf is installed, `qpdf --check` finds no error or warning."""
    import shutil
    import subprocess

    from pypdf import PdfReader

    assert len(PdfReader(str(path)).pages) >= 1, path
    if shutil.which("qpdf"):
        proc = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, f"qpdf --check {path}:\n{proc.stdout}{proc.stderr}"


_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def assert_valid_docx(path: Path) -> None:
    """A strict reading of the DOCX package (OPC) and its main part, then python-docx opens it.

    Every part is listed in [Content_Types].xml (by name or extension), every XML part parses,
    every internal relationship points at a part that exists, every r:id the document uses is
    defined, and the main part is a w:document with a w:body.
    """
    import posixpath
    import xml.etree.ElementTree as ET

    import docx

    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None, f"{path}: a corrupt member"
        names = set(z.namelist())
        assert len(names) == len(z.namelist()), f"{path}: duplicate zip members"
        types = ET.fromstring(z.read("[Content_Types].xml"))
        defaults = {d.get("Extension").lower() for d in types.iter(f"{_CT_NS}Default")}
        overrides = {o.get("PartName").lstrip("/") for o in types.iter(f"{_CT_NS}Override")}
        for name in names - {"[Content_Types].xml"}:
            if name.endswith("/"):
                continue
            ext = name.rsplit(".", 1)[-1].lower()
            assert name in overrides or ext in defaults, f"{path}: part {name} has no content type"
            if ext in ("xml", "rels"):
                ET.fromstring(z.read(name))  # raises on malformed XML
        for rels in (n for n in names if n.endswith(".rels")):
            base = posixpath.dirname(posixpath.dirname(rels))  # word/_rels/document.xml.rels -> word
            for rel in ET.fromstring(z.read(rels)).iter(f"{_REL_NS}Relationship"):
                if rel.get("TargetMode") == "External":
                    continue
                target = rel.get("Target")
                part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                    posixpath.join(base, target))
                assert part in names, f"{path}: {rels} points at missing part {part}"
        main = ET.fromstring(z.read("word/document.xml"))
        assert main.tag == f"{_W_NS}document" and main.find(f"{_W_NS}body") is not None, path
        defined = {r.get("Id") for r in ET.fromstring(z.read("word/_rels/document.xml.rels"))}
        used = {el.get(_R_ID) for el in main.iter() if el.get(_R_ID)}
        assert used <= defined, f"{path}: undefined relationship ids {sorted(used - defined)}"
    docx.Document(str(path))


def pdf_word_boxes(path: Path) -> list[dict]:
    """Every word pdftotext finds: dicts of page (1-based), width, height, xMin, yMin, xMax, yMax and text."""
    import html
    import subprocess

    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    words: list[dict] = []
    page = {"page": 0, "width": 0.0, "height": 0.0}
    for m in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">|<word xMin="([\d.-]+)" yMin="([\d.-]+)" '
                         r'xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>', out):
        if m.group(1):
            page = {"page": page["page"] + 1, "width": float(m.group(1)), "height": float(m.group(2))}
            continue
        words.append({**page, "xMin": float(m.group(3)), "yMin": float(m.group(4)), "xMax": float(m.group(5)),
                      "yMax": float(m.group(6)), "text": html.unescape(m.group(7))})
    return words


def words_off_page(path: Path, tolerance: float = 0.5) -> list[dict]:
    """The words whose box runs outside their page (pdftotext's boxes, in points)."""
    return [w for w in pdf_word_boxes(path)
            if w["xMin"] < -tolerance or w["yMin"] < -tolerance
            or w["xMax"] > w["width"] + tolerance or w["yMax"] > w["height"] + tolerance]


# -- what a failed or interrupted build must leave behind ----------------------------------------

def outputs(out: Path) -> dict[str, bytes]:
    """The briefing files in out/ (PDF, DOCX) by name, with their bytes."""
    return {p.name: p.read_bytes() for p in sorted(Path(out).glob("*")) if p.suffix in (".pdf", ".docx")}


def temp_leftovers(*folders: Path) -> list[Path]:
    """Temporary files or folders a build left: atomic-write temps (*.tmp) and pandoc work folders (briefing-*)."""
    found = []
    for folder in folders:
        for p in Path(folder).rglob("*"):
            if p.name.endswith(".tmp") or p.name.startswith("briefing-"):
                found.append(p)
    return found


# -- the HTML edition, read as text the way a browser shows it -------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _read_html(path: Path) -> tuple[list[tuple[str, str]], str]:
    """The page's blocks as (tag, text), and its whole visible text.

    The head, the style sheet, inline SVG (charts are read by their alt text) and the back-links of
    the references (navigation, not content) are left out, as a reader's eye skips them.
    """
    from html.parser import HTMLParser

    blocks = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "caption", "figcaption", "dt", "dd",
              "pre", "div", "span"}

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.stack: list[tuple[str, bool, bool]] = []  # (tag, skipped, recorded as a block)
            self.open: list[int] = []  # indexes into out of the blocks open now
            self.out: list[tuple[str, list[str]]] = []
            self.flat: list[str] = []  # all the text, blocks separated by spaces

        def skipping(self) -> bool:
            return any(s for _, s, _ in self.stack)

        def handle_starttag(self, tag, attrs):
            if tag in _VOID:
                if tag == "br" and self.open:
                    self.out[self.open[-1]][1].append(" ")
                self.flat.append(" ")
                return
            cls = dict(attrs).get("class") or ""
            skip = tag in ("head", "style", "svg", "script") or "backlinks" in cls.split()
            record = tag in blocks - {"span", "div"} or (tag == "span" and "ref-label" in cls.split())
            self.stack.append((tag, skip, record))
            if tag in blocks - {"span"}:
                self.flat.append(" ")
            if record:
                self.open.append(len(self.out))
                self.out.append((tag, []))

        def handle_endtag(self, tag):
            if tag in blocks - {"span"}:
                self.flat.append(" ")
            while self.stack:
                t, _, record = self.stack.pop()
                if record:
                    self.open.pop()
                if t == tag:
                    break

        def handle_data(self, data):
            if not self.skipping() and self.stack:
                if self.open:
                    self.out[self.open[-1]][1].append(data)
                self.flat.append(data)

    reader = Reader()
    reader.feed(Path(path).read_text("utf-8"))
    blocks_ = [(tag, fold("".join(parts))) for tag, parts in reader.out if fold("".join(parts))]
    return blocks_, fold("".join(reader.flat))


def html_blocks(path: Path) -> list[tuple[str, str]]:
    """(tag, text) of every heading, paragraph, list item, cell and caption of the page body, in order."""
    return _read_html(path)[0]


def html_text(path: Path) -> str:
    """The HTML page's visible text, whitespace folded."""
    return _read_html(path)[1]
