"""Chart drawing: vector primitives (JSON, for the PDF), PNG (for the DOCX) and, on request, SVG
(for the HTML), each drawn once with matplotlib and cached by content digest.

matplotlib is imported only when a chart has to be drawn: a fully cached build never pays
for it. `start` draws in a thread, so a build can draw while pandoc parses. Layout is done by
hand in points (measured text, no constrained layout) so that labels never overlap or clip and
the output bytes are the same on every run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import math
import os
import tempfile
import textwrap
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, BinaryIO, TypeAlias

from briefing.chart_data import MONTHS, ChartData, Event, Value, cjk_font_file, date_text, short_number
from briefing.theme import ChartColors, tint

if TYPE_CHECKING:  # for annotations only: matplotlib is imported when a chart is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from briefing.render_worker import RenderWorker

log = logging.getLogger(__name__)

WIDTH_IN = 6.5  # prints about 16 cm wide, so sizes below are true print sizes
PNG_DPI = 200
PT = 72.0  # points per inch

HATCHES = ("", "...", "xx", "\\\\", "++", "oo")  # with the colour: metrics differ in greyscale too
# One marker shape per confidence level (scale order): the level shows without colour.
LEVEL_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "p")

MARKER_GAP = 7.5  # points between timeline marker centres (6 pt marker and its edge)
BAR_PITCH = 15.0  # points per bar (the bar is 80% of it)
GROUP_GAP = 9.0  # points between actor groups
FONT_SIZE = 8.0
SMALL = 7.0
LABEL_SIZE = 7.5  # timeline event labels
DATE_SIZE = 6.5  # timeline dates, ticks and marker numbers
MARGIN = 8.0  # timeline side margins, points
STEM_GAP = 3.0  # between a stem and its text
TICK_BAND = 22.0  # month and year labels under the timeline axis
LEGEND_H = 18.0
MAX_LEVELS = 4  # flag levels per side before a timeline switches to a numbered key


@dataclass(frozen=True)
class ChartFiles:
    """The drawn files of one chart and the data they show."""

    drawing: Path  # the vector primitives (JSON) the PDF draws
    png: Path  # the same figure for the DOCX
    svg: Path | None  # matplotlib's SVG for the HTML; None unless asked for
    data: ChartData

    def on_disk(self) -> bool:
        """Whether every one of the chart's files is in the cache."""
        return all(p.is_file() for p in (self.drawing, self.png, self.svg) if p is not None)


def render_charts(datas: Sequence[ChartData], cache_dir: Path, svg: bool = False) -> dict[str, ChartFiles]:
    """Draw each chart to primitives (for the PDF) and PNG (for the DOCX), and SVG if asked, reusing cached files."""
    *_, files = render_in_steps(datas, cache_dir, svg)
    return files


def render_in_steps(datas: Sequence[ChartData], cache_dir: Path, svg: bool = False) -> Iterator[dict[str, ChartFiles]]:
    """`render_charts` in two steps: the files once every drawing (the PDF's) is written, then once the pictures
    (the PNG, and the SVG if asked) are too. The PDF is laid out while the pictures are made."""
    files, missing = cached_charts(datas, cache_dir, svg)
    figures = []
    for data in missing:
        files[data.spec.id] = found = _files(data, Path(cache_dir), svg)
        figures.append((_record(data, found), found))
    yield {d.spec.id: files[d.spec.id] for d in datas}
    for fig, found in figures:
        _pictures(fig, found)
    yield {d.spec.id: files[d.spec.id] for d in datas}


def cached_charts(datas: Sequence[ChartData], cache_dir: Path, svg: bool) -> tuple[dict[str, ChartFiles],
                                                                                   list[ChartData]]:
    """The charts whose files are all in the cache, whole, by id; and the charts still to draw."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, ChartFiles] = {}
    missing: list[ChartData] = []
    for data in datas:
        found = _files(data, cache_dir, svg)
        if found.on_disk() and _readable(found.drawing):
            files[data.spec.id] = found
        else:
            missing.append(data)
    return files, missing


def _readable(drawing: Path) -> bool:
    """Whether a cached drawing is whole (a damaged one is drawn again, never left out of the PDF)."""
    try:
        doc = json.loads(drawing.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and isinstance(doc.get("items"), list)


def _files(data: ChartData, cache_dir: Path, svg: bool) -> ChartFiles:
    digest = data.digest()
    return ChartFiles(cache_dir / f"{digest}.json", cache_dir / f"{digest}.png",
                      cache_dir / f"{digest}.svg" if svg else None, data)


class DrawJob:
    """Charts being drawn in the render worker, else in a thread (see `start`): `result` hands over the files once
    the drawings are written, `pictures` waits for the PNGs (and SVGs) too."""

    def __init__(self, datas: Sequence[ChartData], cache_dir: Path, svg: bool,
                 worker: RenderWorker | None = None) -> None:
        self._datas, self._cache, self._svg, self._worker = tuple(datas), Path(cache_dir), svg, worker
        self._files: dict[str, ChartFiles] = {}
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._waiting = 0  # the worker's replies still to read: the drawings', then the pictures'
        self._final: dict[str, ChartFiles] | None = None  # what `result` handed over
        if self._datas and worker is not None:
            # Cached charts are found here, so the build goes on while the worker is still warming up.
            self._files, self._waiting = self._send(worker, self._datas)
        elif self._datas:
            self._thread = threading.Thread(target=self._work, name="briefing-charts", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        try:
            self._files = self._draw(self._datas)
        except BaseException as exc:  # raised again in the caller's thread, by result()
            self._error = exc

    def _draw(self, datas: Sequence[ChartData]) -> dict[str, ChartFiles]:
        if self._worker is None:
            return render_charts(datas, self._cache, self._svg)
        files, waiting = self._send(self._worker, datas)
        error = None
        for _ in range(waiting):  # every reply read, even after an error: the next job's must come next
            try:
                files |= self._worker.reply()
            except BaseException as exc:
                error = error or exc
        if error is not None:
            raise error
        return {d.spec.id: files[d.spec.id] for d in datas}

    def _send(self, worker: RenderWorker, datas: Sequence[ChartData]) -> tuple[dict[str, ChartFiles], int]:
        """The cached charts' files, and how many replies the worker owes for the rest, sent to it to draw."""
        files, missing = cached_charts(datas, self._cache, self._svg)
        if not missing:
            return files, 0
        return files, worker.submit("charts", tuple(missing), self._cache, self._svg)

    def wait(self, *, pictures: bool = True) -> None:
        """Wait for the drawings, and for the pictures too unless told not to (an error stays for `result`)."""
        if self._thread is not None:
            self._thread.join()
        while self._worker is not None and self._waiting > (0 if pictures else 1):
            self._waiting -= 1
            try:
                self._files |= self._worker.reply()
            except BaseException as exc:  # raised again by result() or pictures()
                self._error = self._error or exc

    def pictures(self) -> None:
        """Wait until every picture is in the cache too; an error in making one still missing is raised here."""
        self.wait()
        if self._error is None:
            return
        files = self._files if self._final is None else self._final
        # An error `result` got past by drawing again (the same charts, pictures included) is no longer one.
        if not isinstance(self._error, Exception) or not all(f.on_disk() for f in files.values()):
            raise self._error

    def result(self, datas: Sequence[ChartData] | None = None) -> dict[str, ChartFiles]:
        """The files, once the drawings are written. Given the final `datas`, a chart whose data changed since the
        start (e.g. the reference numbers, known only after the parse) is drawn now; one that no longer shows is
        dropped."""
        self.wait(pictures=False)
        if datas is None:
            if self._error is not None:
                raise self._error
            return dict(self._files)
        ready = {f.data.digest(): f for f in self._files.values()}
        missing = [d for d in datas if d.digest() not in ready]
        if self._error is not None and not isinstance(self._error, Exception):
            raise self._error  # an interrupt, never swallowed
        if missing:
            self.wait()  # the worker answers in order: the pictures still owed come first
        drawn = self._draw(missing) if missing else {}
        self._final = {d.spec.id: drawn[d.spec.id] if d.spec.id in drawn else replace(ready[d.digest()], data=d)
                       for d in datas}
        return dict(self._final)


def start(datas: Sequence[ChartData], cache_dir: Path, svg: bool = False,
          worker: RenderWorker | None = None) -> DrawJob:
    """Start drawing the charts (only those not cached) in the render worker, else in a thread; the caller
    collects them with `.result()`."""
    return DrawJob(datas, cache_dir, svg, worker)


# --- matplotlib set-up --------------------------------------------------------------------------


# Memoises a one-time set-up of the process's matplotlib (import, backend, fonts): no build state.
@functools.cache
def _matplotlib() -> tuple[ModuleType, tuple[str, ...]]:
    """Import matplotlib (Agg) once and register the CJK fallback font if one is installed."""
    import matplotlib  # deferred, here and below: ~1 s of imports, only when a chart is drawn

    matplotlib.use("Agg")  # never a GUI backend, even when pyplot was imported elsewhere
    _import_drawing_modules()
    from matplotlib import font_manager  # deferred, as above

    families = ["DejaVu Sans"]
    path = cjk_font_file()
    if path:
        font_manager.fontManager.addfont(path)
        families.append(font_manager.FontProperties(fname=path).get_name())
    return matplotlib, tuple(families)


def warm_up() -> None:
    """Import and set up matplotlib and the chart font ahead of a chart job (the render worker's warm-up)."""
    _matplotlib()
    _dejavu_cmap()


def _import_drawing_modules() -> None:
    """Import the matplotlib modules a chart is drawn and recorded with, without writing their `set` docstrings.

    Each Artist class, as it is created, writes a docstring listing every property its `set` accepts
    (`matplotlib.artist.kwdoc`): about 0.35 s of a cold chart's 1.3 s, for text no build reads. That
    function is stood in for while these modules are first imported, and then put back."""
    import matplotlib.artist as mpl_artist  # deferred, here and below: matplotlib, only when a chart is drawn

    kwdoc = mpl_artist.kwdoc
    mpl_artist.kwdoc = lambda artist: ""
    try:
        # Deferred, all three: the modules whose classes a chart uses, imported now for their classes.
        import matplotlib.backends.backend_agg
        import matplotlib.figure  # noqa: F401

        from .chart_record import record  # noqa: F401 - deferred: its renderer's matplotlib imports
    finally:
        mpl_artist.kwdoc = kwdoc


def _rc(families: tuple[str, ...]) -> dict[str, Any]:
    return {
        "svg.hashsalt": "briefing",  # stable ids in the SVG, so identical bytes per run
        "svg.fonttype": "path",  # text as outlines: the PDF needs no font from the SVG
        "font.family": list(families),  # DejaVu first, CJK glyphs fall back to the next
        "font.size": FONT_SIZE,
        "axes.unicode_minus": False,
        # Evidence text is data: a "$" in a label must print as "$", never start math mode.
        "text.parse_math": False,
        "text.usetex": False,
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "path.simplify": False,
    }


@contextlib.contextmanager
def _glyph_warnings_to_log() -> Iterator[None]:
    """Route matplotlib's "Glyph missing" warnings to the debug log; re-issue any others."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        text = str(w.message)
        if "Glyph" in text and "missing" in text:
            log.debug("chart font: %s", text)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


@contextlib.contextmanager
def _quiet_font_log() -> Iterator[None]:
    """Keep font_manager's fallback chatter (e.g. no bold CJK face) out of the user's log."""
    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def chart_style() -> Iterator[None]:
    """Matplotlib settings for drawing and saving charts; restores the caller's on exit."""
    mpl, families = _matplotlib()
    with mpl.rc_context(), _glyph_warnings_to_log(), _quiet_font_log():
        mpl.rcdefaults()  # a user's matplotlibrc must not change our bytes
        mpl.rcParams.update(_rc(families))
        yield


def _record(data: ChartData, files: ChartFiles) -> Figure:
    """Draw the chart and write its drawing (the PDF's primitives); the figure, for its pictures."""
    with chart_style():
        from .chart_record import record  # deferred: a matplotlib renderer, imported with matplotlib

        fig = draw(data)
        drawing = record(fig, _dejavu_cmap())
        # Sorted keys and rounded numbers: the same chart is the same bytes on every run.
        text = json.dumps(drawing, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        _write_atomic(files.drawing, lambda fh: fh.write(text.encode("utf-8")))
    return fig


def _pictures(fig: Figure, files: ChartFiles) -> None:
    """Save the figure as the DOCX's PNG, and the HTML's SVG if asked."""
    with chart_style():
        _save_atomic(fig, files.png, format="png", dpi=PNG_DPI, metadata={"Software": None})
        if files.svg is not None:
            _save_atomic(fig, files.svg, format="svg", metadata={"Date": None, "Creator": None})


@functools.cache
def _dejavu_cmap() -> frozenset[int]:
    """The characters DejaVu Sans has: the drawing keeps outlines of any other (for the PDF's last resort)."""
    from matplotlib import font_manager  # deferred: matplotlib, only when a chart is drawn

    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"), fallback_to_default=True)
    return frozenset(font_manager.get_font(path).get_charmap())


def _save_atomic(fig: Figure, path: Path, **kwargs: Any) -> None:
    """Save via a temp file in the same folder and os.replace, so no half file is ever seen."""
    _write_atomic(path, lambda fh: fig.savefig(fh, **kwargs))


def _write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through a temp file in the same folder and os.replace it onto `path`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is ordinary output
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def draw(data: ChartData) -> Figure:
    """Draw one chart as a matplotlib Figure (call inside `chart_style()`)."""
    if data.empty:
        return _draw_empty(data)
    if data.kind == "bar":
        return _draw_bar(data)
    if data.kind == "timeline":
        return _draw_timeline(data)
    if data.kind == "confidence":
        return _draw_confidence(data)
    raise ValueError(f"chart {data.spec.id!r}: unknown kind {data.kind!r}")


def _figure(height_in: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # deferred: matplotlib (see _matplotlib)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=PNG_DPI)
    FigureCanvasAgg(fig)
    return fig


class _Measure:
    """Text sizes in points, measured with the Agg renderer."""

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # an Agg canvas (_figure)

    def __call__(self, text: str, **kwargs: Any) -> tuple[float, float]:
        t = self.fig.text(0, 0, text, **kwargs)
        box = t.get_window_extent(self.renderer)
        t.remove()
        scale = PT / self.fig.dpi
        return box.width * scale, box.height * scale


# --- no data ------------------------------------------------------------------------------------


def _draw_empty(data: ChartData) -> Figure:
    from matplotlib.patches import FancyBboxPatch  # deferred: matplotlib (see _matplotlib)

    c = data.colors
    fig = _figure(1.6)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.add_patch(FancyBboxPatch((0.02, 0.08), 0.96, 0.84, boxstyle="round,pad=0,rounding_size=0.02",
                                facecolor=tint(c.grid, 0.4), edgecolor=c.grid, linewidth=0.8))
    ax.text(0.5, 0.56, "No data", ha="center", va="center", fontsize=13, color=c.ink)
    what = {"bar": "No figures in the evidence match this chart.",
            "timeline": "No evidence item carries a dated event label.",
            "confidence": "There are no claims to count."}.get(data.kind, "")
    ax.text(0.5, 0.36, what, ha="center", va="center", fontsize=FONT_SIZE, color=c.muted)
    return fig


# --- horizontal bars (bar and confidence charts) ------------------------------------------------


@dataclass(frozen=True)
class _HBar:
    """One drawn bar: solid to `value`; a hatched range on to `high` when sources disagree."""

    value: float
    high: float
    marks: tuple[float, ...]  # a tick at each reported value (disagreements only)
    color: str
    hatch: str
    label: str


# A panel of bars: its groups (label, bars), its value-axis label, its legend (metric, colour, hatch).
Panel: TypeAlias = tuple[list[tuple[str, list[_HBar]]], str, list[tuple[str, str, str]]]


def _draw_bar(data: ChartData) -> Figure:
    c = data.colors
    panels: list[Panel] = []
    for p in sorted({b.panel for b in data.series}):
        bars = [b for b in data.series if b.panel == p]
        metrics = {b.slot: b.metric for b in bars}
        # Several metrics on one axis differ by pattern as well as colour; one alone needs no pattern.
        hatch = {s: HATCHES[k % len(HATCHES)] if len(metrics) > 1 else "" for k, s in enumerate(sorted(metrics))}
        groups: dict[str, list[_HBar]] = {}
        for b in bars:
            values = b.values or (Value(b.value, b.approx, ""),)
            label = " vs ".join(_value_label(x, b.unit) for x in values)
            lo, hi = min(x.value for x in values), max(x.value for x in values)
            marks = tuple(x.value for x in values) if len(values) > 1 else ()
            groups.setdefault(b.actor, []).append(
                _HBar(lo, hi, marks, c.palette[b.slot % len(c.palette)], hatch[b.slot], label))
        unit = bars[0].unit
        notes = [unit] if unit else []
        if len(metrics) == 1:
            axis = next(iter(metrics.values()))
            notes = [n for n in notes if n.casefold() != axis.casefold()]
        else:
            axis = "Reported value"
        if data.spec.log_scale:
            notes.append("log scale")
        axis += f" ({', '.join(notes)})" if notes else ""
        legend = [(m, c.palette[s % len(c.palette)], hatch[s]) for s, m in sorted(metrics.items())]
        panels.append((list(groups.items()), axis, legend if len(legend) > 1 else []))
    ranged = any(len(b.values) > 1 for b in data.series)
    note = f"+{data.more} more, see the table" if data.more else ""
    return _hbars(panels, c, bool(data.spec.log_scale), note=note, range_key=ranged)


def _value_label(v: Value, unit: str) -> str:
    """A bar-end label: '~13M [2]'; the unit only where it is short (per cent)."""
    text = short_number(v.value, v.approx, unit)
    return f"{text} {v.refs}" if v.refs else text


def _draw_confidence(data: ChartData) -> Figure:
    groups = [(c.label, [_HBar(float(c.count), float(c.count), (), c.color, "", str(c.count))])
              for c in data.series]
    return _hbars([(groups, "Number of claims", [])], data.colors, False, integer=True)


def _hbars(panels: list[Panel], c: ChartColors, log_scale: bool, integer: bool = False, note: str = "",
           range_key: bool = False) -> Figure:
    """Panels of horizontal bars grouped by label, values labelled at the bar ends, laid out in points.

    Each panel is (groups, x-axis label, legend); panels stack top to bottom and share the label
    column, each with its own value axis (one unit per axis).
    """
    from matplotlib.patches import Patch  # deferred: matplotlib (see _matplotlib)
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

    fig = _figure(3.0)  # resized below, once the rows are measured
    measure = _Measure(fig)
    fw = WIDTH_IN * PT
    all_names = [textwrap.fill(name, 26) for groups, _, _ in panels for name, _ in groups]
    left = max(measure(w, fontsize=FONT_SIZE)[0] for w in all_names) + 12
    right, bottom = 16.0, 34.0  # room for half a tick label at the axis end
    width_pt = fw - left - right

    # Lay each panel out in points, top down: legend, rows, then its axis labels.
    laid = []
    for groups, xlabel, legend in panels:
        wrapped = [textwrap.fill(name, 26) for name, _ in groups]
        label_h = [measure(w, fontsize=FONT_SIZE)[1] for w in wrapped]
        ys, ticks, y = [], [], GROUP_GAP / 2
        for (_, vals), lh in zip(groups, label_h, strict=True):
            group_h = max(len(vals) * BAR_PITCH, lh + 2)
            first = y + (group_h - len(vals) * BAR_PITCH) / 2 + BAR_PITCH / 2
            ys += [first + k * BAR_PITCH for k in range(len(vals))]
            ticks.append(y + group_h / 2)
            y += group_h + GROUP_GAP
        plot_h = y - GROUP_GAP / 2
        ncol = len(legend)
        if legend:
            entry = [measure(name, fontsize=SMALL)[0] + 28 for name, _, _ in legend]
            while ncol > 1 and max(entry) * ncol > width_pt:
                ncol -= 1
        rows = math.ceil(len(legend) / ncol) if legend else 0
        top = 8.0 + rows * 13.0 if legend else 6.0
        laid.append((groups, xlabel, legend, wrapped, ys, ticks, plot_h, top, ncol))
    note_h = 14.0 if note else 0.0
    key = ""
    if range_key:
        text = ("Hatched range between ticks: the sources disagree; each tick is one reported value,"
                " labelled with its reference number.")
        chars = max(30, int(len(text) * (fw - left - right) / measure(text, fontsize=SMALL)[0]) - 2)
        key = textwrap.fill(text, chars)
    key_h = measure(key, fontsize=SMALL)[1] + 8 if key else 0.0
    height = sum(top + plot_h + bottom for *_, plot_h, top, _ in laid) + note_h + key_h
    fig.set_size_inches(WIDTH_IN, height / PT)

    y_top = height  # points from the bottom of the figure to the top of the next panel
    for groups, xlabel, legend, wrapped, ys, ticks, plot_h, top, ncol in laid:
        y0 = y_top - top - plot_h
        ax = fig.add_axes((left / fw, y0 / height, width_pt / fw, plot_h / height))
        bars = [b for _, vals in groups for b in vals]
        lows = [b.value for b in bars]
        highs = [b.high for b in bars]
        # The right end of the axis leaves room for each value label after its bar.
        pads = [measure(b.label, fontsize=SMALL)[0] + 6 for b in bars]
        if log_scale:
            lo_exp = math.floor(math.log10(min(lows)))
            if min(lows) / 10**lo_exp < 1.5:
                lo_exp -= 1  # a bar just above the axis start would be invisible
            lo = 10.0**lo_exp
            need = max((math.log10(v) - lo_exp) / max(0.05, 1 - p / width_pt) for v, p in zip(highs, pads, strict=True))
            hi = 10 ** (lo_exp + max(need, 1.0))
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(base=10, numticks=12))
            ax.xaxis.set_minor_locator(NullLocator())
        else:
            lo = min(0.0, min(lows))
            # 5% headroom past the longest bar keeps its label off the figure edge.
            hi = max(v / max(0.05, 1 - p / width_pt) for v, p in zip(highs, pads, strict=True))
            hi = max(hi, max(highs) * 1.05, 1.0)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10], integer=integer))
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: short_number(v)))
        ax.barh(ys, [max(b.value - lo, 0.0) for b in bars], left=lo, height=BAR_PITCH * 0.8,
                color=[b.color for b in bars], hatch=None, linewidth=0, zorder=2)
        for yy, b in zip(ys, bars, strict=True):
            if b.hatch:  # a second pattern per metric: the series differ in greyscale too
                ax.barh([yy], [max(b.value - lo, 0.0)], left=lo, height=BAR_PITCH * 0.8, facecolor="none",
                        edgecolor="white", hatch=b.hatch, linewidth=0, zorder=3)
            if b.high > b.value:  # sources disagree: the range between their values, hatched
                ax.barh([yy], [b.high - b.value], left=b.value, height=BAR_PITCH * 0.8, facecolor="white",
                        edgecolor=b.color, hatch="////", linewidth=0.8, zorder=2, gid="range")
            for mark in b.marks:
                ax.plot([mark, mark], [yy - BAR_PITCH * 0.5, yy + BAR_PITCH * 0.5], color=c.ink, lw=1.2,
                        zorder=4, solid_capstyle="butt", gid="value-mark")
        for i, (yy, b) in enumerate(zip(ys, bars, strict=True)):
            ax.annotate(b.label, (max(b.high, lo), yy), xytext=(3, 0), textcoords="offset points",
                        va="center", ha="left", fontsize=SMALL, color=c.ink, gid=f"value-{i}")
        ax.set_ylim(plot_h, 0)  # y in points from the top: first group on top
        ax.set_yticks(ticks, wrapped, fontsize=FONT_SIZE, color=c.ink)
        ax.tick_params(axis="y", length=0, pad=6)
        ax.tick_params(axis="x", length=3, width=0.6, color=c.axis, labelsize=SMALL, labelcolor=c.muted)
        ax.set_xlabel(xlabel, fontsize=SMALL, color=c.muted, labelpad=4)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_color(c.axis)
        ax.spines["bottom"].set_linewidth(0.6)
        ax.xaxis.grid(True, color=c.grid, linewidth=0.6)
        ax.set_axisbelow(True)
        if legend:
            handles = [Patch(facecolor=c, edgecolor="white", hatch=h, label=name) for name, c, h in legend]
            fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(left / fw, (y_top - 2) / height),
                       ncol=ncol, frameon=False, fontsize=SMALL, handlelength=1.1,
                       handleheight=0.9, columnspacing=1.4, borderaxespad=0, borderpad=0.2,
                       labelcolor=c.ink)
        y_top = y0 - bottom
    if key:
        fig.text(left / fw, (note_h + 3) / height, key, fontsize=SMALL, color=c.muted, ha="left", va="bottom",
                 gid="range-key")
    if note:
        fig.text(left / fw, 3 / height, note, fontsize=SMALL, color=c.ink, ha="left", va="bottom", gid="more")
    return fig


# --- timeline ----------------------------------------------------------------------------------


@dataclass
class Placed:
    """A timeline label's place: side +1 above / -1 below, level from 1, span in points."""

    x: float
    side: int
    level: int
    start: float
    end: float


def place_labels(xs: Sequence[float], widths: Sequence[float], limit: float) -> list[Placed]:
    """Stagger flag labels above/below the axis so none overlap and no stem crosses a label."""
    # Flags: text to the right of its stem. Working right to left lets earlier events
    # stair-step above later ones, so a taller stem never has to pass through a lower label.
    placed: list[Placed | None] = [None] * len(xs)
    done: list[Placed] = []
    for i in sorted(range(len(xs)), key=lambda k: (-xs[k], k)):
        x, w = xs[i], widths[i]
        start, end = x, min(x + w, limit)
        best: Placed | None = None
        for side in (1, -1):
            same = [p for p in done if p.side == side]
            # Stems that start inside this label's span rise to their level: go above them.
            level = 1 + max((p.level for p in same if start < p.x <= end + 2), default=0)
            while any(p.level == level and p.start < end + 4 and start < p.end + 4 for p in same):
                level += 1
            if best is None or level < best.level:
                best = Placed(x, side, level, start, end)
        assert best is not None  # both sides were tried
        placed[i] = best
        done.append(best)
    return placed  # type: ignore[return-value]


def _draw_timeline(data: ChartData) -> Figure:
    c = data.colors
    events: list[Event] = list(data.series)
    days = [dt.date.fromisoformat(e.date).toordinal() for e in events]
    first, last = min(days), max(days)
    span = max(last - first, 60)  # at least two months, so there are always dated ticks
    centre = (first + last) / 2 if last - first < 60 else None
    d_lo = (centre - span / 2 if centre else first) - span * 0.03 - 4
    d_hi = (centre + span / 2 if centre else last) + span * 0.03 + 4

    fig = _figure(3.0)  # resized once the layout is known
    measure = _Measure(fig)
    texts = []
    for e in events:
        label = textwrap.fill(e.label, 26)
        when = date_text(e.date, e.precision)
        lw, lh = measure(label, fontsize=LABEL_SIZE, linespacing=1.1)
        dw, dh = measure(when, fontsize=DATE_SIZE)
        texts.append((label, when, max(lw, dw) + STEM_GAP, lh, dh))

    # The latest labels hang to the right of their stems: shorten the axis to keep room for them.
    fw = WIDTH_IN * PT
    axis_len = fw - 2 * MARGIN
    for d, t in zip(days, texts, strict=True):
        frac = (d - d_lo) / (d_hi - d_lo)
        if frac > 0:
            axis_len = min(axis_len, (fw - 2 * MARGIN - t[2]) / frac)
    axis_len = max(axis_len, 0.5 * (fw - 2 * MARGIN))
    xs = _marker_xs(days, d_lo, d_hi, axis_len)
    places = place_labels(xs, [t[2] for t in texts], fw - MARGIN)
    if max(p.level for p in places) > MAX_LEVELS:
        # Too dense for flags without a towering staircase: number the markers, list them below.
        return _draw_timeline_key(fig, c, measure, events, days, d_lo, d_hi, data.more)

    # Each level is as tall as its tallest label; offset[side][k] is where level k starts.
    offset: dict[int, list[float]] = {}
    for side in (1, -1):
        tall: dict[int, float] = {}
        for p, t in zip(places, texts, strict=True):
            if p.side == side:
                tall[p.level] = max(tall.get(p.level, 0.0), t[3] + t[4] + 1.5)
        offset[side] = [0.0]
        for k in range(1, max(tall, default=0) + 1):
            offset[side].append(offset[side][-1] + tall.get(k, 0.0) + 7.0)
    first_gap = 9.0
    height = 6 + offset[1][-1] + first_gap + TICK_BAND + offset[-1][-1] + LEGEND_H + 4
    fig.set_size_inches(WIDTH_IN, height / PT)
    ax = _points_axes(fig, height)
    y_axis = height - 6 - offset[1][-1] - first_gap
    _time_axis(ax, c, d_lo, d_hi, axis_len, y_axis)

    for i, (x, p, (label, when, _, lh, dh)) in enumerate(zip(xs, places, texts, strict=True)):
        if p.side > 0:
            base = y_axis + first_gap + offset[1][p.level - 1]
            ax.plot([x, x], [y_axis, base + lh + dh + 1.5], color=c.axis, lw=0.6, zorder=2, gid=f"stem-{i}")
            ax.text(x + STEM_GAP, base, label, ha="left", va="bottom", fontsize=LABEL_SIZE, color=c.ink,
                    linespacing=1.1, gid=f"event-label-{i}")
            ax.text(x + STEM_GAP, base + lh + 1.5, when, ha="left", va="bottom", fontsize=DATE_SIZE,
                    color=c.muted, gid=f"event-date-{i}")
        else:
            top = y_axis - TICK_BAND - offset[-1][p.level - 1]
            ax.plot([x, x], [y_axis, top - lh - dh - 1.5], color=c.axis, lw=0.6, zorder=2, gid=f"stem-{i}")
            ax.text(x + STEM_GAP, top, when, ha="left", va="top", fontsize=DATE_SIZE, color=c.muted,
                    gid=f"event-date-{i}")
            ax.text(x + STEM_GAP, top - dh - 1.5, label, ha="left", va="top", fontsize=LABEL_SIZE,
                    color=c.ink, linespacing=1.1, gid=f"event-label-{i}")
    _markers(ax, events, xs, [y_axis] * len(xs))
    _timeline_legend(fig, c, events, height, data.more)
    return fig


def _draw_timeline_key(fig: Figure, c: ChartColors, measure: _Measure, events: list[Event], days: list[int],
                       d_lo: float, d_hi: float, more: int = 0) -> Figure:
    """Dense timelines: numbered markers on the axis and a two-column key of dates and labels."""
    fw = WIDTH_IN * PT
    axis_len = fw - 2 * MARGIN
    xs = _marker_xs(days, d_lo, d_hi, axis_len)

    # Marker numbers above the axis, stacked in rows where neighbours would touch.
    numbers: list[int] = []
    row_end: list[float] = []
    for i, x in enumerate(xs):
        w = measure(str(i + 1), fontsize=DATE_SIZE)[0]
        row = next((r for r, end in enumerate(row_end) if end + 1.5 < x - w / 2), len(row_end))
        if row == len(row_end):
            row_end.append(0.0)
        row_end[row] = x + w / 2
        numbers.append(row)
    num_h = measure("0", fontsize=DATE_SIZE)[1] + 1.5

    # The key: column-major, rows as tall as their tallest entry.
    cols = 2
    col_w = (fw - 2 * MARGIN - 14) / cols
    num_w = measure(str(len(events)), fontsize=DATE_SIZE)[0] + 2
    date_w = max(measure(date_text(e.date, e.precision), fontsize=DATE_SIZE)[0] for e in events) + 6
    text_x = num_w + 12 + date_w
    avail = col_w - text_x - 4
    entries = []
    for e in events:
        full = measure(e.label, fontsize=LABEL_SIZE)[0]
        chars = max(12, int(len(e.label) * avail / full)) if full > avail else len(e.label)
        label = textwrap.fill(e.label, chars)
        entries.append((label, measure(label, fontsize=LABEL_SIZE, linespacing=1.1)[1]))
    per_col = math.ceil(len(events) / cols)
    row_h = [max(entries[c * per_col + r][1] for c in range(cols) if c * per_col + r < len(events)) + 4
             for r in range(per_col)]

    top_band = 6 + len(row_end) * num_h + 6
    height = top_band + TICK_BAND + 6 + sum(row_h) + LEGEND_H + 4
    fig.set_size_inches(WIDTH_IN, height / PT)
    ax = _points_axes(fig, height)
    y_axis = height - top_band
    _time_axis(ax, c, d_lo, d_hi, axis_len, y_axis)
    _markers(ax, events, xs, [y_axis] * len(xs))
    for i, (x, row) in enumerate(zip(xs, numbers, strict=True)):
        ax.text(x, y_axis + 6 + row * num_h, str(i + 1), ha="center", va="bottom", fontsize=DATE_SIZE,
                color=c.ink, gid=f"number-{i}")

    key_top = y_axis - TICK_BAND - 6
    for i, (e, (label, _)) in enumerate(zip(events, entries, strict=True)):
        col, row = divmod(i, per_col)
        x0 = MARGIN + col * (col_w + 14)
        y = key_top - sum(row_h[:row])
        ax.text(x0 + num_w, y, str(i + 1), ha="right", va="top", fontsize=DATE_SIZE, color=c.ink,
                gid=f"key-number-{i}")
        _markers(ax, [e], [x0 + num_w + 7], [y - 3.8], size=5.0)
        ax.text(x0 + num_w + 12, y, date_text(e.date, e.precision), ha="left", va="top", fontsize=DATE_SIZE,
                color=c.muted, gid=f"key-date-{i}")
        ax.text(x0 + text_x, y + 0.5, label, ha="left", va="top", fontsize=LABEL_SIZE, color=c.ink,
                linespacing=1.1, gid=f"key-label-{i}")
    _timeline_legend(fig, c, events, height, more)
    return fig


def _marker_xs(days: list[int], d_lo: float, d_hi: float, axis_len: float) -> list[float]:
    """Marker positions in points; events a few days apart are nudged right until they clear."""
    xs = [MARGIN + (d - d_lo) / (d_hi - d_lo) * axis_len for d in days]
    for i in range(1, len(xs)):  # events are in date order
        xs[i] = max(xs[i], xs[i - 1] + MARKER_GAP)
    return xs


def _points_axes(fig: Figure, height: float) -> Axes:
    """An invisible axes over the whole figure whose data units are points."""
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH_IN * PT)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    return ax


def _time_axis(ax: Axes, c: ChartColors, d_lo: float, d_hi: float, axis_len: float, y_axis: float) -> None:
    """The axis line with month ticks and month/year labels underneath."""
    ax.plot([MARGIN, MARGIN + axis_len], [y_axis, y_axis], color=c.axis, lw=1.0, zorder=1, solid_capstyle="butt")
    for day, major, label in _timeline_ticks(d_lo, d_hi):
        x = MARGIN + (day - d_lo) / (d_hi - d_lo) * axis_len
        ax.plot([x, x], [y_axis, y_axis - (3.5 if major else 2.0)], color=c.axis, lw=0.6, zorder=1)
        if label:
            # White behind the label: a stem passing down to a lower label goes behind it.
            ax.text(x, y_axis - 5, label, ha="center", va="top", fontsize=DATE_SIZE, color=c.muted,
                    linespacing=1.15, zorder=4, gid="tick-label",
                    bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "linewidth": 0})


def _markers(ax: Axes, events: list[Event], xs: Sequence[float], ys: Sequence[float], size: float = 6.0) -> None:
    """Confidence markers (a shape and a colour per level): filled for exact dates, hollow for month or year."""
    for e, x, y in zip(events, xs, ys, strict=True):
        exact = e.precision == "day"
        ax.plot([x], [y], marker=level_marker(e.rank), ms=size, mec=e.color, mew=1.4 * size / 6, linestyle="none",
                mfc=e.color if exact else "white", zorder=5)


def level_marker(rank: int) -> str:
    """The marker shape of a confidence level, by its place in the scale."""
    return LEVEL_MARKERS[rank % len(LEVEL_MARKERS)]


def _timeline_legend(fig: Figure, c: ChartColors, events: list[Event], height: float, more: int = 0) -> None:
    """One row: the confidence levels present, in scale order, and the hollow partial-date marker."""
    from matplotlib.lines import Line2D  # deferred: matplotlib (see _matplotlib)

    levels = sorted({(e.rank, e.level_label, e.color) for e in events})
    handles = [Line2D([], [], marker=level_marker(rank), ms=6, color=c, mfc=c, linestyle="none", label=lab)
               for rank, lab, c in levels]
    if any(e.precision != "day" for e in events):
        handles.append(Line2D([], [], marker="o", ms=6, color=c.muted, mfc="white", mew=1.4,
                              linestyle="none", label="Month or year only"))
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(MARGIN / (WIDTH_IN * PT), 3 / height),
               ncol=len(handles), frameon=False, fontsize=SMALL, handletextpad=0.3, columnspacing=1.2,
               borderaxespad=0, borderpad=0.2, labelcolor=c.ink)
    if more:
        fig.text(1 - MARGIN / (WIDTH_IN * PT), 5 / height, f"+{more} more events, see the text", ha="right",
                 va="bottom", fontsize=SMALL, color=c.ink, gid="more")


def _timeline_ticks(d_lo: float, d_hi: float) -> list[tuple[int, bool, str]]:
    """Month starts as (ordinal, major, label): monthly, quarterly or yearly labels by span."""
    start = dt.date.fromordinal(math.ceil(d_lo))
    months = (d_hi - d_lo) / 30.44
    step = 1 if months <= 15 else 3 if months <= 40 else 12
    year_step = max(1, math.ceil(months / 12 / 10))  # at most ~10 year labels
    out: list[tuple[int, bool, str]] = []
    y, m = start.year, start.month
    if start.day != 1:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    labelled_year = False
    while (day := dt.date(y, m, 1)).toordinal() <= d_hi:
        major = (m - 1) % step == 0 and (step < 12 or (y % year_step == 0))
        label = ""
        if major:
            if step == 12:
                label = str(y)
            else:
                label = MONTHS[m - 1][:3] + (f"\n{y}" if m == 1 or not labelled_year else "")
                labelled_year = True
        # Minor ticks: months under quarterly labels, quarters under yearly ones (up to ten years).
        if major or step == 3 or (step == 12 and months <= 120 and (m - 1) % 3 == 0):
            out.append((day.toordinal(), major, label))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
