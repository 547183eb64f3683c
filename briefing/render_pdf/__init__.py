"""PDF renderer: walks the composed pandoc JSON AST and lays it out with ReportLab."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from ..pandoc_ast import Document, Json
from .options import PdfOptions

__all__ = ["PdfOptions", "render_pdf"]


def render_pdf(ast: Json | Document, out: str | os.PathLike[str] | BinaryIO, *, charts: dict[str, Path],
               options: PdfOptions) -> int:
    """Write the PDF for a pandoc JSON AST to `out` (a path or binary file object); return the page count."""
    from .document import build  # keeps `import briefing.render_pdf` cheap for the CLI

    return build(ast, out, charts={k: Path(v) for k, v in charts.items()}, options=options)
