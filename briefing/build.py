"""The build: load the workspace, compose the briefing once, draw its charts, render each format, publish.

`build()` is the pipeline; each step lives in its own module (docs/architecture.md).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import pdf_job, render_worker
from .chart_data import ChartData
from .compose import compose, slug
from .context import BuildContext
from .errors import BriefingError
from .inputs import Inputs, input_digest, input_files
from .inputs import load as load_inputs
from .publish import CHART_CACHE, DEFAULT_FORMATS, FORMATS, publishing
from .render import page_budget_warnings, preloaded, render_all

if TYPE_CHECKING:  # types only: matplotlib is imported when a chart is drawn
    from .chart_drawing import ChartFiles, DrawJob
    from .render_worker import RenderWorker

__all__ = ["DEFAULT_FORMATS", "FORMATS", "BuildResult", "build", "input_digest", "parse_formats", "slug"]


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
    inputs: tuple[Path, ...] = ()  # every input file it read (watch watches them)

    def summary(self) -> str:
        """The one line a build ends with."""
        names = ", ".join(str(p) for p in self.outputs.values())
        pages = f"{self.pages} pages, " if "pdf" in self.outputs else ""  # only the PDF has pages
        return (f"built {names}: {pages}{self.claims} claims, {self.references} references,"
                f" {self.charts} charts in {self.seconds:.1f} s")


def build(root: Path, *, audience: str | None = None, formats: Sequence[str] = DEFAULT_FORMATS,
          out_dir: Path | None = None, progress: Callable[[str], None] | None = None,
          context: BuildContext | None = None, worker: bool = True) -> BuildResult:
    """Build the briefing: load, compose once, draw the charts, render each format, then publish them atomically.

    Pass one `context` to successive builds (watch) to share their caches. With `worker`, the charts and the
    PDF are drawn in a second process where that is safe (briefing/render_worker.py).
    """
    started, say, root, formats = time.perf_counter(), progress or _quiet, Path(root), _known(formats)
    worker = worker and "pdf" in formats
    if worker and context is not None and context.warm:
        pdf_job.warm_up()  # once per warm process (a no-op after): each build's worker then starts warm
    # Forked first, before any thread or lock exists here: they warm up ReportLab (and matplotlib, when the
    # charts will most likely be drawn) while this process loads.
    draws = worker and (context is None or not context.warm) and likely_to_draw(root, out_dir)
    with render_worker.started(worker) as helper, render_worker.started(draws, warm="charts") as drawer:
        return _build(root, audience, formats, out_dir, say, context, helper, drawer or helper, started)


def likely_to_draw(root: Path, out_dir: Path | None) -> bool:
    """A guess, before anything is loaded: the workspace declares charts and the chart cache is empty (a first
    build). A wrong guess costs a process warming up matplotlib for nothing, on a core this build leaves idle."""
    cache = (Path(out_dir) if out_dir else root / "out") / CHART_CACHE
    return (root / "charts.yaml").is_file() and not any(cache.glob("*.json"))


def _build(root: Path, audience: str | None, formats: tuple[str, ...], out_dir: Path | None,
           say: Callable[[str], None], context: BuildContext | None, helper: RenderWorker | None,
           drawer: RenderWorker | None, started: float) -> BuildResult:
    """`build`'s pipeline, with the render worker if there is one, and the one that draws the charts."""
    shown = Path(out_dir) if out_dir else root / "out"  # as the user wrote it, for the summary line
    # Absolute: the chart cache is written here and read by pandoc from its own work folder.
    files = input_files(root)  # taken before loading: a failed load is recorded against the same list
    with publishing(shown.absolute(), input_digest(root, files)) as pub:
        inputs = load(root, audience, context)
        if inputs.files != files:  # the audiences name a logo or font outside the input folders: inputs too
            pub = replace(pub, digest=input_digest(root, inputs.files))
        ws, _ = inputs.ready
        say(f"loaded {len(ws.evidence)} claims and {len(ws.sources)} sources")
        # The worker has warmed up ReportLab; without one, a thread does it while pandoc parses.
        with preloaded(formats if helper is None else ()), \
                DrawAhead(pub.chart_cache, svg="html" in formats, worker=drawer) as ahead:
            # Compose draws the charts ahead while pandoc parses.
            doc = compose(inputs, work_dir=pub.work_dir, context=context, draw_ahead=ahead.start)
        say(f"composed the '{doc.audience.name}' briefing")
        charts = draw(doc.charts, ahead, say)
        with pub.files(doc.name, formats) as temps:
            pages = render_all(doc, charts, temps, pub, say, helper, pictures=ahead.pictures)
        counts = {"pages": pages, "claims": doc.claims, "references": doc.references, "charts": len(doc.charts)}
        pub.manifest({fmt: pub.target(doc.name, fmt) for fmt in formats}, audience, counts)
    return BuildResult(outputs={fmt: _display(shown / f"{doc.name}.{fmt}") for fmt in formats}, **counts,
                       inputs=inputs.files,
                       seconds=time.perf_counter() - started,
                       warnings=[*map(str, inputs.problems), *page_budget_warnings(doc, pages)])


def load(root: Path, audience: str | None, context: BuildContext | None = None) -> Inputs:
    """Every input the build reads, checked: a BriefingError names each error; the warnings stay in `problems`.
    A `context` keeps the YAML trees of unchanged files from its earlier builds."""
    return load_inputs(root, audience, context.yaml if context else None).checked()


class DrawAhead:
    """The charts, drawn while pandoc parses (in the render worker, else in a thread): compose hands over their
    data just before the parse."""

    def __init__(self, cache: Path, svg: bool, worker: RenderWorker | None = None) -> None:
        self.cache, self.svg, self.worker = cache, svg, worker
        self.job: DrawJob | None = None

    def start(self, datas: tuple[ChartData, ...]) -> None:
        """Start drawing `datas` (compose's `draw_ahead` hook)."""
        from .chart_drawing import start  # deferred: matplotlib, only for a build that draws charts

        self.job = start(datas, self.cache, svg=self.svg, worker=self.worker)

    def __enter__(self) -> DrawAhead:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None and self.job is not None:
            self.job.wait()  # never leave a thread drawing into out/ once the build lock is released

    def pictures(self) -> None:
        """Wait until the charts' pictures (the DOCX's PNG, the HTML's SVG) are in the cache too."""
        if self.job is not None:
            with _cache_errors(self.cache):
                self.job.pictures()


def draw(datas: Sequence[ChartData], ahead: DrawAhead, say: Callable[[str], None]) -> dict[str, ChartFiles]:
    """The drawn files of each chart by id: drawn ahead, drawn now, or found in the cache by content digest. The
    drawings are written; the pictures may still be in the making (`DrawAhead.pictures`)."""
    if not datas:
        return {}
    from .chart_drawing import render_charts  # deferred: matplotlib, only for a build that draws charts

    with _cache_errors(ahead.cache):
        charts = ahead.job.result(datas) if ahead.job else render_charts(datas, ahead.cache, svg=ahead.svg)
    say(f"charts ready ({len(charts)})")
    return charts


@contextlib.contextmanager
def _cache_errors(cache: Path) -> Iterator[None]:
    """An OSError (e.g. a full disk) as the error of the chart cache: the charts are drawn into it first."""
    try:
        yield
    except OSError as exc:
        raise BriefingError(f"cannot write the chart cache: {exc.strerror or exc}", str(cache)) from None


def _known(formats: Sequence[str]) -> tuple[str, ...]:
    """The formats to build, refused if one is unknown."""
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise BriefingError(f"unknown format '{bad[0]}'; choose from: {', '.join(FORMATS)}")
    return tuple(formats)


def _display(path: Path) -> Path:
    """A path as the summary line shows it: relative to the current folder when inside it."""
    with contextlib.suppress(ValueError):
        return path.resolve().relative_to(Path.cwd())
    return path


def parse_formats(text: str | None) -> tuple[str, ...]:
    """The formats named in a --format value ('pdf,html'); the defaults when none is given."""
    formats = tuple(dict.fromkeys(f.strip().lower() for f in (text or "").split(",") if f.strip()))
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise BriefingError(f"unknown format '{bad[0]}'; choose from: {', '.join(FORMATS)}")
    return formats or DEFAULT_FORMATS


def _quiet(message: str) -> None:
    """No progress lines: the command passes its own printer."""
