"""Document metadata (pandoc `meta`) as plain strings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..pandoc_ast import Json
from .inlines import stringify


@dataclass(frozen=True)
class DocMeta:
    """The metadata fields the title block, running header/footer and PDF info use."""

    title: str = ""
    subtitle: str = ""
    date: str = ""
    edition: str = ""
    marking: str = ""
    organisation: str = ""
    author: str = ""


def meta_text(value: object) -> str:
    """Plain text of a pandoc MetaValue (lists joined with commas)."""
    if not isinstance(value, dict):
        return ""
    t: Any = value.get("t")
    c: Any = value.get("c")
    if t in ("MetaString",):
        return str(c)
    if t == "MetaBool":
        return ""
    if t == "MetaInlines":
        return stringify(c)
    if t == "MetaBlocks":
        return " ".join(stringify(b["c"]) for b in c if b.get("t") in ("Para", "Plain"))
    if t == "MetaList":
        return ", ".join(s for s in (meta_text(v) for v in c) if s)
    if t == "MetaMap":  # e.g. author: {name: ...}
        for k in ("name", "literal", "text"):
            if k in c:
                return meta_text(c[k])
    return ""


def read_meta(meta: Json) -> DocMeta:
    """Pull the briefing fields out of `ast["meta"]`."""

    def get(k: str) -> str:
        return " ".join(meta_text(meta.get(k)).split())

    return DocMeta(title=get("title"), subtitle=get("subtitle"), date=get("date"), edition=get("edition"),
                   marking=get("marking"), organisation=get("organisation") or get("organization"),
                   author=get("author"))
