"""The PDF as a job: what the PDF renderer needs of a composed briefing, as plain data, and the one call that writes it.

The render worker lays the PDF out from a `PdfJob`, not from the composed document, so that it never imports
what composing needs (Jinja, the model's loaders): forked as the command starts (`render_worker.fork_ahead`),
it then has only ReportLab and the renderer to import while the build loads and composes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BriefingError
from .pandoc_ast import Document

if TYPE_CHECKING:  # a type only: the worker forked ahead imports the theme's modules once it has forked
    from .theme import Theme


@dataclass(frozen=True)
class PdfJob:
    """One PDF to write: the AST, the charts' drawings by id, the audience's page settings, and the files."""

    ast: Document
    drawings: dict[str, Path]
    paper: str
    brand_color: str
    logo: Path | None
    base_font_size: float
    body_font: Path | None
    theme: Theme
    audience_path: str  # named by a fault in what the audience asks for (a logo that is not an image)
    tmp: Path  # written here, then published as `target`
    target: Path  # named by a fault in writing


def write(job: PdfJob) -> int:
    """Write the job's PDF to its temporary file; its page count. A fault is a BriefingError naming its file."""
    # Deferred: ReportLab is the heaviest import, and a build of the DOCX or HTML alone never needs it.
    from .render_pdf import PdfOptions, render_pdf

    options = PdfOptions(paper=job.paper, brand_color=job.brand_color, logo=job.logo,
                         base_font_size=job.base_font_size, body_font=job.body_font, theme=job.theme)
    try:
        return render_pdf(job.ast, job.tmp, charts=job.drawings, options=options)
    except ValueError as exc:  # e.g. a logo that is not a readable image, a font that is not TrueType
        raise BriefingError(f"PDF: {exc}", job.audience_path) from None
    except OSError as exc:  # e.g. a full disk while ReportLab writes
        raise BriefingError(f"cannot write the PDF: {exc.strerror or exc}; the previous file is"
                            " untouched", str(job.target)) from None


def warm_up() -> None:
    """Import the PDF renderer and register its fonts, ahead of the layout (an error surfaces where it is used)."""
    with contextlib.suppress(Exception):
        # Deferred, into the caller's thread or process: warming up ReportLab is the point.
        from .render_pdf import document  # noqa: F401
        from .render_pdf.fonts import ensure_fonts

        ensure_fonts()
