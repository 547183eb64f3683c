"""Type names for pandoc's JSON AST: nodes are plain JSON, typed loosely on purpose.

Pandoc's AST is deeply nested, positional JSON (`{"t": "Para", "c": [...]}`) whose shape depends on
the node's tag; modelling every constructor would duplicate pandoc's own schema, so code that walks
it reads fields by tag and the checker trusts it there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeAlias

Json: TypeAlias = dict[str, Any]
"""One AST node or document: `{"t": tag, "c": content}`, or the whole `{"blocks", "meta", ...}`."""

Nodes: TypeAlias = list[Any]
"""A list of blocks or inlines (or a node's positional content)."""


def walk(node: Any) -> Iterator[Json]:
    """Every dict node under `node`, in document order (pandoc's JSON keeps its constructors' field order)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            yield n
            stack.extend(reversed(list(n.values())))
        elif isinstance(n, list):
            stack.extend(reversed(n))


def loads(text: str | bytes) -> Any:
    """Pandoc's JSON as Python objects, with equal tags and words one string and each content-free node
    (`{"t": "Space"}`) one shared dict: a large document takes about half the memory. Never change a
    content-free node in place."""
    words: dict[str, str] = {}
    empty: dict[str, Json] = {}  # content-free nodes by tag: constants, like pandoc's own constructors

    def shared(node: Json) -> Json:
        tag = node.get("t")
        if tag.__class__ is not str:
            return node
        if len(node) == 1:
            return empty.setdefault(tag, node)
        node["t"] = words.setdefault(tag, tag)
        text = node.get("c")
        if tag == "Str" and text.__class__ is str:
            node["c"] = words.setdefault(text, text)
        return node

    return json.loads(text, object_hook=shared)


@dataclass(frozen=True)
class Document:
    """Pandoc's AST of a whole document, held as compact JSON text per top-level block and read one block at a
    time: a renderer of a 1,000-page briefing never holds the whole tree as Python objects (ten times the text).

    `blocks()` and `tree()` give fresh objects on every call, so a caller may keep or change its own.
    """

    api_version: tuple[int, ...]
    meta_json: str
    parts: tuple[bytes, ...]  # one top-level block each, UTF-8 JSON

    @classmethod
    def of(cls, tree: Json) -> Document:
        """The document held by `tree` (pandoc's `{"pandoc-api-version", "meta", "blocks"}`)."""
        return cls(tuple(tree["pandoc-api-version"]), _dumps(tree.get("meta", {})),
                   tuple(_dumps(b).encode("utf-8") for b in tree.get("blocks", [])))

    @property
    def meta(self) -> Json:
        """The document's metadata, a fresh tree."""
        meta: Json = loads(self.meta_json)
        return meta

    def blocks(self) -> Iterator[Json]:
        """The top-level blocks in order, each parsed only when it is reached."""
        for part in self.parts:
            yield loads(part)

    def passing_blocks(self) -> Iterator[Json]:
        """The top-level blocks for a pass that keeps none of them: plain JSON, faster to read than `blocks()`'s
        shared strings, which save memory only for what is kept."""
        for part in self.parts:
            yield json.loads(part)

    def edited(self, marker: str, edit: Callable[[Json], None]) -> Document:
        """This document with `edit` applied to each top-level block whose JSON text holds `marker`: a change
        to a few blocks reads only those again, not the whole tree."""
        needle = marker.encode("utf-8")
        parts = []
        for part in self.parts:
            if needle in part:
                block = json.loads(part)
                edit(block)
                part = _dumps(block).encode("utf-8")
            parts.append(part)
        return replace(self, parts=tuple(parts))

    def tree(self) -> Json:
        """The whole document as one tree (for small documents and tests: it is the memory this type saves)."""
        return {"pandoc-api-version": list(self.api_version), "meta": self.meta, "blocks": list(self.blocks())}


def document(ast: Json | Document) -> Document:
    """`ast` as a Document (renderers accept either)."""
    return ast if isinstance(ast, Document) else Document.of(ast)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
