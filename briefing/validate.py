"""Cross-file checks: ids, references between files, sourcing rules and disagreeing figures."""

from __future__ import annotations

from collections import defaultdict

from .errors import Problem
from .model import Workspace
from .spec import SECTIONS
from .spec import _hint as hint
from .sourcing import supports


def validate(ws: Workspace) -> list[Problem]:
    """Every cross-file problem in a loaded workspace."""
    out: list[Problem] = []
    out += _duplicates(ws)
    out += _sources(ws)
    out += _evidence(ws)
    out += _figures(ws)
    out += _analysis(ws)
    out += _charts(ws)
    return out


def _duplicates(ws: Workspace) -> list[Problem]:
    out = []
    for kind, things in (("evidence id", ws.evidence), ("source id", ws.sources)):
        first = {}
        for t in things:
            if t.id in first:
                out.append(Problem.at(t.pos, "error", f"duplicate {kind} '{t.id}' (also in {first[t.id]})"))
            else:
                first[t.id] = f"{t.pos.path}:{t.pos.line}"
    return out


def _sources(ws: Workspace) -> list[Problem]:
    out = []
    cited = set()
    for e in ws.evidence:
        cited.update(e.source_ids)
        cited.update(f.source for f in e.figures)
        cited.update(d.source for d in e.disputes if d.source)
    relayed = {p for s in ws.sources for p in s.derived_from}
    for s in ws.sources:
        for parent in s.derived_from:
            if not ws.source(parent):
                out.append(Problem.at(s.pos, "error", f"source '{s.id}' is derived_from unknown source '{parent}'"
                                      + hint(parent, [x.id for x in ws.sources])))
        if _cycle(ws, s.id):
            out.append(Problem.at(s.pos, "error", f"source '{s.id}' is derived_from itself through a cycle"))
        if s.id not in cited and s.id not in relayed:
            out.append(Problem.at(s.pos, "warning", f"source '{s.id}' is never cited"))
    return out


def _cycle(ws: Workspace, start: str) -> bool:
    stack, seen = list(ws.source(start).derived_from), set()
    while stack:
        sid = stack.pop()
        if sid == start:
            return True
        if sid in seen or not ws.source(sid):
            continue
        seen.add(sid)
        stack.extend(ws.source(sid).derived_from)
    return False


def _evidence(ws: Workspace) -> list[Problem]:
    out = []
    ids = [s.id for s in ws.sources]
    order = {s: i for i, s in enumerate(SECTIONS)}
    for e in ws.evidence:
        refs = [(c.source, c.pos) for c in e.sources] + [(f.source, f.pos) for f in e.figures] \
            + [(d.source, d.pos) for d in e.disputes if d.source]
        for sid, pos in refs:
            if not ws.source(sid):
                out.append(Problem.at(pos, "error", f"cites source '{sid}', which sources.yaml does not define"
                                      + hint(sid, ids)))
            elif ws.source(sid).retracted:
                out.append(Problem.at(pos, "warning", f"rests on source '{sid}', which is marked retracted:"
                                      f" {ws.source(sid).retracted}"))
        level = ws.scale.get(e.confidence)
        if level is None:
            out.append(Problem.at(e.pos, "error", f"unknown confidence level '{e.confidence}'; the scale has: "
                                  f"{', '.join(ws.scale.keys)}{hint(e.confidence, ws.scale.keys)}"))
            continue
        why = supports(ws, e, level)
        if why:
            out.append(Problem.at(e.pos, "error", f"confidence '{e.confidence}' is not supported by its sources: {why}"))
        if e.section and order[e.section] < order[level.section]:
            out.append(Problem.at(e.pos, "error", f"section '{e.section}' is more certain than confidence"
                                  f" '{e.confidence}' allows ('{level.section}')"))
    return out


def _figures(ws: Workspace) -> list[Problem]:
    """Warn where sources disagree on the same actor's metric; the briefing shows both values."""
    seen: dict[tuple[str, str], list] = defaultdict(list)
    out = []
    for e in ws.evidence:
        for f in e.figures:
            key = (f.actor.casefold(), f.metric.casefold())
            for other in seen[key]:
                if other.value != f.value and other.source != f.source:
                    out.append(Problem.at(f.pos, "warning",
                                          f"sources disagree on {f.actor} {f.metric}: {_num(f.value)} ({f.source})"
                                          f" vs {_num(other.value)} ({other.source}); both will be shown"))
                    break
            seen[key].append(f)
    return out


def _num(v) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,}"


def _analysis(ws: Workspace) -> list[Problem]:
    out = []
    ids = [e.id for e in ws.evidence]
    for _section, items in ws.analysis:
        for j in items:
            for eid in j.rests_on:
                if not ws.item(eid):
                    out.append(Problem.at(j.pos, "error", f"judgement '{j.id}' rests on unknown evidence '{eid}'"
                                          + hint(eid, ids)))
                else:
                    for sid in ws.item(eid).source_ids:
                        src = ws.source(sid)
                        if src and src.retracted:
                            out.append(Problem.at(j.pos, "warning", f"judgement '{j.id}' rests on '{eid}', which"
                                                  f" cites retracted source '{sid}'"))
    return out


def _charts(ws: Workspace) -> list[Problem]:
    out = []
    metrics = {f.metric for e in ws.evidence for f in e.figures}
    for c in ws.charts:
        for m in c.metrics:
            if m not in metrics:
                out.append(Problem.at(c.pos, "warning", f"chart '{c.id}' asks for metric '{m}', which no figure"
                                      " reports" + hint(m, metrics)))
    return out
