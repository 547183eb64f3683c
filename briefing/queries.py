"""The template API: read-only queries over the evidence model, handed to the sandboxed templates."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from markupsafe import Markup

from .markdown import attr, escape
from .model import Evidence, Figure, Judgement, Level, Workspace
from .sourcing import disinterested, origins
from .spec import SECTIONS

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
SOURCE_KIND_NAMES = {"primary": "primary statements", "news": "news reports", "analysis": "analysis or opinion",
                     "academic": "academic work", "filing": "official filings", "commentary": "commentary"}


def human_date(iso: str) -> str:
    """'2026-02-23' -> '23 February 2026'; partial dates stay partial."""
    parts = [int(p) for p in iso.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    if len(parts) == 2:
        return f"{MONTHS[parts[1] - 1]} {parts[0]}"
    return f"{parts[2]} {MONTHS[parts[1] - 1]} {parts[0]}"


def human_number(value: float, approx: bool = False) -> str:
    """13000000 -> '13 million', 150000 -> '150,000', with 'about' for approximate values."""
    v = float(value)
    if abs(v) >= 1_000_000:
        text = f"{v / 1_000_000:.1f}".rstrip("0").rstrip(".") + " million"
    elif v.is_integer():
        text = f"{int(v):,}"
    else:
        text = f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"about {text}" if approx else text


@dataclass(frozen=True)
class FigureRow:
    """One actor's metric with every distinct value the sources report."""

    actor: str
    metric: str
    unit: str
    values: tuple[tuple[Figure, Evidence], ...]

    @property
    def disputed(self) -> bool:
        return len({f.value for f, _ in self.values}) > 1

    @property
    def top(self) -> float:
        return max(f.value for f, _ in self.values)


@dataclass(frozen=True)
class ChartRef:
    """A chart as the template places it: its number, caption and the sources of its data."""

    number: int
    id: str
    title: str
    caption: str
    source_ids: tuple[str, ...]
    alt: str


class Queries:
    """Everything a template may ask of the evidence; all methods are read-only."""

    def __init__(self, ws: Workspace, audience_name: str = ""):
        self._ws = ws
        self._audience = audience_name
        self.meta = ws.meta
        self.scale = ws.scale
        self.levels = ws.scale.levels
        self.evidence = tuple(sorted(ws.evidence, key=lambda e: (e.date, e.id)))
        self.sources = ws.sources

    # -- claims ----------------------------------------------------------------------------
    def level(self, item: Evidence) -> Level:
        """The confidence level of a claim."""
        return self._ws.scale.get(item.confidence)

    def section_of(self, item: Evidence) -> str:
        """Which section a claim belongs to: its level's, or a less certain hinted one; disputes are alleged."""
        section = self.level(item).section
        if item.section and SECTIONS.index(item.section) > SECTIONS.index(section):
            section = item.section
        if item.disputes and section == "documented":
            section = "alleged"
        return section

    def in_section(self, name: str) -> list[Evidence]:
        """Claims in a section: documented, alleged or not_shown."""
        return [e for e in self.evidence if self.section_of(e) == name]

    def by_confidence(self, key: str) -> list[Evidence]:
        """Claims at one confidence level."""
        return [e for e in self.evidence if e.confidence == key]

    def by_actor(self, name: str, role: str = "") -> list[Evidence]:
        """Claims naming an actor (optionally in a role)."""
        n = name.casefold()
        return [e for e in self.evidence
                if any(a.name.casefold() == n and (not role or a.role == role) for a in e.actors)]

    def by_tag(self, *tags: str) -> list[Evidence]:
        """Claims carrying any of the tags."""
        return [e for e in self.evidence if set(tags) & set(e.tags)]

    def between(self, start: str = "", end: str = "") -> list[Evidence]:
        """Claims dated within [start, end] (ISO dates; either may be empty)."""
        return [e for e in self.evidence if (not start or e.date >= start) and (not end or e.date[:len(end)] <= end)]

    def events(self) -> list[Evidence]:
        """Dated events (claims with an `event` label), in date order."""
        return [e for e in self.evidence if e.event]

    def item(self, eid: str) -> Evidence | None:
        """One claim by id."""
        return self._ws.item(eid)

    def actors(self, item: Evidence, role: str) -> list[str]:
        """The names of a claim's actors in a role."""
        return [a.name for a in item.actors if a.role == role]

    def origins(self, item: Evidence) -> int:
        """How many independent origins a claim rests on."""
        return len(origins(self._ws, item))

    def disinterested_origins(self, item: Evidence) -> int:
        """How many of a claim's origins have no stake in the matter."""
        return len(disinterested(self._ws, origins(self._ws, item)))

    # -- figures ---------------------------------------------------------------------------
    def figures(self, metric: str = "", actor: str = "") -> list[tuple[Figure, Evidence]]:
        """Every figure, with its claim, optionally for one metric or actor."""
        return [(f, e) for e in self.evidence for f in e.figures
                if (not metric or f.metric == metric) and (not actor or f.actor.casefold() == actor.casefold())]

    def key_figures(self, metrics=()) -> list[FigureRow]:
        """Figures grouped by actor and metric, largest first; disagreeing sources stay side by side."""
        rows: dict[tuple[str, str], list] = {}
        for f, e in self.figures():
            if metrics and f.metric not in metrics:
                continue
            bucket = rows.setdefault((f.actor.casefold(), f.metric), [])
            if not any(g.value == f.value and g.source == f.source for g, _ in bucket):
                bucket.append((f, e))
        out = [FigureRow(v[0][0].actor, m, v[0][0].unit or m, tuple(v)) for (_, m), v in rows.items()]
        order = {m: i for i, m in enumerate(metrics)} if metrics else {}
        return sorted(out, key=lambda r: (order.get(r.metric, len(order)), r.metric, -r.top, r.actor))

    def conflicts(self) -> list[FigureRow]:
        """Figure rows on which sources disagree."""
        return [r for r in self.key_figures() if r.disputed]

    # -- judgements and sources -------------------------------------------------------------
    def judgements(self, name: str) -> list[Judgement]:
        """The analysis judgements of a section (e.g. 'implications'), for this audience."""
        return [j for j in self._ws.judgements(name) if not j.audiences or self._audience in j.audiences]

    def rests_on(self, judgement: Judgement) -> list[Evidence]:
        """The claims a judgement rests on."""
        return [e for e in (self._ws.item(i) for i in judgement.rests_on) if e]

    def source(self, sid: str):
        """One source by id."""
        return self._ws.source(sid)

    def counts(self) -> dict[str, int]:
        """Number of claims per section."""
        c = Counter(self.section_of(e) for e in self.evidence)
        return {s: c.get(s, 0) for s in SECTIONS}

    def level_counts(self) -> list[tuple[Level, int]]:
        """Number of claims per confidence level, in scale order."""
        c = Counter(e.confidence for e in self.evidence)
        return [(lv, c.get(lv.key, 0)) for lv in self.levels]

    def source_kinds(self) -> list[tuple[str, int]]:
        """How many cited sources of each kind, most common first."""
        cited = {sid for e in self.evidence for sid in e.source_ids}
        c = Counter(s.kind for s in self.sources if s.id in cited)
        return [(SOURCE_KIND_NAMES.get(k, k), n) for k, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))]


# -- filters: these return Markup, so the escaping finalize lets them through --------------------
def cite(value) -> Markup:
    """Citation markup for a claim, figure, dispute, source id or list of ids: '[@{a}; @{b}]'."""
    if isinstance(value, Evidence):
        ids = value.source_ids
    elif isinstance(value, Figure):
        ids = (value.source,)
    elif isinstance(value, str):
        ids = (value,)
    elif hasattr(value, "source") and isinstance(value.source, str):
        ids = (value.source,) if value.source else ()
    else:  # a list of ids or of claims
        ids = tuple(dict.fromkeys(i for v in value for i in ((v,) if isinstance(v, str) else v.source_ids)))
    if not ids:
        return Markup("")
    # Ids are validated (letters, digits, _ . : -) and braced so pandoc reads trailing punctuation too.
    return Markup("[" + "; ".join("@{" + i + "}" for i in ids) + "]")


def style_name(level: Level) -> str:
    """The DOCX character style of a confidence level."""
    from .reference_docx import confidence_style_name

    return confidence_style_name(level)


def label_markup(level: Level) -> Markup:
    """A confidence tag: a span the PDF draws in the level's colour and the DOCX styles."""
    return Markup(f'[{escape(level.label)}]{{.confidence level="{attr(level.key)}" color="{attr(level.color)}"'
                  f' custom-style="{attr(style_name(level))}"}}')


def disputed_markup(by: str) -> Markup:
    """A 'Disputed by …' tag."""
    return Markup(f'[Disputed by {escape(by)}]{{.disputed custom-style="Disputed"}}')


def today_free_date(meta) -> dt.date:
    """The briefing's own date (never the clock)."""
    return dt.date.fromisoformat(meta.date) if len(meta.date) == 10 else dt.date(int(meta.date[:4]), 1, 1)
