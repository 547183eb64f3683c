"""References formatted once: citations numbered in Python, each entry formatted by citeproc once per source.

pandoc's citeproc formats every citation and entry on every parse (0.14 s of a 0.30 s parse; 14 s at 6,000
claims). Here the document is parsed without it; then, for a numeric CSL style, citations are numbered in
order of first citation (as citeproc numbers them) and filled in from two caches under `out/.cache/`:

- each entry, formatted by citeproc once per source content, CSL style, locale and pandoc, with its number
  left as a slot (found by formatting the batch twice, numbered differently);
- the style's citation form, learned once from citeproc's output on stand-in sources (the style is checked
  to print no variable but the number and locator in a citation, so stand-ins print as real sources would):
  where the number goes, the delimiters between numbers and around ranges, whether numbers are sorted. The
  learned form must reproduce every stand-in citation citeproc printed, or it is not used.

So the CSL style stays the one source of the format; Python only numbers and places. A document or style
this cannot reproduce exactly (prefixes, author-in-text citations, a sorted or author-date style, citations
in metadata) returns None, and the caller parses with citeproc as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import xml.etree.ElementTree as ET  # noqa: N817 - the usual name
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import pandoc
from .pandoc_ast import walk

Node = Any  # a pandoc JSON AST node: dict, list or scalar
CSL_NS = "{http://purl.org/net/xbiblio/csl}"
# Variables a numeric citation may print: anything else (an author, a year) depends on the source or on
# disambiguation across sources, which only a full citeproc run reproduces.
CITATION_VARIABLES = {"citation-number", "locator"}
CONDITIONS = {"position", "disambiguate", "type", "is-numeric", "is-uncertain-date"}
# Metadata citeproc reads beyond what compose sets: a document using any goes through citeproc itself.
CITEPROC_META = {"references", "reference-section-title", "citation-abbreviations", "link-bibliography",
                 "notes-after-punctuation", "citation-style"}
SLOT = "\x00"  # where an entry's number goes in its cached form (source text never holds a NUL)
_MEMORY_MAX = 4096
# Sources per citeproc run, so its memory does not grow with the bibliography (each is formatted twice: 200
# entries take 181 MB).
ENTRY_BATCH = 100
RUNS_AT_ONCE = 2  # citeproc runs at a time: the machines this is measured on have two cores


class CiteprocNeededError(Exception):
    """This document or style needs a full citeproc run to come out identical."""


def supported_style(csl_bytes: bytes) -> bool:
    """True if the style is one whose citations are numbers only and whose entries are numbered in citation order."""
    try:
        root = ET.fromstring(csl_bytes)
    except ET.ParseError:
        return False
    if root.get("class") != "in-text":
        return False
    macros = {m.get("name"): m for m in root.iter(f"{CSL_NS}macro")}
    citation = root.find(f"{CSL_NS}citation")
    bib = root.find(f"{CSL_NS}bibliography")
    if citation is None or bib is None or bib.find(f"{CSL_NS}sort") is not None:
        return False  # a sorted bibliography numbers by the sort, not by first citation
    if bib.get("subsequent-author-substitute") is not None:
        return False  # an entry would depend on its neighbour
    seen: set[str] = set()
    stack = [citation]
    while stack:
        for sub in stack.pop().iter():
            if sub.tag in (f"{CSL_NS}names", f"{CSL_NS}date"):
                return False
            if sub.tag in (f"{CSL_NS}if", f"{CSL_NS}else-if") and set(sub.attrib) & CONDITIONS:
                return False  # a citation that changes with its position or its source's type
            if any(name not in CITATION_VARIABLES for name in (sub.get("variable") or "").split()):
                return False
            macro = sub.get("macro")
            if macro and macro not in seen:
                if macro not in macros:
                    return False
                seen.add(macro)
                stack.append(macros[macro])
    return True


@dataclass(frozen=True)
class Style:
    """The CSL style, locale and pandoc a formatting belongs to, as one cache key."""

    csl: Path
    lang: str | None
    key: str


def style_of(csl: Path, lang: str | None) -> Style | None:
    """The style's cache key, or None if it is not a style references can format once."""
    try:
        csl_bytes = Path(csl).read_bytes()
        binary = os.stat(pandoc.pandoc_path())
    except OSError:
        return None
    if not supported_style(csl_bytes):
        return None
    # The pandoc binary is in the key: another citeproc may format the same entry differently.
    key = hashlib.sha256(b"\0".join([csl_bytes, (lang or "").encode(), str(binary.st_size).encode(),
                                     str(binary.st_mtime_ns).encode()])).hexdigest()
    return Style(Path(csl), lang, key)


class Cache:
    """Formatted entries and citations: on disk under `folder` (JSON), and in `memory` (the build context's,
    which a warm process keeps between builds)."""

    def __init__(self, folder: Path | None, memory: OrderedDict[str, Any] | None = None):
        self.folder = folder
        self._memory: OrderedDict[str, Any] = memory if memory is not None else OrderedDict()

    def get(self, name: str) -> Any:
        """The cached value, or None."""
        if name in self._memory:
            return self._memory[name]
        if self.folder is None:
            return None
        try:
            value = json.loads((self.folder / f"{name}.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None  # missing or damaged: formatted again
        self._remember(name, value)
        return value

    def put(self, name: str, value: Any) -> None:
        """Store a value; a cache that cannot be written only costs a later re-format."""
        self._remember(name, value)
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.folder)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(value, f, ensure_ascii=False)
            os.replace(tmp, self.folder / f"{name}.json")
        except OSError:
            pass

    def _remember(self, name: str, value: Any) -> None:
        self._memory[name] = value
        self._memory.move_to_end(name)
        while len(self._memory) > _MEMORY_MAX:
            self._memory.popitem(last=False)


def _text(meta: Node) -> str | None:
    """A plain metadata value (MetaString, or MetaInlines of words) as text."""
    if not isinstance(meta, dict):
        return None
    if meta.get("t") == "MetaString":
        return str(meta["c"])
    if meta.get("t") == "MetaInlines":
        parts = []
        for i in meta["c"]:
            if i.get("t") == "Str":
                parts.append(i["c"])
            elif i.get("t") == "Space":
                parts.append(" ")
            else:
                return None
        return "".join(parts)
    return None


def _numbering(ast: dict[str, Any], cites: list[dict[str, Any]], known: list[str]) -> dict[str, int]:
    """Each source's number: first citation first, then the nocite sources in bibliography order (as citeproc
    numbers them)."""
    meta = ast.get("meta", {})
    if any(k in meta for k in CITEPROC_META):
        raise CiteprocNeededError("citeproc metadata")
    if meta.get("suppress-bibliography", {}).get("c") is not False or meta.get("link-citations", {}).get("c") \
            is not True:
        raise CiteprocNeededError("citeproc options")
    if any(n.get("t") == "Cite" for key, value in meta.items() if key != "nocite" for n in walk(value)):
        raise CiteprocNeededError("a citation in metadata")
    known_set = set(known)
    order: dict[str, int] = {}
    for c in cites:
        for cit in c["c"][0]:
            if cit["citationPrefix"] or cit["citationSuffix"] or cit["citationMode"].get("t") != "NormalCitation":
                raise CiteprocNeededError("a citation with a prefix, suffix or another mode")
            if cit["citationId"] not in known_set:
                raise CiteprocNeededError("a citation of an unknown source")
            order.setdefault(cit["citationId"], len(order) + 1)
    nocite = {n["c"][0][0]["citationId"] for n in walk(meta.get("nocite", [])) if n.get("t") == "Cite"}
    if nocite - known_set:
        raise CiteprocNeededError("nocite of an unknown source or of all")
    for sid in known:
        if sid in nocite:
            order.setdefault(sid, len(order) + 1)
    return order


def _scan(blocks: list[Any]) -> tuple[list[dict[str, Any]], list[list[Any]], list[dict[str, Any]]]:
    """One pass over the document: its Cite nodes in document order, the lists of inlines that hold one, and
    the Divs #refs."""
    cites: list[dict[str, Any]] = []
    lists: list[list[Any]] = []
    refs: list[dict[str, Any]] = []
    stack: list[Any] = [blocks]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            if any(isinstance(v, dict) and v.get("t") == "Cite" for v in n):
                lists.append(n)
            stack.extend(reversed(n))
        elif isinstance(n, dict):
            t = n.get("t")
            if t == "Cite":
                cites.append(n)
                continue  # what it holds is the text pandoc read, replaced below
            if t == "Div" and n["c"][0][0] == "refs":
                refs.append(n)
            c = n.get("c")
            if isinstance(c, list):
                stack.append(c)
    return cites, lists, refs


def _format(runs: Callable[[list[dict[str, Any]], str], dict[str, Any]], ids: list[str],
            items: dict[str, dict[str, Any]], learn: bool) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """One citeproc run: the style's citation form (if `learn`), and the entries of `ids`, each formatted twice
    (as itself and as a copy numbered len(ids) later) so that its number can be made a slot.

    One run, not one per question: most of a run's time is pandoc starting and reading the style."""
    top = max(n for g in PROBES for n in g)
    stand = _free("x", items, [str(n) for n in range(1, top + 1)]) if learn else ""
    copy = _free("copy-", items, ids)
    bib = [{"id": f"{stand}{n}", "type": "report", "title": f"{stand}{n}"} for n in range(1, top + 1)] if learn else []
    bib += [items[i] for i in ids] + [items[i] | {"id": copy + i} for i in ids]
    paras = []
    if learn:  # the stand-ins numbered 1, 2 ... in order, then the probes
        paras = [_citation([f"{stand}{n}" for n in range(1, top + 1)])]
        paras += [_citation([f"{stand}{n}" for n in g]) for g in PROBES]
    if ids:
        paras += [_citation(ids), _citation([copy + i for i in ids])]
    # Every entry is printed too: citeproc links a citation only to an entry it prints.
    ast = runs(bib, "\n\n".join(paras) + "\n")
    blocks = ast["blocks"]
    if len(blocks) != len(paras) + 1:
        raise CiteprocNeededError("citations did not parse one per paragraph")
    attr, printed = _refs_of(ast)
    learned = _learn(blocks[1:1 + len(PROBES)], attr, stand) if learn else None
    first = top if learn else 0
    entries = {sid: _entry(printed[f"ref-{sid}"], printed[f"ref-{copy}{sid}"], first + n, first + len(ids) + n)
               for n, sid in enumerate(ids, 1)}
    return learned, entries


def _entry(div: Node, copy: Node, n: int, n_copy: int) -> Node:
    """An entry's Div with its number made a slot, checked against its copy's (whose id differs)."""
    if div.get("t") != "Div" or copy.get("t") != "Div" or div["c"][0][1:] != copy["c"][0][1:]:
        raise CiteprocNeededError("an entry and its copy differ beyond their id")
    return {"t": "Div", "c": [div["c"][0], _slotted(div["c"][1], copy["c"][1], n, n_copy)]}


def _citation(ids: list[str]) -> str:
    """One Markdown citation of these sources: [@{a}; @{b}]."""
    return "[" + "; ".join("@{" + i + "}" for i in ids) + "]"


def _free(prefix: str, items: dict[str, dict[str, Any]], suffixes: list[str]) -> str:
    """A prefix that makes no source's id from these suffixes."""
    while any(prefix + s in items for s in suffixes):
        prefix += "x"
    return prefix


def _refs_of(ast: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The refs Div's classes and attributes, and its entries by id."""
    for n in walk(ast["blocks"]):
        if n.get("t") == "Div" and n["c"][0][0] == "refs":
            return [n["c"][0][1], n["c"][0][2]], {b["c"][0][0]: b for b in n["c"][1] if b.get("t") == "Div"}
    raise CiteprocNeededError("citeproc printed no reference list")


def _slotted(a: Node, b: Node, na: int, nb: int) -> Node:
    """Entry `a` (numbered na) with its number made a slot, checked against the same entry numbered nb."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            raise CiteprocNeededError("entries differ in shape")
        if a.get("t") == "Str" and a["c"] != b["c"]:
            slot = a["c"].replace(str(na), SLOT)
            if SLOT not in slot or slot.replace(SLOT, str(nb)) != b["c"]:
                raise CiteprocNeededError("an entry's number is not plain text")
            return {"t": "Str", "c": slot, "slot": True}
        return {k: _slotted(a[k], b[k], na, nb) for k in a}
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            raise CiteprocNeededError("entries differ in length")
        return [_slotted(x, y, na, nb) for x, y in zip(a, b, strict=True)]
    if a != b:
        raise CiteprocNeededError("entries differ beyond their number")
    return a


def _numbered(node: Node, n: int) -> Node:
    """A cached entry with its number filled in."""
    if isinstance(node, dict):
        if node.get("slot"):
            return {"t": "Str", "c": node["c"].replace(SLOT, str(n))}
        return {k: _numbered(v, n) for k, v in node.items()}
    if isinstance(node, list):
        return [_numbered(v, n) for v in node]
    return node


# What the stand-in citations show of the style: a single citation (two, to find the number's place), then
# groups that show its delimiter, its ranges, its order; the learned form must reproduce every one.
PROBES: tuple[tuple[int, ...], ...] = ((7,), (12,), (1, 3), (1, 2), (1, 2, 3), (3, 1), (1, 2, 3, 5), (5,),
                                       (2, 1, 3), (1, 2, 3, 5, 7, 8, 9, 10, 12), (10, 11, 12, 1), (4, 6, 5, 9))
NUMBER, IDENT = "\x00", "\x01"  # slots in a learned citation (stand-in text holds neither)


def _learn(probes: list[Any], refs_attr: list[Any], stand: str) -> dict[str, Any]:
    """The style's citation form and reference list attributes, learned from citeproc's paragraphs citing the
    stand-in sources (`stand`1, `stand`2 ...) as PROBES groups them: where the number goes, the delimiters
    between numbers and ranges, whether numbers are sorted."""
    seen = {}
    for g, b in zip(PROBES, probes, strict=True):
        if b.get("t") != "Para" or len(b["c"]) != 1 or b["c"][0].get("t") != "Cite":
            raise CiteprocNeededError("a citation rendered beyond its Cite")
        seen[g] = b["c"][0]["c"][1]
    single = _slots(seen[(7,)], seen[(12,)], f"{stand}7", f"{stand}12", 7, 12)
    path = _common(list(_slot_paths(single, [])))
    while path and not isinstance(path[-1], int):
        path = path[:-1]  # up to the element of a list that holds every slot: one cited number
    if not path:
        raise CiteprocNeededError("no single element holds a citation's number")
    form: dict[str, Any] = {"single": single, "path": path, "sort": False, "min_run": 0}
    parent = _at(single, path[:-1])
    k = int(path[-1])
    before, after = parent[:k], parent[k + 1:]

    def between(g: tuple[int, ...]) -> list[Any]:
        """What citeproc put between the first and last number of this probe."""
        got = _at(seen[g], path[:-1])
        first, last = _item(form, min(g), f"{stand}{min(g)}"), _item(form, max(g), f"{stand}{max(g)}")
        if (got[:k] != before or got[len(got) - len(after):] != after or got[k] != first
                or got[len(got) - len(after) - 1] != last):
            raise CiteprocNeededError("a citation's form is not a list of numbers")
        return list(got[k + 1:len(got) - len(after) - 1])

    form["delimiter"] = between((1, 3))
    three = between((1, 2, 3))
    mid = _item(form, 2, f"{stand}2")
    if three != [*form["delimiter"], mid, *form["delimiter"]]:
        form["range"], form["min_run"] = three, 3
        if between((1, 2)) == three:
            form["min_run"] = 2
        with_range = between((1, 2, 3, 5))
        form["after_range"] = with_range[len(three) + 1:]
    form["sort"] = _at(seen[(3, 1)], path[:-1])[k] == _item(form, 1, f"{stand}1")
    render = _renderer(form)
    for g, got in seen.items():
        if render(g, {n: f"{stand}{n}" for n in g}) != got:
            raise CiteprocNeededError("the learned citation form does not reproduce citeproc's")
    return {"form": form, "refs": refs_attr}


def _slots(a: Node, b: Node, ia: str, ib: str, na: int, nb: int) -> Node:
    """Citation `a` (of stand-in ia, numbered na) with its number and its stand-in's id made slots, checked on `b`."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return {k: _slots(a[k], b[k], ia, ib, na, nb) for k in a}
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [_slots(x, y, ia, ib, na, nb) for x, y in zip(a, b, strict=True)]
    if isinstance(a, str) and isinstance(b, str) and a != b:
        slot = a.replace(ia, IDENT).replace(str(na), NUMBER)
        if slot.replace(NUMBER, str(nb)).replace(IDENT, ib) == b:
            return slot
    if a != b:
        raise CiteprocNeededError("citations differ beyond their number")
    return a


def _slot_paths(node: Node, path: list[Any]) -> Iterator[list[Any]]:
    """The path to every string that holds a slot."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _slot_paths(v, [*path, k])
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _slot_paths(v, [*path, i])
    elif isinstance(node, str) and (NUMBER in node or IDENT in node):
        yield path


def _common(paths: list[list[Any]]) -> list[Any]:
    """The longest path every one of these starts with."""
    if not paths:
        return []
    out = []
    for parts in zip(*paths, strict=False):
        if any(p != parts[0] for p in parts):
            break
        out.append(parts[0])
    return out


def _at(node: Node, path: list[Any]) -> Any:
    for p in path:
        node = node[p]
    return node


def _fill(node: Node, n: int, sid: str) -> Node:
    if isinstance(node, dict):
        return {k: _fill(v, n, sid) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, n, sid) for v in node]
    if isinstance(node, str) and (NUMBER in node or IDENT in node):
        return node.replace(IDENT, sid).replace(NUMBER, str(n))
    return node


def _item(form: dict[str, Any], n: int, sid: str) -> Any:
    """One cited number, as the style prints it (linked to its entry)."""
    return _fill(_at(form["single"], form["path"]), n, sid)


_BODY = "\x02"  # where a citation's numbers go in its learned wrapper


def _renderer(form: dict[str, Any]) -> Callable[[tuple[int, ...], dict[int, str]], list[Any]]:
    """A citation of given numbers in the learned form (sorted, runs collapsed to ranges, delimited), built as
    JSON text from the form's parts so each citation is fresh nodes, made fast (26,000 citations at scale)."""
    item = json.dumps(_at(form["single"], form["path"]), ensure_ascii=True)
    number, ident = json.dumps(NUMBER)[1:-1], json.dumps(IDENT)[1:-1]
    wrapper = json.loads(json.dumps(form["single"]))
    path = form["path"]
    _at(wrapper, path[:-1])[int(path[-1])] = _BODY
    head, tail = json.dumps(wrapper, ensure_ascii=True).split(json.dumps(_BODY), 1)
    delimiter = json.dumps(form["delimiter"])[1:-1]
    after_range = json.dumps(form.get("after_range", []))[1:-1]
    span = json.dumps(form.get("range", []))[1:-1]
    min_run = int(form["min_run"])

    def one(n: int, ids: dict[int, str]) -> str:
        return item.replace(ident, json.dumps(ids[n], ensure_ascii=True)[1:-1]).replace(number, str(n))

    def render(numbers: tuple[int, ...], ids: dict[int, str]) -> list[Any]:
        ns = sorted(numbers) if form["sort"] else list(numbers)
        runs: list[list[int]] = []
        for n in ns:
            if runs and min_run and n == runs[-1][-1] + 1:
                runs[-1].append(n)
            else:
                runs.append([n])
        body: list[str] = []
        ranged = False
        for run in runs:
            for part in ([run] if len(run) >= min_run > 0 else [[n] for n in run]):
                if body:
                    body.append(after_range if ranged else delimiter)
                if len(part) > 1:
                    body += [one(part[0], ids), span, one(part[-1], ids)]
                else:
                    body.append(one(part[0], ids))
                ranged = len(part) > 1
        out: list[Any] = json.loads(head + ",".join(b for b in body if b) + tail)
        return out

    return render


def _drop_spaces(lists: list[list[Any]]) -> None:
    """citeproc removes the space before a citation it renders as a superscript; so do we, in every list of
    inlines that holds a citation (a paragraph's, a caption's, an image's description)."""
    for n in lists:
        if any(_superscript_cite(v) for v in n[1:]):
            n[:] = [v for i, v in enumerate(n) if not (isinstance(v, dict) and v.get("t") in ("Space", "SoftBreak")
                                                       and i + 1 < len(n) and _superscript_cite(n[i + 1]))]


def _superscript_cite(node: Node) -> bool:
    return (isinstance(node, dict) and node.get("t") == "Cite" and bool(node["c"][1])
            and node["c"][1][0].get("t") == "Superscript")


def _insert_refs(ast: dict[str, Any], divs: list[dict[str, Any]], refs: list[Any], attr: list[Any]) -> None:
    """Place the entries as citeproc does: in every Div #refs, else after a final heading or at the end."""
    if not refs:
        return
    classes, kvs = attr
    found = bool(divs)
    for i, n in enumerate(divs):
        own = n["c"][0]
        own[1] = list(dict.fromkeys([*own[1], *classes]))
        own[2] = [list(p) for p in dict.fromkeys(tuple(p) for p in [*own[2], *kvs])]
        n["c"][1] = n["c"][1] + (json.loads(json.dumps(refs)) if i else refs)
    if found:
        return
    blocks = ast["blocks"]
    if blocks and blocks[-1].get("t") == "Header":
        head_classes = blocks[-1]["c"][1][1]
        if "unnumbered" not in head_classes:
            head_classes.append("unnumbered")
    blocks.append({"t": "Div", "c": [["refs", list(classes), [list(p) for p in kvs]], refs]})


def _entry_key(style: Style, item: dict[str, Any]) -> str:
    """An entry's cache name: one file per source content (the same source in another briefing shares it)."""
    text = style.key + "\0" + json.dumps(item, sort_keys=True, ensure_ascii=False)
    return "entry-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _formatted(cache: Cache, style: Style, ids: list[str], items: dict[str, dict[str, Any]], source_date_epoch: int,
               work_dir: Path | None, stop: threading.Event | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The style's learned citation form and the entries of `ids`, from the cache; what it lacks is formatted
    by citeproc, one run per batch of entries (the first also learns the style), two runs at a time."""
    style_name = "style-" + style.key[:32]
    learned = cache.get(style_name)
    keys = {sid: _entry_key(style, items[sid]) for sid in ids}
    entries = {sid: cache.get(keys[sid]) for sid in ids}
    missing = [sid for sid in ids if entries[sid] is None]
    batches = [missing[at:at + ENTRY_BATCH] for at in range(0, len(missing), ENTRY_BATCH)] or [[]]
    if learned is not None and not missing:
        return learned, entries

    def run(i: int) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        if stop is not None and stop.is_set():
            raise CiteprocNeededError("stopped")  # the caller no longer needs it

        def runs(bib: list[dict[str, Any]], body: str) -> dict[str, Any]:
            return pandoc.citeproc(body, bibliography=bib, csl=style.csl, lang=style.lang,
                                   source_date_epoch=source_date_epoch, work_dir=work_dir)

        return _format(runs, batches[i], items, learn=learned is None and i == 0)

    with ThreadPoolExecutor(RUNS_AT_ONCE) if len(batches) > 1 else contextlib.nullcontext() as pool:
        results = pool.map(run, range(len(batches))) if pool else [run(0)]
        for batch, (got, formatted) in zip(batches, results, strict=True):
            if got is not None:
                learned = got
                cache.put(style_name, learned)
            for sid in batch:
                cache.put(keys[sid], formatted[sid])
                entries[sid] = formatted[sid]
    assert learned is not None
    return learned, entries


def resolve(ast: dict[str, Any], bibliography: list[dict[str, Any]], csl: Path, *, source_date_epoch: int,
            work_dir: Path | None, cache_dir: Path | None,
            memory: OrderedDict[str, Any] | None = None) -> dict[str, Any] | None:
    """Fill a document parsed without citeproc with its citations and reference list, as citeproc would; None
    if only citeproc itself can (the caller then parses with it)."""
    style = style_of(csl, _text(ast.get("meta", {}).get("lang")))
    if style is None:
        return None
    items = {i["id"]: i for i in bibliography}
    try:
        cites, lists, divs = _scan(ast.get("blocks", []))
        numbers = _numbering(ast, cites, list(items))
    except CiteprocNeededError:
        return None
    cache = Cache(cache_dir, memory)
    try:
        learned, entries = _formatted(cache, style, sorted(numbers, key=numbers.__getitem__), items,
                                      source_date_epoch, work_dir)
        by_number = {n: sid for sid, n in numbers.items()}
        render = _renderer(learned["form"])
        for cite in cites:
            group = tuple(numbers[c["citationId"]] for c in cite["c"][0])
            if len(set(group)) != len(group):
                raise CiteprocNeededError("a source cited twice in one citation")
            cite["c"][1] = render(group, by_number)
    except (CiteprocNeededError, KeyError, IndexError, TypeError, AttributeError, ValueError):
        return None  # citeproc's output took a shape this does not reproduce: let citeproc do the whole
    _drop_spaces(lists)
    refs = [_numbered(entries[by_number[n]], n) for n in range(1, len(numbers) + 1)]
    _insert_refs(ast, divs, refs, learned["refs"])
    return ast


def expected_lang(markdown: str) -> str | None:
    """The `lang` the parse will most likely find: the one in the YAML metadata block that opens the Markdown."""
    if not markdown.startswith("---\n"):
        return None
    end = markdown.find("\n---\n", 3)
    head = markdown[4:end] if end > 0 else ""
    lang = next((line[5:].strip().strip("'\"") for line in head.splitlines() if line.startswith("lang:")), "")
    return lang or None


@contextlib.contextmanager
def formatting_ahead(ids: list[str], bibliography: list[dict[str, Any]], csl: Path, lang: str | None, *,
                     source_date_epoch: int, work_dir: Path | None, cache_dir: Path | None,
                     memory: OrderedDict[str, Any] | None = None) -> Iterator[None]:
    """Format, in a thread while the caller works (pandoc parses), what the cache lacks of these entries and
    the style: a guess at what `resolve` will need, made before the parse that decides it. A wrong guess
    costs only work; resolve formats whatever is still missing, and reports any error itself."""
    items = {i["id"]: i for i in bibliography}
    style = style_of(csl, lang)
    wanted = [i for i in dict.fromkeys(ids) if i in items]
    if style is None or not wanted:
        yield
        return
    cache, stop = Cache(cache_dir, memory), threading.Event()

    def work() -> None:
        # Anything it meets, resolve meets again in the caller's thread, where it is reported.
        with contextlib.suppress(Exception):
            _formatted(cache, style, wanted, items, source_date_epoch, work_dir, stop)

    thread = threading.Thread(target=work, name="references", daemon=True)
    thread.start()
    try:
        yield
    except BaseException:
        stop.set()  # no more batches: the build is failing
        raise
    finally:
        thread.join()
