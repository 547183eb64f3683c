"""Running the pandoc that pypandoc-binary ships: no system install, one parse per build."""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any, NamedTuple, cast

from .errors import BriefingError
from .pandoc_ast import Json, Nodes, loads, walk
from .parse_cache import ParseCache, PartStore


# Memoises a constant: where the installed pandoc lives does not change while the process runs.
@functools.cache
def pandoc_path() -> str:
    """Path to the pandoc binary (found without importing pypandoc, which is slow to import)."""
    spec = importlib.util.find_spec("pypandoc")
    if spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "files" / ("pandoc.exe" if os.name == "nt" else "pandoc")
            if candidate.exists():
                return str(candidate)
    try:
        import pypandoc  # deferred: a fallback, only when pandoc is not where pypandoc-binary puts it

        return str(pypandoc.get_pandoc_path())
    except (ImportError, OSError) as exc:
        raise BriefingError(f"pandoc not found ({exc}); install pypandoc-binary") from None


def env(source_date_epoch: int) -> dict[str, str]:
    """The environment pandoc runs in: a fixed date so outputs are reproducible."""
    e = dict(os.environ)
    e["SOURCE_DATE_EPOCH"] = str(source_date_epoch)
    return e


def run(args: list[str], stdin: bytes, *, source_date_epoch: int, what: str) -> bytes:
    """Run pandoc and return its output; a failure becomes one clear error line."""
    try:
        proc = subprocess.run([pandoc_path(), *args], input=stdin, capture_output=True,
                              env=env(source_date_epoch), timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BriefingError(f"pandoc failed while {what}: {exc}") from None
    if proc.returncode != 0:
        first = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["(no message)"])[0]
        raise BriefingError(f"pandoc failed while {what}: {first}")
    return proc.stdout


def parse(markdown: str, *, bibliography: list[dict[str, Any]], csl: Path, source_date_epoch: int,
          work_dir: Path | None = None, cache: ParseCache | None = None) -> dict[str, Any]:
    """Parse the composed Markdown once, with citeproc, into pandoc's JSON AST; the references file goes in
    `work_dir` (the build's own, which the next build cleans after a kill -9), else the system's temp folder.
    With a `cache`, an unchanged input is not parsed again."""
    bib_json = json.dumps(bibliography, ensure_ascii=False)
    try:
        csl_bytes = Path(csl).read_bytes()
    except OSError:
        csl_bytes = b""  # pandoc reports the unreadable file itself
    key = hashlib.sha256(b"\0".join([markdown.encode("utf-8"), bib_json.encode("utf-8"), str(csl).encode(),
                                     csl_bytes, str(source_date_epoch).encode()])).hexdigest()
    out = cache.get(key) if cache is not None else None
    if out is None:
        if work_dir is not None:
            Path(work_dir).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="briefing-", dir=work_dir) as tmp:
            bib = Path(tmp) / "references.json"
            bib.write_text(bib_json, encoding="utf-8")
            out = run(["-f", "markdown-implicit_header_references", "-t", "json", "--citeproc",
                       f"--csl={csl}", f"--bibliography={bib}", "-M", "link-citations=true",
                       "-M", "suppress-bibliography=false"],
                      markdown.encode("utf-8"), source_date_epoch=source_date_epoch, what="parsing the briefing")
        if cache is not None:
            cache.put(key, out)
    result: dict[str, Any] = loads(out)
    return result  # a fresh tree each time: callers may keep or change theirs


CHUNK_SIZE = 1_000_000  # characters of Markdown per pandoc at most: about 100-150 MB of pandoc's memory
PART_SIZE = 2_000  # characters per part, at most but for one long block: an edit parses 2 kB again (25 ms, not 50)
MAX_PARTS = 64  # parts of a large document, about (up to twice that, cut at headings): each costs a pandoc start
PARSERS = 2  # pandocs parsing parts at once
# The references file the plain parse names, as `parse` names its own; pandoc never reads it without
# --citeproc. A fixed name, so that a part's output does not depend on the build that parsed it.
PLAIN_BIBLIOGRAPHY = "references.json"


def part_size(length: int) -> int:
    """Characters per part for a document of `length`: small, yet at most MAX_PARTS parts and CHUNK_SIZE each."""
    return min(CHUNK_SIZE, max(PART_SIZE, -(-length // MAX_PARTS)))


def parse_plain(markdown: str, *, csl: Path, source_date_epoch: int, chunk_size: int | None = None,
                store: PartStore | None = None) -> dict[str, Any]:
    """Parse the composed Markdown into pandoc's JSON AST without citeproc (references.resolve fills in the
    citations); the metadata is what `parse` gives, --csl and --bibliography included.

    The document is cut into parts at top-level blocks (`chunks`), each parsed on its own, several at once,
    and the parts' ASTs are joined into the one pandoc gives for the whole. With a `store`, only the parts
    not parsed before are parsed: after an edit, those whose text changed. No pandoc holds the whole
    document (671 MB at 6,000 claims). A document whose parts do not join exactly is parsed whole."""
    args = ["-f", "markdown-implicit_header_references", "-t", "json", f"--csl={csl}",
            f"--bibliography={PLAIN_BIBLIOGRAPHY}", "-M", "link-citations=true", "-M", "suppress-bibliography=false"]
    parts = cut(markdown, chunk_size or part_size(len(markdown)))
    trees = _parsed([part.text for part in parts], args, source_date_epoch, store)
    joined = trees[0] if len(trees) == 1 else _join(trees, [part.continues for part in parts])
    if joined is None:
        del trees  # freed before the whole is parsed
        joined = _parsed([markdown], args, source_date_epoch, store)[0]
    if store is not None:
        store.prune()
    return joined  # a fresh tree each time: callers may keep or change theirs


def _parsed(parts: list[str], args: list[str], source_date_epoch: int, store: PartStore | None) -> list[Json]:
    """Each part's AST: from the store where it holds the part, else parsed (several pandocs at once) and stored."""
    salt = "\0".join([_pandoc_identity(), *args, str(source_date_epoch)]).encode("utf-8")
    keys = [hashlib.sha256(salt + b"\0" + part.encode("utf-8")).hexdigest() for part in parts]
    trees: list[Json | None] = [None] * len(parts)
    if store is not None:
        for i, key in enumerate(keys):
            out = store.get(key)
            if out is not None:
                trees[i] = _tree(out)
                if trees[i] is None:
                    store.drop(key)  # damaged: parsed again below

    def one(i: int) -> None:
        out = run(args, parts[i].encode("utf-8"), source_date_epoch=source_date_epoch, what="parsing the briefing")
        trees[i] = loads(out)
        if store is not None:
            store.put(keys[i], out)

    missing = [i for i, tree in enumerate(trees) if tree is None]
    if len(missing) == 1:
        one(missing[0])
    elif missing:
        # Threads only wait on pandoc; two at a time bounds pandoc's memory to two parts' parses.
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(missing), PARSERS)) as pool:
            list(pool.map(one, missing))  # (list: raises a part's error here)
    return cast(list[Json], trees)


def _tree(out: bytes) -> Json | None:
    """A stored output as an AST; None if it is not one (a damaged cache file)."""
    try:
        tree = loads(out)
    except (ValueError, UnicodeDecodeError):
        return None
    if not (isinstance(tree, dict) and isinstance(tree.get("blocks"), list) and isinstance(tree.get("meta"), dict)
            and "pandoc-api-version" in tree):
        return None
    return tree


# Memoises a constant: the installed pandoc does not change while the process runs.
@functools.cache
def _pandoc_identity() -> str:
    """What tells one pandoc binary from another (an upgrade may parse differently): its path, size and time."""
    path = pandoc_path()
    try:
        st = os.stat(path)
    except OSError:
        return path
    return f"{path}\0{st.st_size}\0{st.st_mtime_ns}"


# What makes one part of a Markdown document depend on another: footnotes and link definitions anywhere,
# numbered examples. A document with any is parsed whole.
_GLOBAL = re.compile(r"^ {0,3}\[[^\]\n]+\]:|\(@", re.MULTILINE)
_FENCE = re.compile(r"(`{3,}|~{3,})")
_DIV = re.compile(r":{3,}")
_HEADING = re.compile(r"#{1,6}(\s|$)")


class Part(NamedTuple):
    """A part of the document: its text, and whether it goes on with the table or list the part before it
    ended with (the join then merges the two)."""

    text: str
    continues: bool = False


def chunks(markdown: str, size: int = CHUNK_SIZE) -> list[str]:
    """The texts of `cut`'s parts."""
    return [part.text for part in cut(markdown, size)]


def cut(markdown: str, size: int = CHUNK_SIZE) -> list[Part]:
    """The document cut into parts of about `size` characters; one part if it cannot be cut.

    A part starts after a blank line, at a heading or a fenced div at no depth, outside code and metadata;
    or inside a long top-level block: between two rows of a pipe table (the part repeats the table's header
    and separator lines) or between two items of a tight bullet list. It starts at a heading or div as soon as
    the part before is half of `size`, so the cuts after a section do not move when it grows."""
    if len(markdown) <= size or _GLOBAL.search(markdown):
        return [Part(markdown)]
    lines = markdown.splitlines(keepends=True)
    # Where a part may start: (line, character offset, the text it repeats first, whether it continues a block).
    candidates: list[tuple[int, int, str, bool]] = []
    fence = ""
    depth = 0
    in_yaml = False
    blank = True
    offset = 0
    table, table_rows = "", 0  # the header and separator lines of the pipe table these lines are rows of
    bullet = ""  # the marker (and its spacing) of the bullet list these lines are in
    for i, line in enumerate(lines):
        text = line.rstrip("\r\n")
        here = offset
        offset += len(line)
        if table and not text.startswith("|"):
            table = ""
        if fence:
            if text.strip() == fence[0] * len(text.strip()) and len(text.strip()) >= len(fence):
                fence = ""
        elif in_yaml:
            in_yaml = text not in ("---", "...")
        elif _FENCE.match(text):
            fence, bullet = _FENCE.match(text).group(1), ""  # type: ignore[union-attr]
        elif text == "---" and blank and i + 1 < len(lines) and lines[i + 1].strip():
            in_yaml, bullet = True, ""  # a metadata block (pandoc's rule: a blank line before, none after)
        elif _DIV.match(text):
            bullet = ""  # a list never goes on past a div's fence
            opener = bool(text.strip(":").strip())
            if opener and depth == 0 and blank:
                candidates.append((i, here, "", False))
            depth = depth + 1 if opener else max(depth - 1, 0)
        elif _HEADING.match(text) and depth == 0 and blank:
            candidates.append((i, here, "", False))
        elif depth == 0 and table and i >= table_rows:
            candidates.append((i, here, table, True))
        elif depth == 0 and blank and text.startswith("|") and i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1]):
            table, table_rows = line + lines[i + 1], i + 3  # a cut needs a row before it
        if depth == 0 and not fence and not in_yaml:
            if bullet and not blank and text.startswith(bullet):
                candidates.append((i, here, "", True))  # the next item of a tight list
            bullet = _bullet(text, bullet, blank)
        blank = not text.strip()
    if fence or depth or in_yaml:
        return [Part(markdown)]  # something left open: cut nothing rather than guess
    cuts, start = [(0, "", False)], 0
    for n, (i, at, repeats, continues) in enumerate(candidates):
        after = candidates[n + 1][1] if n + 1 < len(candidates) else len(markdown)
        # A part ends where it would grow past `size` with the next block, and at a heading or div once it is
        # half that: so an edit moves the cuts of its own section only, and the other parts are parsed already.
        if at > start and (after - start > size or (not continues and at - start >= size // 2)):
            cuts.append((i, repeats, continues))
            start = at
    cuts.append((len(lines), "", False))
    return [Part(repeats + "".join(lines[a:b]), continues)
            for (a, repeats, continues), (b, _, _) in zip(cuts, cuts[1:], strict=False) if b > a]


_SEPARATOR = re.compile(r"\|(\s*:?-+:?\s*\|)+\s*$")  # a pipe table's line under its header
_ITEM = re.compile(r"([-*+])[ \t]+\S")


def _bullet(text: str, bullet: str, blank: bool) -> str:
    """The marker of the top-level bullet list a line leaves us in ("" for none), from the one before it."""
    item = _ITEM.match(text)
    if item:
        return item.group(1) + text[1:item.end() - 1]  # the marker and its spacing: the next item's start
    if not text.strip() or text[0] in " \t" or (bullet and not blank):
        return bullet  # a blank line, an indented line, or a lazy continuation: still in the list
    return ""


def _join(parts: list[Json], continues: list[bool] | None = None) -> Json | None:
    """One AST from the parts' ASTs, as pandoc gives for the whole document; None if they cannot be joined
    exactly (the caller then parses the whole). A part that `continues` has its first block merged into the
    last block so far: the rest of a table, or of a list."""
    meta: Json = {}
    blocks: Nodes = []
    ids: set[str] = set()
    notes = 0
    for n, part in enumerate(parts):
        top = 0
        for node in walk([part["meta"], part["blocks"]]):
            t = node.get("t")
            if t == "Cite":
                for c in node["c"][0]:
                    c["citationNoteNum"] += notes  # pandoc numbers citations through the whole document
                    top = max(top, c["citationNoteNum"])
            elif t in ("Header", "Div", "Figure", "Table", "CodeBlock", "Span"):
                ident = node["c"][1][0] if t == "Header" else node["c"][0][0]
                if ident:
                    if ident in ids:
                        return None  # an identifier pandoc would have made unique across the whole
                    ids.add(ident)
        notes = max(notes, top)
        for k, v in part["meta"].items():
            if k in meta and meta[k] != v:
                return None
            meta[k] = v
        if continues and continues[n]:
            merged = _merged(blocks[-1], part["blocks"][0]) if blocks and part["blocks"] else None
            if merged is None:
                return None
            blocks[-1] = merged
            blocks += part["blocks"][1:]
        else:
            blocks += part["blocks"]
    # Keys in pandoc's order (its metadata is a map, written sorted), so the JSON is pandoc's to the byte.
    return {"pandoc-api-version": parts[0]["pandoc-api-version"], "meta": dict(sorted(meta.items())),
            "blocks": blocks}


_NO_ATTR: Any = ["", [], []]
_NO_CAPTION: Any = [None, []]


def _merged(a: Json, b: Json) -> Json | None:
    """Table or bullet list `a` followed by its rest `b`, as pandoc parses the two as one; None if not exactly."""
    if a.get("t") != b.get("t"):
        return None
    if a["t"] == "Table":
        attr_a, caption_a, cols, head, bodies_a, foot = a["c"]
        attr_b, caption_b, cols_b, head_b, bodies_b, foot_b = b["c"]
        # The widths come from the whole table (any line wider than the page makes them relative): equal
        # widths say both parts saw the same.
        if (cols, head, foot) != (cols_b, head_b, foot_b) or len(bodies_a) != 1 or len(bodies_b) != 1 \
                or bodies_a[0][:3] != bodies_b[0][:3]:
            return None
        attr, caption = _either(attr_a, attr_b, _NO_ATTR), _either(caption_a, caption_b, _NO_CAPTION)
        if attr is None or caption is None:
            return None
        body = [*bodies_a[0][:3], bodies_a[0][3] + bodies_b[0][3]]
        return {"t": "Table", "c": [attr, caption, cols, head, [body], foot]}
    if a["t"] == "BulletList":
        items = a["c"] + b["c"]
        # pandoc makes a list's items Plain or Para by the whole list (its `compactify`): only a list whose
        # items are all one or all the other joins exactly.
        kinds = {block.get("t") for item in items for block in item if block.get("t") in ("Plain", "Para")}
        return {"t": "BulletList", "c": items} if len(kinds) <= 1 else None
    return None


def _either(a: Any, b: Any, empty: Any) -> Any:
    """The one of a and b that is not empty (a table's caption, or its attributes); None if both are not."""
    if a != empty and b != empty:
        return None
    return b if a == empty else a


def citeproc(markdown: str, *, bibliography: list[dict[str, Any]], csl: Path, lang: str | None, source_date_epoch: int,
             work_dir: Path | None = None) -> Json:
    """Run citeproc on a small document (references formatting a batch of entries or citations)."""
    if work_dir is not None:
        Path(work_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="briefing-", dir=work_dir) as tmp:
        bib = Path(tmp) / "references.json"
        bib.write_text(json.dumps(bibliography, ensure_ascii=False), encoding="utf-8")
        args = ["-f", "markdown-implicit_header_references", "-t", "json", "--citeproc", f"--csl={csl}",
                f"--bibliography={bib}", "-M", "link-citations=true", "-M", "suppress-bibliography=false"]
        if lang is not None:
            args += ["-M", f"lang={lang}"]
        out = run(args, markdown.encode("utf-8"), source_date_epoch=source_date_epoch,
                  what="formatting the references")
    return cast(Json, json.loads(out))  # pandoc's JSON writer gives one document object
