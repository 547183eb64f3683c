"""The recording renderer: what a matplotlib figure draws, as JSON primitives (paths, text, images)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from briefing import chart_drawing as charts
from briefing.chart_record import path_segments, record


def _figure(width: float = 4.0, height: float = 2.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=200)
    FigureCanvasAgg(fig)
    return fig


def _record(fig) -> dict:
    return record(fig, charts._dejavu_cmap())


def test_quadratic_curves_become_cubic_and_coordinates_are_rounded():
    from matplotlib.path import Path as MplPath

    path = MplPath([(0, 0), (1, 2), (2, 0), (-1e-9, 0.12345678)],
                   [MplPath.MOVETO, MplPath.CURVE3, MplPath.CURVE3, MplPath.LINETO])
    assert path_segments(path, None) == [["M", 0.0, 0.0], ["C", 0.667, 1.333, 1.333, 1.333, 2.0, 0.0],
                                         ["L", 0.0, 0.123]]
    assert "-0.0" not in json.dumps(path_segments(path, None))


def test_text_is_text_anchored_where_matplotlib_aligned_it():
    with charts.chart_style():
        fig = _figure()
        fig.text(0.5, 0.5, "Centre $x$ <&>", ha="center", fontsize=8, color="#123456", gid="c")
        fig.text(0.9, 0.2, "Right", ha="right", fontsize=7)
        fig.text(0.1, 0.2, "Turned", rotation=90, fontsize=7)
        doc = _record(fig)
    texts = {i["text"]: i for i in doc["items"] if i["type"] == "text"}
    centre = texts["Centre $x$ <&>"]  # evidence text is data: no math mode, no markup
    assert centre["anchor"] == "middle" and centre["x"] == 144.0 and centre["color"] == "#123456"
    assert centre["size"] == 8.0 and centre["gid"] == "c"
    assert texts["Right"]["anchor"] == "end" and texts["Right"]["x"] == pytest.approx(259.2, abs=0.01)
    assert texts["Turned"]["angle"] == 90.0 and texts["Turned"]["anchor"] == "start"
    assert doc["width"] == 288.0 and doc["height"] == 144.0 and doc["glyphs"] == {}


def test_hatches_dashes_and_clips_are_recorded():
    with charts.chart_style():
        fig = _figure()
        ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
        ax.bar([1], [5], facecolor="white", edgecolor="#1F4E79", hatch="////", linewidth=0.8)
        ax.plot([0, 2], [1, 10], ls="--", color="#4D4D4D")
        ax.set_xlim(0, 2)
        ax.set_ylim(0, 4)  # the bar runs past the top: the axes clip it
        doc = _record(fig)
    paths = [i for i in doc["items"] if i["type"] == "path"]
    hatch = [p for p in paths if len(p.get("clip", ())) == 2]
    assert hatch and hatch[0]["stroke"] == "#1F4E79"
    assert any(p.get("dash") for p in paths)
    axes_clip = doc["clips"][hatch[0]["clip"][0]]
    xs = [seg[1] for seg in axes_clip if seg[0] != "Z"]
    assert min(xs) == pytest.approx(28.8) and max(xs) == pytest.approx(259.2)


def test_characters_dejavu_lacks_keep_their_outline():
    with charts.chart_style():
        fig = _figure()
        fig.text(0.1, 0.5, "Lab 月 \U000e0100", fontsize=8)
        doc = _record(fig)
    assert set(doc["glyphs"]) == {"月", "\U000e0100"}
    moon = doc["glyphs"]["月"]
    assert 0.5 < moon["advance"] <= 1.2
    if charts._matplotlib()[1][1:]:  # a CJK font is installed: a real outline, within one em
        points = [v for seg in moon["d"] for v in seg[1:]]
        assert points and max(points) <= 1.2 and min(points) >= -0.3


def test_images_are_recorded_as_png_data():
    with charts.chart_style():
        fig = _figure()
        fig.figimage(np.full((4, 6, 4), 200, dtype=np.uint8), xo=10, yo=20)
        doc = _record(fig)
    (image,) = [i for i in doc["items"] if i["type"] == "image"]
    assert (image["x"], image["y"], image["width"], image["height"]) == (10.0, 20.0, 6.0, 4.0)
    import base64

    assert base64.b64decode(image["png"])[:8] == b"\x89PNG\r\n\x1a\n"


def test_recording_twice_gives_the_same_json():
    def once() -> str:
        with charts.chart_style():
            fig = _figure()
            ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
            ax.barh([0, 1], [3.3333333, 1e-7], hatch="xx")
            ax.text(0.5, 0.5, "A label", ha="center")
            return json.dumps(_record(fig), sort_keys=True)

    assert once() == once()
