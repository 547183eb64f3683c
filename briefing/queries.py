"""The template API: read-only queries over the evidence model, handed to the sandboxed templates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from .escaping import attr, escape
from .model import Citation, Evidence, Figure, Judgement, Level, Metric, Source, Workspace
from .reference_docx import confidence_style_name
from .sourcing import (
    chain,
    discredited,
    disinterested,
    origins,
    retracted_behind,
    retracted_list,
    retraction_note,
    retraction_text,
    roots,
)
from .spec import SECTIONS

SOURCE_KIND_NAMES = {"primary": "primary statements", "news": "news reports", "analysis": "analysis or opinion",
                     "academic": "academic work", "filing": "official filings", "commentary": "commentary"}


_SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def human_number(value: float, approx: bool = False) -> str:
    """13000000 -> '13 million', 150000 -> '150,000', 0.00012 -> '0.00012', with 'about' for approximations."""
    v = float(value)
    for size, word in _SCALES:
        if abs(v) >= size:
            text = f"{v / size:.1f}".rstrip("0").rstrip(".") + f" {word}"
            break
    else:
        if v.is_integer():
            text = f"{int(v):,}"
        elif abs(v) >= 1:
            text = f"{v:,.2f}".rstrip("0").rstrip(".")
        else:  # three significant digits, never "0" and never scientific notation
            text = format(Decimal(f"{v:.3g}"), "f")
    return f"about {text}" if approx else text


def amount(value: float, approx: bool = False, unit: str = "") -> str:
    """A value with its unit: '13 million exchanges', 'about 96 USD/MWh', '45%'."""
    text = human_number(value, approx)
    unit = str(unit or "").strip()
    if not unit:
        return text
    return text + unit if unit == "%" else f"{text} {unit}"


@dataclass(frozen=True)
class FigureValue:
    """One distinct value of a figure row and every figure (source) that reports it."""

    value: float
    approx: bool
    figures: tuple[tuple[Figure, Evidence], ...]
    retracted: bool  # every source reporting it is retracted

    @property
    def source_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.source for f, _ in self.figures))


@dataclass(frozen=True)
class FigureRow:
    """One actor's metric: its label and unit, and every distinct value the sources report."""

    actor: str
    metric: str  # the metric id (templates print `label`)
    label: str
    unit: str
    entries: tuple[FigureValue, ...]  # live values first (smallest first), then retracted ones

    @property
    def values(self) -> tuple[tuple[Figure, Evidence], ...]:
        """(figure, claim) pairs, one per source and distinct value."""
        return tuple(p for v in self.entries for p in v.figures)

    @property
    def live(self) -> tuple[FigureValue, ...]:
        """The values some source that is not retracted reports."""
        return tuple(v for v in self.entries if not v.retracted)

    @property
    def disputed(self) -> bool:
        """True when sources that stand give different values (equal values corroborate)."""
        return len(self.live) > 1

    @property
    def retracted(self) -> bool:
        """True when every value rests on a retracted source."""
        return not self.live

    @property
    def claim(self) -> Evidence:
        """The claim behind the row's first value (its confidence is the row's)."""
        return self.entries[0].figures[0][1]

    @property
    def claims(self) -> tuple[Evidence, ...]:
        """The claims behind the values a reader may rely on (every value's, when all are retracted)."""
        pairs = (p for v in (self.live or self.entries) for p in v.figures)
        return tuple({e.id: e for _, e in pairs}.values())

    @property
    def top(self) -> float:
        return max(v.value for v in (self.live or self.entries))


@dataclass(frozen=True)
class ChartRef:
    """A chart as the template places it: its number, caption and the sources of its data."""

    number: int
    id: str
    title: str
    caption: str
    source_ids: tuple[str, ...]
    alt: str
    note: str = ""  # what the chart leaves out (retracted values, entries over the cap)
    attribution: str = ""  # who alleges and who disputes the values it plots ("alleged by X; disputed by Y")


@dataclass(frozen=True)
class Selection:
    """Some claims picked for a condensed briefing, and how many were left out."""

    shown: tuple[Evidence, ...]
    rest: int

    def __iter__(self) -> Iterator[Evidence]:
        return iter(self.shown)

    def __len__(self) -> int:
        return len(self.shown)


def source_name(s: Source) -> str:
    """A short name for a source: its outlet or publisher, else its first author, else its title."""
    if s.outlet:
        return s.outlet
    if s.authors:
        return str(s.authors[0]) + (" et al." if len(s.authors) > 1 else "")
    return s.title


def _and(names: Iterable[str]) -> str:
    listed = list(names)
    return ", ".join(listed[:-1]) + " and " + listed[-1] if len(listed) > 1 else "".join(listed)


@dataclass(frozen=True)
class Attribution:
    """Who alleges a claim and who disputes it: what a reader needs to weigh an allegation.

    Empty (false) unless the claim is an allegation (alleged section, or disputed). `verb` is
    "alleged" when the accusers are the claim's actors with role accuser or its interested origins,
    "reported" when only disinterested origins stand behind it.
    """

    alleged_by: tuple[str, ...] = ()
    disputed_by: tuple[str, ...] = ()
    verb: str = "alleged"

    def __bool__(self) -> bool:
        return bool(self.alleged_by or self.disputed_by)

    @property
    def alleged(self) -> str:
        """'alleged by X and Y' (empty when nobody is named)."""
        return f"{self.verb} by {_and(self.alleged_by)}" if self.alleged_by else ""

    @property
    def disputed(self) -> str:
        """'disputed by Z' (empty when undisputed)."""
        return f"disputed by {_and(self.disputed_by)}" if self.disputed_by else ""

    @property
    def text(self) -> str:
        """The compact form: 'alleged by X; disputed by Y'."""
        return "; ".join(p for p in (self.alleged, self.disputed) if p)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class CitedSource:
    """One source a claim cites: the citation (with its locator), the source, and the figures it reports."""

    citation: Citation
    source: Source | None
    figures: tuple[Figure, ...]

    @property
    def id(self) -> str:
        return self.citation.source

    @property
    def locator(self) -> str:
        return self.citation.locator

    @property
    def name(self) -> str:
        """A short name for the source: its outlet or publisher, else its first author, else its title."""
        return source_name(self.source) if self.source else self.citation.source


class Queries:
    """Everything a template may ask of the evidence; all methods are read-only."""

    def __init__(self, ws: Workspace, audience_name: str = "", rank_by: Iterable[str] = ()) -> None:
        self._ws = ws
        self._audience = audience_name
        self._rank_by = tuple(rank_by)  # judgement sections whose evidence a condensed list shows first
        self.meta = ws.meta
        self.scale = ws.scale
        self.levels = ws.scale.levels
        self.evidence = tuple(sorted(ws.evidence, key=lambda e: (e.date, e.id)))
        self.sources = ws.sources
        # claim id -> (section, judgement) resting on it
        self._supporting: dict[str, list[tuple[str, Judgement]]] | None = None
        self._mentioned: dict[str, int] | None = None  # claim id -> first mention in the rank_by judgements

    # -- claims ----------------------------------------------------------------------------
    def level(self, item: Evidence) -> Level:
        """The confidence level of a claim."""
        level = self._ws.scale.get(item.confidence)
        assert level is not None, item.confidence  # check refuses a claim at an unknown level
        return level

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

    def at_least(self, key: str) -> list[Evidence]:
        """Claims at this confidence level or a more confident one."""
        floor = self._ws.scale.get(key)
        if floor is None:
            raise ValueError(f"no confidence level '{key}'; the scale has: {', '.join(self._ws.scale.keys)}")
        return [e for e in self.evidence if self.level(e).rank <= floor.rank]

    def by_tag(self, *tags: str | Iterable[str]) -> list[Evidence]:
        """Claims carrying any of the tags (each argument a tag or a list of tags)."""
        wanted = set(_flat(tags))
        return [e for e in self.evidence if wanted & set(e.tags)]

    def between(self, start: str = "", end: str = "") -> list[Evidence]:
        """Claims dated within [start, end] (ISO dates; either may be empty)."""
        return [e for e in self.evidence if (not start or e.date >= start) and (not end or e.date[:len(end)] <= end)]

    def events(self, *tags: str | Iterable[str]) -> list[Evidence]:
        """Dated events (claims with an `event` label), in date order; optionally only those with a tag."""
        wanted = set(_flat(tags))
        return [e for e in self.evidence if e.event and (not wanted or wanted & set(e.tags))]

    # -- selecting: condensed audiences show the claims that matter most -------------------------
    def supporting(self, item: Evidence, section: str = "") -> list[Judgement]:
        """The judgements (for this audience; of one analysis section, or all) that rest on a claim."""
        if self._supporting is None:
            self._supporting = {}
            for name, judgements in self._ws.analysis:
                for j in judgements:
                    if j.audiences and self._audience not in j.audiences:
                        continue
                    for eid in dict.fromkeys(j.rests_on):
                        self._supporting.setdefault(eid, []).append((name, j))
        return [j for name, j in self._supporting.get(item.id, ()) if not section or name == section]

    def weight(self, item: Evidence) -> tuple[int, ...]:
        """What makes a claim matter to this reader: how many judgements of each of the audience's
        `rank_by` sections rest on it, in that order, then how many of any section."""
        return tuple(len(self.supporting(item, s)) for s in self._rank_by) + (len(self.supporting(item)),)

    def ranked(self, items: Iterable[Evidence]) -> list[Evidence]:
        """Claims, those that matter most first (see `weight`); on a tie, the one the `rank_by` judgements
        name first, then the more confident, then the earlier."""
        if self._mentioned is None:  # the analyst's own order: judgement by judgement, rests_on in order
            self._mentioned = {}
            for section in self._rank_by:
                for j in self.judgements(section):
                    for eid in j.rests_on:
                        self._mentioned.setdefault(eid, len(self._mentioned))
        mentioned = self._mentioned
        last = len(mentioned)
        return sorted(items, key=lambda e: (tuple(-n for n in self.weight(e)), mentioned.get(e.id, last),
                                            self.level(e).rank, e.date, e.id))

    def select(self, items: Iterable[Evidence], limit: int = 0) -> Selection:
        """The `limit` claims that matter most (see `ranked`), in that order; all of them when limit is 0."""
        listed = list(items)
        if not limit or limit >= len(listed):
            return Selection(tuple(listed), 0)
        return Selection(tuple(self.ranked(listed)[:limit]), len(listed) - limit)

    def item(self, eid: str) -> Evidence | None:
        """One claim by id."""
        return self._ws.item(eid)

    def actors(self, item: Evidence, role: str) -> list[str]:
        """The names of a claim's actors in a role."""
        return [a.name for a in item.actors if a.role == role]

    def citations(self, item: Evidence) -> list[CitedSource]:
        """A claim's sources with their locators and the figures each reports (figures citing others last)."""
        out = [CitedSource(c, self._ws.source(c.source), tuple(f for f in item.figures if f.source == c.source))
               for c in item.sources]
        cited = set(item.source_ids)
        for sid in dict.fromkeys(f.source for f in item.figures if f.source not in cited):
            out.append(CitedSource(Citation(sid), self._ws.source(sid),
                                   tuple(f for f in item.figures if f.source == sid)))
        return out

    def by_level(self) -> list[tuple[Level, list[Evidence]]]:
        """Every claim grouped by confidence level, in scale order (most confident first), then by date."""
        return [(lv, [e for e in self.evidence if self.level(e).key == lv.key]) for lv in self.levels]

    def origins(self, item: Evidence) -> int:
        """How many independent origins a claim rests on."""
        return len(origins(self._ws, item))

    def disinterested_origins(self, item: Evidence) -> int:
        """How many of a claim's origins have no stake in the matter."""
        return len(disinterested(self._ws, origins(self._ws, item)))

    # -- attribution, provenance and retractions ---------------------------------------------
    def is_allegation(self, item: Evidence) -> bool:
        """True for an allegation: a claim in the alleged section, or one that someone disputes."""
        return bool(item.disputes) or self.section_of(item) == "alleged"

    def attribution(self, item: Evidence) -> Attribution:
        """Who alleges a claim (its `alleged_by`; else its actors with role accuser; else its interested
        origins' publishers; else its origins, as "reported") and who disputes it; empty unless the claim
        is an allegation (see is_allegation)."""
        if not self.is_allegation(item):
            return Attribution()
        disputed = tuple(dict.fromkeys(d.by for d in item.disputes))
        accusers = item.alleged_by or tuple(dict.fromkeys(self.actors(item, "accuser")))
        if accusers:
            return Attribution(accusers, disputed)
        # (an origin is always a known source: `roots` follows only ids that resolve)
        ors = [s for o in sorted(origins(self._ws, item, retracted=True)) if (s := self._ws.source(o))]
        # The party itself (its publisher), not the channel it published through (a blog or outlet name).
        interested = tuple(dict.fromkeys(o.publisher or source_name(o) for o in ors if o.interested))
        if interested:
            return Attribution(interested, disputed)
        return Attribution(tuple(dict.fromkeys(source_name(o) for o in ors)), disputed, "reported")

    def combined_attribution(self, items: Iterable[Evidence]) -> Attribution:
        """One attribution for several claims (a figure row, a chart): every accuser and disputer, once;
        "alleged" when any of them is alleged, else "reported"."""
        parts = [a for a in (self.attribution(e) for e in items) if a]
        verb = "alleged" if any(a.verb == "alleged" for a in parts) or not parts else "reported"
        return Attribution(tuple(dict.fromkeys(n for a in parts for n in a.alleged_by)),
                           tuple(dict.fromkeys(n for a in parts for n in a.disputed_by)), verb)

    def origin_sources(self, item: Evidence) -> list[Source]:
        """The origins a claim's cited sources trace to (retracted ones included), in sources.yaml order."""
        ids = origins(self._ws, item, retracted=True)
        return [s for s in self.sources if s.id in ids]

    def relays(self, source_id: str) -> list[Source]:
        """The origins a source merely relays, following `derived_from` to the roots (empty for an origin)."""
        ids = roots(self._ws, source_id) - {source_id}
        return [s for s in self.sources if s.id in ids]

    def retracted(self, source_id: str) -> str:
        """Why a reader must not rely on a source: 'Retracted on 4 March 2026: reason', or 'Relays a
        retracted source: …'; empty when neither. For flagging a figure or a reference."""
        src = self._ws.source(source_id)
        if src is None:
            return ""
        if src.retracted:
            return retraction_text(src)
        gone = retracted_list(self._ws, sorted(chain(self._ws, source_id) - {source_id}))
        return f"Relays {gone}" if gone else ""

    def retraction_note(self, item: Evidence) -> str:
        """The caveat for a claim resting on a retracted source (cited, for a figure, or relayed); else empty."""
        return retraction_note(self._ws, item)

    def judgement_caveats(self, judgement: Judgement) -> list[str]:
        """One caveat per claim a judgement rests on that itself rests on a retracted source."""
        out = []
        for e in self.rests_on(judgement):
            gone = retracted_list(self._ws, retracted_behind(self._ws, e))
            if gone:
                who = self.attribution(e)
                out.append(f"Rests on “{e.title}” ({self.level(e).label.lower()}{'; ' + who.text if who else ''}),"
                           f" which rests on {gone}.")
        return out

    # -- figures ---------------------------------------------------------------------------
    def figures(self, metric: str = "", actor: str = "") -> list[tuple[Figure, Evidence]]:
        """Every figure, with its claim, optionally for one metric or actor."""
        return [(f, e) for e in self.evidence for f in e.figures
                if (not metric or f.metric == metric) and (not actor or f.actor.casefold() == actor.casefold())]

    def metric(self, mid: str) -> Metric:
        """A metric's declaration (`label`, `unit`); undeclared metrics get a label made from the id."""
        return self._ws.metric(mid)

    def unit(self, fig: Figure) -> str:
        """A figure's unit: its own, else its metric's."""
        return self._ws.figure_unit(fig)

    def key_figures(self, metrics: Sequence[str] = ()) -> list[FigureRow]:
        """Figures grouped by actor and metric, largest first; equal values from several sources are one."""
        rows: dict[tuple[str, str], dict[float, list[tuple[Figure, Evidence]]]] = {}
        first: dict[tuple[str, str], str] = {}
        for f, e in self.figures():
            if metrics and f.metric not in metrics:
                continue
            key = (f.actor.casefold(), f.metric)
            first.setdefault(key, f.actor)
            bucket = rows.setdefault(key, {}).setdefault(float(f.value), [])
            if not any(g.source == f.source for g, _ in bucket):
                bucket.append((f, e))
        out = []
        for (who, m), by_value in rows.items():
            entries = []
            for value, pairs in by_value.items():
                gone = all(discredited(self._ws, f.source) for f, _ in pairs)
                entries.append(FigureValue(value, any(f.approx for f, _ in pairs), tuple(pairs), gone))
            entries.sort(key=lambda v: (v.retracted, v.value))  # smallest first, as the chart draws them
            metric = self.metric(m)
            unit = self.unit(entries[0].figures[0][0])
            out.append(FigureRow(first[(who, m)], m, metric.label, unit, tuple(entries)))
        order = {m: i for i, m in enumerate(metrics)} if metrics else {}
        return sorted(out, key=lambda r: (order.get(r.metric, len(order)), r.metric, r.retracted, -r.top, r.actor))

    def largest(self, metrics: Sequence[str] = (), n: int = 3) -> list[FigureRow]:
        """The n largest figures of one metric (the first listed that has any): a ranking never mixes units."""
        rows = [r for r in self.key_figures(metrics) if not r.retracted]
        if not rows:
            return []
        return [r for r in rows if r.metric == rows[0].metric][:n]

    def conflicts(self) -> list[FigureRow]:
        """Figure rows on which sources disagree."""
        return [r for r in self.key_figures() if r.disputed]

    # -- judgements and sources -------------------------------------------------------------
    def judgements(self, name: str) -> list[Judgement]:
        """The analysis judgements of a section (e.g. 'implications'), for this audience."""
        return [j for j in self._ws.judgements(name) if not j.audiences or self._audience in j.audiences]

    def judgement(self, jid: str) -> Judgement | None:
        """One judgement by id (of any section), if it is meant for this audience."""
        return next((j for _, js in self._ws.analysis for j in js
                     if j.id == jid and (not j.audiences or self._audience in j.audiences)), None)

    def rests_on(self, judgement: Judgement) -> list[Evidence]:
        """The claims a judgement rests on."""
        return [e for e in (self._ws.item(i) for i in judgement.rests_on) if e]

    def source(self, sid: str) -> Source | None:
        """One source by id."""
        return self._ws.source(sid)

    def cited_sources(self) -> list[Source]:
        """The sources at least one claim cites, in sources.yaml order."""
        cited = {sid for e in self.evidence for sid in e.source_ids} | {f.source for e in self.evidence
                                                                          for f in e.figures}
        return [s for s in self.sources if s.id in cited]

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


def _flat(values: Iterable[Any]) -> list[str]:
    """Tags given as arguments, lists of tags, or both."""
    out: list[str] = []
    for v in values:
        out.extend([v] if isinstance(v, str) else _flat(v))
    return out


# -- filters: these return Markup, so the escaping finalize lets them through --------------------
def cite(value: Any) -> Markup:
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
    return confidence_style_name(level)


def label_markup(level: Level) -> Markup:
    """A confidence tag: a span the PDF draws in the level's colour and the DOCX styles."""
    return Markup(f'[{escape(level.label)}]{{.confidence level="{attr(level.key)}" color="{attr(level.color)}"'
                  f' custom-style="{attr(style_name(level))}"}}')


def disputed_markup(by: str) -> Markup:
    """A 'Disputed by …' tag."""
    return Markup(f'[Disputed by {escape(by)}]{{.disputed custom-style="Disputed"}}')
