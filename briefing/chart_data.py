"""Chart data: the query behind each declared chart, as plain data (no drawing, no matplotlib).

Every chart is a query over the workspace's own evidence, so a workspace on any topic gets
charts from its own figures. `chart_data` answers one `ChartSpec`; `charts.render_charts`
draws the answers and caches the files under `ChartData.digest()`.

Conflict rule for bar charts: when several figures report the same actor and metric, the
plotted value is the one from the most confident claim (scale order; a level the scale does
not know counts as least confident); ties go to the figure that appears first in the
workspace (evidence order, then figure order). Different values not plotted are listed in the
alt text with their sources, so nothing reported is hidden.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
from dataclasses import dataclass
from typing import NamedTuple

from briefing.model import ChartSpec, Evidence, Figure, Workspace

# Bump whenever the drawing code changes what it draws, so cached files are redrawn.
DRAWING_VERSION = "1"

# CJK fallback fonts, first found wins; charts.py adds the font, the digest notes its presence
# (a cached chart drawn without it shows boxes where the font would show glyphs).
CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)

UNKNOWN_COLOR = "#999999"  # a confidence key the scale does not define

# English month names, not strftime's: a locale set elsewhere must not change the drawing.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


class Bar(NamedTuple):
    """One bar: an actor's value for one metric (`slot` indexes the metric, for its colour)."""

    actor: str
    metric: str
    slot: int
    value: float
    approx: bool
    unit: str


class Event(NamedTuple):
    """One timeline event; `date` is ISO and full, `precision` says how much of it is known."""

    date: str
    precision: str  # day | month | year
    label: str
    level: str
    level_label: str
    color: str
    rank: int  # position of the level in the scale; the legend follows it


class LevelCount(NamedTuple):
    """Number of claims at one confidence level."""

    key: str
    label: str
    color: str
    count: int


@dataclass(frozen=True)
class ChartData:
    """The answer to one chart's query: what to draw, its sources and its alt text."""

    spec: ChartSpec
    kind: str
    series: tuple  # Bar | Event | LevelCount records, in drawing order
    source_ids: tuple[str, ...]
    alt: str

    @property
    def empty(self) -> bool:
        """True when there is nothing to plot (the drawing shows a "No data" panel)."""
        if self.kind == "confidence":
            return not any(c.count for c in self.series)
        return not self.series

    def digest(self) -> str:
        """Content hash of everything that affects the drawing (not the title, caption or alt)."""
        payload = {
            "drawing": DRAWING_VERSION,
            "kind": self.kind,
            "log": bool(self.spec.log_scale) and self.kind == "bar",
            "series": [list(r) for r in self.series],
            "cjk": cjk_font_file() is not None,
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def cjk_font_file() -> str | None:
    """The first installed CJK fallback font file, or None."""
    return next((f for f in CJK_FONT_FILES if os.path.exists(f)), None)


def chart_data(ws: Workspace, spec: ChartSpec) -> ChartData:
    """Query the evidence for one declared chart."""
    items = _selected(ws, spec)
    if spec.kind == "bar":
        series, sources, alt = _bar(ws, spec, items)
    elif spec.kind == "timeline":
        series, sources, alt = _timeline(ws, items)
    elif spec.kind == "confidence":
        series, sources, alt = _confidence(ws, items)
    else:
        raise ValueError(f"{spec.pos}: chart {spec.id!r}: unknown kind {spec.kind!r}")
    return ChartData(spec, spec.kind, tuple(series), tuple(sources), alt)


# --- number formatting (shared with the drawing code) ---------------------------------------

_UNITS = ((1e12, "T", "trillion"), (1e9, "B", "billion"), (1e6, "M", "million"), (1e3, "k", ""))


def short_number(value: float, approx: bool = False, unit: str = "") -> str:
    """A compact label: 150000 -> '150k', 28800000 -> '28.8M', approximate -> '~13M'."""
    rounded = float(f"{value:.3g}")  # round first so 999,950 becomes 1M, not 1000k
    text = f"{rounded:g}"
    for size, suffix, _ in _UNITS:
        if abs(rounded) >= size:
            text = f"{rounded / size:.3g}{suffix}"
            break
    if unit.strip() in ("%", "percent"):
        text += "%"
    return ("~" if approx else "") + text


def long_number(value: float, approx: bool = False) -> str:
    """A readable number for prose: '28.8 million', '150,000', 'about 13 million'."""
    rounded = float(f"{value:.3g}") if abs(value) >= 1e6 else value
    text = ""
    for size, _, word in _UNITS:
        if word and abs(rounded) >= size:
            text = f"{rounded / size:.3g} {word}"
            break
    if not text:
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3g}"
    return ("about " if approx else "") + text


# --- queries ----------------------------------------------------------------------------------


def _selected(ws: Workspace, spec: ChartSpec) -> list[Evidence]:
    """The evidence a chart covers: all of it, or the items carrying one of the spec's tags."""
    if not spec.tags:
        return list(ws.evidence)
    wanted = set(spec.tags)
    return [e for e in ws.evidence if wanted.intersection(e.tags)]


def _rank(ws: Workspace, key: str) -> int:
    """Position of a level in the scale, most confident first; unknown keys rank last."""
    keys = ws.scale.keys
    return keys.index(key) if key in keys else len(keys)


def _number(value: object) -> float | None:
    """The value as a finite float, or None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.replace(",", "").replace("_", "").strip()
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _figure_sources(fig: Figure, item: Evidence) -> tuple[str, ...]:
    """The source that reports a figure; without one, the claim's own sources."""
    return (fig.source,) if fig.source else item.source_ids


def _bar(ws: Workspace, spec: ChartSpec, items: list[Evidence]):
    # Candidates per (actor, metric), in workspace order.
    found: dict[tuple[str, str], list[tuple[int, int, float, Figure, Evidence]]] = {}
    metrics_seen: list[str] = []
    skipped = 0
    order = 0
    for item in items:
        for fig in item.figures:
            metric, actor = str(fig.metric).strip(), str(fig.actor).strip()
            if not metric or not actor:
                skipped += 1
                continue
            value = _number(fig.value)
            if spec.metrics and metric not in spec.metrics:
                continue
            if value is None or (spec.log_scale and value <= 0):
                skipped += 1  # a log axis has no place for zero or negative values
                continue
            if metric not in metrics_seen:
                metrics_seen.append(metric)
            rank = _rank(ws, item.confidence)
            found.setdefault((actor, metric), []).append((rank, order, value, fig, item))
            order += 1

    metrics = [m for m in (spec.metrics or metrics_seen) if m in metrics_seen]
    chosen: dict[tuple[str, str], tuple[float, Figure, Evidence]] = {}
    others: list[str] = []
    for key, cands in found.items():
        rank, _, value, fig, item = min(cands, key=lambda c: (c[0], c[1]))
        chosen[key] = (value, fig, item)
        shown: set[float] = {value}
        for _, _, v, f, it in cands:
            if v not in shown:  # the same value from another source is no conflict
                shown.add(v)
                per = ", ".join(_figure_sources(f, it))
                others.append(f"{key[0]} {key[1]} {long_number(v, f.approx)} (per {per})")

    actors: list[str] = []
    for actor, _ in found:  # dict order is first appearance
        if actor not in actors:
            actors.append(actor)

    def sort_key(actor: str) -> tuple:
        # Descending by the first metric; actors without it follow, by the next metric, etc.
        key: list = []
        for m in metrics:
            hit = chosen.get((actor, m))
            key += [hit is None, -hit[0] if hit else 0.0]
        return tuple(key) + (first_seen[actor],)

    # list.sort empties the list while sorting, so the tie-break index is taken beforehand.
    first_seen = {a: i for i, a in enumerate(actors)}
    actors.sort(key=sort_key)
    bars: list[Bar] = []
    sources: list[str] = []
    for actor in actors:
        for slot, m in enumerate(metrics):
            hit = chosen.get((actor, m))
            if hit is None:
                continue
            value, fig, item = hit
            bars.append(Bar(actor, m, slot, value, bool(fig.approx), str(fig.unit or "")))
            for sid in _figure_sources(fig, item):
                if sid and sid not in sources:
                    sources.append(sid)
    return bars, sources, _bar_alt(spec, metrics, actors, bars, others, skipped)


def _bar_alt(spec, metrics, actors, bars, others, skipped) -> str:
    if not bars:
        what = " and ".join(spec.metrics) if spec.metrics else "figures"
        return f"Bar chart with no data: the evidence reports no {what} to plot."
    scale = ", on a logarithmic scale" if spec.log_scale else ""
    parts = [f"Horizontal bar chart of {_join(metrics)} by actor{scale}, largest first."]
    for actor in actors:
        vals = [f"{long_number(b.value, b.approx)} {b.metric}" for b in bars if b.actor == actor]
        parts.append(f"{actor}: {', '.join(vals)}.")
    if others:
        parts.append("Other reported values, not plotted: " + "; ".join(others) + ".")
    if skipped:
        parts.append(f"{skipped} figure(s) could not be plotted (not a usable number).")
    return " ".join(parts)


def parse_date(text: object) -> tuple[dt.date, str] | None:
    """An ISO date, possibly partial, as (start of its period, precision); None if unreadable."""
    if isinstance(text, dt.date):
        return (text if not isinstance(text, dt.datetime) else text.date()), "day"
    parts = str(text or "").strip().split("-")
    try:
        if len(parts) == 1 and len(parts[0]) == 4:
            return dt.date(int(parts[0]), 1, 1), "year"
        if len(parts) == 2:
            return dt.date(int(parts[0]), int(parts[1]), 1), "month"
        if len(parts) == 3:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2])), "day"
    except ValueError:
        return None
    return None


def date_text(iso: str, precision: str) -> str:
    """A date as printed on the chart: '23 Feb 2026', 'Feb 2026' or '2026'."""
    day = dt.date.fromisoformat(iso)
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return f"{MONTHS[day.month - 1][:3]} {day.year}"
    return f"{day.day} {MONTHS[day.month - 1][:3]} {day.year}"


def _timeline(ws: Workspace, items: list[Evidence]):
    dated = []
    undated: list[str] = []
    for order, item in enumerate(items):
        label = " ".join(str(item.event or "").split())
        if not label:
            continue
        parsed = parse_date(item.date)
        if parsed is None:
            undated.append(label)
            continue
        day, precision = parsed
        level = ws.scale.get(item.confidence)
        rank = _rank(ws, item.confidence)
        event = Event(
            day.isoformat(),
            precision,
            label,
            item.confidence,
            level.label if level else item.confidence,
            level.color if level else UNKNOWN_COLOR,
            rank,
        )
        dated.append((day, order, event, item))
    dated.sort(key=lambda d: (d[0], d[1]))
    events = [d[2] for d in dated]
    sources: list[str] = []
    for *_, item in dated:
        sources += [s for s in item.source_ids if s and s not in sources]

    if not events:
        alt = "Timeline with no data: no evidence item carries a dated event label."
    else:
        first, last = dated[0][0], dated[-1][0]
        first_m, last_m = f"{MONTHS[first.month - 1]} {first.year}", f"{MONTHS[last.month - 1]} {last.year}"
        span = f"from {first_m} to {last_m}" if first_m != last_m else f"in {first_m}"
        lines = []
        for e in events:
            approx = {"day": "", "month": " (month only)", "year": " (year only)"}[e.precision]
            lines.append(f"{date_text(e.date, e.precision)}{approx}: {e.label} "
                         f"({e.level_label.lower()})")
        alt = (f"Timeline of {len(events)} events {span}, each marked by its confidence level. "
               + "; ".join(lines) + ".")
    if undated:
        alt += f" Not placed (unreadable date): {', '.join(undated)}."
    return events, sources, alt


def _confidence(ws: Workspace, items: list[Evidence]):
    counts = {lv.key: 0 for lv in ws.scale.levels}
    unknown = 0
    for item in items:
        if item.confidence in counts:
            counts[item.confidence] += 1
        else:
            unknown += 1
    series = [LevelCount(lv.key, lv.label, lv.color, counts[lv.key]) for lv in ws.scale.levels]
    total = sum(counts.values())
    if not total:
        alt = "Confidence profile with no data: there are no claims to count."
    else:
        each = ", ".join(f"{c.label}: {c.count}" for c in series)
        alt = f"Bar chart of the number of claims at each confidence level ({total} in all). {each}."
    if unknown:
        alt += f" {unknown} claim(s) name a level the scale does not define and are not counted."
    # The counts are the analysts' own assessment, so no source line.
    return series, [], alt


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
