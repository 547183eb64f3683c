"""SVG charts as vector drawings (svglib), scaled to the width they are given."""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing
from reportlab.platypus import Flowable

from . import fonts

log = logging.getLogger(__name__)


_cache: OrderedDict[tuple[str, int, int], Drawing | None] = OrderedDict()  # by (file, mtime, size)
_CACHE_SIZE = 16


def load_svg(path: Path) -> Drawing | None:
    """Parse an SVG into a ReportLab Drawing (cached by file identity); None if it cannot be read."""
    try:
        st = path.stat()
    except OSError as exc:
        log.warning("chart %s could not be read: %s", path, exc)
        return None
    # svglib is the slow part of a build; watch-mode rebuilds mostly see unchanged charts.
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    drawing = _parse(path)
    _cache[key] = drawing
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return drawing


def _parse(path: Path) -> Drawing | None:
    from svglib.svglib import svg2rlg  # imported on first chart: it pulls in lxml and friends

    try:
        try:
            # External references stay inside the chart's own folder; entities are never resolved.
            drawing = svg2rlg(str(path), resolve_entities=False, external_reference_root=str(path.parent))
        except TypeError:  # svglib before 2.3 has no external_reference_root
            drawing = svg2rlg(str(path), resolve_entities=False)
    except Exception as exc:  # svglib raises a variety of errors on malformed input
        log.warning("chart %s could not be converted: %s", path, exc)
        return None
    if drawing is None or not drawing.width or not drawing.height:
        log.warning("chart %s is empty or unreadable", path)
        return None
    # renderPDF starts every drawing in Helvetica (an unembedded base font) unless told otherwise.
    drawing.initialFontName = fonts.SANS
    return drawing


class Chart(Flowable):
    """A Drawing scaled (aspect kept) to the available width, capped at `max_height`."""

    def __init__(self, drawing: Drawing, max_height: float) -> None:
        super().__init__()
        self.drawing = drawing
        self.max_height = max_height
        self.scale = 1.0
        self.fit_height = 0.0  # set by FigureBlock: the height to shrink to so that a page is finished
        self.hAlign = "CENTER"

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        d = self.drawing
        self.scale = min(availWidth / d.width, self.max_height / d.height)
        if self.fit_height:
            self.scale = min(self.scale, self.fit_height / d.height)
        self.width, self.height = d.width * self.scale, d.height * self.scale
        return self.width, self.height

    def draw(self) -> None:
        if getattr(self.canv, "layout_only", False):
            return  # the page-counting pass needs the size, not the thousands of path operators
        self.canv.saveState()
        self.canv.scale(self.scale, self.scale)
        renderPDF.draw(self.drawing, self.canv, 0, 0)
        self.canv.restoreState()


class FigureBlock(Flowable):
    """A chart and its caption, moved as one block. Rather than leave the rest of a page empty, the
    chart shrinks (to no less than `min_scale` of its size) to fit there with its caption."""

    shrinks = True  # tells a keepWithNext group to offer it the rest of the page (flowables.KeepWithNext)

    def __init__(self, chart: Chart, caption: list[Flowable], min_scale: float = 0.6) -> None:
        super().__init__()
        self.chart, self.caption, self.min_scale = chart, caption, min_scale
        self.spaceBefore = chart.getSpaceBefore()
        self.spaceAfter = caption[-1].getSpaceAfter() if caption else 0
        self._caption_h: list[float] = []

    def _gap(self, i: int, f: Flowable) -> float:
        """Space above caption flowable i (and below it, but for the last: the frame adds that)."""
        gap: float = f.getSpaceBefore() + (f.getSpaceAfter() if i < len(self.caption) - 1 else 0)
        return gap

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self._caption_h = [f.wrapOn(self.canv, availWidth, availHeight)[1] for f in self.caption]
        below = sum(self._caption_h) + sum(self._gap(i, f) for i, f in enumerate(self.caption))
        self.chart.fit_height = 0.0
        _, natural = self.chart.wrapOn(self.canv, availWidth, availHeight)
        room = availHeight - below
        if natural + below > availHeight and room >= natural * self.min_scale:
            self.chart.fit_height = room
            self.chart.wrapOn(self.canv, availWidth, availHeight)
        self.width, self.height = availWidth, self.chart.height + below
        return self.width, self.height

    def draw(self) -> None:
        y = self.height - self.chart.height
        self.chart.drawOn(self.canv, (self.width - self.chart.width) / 2, y)
        for i, (f, h) in enumerate(zip(self.caption, self._caption_h, strict=True)):
            y -= f.getSpaceBefore() + h
            f.drawOn(self.canv, 0, y)
            if i < len(self.caption) - 1:
                y -= f.getSpaceAfter()
