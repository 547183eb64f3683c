"""Independence of sources: a claim's origins are the roots of its sources' `derived_from` chains.

A retracted (or discredited) source no longer counts as an origin: a claim's effective level is
the best its remaining sources support, never better than the level the analyst declared.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from .model import Evidence, Level, Source, Workspace
from .spec import human_date


def roots(ws: Workspace, source_id: str, *, retracted: bool = True) -> frozenset[str]:
    """The origin sources a source ultimately relays (itself when it relays nothing).

    With retracted=False, a retracted source cuts its chain: what is relayed only through
    retracted sources has no origin left.
    """
    graph = ws.idx.graph
    found = (graph.roots if retracted else graph.live_roots).get(source_id)
    if found is None:  # an id no source has: the same walk, on the spot
        found = graph.walk(ws.idx.sources, source_id, retracted=retracted, roots=True)
    return found


def origins(ws: Workspace, item: Evidence, *, retracted: bool = False) -> frozenset[str]:
    """The distinct origins behind a claim's cited sources; retracted ones count only if asked."""
    out: set[str] = set()
    for sid in item.source_ids:
        if ws.source(sid):
            out |= roots(ws, sid, retracted=retracted)
    return frozenset(out)


def disinterested(ws: Workspace, origin_ids: Iterable[str]) -> frozenset[str]:
    """The origins whose publisher is not a party to what it reports."""
    return frozenset(o for o in origin_ids if (src := ws.source(o)) and not src.interested)


def supports(ws: Workspace, item: Evidence, level: Level, *, retracted: bool = False) -> str:
    """Empty if the claim's sources meet the level's sourcing rule, else why not."""
    ors = origins(ws, item, retracted=retracted)
    dis = disinterested(ws, ors)
    if len(ors) < level.min_origins:
        return (f"'{level.key}' needs {level.min_origins} independent origin(s); the sources cited trace to"
                f" {len(ors)} ({', '.join(sorted(ors)) or 'none'})")
    if len(dis) < level.min_disinterested:
        return (f"'{level.key}' needs {level.min_disinterested} origin(s) without a stake in the matter;"
                f" found {len(dis)} among {', '.join(sorted(ors))}")
    return ""


def best_supported(ws: Workspace, item: Evidence) -> Level | None:
    """The most confident level the claim's sources could support."""
    return next((lv for lv in ws.scale.levels if not supports(ws, item, lv)), None)


def retracted_behind(ws: Workspace, item: Evidence) -> tuple[str, ...]:
    """The retracted sources a claim rests on, cited directly, for a figure, or up a derived_from chain."""
    cited = dict.fromkeys([*item.source_ids, *(f.source for f in item.figures)])
    found: dict[str, None] = {}
    for sid in cited:
        for anc in chain(ws, sid):
            if _known(ws, anc).retracted:
                found[anc] = None
    return tuple(sorted(found))


def discredited(ws: Workspace, source_id: str) -> bool:
    """True when a source is retracted or relays one that is: a reader must not rely on what it reports."""
    return any(_known(ws, a).retracted for a in chain(ws, source_id))


def chain(ws: Workspace, source_id: str) -> frozenset[str]:
    """A source and everything it relays (computed when the workspace was made)."""
    found = ws.idx.graph.chains.get(source_id)
    if found is None:
        found = ws.idx.graph.walk(ws.idx.sources, source_id, retracted=True, roots=False)
    return found


def _known(ws: Workspace, source_id: str) -> Source:
    """A source `chain` found (so it exists)."""
    src = ws.source(source_id)
    assert src is not None, source_id
    return src


def effective_level(ws: Workspace, item: Evidence) -> Level | None:
    """The level a claim is shown at: its own, capped at the best its non-retracted sources support."""
    declared = ws.scale.get(item.confidence)
    # Not capped when the live sources suffice, nor when even the retracted ones would not (a check error).
    if declared is None or not supports(ws, item, declared) or supports(ws, item, declared, retracted=True):
        return declared
    levels = ws.scale.levels
    lower = levels[levels.index(declared) + 1:]
    # The least confident level is the floor even if its own rule fails: there is nowhere lower.
    return next((lv for lv in lower if not supports(ws, item, lv)), levels[-1])


def retraction_text(s: Source) -> str:
    """'Retracted on 4 March 2026: reason' (no date when none is given); empty when not retracted."""
    if not s.retracted:
        return ""
    when = _when(s.retracted_on)
    return f"Retracted{when}: {s.retracted.rstrip('.')}"


def retracted_list(ws: Workspace, source_ids: Iterable[str]) -> str:
    """'a retracted source: “T”, retracted on 4 March 2026 (reason)' for those of the ids retracted."""
    gone = [src for s in source_ids if (src := ws.source(s)) and src.retracted]
    if not gone:
        return ""
    parts = []
    for s in gone:
        when = _when(s.retracted_on)
        parts.append(f"“{s.title}”, retracted{when} ({s.retracted.rstrip('.')})")
    return ("a retracted source: " if len(gone) == 1 else "retracted sources: ") + "; ".join(parts)


def retraction_note(ws: Workspace, item: Evidence) -> str:
    """The caveat a reader sees beside a claim resting on a retracted source (empty when none)."""
    gone = retracted_list(ws, retracted_behind(ws, item))
    return f"Rests on {gone}." if gone else ""


def _when(iso: str) -> str:
    """' on 2 April 2026', ' in April 2026', or '' without a date."""
    if not iso:
        return ""
    return f" {'on' if len(iso) == 10 else 'in'} {human_date(iso)}"


def cap_note(ws: Workspace, item: Evidence, *, reader: bool = False) -> str:
    """Why a claim's level is capped (empty when it is not): the line `check` prints, or with reader=True
    the briefing's caveat, which names sources by title and date rather than by id."""
    declared, shown = ws.scale.get(item.confidence), effective_level(ws, item)
    if declared is None or shown is None or shown.key == declared.key:
        return ""
    gone = retracted_behind(ws, item)
    if reader:
        return (f"Confidence capped at {shown.label.lower()} (declared: {declared.label.lower()}) because it"
                f" rests on {retracted_list(ws, gone) or 'a retracted source'}.")
    why = "; ".join(f"'{s}' ({_known(ws, s).retracted})" for s in gone) or "a source is retracted"
    return (f"Confidence capped at {shown.label.lower()} (declared: {declared.label.lower()}) because it rests"
            f" on retracted source{'s' if len(gone) > 1 else ''} {why}.")


def capped(ws: Workspace) -> Workspace:
    """The workspace as the briefing presents it: each capped claim at its effective level, with a caveat saying so."""
    items, changed = [], False
    for e in ws.evidence:
        # Capped or not, a claim resting on a retracted source says so wherever its caveats are printed.
        note = cap_note(ws, e, reader=True) or retraction_note(ws, e)
        if note:
            shown = effective_level(ws, e) or ws.scale.get(e.confidence)
            assert shown is not None  # a note means a declared level (cap_note) or a retraction behind it
            e = dataclasses.replace(e, confidence=shown.key,
                                    caveats=(*e.caveats, note))
            changed = True
        items.append(e)
    # A fresh index: the original's lookups point at the uncapped claims.
    return ws.with_evidence(tuple(items)) if changed else ws
