"""Paragraph styles and colours derived from PdfOptions and its theme (templates/theme.yaml)."""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle

from . import fonts
from .options import PdfOptions

ALIGN = {"AlignLeft": TA_LEFT, "AlignRight": TA_RIGHT, "AlignCenter": TA_CENTER}


def tint(color: colors.Color, amount: float) -> colors.Color:
    """Mix `amount` of `color` into white (0 is white, 1 is the colour)."""
    return colors.Color(*(1 - amount * (1 - c) for c in (color.red, color.green, color.blue)))


class Styles:
    """The stylesheet: named ParagraphStyles plus cached variants (indent, alignment)."""

    def __init__(self, options: PdfOptions) -> None:
        fonts.ensure_fonts()
        b = options.base_font_size
        self.base = b
        self.brand = colors.HexColor(options.brand_color)
        self.brand_hex = options.brand_color
        self.box_fill = tint(self.brand, 0.07)
        self.head_fill = tint(self.brand, 0.13)
        self.zebra = tint(self.brand, 0.035)
        c = options.theme.colors
        self.text, self.muted = colors.HexColor(c.text), colors.HexColor(c.muted)
        self.rule, self.link = colors.HexColor(c.rule), colors.HexColor(c.link)
        self.allegation, self.allegation_fill = colors.HexColor(c.allegation), colors.HexColor(c.allegation_fill)
        self.disputed = c.disputed  # a hex string: it goes into paragraph markup
        self.quote_rule = colors.HexColor(c.quote_rule)
        self._variants: dict[tuple[Any, ...], ParagraphStyle] = {}
        body = ParagraphStyle(
            "body", fontName=fonts.body_font(options.body_font), fontSize=b, leading=b * 1.45, textColor=self.text,
            spaceAfter=b * 0.65, bulletFontName=fonts.SANS, bulletFontSize=b, splitLongWords=1,
            # A URL that would leave much of a line empty breaks at a slash (longer ones: inlines.py).
            uriWasteReduce=0.3, allowWidows=0,  # no lone last line at the top of a page
        )
        s: dict[str, ParagraphStyle] = {"body": body}

        def add(name: str, parent: str = "body", **kw: object) -> None:
            s[name] = ParagraphStyle(name, parent=s[parent], **kw)

        add("h1", fontName=fonts.SANS_BOLD, fontSize=b * 1.55, leading=b * 1.95, textColor=self.brand,
            spaceBefore=b * 1.5, spaceAfter=b * 0.55, keepWithNext=1)
        add("h2", "h1", fontSize=b * 1.22, leading=b * 1.6, spaceBefore=b * 1.2, spaceAfter=b * 0.4)
        add("h3", "h1", fontSize=b * 1.04, leading=b * 1.4, textColor=self.text, spaceBefore=b * 0.9,
            spaceAfter=b * 0.3)
        add("list", spaceAfter=b * 0.3)
        add("box", spaceAfter=b * 0.45)
        add("box_title", fontName=fonts.SANS_BOLD, fontSize=b * 0.95, leading=b * 1.25,
            textColor=colors.white, spaceAfter=0)
        add("quote", textColor=colors.HexColor(c.quote_text), spaceAfter=b * 0.45)
        add("caption", fontName=fonts.SANS_ITALIC, fontSize=b * 0.82, leading=b * 1.15, textColor=self.muted,
            spaceBefore=b * 0.3, spaceAfter=b * 1.0)
        add("table_caption", "caption", fontName=fonts.SANS_BOLD, textColor=self.text, spaceBefore=b * 0.4,
            spaceAfter=b * 0.35, keepWithNext=1)
        add("cell", fontSize=b * 0.86, leading=b * 1.2, spaceAfter=b * 0.2)
        add("cell_head", "cell", fontName=fonts.SANS_BOLD)
        add("refs", fontSize=b * 0.82, leading=b * 1.18, spaceAfter=b * 0.35, leftIndent=b * 2.6,
            bulletFontSize=b * 0.82, bulletAnchor="end", bulletIndent=b * 2.1)
        add("code", fontName=fonts.MONO, fontSize=b * 0.82, leading=b * 1.2,
            backColor=colors.HexColor(c.code_background), borderPadding=(b * 0.4, b * 0.5),
            leftIndent=b * 0.5, rightIndent=b * 0.5,
            spaceBefore=b * 0.3, spaceAfter=b * 0.9)  # MONO is registered on first use
        add("term", fontName=fonts.SANS_BOLD, spaceAfter=b * 0.15, keepWithNext=1)
        add("title", fontName=fonts.SANS_BOLD, fontSize=b * 2.4, leading=b * 2.85, textColor=self.brand,
            spaceAfter=b * 0.35)
        add("subtitle", fontSize=b * 1.3, leading=b * 1.7, textColor=self.muted, spaceAfter=b * 0.2)
        add("org", fontName=fonts.SANS_BOLD, fontSize=b * 0.85, leading=b * 1.1, textColor=self.brand,
            spaceAfter=b * 0.9)
        add("titlemeta", fontSize=b * 0.9, leading=b * 1.3, textColor=self.muted, spaceAfter=0)
        add("marking", fontName=fonts.SANS_BOLD, fontSize=b * 0.9, leading=b * 1.3, textColor=self.brand,
            alignment=TA_RIGHT, spaceAfter=0)
        add("running", fontSize=b * 0.72, leading=b * 0.9, textColor=self.muted, spaceAfter=0)
        add("running_mark", "running", fontName=fonts.SANS_BOLD, textColor=self.text, alignment=TA_CENTER)
        add("running_right", "running", alignment=TA_RIGHT)
        self.s = s

    def __getitem__(self, name: str) -> ParagraphStyle:
        return self.s[name]

    def variant(self, name: str, *, indent: float = 0, align: str = "", bullet: bool = False) -> ParagraphStyle:
        """`name` shifted right by `indent` (bullet hanging in the indent) and/or realigned."""
        key = (name, round(indent, 2), align, bullet)
        if not indent and not align and not bullet:
            return self.s[name]
        style = self._variants.get(key)
        if style is None:
            base = self.s[name]
            kw: dict[str, object] = {"leftIndent": base.leftIndent + indent}
            if align in ALIGN:
                kw["alignment"] = ALIGN[align]
            if bullet:
                kw.update(bulletAnchor="end", bulletIndent=base.leftIndent + indent - self.base * 0.45,
                          bulletFontName=base.fontName, bulletFontSize=base.fontSize)
            style = ParagraphStyle(f"{name}-{len(self._variants)}", parent=base, **kw)
            self._variants[key] = style
        return style
