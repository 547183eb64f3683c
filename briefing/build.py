"""Stage 3: render the composed document to PDF, DOCX and HTML, atomically, with a manifest of what was built."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import importlib
import json
import os
import re
import shutil
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import atomic_path, write_text
from .errors import BriefingError, Problem, errors_in
from .pandoc_ast import Nodes
from .yamlsafe import MAX_BYTES

if TYPE_CHECKING:  # for annotations only: the stages load when a build runs
    from .chart_drawing import ChartFiles
    from .compose import Composed
    from .model import Workspace
    from .render_docx import DocxJob

FORMATS = ("pdf", "docx", "html")  # every format a build can write: the one list the commands read
DEFAULT_FORMATS = ("pdf", "docx")  # what `briefing build` writes when no --format is given


@dataclass
class BuildResult:
    """What a build wrote, for the summary line and the manifest."""

    outputs: dict[str, Path] = field(default_factory=dict)
    pages: int = 0
    claims: int = 0
    references: int = 0
    charts: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The one line a build ends with."""
        names = ", ".join(str(p) for p in self.outputs.values())
        pages = f"{self.pages} pages, " if "pdf" in self.outputs else ""  # only the PDF has pages
        return (f"built {names}: {pages}{self.claims} claims, {self.references} references,"
                f" {self.charts} charts in {self.seconds:.1f} s")


def slug(title: str) -> str:
    """A file name from a title: 'The Distillation Wars' -> 'the-distillation-wars'."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "briefing"


def input_digest(root: Path) -> str:
    """A digest of every file the build reads: what the manifest says the outputs were built from."""
    h = hashlib.sha256()
    names = ["briefing.yaml", "sources.yaml", "analysis.yaml", "charts.yaml", "scale.yaml"]
    paths = [root / n for n in names]
    for folder in ("evidence", "templates"):
        if (root / folder).is_dir():
            paths += sorted(p for p in (root / folder).rglob("*") if p.is_file())
    for p in paths:
        with contextlib.suppress(OSError):
            h.update(p.relative_to(root).as_posix().encode() + b"\0")
            st = p.stat()
            if st.st_size > MAX_BYTES:  # refused by the loader anyway: never read a huge file just to hash it
                h.update(f"{st.st_size}:{st.st_mtime_ns}\0".encode())
            else:
                h.update(p.read_bytes() + b"\0")
    from . import __version__

    h.update(__version__.encode())
    return h.hexdigest()


@contextlib.contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """Serialise builds into one folder: a second build waits instead of interleaving writes."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fh = open(out_dir / ".build.lock", "a+b")  # noqa: SIM115 - held for the whole block
    except OSError as exc:
        raise BriefingError(f"cannot write to the output folder: {exc.strerror or exc}", str(out_dir)) from None
    try:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _count_refs(blocks: Nodes) -> int:
    """Entries in citeproc's bibliography (the Div with id "refs"), wherever the template put it."""
    for b in blocks:
        if isinstance(b, dict) and b.get("t") == "Div":
            if b["c"][0][0] == "refs":
                return len(b["c"][1])
            found = _count_refs(b["c"][1])
            if found:
                return found
    return 0


class Progress:
    """Progress lines on a terminal; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.enabled:
            print(f"  {time.perf_counter() - self.start:5.2f}s  {message}", file=sys.stderr, flush=True)


def build(root: Path, *, audience: str | None = None, formats: Sequence[str] = DEFAULT_FORMATS,
          out_dir: Path | None = None,
          progress: Progress | None = None) -> BuildResult:
    """Build the briefing: load, compose once, render each format, then publish the files atomically."""
    from .workspace import load_or_raise

    started = time.perf_counter()
    say = progress or Progress(False)
    root = Path(root)
    shown = Path(out_dir) if out_dir else root / "out"  # as the user wrote it, for the summary line
    # Every path the build hands on is absolute: the chart cache is written here and read by pandoc
    # from its own work folder, so a path relative to the current folder would point elsewhere.
    out_dir = (Path(out_dir) if out_dir else root / "out").absolute()
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise BriefingError(f"unknown format '{bad[0]}'; choose from: {', '.join(FORMATS)}")
    digest = input_digest(root)
    with build_lock(out_dir):
        clean_stale(out_dir)
        try:
            result = _build_locked(root, audience, formats, out_dir, say, load_or_raise)
        except BaseException as exc:  # an error, a bug or a signal: the manifest must not still say "built"
            _record_failure(out_dir, digest, failure_text(exc))
            raise
        finally:
            with contextlib.suppress(OSError):  # empty once pandoc's work folder is gone
                (out_dir / WORK_DIR).rmdir()
        result.seconds = time.perf_counter() - started
        result.outputs = {fmt: _display(shown / path.name) for fmt, path in result.outputs.items()}
        _write_manifest(out_dir, digest, result, audience)
    return result


def failure_text(exc: BaseException) -> str:
    """What the manifest records as the reason a build failed: the first error, never a warning."""
    if _interrupted(exc):
        return "error: the build was interrupted"
    if isinstance(exc, BriefingError):
        first = (errors_in(exc.problems) or exc.problems)[:1]
        return str(first[0]) if first else str(exc)
    return f"error: internal error: {type(exc).__name__}: {exc}"


def _interrupted(exc: BaseException | None) -> bool:
    """True if a Ctrl-C or signal is behind `exc`, even when a library turned it into another exception."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


# A killed build (kill -9) runs no cleanup: the next build into the same folder removes what it left.
# Only names our own writers make are touched: `.{target}.{random}.tmp` and the work folder.
WORK_DIR = ".tmp"
_STALE = {".": (*(f".*.{fmt}.*.tmp" for fmt in FORMATS), ".manifest.json.*.tmp"),
          ".cache/charts": (".*.svg.*.tmp", ".*.png.*.tmp")}


def clean_stale(out_dir: Path) -> None:
    """Remove temporary files and work folders an earlier, killed build left in `out_dir` (hold the build lock)."""
    for sub, patterns in _STALE.items():
        folder = out_dir / sub
        for pattern in patterns:
            for p in folder.glob(pattern):
                with contextlib.suppress(OSError):
                    p.unlink()
    shutil.rmtree(out_dir / WORK_DIR, ignore_errors=True)


def _build_locked(root: Path, audience: str | None, formats: Sequence[str], out_dir: Path,
                  say: Callable[[str], None],
                  load_or_raise: Callable[[Path], tuple[Workspace, list[Problem]]]) -> BuildResult:
    from .changes import changes_for
    from .compose import compose
    from .sourcing import capped

    ws, problems = load_or_raise(root)
    say(f"loaded {len(ws.evidence)} claims and {len(ws.sources)} sources")
    preload = _preload_renderers(formats, bool(ws.charts))
    # The briefing shows claims at their effective (capped) level, and what changed since the last edition.
    try:
        doc = compose(capped(ws), audience, changes=changes_for(ws), work_dir=out_dir / WORK_DIR)
    finally:
        preload.join()  # never leave a thread importing behind an error
    say(f"composed the '{doc.audience.name}' briefing")
    result = _result_from(ws, doc)
    result.warnings += [str(p) for p in problems]

    charts: dict[str, ChartFiles] = {}
    if doc.charts:
        from .chart_drawing import render_charts

        cache = out_dir / ".cache" / "charts"
        try:
            charts = render_charts(doc.charts, cache)
        except OSError as exc:  # e.g. a full disk: the charts are drawn into the cache first
            raise BriefingError(f"cannot write the chart cache: {exc.strerror or exc}", str(cache)) from None
        say(f"charts ready ({len(charts)})")

    name = slug(ws.meta.title) + ("" if doc.audience.name == (ws.meta.audience or "executive")
                                  else f"-{doc.audience.name}")
    targets = {fmt: out_dir / f"{name}.{fmt}" for fmt in formats}
    with contextlib.ExitStack() as stack:
        temps = {fmt: stack.enter_context(atomic_path(path)) for fmt, path in targets.items()}
        job = None
        if "docx" in formats:
            job = _start_docx(ws, doc, charts, temps["docx"], root.absolute(), out_dir / WORK_DIR, targets["docx"])
        try:
            if "pdf" in formats:
                try:
                    result.pages = _render_pdf(ws, doc, charts, temps["pdf"], root.absolute())
                except OSError as exc:  # e.g. a full disk while ReportLab writes
                    raise BriefingError(f"cannot write the PDF: {exc.strerror or exc}; the previous file is"
                                        " untouched", str(targets["pdf"])) from None
                say(f"PDF rendered ({result.pages} pages)")
            if "html" in formats:
                try:
                    _render_html(ws, doc, charts, temps["html"], root.absolute())
                except OSError as exc:
                    raise BriefingError(f"cannot write the HTML: {exc.strerror or exc}; the previous file is"
                                        " untouched", str(targets["html"])) from None
                say("HTML rendered")
            if job:
                try:
                    job.wait()
                except RuntimeError as exc:  # e.g. a full disk: named by the file it was writing
                    raise BriefingError(str(exc), str(targets["docx"])) from None
                say("DOCX rendered")
        except BaseException:
            if job:  # an error or an interrupt (also while waiting): stop pandoc, remove its files
                job.kill()
            raise
        # Leaving the stack renames every temporary file onto its target.
    result.outputs = dict(targets)
    budget = doc.audience.page_budget
    if budget and result.pages > budget:
        result.warnings.append(f"{doc.audience.path}: warning: the PDF has {result.pages} pages;"
                               f" the '{doc.audience.name}' budget is {budget}")
    return result


def _preload_renderers(formats: Sequence[str], charts: bool) -> threading.Thread:
    """Import the PDF renderer in a thread, so it is ready by the time compose has waited on pandoc's parse."""

    def work() -> None:
        if "pdf" not in formats:
            return
        with contextlib.suppress(Exception):  # an import error surfaces where the renderer is used
            importlib.import_module("briefing.render_pdf.document")
            importlib.import_module("briefing.render_pdf.fonts").ensure_fonts()
            if charts:
                importlib.import_module("svglib.svglib")

    thread = threading.Thread(target=work, name="briefing-preload", daemon=True)
    thread.start()
    return thread


def _result_from(ws: Workspace, doc: Composed) -> BuildResult:
    """A result pre-filled with the counts the composed document knows."""
    return BuildResult(claims=len(ws.evidence), references=_count_refs(doc.ast["blocks"]), charts=len(doc.charts))


def _start_docx(ws: Workspace, doc: Composed, charts: dict[str, ChartFiles], tmp: Path, root: Path, work: Path,
                target: Path) -> DocxJob:
    from .reference_docx import reference_docx
    from .render_docx import start_docx

    aud = doc.audience
    try:
        ref = reference_docx(levels=ws.scale.levels, marking=aud.marking or ws.meta.marking, title=ws.meta.title,
                             brand_color=aud.brand_color, paper=aud.paper, font=aud.docx_font or "Calibri")
        return start_docx(doc.ast, tmp, charts={k: v.png for k, v in charts.items()}, reference=ref,
                          source_date_epoch=doc.source_date_epoch, resource_dir=root, work_dir=work)
    except ValueError as exc:
        raise BriefingError(f"DOCX: {exc}") from None
    except RuntimeError as exc:  # pandoc could not start, e.g. a full disk for its work files in out/
        raise BriefingError(f"DOCX: {exc}", str(target)) from None


def _render_pdf(ws: Workspace, doc: Composed, charts: dict[str, ChartFiles], tmp: Path, root: Path) -> int:
    from .render_pdf import PdfOptions, render_pdf

    aud = doc.audience
    logo = _workspace_file(root, aud.logo, aud.path, "logo", aud.lines.get("logo", 0)) if aud.logo else None
    font = (_workspace_file(root, aud.body_font, aud.path, "body_font", aud.lines.get("body_font", 0))
            if aud.body_font else None)
    options = PdfOptions(paper=aud.paper, brand_color=aud.brand_color, logo=logo,
                         base_font_size=aud.font_size or 10.0, body_font=font)
    try:
        return render_pdf(doc.ast, tmp, charts={k: v.svg for k, v in charts.items()}, options=options)
    except ValueError as exc:  # e.g. a logo that is not a readable image, a font that is not TrueType
        raise BriefingError(f"PDF: {exc}", aud.path) from None


def _render_html(ws: Workspace, doc: Composed, charts: dict[str, ChartFiles], tmp: Path, root: Path) -> None:
    from .render_html import HtmlOptions, logo_uri, render_html, theme

    aud = doc.audience
    logo = None
    if aud.logo:
        try:
            logo = logo_uri(_workspace_file(root, aud.logo, aud.path, "logo", aud.lines.get("logo", 0)))
        except ValueError as exc:
            raise BriefingError(f"HTML: {exc}", aud.path, aud.lines.get("logo", 0)) from None
    font = (_workspace_file(root, aud.body_font, aud.path, "body_font", aud.lines.get("body_font", 0))
            if aud.body_font else None)
    try:
        look = theme(brand_color=aud.brand_color, base_font_size=aud.font_size or 10.0, paper=aud.paper,
                     body_font=font)
    except ValueError as exc:  # a body font that is not a usable TrueType font
        raise BriefingError(f"HTML: {exc}", aud.path, aud.lines.get("body_font", 0)) from None
    options = HtmlOptions(theme=look, logo=logo)
    try:
        page = render_html(doc.ast, charts={k: v.svg for k, v in charts.items()}, options=options)
    except ValueError as exc:  # e.g. a chart the document shows but nobody drew
        raise BriefingError(f"HTML: {exc}", aud.path) from None
    Path(tmp).write_bytes(page.encode("utf-8"))


def _workspace_file(root: Path, rel: str, where: str, what: str, line: int = 0) -> Path:
    """A file named in a template option, refused if it escapes the workspace."""
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()):
        raise BriefingError(f"{what} path '{rel}' leads outside the workspace; refused", where, line)
    if not path.is_file():
        raise BriefingError(f"{what} file '{rel}' does not exist", where, line)
    return path


def _display(path: Path) -> Path:
    with contextlib.suppress(ValueError):
        return path.resolve().relative_to(Path.cwd())
    return path


def _manifest_path(out_dir: Path) -> Path:
    return out_dir / "manifest.json"


def _read_manifest(out_dir: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(_manifest_path(out_dir).read_text("utf-8"))
        return manifest
    except (OSError, ValueError):
        return {}


def _write_manifest(out_dir: Path, digest: str, result: BuildResult, audience: str | None) -> None:
    outputs = {}
    for fmt, path in result.outputs.items():
        p = out_dir / Path(path).name
        outputs[fmt] = {"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
    data = {"status": "built", "inputs_sha256": digest, "audience": audience, "outputs": outputs,
            "pages": result.pages, "claims": result.claims, "references": result.references,
            "charts": result.charts}
    write_text(_manifest_path(out_dir), json.dumps(data, indent=2, sort_keys=True) + "\n")


def _record_failure(out_dir: Path, digest: str, error: str) -> None:
    """Say in the manifest that the files in out/ predate the current evidence, so none looks current."""
    old = _read_manifest(out_dir)
    data = {**old, "status": "failed", "failed_inputs_sha256": digest, "error": error,
            "note": "the outputs listed were built from older inputs (inputs_sha256); the last build failed"}
    with contextlib.suppress(BriefingError):
        write_text(_manifest_path(out_dir), json.dumps(data, indent=2, sort_keys=True) + "\n")


def parse_formats(text: str | None) -> tuple[str, ...]:
    """The formats named in a --format value ('pdf,html'); the defaults when none is given."""
    formats = tuple(dict.fromkeys(f.strip().lower() for f in (text or "").split(",") if f.strip()))
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise BriefingError(f"unknown format '{bad[0]}'; choose from: {', '.join(FORMATS)}")
    return formats or DEFAULT_FORMATS


def build_command(args: argparse.Namespace) -> int:
    """`briefing build`: build, print warnings and the summary line."""
    formats = parse_formats(args.format)
    progress = Progress(sys.stderr.isatty() and not os.environ.get("CI"))
    result = build(Path(args.workspace), audience=args.audience, formats=formats,
                   out_dir=Path(args.out) if args.out else None, progress=progress)
    for w in result.warnings:
        print(w, file=sys.stderr)
    print(result.summary())
    return 0
