"""What changed between editions: the comparison `briefing diff`, `check` and the briefing's box share."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from .editions import (
    ClaimSnap,
    Edition,
    FigureSnap,
    SourceSnap,
    snapshot,
)
from .errors import Problem
from .model import Level, Workspace
from .sourcing import cap_note, effective_level


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
    ups: list[Move] = []
    downs: list[Move] = []
    others: list[Move] = []
    figures: list[FigureChange] = []
    edited: list[Edited] = []
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
                                          cap_note(ws, e, reader=True) if e else "") if x) or c.reason
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
        oj = j_before.get(j.id)
        if oj is None:
            continue
        because = (set(j.rests_on) ^ set(oj.rests_on)) | {eid for eid in j.rests_on if eid in changed}
        if because:
            review.append(JudgementEntry(j.id, j.section, j.title, tuple(sorted(because))))
    return Changes(old.number, old.date, old.path, tuple(added), tuple(removed), tuple(ups), tuple(downs),
                   tuple(others), tuple(figures), tuple(edited), tuple(new_sources), tuple(gone_sources),
                   tuple(retracted), tuple(reinstated), tuple(new_j), tuple(gone_j), tuple(review))


def _figure_changes(old: ClaimSnap, new: ClaimSnap) -> list[FigureChange]:
    """Figures of one claim whose values differ, matched by actor, metric and source."""
    def values(c: ClaimSnap) -> dict[tuple[str, str, str], list[FigureSnap]]:
        out: dict[tuple[str, str, str], list[FigureSnap]] = defaultdict(list)
        for f in c.figures:
            out[f.key].append(f)
        return out

    a, b = values(old), values(new)
    out = []
    for key in sorted(a.keys() | b.keys()):
        va = tuple(sorted(f.value for f in a.get(key, ())))
        vb = tuple(sorted(f.value for f in b.get(key, ())))
        if va != vb:
            f = (b.get(key) or a[key])[0]  # the key is in one of them
            out.append(FigureChange(new.id, new.title, f.actor, f.metric, f.source, f.unit, f.approx, va, vb))
    return out


def _num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,}"


def _values(vs: tuple[float, ...]) -> str:
    return " and ".join(_num(v) for v in vs) if vs else "none"


def _line(group: str, x: Any) -> str:
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


def changes_for(ws: Workspace, base: Edition | None) -> Changes | None:
    """The briefing's "What changed" content: the workspace against its baseline edition, or None."""
    return compare(base, snapshot(ws), ws) if base else None


def review(ws: Workspace, base: Edition | None) -> list[Problem]:
    """`check`'s warnings: confidence moves without a fresh reason, and judgements resting on moved claims."""
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
