"""Options for the PDF renderer."""

from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4, LETTER

from ..theme import Theme, packaged_theme

PAPER_SIZES = {"a4": A4, "letter": LETTER}
_HEX = re.compile(r"#[0-9A-Fa-f]{6}")


@dataclass(frozen=True)
class PdfOptions:
    """How the PDF looks: paper, brand colour, logo, body size, body font and the theme's other colours."""

    paper: str = "A4"  # or "Letter"
    brand_color: str = "#1F3A5F"  # headings, rules, title block
    logo: pathlib.Path | None = None  # optional PNG/JPG in the title block
    base_font_size: float = 10.0
    body_font: pathlib.Path | None = None  # optional TrueType file for body text (default DejaVu Sans)
    theme: Theme = field(default_factory=packaged_theme)  # every colour but the brand's

    def __post_init__(self) -> None:
        if self.paper.lower() not in PAPER_SIZES:
            raise ValueError(f"paper must be A4 or Letter, not {self.paper!r}")
        if not _HEX.fullmatch(self.brand_color):
            raise ValueError(f"brand_color must look like #1F3A5F, not {self.brand_color!r}")
        if not 6 <= self.base_font_size <= 16:
            raise ValueError(f"base_font_size must be between 6 and 16, not {self.base_font_size}")

    @property
    def pagesize(self) -> tuple[float, float]:
        size: tuple[float, float] = PAPER_SIZES[self.paper.lower()]
        return size
