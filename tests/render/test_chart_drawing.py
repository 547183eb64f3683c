"""Chart drawing: cache, deterministic bytes, primitives and SVG, readable layout, CJK fallback, drawing ahead."""

from __future__ import annotations

import json
import logging
import os
import pickle
import random
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from briefing import chart_drawing as charts
from briefing.chart_data import chart_data, cjk_font_file
from briefing.model import ChartSpec, Citation, Evidence, Figure, Level, Meta, Scale, Workspace

REPO = Path(__file__).resolve().parents[2]

SCALE = Scale("Test scale", "ICD 203", (
    Level("high", "High confidence", "", "#1B7837", "documented"),
    Level("moderate", "Moderate confidence", "", "#B35806", "alleged"),
    Level("low", "Low confidence", "", "#8C510A", "not_shown"),
    Level("unsubstantiated", "Unsubstantiated", "", "#6A6A6A", "not_shown"),
))
LEVELS = [lv.key for lv in SCALE.levels]


def item(eid, date, confidence="moderate", figures=(), event=""):
    return Evidence(id=eid, title=eid, claim=eid, date=date, confidence=confidence, sources=(Citation("src"),),
                    figures=tuple(figures), event=event)


def fig(actor, metric, value, approx=False):
    return Figure(metric=metric, actor=actor, value=value, unit=metric, approx=approx, source="src")


def workspace(*evidence) -> Workspace:
    return Workspace(root=".", meta=Meta("T", "2026-06-30", "1", "internal"), scale=SCALE, sources=(),
                     evidence=tuple(evidence))


EVENTS = [  # 12 events in one year, several in the same month, with realistic label lengths
    ("2025-01-05", "Model released to the public"), ("2025-01-12", "Lab accuses rival of distillation"),
    ("2025-01", "Regulator opens inquiry"), ("2025-03-03", "Export rule tightened"),
    ("2025-03-04", "Second export rule"), ("2025-03", "Reports of account farms surface"),
    ("2025-06-30", "Investor letter published"), ("2025-07-01", "Court filing lodged"),
    ("2025-07", "Congressional hearing on model theft"), ("2025-11-11", "Company denies allegations"),
    ("2025-12-30", "Joint statement by labs"), ("2025-12", "Year-end review"),
]

SPECS = (
    ChartSpec("extraction-scale", "bar", "Extraction", metrics=("exchanges", "accounts"), log_scale=True),
    ChartSpec("timeline", "timeline", "Timeline"),
    ChartSpec("confidence-profile", "confidence", "Confidence"),
)


def sample() -> Workspace:
    figures = [fig("DeepSeek", "exchanges", 150_000), fig("Moonshot AI", "exchanges", 3_400_000, True),
               fig("MiniMax", "exchanges", 13_000_000, True), fig("Alibaba/Qwen", "exchanges", 28_800_000),
               fig("Alibaba/Qwen", "accounts", 25_000, True), fig("February total", "accounts", 24_000, True)]
    evidence = [item(f"e{i}", d, LEVELS[i % 4], event=label) for i, (d, label) in enumerate(EVENTS)]
    return workspace(item("figs", "2026-02-23", figures=figures), *evidence)


@pytest.fixture(scope="module")
def datas():
    ws = sample()
    return [chart_data(ws, s) for s in SPECS]


@pytest.fixture(scope="module")
def rendered(datas, tmp_path_factory):
    return charts.render_charts(datas, tmp_path_factory.mktemp("cache"), svg=True)


def test_render_writes_primitives_png_and_svg_named_by_digest(datas, rendered):
    assert set(rendered) == {"extraction-scale", "timeline", "confidence-profile"}
    for d in datas:
        files = rendered[d.spec.id]
        assert files.data is d
        assert files.drawing.name == f"{d.digest()}.json" and files.png.name == f"{d.digest()}.png"
        assert files.svg is not None and files.svg.name == f"{d.digest()}.svg"
        assert files.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert not [p for p in files.drawing.parent.iterdir() if p.suffix == ".tmp"]


def test_svg_only_when_asked(datas, tmp_path):
    files = charts.render_charts(datas[2:], tmp_path)["confidence-profile"]
    assert files.svg is None and sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".png"]
    again = charts.render_charts(datas[2:], tmp_path, svg=True)["confidence-profile"]
    assert again.svg is not None and again.svg.is_file()


def test_primitives_are_vector_with_text_as_text(datas, rendered):
    for d in datas:
        doc = json.loads(rendered[d.spec.id].drawing.read_text("utf-8"))
        assert doc["version"] == 1 and doc["width"] == 468.0  # 6.5 inches
        kinds = {i["type"] for i in doc["items"]}
        assert kinds == {"path", "text"}
        texts = [i["text"] for i in doc["items"] if i["type"] == "text"]
        assert d.spec.title not in texts
        if d.kind == "bar":
            assert {"28.8M", "~13M", "Alibaba/Qwen", "Exchanges (log scale)"} <= set(texts)
        if d.kind == "timeline":
            assert {"Model released to the", "public"} <= set(texts)  # one text run per line
            assert any(i.get("gid", "").startswith("stem-") for i in doc["items"])


def test_svg_is_vector_with_text_as_paths(rendered):
    for files in rendered.values():
        svg = files.svg.read_text("utf-8")
        assert "<path" in svg
        assert "<image" not in svg and "<text" not in svg
        assert 'width="468pt"' in svg  # 6.5 inches


def test_png_is_6_5_inches_at_200_dpi(rendered):
    for files in rendered.values():
        header = files.png.read_bytes()[16:24]
        width, height = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")
        assert width == 1300 and 250 < height < 1800


def test_bytes_are_identical_across_renders(datas, rendered, tmp_path):
    again = charts.render_charts(datas, tmp_path / "fresh", svg=True)
    for key, files in rendered.items():
        for name in ("drawing", "png", "svg"):
            assert getattr(again[key], name).read_bytes() == getattr(files, name).read_bytes(), name
    svg = again["timeline"].svg.read_text("utf-8")
    assert "<dc:date>" not in svg and "Matplotlib" not in svg


def _run(code: str, *args: str) -> str:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_bytes_are_identical_in_another_process(datas, rendered, tmp_path):
    pickled = tmp_path / "datas.pickle"
    pickled.write_bytes(pickle.dumps(datas))
    code = ("import pickle, sys; from pathlib import Path; from briefing.chart_drawing import render_charts;"
            "render_charts(pickle.loads(Path(sys.argv[1]).read_bytes()), Path(sys.argv[2]), svg=True)")
    _run(code, str(pickled), str(tmp_path / "other"))
    for files in rendered.values():
        for p in (files.drawing, files.png, files.svg):
            assert (tmp_path / "other" / p.name).read_bytes() == p.read_bytes(), p.name


def test_cache_hit_does_not_import_matplotlib(datas, tmp_path):
    cache = tmp_path / "cache"
    first = charts.render_charts(datas, cache)
    stamps = {p: p.stat().st_mtime_ns for f in first.values() for p in (f.drawing, f.png)}
    pickled = tmp_path / "datas.pickle"
    pickled.write_bytes(pickle.dumps(datas))
    code = ("import pickle, sys; from pathlib import Path; from briefing.chart_drawing import start;"
            "files = start(pickle.loads(Path(sys.argv[1]).read_bytes()), Path(sys.argv[2])).result();"
            "print(len(files), 'matplotlib' in sys.modules)")
    assert _run(code, str(pickled), str(cache)) == "3 False"
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_half_cached_chart_is_redrawn(datas, tmp_path):
    first = charts.render_charts(datas[2:], tmp_path)["confidence-profile"]
    first.png.unlink()
    again = charts.render_charts(datas[2:], tmp_path)["confidence-profile"]
    assert again.png.is_file() and again.drawing.is_file()
    again.drawing.unlink()
    assert charts.render_charts(datas[2:], tmp_path)["confidence-profile"].drawing.is_file()


@pytest.mark.parametrize("damage", [b"", b'{"version": 1, "items": [', b"[]", b'{"version": 1}'])
def test_a_damaged_cached_drawing_is_drawn_again(datas, tmp_path, damage):
    """A cut or garbled drawing in the cache (a full disk, a stray edit) is redrawn, never left out of the PDF."""
    whole = charts.render_charts(datas[2:], tmp_path)["confidence-profile"].drawing.read_bytes()
    files = charts.render_charts(datas[2:], tmp_path)["confidence-profile"]
    files.drawing.write_bytes(damage)
    again = charts.render_charts(datas[2:], tmp_path)["confidence-profile"]
    assert again.drawing.read_bytes() == whole


def test_drawing_ahead_reuses_what_still_matches_and_redraws_what_changed(tmp_path):
    """A build starts drawing before the reference numbers exist; a chart whose numbers came out
    otherwise is drawn again, with the final data, and a chart no longer shown is dropped."""
    ws = workspace(item("a", "2025-01-01", figures=[
        Figure("exchanges", "Lab", 13_000_000.0, unit="exchanges", source="s1"),
        Figure("exchanges", "Lab", 16_000_000.0, unit="exchanges", source="s2")]))
    spec = ChartSpec("b", "bar", "B", metrics=("exchanges",))
    guess = chart_data(ws, spec, refs={"s1": 1, "s2": 2})
    conf = chart_data(ws, ChartSpec("c", "confidence", "C"))
    job = charts.start([guess, conf], tmp_path)
    final = chart_data(ws, spec, refs={"s1": 2, "s2": 1})
    files = job.result([final])
    assert set(files) == {"b"} and files["b"].data is final
    assert files["b"].drawing.name == f"{final.digest()}.json" != f"{guess.digest()}.json"
    texts = [i["text"] for i in json.loads(files["b"].drawing.read_text("utf-8"))["items"] if i["type"] == "text"]
    assert "13M [2] vs 16M [1]" in texts
    again = charts.start([conf], tmp_path).result([conf])
    assert again["c"].drawing == charts.render_charts([conf], tmp_path)["c"].drawing


def test_drawing_ahead_reports_its_error_in_the_caller(datas, tmp_path, monkeypatch):
    def broken(data, files):
        raise OSError("disk full")

    monkeypatch.setattr(charts, "_record", broken)
    job = charts.start(datas[2:], tmp_path)
    with pytest.raises(OSError, match="disk full"):
        job.result()
    with pytest.raises(OSError, match="disk full"):  # with the final data: tried again, fails again
        charts.start(datas[2:], tmp_path).result(datas[2:])


def test_failed_save_leaves_no_half_file(datas, tmp_path, monkeypatch):
    from matplotlib.figure import Figure as MplFigure

    def broken(self, fh, **kwargs):
        fh.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(MplFigure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        charts.render_charts(datas[:1], tmp_path)
    # The drawing is written before the pictures, whole; the PNG that failed leaves nothing.
    [drawing] = tmp_path.iterdir()
    assert drawing.suffix == ".json" and json.loads(drawing.read_bytes())["items"]
    assert charts.cached_charts(datas[:1], tmp_path, svg=False)[1] == list(datas[:1])  # still to draw


def test_the_drawings_are_written_before_the_pictures(datas, tmp_path):
    """The PDF needs only the drawings: the first step hands them over, the PNGs and SVGs come with the second."""
    steps = charts.render_in_steps(datas[:2], tmp_path, svg=True)
    first = next(steps)
    assert all(f.drawing.is_file() and not f.png.exists() and not f.svg.exists() for f in first.values())
    second = next(steps)
    assert second == first and all(f.png.is_file() and f.svg.is_file() for f in second.values())
    assert next(steps, None) is None


@pytest.mark.parametrize("spec", [
    ChartSpec("b", "bar", "B", metrics=("dollars",)), ChartSpec("t", "timeline", "T"),
    ChartSpec("c", "confidence", "C"),
])
def test_empty_charts_render_a_no_data_panel(spec, tmp_path):
    data = chart_data(workspace(), spec)
    assert data.empty
    files = charts.render_charts([data], tmp_path)[spec.id]
    assert files.png.stat().st_size > 0 and '"No data"' in files.drawing.read_text("utf-8")
    with charts.chart_style():
        texts = [t.get_text() for t in charts.draw(data).findobj(_is_text)]
    assert "No data" in texts


# --- layout -----------------------------------------------------------------------------------


def _is_text(artist) -> bool:
    from matplotlib.text import Text

    return isinstance(artist, Text) and artist.get_visible() and bool(artist.get_text().strip())


def _layout(data):
    """Draw a chart and return (figure size in px, [("gid:text" or text, bbox)], stems)."""
    with charts.chart_style():
        figure = charts.draw(data)
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
        hidden = set()  # tick labels outside the view interval exist but are never drawn
        for ax in figure.axes:
            for axis in (ax.xaxis, ax.yaxis):
                lo, hi = sorted(axis.get_view_interval())
                for tick, loc in zip(axis.get_major_ticks(), axis.get_majorticklocs(), strict=False):
                    if not lo - 1e-9 * abs(hi) <= loc <= hi + 1e-9 * abs(hi):
                        hidden.update({id(tick.label1), id(tick.label2)})
        boxes = [(f"{t.get_gid()}:{t.get_text()}" if t.get_gid() else t.get_text(), t.get_window_extent(renderer))
                 for t in figure.findobj(_is_text) if id(t) not in hidden]
        stems = []
        for line in figure.findobj(lambda a: (a.get_gid() or "").startswith("stem-")):
            xy = line.get_transform().transform(line.get_xydata())
            stems.append((line.get_gid(), xy[0][0], min(xy[:, 1]), max(xy[:, 1])))
    size = figure.get_size_inches() * figure.dpi
    return size, boxes, stems


def _overlap(a, b, tol=0.5) -> bool:
    return a.x0 < b.x1 - tol and b.x0 < a.x1 - tol and a.y0 < b.y1 - tol and b.y0 < a.y1 - tol


def _assert_readable(size, boxes):
    width, height = size
    for name, box in boxes:
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, f"{name!r} is clipped"
    for i, (n1, b1) in enumerate(boxes):
        for n2, b2 in boxes[i + 1:]:
            assert not _overlap(b1, b2), f"{n1!r} overlaps {n2!r}"


def test_timeline_labels_never_overlap_and_stems_cross_no_label(datas):
    data = datas[1]
    assert len(data.series) == 12
    size, boxes, stems = _layout(data)
    _assert_readable(size, boxes)
    assert len(stems) == 12
    labels = [(n, b) for n, b in boxes if n.startswith("event-")]
    assert len(labels) == 24
    for gid, x, y0, y1 in stems:
        own = gid.split("-")[1]
        for name, box in labels:
            if name.split(":")[0].rsplit("-", 1)[1] != own:
                assert not (box.x0 + 0.5 < x < box.x1 - 0.5 and y0 < box.y1 and box.y0 < y1), \
                    f"{gid} crosses {name}"


def test_timeline_same_day_events_stay_readable():
    ws = workspace(*[item(f"e{i}", "2025-05-05", LEVELS[i % 4], event=f"Event number {i} on the same day")
                     for i in range(6)], item("x", "2025-05", event="Month-only event"))
    size, boxes, _ = _layout(chart_data(ws, ChartSpec("t", "timeline", "T")))
    _assert_readable(size, boxes)


def test_dense_timeline_switches_to_a_numbered_key():
    rng = random.Random(3)
    ws = workspace(*[item(f"e{i}", f"20{rng.randint(20, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                          LEVELS[i % 4], event=f"Event with a fairly long descriptive label number {i}")
                     for i in range(30)])
    size, boxes, stems = _layout(chart_data(ws, ChartSpec("t", "timeline", "T")))
    _assert_readable(size, boxes)
    names = [n.split(":")[0] for n, _ in boxes]
    assert not stems and len([n for n in names if n.startswith("number-")]) == 30
    assert len([n for n in names if n.startswith("key-label-")]) == 30
    assert size[1] / charts.PNG_DPI < 6.5  # inches: still fits a page


def test_place_labels_invariants():
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(1, 25)
        xs = sorted(rng.uniform(0, 400) for _ in range(n))
        widths = [rng.uniform(20, 120) for _ in range(n)]
        placed = charts.place_labels(xs, widths, 460)
        for i, p in enumerate(placed):
            assert p.level >= 1 and p.side in (1, -1) and p.x == xs[i]
            for q in placed[i + 1:]:
                if q.side != p.side:
                    continue
                if q.level == p.level:
                    assert p.end <= q.start or q.end <= p.start
                low, high = (p, q) if p.level < q.level else (q, p)
                if low.level < high.level:
                    assert not (low.start < high.x < low.end), "a stem crosses a lower label"


def test_bar_chart_is_readable_with_humane_labels(datas):
    size, boxes, _ = _layout(datas[0])
    _assert_readable(size, boxes)
    texts = {n.split(":", 1)[-1] for n, _ in boxes}
    assert {"28.8M", "~13M", "~3.4M", "150k", "~25k", "~24k"} <= texts
    assert len([n for n, _ in boxes if n.startswith("value-")]) == 6
    with charts.chart_style():
        figure = charts.draw(datas[0])
        figure.canvas.draw()
        ticks = [t.get_text() for t in figure.axes[0].get_xticklabels() if t.get_text()]
    assert {"100k", "1M", "10M"} <= set(ticks)
    # Two units, two panels: each axis names its metric (and unit), none mixes them.
    assert {"Exchanges (log scale)", "Accounts (log scale)"} <= texts


def test_confidence_chart_is_readable(datas):
    size, boxes, _ = _layout(datas[2])
    _assert_readable(size, boxes)
    texts = {n for n, _ in boxes}
    assert {"High confidence", "Unsubstantiated", "Number of claims"} <= texts


def test_no_title_inside_the_image(datas):
    for d in datas:
        _, boxes, _ = _layout(d)
        assert d.spec.title not in {n for n, _ in boxes}


# --- fonts ------------------------------------------------------------------------------------


CJK = workspace(item("a", "2026-02-23", figures=[fig("月之暗面", "exchanges", 3_400_000),
                                                 fig("深度求索 (DeepSeek)", "exchanges", 150_000)]))


@pytest.mark.skipif(cjk_font_file() is None, reason="no CJK TrueType font installed")
def test_cjk_labels_render_without_missing_glyphs(tmp_path, caplog):
    data = chart_data(CJK, ChartSpec("cjk", "bar", "CJK", log_scale=True))
    caplog.set_level(logging.DEBUG, logger="briefing.chart_drawing")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = charts.render_charts([data], tmp_path)["cjk"]
    assert files.png.is_file()
    assert not [w for w in caught if "Glyph" in str(w.message)]
    assert not [r for r in caplog.records if "Glyph" in r.getMessage()]


def test_missing_glyphs_never_reach_the_user(tmp_path, caplog, monkeypatch):
    # Without the fallback font the glyphs are missing: the warnings go to the debug log only.
    import matplotlib

    monkeypatch.setattr(charts, "_matplotlib", lambda: (matplotlib, ("DejaVu Sans",)))
    data = chart_data(CJK, ChartSpec("cjk", "bar", "CJK"))
    caplog.set_level(logging.DEBUG, logger="briefing.chart_drawing")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts.render_charts([data], tmp_path)
    assert not [w for w in caught if "Glyph" in str(w.message)]
    assert [r for r in caplog.records if "Glyph" in r.getMessage()]


def test_render_leaves_global_matplotlib_settings_alone(datas, tmp_path):
    import matplotlib

    before = dict(matplotlib.rcParams)
    charts.render_charts(datas[2:], tmp_path)
    assert dict(matplotlib.rcParams) == before
    assert os.listdir(tmp_path)


# --- literal text, colour-free signals, bounded size ----------------------------------------


def test_dollar_signs_are_drawn_literally(tmp_path):
    """A `$` in evidence text is data: math mode never starts, and `$\\frac{$` does not crash."""
    ws = workspace(item("a", "2025-03-01", event="Fine cut from $5m to $3m"),
                   item("b", "2025-04-01", event="$\\frac{$"),
                   item("c", "2025-05-01", figures=[fig("Lab $x$", "exchanges", 10.0)]))
    for spec in (ChartSpec("t", "timeline", "T"), ChartSpec("b", "bar", "B")):
        data = chart_data(ws, spec)
        _, boxes, _ = _layout(data)
        texts = {n.split(":", 1)[-1] for n, _ in boxes}
        if spec.kind == "timeline":
            assert "Fine cut from $5m to $3m" in texts and "$\\frac{$" in texts
        else:
            assert "Lab $x$" in texts
        files = charts.render_charts([data], tmp_path / spec.id)[spec.id]
        assert files.png.stat().st_size > 0
    with charts.chart_style():
        figure = charts.draw(chart_data(ws, ChartSpec("t", "timeline", "T")))
        assert not any(t.get_parse_math() for t in figure.findobj(_is_text))


def test_units_with_dollar_signs_are_literal_on_the_axis():
    from briefing.model import Metric

    ws = workspace(item("a", "2025-01-01", figures=[Figure("cost", "Plant $A$", 12.0, source="src")]))
    ws = Workspace(root=".", meta=ws.meta, scale=SCALE, sources=(), evidence=ws.evidence,
                   metrics=(Metric("cost", "Added cost", "$/MWh"),))
    size, boxes, _ = _layout(chart_data(ws, ChartSpec("b", "bar", "B")))
    _assert_readable(size, boxes)
    texts = {n.split(":", 1)[-1] for n, _ in boxes}
    assert "Added cost ($/MWh)" in texts and "Plant $A$" in texts


def _marker_shapes(figure) -> dict[str, str]:
    """Legend label -> marker shape of the timeline legend."""
    (legend,) = figure.legends
    return {t.get_text(): h.get_marker() for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)}


def test_confidence_levels_differ_in_shape_not_only_colour(datas):
    """In greyscale the levels' colours may match; each level keeps its own marker shape."""
    with charts.chart_style():
        figure = charts.draw(datas[1])
        shapes = _marker_shapes(figure)
        levels = {k: v for k, v in shapes.items() if k != "Month or year only"}
        assert len(levels) == 4 and len(set(levels.values())) == 4
        markers = {(line.get_marker(), line.get_markeredgecolor()) for ax in figure.axes for line in ax.lines
                   if line.get_marker() not in ("None", None, "")}
    by_colour = {}
    for shape, colour in markers:
        by_colour.setdefault(colour, set()).add(shape)
    assert all(len(s) == 1 for s in by_colour.values())  # one shape per level, used consistently
    # The packaged palette really is ambiguous in greyscale: the shapes are what tell levels apart.
    grey = sorted(_luma(lv.color) for lv in SCALE.levels)
    assert min(b - a for a, b in zip(grey, grey[1:], strict=False)) < 0.1


def _luma(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b


def test_metrics_on_one_axis_differ_in_pattern_too():
    ws = workspace(item("a", "2025-01-01", figures=[
        Figure("sent", "Lab", 10.0, unit="messages", source="src"),
        Figure("received", "Lab", 20.0, unit="messages", source="src")]))
    with charts.chart_style():
        figure = charts.draw(chart_data(ws, ChartSpec("b", "bar", "B")))
        (legend,) = figure.legends
        hatches = [h.get_hatch() for h in legend.legend_handles]
    assert len(set(hatches)) == 2


def test_disagreeing_values_are_drawn_as_a_range_with_ticks():
    ws = workspace(item("a", "2025-01-01", figures=[
        Figure("exchanges", "Lab", 13_000_000.0, unit="exchanges", source="s1"),
        Figure("exchanges", "Lab", 16_000_000.0, unit="exchanges", source="s2")]))
    data = chart_data(ws, ChartSpec("b", "bar", "B", metrics=("exchanges",)), refs={"s1": 2, "s2": 5})
    size, boxes, _ = _layout(data)
    _assert_readable(size, boxes)
    texts = {n.split(":", 1)[-1] for n, _ in boxes}
    assert "13M [2] vs 16M [5]" in texts
    with charts.chart_style():
        figure = charts.draw(data)
        assert len(figure.findobj(lambda a: a.get_gid() == "value-mark")) == 2
        assert figure.findobj(lambda a: a.get_gid() == "range")
        assert any("sources disagree" in t.get_text() for t in figure.findobj(_is_text))


def test_large_charts_stay_legible_and_say_how_many_more():
    """900 actors and 600 events: capped, labelled with the rest's count, every label readable."""
    bar = chart_data(workspace(item("a", "2025-01-01", figures=[
        fig(f"Actor number {i}", "exchanges", float(i + 1)) for i in range(900)])),
        ChartSpec("b", "bar", "B", metrics=("exchanges",)))
    size, boxes, _ = _layout(bar)
    _assert_readable(size, boxes)
    assert "more:+880 more, see the table" in {n for n, _ in boxes}
    assert size[1] / charts.PNG_DPI < 9.5  # inches: fits a page
    rng = random.Random(5)
    tl = chart_data(workspace(*[
        item(f"e{i}", f"20{rng.randint(10, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", LEVELS[i % 4],
             event=f"Event with a descriptive label {i}") for i in range(600)]), ChartSpec("t", "timeline", "T"))
    size, boxes, _ = _layout(tl)
    _assert_readable(size, boxes)
    assert "more:+560 more events, see the text" in {n for n, _ in boxes}
    assert size[1] / charts.PNG_DPI < 9.5


_WARM = """
from briefing import chart_drawing
chart_drawing.warm_up()
import matplotlib.artist, matplotlib.lines
print(len(matplotlib.lines.Line2D.set.__doc__), len(matplotlib.artist.kwdoc(matplotlib.lines.Line2D)))
"""


def test_matplotlib_is_imported_without_the_set_docstrings_and_kwdoc_is_put_back():
    """The warm-up skips writing each artist's `set` docstring (a third of a cold chart), and only that."""
    proc = subprocess.run([sys.executable, "-c", _WARM], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc, kwdoc = map(int, proc.stdout.split())
    assert doc < 1000 < kwdoc  # the property list is left out of the docstring; kwdoc itself works again


def test_an_error_drawing_ahead_that_a_second_try_gets_past_is_not_raised_again(datas, tmp_path, monkeypatch):
    """Drawn ahead in a thread, the chart fails once; `result` draws it again, pictures included, so `pictures`
    has nothing to report. A thread makes the pictures with the drawings: their error is `result`'s."""
    real, calls = charts._record, []

    def once_broken(data, files):
        calls.append(data.spec.id)
        if len(calls) == 1:
            raise OSError("disk full")
        return real(data, files)

    monkeypatch.setattr(charts, "_record", once_broken)
    job = charts.start(datas[2:3], tmp_path)
    files = job.result(datas[2:3])
    job.pictures()
    assert len(calls) == 2 and all(f.png.is_file() for f in files.values())

    def no_pictures(fig, files):
        raise OSError("disk full")

    monkeypatch.setattr(charts, "_pictures", no_pictures)
    job = charts.start(datas[:1], tmp_path / "other")
    with pytest.raises(OSError, match="disk full"):
        job.result(datas[:1])
