"""Small custom flowables: anchors, indentation and a table that splits rows only as a last resort."""

from __future__ import annotations

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

    def drawOn(self, canvas, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802
        self.flowable.drawOn(canvas, x + self.left, y, _sW)

    def getSpaceBefore(self) -> float:  # noqa: N802
        return self.flowable.getSpaceBefore()

    def getSpaceAfter(self) -> float:  # noqa: N802
        return self.flowable.getSpaceAfter()

    def getKeepWithNext(self) -> bool:  # noqa: N802
        if "keepWithNext" in self.__dict__:
            return self.keepWithNext
        return self.flowable.getKeepWithNext()


class SplitTable(Table):
    """A Table that splits inside a row only when that row could not fit on a fresh page."""

    page_height = 10_000.0  # set per instance; split parts inherit it below

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        self._calc(availWidth, availHeight)
        oversized = max(self._rowHeights, default=0) > self.page_height
        # Postponed once already means we are at the top of a frame and it still does not fit.
        in_row = oversized or getattr(self, "_postponed", False)
        saved, saved_range = self.splitInRow, self._rowSplitRange
        if in_row:
            self._rowSplitRange = None  # last resort: widow/orphan rules must not block progress
        else:
            self.splitInRow = 0
        try:
            parts = super().split(availWidth, availHeight)
        finally:
            self.splitInRow, self._rowSplitRange = saved, saved_range
        for part in parts:
            part.page_height = self.page_height
            part.splitInRow = saved
        return parts


class KeepWithNext(KeepTogether):
    """keepWithNext groups: like KeepTogether, but a long last member (a table or paragraph) may
    start on this page, so a heading followed by a long table does not leave half a page blank."""

    def split(self, aW: float, aH: float) -> list[Flowable]:  # noqa: N803
        heads, last = self._content[:-1], self._content[-1]
        if heads and _splittable(last):
            _, used = _listWrapOn(heads, aW, self.canv)
            room = aH - used - last.getSpaceBefore() - 1
            if room > 0:
                _, h = last.wrapOn(self.canv, aW, room)
                if h > room:
                    parts = last.splitOn(self.canv, aW, room)
                    if len(parts) >= 2:
                        return [*heads, *parts]
        return super().split(aW, aH)


def _splittable(f: Flowable) -> bool:
    while isinstance(f, Indented):
        f = f.flowable
    return isinstance(f, (Paragraph, Table))
