"""Charts as ReportLab vector drawings, built from the primitives chart_drawing recorded (JSON),
scaled to the width they are given. Chart text stays text: searchable and selectable."""

from __future__ import annotations

import base64
import io
import json
import logging
from pathlib import Path
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import FILL_NON_ZERO, Drawing, Group, Image, Shape, String
from reportlab.graphics.shapes import Path as RLPath
from reportlab.lib.colors import Color, HexColor
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable

from . import fonts

log = logging.getLogger(__name__)

VERSION = 1  # the primitives' format (briefing/chart_record.py)
_CAPS = {"butt": 0, "round": 1, "projecting": 2}
_JOINS = {"miter": 0, "round": 1, "bevel": 2}

def load_drawing(path: Path) -> Drawing | None:
    """A chart's recorded primitives as a ReportLab Drawing (a few milliseconds, so not cached); None if unreadable."""
    try:
        doc = json.loads(path.read_bytes())
        if not isinstance(doc, dict) or doc.get("version") != VERSION:
            raise ValueError(f"not a chart drawing of version {VERSION}")
        drawing = drawing_from(doc)
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:  # not a drawing we wrote
        log.warning("chart %s could not be converted: %s", path, exc)
        return None
    if not drawing.width or not drawing.height:
        log.warning("chart %s is empty", path)
        return None
    return drawing


def drawing_from(doc: dict[str, Any]) -> Drawing:
    """Build the Drawing from the recorded primitives (see chart_record for the format)."""
    fonts.ensure_fonts()
    drawing = Drawing(float(doc["width"]), float(doc["height"]))
    # renderPDF starts every drawing in Helvetica (an unembedded base font) unless told otherwise.
    drawing.initialFontName = fonts.SANS
    clips = doc.get("clips", [])
    glyphs = doc.get("glyphs", {})
    text = _TextRuns(glyphs)
    # Consecutive items under the same clips share one clipped group.
    run_key: tuple[int, ...] | None = None
    run: list[Shape] = []

    def flush() -> None:
        if run:
            drawing.add(_clipped(run, run_key or (), clips))

    for item in doc["items"]:
        key = tuple(int(i) for i in item.get("clip", ()))
        if key != run_key:
            flush()
            run_key, run = key, []
        kind = item["type"]
        if kind == "path":
            shape = _path(item)
            if shape is not None:
                run.append(shape)
        elif kind == "text":
            run.extend(text.shapes(item))
        elif kind == "image":
            run.append(_image(item))
    flush()
    return drawing


def _clipped(shapes: list[Shape], clip: tuple[int, ...], clips: list[Any]) -> Shape:
    """The shapes inside every clip path listed (nested groups: each clip lasts to its group's end)."""
    if not clip:
        return Group(*shapes) if len(shapes) != 1 else shapes[0]
    group = Group(*shapes)
    for index in reversed(clip):
        outline = _outline(clips[index], isClipPath=1, fillColor=None, strokeColor=None)
        group = Group(outline, group)
    return group


def _outline(d: list[list[Any]], **kw: Any) -> RLPath:
    path = RLPath(autoclose="svg", fillMode=FILL_NON_ZERO, **kw)
    for seg in d:
        op = seg[0]
        if op == "M":
            path.moveTo(seg[1], seg[2])
        elif op == "L":
            path.lineTo(seg[1], seg[2])
        elif op == "C":
            path.curveTo(*seg[1:7])
        elif op == "Z":
            path.closePath()
        else:
            raise ValueError(f"unknown path segment {op!r}")
    return path


def _color(hex_: str | None, alpha: float = 1.0) -> Color | None:
    if not hex_:
        return None
    color = HexColor(hex_)
    if alpha < 1:
        color = Color(color.red, color.green, color.blue, alpha=float(alpha))
    return color


def _path(item: dict[str, Any]) -> RLPath | None:
    fill = _color(item.get("fill"), item.get("fill_alpha", 1.0))
    stroke = _color(item.get("stroke"), item.get("stroke_alpha", 1.0))
    if fill is None and stroke is None:
        return None
    path = _outline(item["d"], fillColor=fill, strokeColor=stroke)
    if stroke is not None:
        path.strokeWidth = float(item.get("width", 1.0))
        path.strokeLineCap = _CAPS.get(item.get("cap", "butt"), 0)
        path.strokeLineJoin = _JOINS.get(item.get("join", "miter"), 0)
        if item.get("dash"):
            path.strokeDashArray = (float(item.get("dash_offset", 0.0)), [float(v) for v in item["dash"]])
    return path


def _image(item: dict[str, Any]) -> Image:
    from PIL import Image as PILImage  # deferred: Pillow, only for a chart that holds an image

    picture = PILImage.open(io.BytesIO(base64.b64decode(item["png"])))
    return Image(float(item["x"]), float(item["y"]), float(item["width"]), float(item["height"]), picture)


class _TextRuns:
    """Chart text as String shapes: each character in the first registered font that has it (DejaVu Sans,
    the CJK fallback, Symbola), else the outline matplotlib recorded, else U+FFFD as in the body text."""

    def __init__(self, glyphs: dict[str, Any]) -> None:
        self.glyphs = glyphs
        self.cmap = pdfmetrics.getFont(fonts.SANS).face.charToGlyph

    def _font(self, ch: str, base: str) -> str | None:
        if ord(ch) in self.cmap or ch == " ":
            return base
        return fonts.fallback_font(ord(ch))  # the body text's own fallback order

    def shapes(self, item: dict[str, Any]) -> list[Shape]:
        base = {(False, False): fonts.SANS, (True, False): fonts.SANS_BOLD, (False, True): fonts.SANS_ITALIC,
                (True, True): fonts.SANS_BOLD_ITALIC}[(bool(item.get("bold")), bool(item.get("italic")))]
        size = float(item["size"])
        color = _color(item.get("color", "#000000"), item.get("alpha", 1.0))
        # Runs of (text, font); font None: an outline glyph.
        runs: list[tuple[str, str | None]] = []
        for ch in fonts.clean(item["text"]):
            font = self._font(ch, base)
            if font is None and ch not in self.glyphs:
                ch, font = fonts.REPLACEMENT, base
            if runs and runs[-1][1] == font and font is not None:
                runs[-1] = (runs[-1][0] + ch, font)
            else:
                runs.append((ch, font))
        widths = [self._width(t, f, size) for t, f in runs]
        total = sum(widths)
        anchor = item.get("anchor", "start")
        x = -total / 2 if anchor == "middle" else -total if anchor == "end" else 0.0
        out: list[Shape] = []
        for (t, font), w in zip(runs, widths, strict=True):
            if font is None:
                out.append(self._outline(t, x, size, color))
            else:
                out.append(String(x, 0, t, fontName=font, fontSize=size, fillColor=color))
            x += w
        group = Group(*out)
        angle = float(item.get("angle", 0.0))
        group.translate(float(item["x"]), float(item["y"]))
        if angle:
            group.rotate(angle)
        return [group]

    def _width(self, text: str, font: str | None, size: float) -> float:
        if font is None:
            return float(self.glyphs[text]["advance"]) * size
        return float(pdfmetrics.stringWidth(text, font, size))

    def _outline(self, ch: str, x: float, size: float, color: Color | None) -> Shape:
        glyph = _outline(self.glyphs[ch]["d"], fillColor=color, strokeColor=None)
        group = Group(glyph)
        group.translate(x, 0)
        group.scale(size, size)
        return group


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
