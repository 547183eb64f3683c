"""The page template (title block, running header/footer, outline) and the build."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
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

from ..pandoc_ast import Document, Json, document
from . import anchors, fonts
from .blocks import Blocks, Ctx
from .flowables import KeepWithNext
from .inlines import State
from .meta import DocMeta, read_meta
from .options import PdfOptions
from .styles import Styles

MARGIN_X = 20 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 22 * mm
LOGO_HEIGHT = 15 * mm


class PageCountCanvas(Canvas):
    """Draws "Page N of M" in one layout pass: each page shows form `pageno-N`, defined at save time
    once M is known (a two-pass build would lay the whole document out twice)."""

    def __init__(self, *args: Any, number_style: tuple[str, float, object, float], **kwargs: Any) -> None:
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
        self.more: Iterator[Flowable] | None = None  # the story still to be made (build_lazily)
        self.queue: list[Flowable] = []  # the story made and not yet laid out
        self.pages = 0
        self.running = RunningTexts()
        self._outline_n = 0
        self._outline_level = -1
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate("page", frames=[frame], onPage=self.decorate)])

    def build_lazily(self, story: Iterator[Flowable], **kwargs: Any) -> None:
        """`build` from an iterator: each flowable is made when the layout nears it and freed once drawn, so
        the story of a 1,000-page briefing never exists whole."""
        self.more = story
        self.queue = []
        self._top_up()
        if not self.queue:
            self.queue.append(Spacer(1, 1))  # an empty document is still one (numbered) page
        self.build(self.queue, **kwargs)

    def handle_flowable(self, flowables: list[Flowable]) -> None:  # noqa: D102 - ReportLab's
        if flowables is not self.queue:  # ReportLab's own lists (flowables held over to a new page)
            super().handle_flowable(flowables)
            return
        self._top_up()
        super().handle_flowable(flowables)
        self._top_up()  # the build stops when the list is empty

    def _top_up(self) -> None:
        # ReportLab looks ahead only through a keepWithNext chain and the one flowable after it.
        queue = self.queue
        while self.more is not None and (len(queue) < 2 or queue[-1].getKeepWithNext()):
            nxt = next(self.more, None)
            if nxt is None:
                self.more = None
            else:
                queue.append(nxt)

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
        """Running header (short title, marking) and footer (marking, Page N of M).

        Every text is one line, cut with an ellipsis to its slot (the title block on page 1 shows each in
        full): a marking that wrapped would run down over the body text or off the page.
        """
        page = canv.getPageNumber()
        self.pages = max(self.pages, page)
        if page == 1:
            canv.showOutline()
        st, m, run = self.st, self.meta, self.running
        pw, ph = self.pagesize
        x, w = self.leftMargin, self.width
        canv.saveState()
        head_y = ph - MARGIN_TOP + 9 * mm
        left = right = 0.0  # widths taken at each side, so the centred marking fits between them
        if page > 1 and m.title:
            left = run.one_line(canv, m.title, st["running"], x, head_y, w * 0.34)
        org = m.organisation if m.organisation and page > 1 else ""
        if org:
            right = run.width(org, st["running_right"], w * 0.3)
        if m.marking:
            run.centred(canv, m.marking, st["running_mark"], x, head_y, w, max(left, right))
        if org:  # drawn after the marking: the text reads title, marking, organisation
            run.one_line(canv, org, st["running_right"], x + w * 0.7, head_y, w * 0.3)
        canv.setStrokeColor(self.st.rule)
        canv.setLineWidth(0.5)
        if m.marking or (page > 1 and (m.title or m.organisation)):
            canv.line(x, head_y - 4.5 * mm, x + w, head_y - 4.5 * mm)
        foot_y = MARGIN_BOTTOM - 9 * mm
        canv.line(x, foot_y + 1.5 * mm, x + w, foot_y + 1.5 * mm)
        dated = " \u00b7 ".join(p for p in (m.date, m.edition) if p)
        left = run.one_line(canv, dated, st["running"], x, foot_y, w * 0.3) if dated else 0.0
        number = st["running_right"]
        right = fonts.text_width("Page 8888 of 8888", number.fontName, number.fontSize)
        if m.marking:
            run.centred(canv, m.marking, st["running_mark"], x, foot_y, w, max(left, right))
        canv.page_number(x + w, foot_y - number.fontSize)  # same baseline as the drawn texts
        canv.restoreState()


GAP = 3 * mm  # the least space between two running texts


class RunningTexts:
    """The running header's and footer's texts, each on one line, cut with an ellipsis to its slot. Every page
    shows the same few: each is fitted, parsed and wrapped once, then drawn on every page."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, str, float], tuple[Paragraph, float, float]] = {}

    def _made_for(self, text: str, style: ParagraphStyle, width: float) -> tuple[Paragraph, float, float]:
        """The paragraph of `text` cut to `width`, its height, and the width the text takes."""
        key = (text, style.name, width)
        made = self._made.get(key)
        if made is None:
            short = fonts.fit(text, style.fontName, style.fontSize, width - 0.5)  # a margin for rounding in wrap()
            # A paragraph (not drawString) so the running text gets the same per-glyph font fallback.
            para = Paragraph(fonts.markup(short), style)
            _, height = para.wrap(width, 50)
            made = self._made[key] = (para, height, fonts.text_width(short, style.fontName, style.fontSize))
        return made

    def width(self, text: str, style: ParagraphStyle, width: float) -> float:
        """The width `text` takes once cut to one line of `width`."""
        return self._made_for(text, style, width)[2]

    def one_line(self, canv: Canvas, text: str, style: ParagraphStyle, x: float, top: float, width: float) -> float:
        """Draw `text` on one line in a box of `width` at (x, top), aligned as the style says; the width it took."""
        para, height, used = self._made_for(text, style, width)
        para.drawOn(canv, x, top - height)
        return used

    def centred(self, canv: Canvas, text: str, style: ParagraphStyle, x: float, top: float, width: float,
                sides: float) -> None:
        """Draw `text` centred on the line, on one line, clear of `sides` points taken at either end."""
        room = max(width - 2 * (sides + GAP), 0.0)
        self.one_line(canv, text, style, x + (width - room) / 2, top, room)


def title_block(meta: DocMeta, styles: Styles, options: PdfOptions, width: float,
                height: float = float("inf")) -> list[Flowable]:
    """Page 1's title block: organisation (and logo), title, subtitle, rule, date/edition/marking.

    Every text is shown in full, in paragraphs that can break across pages; two texts share a row only
    while the row stays short (a table row cannot break, so a long marking in one would not fit the page).
    """
    out: list[Flowable] = []
    if not any(vars(meta).values()) and options.logo is None:
        return out
    org = Paragraph(fonts.markup(meta.organisation.upper()), styles["org"]) if meta.organisation else None
    if options.logo is not None:
        logo = _logo(Path(options.logo))
        out += _row(org, logo, width - logo.drawWidth, width, height, valign="BOTTOM")
        out.append(Spacer(1, styles.base * 0.9))
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
    marking = Paragraph(fonts.markup(meta.marking), styles["marking"]) if meta.marking else None
    out += _row(Paragraph(details, styles["titlemeta"]), marking, width * 0.7, width, height, valign="MIDDLE")
    out.append(Spacer(1, styles.base * 1.6))
    return out


def _row(left: Flowable | None, right: Flowable | None, left_width: float, width: float, height: float,
         *, valign: str) -> list[Flowable]:
    """`left` and `right` side by side in one table row if it is at most a quarter page high, else stacked."""
    right_width = width - left_width
    tall = any(f is not None and f.wrap(w, height)[1] > height / 4
               for f, w in ((left, left_width), (right, right_width)))
    if tall:  # stacked, each at full width
        if isinstance(right, Image):  # a logo goes above the organisation's name, at the right
            right.hAlign = "RIGHT"
            return [f for f in (right, left) if f is not None]
        if isinstance(right, Paragraph):  # a full-width paragraph reads from the left margin
            right.style = ParagraphStyle(f"{right.style.name}-stacked", parent=right.style, alignment=TA_LEFT)
        return [f for f in (left, right) if f is not None]
    t = Table([[left or "", right or ""]], colWidths=[left_width, right_width], hAlign="LEFT")
    t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), fonts.SANS), ("VALIGN", (0, 0), (-1, -1), valign),
                           ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                           ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                           ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return [t]


def _logo(path: Path) -> Image:
    try:
        iw, ih = ImageReader(str(path)).getSize()
    except Exception as exc:
        raise ValueError(f"logo {path} is not a readable PNG/JPEG image: {exc}") from exc
    h = LOGO_HEIGHT
    w = min(iw * h / ih, 60 * mm)
    h = w * ih / iw
    return Image(str(path), width=w, height=h)


def build(ast: Json | Document, out: str | os.PathLike[str] | BinaryIO, *, charts: dict[str, Path],
          options: PdfOptions) -> int:
    """Lay out and write the PDF for `ast`; return the page count."""
    fonts.ensure_fonts()
    styles = Styles(options)
    source = document(ast)
    meta = read_meta(source.meta or {})
    targets = anchors.collect(source.passing_blocks())
    if isinstance(out, os.PathLike):
        out = os.fspath(out)

    doc = BriefingDoc(out, options=options, styles=styles, meta=meta)
    state = State(targets=targets, link_color=styles.link.hexval().replace("0x", "#"),
                  disputed_color=styles.disputed)
    renderer = Blocks(styles, state, charts, {}, frame_height=doc.height)

    def story() -> Iterator[Flowable]:
        yield from title_block(meta, styles, options, doc.width, doc.height)
        yield from renderer.stream(source.blocks(), Ctx(doc.width))
        yield from renderer.notes(doc.width)  # the notes met in every block above

    running = styles["running_right"]
    number_style = (running.fontName, running.fontSize, running.textColor, doc.width * 0.3)
    doc.build_lazily(story(), canvasmaker=partial(PageCountCanvas, number_style=number_style))
    return doc.pages
