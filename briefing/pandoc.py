"""Running the pandoc that pypandoc-binary ships: no system install, one parse per build."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any, cast

from .errors import BriefingError
from .pandoc_ast import Json, Nodes, loads, walk


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


class ParseCache:
    """Pandoc's outputs (one per chunk parsed) by a digest of everything it read: a warm process (watch)
    re-parses only on a change.

    Held by a build context (briefing/context.py), never by the module, so two builds share it only
    when their caller says so.
    """

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._out: dict[str, tuple[bytes, ...]] = {}

    def get(self, key: str) -> tuple[bytes, ...] | None:
        """The outputs stored under `key`, if any."""
        return self._out.get(key)

    def put(self, key: str, out: tuple[bytes, ...]) -> None:
        """Store `out`, forgetting the oldest entries beyond the size."""
        while len(self._out) >= self._size:
            self._out.pop(next(iter(self._out)))
        self._out[key] = out


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
            out = (run(["-f", "markdown-implicit_header_references", "-t", "json", "--citeproc",
                        f"--csl={csl}", f"--bibliography={bib}", "-M", "link-citations=true",
                        "-M", "suppress-bibliography=false"],
                       markdown.encode("utf-8"), source_date_epoch=source_date_epoch, what="parsing the briefing"),)
        if cache is not None:
            cache.put(key, out)
    result: dict[str, Any] = loads(out[0])
    return result  # a fresh tree each time: callers may keep or change theirs


CHUNK_SIZE = 1_000_000  # characters of Markdown per pandoc: about 100-150 MB of pandoc's memory


def parse_plain(markdown: str, *, csl: Path, source_date_epoch: int, work_dir: Path | None = None,
                chunk_size: int = CHUNK_SIZE, cache: ParseCache | None = None) -> dict[str, Any]:
    """Parse the composed Markdown into pandoc's JSON AST without citeproc (references.resolve fills in the
    citations); the metadata is the same as `parse` gives, --csl and --bibliography included. A large document
    is parsed in chunks, one pandoc at a time, so that no process holds the whole parse (671 MB at 6,000
    claims); the chunks' ASTs are joined into the one pandoc gives for the whole."""
    key = hashlib.sha256(b"\0".join([b"plain", markdown.encode("utf-8"), str(csl).encode(),
                                     str(source_date_epoch).encode()])).hexdigest()
    outs = cache.get(key) if cache is not None else None
    if outs is None:
        if work_dir is not None:
            Path(work_dir).mkdir(parents=True, exist_ok=True)
        # The references file is named, as `parse` names it, but pandoc never reads it without --citeproc.
        with tempfile.TemporaryDirectory(prefix="briefing-", dir=work_dir) as tmp:
            args = ["-f", "markdown-implicit_header_references", "-t", "json", f"--csl={csl}",
                    f"--bibliography={Path(tmp) / 'references.json'}", "-M", "link-citations=true",
                    "-M", "suppress-bibliography=false"]
            outs = tuple(run(args, part.encode("utf-8"), source_date_epoch=source_date_epoch,
                             what="parsing the briefing") for part in chunks(markdown, chunk_size))
            joined = _join([loads(out) for out in outs]) if len(outs) > 1 else None
            if len(outs) > 1 and joined is None:
                outs = (run(args, markdown.encode("utf-8"), source_date_epoch=source_date_epoch,
                            what="parsing the briefing"),)
        if cache is not None:
            cache.put(key, outs)
        if joined is not None:
            return joined  # (the cache holds pandoc's outputs, never this tree)
    result = loads(outs[0]) if len(outs) == 1 else _join([loads(out) for out in outs])
    if result is None:  # cannot happen: a cached split was joined when it was stored
        raise BriefingError("pandoc's parts of the briefing cannot be joined")
    return result  # a fresh tree each time: callers may keep or change theirs


# What makes one part of a Markdown document depend on another: footnotes and link definitions anywhere,
# numbered examples. A document with any is parsed whole.
_GLOBAL = re.compile(r"^ {0,3}\[[^\]\n]+\]:|\(@", re.MULTILINE)
_FENCE = re.compile(r"(`{3,}|~{3,})")
_DIV = re.compile(r":{3,}")
_HEADING = re.compile(r"#{1,6}(\s|$)")


def chunks(markdown: str, size: int = CHUNK_SIZE) -> list[str]:
    """The document cut at top-level block boundaries (a blank line, then a heading or a fenced div at no
    depth, outside code and metadata), into parts of about `size` characters; one part if it cannot be cut."""
    if len(markdown) <= size or _GLOBAL.search(markdown):
        return [markdown]
    lines = markdown.splitlines(keepends=True)
    candidates: list[tuple[int, int]] = []  # (line, character offset) where a part may start
    fence = ""
    depth = 0
    in_yaml = False
    blank = True
    offset = 0
    for i, line in enumerate(lines):
        text = line.rstrip("\r\n")
        here = offset
        offset += len(line)
        if fence:
            if text.strip() == fence[0] * len(text.strip()) and len(text.strip()) >= len(fence):
                fence = ""
        elif in_yaml:
            in_yaml = text not in ("---", "...")
        elif _FENCE.match(text):
            fence = _FENCE.match(text).group(1)  # type: ignore[union-attr]
        elif text == "---" and blank and i + 1 < len(lines) and lines[i + 1].strip():
            in_yaml = True  # a metadata block (pandoc's rule: a blank line before, none after)
        elif _DIV.match(text):
            opener = bool(text.strip(":").strip())
            if opener and depth == 0 and blank:
                candidates.append((i, here))
            depth = depth + 1 if opener else max(depth - 1, 0)
        elif _HEADING.match(text) and depth == 0 and blank:
            candidates.append((i, here))
        blank = not text.strip()
    if fence or depth or in_yaml:
        return [markdown]  # something left open: cut nothing rather than guess
    cuts, start = [0], 0
    for n, (i, at) in enumerate(candidates):
        after = candidates[n + 1][1] if n + 1 < len(candidates) else len(markdown)
        if at > start and after - start > size:  # the part would grow past `size` with the next block
            cuts.append(i)
            start = at
    cuts.append(len(lines))
    return ["".join(lines[a:b]) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _join(parts: list[Json]) -> Json | None:
    """One AST from the chunks' ASTs, as pandoc gives for the whole document; None if they cannot be joined
    exactly (the caller then parses the whole)."""
    meta: Json = {}
    blocks: Nodes = []
    ids: set[str] = set()
    notes = 0
    for part in parts:
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
        blocks += part["blocks"]
    return {"pandoc-api-version": parts[0]["pandoc-api-version"], "meta": meta, "blocks": blocks}


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
