"""The typed evidence model: every stage after loading works on these frozen dataclasses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Pos:
    """Where a value came from: file path (relative to the workspace) and 1-based line/column."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Level:
    """One step of the confidence scale."""

    key: str
    label: str
    meaning: str
    color: str
    section: str  # documented | alleged | not_shown
    min_origins: int = 0
    min_disinterested: int = 0
    rank: int = 0  # 0 is the most confident
    likelihood: tuple[str, ...] = ()  # the likelihood terms (ICD 203) whose use fits this level


@dataclass(frozen=True)
class Scale:
    """The ordered confidence scale, most confident first."""

    name: str
    anchor: str
    levels: tuple[Level, ...]
    # Estimative language (briefing.wording): words that state a thing as settled, the least
    # confident level allowed to use them, and every likelihood term the check recognises.
    categorical: tuple[str, ...] = ()
    categorical_from: str = ""
    likelihood: tuple[str, ...] = ()

    def get(self, key: str) -> Level | None:
        """Return the level with this key, or None."""
        return next((lv for lv in self.levels if lv.key == key), None)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(lv.key for lv in self.levels)


@dataclass(frozen=True)
class Name:
    """A CSL name: either family/given or a literal (an organisation)."""

    family: str = ""
    given: str = ""
    literal: str = ""

    def __str__(self) -> str:
        if self.literal:
            return self.literal
        return " ".join(p for p in (self.given, self.family) if p)


@dataclass(frozen=True)
class Source:
    """A cited document. Field names follow CSL; `kind`, `interested`, `derived_from` are ours."""

    id: str
    title: str
    kind: str
    csl_type: str = "webpage"
    container_title: str = ""
    publisher: str = ""
    authors: tuple[Name, ...] = ()
    issued: str = ""  # ISO date, possibly partial (2026, 2026-02-23), a range a/b, or literal:text
    url: str = ""
    interested: bool = False
    derived_from: tuple[str, ...] = ()
    retracted: str = ""  # empty, or the reason it was retracted or discredited
    retracted_on: str = ""  # ISO date of the retraction, possibly partial (only with `retracted`)
    note: str = ""
    extra: tuple[tuple[str, object], ...] = ()  # other CSL variables, passed through to citeproc
    pos: Pos = Pos("sources.yaml")

    @property
    def outlet(self) -> str:
        return self.container_title or self.publisher


@dataclass(frozen=True)
class Citation:
    """A claim's reference to a source, with an optional locator (a quote or a page)."""

    source: str
    locator: str = ""
    pos: Pos = Pos("")


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    pos: Pos = Pos("")


@dataclass(frozen=True)
class Figure:
    """A number a source reports: e.g. MiniMax, exchanges, 13,000,000 (approx), per source X."""

    metric: str
    actor: str
    value: float
    unit: str = ""
    approx: bool = False
    source: str = ""
    note: str = ""
    pos: Pos = Pos("")


@dataclass(frozen=True)
class Metric:
    """What a figure measures, declared once: the label and unit every table, ledger and chart prints."""

    id: str
    label: str
    unit: str = ""
    pos: Pos = Pos("")


@dataclass(frozen=True)
class Dispute:
    by: str
    text: str
    source: str = ""
    pos: Pos = Pos("")


@dataclass(frozen=True)
class Evidence:
    """One claim, from one file in evidence/."""

    id: str
    title: str
    claim: str
    date: str  # ISO date, possibly partial
    confidence: str
    sources: tuple[Citation, ...]
    actors: tuple[Actor, ...] = ()
    figures: tuple[Figure, ...] = ()
    disputes: tuple[Dispute, ...] = ()
    caveats: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    section: str = ""  # optional hint: documented | alleged | not_shown
    reason: str = ""  # why the confidence is what it is (required when it changes)
    event: str = ""  # short label when the claim is a dated event for the timeline
    alleged_by: tuple[str, ...] = ()  # who makes the claim, when its accuser actors are not (see Queries.attribution)
    pos: Pos = Pos("")
    key_pos: tuple[tuple[str, Pos], ...] = field(default=(), compare=False)  # where each key is written

    @property
    def source_ids(self) -> tuple[str, ...]:
        return tuple(c.source for c in self.sources)


@dataclass(frozen=True)
class Judgement:
    """An analytic point (bottom line, why it matters, implication) and the evidence it rests on."""

    id: str
    text: str
    title: str = ""
    rests_on: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    pos: Pos = Pos("")
    key_pos: tuple[tuple[str, Pos], ...] = field(default=(), compare=False)  # where each key is written


@dataclass(frozen=True)
class ChartSpec:
    """A chart declared in the workspace; `kind` picks the drawing code, the rest is its data query."""

    id: str
    kind: str  # bar | timeline | confidence
    title: str
    caption: str = ""
    metrics: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    log_scale: bool = False
    pos: Pos = Pos("")


@dataclass(frozen=True)
class Meta:
    """briefing.yaml: what the title block prints."""

    title: str
    date: str
    edition: str
    marking: str
    subtitle: str = ""
    organisation: str = ""
    author: str = ""
    audience: str = "executive"
    pos: Pos = Pos("briefing.yaml")

    @property
    def date_value(self) -> dt.date:
        return dt.date.fromisoformat(self.date)


@dataclass(frozen=True)
class Workspace:
    """Everything loaded from one workspace folder, validated."""

    root: str
    meta: Meta
    scale: Scale
    sources: tuple[Source, ...]
    evidence: tuple[Evidence, ...]
    analysis: tuple[tuple[str, tuple[Judgement, ...]], ...] = ()
    charts: tuple[ChartSpec, ...] = ()
    metrics: tuple[Metric, ...] = ()
    _index: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def source(self, sid: str) -> Source | None:
        """Look a source up by id."""
        idx: dict[str, Source] | None = self._index.get("sources")
        if idx is None:  # not setdefault: its argument would rebuild the index on every call
            idx = self._index["sources"] = {s.id: s for s in self.sources}
        return idx.get(sid)

    def item(self, eid: str) -> Evidence | None:
        """Look an evidence item up by id."""
        idx: dict[str, Evidence] | None = self._index.get("evidence")
        if idx is None:
            idx = self._index["evidence"] = {e.id: e for e in self.evidence}
        return idx.get(eid)

    def metric(self, mid: str) -> Metric:
        """The declared metric, or one made from the id (a workspace need not declare its metrics)."""
        idx: dict[str, Metric] | None = self._index.get("metrics")
        if idx is None:
            idx = self._index["metrics"] = {m.id: m for m in self.metrics}
        found = idx.get(mid)
        if found is not None:
            return found
        words = str(mid).replace("-", " ").replace("_", " ").strip()
        return Metric(str(mid), words[:1].upper() + words[1:])

    def figure_unit(self, fig: Figure) -> str:
        """A figure's unit: its own, else its metric's."""
        return str(fig.unit or "").strip() or self.metric(fig.metric).unit

    def judgements(self, section: str) -> tuple[Judgement, ...]:
        """The analysis judgements listed under a section name (e.g. 'implications')."""
        return dict(self.analysis).get(section, ())
