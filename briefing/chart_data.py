"""Chart data: the query behind each declared chart, as plain data (no drawing, no matplotlib).

Every chart is a query over the workspace's own evidence, so a workspace on any topic gets
charts from its own figures. `chart_data` answers one `ChartSpec`; `charts.render_charts`
draws the answers and caches the files under `ChartData.digest()`.

Disagreement in bar charts: when sources report different values for the same actor and
metric, every value is drawn (a range on one bar, a marker per value) and labelled with its
reference number as the references list prints it; equal values from several sources are one
value citing them all. The bar's sort value is the one from the most confident claim (scale
order; an unknown level counts as least confident; ties go to workspace order). Values whose
every source is retracted are not drawn, and the caption says so. Metrics of different units
are drawn in separate panels, never on one axis. Large charts are capped (MAX_ACTORS,
MAX_EVENTS) and say how many entries they leave out, so drawing time and legibility stay bounded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple, TypeAlias

from briefing.model import ChartSpec, Evidence, Figure, Workspace
from briefing.queries import human_number
from briefing.sourcing import discredited
from briefing.theme import ChartColors, packaged_theme

# Bump whenever the drawing code changes what it draws, so cached files are redrawn.
DRAWING_VERSION = "2"

MAX_ACTORS = 20  # bar rows per chart; the rest are counted ("+N more, see the table")
MAX_EVENTS = 40  # timeline events per chart; the most confident are kept

# CJK fallback fonts, first found wins; chart_drawing.py adds the font, the digest notes its presence
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


class Value(NamedTuple):
    """One distinct value on a bar and the references that report it, as the reader sees them."""

    value: float
    approx: bool
    refs: str  # "[2]", "[2, 5]", or short source names when numbers are not known


class Bar(NamedTuple):
    """One bar: an actor's values for one metric (`slot` indexes the metric, `panel` its unit)."""

    actor: str
    metric: str  # the metric's label
    slot: int
    value: float  # the most confident claim's value: orders the bars
    approx: bool
    unit: str
    values: tuple[Value, ...] = ()  # every standing value, smallest first; two or more is a disagreement
    panel: int = 0


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
    count: int  # type: ignore[assignment]  # shadows tuple.count; the field name is what templates read


# A value a bar chart leaves out because its sources are retracted:
# (actor, metric label, value, approx, unit, source ids).
Dropped: TypeAlias = tuple[str, str, float, bool, str, tuple[str, ...]]


@dataclass(frozen=True)
class ChartData:
    """The answer to one chart's query: what to draw, its sources and its alt text."""

    spec: ChartSpec
    kind: str
    series: tuple[Any, ...]  # Bar | Event | LevelCount records (one type per kind), in drawing order
    source_ids: tuple[str, ...]
    alt: str
    more: int = 0  # actors or events not drawn (over the cap)
    dropped: tuple[Dropped, ...] = ()  # retracted, not drawn
    # The theme's chart colours (the build's theme; the packaged one where none is given).
    colors: ChartColors = field(default_factory=lambda: packaged_theme().charts)

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
            "more": self.more,
            "cjk": cjk_font_file() is not None,
            "colors": asdict(self.colors),
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def cjk_font_file() -> str | None:
    """The first installed CJK fallback font file, or None."""
    return next((f for f in CJK_FONT_FILES if os.path.exists(f)), None)


def chart_data(ws: Workspace, spec: ChartSpec, refs: Mapping[str, int] | None = None,
               colors: ChartColors | None = None) -> ChartData:
    """Query the evidence for one declared chart; `refs` maps source ids to reference numbers, `colors` are the
    theme's (the packaged theme's if not given)."""
    items = _selected(ws, spec)
    more: int = 0
    dropped: list[Dropped] = []
    series: Sequence[Bar | Event | LevelCount]
    if spec.kind == "bar":
        series, sources, alt, more, dropped = _bar(ws, spec, items, refs)
    elif spec.kind == "timeline":
        series, sources, alt, more = _timeline(ws, items)
    elif spec.kind == "confidence":
        series, sources, alt = _confidence(ws, items)
    else:
        raise ValueError(f"{spec.pos}: chart {spec.id!r}: unknown kind {spec.kind!r}")
    return ChartData(spec, spec.kind, tuple(series), tuple(sources), alt, more, tuple(dropped),
                     colors or packaged_theme().charts)


def ref_label(ws: Workspace, source_ids: Collection[str], refs: Mapping[str, int] | None) -> str:
    """The references of a value as printed: '[2, 5]'; short source names where a number is unknown."""
    nums = sorted({refs[s] for s in source_ids if refs and s in refs})
    names = [_source_name(ws, s) for s in source_ids if not (refs and s in refs) and ws.source(s) is not None]
    parts = [", ".join(str(n) for n in nums)] if nums else []
    parts += list(dict.fromkeys(names))
    return "[" + "; ".join(parts) + "]" if parts else ""


def _source_name(ws: Workspace, sid: str) -> str:  # sid is a listed source
    """A reader's name for a source (outlet, first author or title), never its id when it has another."""
    s = ws.source(sid)
    assert s is not None, sid
    if s.outlet:
        return s.outlet
    if s.authors:
        return str(s.authors[0]) + (" et al." if len(s.authors) > 1 else "")
    return s.title


def with_unit(text: str, unit: str) -> str:
    """A number's text followed by its unit: '16 million exchanges', '45%'."""
    unit = str(unit or "").strip()
    if not unit:
        return text
    return text + unit if unit == "%" else f"{text} {unit}"


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
    """A readable number for prose, as the tables print it: '28.8 million', '150,000', 'about 13 million'."""
    return human_number(value, approx)


# --- queries ----------------------------------------------------------------------------------


def plotted_claims(ws: Workspace, spec: ChartSpec) -> list[Evidence]:
    """The claims whose figures a bar chart plots (for its caption's attribution); none for other kinds."""
    if spec.kind != "bar":
        return []
    return [e for e in _selected(ws, spec) if any(not spec.metrics or f.metric in spec.metrics for f in e.figures)]


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


def _retracted(ws: Workspace, sids: tuple[str, ...]) -> bool:
    """True when there are sources and every one of them is retracted or relays a retracted one."""
    return bool(sids) and all(ws.source(s) is not None and discredited(ws, s) for s in sids)


def _bar(ws: Workspace, spec: ChartSpec, items: list[Evidence], refs: Mapping[str, int] | None
         ) -> tuple[list[Bar], list[str], str, int, list[Dropped]]:
    # Candidates per (actor, metric), in workspace order.
    found: dict[tuple[str, str], list[tuple[int, int, float, Figure, Evidence]]] = {}
    metrics_seen: list[str] = []
    dropped: dict[tuple[str, str, float], Dropped] = {}
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
            sids = _figure_sources(fig, item)
            if _retracted(ws, sids):
                label, unit = ws.metric(metric).label, ws.figure_unit(fig)
                dropped.setdefault((actor, metric, value), (actor, label, value, bool(fig.approx), unit, sids))
                continue
            if metric not in metrics_seen:
                metrics_seen.append(metric)
            rank = _rank(ws, item.confidence)
            found.setdefault((actor, metric), []).append((rank, order, value, fig, item))
            order += 1

    metrics = [m for m in (spec.metrics or metrics_seen) if m in metrics_seen]
    units = {m: _metric_unit(ws, m, found) for m in metrics}
    panels = list(dict.fromkeys(units[m] for m in metrics))  # one panel per unit: never two on one axis
    chosen: dict[tuple[str, str], tuple[float, Figure, tuple[Value, ...], tuple[str, ...]]] = {}
    for key, cands in found.items():
        _, _, value, fig, _ = min(cands, key=lambda c: (c[0], c[1]))
        by_value: dict[float, list[tuple[Figure, Evidence]]] = {}
        for _, _, v, f, it in cands:
            by_value.setdefault(v, []).append((f, it))
        values: list[Value] = []
        sids_all: list[str] = []
        for v in sorted(by_value):
            pairs = by_value[v]
            sids = tuple(dict.fromkeys(s for f, it in pairs for s in _figure_sources(f, it) if s))
            sids_all += [s for s in sids if s not in sids_all]
            values.append(Value(v, any(bool(f.approx) for f, _ in pairs), ref_label(ws, sids, refs)))
        chosen[key] = (value, fig, tuple(values), tuple(sids_all))

    actors: list[str] = []
    for actor, _ in found:  # dict order is first appearance
        if actor not in actors:
            actors.append(actor)

    def sort_key(actor: str) -> tuple[object, ...]:
        # Descending by the first metric; actors without it follow, by the next metric, etc.
        key: list[object] = []
        for m in metrics:
            hit = chosen.get((actor, m))
            key += [hit is None, -hit[0] if hit else 0.0]
        return tuple(key) + (first_seen[actor],)

    # list.sort empties the list while sorting, so the tie-break index is taken beforehand.
    first_seen = {a: i for i, a in enumerate(actors)}
    actors.sort(key=sort_key)
    more = max(0, len(actors) - MAX_ACTORS)
    actors = actors[:MAX_ACTORS]
    bars: list[Bar] = []
    sources: list[str] = []
    for actor in actors:
        for slot, m in enumerate(metrics):
            hit = chosen.get((actor, m))
            if hit is None:
                continue
            value, fig, hit_values, sids = hit
            primary = next(x for x in hit_values if x.value == value)
            bars.append(Bar(actor, ws.metric(m).label, slot, value, primary.approx, units[m], hit_values,
                            panels.index(units[m])))
            sources += [s for s in sids if s not in sources]
    alt = _bar_alt(ws, spec, metrics, units, actors, bars, skipped, more, list(dropped.values()), refs)
    return bars, sources, alt, more, list(dropped.values())


def _metric_unit(ws: Workspace, metric: str,
                 found: dict[tuple[str, str], list[tuple[int, int, float, Figure, Evidence]]]) -> str:
    """A metric's unit: declared, else the unit its first plotted figure gives."""
    declared = ws.metric(metric).unit
    if declared:
        return declared
    for (_, m), cands in found.items():
        if m == metric:
            return str(cands[0][3].unit or "").strip()
    return ""


def _bar_alt(ws: Workspace, spec: ChartSpec, metrics: list[str], units: dict[str, str], actors: list[str],
             bars: list[Bar], skipped: int, more: int, dropped: list[Dropped], refs: Mapping[str, int] | None
             ) -> str:
    if not bars:
        what = _join([ws.metric(m).label.lower() for m in spec.metrics]) if spec.metrics else "figures"
        text = f"Bar chart with no data: the evidence reports no {what} to plot."
    else:
        scale = ", on a logarithmic scale" if spec.log_scale else ""
        named = [ws.metric(m).label + (f" ({units[m]})" if units[m] and units[m].casefold()
                                        != ws.metric(m).label.casefold() else "") for m in metrics]
        panels = len(set(units.values()))
        split = f", in {panels} panels, one per unit" if panels > 1 else ""
        parts = [f"Horizontal bar chart of {_join(named)} by actor{scale}{split}, largest first."]
        for actor in actors:
            vals = []
            for b in bars:
                if b.actor != actor:
                    continue
                each = [with_unit(long_number(x.value, x.approx), b.unit) + (f" {x.refs}" if x.refs else "")
                        for x in b.values]
                vals.append(f"{b.metric}: " + " vs ".join(each)
                            + (" (sources disagree; each value is drawn)" if len(each) > 1 else ""))
            parts.append(f"{actor}: {'; '.join(vals)}.")
        if more:
            parts.append(f"{more} more actor(s) not drawn; the figures table lists them.")
        text = " ".join(parts)
    for actor, label, value, approx, unit, sids in dropped:
        text += (f" Not drawn, its source retracted: {actor}, {label}, "
                 f"{with_unit(long_number(value, approx), unit)} {ref_label(ws, sids, refs)}.")
    if skipped:
        text += f" {skipped} figure(s) could not be plotted (not a usable number)."
    return text


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


def _timeline(ws: Workspace, items: list[Evidence]) -> tuple[list[Event], list[str], str, int]:
    dated: list[tuple[dt.date, int, Event, Evidence]] = []
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
    more = max(0, len(dated) - MAX_EVENTS)
    if more:  # keep the most confident events, then the earliest; draw them in date order
        dated = sorted(dated, key=lambda d: (d[2].rank, d[0], d[1]))[:MAX_EVENTS]
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
        alt = (f"Timeline of {len(events)} events {span}, each marked by its confidence level"
               f" (a shape and a colour per level). " + "; ".join(lines) + ".")
        if more:
            alt += f" {more} less confident event(s) not drawn; the text lists every claim."
    if undated:
        alt += f" Not placed (unreadable date): {', '.join(undated)}."
    return events, sources, alt, more


def _confidence(ws: Workspace, items: list[Evidence]) -> tuple[list[LevelCount], list[str], str]:
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
