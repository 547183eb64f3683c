"""Chart drawing: SVG (vector, for the PDF) and PNG (for the DOCX), cached by content digest.

matplotlib is imported only when a chart has to be drawn: a fully cached build never pays
for it. Layout is done by hand in points (measured text, no constrained layout) so that labels
never overlap or clip and the output bytes are the same on every run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import math
import os
import tempfile
import textwrap
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from briefing.chart_data import ChartData, Event, cjk_font_file, date_text, short_number

log = logging.getLogger(__name__)

WIDTH_IN = 6.5  # prints about 16 cm wide, so sizes below are true print sizes
PNG_DPI = 200
PT = 72.0  # points per inch

# Muted blues and teals: distinct from the confidence colours (green, orange, brown, grey)
# so a metric is never read as a confidence level.
PALETTE = ("#1F4E79", "#7EA9D1", "#2E7D7D", "#A3CFCB", "#4D4D4D", "#B0B0B0")
INK = "#222222"
MUTED = "#5A5A5A"
RULE = "#9A9A9A"
GRID = "#E1E1E1"

FONT_SIZE = 8.0
SMALL = 7.0


@dataclass(frozen=True)
class ChartFiles:
    """The drawn files of one chart and the data they show."""

    svg: Path
    png: Path
    data: ChartData


def render_charts(datas: Sequence[ChartData], cache_dir: Path) -> dict[str, ChartFiles]:
    """Draw each chart to SVG (vector, for the PDF) and PNG (for the DOCX), reusing cached files keyed by content digest."""  # noqa: E501
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, ChartFiles] = {}
    for data in datas:
        digest = data.digest()
        svg, png = cache_dir / f"{digest}.svg", cache_dir / f"{digest}.png"
        if not (svg.is_file() and png.is_file()):
            _render(data, svg, png)
        files[data.spec.id] = ChartFiles(svg, png, data)
    return files


# --- matplotlib set-up --------------------------------------------------------------------------


@functools.cache
def _matplotlib():
    """Import matplotlib (Agg) once and register the CJK fallback font if one is installed."""
    import matplotlib

    matplotlib.use("Agg")  # never a GUI backend, even when pyplot was imported elsewhere
    from matplotlib import font_manager

    families = ["DejaVu Sans"]
    path = cjk_font_file()
    if path:
        font_manager.fontManager.addfont(path)
        families.append(font_manager.FontProperties(fname=path).get_name())
    return matplotlib, tuple(families)


def _rc(families: tuple[str, ...]) -> dict:
    return {
        "svg.hashsalt": "briefing",  # stable ids in the SVG, so identical bytes per run
        "svg.fonttype": "path",  # text as outlines: the PDF needs no font from the SVG
        "font.family": list(families),  # DejaVu first, CJK glyphs fall back to the next
        "font.size": FONT_SIZE,
        "axes.unicode_minus": False,
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "path.simplify": False,
    }


@contextlib.contextmanager
def _glyph_warnings_to_log():
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


def _render(data: ChartData, svg: Path, png: Path) -> None:
    mpl, families = _matplotlib()
    with mpl.rc_context(), _glyph_warnings_to_log():
        mpl.rcdefaults()  # a user's matplotlibrc must not change our bytes
        mpl.rcParams.update(_rc(families))
        fig = draw(data)
        _save_atomic(fig, png, format="png", dpi=PNG_DPI, metadata={"Software": None})
        _save_atomic(fig, svg, format="svg", metadata={"Date": None, "Creator": None})


def _save_atomic(fig, path: Path, **kwargs) -> None:
    """Save via a temp file in the same folder and os.replace, so no half file is ever seen."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, **kwargs)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is ordinary output
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def draw(data: ChartData):
    """Draw one chart as a matplotlib Figure (call inside the chart rc settings)."""
    if data.empty:
        return _draw_empty(data)
    if data.kind == "bar":
        return _draw_bar(data)
    if data.kind == "timeline":
        return _draw_timeline(data)
    if data.kind == "confidence":
        return _draw_confidence(data)
    raise ValueError(f"chart {data.spec.id!r}: unknown kind {data.kind!r}")


def _figure(height_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=PNG_DPI)
    FigureCanvasAgg(fig)
    return fig


class _Measure:
    """Text sizes in points, measured with the Agg renderer."""

    def __init__(self, fig):
        self.fig = fig
        self.renderer = fig.canvas.get_renderer()

    def __call__(self, text: str, **kwargs) -> tuple[float, float]:
        t = self.fig.text(0, 0, text, **kwargs)
        box = t.get_window_extent(self.renderer)
        t.remove()
        scale = PT / self.fig.dpi
        return box.width * scale, box.height * scale


# --- no data ------------------------------------------------------------------------------------


def _draw_empty(data: ChartData):
    from matplotlib.patches import FancyBboxPatch

    fig = _figure(1.6)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.add_patch(FancyBboxPatch((0.02, 0.08), 0.96, 0.84, boxstyle="round,pad=0,rounding_size=0.02",
                                facecolor="#F4F4F4", edgecolor="#C8C8C8", linewidth=0.8))
    ax.text(0.5, 0.56, "No data", ha="center", va="center", fontsize=12, color=MUTED,
            fontweight="bold")
    what = {"bar": "No figures in the evidence match this chart.",
            "timeline": "No evidence item carries a dated event label.",
            "confidence": "There are no claims to count."}.get(data.kind, "")
    ax.text(0.5, 0.36, what, ha="center", va="center", fontsize=FONT_SIZE, color=MUTED)
    return fig


# --- horizontal bars (bar and confidence charts) ------------------------------------------------


def _draw_bar(data: ChartData):
    bars = data.series
    metrics = {b.slot: b.metric for b in bars}
    groups: dict[str, list] = {}
    for b in bars:
        label = short_number(b.value, b.approx, b.unit)
        groups.setdefault(b.actor, []).append((b.value, PALETTE[b.slot % len(PALETTE)], label))
    units = {b.unit.strip() for b in bars}
    if len(metrics) == 1:
        axis = next(iter(metrics.values()))
        unit = next(iter(units))
        axis = unit if unit and unit != "%" and unit.lower() != axis.lower() else axis
        axis = axis[:1].upper() + axis[1:]
    else:
        axis = "Reported number"
    log_scale = bool(data.spec.log_scale)
    if log_scale:
        axis += " (log scale)"
    legend = [(m[:1].upper() + m[1:], PALETTE[s % len(PALETTE)]) for s, m in sorted(metrics.items())]
    return _hbars(list(groups.items()), log_scale, axis, legend if len(legend) > 1 else [])


def _draw_confidence(data: ChartData):
    groups = [(c.label, [(float(c.count), c.color, str(c.count))]) for c in data.series]
    return _hbars(groups, False, "Number of claims", [], integer=True)


def _hbars(groups, log_scale: bool, xlabel: str, legend, integer: bool = False):
    """Horizontal bars grouped by label, values labelled at the bar ends, laid out in points."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

    n_bars = sum(len(g[1]) for g in groups)
    wrapped = [textwrap.fill(name, 22) for name, _ in groups]
    height = min(9.0, max(1.5, 0.55 + 0.21 * n_bars + 0.12 * len(groups) + 0.25 * bool(legend)))
    fig = _figure(height)
    measure = _Measure(fig)
    fw, fh = WIDTH_IN * PT, height * PT

    # Margins in points: the widest group label on the left, tick labels and axis label below,
    # the legend row above.
    left = max(measure(w, fontsize=FONT_SIZE)[0] for w in wrapped) + 10
    bottom = 34.0
    top = 22.0 if legend else 6.0
    right = 6.0
    ax = fig.add_axes((left / fw, bottom / fh, 1 - (left + right) / fw, 1 - (bottom + top) / fh))
    width_pt = fw - left - right

    # Bar positions: one unit per bar, a gap between groups; top to bottom.
    ys, ticks, y = [], [], 0.0
    for _, vals in groups:
        start = y
        for _ in vals:
            ys.append(y)
            y += 1.0
        ticks.append((start + y - 1) / 2)
        y += 0.6
    values = [v for _, vals in groups for v, _, _ in vals]
    labels = [lab for _, vals in groups for _, _, lab in vals]
    colors = [c for _, vals in groups for _, c, _ in vals]

    # The right end of the axis leaves room for each value label after its bar.
    pads = [measure(lab, fontsize=SMALL)[0] + 6 for lab in labels]
    if log_scale:
        lo_exp = math.floor(math.log10(min(values)))
        if min(values) / 10**lo_exp < 1.5:
            lo_exp -= 1  # a bar just above the axis start would be invisible
        lo = 10.0**lo_exp
        need = max(
            (math.log10(v) - lo_exp) / max(0.05, 1 - p / width_pt) for v, p in zip(values, pads)
        )
        hi = 10 ** (lo_exp + max(need, 1.0))
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, numticks=12))
        ax.xaxis.set_minor_locator(NullLocator())
    else:
        lo = 0.0
        hi = max(max(v / max(0.05, 1 - p / width_pt) for v, p in zip(values, pads)), 1.0)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=integer))
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: short_number(v)))

    ax.barh(ys, [max(v - lo, 0.0) for v in values], left=lo, height=0.82, color=colors,
            linewidth=0, zorder=2)
    for yy, v, lab in zip(ys, values, labels):
        ax.annotate(lab, (max(v, lo), yy), xytext=(3, 0), textcoords="offset points",
                    va="center", ha="left", fontsize=SMALL, color=INK, gid="value-label")

    ax.set_ylim(y - 0.6 + 0.3, -0.7)  # inverted: first group on top
    ax.set_yticks(ticks, wrapped, fontsize=FONT_SIZE, color=INK)
    ax.tick_params(axis="y", length=0, pad=6)
    ax.tick_params(axis="x", length=3, width=0.6, color=RULE, labelsize=SMALL, labelcolor=MUTED)
    ax.set_xlabel(xlabel, fontsize=SMALL, color=MUTED, labelpad=4)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(RULE)
    ax.spines["bottom"].set_linewidth(0.6)
    ax.xaxis.grid(True, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    if legend:
        handles = [Patch(facecolor=c, label=name) for name, c in legend]
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(left / fw, 1 - 2 / fh),
                   ncol=len(handles), frameon=False, fontsize=SMALL, handlelength=1.1,
                   handleheight=0.9, columnspacing=1.4, borderaxespad=0, borderpad=0.2,
                   labelcolor=INK)
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
    """Stagger flag labels (text to the right of each stem) so that no two overlap and no stem
    crosses another label. Works right to left so earlier events stair-step above later ones.
    """
    placed: list[Placed | None] = [None] * len(xs)
    done: list[Placed] = []
    for i in sorted(range(len(xs)), key=lambda k: (-xs[k], k)):
        x, w = xs[i], widths[i]
        start, end = x, min(x + w, limit)
        best = None
        for side in (1, -1):
            same = [p for p in done if p.side == side]
            # Stems that start inside this label's span rise to their level: go above them.
            level = 1 + max((p.level for p in same if start < p.x <= end + 2), default=0)
            while any(p.level == level and p.start < end + 4 and start < p.end + 4 for p in same):
                level += 1
            if best is None or level < best.level:
                best = Placed(x, side, level, start, end)
        placed[i] = best
        done.append(best)
    return placed  # type: ignore[return-value]


def _draw_timeline(data: ChartData):
    from matplotlib.lines import Line2D

    events: list[Event] = list(data.series)
    days = [dt.date.fromisoformat(e.date).toordinal() for e in events]
    first, last = min(days), max(days)
    span = max(last - first, 30)
    d_lo, d_hi = first - span * 0.03 - 4, last + span * 0.03 + 4

    fig = _figure(3.0)  # resized once the number of label levels is known
    measure = _Measure(fig)
    fw = WIDTH_IN * PT
    margin = 8.0
    gap = 3.0  # between a stem and its text
    texts = []
    for e in events:
        label = textwrap.fill(e.label, 26)
        when = date_text(e.date, e.precision)
        lw, lh = measure(label, fontsize=SMALL + 0.5)
        dw, dh = measure(when, fontsize=SMALL - 0.5)
        texts.append((label, when, max(lw, dw) + gap, lh, dh))

    # Axis length: the latest labels hang to the right of their stems, so keep room for them.
    axis_len = fw - 2 * margin
    for d, (_, _, w, _, _) in zip(days, texts):
        frac = (d - d_lo) / (d_hi - d_lo)
        if frac > 0:
            axis_len = min(axis_len, (fw - margin - margin - w) / frac)
    axis_len = max(axis_len, 0.5 * (fw - 2 * margin))

    def x_of(day: float) -> float:
        return margin + (day - d_lo) / (d_hi - d_lo) * axis_len

    xs = [x_of(d) for d in days]
    # Same-date events would hide each other's markers: nudge repeats right by a marker width.
    seen: dict[int, int] = {}
    for i, d in enumerate(days):
        xs[i] += 5.0 * seen.get(d, 0)
        seen[d] = seen.get(d, 0) + 1
    places = place_labels(xs, [t[2] for t in texts], fw - margin)

    block = max(t[3] + t[4] for t in texts) + 1.5
    level_h = block + 6.0
    above = max((p.level for p in places if p.side > 0), default=0)
    below = max((p.level for p in places if p.side < 0), default=0)
    tick_band = 22.0  # month and year tick labels under the axis line
    legend_h = 18.0
    first_gap = 9.0
    height = 6 + above * level_h + first_gap + tick_band + below * level_h + legend_h + 4
    fig.set_size_inches(WIDTH_IN, height / PT)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, fw)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    y_axis = height - 6 - above * level_h - first_gap

    # Axis line and ticks.
    ax.plot([x_of(d_lo), x_of(d_hi)], [y_axis, y_axis], color=RULE, lw=1.0, zorder=1,
            solid_capstyle="butt")
    for day, major, label in _timeline_ticks(d_lo, d_hi):
        x = x_of(day)
        ax.plot([x, x], [y_axis, y_axis - (3.5 if major else 2.0)], color=RULE, lw=0.6, zorder=1)
        if label:
            ax.text(x, y_axis - 5, label, ha="center", va="top", fontsize=SMALL - 0.5,
                    color=MUTED, linespacing=1.15, zorder=4, gid="tick-label",
                    bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "linewidth": 0})

    for e, x, p, (label, when, w, lh, dh) in zip(events, xs, places, texts):
        if p.side > 0:
            base = y_axis + first_gap + (p.level - 1) * level_h
            top = base + lh + dh + 1.5
            ax.plot([x, x], [y_axis, top], color=RULE, lw=0.6, zorder=2, gid="stem")
            ax.text(x + gap, base, label, ha="left", va="bottom", fontsize=SMALL + 0.5,
                    color=INK, linespacing=1.1, gid="event-label")
            ax.text(x + gap, base + lh + 1.5, when, ha="left", va="bottom",
                    fontsize=SMALL - 0.5, color=MUTED, gid="event-date")
        else:
            top = y_axis - tick_band - (p.level - 1) * level_h
            bottom = top - lh - dh - 1.5
            ax.plot([x, x], [y_axis, bottom], color=RULE, lw=0.6, zorder=2, gid="stem")
            ax.text(x + gap, top, when, ha="left", va="top", fontsize=SMALL - 0.5, color=MUTED,
                    gid="event-date")
            ax.text(x + gap, top - dh - 1.5, label, ha="left", va="top", fontsize=SMALL + 0.5,
                    color=INK, linespacing=1.1, gid="event-label")
        approx = e.precision != "day"
        ax.plot([x], [y_axis], marker="o", ms=6.0, mec=e.color, mew=1.4,
                mfc="white" if approx else e.color, zorder=5, linestyle="none")

    # Legend: the levels present, in scale order, and the hollow marker for partial dates.
    levels = sorted({(e.rank, e.level_label, e.color) for e in events})
    handles = [Line2D([], [], marker="o", ms=6, color=c, mfc=c, linestyle="none", label=lab)
               for _, lab, c in levels]
    if any(e.precision != "day" for e in events):
        handles.append(Line2D([], [], marker="o", ms=6, color=MUTED, mfc="white", mew=1.4,
                              linestyle="none", label="Month or year only"))
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(margin / fw, 3 / height),
               ncol=len(handles), frameon=False, fontsize=SMALL, handletextpad=0.3,
               columnspacing=1.2, borderaxespad=0, borderpad=0.2, labelcolor=INK)
    return fig


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
                label = f"{day:%b}" + (f"\n{y}" if m == 1 or not labelled_year else "")
                labelled_year = True
        if major or step > 1:
            out.append((day.toordinal(), major, label))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
