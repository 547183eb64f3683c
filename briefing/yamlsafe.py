"""Read hand-written YAML safely, keeping the line of every value.

PyYAML's own loaders drop positions, keep the last of duplicate keys, expand alias bombs and
recurse without bound; this module composes the node graph itself and converts it into plain
containers that remember where each value came from.
"""

from __future__ import annotations

import datetime as dt
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

import yaml
from yaml.constructor import BaseConstructor

from .errors import BriefingError, Problem
from .model import Pos

MAX_BYTES = 2 * 1024 * 1024  # a hand-written claim is a few kB; 2 MB is generous
MAX_DEPTH = 64
MAX_NODES = 200_000  # bounds alias expansion (a "billion laughs" file expands past this fast)


@dataclass(frozen=True)
class Scalar:
    """A scalar as written: its resolved value, its raw text, whether it was quoted, its position."""

    value: object
    raw: str
    quoted: bool
    pos: Pos

    @property
    def is_null(self) -> bool:
        return self.value is None


class YMap(dict[str, "Node"]):
    """A mapping that remembers its own position and the position of each key."""

    pos: Pos
    key_pos: dict[str, Pos]


class YList(list["Node"]):
    """A sequence that remembers its position."""

    pos: Pos


Node: TypeAlias = YMap | YList | Scalar
"""A parsed value: what `parse` returns and what YMap/YList hold."""


class YamlError(BriefingError):
    """A YAML fault at a position: the project's one error type, with the position kept whole."""

    def __init__(self, pos: Pos, message: str):
        super().__init__(message, pos.path, pos.line, pos.column)
        self.pos = pos

    def __reduce__(self) -> tuple[type[YamlError], tuple[Pos, str]]:  # type: ignore[override]
        return type(self), (self.pos, self.message)


def _pos(path: str, mark: yaml.Mark | None) -> Pos:
    return Pos(path, mark.line + 1, mark.column + 1) if mark else Pos(path)


class _Loader(yaml.SafeLoader):
    """SafeLoader whose composer bounds nesting depth."""

    depth = 0
    path = ""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in PyYAML's stubs
                raise YamlError(_pos(self.path, event.start_mark),
                                f"nesting deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
              (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def read_text(path: Path, rel: str) -> tuple[str | None, list[Problem]]:
    """Read a file as UTF-8 text, refusing binary, oversized and mis-encoded files."""
    where = Pos(rel)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the read forever; a device never ends
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "a pipe" if stat.S_ISFIFO(info.st_mode) \
                else "a device or socket"
            return None, [Problem.at(where, "error", f"is {what}, not a regular file; refused")]
        size = info.st_size
        if size > MAX_BYTES:
            return None, [Problem.at(where, "error",
                                     f"file is {size / 1e6:.1f} MB; the limit is {MAX_BYTES // 1_000_000} MB")]
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem.at(where, "error", f"cannot read file: {exc.strerror or exc}")]
    for bom, name in _WIDE_BOMS:  # checked before NUL bytes: these files are text, just not UTF-8
        if data.startswith(bom):
            return None, [Problem.at(where, "error", f"file is {name} text; save it as UTF-8")]
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return None, [Problem.at(Pos(rel, line), "error", "binary file (contains NUL bytes), not YAML text")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        # in characters, as editors count: the valid UTF-8 before the bad byte on its line
        col = len(data[data.rfind(b"\n", 0, exc.start) + 1:exc.start].decode("utf-8", "replace")) + 1
        return None, [Problem.at(Pos(rel, line, col), "error",
                                 f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8")]
    return text, []


_NODE_EVENTS = (yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)
_OPEN_EVENTS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE_EVENTS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _fast_compose(text: str) -> tuple[yaml.CSafeLoader, yaml.Node | None] | Literal[False]:
    """Compose with libyaml (about 10x faster), or return False to let the pure-Python loader decide.

    libyaml composes recursively in C (deep nesting would overflow the C stack) and words its
    errors differently, so a flat pass over its events first checks the depth bound; any fault,
    and any text with control characters, goes to the Python loader, which reports it exactly.
    """
    if not getattr(yaml, "__with_libyaml__", False) or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return False
    try:
        events = yaml.CSafeLoader(text)
        depth = 0
        try:
            while (event := events.get_event()) is not None:
                if isinstance(event, _NODE_EVENTS) and depth + 1 > MAX_DEPTH:
                    return False
                if isinstance(event, _OPEN_EVENTS):
                    depth += 1
                elif isinstance(event, _CLOSE_EVENTS):
                    depth -= 1
        finally:
            events.dispose()
        loader = yaml.CSafeLoader(text)
        return loader, loader.get_single_node()
    except yaml.YAMLError:
        return False


def parse(text: str, rel: str) -> Node | None:
    """Parse YAML text into YMap/YList/Scalar nodes; raise YamlError with a position on any fault."""
    fast = _fast_compose(text)
    if fast:
        fast_loader, fast_node = fast
        try:
            return _finish(fast_node, rel, fast_loader)
        finally:
            fast_loader.dispose()
    try:
        loader = _Loader(text)  # the reader checks for control characters here
    except yaml.reader.ReaderError as exc:
        raise YamlError(_pos_of_index(rel, text, exc.position),
                        f"control character U+{exc.character:04X} is not allowed; remove it") from None
    loader.path = rel
    try:
        node = loader.get_single_node()
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(_pos(rel, mark), _yaml_message(exc, text, mark)) from None
    except yaml.YAMLError as exc:
        raise YamlError(Pos(rel), f"cannot parse YAML: {exc}") from None
    except RecursionError:
        raise YamlError(Pos(rel), f"nesting deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
    return _finish(node, rel, loader)


def _finish(node: yaml.Node | None, rel: str, loader: BaseConstructor) -> Node | None:
    """Convert a composed node graph, bounding alias expansion."""
    if node is None:
        return None
    counter = [0]
    try:
        return _convert(node, rel, counter, loader, set())
    except RecursionError:  # a last guard: _convert bounds depth and refuses self-referencing aliases
        raise YamlError(Pos(rel), "an alias refers to itself; remove the anchor") from None


def _pos_of_index(rel: str, text: str, index: int) -> Pos:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return Pos(rel, line, col)


def _yaml_message(exc: yaml.MarkedYAMLError, text: str, mark: yaml.Mark | None) -> str:
    problem = (exc.problem or str(exc)).strip()
    if mark is not None:
        lines = text.splitlines()
        if mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]:
            return "tab character used for indentation; YAML needs spaces"
    if "found character '\\t'" in problem:
        return "tab character used for indentation; YAML needs spaces"
    return f"invalid YAML: {problem}"


MERGE_TAG = "tag:yaml.org,2002:merge"
STR_TAG = "tag:yaml.org,2002:str"


def _convert(node: yaml.Node, rel: str, counter: list[int], loader: BaseConstructor, active: set[int]) -> Node:
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise YamlError(_pos(rel, node.start_mark),
                        "too many values after expanding aliases (an alias bomb?); remove the anchors")
    pos = _pos(rel, node.start_mark)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        # `active` holds the collections being converted: aliases can nest past the composer's depth bound
        if id(node) in active:
            raise YamlError(pos, "an alias refers to the value that contains it; remove the alias")
        if len(active) >= MAX_DEPTH:
            raise YamlError(pos, f"nesting deeper than {MAX_DEPTH} levels (through aliases)")
        active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return _convert_mapping(node, pos, rel, counter, loader, active)
            out = YList(_convert(n, rel, counter, loader, active) for n in node.value)
            out.pos = pos
            return out
        finally:
            active.discard(id(node))
    assert isinstance(node, yaml.ScalarNode)  # the composer makes no other kind of node
    if node.tag == STR_TAG:  # most values: skip the constructor's bookkeeping (a third of load time)
        return Scalar(node.value, node.value, node.style not in (None, ""), pos)
    try:
        value = loader.construct_object(node, deep=False)
    except yaml.constructor.ConstructorError as exc:
        raise YamlError(pos, f"invalid value: {exc.problem}") from None
    except ValueError as exc:  # e.g. 2026-02-30 resolved as a timestamp
        raise YamlError(pos, f"invalid value '{node.value}': {exc}") from None
    return Scalar(value, node.value, node.style not in (None, ""), pos)


def _convert_mapping(node: yaml.MappingNode, pos: Pos, rel: str, counter: list[int], loader: BaseConstructor,
                     active: set[int]) -> YMap:
    out = YMap()
    out.pos = pos
    out.key_pos = {}
    # keys from merge keys (<<): the first source wins, and the mapping's own keys override
    merged: dict[str, tuple[Node, Pos]] = {}
    for knode, vnode in node.value:
        if knode.tag == MERGE_TAG:
            for src in vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]:
                if not isinstance(src, yaml.MappingNode):
                    raise YamlError(_pos(rel, src.start_mark), "a merge key (<<) takes a mapping or a list of mappings")
                sub = _convert(src, rel, counter, loader, active)
                assert isinstance(sub, YMap)
                for name, value in sub.items():
                    merged.setdefault(name, (value, sub.key_pos[name]))
            continue
        if knode.tag == "tag:yaml.org,2002:value":  # a plain `=` key is text, as PyYAML's flatten_mapping does
            knode.tag = "tag:yaml.org,2002:str"
        key = _convert(knode, rel, counter, loader, active)
        if not isinstance(key, Scalar) or isinstance(key.value, (list, dict)):
            raise YamlError(_pos(rel, knode.start_mark), "mapping keys must be plain text")
        name = key.raw
        if name in out:
            first = out.key_pos[name]
            raise YamlError(key.pos, f"duplicate key '{name}' (first defined on line {first.line});"
                            " YAML would silently keep only the last")
        out.key_pos[name] = key.pos
        out[name] = _convert(vnode, rel, counter, loader, active)
    for name, (value, kpos) in merged.items():
        if name not in out:
            out.key_pos[name] = kpos
            out[name] = value
    return out


class ParsedFiles:
    """YAML trees kept by a build context (briefing/context.py), by file name and text, so that a warm rebuild
    (watch) parses only the files whose text changed. The trees are shared: readers never change them."""

    def __init__(self) -> None:
        self._trees: dict[str, tuple[str, Node | None]] = {}  # one per file name: its last text and tree

    def parse(self, text: str, rel: str) -> Node | None:
        """`parse(text, rel)`, or the tree kept for the same file and text."""
        kept = self._trees.get(rel)
        if kept is not None and kept[0] == text:
            return kept[1]
        tree = parse(text, rel)
        self._trees[rel] = (text, tree)
        return tree


def load_file(path: Path, rel: str, lines: dict[str, tuple[str, ...]] | None = None,
              parsed: ParsedFiles | None = None) -> tuple[Node | None, list[Problem]]:
    """Read and parse one YAML file: returns (tree or None, problems); its text's lines go into `lines`.
    `parsed` keeps trees between builds."""
    text, problems = read_text(path, rel)
    if text is None:
        return None, problems
    if lines is not None:
        lines[rel] = tuple(text.splitlines())
    try:
        tree = parsed.parse(text, rel) if parsed is not None else parse(text, rel)
    except YamlError as fault:
        return None, [Problem.at(fault.pos, "error", fault.message)]
    if tree is None or (isinstance(tree, Scalar) and tree.is_null):
        return None, [Problem.at(Pos(rel), "error", "file is empty")]
    return tree, []


def plain(node: object) -> Any:
    """Strip positions: the plain Python value of a node tree."""
    if isinstance(node, YMap):
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, YList):
        return [plain(v) for v in node]
    if isinstance(node, Scalar):
        v = node.value
        return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v
    return node


def key_line(path: Path, key: str) -> int:
    """The line of a top-level key in a YAML file (1 if not found), for messages about a whole value."""
    try:
        for n, text in enumerate(path.read_text("utf-8").splitlines(), 1):
            if text.startswith(f"{key}:"):
                return n
    except (OSError, UnicodeError):
        pass
    return 1
