"""Options for the PDF renderer."""

from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, LETTER

PAPER_SIZES: dict[str, tuple[float, float]] = {"a4": A4, "letter": LETTER}
_HEX = re.compile(r"#[0-9A-Fa-f]{6}")


@dataclass(frozen=True)
class PdfOptions:
    """How the PDF looks: paper, brand colour, logo, body size and body font."""

    paper: str = "A4"  # or "Letter"
    brand_color: str = "#1F3A5F"  # headings, rules, title block
    logo: pathlib.Path | None = None  # optional PNG/JPG in the title block
    base_font_size: float = 10.0
    body_font: pathlib.Path | None = None  # optional TrueType file for body text (default DejaVu Sans)

    def __post_init__(self) -> None:
        if self.paper.lower() not in PAPER_SIZES:
            raise ValueError(f"paper must be A4 or Letter, not {self.paper!r}")
        if not _HEX.fullmatch(self.brand_color):
            raise ValueError(f"brand_color must look like #1F3A5F, not {self.brand_color!r}")
        if not 6 <= self.base_font_size <= 16:
            raise ValueError(f"base_font_size must be between 6 and 16, not {self.base_font_size}")

    @property
    def pagesize(self) -> tuple[float, float]:
        return PAPER_SIZES[self.paper.lower()]
