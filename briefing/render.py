"""Stage 3: render the composed document, with its drawn charts, to each format. Nothing here reads the workspace.

Each renderer takes the composed document (compose.Composed), the chart files
(chart_drawing.ChartFiles by chart id) and the temporary file to write; a fault in what it
renders is a BriefingError naming the audience file or the target.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from . import pdf_job
from .compose import Composed
from .errors import BriefingError
from .publish import Publication

if TYPE_CHECKING:  # types only: each renderer is imported when its format is built
    from .chart_drawing import ChartFiles
    from .render_docx import DocxJob
    from .render_worker import RenderWorker


def render_all(doc: Composed, charts: Mapping[str, ChartFiles], temps: Mapping[str, Path], pub: Publication,
               say: Callable[[str], None], worker: RenderWorker | None = None,
               pictures: Callable[[], None] = lambda: None) -> int:
    """Write every format in `temps` (named in errors by its target in `pub`); the PDF's page count, else 0.

    pandoc writes the DOCX in its own process while the PDF (in the render `worker`, if there is one) and the
    HTML are laid out. The PDF needs only the charts' drawings; `pictures` waits for their PNGs and SVGs.
    """
    pages = 0
    targets = {fmt: pub.target(doc.name, fmt) for fmt in temps}
    job = None
    try:
        if worker is not None and "pdf" in temps:  # laid out there while the DOCX is prepared here
            worker.submit("pdf", pdf_job_for(doc, charts, temps["pdf"], targets["pdf"]))
        # Before any reply of the worker's: it may be the one making the pictures, and it replies in order.
        pictures()
        job = start_docx(doc, charts, temps["docx"], targets["docx"], pub.work_dir) if "docx" in temps else None
        if "pdf" in temps:
            pages = worker.reply() if worker is not None else render_pdf(doc, charts, temps["pdf"], targets["pdf"])
            say(f"PDF rendered ({pages} pages)")
        if "html" in temps:
            render_html(doc, charts, temps["html"], targets["html"])
            say("HTML rendered")
        if job:
            try:
                job.wait()
            except RuntimeError as exc:  # e.g. a full disk: named by the file it was writing
                raise BriefingError(str(exc), str(targets["docx"])) from None
            say("DOCX rendered")
    except BaseException:
        # An error or an interrupt (also while waiting): stop pandoc and the worker before their files go.
        if worker is not None:
            worker.close(kill=True)
        if job:
            job.kill()
        raise
    return pages


def start_docx(doc: Composed, charts: Mapping[str, ChartFiles], tmp: Path, target: Path, work_dir: Path) -> DocxJob:
    """Start pandoc writing the DOCX to `tmp`, its work files in `work_dir`; the caller waits on (or kills) the job."""
    # Deferred, as every renderer is: a build imports only the formats it writes, `check` and `--help` none.
    from .reference_docx import reference_docx
    from .render_docx import start_docx as _start_docx

    aud = doc.audience
    try:
        ref = reference_docx(levels=doc.levels, marking=doc.marking, title=doc.title, paper=aud.paper,
                             theme=doc.theme)
        return _start_docx(doc.ast, tmp, charts={k: v.png for k, v in charts.items()}, reference=ref,
                           source_date_epoch=doc.source_date_epoch, resource_dir=doc.resource_dir,
                           work_dir=work_dir)
    except ValueError as exc:
        raise BriefingError(f"DOCX: {exc}") from None
    except RuntimeError as exc:  # pandoc could not start, e.g. a full disk for its work files in out/
        raise BriefingError(f"DOCX: {exc}", str(target)) from None


def render_pdf(doc: Composed, charts: Mapping[str, ChartFiles], tmp: Path, target: Path) -> int:
    """Write the PDF to `tmp`; its page count."""
    return pdf_job.write(pdf_job_for(doc, charts, tmp, target))  # looked up when called, as the worker does


def pdf_job_for(doc: Composed, charts: Mapping[str, ChartFiles], tmp: Path, target: Path) -> pdf_job.PdfJob:
    """What the PDF renderer needs of the composed briefing and its charts, as plain data (see briefing/pdf_job.py)."""
    aud = doc.audience
    return pdf_job.PdfJob(ast=doc.ast, drawings={k: v.drawing for k, v in charts.items()}, paper=aud.paper,
                          brand_color=doc.theme.colors.brand, logo=doc.logo, base_font_size=doc.theme.sizes.body,
                          body_font=doc.body_font, theme=doc.theme, audience_path=aud.path, tmp=Path(tmp),
                          target=Path(target))


def render_html(doc: Composed, charts: Mapping[str, ChartFiles], tmp: Path, target: Path) -> None:
    """Write the one-page HTML edition to `tmp`."""
    # Deferred: a renderer, imported only when an HTML edition is built.
    from .render_html import HtmlOptions, logo_uri, theme
    from .render_html import render_html as _render_html

    aud = doc.audience
    logo = None
    if doc.logo:
        try:
            logo = logo_uri(doc.logo)
        except ValueError as exc:
            raise BriefingError(f"HTML: {exc}", aud.path, aud.lines.get("logo", 0)) from None
    try:
        look = theme(paper=aud.paper, body_font=doc.body_font, house=doc.theme)
    except ValueError as exc:  # a body font that is not a usable TrueType font
        raise BriefingError(f"HTML: {exc}", aud.path, aud.lines.get("body_font", 0)) from None
    try:
        page = _render_html(doc.ast.tree(), charts={k: v.svg for k, v in charts.items() if v.svg is not None},
                            options=HtmlOptions(theme=look, logo=logo))
    except ValueError as exc:  # e.g. a chart the document shows but nobody drew
        raise BriefingError(f"HTML: {exc}", aud.path) from None
    try:
        Path(tmp).write_bytes(page.encode("utf-8"))
    except OSError as exc:
        raise BriefingError(f"cannot write the HTML: {exc.strerror or exc}; the previous file is"
                            " untouched", str(target)) from None


def page_budget_warnings(doc: Composed, pages: int) -> list[str]:
    """A warning when the PDF runs over the audience's page budget."""
    budget = doc.audience.page_budget
    if budget and pages > budget:
        return [f"{doc.audience.path}: warning: the PDF has {pages} pages;"
                f" the '{doc.audience.name}' budget is {budget}"]
    return []


@contextlib.contextmanager
def preloaded(formats: tuple[str, ...]) -> Iterator[None]:
    """Import the PDF renderer in a thread during the block, so it is ready once compose has waited on pandoc."""
    if "pdf" not in formats:
        yield
        return
    thread = threading.Thread(target=pdf_job.warm_up, name="briefing-preload", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()  # never leave a thread importing behind an error
