"""The typed evidence model: every stage after loading works on these frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


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
    key_pos: tuple[tuple[str, Pos], ...] = field(default=(), compare=False)  # where each key is written

    def at(self, key: str) -> Pos:
        """Where a key of briefing.yaml is written (line 1 when the key is absent)."""
        return dict(self.key_pos).get(key, Pos(self.pos.path))


def _walk(sources: Mapping[str, Source], start: str, *, stop_retracted: bool, roots: bool) -> frozenset[str]:
    """The origins (roots=True) or the whole chain a source relays; iterative and cycle-safe."""
    seen: set[str] = set()
    stack, out = [start], set()
    while stack:
        sid = stack.pop()
        if sid in seen:
            continue
        src = sources.get(sid)
        if not roots:
            if src is not None:
                seen.add(sid)
                stack.extend(src.derived_from)
            continue
        seen.add(sid)
        if stop_retracted and src and src.retracted:
            continue
        parents = [p for p in (src.derived_from if src else ()) if p in sources]
        if parents:
            stack.extend(parents)
        else:
            out.add(sid)
    if not roots:
        return frozenset(seen)
    return frozenset(out or ({start} if not stop_retracted else ()))


@dataclass(frozen=True)
class SourceGraph:
    """Each source's origins and relay chain, computed once when the workspace is made."""

    roots: Mapping[str, frozenset[str]]  # through retracted sources too
    live_roots: Mapping[str, frozenset[str]]  # a retracted source cuts its chain
    chains: Mapping[str, frozenset[str]]  # the source and everything it relays

    @classmethod
    def of(cls, sources: Mapping[str, Source]) -> SourceGraph:
        """The graph of a workspace's sources (keyed as the workspace's lookups are)."""
        return cls(
            roots=MappingProxyType({s: _walk(sources, s, stop_retracted=False, roots=True) for s in sources}),
            live_roots=MappingProxyType({s: _walk(sources, s, stop_retracted=True, roots=True) for s in sources}),
            chains=MappingProxyType({s: _walk(sources, s, stop_retracted=False, roots=False) for s in sources}))

    @staticmethod
    def walk(sources: Mapping[str, Source], start: str, *, retracted: bool, roots: bool) -> frozenset[str]:
        """The same walk for an id the graph does not hold (an unknown source)."""
        return _walk(sources, start, stop_retracted=not retracted, roots=roots)


@dataclass(frozen=True)
class WorkspaceIndex:
    """Lookups by id, built once with the workspace: read-only mappings, never filled later."""

    sources: Mapping[str, Source]
    evidence: Mapping[str, Evidence]
    metrics: Mapping[str, Metric]
    graph: SourceGraph
    built_from: tuple[tuple[Source, ...], tuple[Evidence, ...], tuple[Metric, ...]]  # the entries indexed

    @classmethod
    def of(cls, sources: tuple[Source, ...], evidence: tuple[Evidence, ...], metrics: tuple[Metric, ...]
           ) -> WorkspaceIndex:
        """The index of these entries; the last of a duplicated id wins, as a dict built in order would."""
        by_id = {s.id: s for s in sources}
        return cls(MappingProxyType(by_id), MappingProxyType({e.id: e for e in evidence}),
                   MappingProxyType({m.id: m for m in metrics}), SourceGraph.of(by_id), (sources, evidence, metrics))

    def indexes(self, ws: Workspace) -> bool:
        """True when this index was built from the workspace's own entries (not those of a copy it came from)."""
        mine = self.built_from
        return mine[0] is ws.sources and mine[1] is ws.evidence and mine[2] is ws.metrics


@dataclass(frozen=True)
class Workspace:
    """Everything loaded from one workspace folder. Make one with `Workspace.make`, which builds its index."""

    root: str
    meta: Meta
    scale: Scale
    sources: tuple[Source, ...]
    evidence: tuple[Evidence, ...]
    analysis: tuple[tuple[str, tuple[Judgement, ...]], ...] = ()
    charts: tuple[ChartSpec, ...] = ()
    metrics: tuple[Metric, ...] = ()
    index: WorkspaceIndex | None = field(default=None, compare=False, repr=False)
    # Each loaded file's lines (path relative to the workspace -> lines), read once at load, so a check
    # that points into a value's text (a TODO, a word) never reads the file again.
    lines: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}), compare=False,
                                                 repr=False)

    @classmethod
    def make(cls, root: str, meta: Meta, scale: Scale, sources: tuple[Source, ...], evidence: tuple[Evidence, ...],
             analysis: tuple[tuple[str, tuple[Judgement, ...]], ...] = (), charts: tuple[ChartSpec, ...] = (),
             metrics: tuple[Metric, ...] = (), lines: Mapping[str, tuple[str, ...]] | None = None) -> Workspace:
        """A workspace with its index built from these entries."""
        return cls(root=root, meta=meta, scale=scale, sources=sources, evidence=evidence, analysis=analysis,
                   charts=charts, metrics=metrics, index=WorkspaceIndex.of(sources, evidence, metrics),
                   lines=MappingProxyType(dict(lines or {})))

    def with_evidence(self, evidence: tuple[Evidence, ...]) -> Workspace:
        """The same workspace with other evidence (the capped view), its index rebuilt."""
        return Workspace.make(self.root, self.meta, self.scale, self.sources, evidence, self.analysis,
                              self.charts, self.metrics, self.lines)

    @property
    def idx(self) -> WorkspaceIndex:
        """The index built by `make`. A workspace made otherwise (by hand, or `dataclasses.replace` of other
        entries) gets a fresh one on each call, never stored: correct, but slow; the loader uses `make`."""
        if self.index is not None and self.index.indexes(self):
            return self.index
        return WorkspaceIndex.of(self.sources, self.evidence, self.metrics)

    def source(self, sid: str) -> Source | None:
        """Look a source up by id."""
        return self.idx.sources.get(sid)

    def item(self, eid: str) -> Evidence | None:
        """Look an evidence item up by id."""
        return self.idx.evidence.get(eid)

    def metric(self, mid: str) -> Metric:
        """The declared metric, or one made from the id (a workspace need not declare its metrics)."""
        found = self.idx.metrics.get(mid)
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
