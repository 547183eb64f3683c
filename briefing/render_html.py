"""The HTML renderer: the composed pandoc AST, walked into one self-contained, script-free page.

Why our own walk and not pandoc's HTML writer: pandoc copies raw HTML through and builds its own
bibliography and figure markup, so every guarantee below would need a second pass over its output.
Walking the AST ourselves (as render_pdf/ does) makes them hold by construction:
- every piece of text goes through `_esc`, so evidence text is data (`<script>` in a claim is text);
- links stay only for http(s), mailto and anchors that exist; anything else is plain text;
- images are never fetched: `chart:ID` becomes the chart's SVG, sanitised and inlined; any other
  image becomes its alt text;
- the page carries a Content-Security-Policy that allows nothing but its own stylesheet (by hash)
  and `data:` images, and it contains no script and no event handler;
- confidence labels are real text in a coloured chip; references carry back-links to each citation.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .pandoc_ast import Json, Nodes
from .render_docx import link_allowed
from .theme import Theme as HouseTheme
from .theme import packaged_theme

if TYPE_CHECKING:  # for annotations only: ReportLab loads when a theme is made

    from .render_pdf.meta import DocMeta

LITERAL_RAW = {"html", "html4", "html5", "tex", "latex"}  # as in the PDF: the author's own text, kept as text
QUOTES = {"SingleQuote": ("\u2018", "\u2019"), "DoubleQuote": ("\u201c", "\u201d")}
WRAPPERS = {"Emph": "em", "Strong": "strong", "Underline": "u", "Strikeout": "s", "Superscript": "sup",
            "Subscript": "sub"}
_HEX = re.compile(r"#[0-9A-Fa-f]{6}")
_SAFE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,119}")
_LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_ALIGN = {"AlignLeft": "al-left", "AlignRight": "al-right", "AlignCenter": "al-center"}
_OL_TYPE = {"LowerAlpha": "a", "UpperAlpha": "A", "LowerRoman": "i", "UpperRoman": "I"}


# -- the theme ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Theme:
    """Colours, fonts and sizes of the HTML edition (the house theme's, so every edition looks alike)."""

    brand: str = "#1F3A5F"
    text: str = "#1A1A1A"
    muted: str = "#5A6270"
    rule: str = "#C9CED6"
    link: str = "#1A5A96"
    allegation: str = "#D08C00"
    allegation_fill: str = "#FDF7EA"
    disputed: str = "#8B0000"
    code_bg: str = "#F3F4F6"
    quote_rule: str = "#9AA3AF"
    quote_text: str = "#3A3F47"
    font_family: str = '"DejaVu Sans", "Segoe UI", "Helvetica Neue", Arial, sans-serif'
    mono_family: str = '"DejaVu Sans Mono", Menlo, Consolas, monospace'
    base_size: float = 10.0  # points, as the PDF's body size
    paper: str = "A4"
    font_faces: tuple[tuple[str, str, str], ...] = ()  # (weight, style, data: URI) of an embedded body font


def theme(*, brand_color: str = "", base_font_size: float = 0.0, paper: str = "A4",
          body_font: Path | None = None, house: HouseTheme | None = None) -> Theme:
    """The HTML theme: the house theme's colours (templates/theme.yaml, as the PDF's and the DOCX's),
    with the audience's brand colour, size, paper and body font where given."""
    house = house or packaged_theme()
    c = house.colors
    faces: tuple[tuple[str, str, str], ...] = ()
    family = Theme.font_family
    if body_font is not None:
        faces = _font_faces(Path(body_font))
        family = '"Briefing Body", ' + family
    brand = brand_color if _HEX.fullmatch(brand_color or "") else c.brand
    return Theme(brand=brand, text=c.text, muted=c.muted, rule=c.rule, link=c.link, allegation=c.allegation,
                 allegation_fill=c.allegation_fill, disputed=c.disputed, code_bg=c.code_background,
                 quote_rule=c.quote_rule, quote_text=c.quote_text, base_size=base_font_size or house.sizes.body,
                 paper=paper if paper.lower() in ("a4", "letter") else "A4", font_family=family, font_faces=faces)


def _font_faces(path: Path) -> tuple[tuple[str, str, str], ...]:
    """The audience's body font, embedded: the same files the PDF embeds (its bold and italic siblings too)."""
    from .render_pdf import fonts  # deferred: ReportLab, only for an audience's own body font

    fonts.body_font(path)  # the PDF's check: ValueError unless every face is a usable TrueType font
    stem = path.stem.removesuffix("-Regular")
    out = []
    for weight, style, suffixes in (("normal", "normal", ("",)), ("bold", "normal", ("-Bold",)),
                                    ("normal", "italic", ("-Italic", "-Oblique")),
                                    ("bold", "italic", ("-BoldItalic", "-BoldOblique"))):
        files = [path] if not suffixes[0] else [path.with_name(stem + x + path.suffix) for x in suffixes]
        found = next((f for f in files if f.is_file()), None)
        if found is not None:
            data = base64.b64encode(found.read_bytes()).decode()
            out.append((weight, style, f"data:font/ttf;base64,{data}"))
    return tuple(out)


def _rgb(hex_: str) -> tuple[float, float, float]:
    return tuple(int(hex_[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def _hex(rgb: Iterable[float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02X}" for c in rgb)


def tint(hex_: str, amount: float) -> str:
    """Mix `amount` of the colour into white (0 is white, 1 is the colour), as the PDF's tint."""
    return _hex(1 - amount * (1 - c) for c in _rgb(hex_))


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""

    def lum(h: str) -> float:
        r, g, b_ = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _rgb(h))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def chip_colors(color: str, dark: str = "#1A1A1A") -> tuple[str, str]:
    """(background, text) for a confidence chip: the level's colour with white text, as in the PDF,
    unless that is hard to read (WCAG AA, 4.5:1): then dark text, or failing that a darker shade."""
    if contrast(color, "#FFFFFF") >= 4.5:
        return color, "#FFFFFF"
    if contrast(color, dark) >= 4.5:
        return color, dark
    shade = color
    for _ in range(20):
        shade = _hex(c * 0.9 for c in _rgb(shade))
        if contrast(shade, "#FFFFFF") >= 4.5:
            break
    return shade, "#FFFFFF"


# -- escaping -----------------------------------------------------------------------------------------

def _esc(text: str) -> str:
    """Text as HTML text: escaped, with control characters (not allowed in HTML) made visible."""
    return html.escape(_CONTROL.sub("\ufffd", text), quote=False)


def _attr(text: str) -> str:
    return html.escape(_CONTROL.sub("\ufffd", text), quote=True)


def stringify(inlines: Nodes) -> str:
    """Plain text of inlines (title, alt text)."""
    out: list[str] = []
    for node in inlines or []:
        t: Any = node.get("t")
        c: Any = node.get("c")
        if t == "Str":
            out.append(c)
        elif t in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif t in ("Code", "Math"):
            out.append(c[1])
        elif t == "RawInline":
            out.append(c[1] if c[0].lower() in LITERAL_RAW else "")
        elif t == "Quoted":
            q = QUOTES.get(c[0]["t"], ('"', '"'))
            out.append(q[0] + stringify(c[1]) + q[1])
        elif t in (*WRAPPERS, "SmallCaps"):
            out.append(stringify(c))
        elif t in ("Cite", "Link", "Span"):
            out.append(stringify(c[1]))
    return "".join(out)


# -- charts -------------------------------------------------------------------------------------------

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK = "{http://www.w3.org/1999/xlink}href"
_SVG_ELEMENTS = {"svg", "g", "defs", "path", "use", "clipPath", "rect", "circle", "ellipse", "line", "polyline",
                 "polygon", "text", "tspan", "symbol", "linearGradient", "radialGradient", "stop", "pattern", "mask"}
# Presentation attributes a chart may carry (matplotlib writes most of them into style="...").
_SVG_PAINT = {"fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
              "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "opacity",
              "clip-path", "clip-rule", "mask", "font-family", "font-size", "font-style", "font-weight",
              "text-anchor", "dominant-baseline", "stop-color", "stop-opacity", "visibility", "display"}
_SVG_ATTRS = _SVG_PAINT | {"id", "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "width",
                           "height", "viewBox", "transform", "points", "preserveAspectRatio", "offset",
                           "gradientUnits", "gradientTransform", "patternUnits", "clipPathUnits", "dx", "dy"}
_URL_REF = re.compile(r"url\(\s*#([^)\s]+)\s*\)")
_CSS_VALUE = re.compile(r"[#%(),.\w\s-]*")  # no quotes, colons, semicolons or backslashes


def inline_svg(svg: bytes, *, prefix: str, label: str) -> str:
    """A chart's SVG as inline markup: only drawing elements and paint attributes survive (no script,
    no event handlers, no external references, no <style>), ids are prefixed so charts never clash,
    and the chart is one image to a screen reader, named by its alt text."""
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise ValueError(f"the chart's SVG does not parse: {exc}") from None
    if _local(root.tag) != "svg":
        raise ValueError("the chart file is not an SVG drawing")
    out: list[str] = []
    _svg_element(root, prefix, out, top=label)
    return "".join(out)


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""  # comments and processing instructions
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return name if ns == _SVG_NS else ""
    return tag


def _svg_element(el: ET.Element, prefix: str, out: list[str], top: str | None = None) -> None:
    name = _local(el.tag)
    if name not in _SVG_ELEMENTS:
        return  # script, style, foreignObject, metadata, image, a … and their content
    attrs: dict[str, str] = {}
    for key, value in el.attrib.items():
        if key == "style":
            for decl in value.split(";"):
                prop, _, val = decl.partition(":")
                prop, val = prop.strip().lower(), val.strip()
                if prop in _SVG_PAINT and prop not in el.attrib:
                    attrs[prop] = val
        elif key in (_XLINK, "href"):
            if value.startswith("#") and _SAFE_ID.fullmatch(value[1:]):
                attrs["href"] = f"#{prefix}{value[1:]}"
        elif key in _SVG_ATTRS:
            attrs[key] = value
    for key, value in list(attrs.items()):
        if key == "id":
            attrs[key] = prefix + value if _SAFE_ID.fullmatch(value) else ""
        elif key in _SVG_PAINT:
            value = _URL_REF.sub(lambda m: f"url(#{prefix}{m.group(1)})", value)
            if "url(" in value and not value.startswith("url(#"):
                value = ""
            attrs[key] = value if _CSS_VALUE.fullmatch(value) else ""
    attrs = {k: v for k, v in attrs.items() if v != ""}
    if top is not None:
        attrs.pop("x", None), attrs.pop("y", None)
        attrs.update({"class": "chart", "role": "img", "aria-label": top, "focusable": "false"})
    text = "".join(f' {k}="{_attr(v)}"' for k, v in attrs.items())
    out.append(f"<{name}{text}>")
    if name in ("text", "tspan") and el.text:
        out.append(_esc(el.text))
    for child in el:
        _svg_element(child, prefix, out)
        if name in ("text", "tspan") and child.tail:
            out.append(_esc(child.tail))
    out.append(f"</{name}>")


# -- the walk -----------------------------------------------------------------------------------------

@dataclass
class _State:
    targets: set[str]
    charts: dict[str, Path]
    used_ids: set[str] = field(default_factory=set)
    chips: dict[str, str] = field(default_factory=dict)  # colour -> class name
    cites: dict[str, list[int]] = field(default_factory=dict)  # reference id -> citation numbers
    n_cites: int = 0
    notes: list[Nodes] = field(default_factory=list)
    n_charts: int = 0


class _Html:
    """Renders blocks and inlines to HTML text; every string from the AST is escaped on the way."""

    def __init__(self, state: _State, theme_: Theme):
        self.st = state
        self.theme = theme_

    # ids ---------------------------------------------------------------------------------------------
    def ident(self, ident: str) -> str:
        """` id="…"` for a safe, first-seen id; '' otherwise (duplicate ids would break anchors)."""
        if not ident or not _SAFE_ID.fullmatch(ident) or ident in self.st.used_ids:
            return ""
        self.st.used_ids.add(ident)
        return f' id="{_attr(ident)}"'

    # inlines -----------------------------------------------------------------------------------------
    def inlines(self, nodes: Nodes, in_link: bool = False) -> str:
        return "".join(self.inline(n, in_link) for n in nodes or [])

    def inline(self, node: Json, in_link: bool) -> str:  # noqa: C901 - one branch per pandoc inline
        t: Any = node.get("t")
        c: Any = node.get("c")
        if t == "Str":
            return _esc(c)
        if t in ("Space", "SoftBreak"):
            return " "
        if t == "LineBreak":
            return "<br>"
        if t in WRAPPERS:
            tag = WRAPPERS[t]
            return f"<{tag}>{self.inlines(c, in_link)}</{tag}>"
        if t == "SmallCaps":
            return f'<span class="smallcaps">{self.inlines(c, in_link)}</span>'
        if t == "Quoted":
            q = QUOTES.get(c[0]["t"], ('"', '"'))
            return _esc(q[0]) + self.inlines(c[1], in_link) + _esc(q[1])
        if t == "Cite":
            return self.cite(c, in_link)
        if t == "Code":
            return f"<code>{_esc(c[1])}</code>"
        if t == "Math":
            return f'<span class="math">{_esc(c[1])}</span>'
        if t == "RawInline":
            return _esc(c[1]) if c[0].lower() in LITERAL_RAW else ""
        if t == "Link":
            return self.link(c, in_link)
        if t == "Span":
            return self.span(c, in_link)
        if t == "Note":
            return self.note(c, in_link)
        if t == "Image":
            target = c[2][0]
            if target.startswith("chart:"):
                return self.chart(target[6:], c[2][1] or stringify(c[1]))
            return f'<span class="alt">{self.inlines(c[1], in_link)}</span>'  # never fetched
        return ""

    def cite(self, c: Nodes, in_link: bool) -> str:
        inner = self.inlines(c[1], in_link)
        if not inner:
            return ""
        self.st.n_cites += 1
        n = self.st.n_cites
        for citation in c[0]:
            self.st.cites.setdefault(f"ref-{citation['citationId']}", []).append(n)
        return f'<span class="cite" id="briefing-cite-{n}">{inner}</span>'

    def link(self, c: Nodes, in_link: bool) -> str:
        text = self.inlines(c[1], True)
        url = c[2][0]
        if in_link:
            return text  # a link cannot hold a link
        if url.startswith("#"):
            if url[1:] in self.st.targets:
                return f'<a href="{_attr(url)}">{text}</a>'
            return text  # a dangling anchor: plain text
        if link_allowed(url) and not any(ch.isspace() or ord(ch) < 32 for ch in url.strip()):
            return f'<a href="{_attr(url.strip())}" rel="noopener noreferrer">{text}</a>'
        return text  # javascript:, file:, data: … stay text

    def span(self, c: Nodes, in_link: bool) -> str:
        (ident, classes, kvs), content = c
        kv = dict(kvs)
        inner = self.inlines(content, in_link)
        id_ = self.ident(ident) if ident in self.st.targets else ""
        if "confidence" in classes:
            color = kv.get("color", "")
            color = color.upper() if _HEX.fullmatch(color) else self.theme.muted
            cls = self.st.chips.setdefault(color, f"conf-{len(self.st.chips) + 1}")
            return f'<span{id_} class="confidence {cls}">{inner}</span>'
        if "disputed" in classes:
            return f'<strong{id_} class="disputed">{inner}</strong>'
        return f"<span{id_}>{inner}</span>" if id_ else inner

    def note(self, blocks: Nodes, in_link: bool) -> str:
        self.st.notes.append(blocks)
        n = len(self.st.notes)
        if in_link:
            return f"<sup>{n}</sup>"
        return (f'<sup class="noteref"><a href="#briefing-note-{n}" id="briefing-noteref-{n}"'
                f' role="doc-noteref">{n}</a></sup>')

    # blocks ------------------------------------------------------------------------------------------
    def blocks(self, nodes: Nodes, *, tight: bool = False) -> str:
        return "".join(self.block(n, tight) for n in nodes or [])

    def block(self, node: Json, tight: bool = False) -> str:
        t: Any = node.get("t")
        c: Any = node.get("c")
        handler = getattr(self, f"_b_{t}", None)
        return handler(c, tight) if handler else ""  # Null and block types newer than this renderer

    def _b_Para(self, c: Nodes, tight: bool) -> str:  # noqa: N802
        image = _lone_image(c)
        if image is not None and image["c"][2][0].startswith("chart:"):
            return f'<div class="chart-wrap">{self.inline(image, False)}</div>\n'
        text = self.inlines(c)
        return f'<p dir="auto">{text}</p>\n' if text.strip() else ""

    def _b_Plain(self, c: Nodes, tight: bool) -> str:  # noqa: N802
        if tight:  # list items and table cells hold the text itself
            return self.inlines(c)
        return self._b_Para(c, tight)

    def _b_Header(self, c: Nodes, tight: bool) -> str:  # noqa: N802
        level, (ident, _, _), inlines = c
        h = min(level + 1, 6)  # the page's h1 is the briefing's title
        return f'<h{h}{self.ident(ident)} dir="auto">{self.inlines(inlines)}</h{h}>\n'

    def _b_CodeBlock(self, c: Nodes, tight: bool) -> str:  # noqa: N802
        return f"<pre><code>{_esc(c[1])}</code></pre>\n"

    def _b_RawBlock(self, c: Nodes, tight: bool) -> str:  # noqa: N802
        if c[0].lower() not in LITERAL_RAW or not c[1].strip():
            return ""
        return f"<pre><code>{_esc(c[1])}</code></pre>\n"

    def _b_LineBlock(self, c: Nodes, tight: bool) -> str:  # noqa: N802
        return '<p dir="auto">' + "<br>".join(self.inlines(line) for line in c) + "</p>\n"

    def _b_HorizontalRule(self, c: None, tight: bool) -> str:  # noqa: N802
        return "<hr>\n"

    def _items(self, items: Nodes) -> str:
        return "".join(f'<li dir="auto">{self.blocks(item, tight=True)}</li>\n' for item in items)

    def _b_BulletList(self, c: Nodes, tight: bool) -> str:  # noqa: N802
        return f"<ul>\n{self._items(c)}</ul>\n"

    def _b_OrderedList(self, c: Nodes, tight: bool) -> str:  # noqa: N802
        (start, style, _), items = c
        attrs = f' start="{int(start)}"' if int(start) != 1 else ""
        if style["t"] in _OL_TYPE:
            attrs += f' type="{_OL_TYPE[style["t"]]}"'
        return f"<ol{attrs}>\n{self._items(items)}</ol>\n"

    def _b_DefinitionList(self, c: Nodes, tight: bool) -> str:  # noqa: N802
        out = ["<dl>\n"]
        for term, definitions in c:
            out.append(f'<dt dir="auto">{self.inlines(term)}</dt>\n')
            out += [f"<dd>{self.blocks(d, tight=True)}</dd>\n" for d in definitions]
        return "".join(out) + "</dl>\n"

    def _b_BlockQuote(self, c: Nodes, tight: bool) -> str:  # noqa: N802
        return f"<blockquote>\n{self.blocks(c)}</blockquote>\n"

    def _b_Div(self, c: Nodes, tight: bool) -> str:  # noqa: N802
        (ident, classes, kvs), blocks = c
        id_ = self.ident(ident)
        if "box" in classes:
            title = dict(kvs).get("title", "")
            head = f'<p class="box-title" dir="auto">{_esc(title)}</p>\n' if title.strip() else ""
            return f'<div{id_} class="box">\n{head}<div class="box-body">\n{self.blocks(blocks)}</div></div>\n'
        if "allegation" in classes:
            return f'<div{id_} class="allegation">\n{self.blocks(blocks)}</div>\n'
        if ident == "refs" or "references" in classes or "refs" in classes:
            return f'<div{id_} class="references" role="doc-bibliography">\n{self.bibliography(blocks)}</div>\n'
        inner = self.blocks(blocks, tight=tight)
        return f"<div{id_}>\n{inner}</div>\n" if id_ else inner

    def bibliography(self, blocks: Nodes) -> str:
        out = []
        for block in blocks:
            if block.get("t") != "Div" or "csl-entry" not in block["c"][0][1]:
                out.append(self.block(block))
                continue
            (ident, _, _), entry = block["c"]
            label, entry = _entry_label(entry)
            body = self.blocks(entry, tight=True)
            back = f"\x00BACK:{ident}\x00" if _SAFE_ID.fullmatch(ident or "") else ""
            out.append(f'<div{self.ident(ident)} class="csl-entry" role="doc-biblioentry">'
                       f'<span class="ref-label">{_esc(label or "")}</span>'
                       f'<span class="ref-text" dir="auto">{body}{back}</span></div>\n')
        return "".join(out)

    def backlinks(self, ident: str) -> str:
        """The links from a reference back to each place that cites it."""
        ns = self.st.cites.get(ident, [])
        if not ns:
            return ""
        if len(ns) == 1:
            return (f' <span class="backlinks"><a href="#briefing-cite-{ns[0]}" role="doc-backlink"'
                    f' aria-label="Back to the citation">\u21a9</a></span>')
        # The visible letter starts each link's name, so speech input ("click b") finds it.
        links = " ".join(f'<a href="#briefing-cite-{n}" role="doc-backlink"'
                         f' aria-label="{_letter(i)}: back to citation {i}">{_letter(i)}</a>'
                         for i, n in enumerate(ns, 1))
        return f' <span class="backlinks"><span aria-hidden="true">\u21a9</span> {links}</span>'

    def _b_Figure(self, c: Nodes, tight: bool) -> str:  # noqa: N802
        (ident, _, _), (_, caption), content = c
        body = []
        for block in content:
            image = _lone_image(block.get("c") or []) if block.get("t") in ("Para", "Plain") else None
            body.append(self.inline(image, False) if image else self.block(block))
        cap = self.blocks(caption, tight=True)
        cap = f'<figcaption dir="auto">{cap}</figcaption>' if cap.strip() else ""
        return f'<figure{self.ident(ident)}>\n{"".join(body)}\n{cap}</figure>\n'

    def chart(self, chart_id: str, label: str) -> str:
        path = self.st.charts.get(chart_id)
        if path is None:
            raise ValueError(f"the document shows chart {chart_id!r}, which was not drawn")
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ValueError(f"chart {chart_id!r}: cannot read {path}: {exc.strerror or exc}") from None
        self.st.n_charts += 1
        return inline_svg(data, prefix=f"c{self.st.n_charts}-", label=label or f"Chart {chart_id}")

    def _b_Table(self, c: Nodes, tight: bool) -> str:  # noqa: N802
        (ident, _, _), (_, caption), colspecs, head, bodies, foot = c
        aligns = [spec[0]["t"] for spec in colspecs]
        out = [f'<table{self.ident(ident)}>\n']
        cap = self.blocks(caption, tight=True)
        if cap.strip():
            out.append(f'<caption dir="auto">{cap}</caption>\n')
        if head[1]:
            out.append("<thead>\n" + "".join(self.row(r, aligns, "col") for r in head[1]) + "</thead>\n")
        for body in bodies:
            _, row_heads, head_rows, rows = body
            out.append("<tbody>\n" + "".join(self.row(r, aligns, "col") for r in head_rows)
                       + "".join(self.row(r, aligns, None, int(row_heads)) for r in rows) + "</tbody>\n")
        if foot[1]:
            out.append("<tfoot>\n" + "".join(self.row(r, aligns, None) for r in foot[1]) + "</tfoot>\n")
        return "".join(out) + "</table>\n"

    def row(self, row: Nodes, aligns: list[str], scope: str | None, row_heads: int = 0) -> str:
        cells = []
        col = 0
        for i, (_, align, rowspan, colspan, blocks) in enumerate(row[1]):
            a = align["t"] if align["t"] != "AlignDefault" else (aligns[col] if col < len(aligns) else "")
            tag, sc = ("th", scope) if scope else (("th", "row") if i < row_heads else ("td", None))
            attrs = f' scope="{sc}"' if sc else ""
            attrs += f' rowspan="{int(rowspan)}"' if int(rowspan) > 1 else ""
            attrs += f' colspan="{int(colspan)}"' if int(colspan) > 1 else ""
            attrs += f' class="{_ALIGN[a]}"' if a in _ALIGN else ""
            cells.append(f'<{tag}{attrs} dir="auto">{self.blocks(blocks, tight=True)}</{tag}>')
            col += max(1, int(colspan))
        return "<tr>" + "".join(cells) + "</tr>\n"

    def notes(self) -> str:
        """The endnotes, as in the PDF: a "Notes" section after the body."""
        if not self.st.notes:
            return ""
        out = ['<section class="notes" role="doc-endnotes" aria-labelledby="briefing-notes">\n'
               '<h2 id="briefing-notes">Notes</h2>\n<ol>\n']
        n = 0
        while n < len(self.st.notes):  # a note inside a note adds to the list while it is walked
            blocks = self.st.notes[n]
            n += 1
            body = self.blocks(blocks, tight=True)
            out.append(f'<li id="briefing-note-{n}" dir="auto">{body} <a href="#briefing-noteref-{n}"'
                       ' role="doc-backlink"'
                       f' aria-label="Back to note {n}">\u21a9</a></li>\n')
        return "".join(out) + "</ol>\n</section>\n"


def _letter(i: int) -> str:
    s = ""
    while i > 0:
        i, rem = divmod(i - 1, 26)
        s = chr(97 + rem) + s
    return s


def _lone_image(inlines: Nodes) -> Json | None:
    """The Image when a paragraph holds only an image (and whitespace)."""
    rest = [i for i in inlines if i.get("t") not in ("Space", "SoftBreak")]
    return rest[0] if len(rest) == 1 and rest[0].get("t") == "Image" else None


def _entry_label(entry: Nodes) -> tuple[str | None, Nodes]:
    """Split citeproc's `csl-left-margin` label off an entry's first paragraph."""
    if not entry or entry[0].get("t") not in ("Para", "Plain"):
        return None, entry
    label, rest = None, []
    for node in entry[0]["c"]:
        if node.get("t") == "Span" and "csl-left-margin" in node["c"][0][1] and label is None:
            label = stringify(node["c"][1]).strip()
        elif node.get("t") == "Span" and "csl-right-inline" in node["c"][0][1]:
            rest += node["c"][1]
        else:
            rest.append(node)
    if label is None:
        return None, entry
    return label, [{"t": "Plain", "c": rest}, *entry[1:]]


def _collect_targets(value: object, found: set[str]) -> None:
    """Every element id in the document: the anchors a `#link` may point at."""
    if isinstance(value, dict):
        if value.get("t") in ("Header", "Div", "Figure", "Table", "Span") and isinstance(value.get("c"), list):
            c = value["c"]
            attr = c[1] if value["t"] == "Header" else c[0]
            if isinstance(attr, list) and attr and isinstance(attr[0], str) and _SAFE_ID.fullmatch(attr[0]):
                found.add(attr[0])
        for v in value.values():
            _collect_targets(v, found)
    elif isinstance(value, list):
        for v in value:
            _collect_targets(v, found)


# -- the page -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HtmlOptions:
    """What the page takes from the audience besides the document: theme and an optional logo."""

    theme: Theme = field(default_factory=Theme)
    logo: str | None = None  # a data: URI (logo_uri), so the page fetches nothing


def render_html(ast: Json, *, charts: dict[str, Path], options: HtmlOptions | None = None) -> str:
    """The HTML edition of a pandoc JSON AST, as one self-contained page."""
    from .render_pdf.meta import read_meta  # deferred: ReportLab, which importing this module must not pay

    options = options or HtmlOptions()
    th = options.theme
    meta = read_meta(ast.get("meta") or {})
    targets: set[str] = set()
    blocks = ast.get("blocks") or []
    _collect_targets(blocks, targets)
    state = _State(targets=targets, charts={k: Path(v) for k, v in charts.items()})
    state.used_ids.update({"content", "briefing-notes"})
    walker = _Html(state, th)
    body = walker.blocks(blocks)
    body += walker.notes()
    body = re.sub("\x00BACK:([^\x00]*)\x00", lambda m: walker.backlinks(m.group(1)), body)
    css = stylesheet(th, state.chips, meta.marking)
    css_hash = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
    fonts = " font-src data:;" if th.font_faces else ""
    csp = (f"default-src 'none'; style-src 'sha256-{css_hash}'; img-src data:;{fonts} base-uri 'none'; "
           "form-action 'none'")
    lang = " ".join(str(_meta_plain(ast, "lang")).split())
    lang = lang if _LANG.fullmatch(lang) else "en"
    title = meta.title or "Briefing"
    masthead = _masthead(meta)
    return ("<!DOCTYPE html>\n"
            f'<html lang="{_attr(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'  # ours: no quote, no ampersand
            '<meta name="referrer" content="no-referrer">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="generator" content="briefing">\n'
            f"<title>{_esc(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n"
            f"{masthead}"
            f'<main id="content">\n{_title_block(meta, options.logo)}{body}</main>\n'
            f"{_footer(meta)}</body>\n</html>\n")


def _meta_plain(ast: dict[str, Any], key: str) -> str:
    from .render_pdf.meta import meta_text  # deferred: ReportLab, as in render_html

    return meta_text((ast.get("meta") or {}).get(key))


def _masthead(meta: DocMeta) -> str:
    """The page header: like the PDF's running header, short title, marking and organisation."""
    if not (meta.marking or meta.title or meta.organisation):
        return ""
    marking = f'<p class="marking"><strong>{_esc(meta.marking)}</strong></p>' if meta.marking else ""
    return (f'<header class="masthead">\n<p class="run-title">{_esc(meta.title)}</p>{marking}'
            f'<p class="run-org">{_esc(meta.organisation)}</p>\n</header>\n')


def _title_block(meta: DocMeta, logo: str | None) -> str:
    out = ['<div class="titleblock">\n']
    org = f'<p class="org">{_esc(meta.organisation)}</p>' if meta.organisation else ""
    if logo is not None:
        org = f'<div class="org-row">{org}<img class="logo" alt="" src="{_attr(logo)}"></div>'
    out.append(org + "\n")
    if meta.title:
        out.append(f'<h1 dir="auto">{_esc(meta.title)}</h1>\n')
    if meta.subtitle:
        out.append(f'<p class="subtitle" dir="auto">{_esc(meta.subtitle)}</p>\n')
    details = " \u00b7 ".join(_esc(p) for p in (meta.date, meta.edition, meta.author) if p)
    marking = f'<p class="title-marking">{_esc(meta.marking)}</p>' if meta.marking else ""
    out.append(f'<div class="titlemeta"><p>{details}</p>{marking}</div>\n</div>\n')
    return "".join(out)


def logo_uri(path: Path) -> str:
    """The logo as a data: URI: PNG and JPEG as they are, any other image the PDF accepts converted to PNG;
    ValueError for a file that is no image."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read logo {path}: {exc.strerror or exc}") from None
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        mime = "image/png"
    elif data.startswith(b"\xff\xd8\xff"):
        mime = "image/jpeg"
    else:  # e.g. a GIF or BMP, which ReportLab reads through Pillow for the PDF
        from PIL import Image  # deferred: Pillow, only for a GIF or BMP logo

        try:
            with Image.open(io.BytesIO(data)) as img:
                img.load()
                out = io.BytesIO()
                img.convert("RGBA").save(out, format="PNG")
        except Exception:
            raise ValueError(f"logo {path} is not a readable PNG/JPEG image") from None
        data, mime = out.getvalue(), "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _footer(meta: DocMeta) -> str:
    left = " \u00b7 ".join(_esc(p) for p in (meta.date, meta.edition) if p)
    marking = f'<p class="marking"><strong>{_esc(meta.marking)}</strong></p>' if meta.marking else ""
    if not (left or marking):
        return ""
    return f'<footer class="pagefoot">\n<p>{left}</p>{marking}\n</footer>\n'


def _css_string(text: str) -> str:
    """A CSS string literal holding `text` literally: every character but letters, digits and space escaped."""
    return '"' + "".join(ch if ch.isascii() and (ch.isalnum() or ch == " ") else f"\\{ord(ch):x} "
                         for ch in _CONTROL.sub("\ufffd", text)) + '"'


def stylesheet(th: Theme, chips: dict[str, str], marking: str = "") -> str:
    """The page's one stylesheet: screen, then print; confidence chips coloured from the scale."""
    b = th.base_size
    brand = th.brand
    chip_css = []
    for color, cls in chips.items():
        bg, fg = chip_colors(color, th.text)
        chip_css.append(f".{cls}{{background:{bg};color:{fg}}}")
    page = "A4" if th.paper.lower() == "a4" else "letter"
    faces = "".join(f'@font-face{{font-family:"Briefing Body";font-weight:{w};font-style:{st};src:url({uri})}}\n'
                    for w, st, uri in th.font_faces)
    # On paper the marking heads and foots every page, as in the PDF (CSS page-margin boxes).
    page_marks = (f"@top-center{{content:{_css_string(marking)};font:bold 8pt sans-serif}}"
                  f"@bottom-center{{content:{_css_string(marking)};font:bold 8pt sans-serif}}" if marking else "")
    page_marks += "@bottom-right{content:\"Page \" counter(page) \" of \" counter(pages);font:7pt sans-serif}"
    return f"""
{faces}:root{{--brand:{brand};--text:{th.text};--muted:{th.muted};--rule:{th.rule};--link:{th.link}}}
*{{box-sizing:border-box}}
html{{scroll-padding-top:3.2rem}}
body{{margin:0;background:#FFFFFF;color:var(--text);font-family:{th.font_family};font-size:{b * 1.6:.1f}px;\
line-height:1.5}}
main{{max-width:46rem;margin:0 auto;padding:1.5rem 1.25rem 2rem}}
.masthead{{position:sticky;top:0;z-index:2;display:flex;gap:1rem;align-items:center;justify-content:space-between;\
background:#FFFFFF;border-bottom:1px solid var(--rule);padding:.45rem 1.25rem;font-size:.8em;color:var(--muted)}}
.masthead p{{margin:0;flex:1 1 0}}
.masthead .marking{{text-align:center;color:var(--text);letter-spacing:.02em}}
.masthead .run-org{{text-align:right}}
.titleblock{{margin-bottom:1.6rem}}
.org{{margin:0 0 .6rem;font-weight:bold;font-size:.85em;color:var(--brand);text-transform:uppercase;\
letter-spacing:.03em}}
.org-row{{display:flex;justify-content:space-between;align-items:flex-end}}
.logo{{max-height:3.5rem;max-width:14rem}}
h1{{font-size:2.4em;line-height:1.18;color:var(--brand);margin:0 0 .3rem}}
.subtitle{{font-size:1.3em;line-height:1.3;color:var(--muted);margin:0 0 .2rem}}
.titlemeta{{display:flex;justify-content:space-between;gap:1rem;border-top:3px solid var(--brand);margin-top:.8rem;\
padding-top:.5rem;font-size:.9em;color:var(--muted)}}
.titlemeta p{{margin:0}}
.title-marking{{font-weight:bold;color:var(--brand);text-align:right}}
h2,h3,h4,h5,h6{{color:var(--brand);line-height:1.25;margin:1.6em 0 .5em}}
h1,h2,h3,h4,h5,h6,.org,.box-title,.masthead,.pagefoot,.titlemeta,.confidence,figcaption,caption,th\
{{font-family:{Theme.font_family}}}
h2{{font-size:1.55em}}h3{{font-size:1.22em}}h4,h5,h6{{font-size:1.04em;color:var(--text)}}
p{{margin:0 0 .65em}}
a{{color:var(--link)}}
a:focus-visible{{outline:2px solid var(--brand);outline-offset:2px}}
ul,ol{{padding-left:1.6em;margin:0 0 .8em}}
li{{margin:0 0 .3em}}
.confidence{{display:inline-block;font-size:.82em;font-weight:bold;line-height:1.3;padding:0 .35em;border-radius:2px;\
white-space:nowrap;-webkit-print-color-adjust:exact;print-color-adjust:exact}}
{"".join(chip_css)}
.disputed{{color:{th.disputed}}}
.box{{background:{tint(brand, 0.07)};border-bottom:2px solid var(--brand);margin:.6em 0 1.2em}}
.box-title{{background:var(--brand);color:#FFFFFF;font-weight:bold;font-size:.95em;margin:0;padding:.3em .75em}}
.box-body{{padding:.7em .75em .2em}}
.allegation{{border-left:4px solid {th.allegation};background:{th.allegation_fill};padding:.5em .8em .1em;\
margin:.4em 0 1em}}
blockquote{{border-left:4px solid {th.quote_rule};margin:.4em 0 1em;padding:.1em .9em;color:{th.quote_text}}}
code,pre{{font-family:{th.mono_family};font-size:.88em}}
pre{{background:{th.code_bg};padding:.5em .7em;white-space:pre-wrap;overflow-wrap:anywhere}}
table{{border-collapse:collapse;width:100%;margin:.4em 0 1.2em;font-size:.88em}}
caption{{text-align:left;font-weight:bold;margin-bottom:.35em}}
th,td{{border-bottom:1px solid var(--rule);padding:.3em .4em;vertical-align:top;text-align:left;\
overflow-wrap:break-word;hyphens:auto}}
td a,th a{{overflow-wrap:anywhere}}
thead th{{background:{tint(brand, 0.13)}}}
tbody tr:nth-child(even){{background:{tint(brand, 0.035)}}}
.al-right{{text-align:right}}.al-center{{text-align:center}}
figure{{margin:1em 0 1.4em}}
svg.chart{{display:block;width:100%;height:auto;max-width:100%}}
svg.chart *{{stroke-linejoin:round;stroke-linecap:butt}}
figcaption{{font-style:italic;font-size:.85em;color:var(--muted);margin-top:.4em}}
.smallcaps{{font-variant:small-caps}}
sup{{line-height:0}}
.references{{font-size:.86em}}
.csl-entry{{display:grid;grid-template-columns:2.4em 1fr;gap:.4em;margin:0 0 .4em}}
.ref-label{{text-align:right}}
.ref-text{{overflow-wrap:anywhere}}
.backlinks a{{margin-left:.15em}}
.notes{{font-size:.86em}}
hr{{border:0;border-top:1px solid var(--rule);margin:1em 0}}
.pagefoot{{display:flex;justify-content:space-between;max-width:46rem;margin:0 auto;padding:.6rem 1.25rem 2rem;\
border-top:1px solid var(--rule);font-size:.8em;color:var(--muted)}}
.pagefoot p{{margin:0}}
.pagefoot .marking{{color:var(--text)}}
@media print{{
@page{{size:{page};margin:22mm 20mm 20mm;{page_marks}}}
body{{font-size:{b:.1f}pt}}
main{{max-width:none;padding:0}}
.masthead{{display:none}}
h2,h3,h4,caption,.box-title{{break-after:avoid}}
figure,.csl-entry,tr,.confidence{{break-inside:avoid}}
.box,.allegation,thead th,tbody tr,.box-title{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
.backlinks{{display:none}}
a{{color:inherit;text-decoration:none}}
.pagefoot{{padding:.4rem 0 0;max-width:none}}
}}
"""
