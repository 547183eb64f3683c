"""Pandoc inlines -> ReportLab paragraph markup. Every piece of text is escaped data."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib.colors import toColor
from reportlab.pdfbase.pdfmetrics import stringWidth

from ..pandoc_ast import Json, Nodes
from . import anchors, fonts

_HEX = re.compile(r"#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}")
_EXTERNAL = re.compile(r"(?:https?|mailto):", re.IGNORECASE)
_URLISH = re.compile(r"[a-z][a-z0-9+.-]*:\S+$", re.IGNORECASE)
_URL_PIECES = re.compile(r"[^/?&=-]*(?:[/?&=-]+|$)").findall  # each piece ends with its break mark
# Raw snippets that came from the author's own text (markdown reads `<b>` or `\x` as raw html/tex)
# keep their text; explicit `{=openxml}` & co. were written for another writer and are dropped.
LITERAL_RAW = {"html", "html4", "html5", "tex", "latex"}
NBSP = "\u00a0"
# Pandoc inlines that map one-to-one onto a ReportLab paragraph tag.
WRAPPERS = {"Emph": "i", "Strong": "b", "Underline": "u", "Strikeout": "strike", "Superscript": "super",
            "Subscript": "sub"}
QUOTES = {"SingleQuote": ("\u2018", "\u2019"), "DoubleQuote": ("\u201c", "\u201d")}


@dataclass
class State:
    """What inline rendering shares across the document: link targets and collected notes."""

    targets: set[str]  # element ids that will exist as destinations
    link_color: str = "#1A5A96"
    disputed_color: str = "#8B0000"
    notes: list[list[Any]] = field(default_factory=list)  # each Note's blocks, in order

    def note_key(self, n: int) -> str:
        return f"briefing-note-{n}"


def known_color(value: str) -> str:
    """`value`, a colour for a tag's attribute, memoised in ReportLab's colour parser by its own result.

    The parser reaches a hex colour only on its last path, after a failed Python literal parse (about 35 µs, once
    per tag: seconds at a thousand pages). A colour it refuses is left to the paragraph parser to report."""
    names = toColor.extraColorsNS
    if value not in names:
        try:
            names[value] = toColor(value)
        except ValueError:
            pass
    return value


def safe_uri(url: str) -> str | None:
    """The URL if it is http(s) or mailto (percent-encoding non-ASCII), else None."""
    if not _EXTERNAL.match(url) or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    return urllib.parse.quote(url, safe="!#$%&'()*+,/:;=?@[]~-._")


def stringify(inlines: Nodes) -> str:
    """Plain text of inlines (for outlines, metadata and width estimates)."""
    out: list[str] = []
    for node in inlines:
        t: str = node["t"]
        c: Any = node.get("c")
        if t in ("Str",):
            out.append(c)
        elif t in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif t in ("Code", "Math"):
            out.append(c[1])
        elif t == "RawInline":
            out.append(c[1] if c[0] in LITERAL_RAW else "")
        elif t == "Quoted":
            q = QUOTES.get(c[0]["t"], ('"', '"'))
            out.append(q[0] + stringify(c[1]) + q[1])
        elif t in ("Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps"):
            out.append(stringify(c))
        elif t in ("Cite",):
            out.append(stringify(c[1]))
        elif t in ("Link", "Span"):
            out.append(stringify(c[1]))
    return "".join(out)


class Inlines:
    """Renders inline lists to markup, remembering notes and validating links."""

    def __init__(self, state: State, base_size: float) -> None:
        self.state = state
        self.base = base_size
        self.line: tuple[float, float] | None = None  # (width, font size) of the paragraph being rendered
        self.direction: str | None = None  # 'L'/'R' while rendering a paragraph with right-to-left text

    def render(self, inlines: Nodes, *, mono: bool = False, in_link: bool = False, upper: bool = False,
               nbsp: bool = False) -> str:
        """Markup for a list of inlines."""
        opts = {"mono": mono, "in_link": in_link, "upper": upper, "nbsp": nbsp}
        if not any(n["t"] == "Str" and fonts.has_rtl(n["c"]) for n in inlines):
            return "".join(self._one(node, **opts) for node in inlines)
        # Right-to-left words are reordered for drawing as whole runs, not word by word: the words and
        # spaces between two pieces of markup become one text. The paragraph's direction comes from its
        # first strong letter, taken at the outermost call.
        outer = self.direction is None
        if outer:
            self.direction = fonts.base_direction(stringify(inlines)) or "L"
        try:
            out, words = [], []
            for node in [*inlines, None]:
                if node is not None and node["t"] in ("Str", "Space", "SoftBreak"):
                    words.append(node["c"] if node["t"] == "Str" else " ")
                    continue
                if words:
                    out.append(self._text("".join(words), **opts))
                    words = []
                if node is not None:
                    out.append(self._one(node, **opts))
            return "".join(out)
        finally:
            if outer:
                self.direction = None

    def _text(self, text: str, *, mono: bool, upper: bool, nbsp: bool, **_: object) -> str:
        if upper:
            text = text.upper()
        if nbsp:
            text = text.replace(" ", NBSP)
        return fonts.markup(text, mono=mono, base=self.direction)

    def _one(self, node: Json, **o: bool) -> str:
        t: str = node["t"]
        c: Any = node.get("c")
        if t == "Str":
            return self._text(c, **o)
        if t in ("Space", "SoftBreak"):
            return NBSP if o["nbsp"] else " "
        if t == "LineBreak":
            return "<br/>"
        if t in WRAPPERS:
            tag = WRAPPERS[t]
            return f"<{tag}>{self.render(c, **o)}</{tag}>"
        if t == "SmallCaps":
            return f'<font size="{self.base * 0.85:.2f}">{self.render(c, **{**o, "upper": True})}</font>'
        if t == "Quoted":
            q = QUOTES.get(c[0]["t"], ('"', '"'))
            return self._text(q[0], **o) + self.render(c[1], **o) + self._text(q[1], **o)
        if t == "Cite":
            return self.render(c[1], **o)
        if t == "Code":
            fonts.ensure_mono()
            return f'<font name="{fonts.MONO}">{self._text(c[1], **{**o, "mono": True})}</font>'
        if t == "Math":
            return self._text(c[1], **o)  # TeX source, shown literally
        if t == "RawInline":
            return self._text(c[1], **o) if c[0].lower() in LITERAL_RAW else ""
        if t == "Link":
            return self._link(c[1], c[2][0], **o)
        if t == "Span":
            return self._span(c[0], c[1], **o)
        if t == "Note":
            return self._note(c, **o)
        return ""  # Image inside text (charts are block-level) and unknown nodes

    def _link(self, content: Nodes, url: str, **o: bool) -> str:
        text = self._long_url(content, **o) or self.render(content, **{**o, "in_link": True})
        if o["in_link"]:
            return text  # ReportLab cannot nest links
        href: str | None
        if url.startswith("#") and url[1:] in self.state.targets:
            href = "#" + anchors.key(url[1:])
        else:
            href = safe_uri(url)
        if href is None:
            return text  # javascript:, file:, data:, dangling #anchors: plain text
        return f'<a href="{fonts.escape_attr(href)}" color="{known_color(self.state.link_color)}">{text}</a>'

    def _long_url(self, content: Nodes, **o: bool) -> str:
        """A displayed URL longer than a line, broken onto lines at its own / - ? & = marks.

        ReportLab breaks a URL at one slash only and never inside the tail it splits off, so a long
        tail would overflow the margin (or, split by character, read as nonsense like "ht|tps").
        """
        if self.line is None or len(content) != 1 or content[0]["t"] != "Str" or o["upper"] or o["nbsp"]:
            return ""
        url = fonts.clean(content[0]["c"])
        width, size = self.line

        def measure(text: str) -> float:
            measured: float = stringWidth(text, fonts.SANS, size)
            return measured

        if width <= 2 * size or not _URLISH.match(url) or measure(url) <= width:
            return ""
        width -= size  # room for trailing punctuation after the last piece
        lines, line = [], ""
        for piece in _URL_PIECES(url):
            while piece:
                if measure(line + piece) <= width:
                    line += piece
                    break
                if line:
                    lines.append(line)
                    line = ""
                    continue
                # One piece wider than the whole line: cut it by characters.
                cut = next((i for i in range(len(piece) - 1, 0, -1) if measure(piece[:i]) <= width), 1)
                lines.append(piece[:cut])
                piece = piece[cut:]
        lines.append(line)
        # Start on a fresh line so the first piece gets a whole line too.
        return "<br/>" + "<br/>".join(fonts.markup(part, mono=o["mono"]) for part in lines if part)

    def _span(self, attr: Nodes, content: Nodes, **o: bool) -> str:
        ident, classes, kv = attr[0], attr[1], dict(attr[2])
        anchor = self.anchor(ident)
        if "confidence" in classes:
            color = kv.get("color", "")
            color = known_color(color if _HEX.fullmatch(color) else "#5A6270")
            inner = self.render(content, **{**o, "nbsp": True})
            size = self.base * 0.82
            # Non-breaking padding so the tag reads as one chip and never wraps inside.
            return (f'{anchor}<font size="{size:.2f}" color="{known_color("#FFFFFF")}" backColor="{color}">'
                    f"<b>{NBSP}{inner}{NBSP}</b></font>")
        if "disputed" in classes:
            color = known_color(self.state.disputed_color)
            return f'{anchor}<font color="{color}"><b>{self.render(content, **o)}</b></font>'
        return anchor + self.render(content, **o)

    def anchor(self, ident: str) -> str:
        """Markup for a named destination, if the element has an id."""
        if not ident or ident not in self.state.targets:
            return ""
        return f'<a name="{fonts.escape_attr(anchors.key(ident))}"/>'

    def _note(self, blocks: Nodes, **o: bool) -> str:
        self.state.notes.append(blocks)
        n = len(self.state.notes)
        mark = f"<super>{n}</super>"
        if o["in_link"]:
            return mark
        return f'<a href="#{self.state.note_key(n)}" color="{known_color(self.state.link_color)}">{mark}</a>'
