"""A matplotlib renderer that records a figure as vector primitives: JSON data, never code.

The PDF draws each chart from these primitives with ReportLab (render_pdf/charts.py), in
milliseconds and without matplotlib or an SVG parser. Coordinates are points from the bottom left
of the figure. The document (version 1) is::

    {"version": 1, "width": W, "height": H,
     "clips": [path, ...],            # an item's "clip" lists indices here: it is drawn inside all of them
     "glyphs": {"字": {"d": path, "advance": a}},  # outlines (at 1 pt) of characters DejaVu Sans lacks
     "items": [
       {"type": "path", "d": path, "fill": "#rrggbb", "fill_alpha": 1.0, "stroke": "#rrggbb",
        "stroke_alpha": 1.0, "width": 0.6, "cap": "butt", "join": "miter", "dash": [3.7, 1.6],
        "dash_offset": 0.0, "clip": [0], "gid": "value-mark"},
       {"type": "text", "text": "28.8M [12]", "x": 1.0, "y": 2.0, "anchor": "start", "size": 7.0,
        "angle": 0.0, "color": "#222222", "alpha": 1.0, "bold": false, "italic": false},
       {"type": "image", "x": 0.0, "y": 0.0, "width": 10.0, "height": 5.0, "png": "<base64>"}]}

A path is a list of segments: ["M", x, y], ["L", x, y], ["C", x1, y1, x2, y2, x3, y3], ["Z"].
Optional keys are left out when they do not apply (no fill, no stroke, no clip, no gid). Numbers are
rounded to 1/1000 pt, so the JSON of a drawing is the same bytes on every run.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from typing import Any, Literal, cast

import numpy as np
from matplotlib.backend_bases import GraphicsContextBase, RendererBase
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, Bbox, Transform
from numpy.typing import ArrayLike

VERSION = 1
HATCH_CELL = 72.0  # points: matplotlib's PDF backend tiles hatches in 1-inch cells from the top left

Segment = list[Any]
Item = dict[str, Any]


def _num(v: float) -> float:
    """A coordinate rounded to 1/1000 pt, with -0.0 folded to 0.0 (same JSON bytes every run)."""
    return round(float(v), 3) + 0.0


def _hex(rgba: tuple[float, ...] | Any) -> str:
    r, g, b = (min(255, max(0, round(float(c) * 255))) for c in tuple(rgba)[:3])
    return f"#{r:02X}{g:02X}{b:02X}"


def path_segments(path: MplPath, transform: Transform | None) -> list[Segment]:
    """A matplotlib path as segments in figure points; quadratic curves become cubic ones."""
    out: list[Segment] = []
    last = (0.0, 0.0)
    for vertices, code in path.iter_segments(transform, remove_nans=True, simplify=False, curves=True):
        v = [float(c) for c in vertices]
        if code == MplPath.MOVETO:
            out.append(["M", _num(v[0]), _num(v[1])])
            last = (v[0], v[1])
        elif code == MplPath.LINETO:
            out.append(["L", _num(v[0]), _num(v[1])])
            last = (v[0], v[1])
        elif code == MplPath.CURVE3:  # control point q: cubic controls at 2/3 of the way towards it
            qx, qy, x, y = v
            out.append(["C", _num(last[0] + 2 / 3 * (qx - last[0])), _num(last[1] + 2 / 3 * (qy - last[1])),
                        _num(x + 2 / 3 * (qx - x)), _num(y + 2 / 3 * (qy - y)), _num(x), _num(y)])
            last = (x, y)
        elif code == MplPath.CURVE4:
            out.append(["C", *(_num(c) for c in v)])
            last = (v[4], v[5])
        elif code == MplPath.CLOSEPOLY:
            out.append(["Z"])
    return out


class Recorder(RendererBase):
    """Records what a figure draws, at 72 dpi (one pixel is one point), as JSON-ready primitives."""

    def __init__(self, width: float, height: float, dejavu_cmap: frozenset[int]) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.dpi = 72.0  # images are resampled at one pixel per point
        self.items: list[Item] = []
        self.clips: list[list[Segment]] = []
        self._clip_index: dict[str, int] = {}
        self.glyphs: dict[str, dict[str, Any]] = {}
        self._dejavu = dejavu_cmap
        self._gids: list[str | None] = []

    # -- what matplotlib asks of a renderer ------------------------------------------------------

    def flipy(self) -> bool:
        return False

    def get_canvas_width_height(self) -> tuple[float, float]:
        return self.width, self.height

    def points_to_pixels(self, points: ArrayLike) -> ArrayLike:  # 72 dpi: points are pixels
        return points

    def option_image_nocomposite(self) -> bool:
        return True  # each image as drawn, never merged into one bitmap

    def open_group(self, s: str, gid: str | None = None) -> None:
        self._gids.append(gid or (self._gids[-1] if self._gids else None))

    def close_group(self, s: str) -> None:
        if self._gids:
            self._gids.pop()

    # -- drawing ----------------------------------------------------------------------------------

    def draw_path(self, gc: GraphicsContextBase, path: MplPath, transform: Transform,
                  rgbFace: Any = None) -> None:  # noqa: N803 - matplotlib's name
        d = path_segments(path, transform)
        if not d:
            return
        base = self._base(gc)
        fill: Item | None = None
        if rgbFace is not None:
            face = tuple(rgbFace)
            alpha = gc.get_alpha() if gc.get_forced_alpha() or len(face) < 4 else face[3]
            if alpha > 0:
                fill = {"fill": _hex(face), "fill_alpha": _num(alpha)}
        stroke = self._stroke(gc)
        hatch = cast("MplPath | None", gc.get_hatch_path())  # the stub omits None (no hatch set)
        if hatch is None:
            if fill or stroke:
                self.items.append({"type": "path", "d": d, **(fill or {}), **(stroke or {}), **base})
            return
        # Hatched (matplotlib's PDF order): the face, then the hatch clipped to the path, then the edge.
        if fill:
            self.items.append({"type": "path", "d": d, **fill, **base})
        self._hatch(gc, path, transform, d, base)
        if stroke:
            self.items.append({"type": "path", "d": d, **stroke, **base})

    def _hatch(self, gc: GraphicsContextBase, path: MplPath, transform: Transform, d: list[Segment],
               base: Item) -> None:
        box = path.get_extents(transform)
        if not (math.isfinite(box.x0) and math.isfinite(box.y0)) or box.width <= 0 or box.height <= 0:
            return
        cell = gc.get_hatch_path()
        tiles: list[Segment] = []
        for i in range(math.floor(box.x0 / HATCH_CELL), math.floor(box.x1 / HATCH_CELL) + 1):
            for j in range(math.floor((box.y0 - self.height) / HATCH_CELL),
                           math.floor((box.y1 - self.height) / HATCH_CELL) + 1):
                at = Affine2D().scale(HATCH_CELL).translate(i * HATCH_CELL, self.height + j * HATCH_CELL)
                tiles += path_segments(cell, at)
        color = cast("tuple[float, float, float, float]", gc.get_hatch_color())  # RGBA; the stub says any colour
        # The hatch is clipped by the path itself, inside whatever clips the path.
        item: Item = {"type": "path", "d": tiles, "fill": _hex(color), "fill_alpha": _num(color[3]),
                      "stroke": _hex(color), "stroke_alpha": _num(color[3]),
                      "width": _num(gc.get_hatch_linewidth()), "cap": "butt", "join": "miter", **base}
        item["clip"] = [*base.get("clip", []), self._clip_id(d)]
        self.items.append(item)

    def draw_text(self, gc: GraphicsContextBase, x: float, y: float, s: str, prop: FontProperties, angle: float,
                  ismath: bool | Literal["TeX"] = False, mtext: Text | None = None) -> None:
        if ismath:  # never on: charts turn math off (evidence text is data); draw what it would be
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            return
        if not s.strip():
            return
        anchor = "start"
        if mtext is not None and angle == 0:
            # Aligned text keeps its aligned edge where matplotlib put it, whatever the PDF font measures.
            ha = mtext.get_horizontalalignment()
            if ha in ("center", "right"):
                width = self.get_text_width_height_descent(s, prop, False)[0]
                x += width / 2 if ha == "center" else width
                anchor = "middle" if ha == "center" else "end"
        rgba = gc.get_rgb()
        alpha = gc.get_alpha() if gc.get_forced_alpha() else rgba[3]
        weight = prop.get_weight()
        bold = (weight if isinstance(weight, int) else _WEIGHTS.get(str(weight), 400)) >= 600
        item: Item = {"type": "text", "text": s, "x": _num(x), "y": _num(y), "anchor": anchor,
                      "size": _num(prop.get_size_in_points()), "angle": _num(angle), "color": _hex(rgba),
                      "alpha": _num(alpha), "bold": bold, "italic": prop.get_style() in ("italic", "oblique"),
                      **self._base(gc)}
        self.items.append(item)
        for ch in s:
            if ord(ch) not in self._dejavu and not ch.isspace() and ch not in self.glyphs:
                self.glyphs[ch] = self._glyph(ch, prop)

    def _glyph(self, ch: str, prop: FontProperties) -> dict[str, Any]:
        """One character's outline at 1 pt, as matplotlib's fonts draw it (fallback fonts included)."""
        scale = self._text2path.FONT_SCALE  # outlines come at this size; measured there too, for precision
        big = prop.copy()
        big.set_size(scale)
        verts, codes = self._text2path.get_text_path(big, ch)
        path = MplPath(verts, codes) if len(verts) else MplPath(np.zeros((0, 2)))
        advance = self.get_text_width_height_descent(ch, big, False)[0] / scale
        d = path_segments(path, Affine2D().scale(1 / scale)) if len(verts) else []
        return {"d": d, "advance": round(advance, 5) + 0.0}

    def draw_image(self, gc: GraphicsContextBase, x: float, y: float, im: Any, transform: Any = None) -> None:
        from PIL import Image  # deferred: Pillow, only for a chart that holds an image

        h, w = im.shape[:2]
        buf = io.BytesIO()
        # Rows come top first; matplotlib's (x, y) is the image's bottom left corner.
        Image.fromarray(np.asarray(im, dtype=np.uint8), "RGBA").save(buf, format="png", optimize=False)
        self.items.append({"type": "image", "x": _num(x), "y": _num(y), "width": _num(w), "height": _num(h),
                           "png": base64.b64encode(buf.getvalue()).decode("ascii"), **self._base(gc)})

    # -- state ------------------------------------------------------------------------------------

    def _stroke(self, gc: GraphicsContextBase) -> Item | None:
        lw = gc.get_linewidth()
        rgba = gc.get_rgb()
        alpha = gc.get_alpha() if gc.get_forced_alpha() else rgba[3]
        if lw <= 0 or alpha <= 0:
            return None
        out: Item = {"stroke": _hex(rgba), "stroke_alpha": _num(alpha), "width": _num(lw),
                     "cap": gc.get_capstyle(), "join": gc.get_joinstyle()}
        # The stub says (float, ArrayLike): it is (offset or None, a sequence of lengths or None).
        offset, dashes = cast("tuple[float | None, Sequence[float] | None]", gc.get_dashes())
        if dashes is not None and len(dashes):
            out["dash"] = [_num(v) for v in dashes]
            out["dash_offset"] = _num(offset or 0.0)
        return out

    def _base(self, gc: GraphicsContextBase) -> Item:
        """The clip (an index into `clips`) and the gid of the artist being drawn."""
        out: Item = {}
        clip = self._clips_of(gc)
        if clip:
            out["clip"] = clip
        gid = self._gids[-1] if self._gids else None
        if gid:
            out["gid"] = gid
        return out

    def _clips_of(self, gc: GraphicsContextBase) -> list[int]:
        """The clip rectangle and clip path in force (matplotlib draws inside both)."""
        out: list[int] = []
        rect: Bbox | None = gc.get_clip_rectangle()
        if rect is not None:
            x0, y0, x1, y1 = rect.extents
            if not (x0 <= 0 and y0 <= 0 and x1 >= self.width and y1 >= self.height):  # all of it: no clip
                out.append(self._clip_id([["M", _num(x0), _num(y0)], ["L", _num(x1), _num(y0)],
                                          ["L", _num(x1), _num(y1)], ["L", _num(x0), _num(y1)], ["Z"]]))
        # The stub says TransformedPath: matplotlib returns the transformed Path itself (and its affine).
        clip_path, clip_trans = cast("tuple[MplPath, Transform] | tuple[None, None]", gc.get_clip_path())
        if clip_path is not None:
            d = path_segments(clip_path, clip_trans)
            if d:
                out.append(self._clip_id(d))
        return out

    def _clip_id(self, d: list[Segment]) -> int:
        key = repr(d)
        if key not in self._clip_index:
            self._clip_index[key] = len(self.clips)
            self.clips.append(d)
        return self._clip_index[key]

    def document(self) -> dict[str, Any]:
        """The recorded drawing as one JSON-ready dict."""
        return {"version": VERSION, "width": _num(self.width), "height": _num(self.height), "clips": self.clips,
                "glyphs": {ch: self.glyphs[ch] for ch in sorted(self.glyphs)}, "items": self.items}


_WEIGHTS = {"ultralight": 100, "light": 200, "normal": 400, "regular": 400, "book": 400, "medium": 500,
            "roman": 500, "semibold": 600, "demibold": 600, "demi": 600, "bold": 700, "heavy": 800,
            "extra bold": 800, "black": 900}


def record(fig: Any, dejavu_cmap: frozenset[int]) -> dict[str, Any]:
    """Draw a matplotlib Figure into a Recorder at 72 dpi and return the primitives."""
    width, height = (float(v) * 72.0 for v in fig.get_size_inches())
    recorder = Recorder(width, height, dejavu_cmap)
    dpi = fig.dpi
    fig.dpi = 72.0
    try:
        fig.draw(recorder)
    finally:
        fig.dpi = dpi
    return recorder.document()
