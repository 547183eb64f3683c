"""The DOCX renderer: the composed pandoc AST, made safe, written by `pandoc -f json -t docx`.

Everything in the AST is treated as data. Before pandoc sees it we
- turn raw blocks/inlines (openxml, html, latex …) into literal text: raw openxml is copied
  verbatim into word/document.xml, which is how markup in evidence would become markup in Word;
- keep links only to http(s), mailto and `#anchors`; any other target becomes plain text;
- point every `chart:ID` image at the chart's PNG, and replace any other image by its alt text,
  so pandoc never fetches a file or a URL that the document names;
- drop citeproc's options from the metadata (pandoc would publish them in docProps/custom.xml);
- map the composed document's classes (docs/composed-document.md) to the reference styles.

pandoc's `--sandbox` would be a second wall, but in a sandbox pandoc ignores SOURCE_DATE_EPOCH
and stamps the document 1970-01-01, so the filter above is the wall.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, cast
from urllib.parse import urlsplit

from briefing.pandoc import pandoc_path
from briefing.pandoc_ast import Document, Json, Nodes, document
from briefing.reference_docx import (
    ALLEGATION_STYLE,
    BOX_TEXT_STYLE,
    BOX_TITLE_STYLE,
    DISPUTED_STYLE,
    confidence_style_name,
)

_LINK_SCHEMES = {"http", "https", "mailto"}
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_NBSP = "\u00a0"

# Options the compose stage gave citeproc. pandoc's DOCX writer would copy every metadata field
# into docProps/custom.xml, publishing local paths (--csl, --bibliography) in the document.
_PROCESSING_META = frozenset(
    {
        "bibliography",
        "csl",
        "citation-abbreviations",
        "link-citations",
        "link-bibliography",
        "nocite",
        "notes-after-punctuation",
        "references",
        "reference-section-title",
        "suppress-bibliography",
        "resource-path",
    }
)


def _str(text: str) -> Json:
    return {"t": "Str", "c": text}


def _is_comment(text: str) -> bool:
    s = text.strip()
    return s.startswith("<!--") and s.endswith("-->")


def link_allowed(url: str) -> bool:
    """True for targets that may stay clickable in Word: http(s) with a host, mailto, #anchor."""
    u = url.strip()
    if u.startswith("#"):
        return len(u) > 1
    try:
        parts = urlsplit(u)
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return bool(parts.netloc)
    return scheme in _LINK_SCHEMES and bool(parts.path)


def _attr_get(attr: Nodes, key: str) -> str | None:
    return next((v for k, v in attr[2] if k == key), None)


def _with_style(attr: Nodes, style: str) -> Nodes:
    """Copy of attr with custom-style set, unless the template already chose one."""
    ident, classes, kvs = attr
    if any(k == "custom-style" for k, _ in kvs):
        return [ident, list(classes), [list(kv) for kv in kvs]]
    return [ident, list(classes), [list(kv) for kv in kvs] + [["custom-style", style]]]


class _Lazy:
    """A part of the caller's AST not yet sanitised: `json.dumps` asks `_Prepare.default` for it when it gets there."""

    __slots__ = ("value",)

    def __init__(self, value: list[Any] | dict[str, Any]) -> None:
        self.value = value


class _Prepare:
    """The sanitising rewrite, done while the JSON is written: the caller's dict is never touched or copied.

    Each node is rewritten only when the JSON encoder reaches it, and its children are handed back as
    `_Lazy` parts, so the rewritten document never exists whole (a full copy was 400 MB at 6,000 claims).
    """

    def __init__(self, charts: dict[str, Path], resource_dir: Path) -> None:
        self.charts = charts
        self.resource_dir = resource_dir
        self.media: dict[str, Path] = {}  # file name in pandoc's folder -> the chart PNG

    def default(self, o: object) -> object:
        """The `default` hook of `json.dumps`: the sanitised form of one lazy part, one level deep."""
        if not isinstance(o, _Lazy):
            raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")
        x = o.value
        if isinstance(x, list):
            return self.items(x)
        if _is_node(x):
            # Only metadata values and citation modes sit outside a list; all map one to one.
            (one,) = self.node(x)
            return one
        return {k: self.lazy(v) for k, v in x.items()}

    def lazy(self, x: Any) -> Any:
        """`x` as it will be written: containers deferred, scalars as they are."""
        return _Lazy(x) if isinstance(x, (list, dict)) else x

    def items(self, x: list[Any]) -> list[Any]:
        """A list with each node rewritten (a node may become none or several), its children deferred."""
        out: list[Any] = []
        for item in x:
            if _is_node(item):
                out.extend(self.node(item))
            else:
                out.append(self.lazy(item))
        return _joined_text(out)

    def node(self, n: dict[str, Any]) -> list[dict[str, Any]]:
        t = n["t"]
        c: Any = n.get("c")  # positional content, shaped by the tag (None only when absent)
        if t == "Str" or "c" not in n:
            return [n]  # the most common nodes, written as they are
        if t == "RawInline":
            return [] if _is_comment(c[1]) else [_str(c[1])]
        if t == "RawBlock":
            return [] if _is_comment(c[1]) else [{"t": "Para", "c": [_str(c[1])]}]
        if t == "Link":
            attr, inlines, (url, title) = c
            if link_allowed(url):
                return [{"t": "Link", "c": [self.lazy(attr), self.lazy(inlines), [url, title]]}]
            return [{"t": "Span", "c": [self.lazy(attr), self.lazy(inlines)]}]
        if t == "Image":
            return [self.image(c)]
        if t == "Span":
            return [self.span(c)]
        if t == "Div":
            return [self.div(c)]
        return [{"t": t, "c": self.lazy(c)}]

    def image(self, c: list[Any]) -> dict[str, Any]:
        attr, alt, (url, title) = c
        if not url.startswith("chart:"):
            # Not ours: never let pandoc fetch it (a local file or a URL) into the document.
            return {"t": "Span", "c": [self.lazy(attr), self.lazy(alt)]}
        # Word's alt text (descr) comes from the image's inlines; the template puts it in the title.
        alt = [_str(title)] if title.strip() else self.lazy(alt)
        return {"t": "Image", "c": [self.lazy(attr), alt, [self.chart_file(url[6:]), title]]}

    def chart_file(self, chart_id: str) -> str:
        """The chart's name in pandoc's working folder; the file is copied there before the run."""
        if chart_id not in self.charts:
            raise ValueError(f"the document shows chart {chart_id!r}, which was not drawn")
        path = Path(self.charts[chart_id])
        if not path.is_absolute():
            path = self.resource_dir / path
        try:
            with open(path, "rb") as fh:
                magic = fh.read(len(_PNG_MAGIC))
        except OSError as exc:
            raise ValueError(f"chart {chart_id!r}: cannot read {path}: {exc.strerror or exc}") from None
        if magic != _PNG_MAGIC:
            raise ValueError(f"chart {chart_id!r}: {path} is not a PNG file")
        # pandoc writes the image's source into the DOCX (pic:cNvPr descr): a short relative name
        # keeps local paths out of the document and the bytes the same on every machine.
        stem = "chart-" + (re.sub(r"[^A-Za-z0-9_-]+", "_", chart_id) or "_")
        name, n = f"{stem}.png", 1
        while self.media.get(name, path) != path:
            n += 1
            name = f"{stem}-{n}.png"
        self.media[name] = path
        return name

    def span(self, c: list[Any]) -> dict[str, Any]:
        attr, inlines = c
        classes = attr[1]
        if "confidence" in classes:
            level = _attr_get(attr, "level")
            if level:
                attr = _with_style(attr, confidence_style_name(level))
            # Character shading hugs the glyphs; a space either side makes it read as a tag.
            return {"t": "Span", "c": [self.lazy(attr), [_str(_NBSP), *self.items(inlines), _str(_NBSP)]]}
        if "disputed" in classes:
            attr = _with_style(attr, DISPUTED_STYLE)
        return {"t": "Span", "c": [self.lazy(attr), self.lazy(inlines)]}

    def div(self, c: list[Any]) -> dict[str, Any]:
        attr, blocks = c
        classes = attr[1]
        if "box" in classes:
            title = _attr_get(attr, "title") or ""
            if title.strip():
                head = {
                    "t": "Div",
                    "c": [["", [], [["custom-style", BOX_TITLE_STYLE]]], [{"t": "Para", "c": [_str(title)]}]],
                }
                return {"t": "Div", "c": [self.lazy(_with_style(attr, BOX_TEXT_STYLE)),
                                          [head, *self.items(blocks)]]}
            attr = _with_style(attr, BOX_TEXT_STYLE)
        elif "allegation" in classes:
            attr = _with_style(attr, ALLEGATION_STYLE)
        return {"t": "Div", "c": [self.lazy(attr), self.lazy(blocks)]}


def _is_node(x: object) -> bool:
    return isinstance(x, dict) and isinstance(x.get("t"), str)


def _joined_text(items: list[Any]) -> list[Any]:
    """`items` with each Str (Space Str)... run joined into one Str, as pandoc's DOCX writer joins them itself
    before writing (its `convertSpace`): the same document, in a fifth of the nodes pandoc has to read."""
    out: list[Any] = []
    run: list[str] = []  # the texts of the run being joined
    space: dict[str, Any] | None = None  # a Space after the run, joined only if a Str follows

    def flush() -> None:
        nonlocal space
        if run:
            out.append(_str("".join(run)))
            run.clear()
        if space is not None:
            out.append(space)
            space = None

    for item in items:
        t = item.get("t") if isinstance(item, dict) else None
        if t == "Str" and run:
            run.extend((" ", item["c"]) if space is not None else (item["c"],))
            space = None
        elif t == "Space" and run and space is None:
            space = item
        else:
            flush()
            if t == "Str":
                run.append(item["c"])
            else:
                out.append(item)
    flush()
    return out


def _dumps(ast: Json | Document, charts: dict[str, Path], resource_dir: Path) -> tuple[str, dict[str, Path]]:
    """The sanitised AST as pandoc JSON text, and the chart files it names (by their name in pandoc's folder).

    Written a top-level block at a time: only the text exists whole, never the document's tree."""
    doc = document(ast)
    prep = _Prepare(charts, Path(resource_dir))
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=prep.default).encode
    head = encode({"pandoc-api-version": list(doc.api_version), "meta": prep.lazy(_title_block(doc.meta))})
    blocks = ",".join(encode(node) for block in doc.passing_blocks() for node in prep.items([block]))
    return f'{head[:-1]},"blocks":[{blocks}]}}', prep.media


def _title_block(given: Json) -> Json:
    """Word's title block shows title, subtitle, author and date only: fold in edition and organisation."""
    meta = {k: v for k, v in given.items() if k not in _PROCESSING_META}
    sep = [{"t": "Space"}, {"t": "Str", "c": "\u00b7"}, {"t": "Space"}]
    for extra, into in (("edition", "date"), ("organisation", "author")):
        add = meta.get(extra)
        if add and add.get("t") == "MetaInlines":
            base = meta.get(into)
            meta[into] = ({"t": "MetaInlines", "c": base["c"] + sep + add["c"]}
                          if base and base.get("t") == "MetaInlines" else add)
    return meta


def prepare_docx_ast(ast: Json | Document, charts: dict[str, Path], resource_dir: Path = Path(".")) -> Json:
    """A sanitised copy of the AST, ready for pandoc's DOCX writer (see the module docstring)."""
    return cast(Json, json.loads(_dumps(ast, charts, resource_dir)[0]))  # the AST's JSON: one object


# From this much JSON on, pandoc's heap is far above the GHC runtime's 64 MB default and its copying
# collector needs up to three times what is live: compacting the oldest generation in place (-c) and
# collecting it once it has grown by half (-F1.5) cut the 6,000-claim DOCX from 600 MB to 435 MB, for
# more collection time. Below it they save nothing and cost time.
COMPACT_FROM = 8_000_000


def rts_options(json_chars: int) -> list[str]:
    """The GHC runtime options pandoc runs with to write a DOCX from `json_chars` characters of JSON."""
    return ["+RTS", "-c", "-F1.5", "-RTS"] if json_chars >= COMPACT_FROM else []


class DocxJob:
    """A running pandoc that writes one DOCX; call wait() to finish it (or kill() to abandon it)."""

    def __init__(self, proc: subprocess.Popen[bytes], workdir: Path, out_path: Path) -> None:
        self.proc = proc
        self.out_path = out_path
        self._workdir = workdir
        self.warnings: list[str] = []
        self._error: str | None = None
        self._done = False

    def wait(self, timeout: float | None = None) -> None:
        """Wait for pandoc; raise RuntimeError with pandoc's first stderr line if it failed."""
        if self._done:
            if self._error:
                raise RuntimeError(self._error)
            return
        try:
            rc = self.proc.wait(timeout)  # TimeoutExpired leaves the job running for the caller
            stderr = (self._workdir / "stderr.txt").read_text("utf-8", errors="replace")
        finally:
            if self.proc.returncode is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)
        self._done = True
        lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
        if rc != 0:
            first = lines[0] if lines else f"pandoc exited with status {rc}"
            self._error = f"pandoc (docx): {first}"
            raise RuntimeError(self._error)
        self.warnings = lines

    def kill(self) -> None:
        """Stop pandoc and remove its temporary files."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self._workdir, ignore_errors=True)
        if not self._done:
            self._done, self._error = True, "pandoc (docx): stopped before it finished"

    def __enter__(self) -> DocxJob:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            self.kill()


def start_docx(
    ast: Json | Document,
    out_path: Path,
    *,
    charts: dict[str, Path],
    reference: bytes,
    source_date_epoch: int,
    resource_dir: Path,
    pandoc: str | None = None,
    work_dir: Path | None = None,
) -> DocxJob:
    """Start pandoc writing the DOCX and return at once; the caller must wait() on the job.

    Pandoc's work folder (holding the whole document) is made in `work_dir` (default: the system's temporary
    folder), so a caller can clean what a killed process left.
    """
    text, media = _dumps(ast, charts, resource_dir)  # errors in the AST raise here, synchronously
    try:
        if work_dir is not None:
            Path(work_dir).mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="briefing-docx-", dir=work_dir))
    except OSError as exc:
        raise RuntimeError(f"pandoc (docx): cannot make a work folder: {exc.strerror or exc}") from exc
    proc: subprocess.Popen[bytes] | None = None
    try:
        (workdir / "data").mkdir()
        for name, src in media.items():
            shutil.copyfile(src, workdir / name)
        ast_path = workdir / "document.json"
        ref_path = workdir / "reference.docx"
        ast_path.write_text(text, "utf-8")
        ref_path.write_bytes(reference)
        args = [
            pandoc or pandoc_path(),
            *rts_options(len(text)),
            # An empty data dir: nothing from the user's ~/.local/share/pandoc leaks in.
            f"--data-dir={workdir / 'data'}",
            "--from=json",
            "--to=docx",
            f"--reference-doc={ref_path}",
            f"--output={os.path.abspath(out_path)}",
            str(ast_path),
        ]
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(int(source_date_epoch)))
        # stderr to a file, not a pipe: a chatty pandoc must never block on a full pipe.
        with open(workdir / "stderr.txt", "wb") as err:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
                cwd=workdir,  # the charts' relative names resolve here
            )
        # Made inside the try: a signal handled at the next call (Path(), say) must not lose the running pandoc.
        return DocxJob(proc, workdir, Path(out_path))
    except OSError as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeError(f"pandoc (docx): cannot start: {exc}") from exc
    except BaseException:
        if proc is not None:  # an interrupt just after pandoc started: stop it before removing its folder
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def render_docx(
    ast: Json | Document,
    out_path: Path,
    *,
    charts: dict[str, Path],
    reference: bytes,
    source_date_epoch: int,
    resource_dir: Path,
) -> None:
    """Write the DOCX for a pandoc JSON AST by running pandoc with the reference docx."""
    with start_docx(
        ast,
        out_path,
        charts=charts,
        reference=reference,
        source_date_epoch=source_date_epoch,
        resource_dir=resource_dir,
    ) as job:
        job.wait()
