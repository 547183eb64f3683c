"""Cross-file checks: ids, references between files, sourcing rules and disagreeing figures."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from . import wording
from .audiences import Audience
from .changes import review
from .editions import Edition
from .errors import Problem
from .model import ChartSpec, Figure, Pos, Workspace
from .sourcing import cap_note, retracted_behind, roots, supports
from .spec import SECTIONS
from .spec import _hint as hint

# What `briefing new` leaves for the analyst to replace; a briefing must never print it.
PLACEHOLDER = re.compile(r"\bTODO\b")


def validate(ws: Workspace, base: Edition | None,
             audiences: Mapping[str, tuple[Audience | None, list[Problem]]]) -> list[Problem]:
    """Every cross-file problem in a loaded workspace, given the edition it is compared against and every
    audience as loaded (name -> the audience or None, and the problems in its file)."""
    out: list[Problem] = []
    out += _duplicates(ws)
    out += _sources(ws)
    out += _evidence(ws)
    if not ws.evidence and (Path(ws.root) / "evidence").is_dir():
        # Not an error: a new workspace builds, and its briefing says it weighs 0 claims.
        out.append(Problem("evidence", 1, 1, "warning", "no evidence yet: the briefing will have no claims"
                           " (add one with `briefing new evidence`)"))
    out += _figures(ws)
    out += _units(ws)
    out += _analysis(ws)
    out += _retracted(ws)
    out += _charts(ws)
    out += _audiences(ws, audiences)
    out += _placeholders(ws)
    out += wording.check(ws)
    out += review(ws, base)
    return out


def _duplicates(ws: Workspace) -> list[Problem]:
    out = []
    for kind, things in (("evidence id", ws.evidence), ("source id", ws.sources)):
        first: dict[str, str] = {}
        for t in things:
            if t.id in first:
                out.append(Problem.at(t.pos, "error", f"duplicate {kind} '{t.id}' (also in {first[t.id]})"))
            else:
                first[t.id] = f"{t.pos.path}:{t.pos.line}"
    return out


def _sources(ws: Workspace) -> list[Problem]:
    out = []
    cited: set[str] = set()
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
    first = ws.source(start)
    assert first is not None  # called for the listed sources only
    stack, seen = list(first.derived_from), set()
    while stack:
        sid = stack.pop()
        if sid == start:
            return True
        src = ws.source(sid)
        if sid in seen or not src:
            continue
        seen.add(sid)
        stack.extend(src.derived_from)
    return False


def _evidence(ws: Workspace) -> list[Problem]:
    out = []
    ids = [s.id for s in ws.sources]
    order = {s: i for i, s in enumerate(SECTIONS)}
    for e in ws.evidence:
        refs = [(c.source, c.pos) for c in e.sources] + [(f.source, f.pos) for f in e.figures] \
            + [(d.source, d.pos) for d in e.disputes if d.source]
        for sid, pos in refs:
            src = ws.source(sid)
            if not src:
                out.append(Problem.at(pos, "error", f"cites source '{sid}', which sources.yaml does not define"
                                      + hint(sid, ids)))
            elif src.retracted:
                out.append(Problem.at(pos, "warning", f"rests on source '{sid}', which is marked retracted:"
                                      f" {src.retracted}"))
            else:
                # Relaying a retracted source is resting on it too.
                for anc, why in sorted((a, s.retracted) for a in roots(ws, sid)
                                       if a != sid and (s := ws.source(a)) and s.retracted):
                    out.append(Problem.at(pos, "warning", f"rests on source '{sid}', which relays retracted source"
                                          f" '{anc}': {why}"))
        level = ws.scale.get(e.confidence)
        if level is None:
            out.append(Problem.at(e.pos, "error", f"unknown confidence level '{e.confidence}'; the scale has: "
                                  f"{', '.join(ws.scale.keys)}{hint(e.confidence, ws.scale.keys)}"))
            continue
        # Retracted sources still count here: a claim they alone fail is capped (a warning), not wrong.
        why = supports(ws, e, level, retracted=True)
        if why:
            out.append(Problem.at(e.pos, "error",
                                  f"confidence '{e.confidence}' is not supported by its sources: {why}"))
        elif cap_note(ws, e):
            out.append(Problem.at(e.pos, "warning", f"claim '{e.id}': {cap_note(ws, e)}"))
        if e.section and order[e.section] < order[level.section]:
            out.append(Problem.at(e.pos, "error", f"section '{e.section}' is more certain than confidence"
                                  f" '{e.confidence}' allows ('{level.section}')"))
    return out


def _figures(ws: Workspace) -> list[Problem]:
    """Warn where sources disagree on the same actor's metric; the briefing shows both values."""
    seen: dict[tuple[str, str], list[Figure]] = defaultdict(list)
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


def _units(ws: Workspace) -> list[Problem]:
    """Every figure of a metric is in one unit (a chart draws them on one axis, a table ranks them)."""
    out = []
    declared: dict[str, Pos] = {}
    for m in ws.metrics:
        if m.id in declared:
            out.append(Problem.at(m.pos, "error", f"duplicate metric id '{m.id}' (also at {declared[m.id]})"))
        else:
            declared[m.id] = m.pos
    first: dict[str, tuple[str, Pos]] = {}  # undeclared metric -> the first figure's unit and place
    missing: set[str] = set()
    for e in ws.evidence:
        for f in e.figures:
            unit = str(f.unit or "").strip()
            if f.metric in declared:
                want = ws.metric(f.metric).unit
                if unit and unit != want:
                    out.append(Problem.at(f.pos, "error", f"figure unit '{unit}' differs from metric '{f.metric}'s"
                                          f" unit '{want}' ({declared[f.metric]}); convert the value or declare"
                                          " another metric" if want else f"figure unit '{unit}' differs from"
                                          f" metric '{f.metric}', which declares no unit ({declared[f.metric]})"))
                continue
            if ws.metrics and f.metric not in missing:
                missing.add(f.metric)
                out.append(Problem.at(f.pos, "warning", f"metric '{f.metric}' is not declared under metrics: in"
                                      " charts.yaml; it is printed as '" + ws.metric(f.metric).label + "'"
                                      + hint(f.metric, list(declared))))
            if f.metric not in first:
                first[f.metric] = (unit, f.pos)
                if not unit:
                    out.append(Problem.at(f.pos, "warning", f"figure of metric '{f.metric}' has no unit, and no"
                                          " metric declares one: its value is printed as a bare number"))
            elif unit != first[f.metric][0]:
                out.append(Problem.at(f.pos, "error", f"figure unit '{unit or '(none)'}' differs from the unit"
                                      f" '{first[f.metric][0] or '(none)'}' of metric '{f.metric}' at"
                                      f" {first[f.metric][1]}; one metric has one unit"))
    return out


def _num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,}"


def _analysis(ws: Workspace) -> list[Problem]:
    out = []
    ids = [e.id for e in ws.evidence]
    for _section, items in ws.analysis:
        for j in items:
            for eid in j.rests_on:
                item = ws.item(eid)
                if not item:
                    out.append(Problem.at(j.pos, "error", f"judgement '{j.id}' rests on unknown evidence '{eid}'"
                                          + hint(eid, ids)))
                else:
                    for sid in retracted_behind(ws, item):
                        out.append(Problem.at(j.pos, "warning", f"judgement '{j.id}' rests on '{eid}', which"
                                              f" rests on retracted source '{sid}'"))
    return out


def _retracted(ws: Workspace) -> list[Problem]:
    """At each retracted source, every claim and judgement resting on it (directly or through a relay)."""
    claims: dict[str, list[str]] = defaultdict(list)
    for e in ws.evidence:
        for sid in retracted_behind(ws, e):
            claims[sid].append(e.id)
    judged: dict[str, list[str]] = defaultdict(list)  # claim id -> judgements resting on it
    for _section, items in ws.analysis:
        for j in items:
            for eid in dict.fromkeys(j.rests_on):
                judged[eid].append(j.id)
    out = []
    for s in ws.sources:
        if not s.retracted:
            continue
        ids = claims.get(s.id, [])
        js = sorted({j for eid in ids for j in judged.get(eid, ())})
        if not ids:
            what = "no claim rests on it"
        else:
            what = f"{len(ids)} claim(s) rest on it: {', '.join(ids)}"
            if js:
                what += f"; and through them {len(js)} judgement(s): {', '.join(js)}"
        out.append(Problem.at(s.pos, "warning", f"source '{s.id}' is retracted ({s.retracted}); {what}"))
    return out


def _placeholders(ws: Workspace) -> list[Problem]:
    """Scaffolded text still holding TODO: an error, so no placeholder ever reaches a reader."""
    out = []
    for e in ws.evidence:
        texts = {"id": e.id, "title": e.title, "claim": e.claim, "reason": e.reason, "event": e.event,
                 "sources": " ".join(f"{c.source} {c.locator}" for c in e.sources),
                 "figures": " ".join(f"{f.actor} {f.metric} {f.source} {f.note}" for f in e.figures),
                 "disputes": " ".join(f"{d.by} {d.text} {d.source}" for d in e.disputes),
                 "caveats": " ".join(e.caveats)}
        out += _todo(ws, e.pos, f"claim '{e.id}'", texts)
    for s in ws.sources:
        texts = {"id": s.id, "title": s.title, "container-title": s.container_title, "publisher": s.publisher,
                 "author": " ".join(map(str, s.authors)), "URL": s.url, "note": s.note}
        out += _todo(ws, s.pos, f"source '{s.id}'", texts)
    return out


def _todo(ws: Workspace, pos: Pos, what: str, texts: dict[str, str]) -> list[Problem]:
    fields = [k for k, v in texts.items() if v and PLACEHOLDER.search(v)]
    if not fields:
        return []
    line = _todo_line(ws.lines.get(pos.path, ()), pos.line)
    return [Problem(pos.path, line or pos.line, 1 if line else pos.column, "error",
                    f"{what} still holds a TODO placeholder in {', '.join(fields)}; replace it with real text")]


def _todo_line(lines: tuple[str, ...], start: int) -> int:
    """The first line from `start` holding TODO outside a comment (0 if none), so editors jump to it."""
    for n, text in enumerate(lines[start - 1:], start):
        if text.lstrip().startswith("- id:") and n > start:
            break  # the next entry of a list (sources.yaml)
        if PLACEHOLDER.search(text.split(" #")[0]) and not text.lstrip().startswith("#"):
            return n
    return 0


def _charts(ws: Workspace) -> list[Problem]:
    out = []
    metrics = {f.metric for e in ws.evidence for f in e.figures}
    first: dict[str, ChartSpec] = {}
    for c in ws.charts:
        if c.id in first:
            out.append(Problem.at(c.pos, "error", f"duplicate chart id '{c.id}' (first declared on line"
                                  f" {first[c.id].pos.line}); each chart needs its own id"))
        first.setdefault(c.id, c)
    for c in ws.charts:
        for m in c.metrics:
            if m not in metrics:
                out.append(Problem.at(c.pos, "warning", f"chart '{c.id}' asks for metric '{m}', which no figure"
                                      " reports" + hint(m, metrics)))
    return out


def _audiences(ws: Workspace, audiences: Mapping[str, tuple[Audience | None, list[Problem]]]) -> list[Problem]:
    """Every audience loads (packaged and the workspace's), and the audience names and chart ids used exist."""
    names = list(audiences)
    out, loaded = [], []
    for name in names:
        audience, problems = audiences[name]
        out += problems
        if audience is not None:
            loaded.append(audience)
    if ws.meta.audience and ws.meta.audience not in names:
        out.append(Problem("briefing.yaml", ws.meta.at("audience").line, 1, "error",
                           f"unknown audience '{ws.meta.audience}'; available: {', '.join(names)}"
                           + hint(ws.meta.audience, names)))
    for _section, items in ws.analysis:
        for j in items:
            for name in dict.fromkeys(j.audiences):
                if name not in names:
                    out.append(Problem.at(j.pos, "error", f"judgement '{j.id}' is for audience '{name}', which"
                                          f" does not exist, so no briefing would show it; available:"
                                          f" {', '.join(names)}{hint(name, names)}"))
    ids = [c.id for c in ws.charts]
    for a in loaded:
        if a.charts == "all":
            continue
        for cid in dict.fromkeys(a.charts):
            if cid not in ids:
                out.append(Problem(a.path, a.lines.get("charts", 1), 1, "error",
                                   f"audience '{a.name}' asks for chart '{cid}', which charts.yaml does not"
                                   f" declare{hint(cid, ids) or '; declared: ' + (', '.join(ids) or 'none')}"))
    used = {c.id for a in loaded for c in a.selected_charts(ws.charts)}
    for c in ws.charts:
        if c.id not in used and len(loaded) == len(names):
            out.append(Problem.at(c.pos, "warning", f"chart '{c.id}' is drawn by no audience; add it to an"
                                  " audience's charts, or remove it"))
    return out

