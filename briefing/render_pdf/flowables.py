"""Small custom flowables: anchors, indentation and a table that splits rows only as a last resort."""

from __future__ import annotations

from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Table
from reportlab.platypus.flowables import _listWrapOn


class Anchor(Flowable):
    """A zero-size named destination (kept with what follows, so it lands on the same page)."""

    _ZEROSIZE = True

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.width = self.height = 0
        self.keepWithNext = 1

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return 0, 0

    def draw(self) -> None:
        self.canv.bookmarkHorizontal(self.key, 0, 0)


class Indented(Flowable):
    """Shifts any flowable right by `left` points (list items holding tables, boxes, charts)."""

    def __init__(self, flowable: Flowable, left: float) -> None:
        super().__init__()
        self.flowable = flowable
        self.left = left

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        w, h = self.flowable.wrapOn(self.canv, availWidth - self.left, availHeight)
        self.width, self.height = w + self.left, h
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        parts = self.flowable.splitOn(self.canv, availWidth - self.left, availHeight)
        return [Indented(p, self.left) for p in parts]

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803
        self.flowable.drawOn(canvas, x + self.left, y, _sW)

    def getSpaceBefore(self) -> float:  # noqa: N802
        space: float = self.flowable.getSpaceBefore()
        return space

    def getSpaceAfter(self) -> float:  # noqa: N802
        space: float = self.flowable.getSpaceAfter()
        return space

    def getKeepWithNext(self) -> bool:  # noqa: N802
        keep: bool = self.__dict__["keepWithNext"] if "keepWithNext" in self.__dict__ else \
            self.flowable.getKeepWithNext()
        return keep


class SplitTable(Table):
    """A Table that splits inside a row only when that row could not fit on a fresh page."""

    page_height = 10_000.0  # set per instance; split parts inherit it below
    keep_rows = False  # widow/orphan control for data tables
    split_inside = False  # a panel (one body row): its body may split on this page, not only on a fresh one
    splitInRow: int  # ReportLab's  # noqa: N815
    _rowSplitRange: tuple[int, int] | None  # ReportLab's  # noqa: N815

    def _calc(self, availWidth: float, availHeight: float) -> None:  # noqa: N803
        # The frame wraps a table, then splits it, and ReportLab's split measures it again (twice when
        # it retries inside a row): measure once per size. Nothing the measure reads changes in between.
        if self.__dict__.get("_measured") == (availWidth, availHeight):
            return
        super()._calc(availWidth, availHeight)
        self._measured = (availWidth, availHeight)

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        self._calc(availWidth, availHeight)
        parts = self._split(availWidth, availHeight, in_row=False)
        oversized = max(self._rowHeights, default=0) > self.page_height
        if not parts and (oversized or self.split_inside or availHeight >= self.page_height - 1):
            # Last resort (a row taller than a page): split inside it, ignoring widow/orphan rules.
            parts = self._split(availWidth, availHeight, in_row=True)
        for part in parts:
            part.page_height = self.page_height
            part.keep_rows = self.keep_rows
            part.split_inside = self.split_inside
            if part is not self and self.keep_rows:
                part._rowSplitRange = _widow_range(part)  # ReportLab does not carry it to the parts
        return parts

    def _split(self, availWidth: float, availHeight: float, in_row: bool) -> list[Flowable]:  # noqa: N803
        saved, saved_range = self.splitInRow, self._rowSplitRange
        if in_row:
            self._rowSplitRange = None
        else:
            self.splitInRow = 0
        try:
            parts: list[Flowable] = super().split(availWidth, availHeight)
        finally:
            self.splitInRow, self._rowSplitRange = saved, saved_range
        for part in parts:
            part.splitInRow = saved
        return parts


def widow_range(rows: int, head: int) -> tuple[int, int]:
    """Split positions (rowSplitRange) leaving at least two body rows on each side of a page break;
    a table with fewer than four body rows moves to the next page whole."""
    return (head + 2, -2) if rows - head >= 4 else (rows, rows)


def _widow_range(table: Table) -> tuple[int, int]:
    head = table.repeatRows if isinstance(table.repeatRows, int) else len(table.repeatRows)
    return widow_range(len(table._cellvalues), head)


class KeepWithNext(KeepTogether):
    """keepWithNext groups: like KeepTogether, but a long last member (a table or paragraph) may
    start on this page, and a last chart may shrink to fit it, so a heading followed by a long table
    or a tall chart does not leave half a page blank."""

    def split(self, aW: float, aH: float) -> list[Flowable]:  # noqa: N803
        heads, last = self._content[:-1], self._content[-1]
        shrinks = getattr(last, "shrinks", False)  # a chart block that fits by shrinking (FigureBlock)
        if heads and (shrinks or _splittable(last)):
            _, used = _listWrapOn(heads, aW, self.canv)
            room = aH - used - last.getSpaceBefore() - 1
            if room > 0:
                _, h = last.wrapOn(self.canv, aW, room)
                if shrinks and h <= room:
                    return [*heads, last]
                if h > room and not shrinks:
                    parts = last.splitOn(self.canv, aW, room)
                    if len(parts) >= 2:
                        return [*heads, *parts]
        whole: list[Flowable] = super().split(aW, aH)
        return whole


def _splittable(f: Flowable) -> bool:
    while isinstance(f, Indented):
        f = f.flowable
    return isinstance(f, (Paragraph, Table))


class Para(Paragraph):
    """A Paragraph that re-breaks its lines the plain way if URL splitting made one overflow.

    ReportLab splits long URLs at slashes (uriWasteReduce) but never again inside the tail it
    splits off, so a very long slug would run past the margin; character splitting cannot.
    """

    style: ParagraphStyle
    lean = False  # keep only the size after a wrap, not the lines (a cell of a long table: see `forget_lines`)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        # A table wraps each cell to measure its row and again to draw it; the lines depend only on the
        # width and the style, so the second wrap reuses the first one's lines.
        if self.__dict__.get("_wrapped") == (availWidth, id(self.style)) and (
                "blPara" in self.__dict__ or "_forgotten" in self.__dict__):
            return self.width, self.height  # (ReportLab drops blPara when it splits a paragraph)
        self.__dict__.pop("_forgotten", None)
        w, h = super().wrap(availWidth, availHeight)
        if self.style.uriWasteReduce and _overflows(self.blPara):
            self.style = _plain_breaking(self.style)
            w, h = super().wrap(availWidth, availHeight)
        if "blPara" in self.__dict__:  # not when the width was too small to wrap at all
            self._wrapped = (availWidth, id(self.style))
            self._wrap_height = availHeight
            if self.lean:
                self.forget_lines()
        return w, h

    def forget_lines(self) -> None:
        """Drop the lines a wrap broke, keeping its size: a table measures every row of its rest at each page
        break, but draws only a page of them, and 6,000 rows' lines are hundreds of MB. They are broken
        again, the same, when drawn."""
        if "blPara" in self.__dict__ and "_wrapped" in self.__dict__:
            del self.__dict__["blPara"]
            self._forgotten = True

    def __getattr__(self, name: str) -> Any:
        if name == "blPara" and self.__dict__.pop("_forgotten", False):
            Paragraph.wrap(self, self._wrapped[0], self._wrap_height)  # the same lines as the first wrap
            return self.__dict__["blPara"]
        raise AttributeError(name)


def _overflows(bl_para: Any) -> bool:
    for line in bl_para.lines:
        extra = line[0] if isinstance(line, tuple) else getattr(line, "extraSpace", 0)
        if extra < -0.5:
            return True
    return False


def _plain_breaking(style: ParagraphStyle) -> ParagraphStyle:
    plain = style.__dict__.get("_plain")
    if plain is None:
        plain = ParagraphStyle(style.name + "-plain", parent=style, uriWasteReduce=0, embeddedHyphenation=0)
        style._plain = plain
    return plain
