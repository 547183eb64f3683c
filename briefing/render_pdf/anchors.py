"""Link targets: which element ids the PDF will define as named destinations."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from ..pandoc_ast import Json

_SAFE = re.compile(r"[A-Za-z0-9_.:-]{1,120}")
# Only these elements get a destination; the walk below mirrors what blocks.py renders.
_ANCHORED = {"Header", "Div", "Figure", "Table", "Span"}


def key(ident: str) -> str:
    """The PDF destination name for an element id (the id itself when it is plain)."""
    if _SAFE.fullmatch(ident):
        return ident
    return "id-" + hashlib.sha1(ident.encode("utf-8", "replace")).hexdigest()[:16]


def collect(blocks: Iterable[Json]) -> set[str]:
    """Ids of anchored elements that the renderer will draw (so links to them resolve)."""
    found: set[str] = set()
    for block in blocks:
        _walk(block, found)
    return found


def _attr_id(node: Json) -> str:
    c: Any = node.get("c")
    t = node["t"]
    ident: str = ""
    if t == "Header":
        ident = c[1][0]
    elif t in ("Div", "Figure", "Table", "Span"):
        ident = c[0][0]
    return ident


def _walk(value: object, found: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _walk(item, found)
        return
    if not isinstance(value, dict) or "t" not in value:
        return
    t = value["t"]
    c: Any = value.get("c")
    if t in _ANCHORED and _attr_id(value):
        found.add(_attr_id(value))
    if t == "Image":
        return  # alt text is not rendered (the Figure caption is)
    if t == "Cite":
        _walk(c[1], found)  # only the rendered content, not the citation records
        return
    if t == "Figure":
        _walk(c[1][1], found)  # long caption
        _walk(c[2], found)
        return
    if t == "Table":
        _walk(c[1][1], found)  # caption
        _walk(c[3:], found)  # head, bodies, foot
        return
    if isinstance(c, list):
        _walk(c, found)
