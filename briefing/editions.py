"""Recorded editions: what the evidence said when each edition went out, and what changed since.

`briefing publish` writes a snapshot of the evidence to editions/<N>.yaml (kept under version
control beside the evidence, never in out/). `briefing diff`, `briefing check` and the briefing's
"What changed" box all compare the workspace with a recorded edition through `compare`, so the
terminal and the document can never disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from .atomic import write_text
from .errors import BriefingError, Problem
from .model import Evidence, Level, Meta, Workspace
from .sourcing import cap_note, chain, effective_level
from .spec import DATE_RE
from .yamlsafe import Scalar, YList, YMap, load_file

EDITIONS_DIR = "editions"
_NUMBER = re.compile(r"^[0-9]+$")


# -- the snapshot ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureSnap:
    """A reported number as recorded: who, what, how much, and which source says so."""

    actor: str
    metric: str
    value: float
    source: str
    unit: str = ""
    approx: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies a figure across editions: actor (any case), metric and source."""
        return (self.actor.casefold(), self.metric, self.source)


@dataclass(frozen=True)
class ClaimSnap:
    """A claim as recorded: its declared and shown confidence, reason, sources, figures and content hash."""

    id: str
    title: str
    date: str
    confidence: str  # as declared
    shown: str  # the effective level: the declared one unless a retracted source caps it
    reason: str
    sources: tuple[str, ...]
    figures: tuple[FigureSnap, ...]
    hash: str


@dataclass(frozen=True)
class SourceSnap:
    """A source the evidence rested on, and whether it was retracted."""

    id: str
    title: str
    retracted: str = ""


@dataclass(frozen=True)
class JudgementSnap:
    """An analytic judgement and the claims it rested on."""

    id: str
    section: str
    title: str
    rests_on: tuple[str, ...]


@dataclass(frozen=True)
class Edition:
    """One recorded edition: its number, date and the evidence state (sorted by id)."""

    number: int
    date: str
    claims: tuple[ClaimSnap, ...]
    sources: tuple[SourceSnap, ...]
    judgements: tuple[JudgementSnap, ...]
    path: str = ""

    @property
    def state(self) -> tuple:
        """What `compare` can report, so publishing is refused exactly when `diff` would say "none"."""
        return (self.claims, tuple((s.id, s.retracted) for s in self.sources),
                tuple((j.id, tuple(sorted(set(j.rests_on)))) for j in self.judgements))


def content_hash(item: Evidence) -> str:
    """A digest of everything a claim says (not its file layout or comments)."""
    data = {
        "title": item.title, "claim": item.claim, "date": item.date, "confidence": item.confidence,
        "sources": [[c.source, c.locator] for c in item.sources],
        "actors": [[a.name, a.role] for a in item.actors],
        "figures": [[f.metric, f.actor, f.value, f.unit, f.approx, f.source, f.note] for f in item.figures],
        "disputes": [[d.by, d.text, d.source] for d in item.disputes],
        "caveats": list(item.caveats), "tags": list(item.tags), "section": item.section,
        "reason": item.reason, "event": item.event,
    }
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def snapshot(ws: Workspace, number: int = 0, date: str = "") -> Edition:
    """The workspace's evidence state as an edition (levels are checked against the scale by `check`)."""
    claims = []
    for e in ws.evidence:
        shown = effective_level(ws, e)
        figures = tuple(sorted((FigureSnap(f.actor, f.metric, f.value, f.source, f.unit, f.approx)
                                for f in e.figures), key=_figure_order))
        claims.append(ClaimSnap(e.id, e.title, e.date, e.confidence, shown.key if shown else e.confidence,
                                e.reason, tuple(dict.fromkeys(e.source_ids)), figures, content_hash(e)))
    judgements = [JudgementSnap(j.id, section, j.title or _short(j.text), tuple(j.rests_on))
                  for section, items in ws.analysis for j in items]
    sources = [SourceSnap(s.id, s.title, s.retracted) for s in ws.sources if s.id in _rested_on(ws)]
    return Edition(number, date, tuple(sorted(claims, key=lambda c: c.id)),
                   tuple(sorted(sources, key=lambda s: s.id)),
                   tuple(sorted(judgements, key=lambda j: (j.id, j.section))))


def _figure_order(f: FigureSnap):
    return (f.actor.casefold(), f.metric, f.source, f.value)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _rested_on(ws: Workspace) -> set[str]:
    """Every source the evidence cites (for a claim, figure or dispute) or relays through a cited one."""
    cache = ws._index.get("rested_on")
    if cache is None:
        cited = {sid for e in ws.evidence for sid in
                 (*e.source_ids, *(f.source for f in e.figures), *(d.source for d in e.disputes if d.source))}
        cache = set().union(*(chain(ws, sid) for sid in cited))
        ws._index["rested_on"] = cache
    return cache


# -- reading and writing editions/<N>.yaml -----------------------------------------------------------


def recorded(root: Path) -> dict[int, Path]:
    """The recorded editions by number (files editions/<N>.yaml; other files are ignored)."""
    folder = Path(root) / EDITIONS_DIR
    if not folder.is_dir():
        return {}
    out: dict[int, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".yml") and _NUMBER.match(path.stem) and path.is_file():
            n = int(path.stem)
            if n in out:
                raise BriefingError(f"edition {n} is recorded twice ({out[n].name} and {path.name}); remove one",
                                    _rel(root, path))
            out[n] = path
    return out


def _rel(root: Path, path: Path) -> str:
    return Path(path).relative_to(root).as_posix() if Path(path).is_relative_to(root) else str(path)


def to_yaml(ed: Edition) -> str:
    """The text of editions/<N>.yaml: a header, then sorted, block-style YAML."""

    def dump(data) -> str:
        # Keys in the fixed order built below (id first, for readable reviews), lists sorted by id;
        # lists of plain values (ids, figures) stay on one line.
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)

    claims = []
    for c in ed.claims:
        d = {"id": c.id, "title": c.title, "date": c.date, "confidence": c.confidence}
        if c.shown != c.confidence:
            d["capped_to"] = c.shown
        d.update({"reason": c.reason, "sources": list(c.sources), "hash": c.hash})
        if c.figures:
            d["figures"] = [{"actor": f.actor, "metric": f.metric, "value": f.value, "source": f.source,
                             **({"unit": f.unit} if f.unit else {}), **({"approx": True} if f.approx else {})}
                            for f in c.figures]
        claims.append(d)
    sources = [{"id": s.id, "title": s.title, **({"retracted": s.retracted} if s.retracted else {})}
               for s in ed.sources]
    judgements = [{"id": j.id, "section": j.section, "title": j.title, "rests_on": list(j.rests_on)}
                  for j in ed.judgements]
    header = (f"# Edition {ed.number}, recorded by `briefing publish`: the evidence as this edition stated it.\n"
              "# `briefing diff` and the briefing's \"What changed\" box compare against it. Keep it under\n"
              "# version control and do not edit it by hand.\n")
    return header + f"edition: {ed.number}\n" + yaml.safe_dump({"date": ed.date}, default_flow_style=False) \
        + dump({"claims": claims}) + dump({"sources": sources}) + dump({"judgements": judgements})


class _Reader:
    """Converts a parsed edition file, raising a one-line error with file and line on the first fault."""

    def __init__(self, rel: str):
        self.rel = rel

    def fail(self, node, message: str):
        pos = getattr(node, "pos", None)
        raise BriefingError(f"{message} (a corrupt edition record; restore it from version control)", self.rel,
                            pos.line if pos else 1, pos.column if pos else 1)

    def map(self, node, what: str) -> YMap:
        if not isinstance(node, YMap):
            self.fail(node, f"{what} must be a mapping")
        return node

    def list(self, m: YMap, key: str, required: bool = True) -> YList:
        node = m.get(key)
        if node is None and not required:
            return YList()
        if not isinstance(node, YList):
            self.fail(node if node is not None else m, f"'{key}' must be a list")
        return node

    def text(self, m: YMap, key: str, required: bool = True) -> str:
        node = m.get(key)
        if node is None and not required:
            return ""
        if not isinstance(node, Scalar) or node.is_null or isinstance(node.value, (bool, list, dict)):
            self.fail(node if node is not None else m, f"'{key}' must be text")
        v = node.value
        return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else (node.raw if node.quoted else str(v))

    def number(self, m: YMap, key: str) -> float:
        node = m.get(key)
        if not isinstance(node, Scalar) or isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            self.fail(node if node is not None else m, f"'{key}' must be a number")
        return node.value

    def ids(self, m: YMap, key: str) -> tuple[str, ...]:
        node = self.list(m, key, required=False)
        out = []
        for x in node:
            if not isinstance(x, Scalar) or x.is_null:
                self.fail(x, f"'{key}' must list ids")
            out.append(str(x.value) if not x.quoted else x.raw)
        return tuple(out)


def read_edition(root: Path, number: int, path: Path | None = None) -> Edition:
    """Read editions/<N>.yaml; a corrupt file is a BriefingError naming its file and line."""
    path = path or recorded(root).get(number)
    if path is None:
        raise BriefingError(f"edition {number} is not recorded", f"{EDITIONS_DIR}/{number}.yaml")
    rel = _rel(root, path)
    tree, problems = load_file(path, rel)
    if problems:
        p = problems[0]
        raise BriefingError(p.message, p.path, p.line, p.column)
    r = _Reader(rel)
    top = r.map(tree, "the edition record")
    node = top.get("edition")
    if not isinstance(node, Scalar) or isinstance(node.value, bool) or not isinstance(node.value, int):
        r.fail(node if node is not None else top, "'edition' must be a whole number")
    if node.value != number:
        r.fail(node, f"the file records edition {node.value}, but its name says {number}")
    claims = []
    for c in r.list(top, "claims"):
        c = r.map(c, "a claim")
        figures = []
        for f in r.list(c, "figures", required=False):
            f = r.map(f, "a figure")
            approx = f.get("approx")
            figures.append(FigureSnap(r.text(f, "actor"), r.text(f, "metric"), r.number(f, "value"),
                                      r.text(f, "source"), r.text(f, "unit", False),
                                      bool(isinstance(approx, Scalar) and approx.value is True)))
        conf = r.text(c, "confidence")
        claims.append(ClaimSnap(r.text(c, "id"), r.text(c, "title"), r.text(c, "date", False), conf,
                                r.text(c, "capped_to", False) or conf, r.text(c, "reason", False),
                                r.ids(c, "sources"), tuple(sorted(figures, key=_figure_order)), r.text(c, "hash")))
    sources = [SourceSnap(r.text(s, "id"), r.text(s, "title", False), r.text(s, "retracted", False))
               for s in (r.map(x, "a source") for x in r.list(top, "sources"))]
    judgements = [JudgementSnap(r.text(j, "id"), r.text(j, "section"), r.text(j, "title", False), r.ids(j, "rests_on"))
                  for j in (r.map(x, "a judgement") for x in r.list(top, "judgements", required=False))]
    date = r.text(top, "date")
    if not _valid_date(date):
        r.fail(top.get("date"), f"'date': `{date}` is not a date like 2026-06-30")
    return Edition(number, date, tuple(sorted(claims, key=lambda c: c.id)),
                   tuple(sorted(sources, key=lambda s: s.id)),
                   tuple(sorted(judgements, key=lambda j: (j.id, j.section))), rel)


def edition_number(meta: Meta) -> int | None:
    """briefing.yaml's edition as a number, or None when it is not a whole number."""
    text = str(meta.edition).strip()
    return int(text) if _NUMBER.match(text) else None


def baseline(ws: Workspace) -> Edition | None:
    """The edition the briefing reports changes against: the latest recorded before the current one."""
    root = Path(ws.root)
    numbers = sorted(recorded(root))
    if not numbers:
        return None
    current = edition_number(ws.meta)
    if current is not None and current in numbers:
        # The current edition is already on record: compare with the one before it.
        earlier = [n for n in numbers if n < current]
        return read_edition(root, earlier[-1]) if earlier else None
    return read_edition(root, numbers[-1])


# -- what changed ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimEntry:
    """A new or removed claim, with the level it is (or was) shown at."""

    id: str
    title: str
    date: str
    level_key: str
    level: Level | None  # None when the current scale no longer has the key
    figures: tuple[FigureSnap, ...] = ()

    @property
    def label(self) -> str:
        """The level's label, or its key when the scale no longer has it."""
        return self.level.label if self.level else self.level_key


@dataclass(frozen=True)
class Move:
    """A claim whose shown confidence moved: old and new level, and the reason it gives."""

    id: str
    title: str
    date: str
    old_key: str
    new_key: str
    old: Level | None
    new: Level | None
    reason: str

    @property
    def up(self) -> bool | None:
        """True for an upgrade, False for a downgrade, None when a level is not on the current scale."""
        if self.old is None or self.new is None:
            return None
        return self.new.rank < self.old.rank

    @property
    def old_label(self) -> str:
        """The old level's label (or key)."""
        return self.old.label if self.old else self.old_key

    @property
    def new_label(self) -> str:
        """The new level's label (or key)."""
        return self.new.label if self.new else self.new_key


@dataclass(frozen=True)
class FigureChange:
    """A figure whose reported value changed (old or new is empty when it was added or dropped)."""

    claim_id: str
    claim_title: str
    actor: str
    metric: str
    source: str
    unit: str
    approx: bool
    old: tuple[float, ...]
    new: tuple[float, ...]


@dataclass(frozen=True)
class Edited:
    """A claim whose content changed in another way (text, sources, caveats, disputes…)."""

    id: str
    title: str


@dataclass(frozen=True)
class SourceEntry:
    """A source the evidence newly rests on, no longer rests on, or that was retracted or reinstated."""

    id: str
    title: str
    retracted: str = ""
    outlet: str = ""  # the outlet or publisher, when the workspace still defines the source


@dataclass(frozen=True)
class JudgementEntry:
    """A judgement that is new, gone, or rests on evidence that changed (`because`: those claims)."""

    id: str
    section: str
    title: str
    because: tuple[str, ...] = ()


@dataclass(frozen=True)
class Changes:
    """What changed since a recorded edition: the one result behind `briefing diff`, `check` and the box."""

    since: int
    since_date: str
    since_path: str
    new_claims: tuple[ClaimEntry, ...] = ()
    removed_claims: tuple[ClaimEntry, ...] = ()
    upgrades: tuple[Move, ...] = ()
    downgrades: tuple[Move, ...] = ()
    other_moves: tuple[Move, ...] = ()  # levels the current scale cannot rank
    figures: tuple[FigureChange, ...] = ()
    edited: tuple[Edited, ...] = ()
    new_sources: tuple[SourceEntry, ...] = ()
    removed_sources: tuple[SourceEntry, ...] = ()
    retracted_sources: tuple[SourceEntry, ...] = ()
    reinstated_sources: tuple[SourceEntry, ...] = ()
    new_judgements: tuple[JudgementEntry, ...] = ()
    removed_judgements: tuple[JudgementEntry, ...] = ()
    review: tuple[JudgementEntry, ...] = ()

    @property
    def moves(self) -> tuple[Move, ...]:
        """Every confidence move: upgrades, then downgrades, then unrankable ones."""
        return self.upgrades + self.downgrades + self.other_moves

    @property
    def new_outlets(self) -> tuple[str, ...]:
        """The outlets or publishers of the new sources, each once, sorted."""
        return tuple(sorted({s.outlet for s in self.new_sources if s.outlet}, key=str.casefold))

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not any(getattr(self, name) for name, _ in GROUPS)

    @property
    def items(self) -> tuple[str, ...]:
        """Every change as one plain-text line, grouped and in a stable order."""
        return tuple(line for _, lines in self.groups() for line in lines)

    def groups(self) -> list[tuple[str, list[str]]]:
        """The non-empty groups as (heading, plain-text lines)."""
        return [(heading, [_line(name, x) for x in getattr(self, name)])
                for name, heading in GROUPS if getattr(self, name)]

    def summary(self) -> str:
        """One line of counts."""
        if self.empty:
            return f"no change since edition {self.since}"
        parts = [f"{len(getattr(self, name))} {short}" for name, short in SUMMARY if getattr(self, name)]
        return ", ".join(parts)


# (field, heading) in the order a reader wants them.
GROUPS = (
    ("new_claims", "New claims"), ("removed_claims", "Removed claims"),
    ("upgrades", "Confidence upgrades"), ("downgrades", "Confidence downgrades"),
    ("other_moves", "Other confidence changes"), ("figures", "Changed figures"),
    ("edited", "Claims revised in other ways"), ("new_sources", "New sources"),
    ("removed_sources", "Sources no longer cited"), ("retracted_sources", "Retracted sources"),
    ("reinstated_sources", "Sources no longer retracted"), ("new_judgements", "New judgements"),
    ("removed_judgements", "Removed judgements"), ("review", "Judgements whose evidence changed"),
)
SUMMARY = (
    ("new_claims", "new claim(s)"), ("removed_claims", "removed claim(s)"), ("upgrades", "upgrade(s)"),
    ("downgrades", "downgrade(s)"), ("other_moves", "other confidence change(s)"), ("figures", "changed figure(s)"),
    ("edited", "revised claim(s)"), ("new_sources", "new source(s)"), ("removed_sources", "source(s) dropped"),
    ("retracted_sources", "retracted source(s)"), ("reinstated_sources", "reinstated source(s)"),
    ("new_judgements", "new judgement(s)"), ("removed_judgements", "removed judgement(s)"),
    ("review", "judgement(s) to review"),
)


def compare(old: Edition, new: Edition, ws: Workspace) -> Changes:
    """What changed from `old` to `new` (levels resolved on ws's scale); linear in the size of both."""
    scale = ws.scale
    before = {c.id: c for c in old.claims}
    after = {c.id: c for c in new.claims}
    by_date = lambda c: (c.date, c.id)  # noqa: E731 - the order claims are listed in

    def entry(c: ClaimSnap) -> ClaimEntry:
        return ClaimEntry(c.id, c.title, c.date, c.shown, scale.get(c.shown), c.figures)

    added = [entry(c) for c in sorted(new.claims, key=by_date) if c.id not in before]
    removed = [entry(c) for c in sorted(old.claims, key=by_date) if c.id not in after]
    ups, downs, others, figures, edited = [], [], [], [], []
    changed: set[str] = {c.id for c in added} | {c.id for c in removed}
    current = {e.id: e for e in ws.evidence}
    for c in sorted(new.claims, key=by_date):
        o = before.get(c.id)
        if o is None or o.hash == c.hash and o.shown == c.shown:
            continue
        changed.add(c.id)
        moved = o.shown != c.shown
        if moved:
            e = current.get(c.id)
            reason = " ".join(x for x in (c.reason if c.confidence != o.confidence else "",
                                          cap_note(ws, e) if e else "") if x) or c.reason
            m = Move(c.id, c.title, c.date, o.shown, c.shown, scale.get(o.shown), scale.get(c.shown), reason)
            (ups if m.up else downs if m.up is False else others).append(m)
        fig = _figure_changes(o, c)
        figures += fig
        if not moved and not fig:
            edited.append(Edited(c.id, c.title))
    src_before = {s.id: s for s in old.sources}
    src_after = {s.id: s for s in new.sources}

    def source(s: SourceSnap) -> SourceEntry:
        known = ws.source(s.id)
        return SourceEntry(s.id, s.title, s.retracted, known.outlet if known else "")

    new_sources = [source(s) for s in new.sources if s.id not in src_before]
    gone_sources = [source(s) for s in old.sources if s.id not in src_after]
    retracted = [source(s) for s in new.sources
                 if s.retracted and not (src_before.get(s.id) and src_before[s.id].retracted)]
    reinstated = [source(s) for s in new.sources
                  if not s.retracted and src_before.get(s.id) and src_before[s.id].retracted]
    j_before = {j.id: j for j in old.judgements}
    j_after = {j.id: j for j in new.judgements}
    new_j = [JudgementEntry(j.id, j.section, j.title) for j in new.judgements if j.id not in j_before]
    gone_j = [JudgementEntry(j.id, j.section, j.title) for j in old.judgements if j.id not in j_after]
    review = []
    for j in new.judgements:
        o = j_before.get(j.id)
        if o is None:
            continue
        because = (set(j.rests_on) ^ set(o.rests_on)) | {eid for eid in j.rests_on if eid in changed}
        if because:
            review.append(JudgementEntry(j.id, j.section, j.title, tuple(sorted(because))))
    return Changes(old.number, old.date, old.path, tuple(added), tuple(removed), tuple(ups), tuple(downs),
                   tuple(others), tuple(figures), tuple(edited), tuple(new_sources), tuple(gone_sources),
                   tuple(retracted), tuple(reinstated), tuple(new_j), tuple(gone_j), tuple(review))


def _figure_changes(old: ClaimSnap, new: ClaimSnap) -> list[FigureChange]:
    """Figures of one claim whose values differ, matched by actor, metric and source."""
    def values(c: ClaimSnap) -> dict[tuple, list[FigureSnap]]:
        out: dict[tuple, list[FigureSnap]] = defaultdict(list)
        for f in c.figures:
            out[f.key].append(f)
        return out

    a, b = values(old), values(new)
    out = []
    for key in sorted(a.keys() | b.keys()):
        va = tuple(sorted(f.value for f in a.get(key, ())))
        vb = tuple(sorted(f.value for f in b.get(key, ())))
        if va != vb:
            f = (b.get(key) or a.get(key))[0]
            out.append(FigureChange(new.id, new.title, f.actor, f.metric, f.source, f.unit, f.approx, va, vb))
    return out


def _num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,}"


def _values(vs: tuple[float, ...]) -> str:
    return " and ".join(_num(v) for v in vs) if vs else "none"


def _line(group: str, x) -> str:
    """One plain-text line for an entry of a group (the terminal diff and `Changes.items`)."""
    if group in ("new_claims", "removed_claims"):
        return f"{x.id}: {x.title} [{x.label}]"
    if group in ("upgrades", "downgrades", "other_moves"):
        return f"{x.id}: {x.old_label} -> {x.new_label}: {x.title}" + (f" (reason: {x.reason})" if x.reason else
                                                                          " (no reason given)")
    if group == "figures":
        return (f"{x.claim_id}: {x.actor}, {x.metric}, per {x.source}: {_values(x.old)} -> {_values(x.new)}")
    if group == "edited":
        return f"{x.id}: {x.title}"
    if group.endswith("_sources"):
        return f"{x.id}: {x.title}" + (f" (retracted: {x.retracted})" if x.retracted else "")
    because = f" (rests on changed: {', '.join(x.because)})" if x.because else ""
    return f"{x.id} ({x.section}): {x.title}{because}"


def changes_for(ws: Workspace) -> Changes | None:
    """The briefing's "What changed" content: the workspace against its baseline edition, or None."""
    base = baseline(ws)
    return compare(base, snapshot(ws), ws) if base else None


def review(ws: Workspace) -> list[Problem]:
    """`check`'s warnings: confidence moves without a fresh reason, and judgements resting on moved claims."""
    try:
        base = baseline(ws)
    except BriefingError as exc:
        return [Problem(exc.path or EDITIONS_DIR, exc.line or 1, exc.column or 1, "error", exc.message)]
    if base is None:
        return []
    before = {c.id: c for c in base.claims}
    moved: dict[str, str] = {}
    out = []
    for e in ws.evidence:
        o = before.get(e.id)
        if o is None:
            continue
        if e.confidence != o.confidence:
            what = f"confidence changed since edition {base.number} ('{o.confidence}' -> '{e.confidence}')"
            if not e.reason:
                out.append(Problem.at(e.pos, "warning", f"{what} but the claim gives no `reason`; say why it moved"))
            elif e.reason == o.reason:
                out.append(Problem.at(e.pos, "warning", f"{what} but its `reason` is still edition"
                                      f" {base.number}'s; say why it moved"))
        shown = effective_level(ws, e)
        if shown and shown.key != o.shown:
            moved[e.id] = f"{e.id} ({o.shown} -> {shown.key})"
    for _section, items in ws.analysis:
        for j in items:
            hits = [moved[eid] for eid in dict.fromkeys(j.rests_on) if eid in moved]
            if hits:
                out.append(Problem.at(j.pos, "warning", f"judgement '{j.id}' rests on evidence whose confidence"
                                      f" changed since edition {base.number}: {', '.join(hits)}; review it"))
    return out


# -- commands --------------------------------------------------------------------------------------------


def _key_line(path: Path, key: str) -> int:
    """The line of a top-level key in a YAML file (1 if not found), for error messages."""
    try:
        for n, text in enumerate(path.read_text("utf-8").splitlines(), 1):
            if text.startswith(f"{key}:"):
                return n
    except (OSError, UnicodeError):
        pass
    return 1


def publish(root: Path, date: str | None = None) -> tuple[Path, Edition]:
    """Record the workspace's evidence as edition <briefing.yaml's edition>; refuse when nothing changed."""
    from .workspace import load_or_raise

    root = Path(root)
    ws, _ = load_or_raise(root)
    number = edition_number(ws.meta)
    if number is None:
        raise BriefingError(f"edition '{ws.meta.edition}' is not a whole number; editions are numbered 1, 2, 3…",
                            "briefing.yaml", _key_line(root / "briefing.yaml", "edition"))
    date = (date or ws.meta.date).strip()
    if not _valid_date(date):
        raise BriefingError(f"--date '{date}' is not a date; write it as 2026-06-30, 2026-06 or 2026")
    numbers = recorded(root)
    ed = snapshot(ws, number, date)
    if numbers:
        latest = max(numbers)
        last = read_edition(root, latest, numbers[latest])
        rel = _rel(root, numbers[latest])
        if last.state == ed.state:
            raise BriefingError(f"nothing changed since edition {latest} ({rel}); there is nothing new to publish")
        bump = f"set `edition: \"{latest + 1}\"` (and its date) in briefing.yaml to publish the changes"
        if number in numbers:
            raise BriefingError(f"edition {number} is already recorded in {_rel(root, numbers[number])}; {bump}",
                                "briefing.yaml", _key_line(root / "briefing.yaml", "edition"))
        if number < latest:
            raise BriefingError(f"edition {number} is older than the latest recorded edition, {latest}; {bump}",
                                "briefing.yaml", _key_line(root / "briefing.yaml", "edition"))
    path = root / EDITIONS_DIR / f"{number}.yaml"
    write_text(path, to_yaml(ed))
    return path, ed


def _valid_date(text: str) -> bool:
    if not DATE_RE.match(text):
        return False
    parts = [int(p) for p in text.split("-")] + [1, 1]
    try:
        dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return True


def format_changes(ch: Changes) -> str:
    """The terminal report: a heading, then each non-empty group with indented lines, then the counts."""
    head = f"Changes since edition {ch.since} ({ch.since_date}, {ch.since_path})"
    if ch.empty:
        return f"{head}: none.\n"
    out = [f"{head}:"]
    for heading, lines in ch.groups():
        out += ["", f"{heading} ({len(lines)})"] + [f"  {line}" for line in lines]
    out += ["", f"In all: {ch.summary()}."]
    return "\n".join(out) + "\n"


def publish_command(args) -> int:
    """`briefing publish`: record the current evidence as a new edition."""
    path, ed = publish(Path(args.workspace), args.date)
    print(f"recorded edition {ed.number} ({ed.date}): {len(ed.claims)} claims, {len(ed.sources)} sources,"
          f" {len(ed.judgements)} judgements in {path}; commit it with the evidence")
    return 0


def diff_command(args) -> int:
    """`briefing diff [--since N]`: what changed since the last recorded edition, or edition N."""
    from .errors import errors_in
    from .workspace import load

    root = Path(args.workspace)
    ws, problems = load(root)
    if ws is None:
        p = errors_in(problems)[0]
        raise BriefingError(p.message, p.path, p.line, p.column)
    numbers = recorded(root)
    if not numbers:
        raise BriefingError("no edition is recorded yet; record one with `briefing publish`", EDITIONS_DIR)
    if args.since is None:
        since = max(numbers)
    elif _NUMBER.match(str(args.since).strip()):
        since = int(str(args.since).strip())
    else:
        raise BriefingError(f"--since '{args.since}' is not an edition number")
    if since not in numbers:
        raise BriefingError(f"edition {since} is not recorded; recorded: {', '.join(map(str, sorted(numbers)))}",
                            EDITIONS_DIR)
    ch = compare(read_edition(root, since, numbers[since]), snapshot(ws), ws)
    sys.stdout.write(format_changes(ch))
    errs = errors_in(problems)
    if errs:
        print(f"note: the workspace has {len(errs)} error(s); `briefing check` lists them", file=sys.stderr)
    return 0
