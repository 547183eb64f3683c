"""Independence of sources: a claim's origins are the roots of its sources' `derived_from` chains."""

from __future__ import annotations

from .model import Evidence, Level, Workspace


def roots(ws: Workspace, source_id: str) -> frozenset[str]:
    """The origin sources a source ultimately relays (itself when it relays nothing)."""
    cache = ws._index.setdefault("roots", {})
    if source_id in cache:
        return cache[source_id]
    seen, stack, out = set(), [source_id], set()
    while stack:  # iterative, and cycle-safe: validation reports cycles separately
        sid = stack.pop()
        if sid in seen:
            continue
        seen.add(sid)
        src = ws.source(sid)
        parents = [p for p in (src.derived_from if src else ()) if ws.source(p)]
        if parents:
            stack.extend(parents)
        else:
            out.add(sid)
    cache[source_id] = frozenset(out or {source_id})
    return cache[source_id]


def origins(ws: Workspace, item: Evidence) -> frozenset[str]:
    """The distinct origins behind a claim's cited sources."""
    out: set[str] = set()
    for sid in item.source_ids:
        if ws.source(sid):
            out |= roots(ws, sid)
    return frozenset(out)


def disinterested(ws: Workspace, origin_ids) -> frozenset[str]:
    """The origins whose publisher is not a party to what it reports."""
    return frozenset(o for o in origin_ids if ws.source(o) and not ws.source(o).interested)


def supports(ws: Workspace, item: Evidence, level: Level) -> str:
    """Empty if the claim's sources meet the level's sourcing rule, else why not."""
    ors = origins(ws, item)
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
