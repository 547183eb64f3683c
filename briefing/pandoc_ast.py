"""Type names for pandoc's JSON AST: nodes are plain JSON, typed loosely on purpose.

Pandoc's AST is deeply nested, positional JSON (`{"t": "Para", "c": [...]}`) whose shape depends on
the node's tag; modelling every constructor would duplicate pandoc's own schema, so code that walks
it reads fields by tag and the checker trusts it there.
"""

from __future__ import annotations

from collections.abc import Iterator
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
