"""The page template (title block, running header/footer, outline) and the build."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    Image,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from . import anchors, fonts
from .blocks import Blocks, Ctx
from .flowables import KeepWithNext
from .inlines import State
from .meta import DocMeta, read_meta
from .options import PdfOptions
from .styles import LINK, RULE, Styles

MARGIN_X = 20 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 22 * mm
LOGO_HEIGHT = 15 * mm


class PageCountCanvas(Canvas):
    """Draws "Page N of M" in one layout pass: each page shows form `pageno-N`, defined at save time
    once M is known (a two-pass build would lay the whole document out twice)."""

    def __init__(self, *args, number_style: tuple[str, float, object, float], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.number_style = number_style  # font, size, colour, box width
        self.numbered = 0

    def page_number(self, x: float, baseline: float) -> None:
        """Place this page's "Page N of M", right-aligned to end at x."""
        self.numbered = self.getPageNumber()
        _, size, _, width = self.number_style
        self.saveState()
        self.translate(x - width, baseline - size * 0.25)
        self.doForm(f"pageno-{self.numbered}")
        self.restoreState()

    def save(self) -> None:
        font, size, color, width = self.number_style
        for n in range(1, self.numbered + 1):
            self.beginForm(f"pageno-{n}", lowerx=0, lowery=0, upperx=width, uppery=size * 1.5)
            self.setFont(font, size)
            self.setFillColor(color)
            self.drawRightString(width, size * 0.25, f"Page {n} of {self.numbered}")
            self.endForm()
        super().save()


class BriefingDoc(BaseDocTemplate):
    """One page template; page furniture drawn in `decorate`, outline entries in `afterFlowable`."""

    def __init__(self, out: str | BinaryIO, *, options: PdfOptions, styles: Styles, meta: DocMeta) -> None:
        super().__init__(
            out, pagesize=options.pagesize, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM, title=meta.title, author=meta.author or meta.organisation,
            subject=meta.subtitle, creator="briefing", invariant=1, pageCompression=1,
            initialFontName=fonts.SANS, initialFontSize=options.base_font_size, keepTogetherClass=KeepWithNext,
        )
        self.st = styles
        self.meta = meta
        self.pages = 0
        self._outline_n = 0
        self._outline_level = -1
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate("page", frames=[frame], onPage=self.decorate)])

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802
        """Add an outline entry (bookmark) for level 1-2 headings where they were drawn."""
        outline = getattr(flowable, "_outline", None)
        if not outline:
            return
        text, level = outline
        self._outline_n += 1
        key = f"outline-{self._outline_n}"
        top = self.frame._y + flowable.getSpaceAfter() + getattr(flowable, "height", 0)
        self.canv.bookmarkHorizontalAbsolute(key, top + 4)
        # Outline levels may only deepen one step at a time.
        lvl = min(level - 1, self._outline_level + 1)
        self.canv.addOutlineEntry(text, key, level=lvl, closed=False)
        self._outline_level = lvl

    def decorate(self, canv: Canvas, doc: BaseDocTemplate) -> None:
        """Running header (short title, marking) and footer (marking, Page N of M)."""
        page = canv.getPageNumber()
        self.pages = max(self.pages, page)
        if page == 1:
            canv.showOutline()
        st, m = self.st, self.meta
        pw, ph = self.pagesize
        x, w = self.leftMargin, self.width
        canv.saveState()
        head_y = ph - MARGIN_TOP + 9 * mm
        if page > 1 and m.title:
            short = fonts.fit(m.title, fonts.SANS, st["running"].fontSize, w * 0.34)
            _draw(canv, fonts.markup(short), st["running"], x, head_y, w * 0.4)
        if m.marking:
            _draw(canv, fonts.markup(m.marking), st["running_mark"], x + w * 0.25, head_y, w * 0.5)
        if m.organisation and page > 1:
            org = fonts.fit(m.organisation, fonts.SANS, st["running"].fontSize, w * 0.3)
            _draw(canv, fonts.markup(org), st["running_right"], x + w * 0.6, head_y, w * 0.4)
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        if m.marking or (page > 1 and (m.title or m.organisation)):
            canv.line(x, head_y - 4.5 * mm, x + w, head_y - 4.5 * mm)
        foot_y = MARGIN_BOTTOM - 9 * mm
        canv.line(x, foot_y + 1.5 * mm, x + w, foot_y + 1.5 * mm)
        left = " \u00b7 ".join(p for p in (m.date, m.edition) if p)
        if left:
            _draw(canv, fonts.markup(left), st["running"], x, foot_y, w * 0.3)
        if m.marking:
            _draw(canv, fonts.markup(m.marking), st["running_mark"], x + w * 0.25, foot_y, w * 0.5)
        canv.page_number(x + w, foot_y - st["running_right"].fontSize)  # same baseline as the _draw texts
        canv.restoreState()


def _draw(canv: Canvas, text: str, style, x: float, top: float, width: float) -> None:
    # Paragraphs (not drawString) so the running text gets the same per-glyph font fallback.
    p = Paragraph(text, style)
    _, h = p.wrap(width, 50)
    p.drawOn(canv, x, top - h)


def title_block(meta: DocMeta, styles: Styles, options: PdfOptions, width: float) -> list[Flowable]:
    """Page 1's title block: organisation (and logo), title, subtitle, rule, date/edition/marking."""
    out: list[Flowable] = []
    if not any(vars(meta).values()) and options.logo is None:
        return out
    org = Paragraph(fonts.markup(meta.organisation.upper()), styles["org"]) if meta.organisation else None
    if options.logo is not None:
        logo = _logo(Path(options.logo))
        row = [[org or "", logo]]
        t = Table(row, colWidths=[width - logo.drawWidth, logo.drawWidth], hAlign="LEFT")
        t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), fonts.SANS), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                               ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
        out += [t, Spacer(1, styles.base * 0.9)]
    elif org is not None:
        out.append(org)
    if meta.title:
        out.append(Paragraph(fonts.markup(meta.title), styles["title"]))
    if meta.subtitle:
        out.append(Paragraph(fonts.markup(meta.subtitle), styles["subtitle"]))
    out.append(HRFlowable(width="100%", thickness=2, color=styles.brand, spaceBefore=styles.base * 0.7,
                          spaceAfter=styles.base * 0.5))
    details = "\u2003\u00b7\u2003".join(fonts.markup(p) for p in (meta.date, meta.edition) if p)
    if meta.author:
        details += ("\u2003\u00b7\u2003" if details else "") + fonts.markup(meta.author)
    cells = [[Paragraph(details, styles["titlemeta"]),
              Paragraph(fonts.markup(meta.marking), styles["marking"]) if meta.marking else ""]]
    t = Table(cells, colWidths=[width * 0.7, width * 0.3], hAlign="LEFT")
    t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), fonts.SANS),
                           ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                           ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                           ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    out += [t, Spacer(1, styles.base * 1.6)]
    return out


def _logo(path: Path) -> Image:
    try:
        iw, ih = ImageReader(str(path)).getSize()
    except Exception as exc:
        raise ValueError(f"logo {path} is not a readable PNG/JPEG image: {exc}") from exc
    h = LOGO_HEIGHT
    w = min(iw * h / ih, 60 * mm)
    h = w * ih / iw
    return Image(str(path), width=w, height=h)


def build(ast: dict, out: str | os.PathLike | BinaryIO, *, charts: dict[str, Path], options: PdfOptions) -> int:
    """Lay out and write the PDF for `ast`; return the page count."""
    fonts.ensure_fonts()
    styles = Styles(options)
    meta = read_meta(ast.get("meta") or {})
    blocks = ast.get("blocks") or []
    targets = anchors.collect(blocks)
    if isinstance(out, os.PathLike):
        out = os.fspath(out)

    doc = BriefingDoc(out, options=options, styles=styles, meta=meta)
    state = State(targets=targets, link_color=LINK.hexval().replace("0x", "#"))
    renderer = Blocks(styles, state, charts, {}, frame_height=doc.height)
    story = title_block(meta, styles, options, doc.width)
    story += renderer.render(blocks, Ctx(doc.width))
    story += renderer.notes(doc.width)
    if not story:
        story.append(Spacer(1, 1))  # an empty document is still one (numbered) page
    running = styles["running_right"]
    number_style = (running.fontName, running.fontSize, running.textColor, doc.width * 0.3)
    doc.build(story, canvasmaker=partial(PageCountCanvas, number_style=number_style))
    return doc.pages
