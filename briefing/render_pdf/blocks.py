"""Pandoc blocks -> ReportLab flowables."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, HRFlowable, Paragraph, Spacer, TableStyle

from ..pandoc_ast import Json, Nodes
from . import fonts
from .anchors import key as anchor_key
from .charts import Chart, FigureBlock, load_drawing
from .flowables import Anchor, Indented, Para, SplitTable, widow_range
from .inlines import LITERAL_RAW, NBSP, Inlines, State, stringify
from .styles import Styles

log = logging.getLogger(__name__)

LIST_BULLETS = ("\u2022", "\u2013", "\u25e6")
CELL_PAD = 4.0
LEAN_ROWS = 60  # a table longer than a few pages keeps its cells' sizes, not their lines (Para.lean)
PANEL_PAD = 8.0


@dataclass(frozen=True)
class Ctx:
    """Where blocks are being rendered."""

    width: float  # available width, before `indent`
    indent: float = 0.0  # left shift (lists, definitions)
    style: str = "body"  # base paragraph style
    nested: bool = False  # inside a table cell or panel: no outline entries, smaller headings
    bullet: str | None = None  # label for the next paragraph (list items, notes, references)
    prefix: str = ""  # markup (an anchor) to put before the next paragraph's text
    align: str = ""  # pandoc alignment for table cells
    depth: int = 0  # list nesting


class Blocks:
    """Renders a block list into flowables; one instance per document pass."""

    def __init__(self, styles: Styles, state: State, charts: dict[str, Path], chart_cache: dict[str, Any],
                 frame_height: float) -> None:
        self.st = styles
        self.state = state
        self.inl = Inlines(state, styles.base)
        self.charts = charts
        self.chart_cache = chart_cache  # id -> Drawing | None, shared between the two passes
        self.frame_height = frame_height

    # -- entry points -------------------------------------------------------------------------

    def render(self, blocks: Nodes, ctx: Ctx) -> list[Flowable]:
        """Flowables for a list of blocks; `ctx.bullet`/`ctx.prefix` go to the first paragraph."""
        out: list[Flowable] = []
        for i, block in enumerate(blocks):
            sub = ctx if i == 0 else replace(ctx, bullet=None, prefix="")
            made = self.block(block, sub)
            if block["t"] == "Para" and made and i + 1 < len(blocks) and blocks[i + 1]["t"] == "Table":
                made[-1].keepWithNext = 1  # a table's lead-in never ends a page without the table
            if i == 0 and (ctx.bullet or ctx.prefix) and not (made and isinstance(made[0], Paragraph)):
                made = [self.para("", ctx), *made]
            out.extend(made)
        if not blocks and (ctx.bullet or ctx.prefix):
            out.append(self.para("", ctx))
        return out

    def stream(self, blocks: Iterable[Json], ctx: Ctx) -> Iterator[Flowable]:
        """`render` of the top-level blocks, one block at a time (no bullet or prefix): each block's
        flowables are made only when the layout needs them."""
        held: tuple[Json, list[Flowable]] | None = None  # the last block, until the next one's type is known
        for block in blocks:
            made = self.block(block, ctx)
            if held is not None:
                if held[0]["t"] == "Para" and held[1] and block["t"] == "Table":
                    held[1][-1].keepWithNext = 1  # as in `render`
                yield from held[1]
            held = (block, made)
        if held is not None:
            yield from held[1]

    def notes(self, width: float) -> list[Flowable]:
        """The endnotes collected while rendering (and any notes inside them)."""
        if not self.state.notes:
            return []
        out: list[Flowable] = [self.heading(1, "", fonts.escape("Notes"), "Notes", Ctx(width))]
        n = 0
        while n < len(self.state.notes):
            blocks = self.state.notes[n]
            n += 1
            anchor = f'<a name="{self.state.note_key(n)}"/>'
            out += self.render(blocks, Ctx(width, style="refs", bullet=f"{n}.", prefix=anchor))
        return out

    # -- dispatch -----------------------------------------------------------------------------

    def block(self, node: Json, ctx: Ctx) -> list[Flowable]:
        t: str = node["t"]
        c: Any = node.get("c")
        handler = getattr(self, f"_b_{t}", None)
        if handler is None:
            return []  # Null and block types newer than this renderer
        # Each handler applies ctx.indent: paragraphs in their style, other flowables by wrapping.
        out: list[Flowable] = handler(c, ctx)
        return out

    def para(self, text: str, ctx: Ctx, style: str | None = None) -> Paragraph:
        st = self.st.variant(style or ctx.style, indent=ctx.indent, align=ctx.align, bullet=bool(ctx.bullet))
        return Para(ctx.prefix + text, st, bulletText=ctx.bullet)

    def _b_Para(self, c: Nodes, ctx: Ctx) -> list[Flowable]:  # noqa: N802
        image = _lone_image(c)
        if image is not None:
            return self.image(image, ctx)
        st = self.st.variant(ctx.style, indent=ctx.indent, align=ctx.align, bullet=bool(ctx.bullet))
        self.inl.line = (ctx.width - st.leftIndent - st.rightIndent, st.fontSize)
        try:
            text = self.inl.render(c)
        finally:
            self.inl.line = None
        if not text.strip() and not ctx.bullet and not ctx.prefix:
            return []
        if text.startswith("<br/>"):
            text = text[len("<br/>"):]  # a long URL opening the paragraph needs no fresh line
        return [self.para(text, ctx)]

    def _b_Plain(self, c: Nodes, ctx: Ctx) -> list[Flowable]:  # noqa: N802
        return self._b_Para(c, ctx)

    def _b_Header(self, c: Nodes, ctx: Ctx) -> list[Flowable]:  # noqa: N802
        level, attr, inlines = c
        return [self.heading(level, attr[0], self.inl.render(inlines), stringify(inlines), ctx)]

    def heading(self, level: int, ident: str, text: str, plain: str, ctx: Ctx) -> Paragraph:
        """A heading paragraph; top-level ones carry an outline entry for afterFlowable."""
        style = "h3" if ctx.nested else f"h{min(max(level, 1), 3)}"
        p = Para(self.inl.anchor(ident) + text, self.st.variant(style, indent=ctx.indent))
        if not ctx.nested and level <= 2 and plain.strip():
            p._outline = (plain.strip(), level)
        return p

    def _b_CodeBlock(self, c: Nodes, ctx: Ctx) -> list[Flowable]:  # noqa: N802
        fonts.ensure_mono()
        lines = [_keep_spaces(fonts.markup(line.expandtabs(4), mono=True)) for line in c[1].split("\n")]
        return [self.para("<br/>".join(lines), ctx, "code")]

    def _b_RawBlock(self, c: Nodes, ctx: Ctx) -> list[Flowable]:  # noqa: N802
        if c[0].lower() not in LITERAL_RAW or not c[1].strip():
            return []
        fonts.ensure_mono()
        lines = [_keep_spaces(fonts.markup(line, mono=True)) for line in c[1].split("\n")]
        return [self.para("<br/>".join(lines), ctx, "code")]

    def _b_LineBlock(self, c: Nodes, ctx: Ctx) -> list[Flowable]:  # noqa: N802
        return [self.para("<br/>".join(self.inl.render(line) for line in c), ctx)]

    def _b_HorizontalRule(self, c: None, ctx: Ctx) -> list[Flowable]:  # noqa: N802
        b = self.st.base
        return self._wrap([HRFlowable(width="100%", thickness=0.6, color=self.st.rule, spaceBefore=b * 0.4,
                                      spaceAfter=b * 0.9)], ctx)

    # -- lists --------------------------------------------------------------------------------

    def _items(self, items: Nodes, labels: list[str], ctx: Ctx) -> list[Flowable]:
        step = self.st.base * (1.6 if max((len(s) for s in labels), default=1) <= 2 else 2.4)
        style = ctx.style if ctx.style != "body" else "list"
        out: list[Flowable] = []
        for item, label in zip(items, labels, strict=True):
            sub = replace(ctx, indent=ctx.indent + step, style=style, bullet=label, prefix="",
                          depth=ctx.depth + 1)
            out += self.render(item, sub)
        if out and ctx.depth == 0:
            out.append(Spacer(1, self.st.base * 0.35))  # a little air after a top-level list
        return out

    def _b_BulletList(self, c: Nodes, ctx: Ctx) -> list[Flowable]:  # noqa: N802
        return self._items(c, [LIST_BULLETS[ctx.depth % len(LIST_BULLETS)]] * len(c), ctx)

    def _b_OrderedList(self, c: Nodes, ctx: Ctx) -> list[Flowable]:  # noqa: N802
        (start, number_style, delim), items = c
        labels = [_number(start + i, number_style["t"], delim["t"]) for i in range(len(items))]
        return self._items(items, labels, ctx)

    def _b_DefinitionList(self, c: Nodes, ctx: Ctx) -> list[Flowable]:  # noqa: N802
        out: list[Flowable] = []
        for term, definitions in c:
            out.append(self.para(self.inl.render(term), ctx, "term"))
            for blocks in definitions:
                out += self.render(blocks, replace(ctx, indent=ctx.indent + self.st.base * 1.6))
        return out

    # -- containers ---------------------------------------------------------------------------

    def _b_Div(self, c: Nodes, ctx: Ctx) -> list[Flowable]:  # noqa: N802
        (ident, classes, kv), blocks = c
        anchor = [Anchor(_key(ident))] if ident in self.state.targets else []
        if "box" in classes:
            return anchor + self._wrap(self.box(dict(kv).get("title", ""), blocks, ctx), ctx)
        if "allegation" in classes:
            return anchor + self._wrap(self.ruled(blocks, ctx, self.st.allegation, self.st.allegation_fill), ctx)
        if ident == "refs" or "references" in classes or "refs" in classes:
            return anchor + self.bibliography(blocks, ctx)
        return anchor + self.render(blocks, ctx)

    def _b_BlockQuote(self, c: list[Any], ctx: Ctx) -> list[Flowable]:  # noqa: N802
        return self._wrap(self.ruled(c, replace(ctx, style="quote"), self.st.quote_rule, None), ctx)

    def _wrap(self, flowables: list[Flowable], ctx: Ctx) -> list[Flowable]:
        return [Indented(f, ctx.indent) for f in flowables] if ctx.indent else flowables

    def box(self, title: str, blocks: Nodes, ctx: Ctx) -> list[Flowable]:
        """A shaded panel with an optional title bar in the brand colour."""
        width = ctx.width - ctx.indent
        inner = Ctx(width - 2 * PANEL_PAD, style="box", nested=True)
        body = self.render(blocks, inner) or [Spacer(1, 1)]
        _trim_last_space(body)
        rows: list[list[Any]] = []
        cmds = [("BACKGROUND", (0, 0), (-1, -1), self.st.box_fill),
                ("LEFTPADDING", (0, 0), (-1, -1), PANEL_PAD), ("RIGHTPADDING", (0, 0), (-1, -1), PANEL_PAD),
                ("TOPPADDING", (0, 0), (-1, -1), PANEL_PAD), ("BOTTOMPADDING", (0, 0), (-1, -1), PANEL_PAD),
                ("LINEBELOW", (0, -1), (-1, -1), 1.2, self.st.brand)]
        if title:
            rows.append([Para(fonts.markup(title), self.st["box_title"])])
            cmds += [("BACKGROUND", (0, 0), (-1, 0), self.st.brand),
                     ("TOPPADDING", (0, 0), (-1, 0), 4), ("BOTTOMPADDING", (0, 0), (-1, 0), 4)]
        rows.append([body])
        # A titled box repeats its title where it continues, and never leaves the title alone at a page foot.
        table = self._table_flowable(rows, [width], cmds, repeat=1 if title else 0, before=0.2, after=0.9)
        table.split_inside = bool(title)  # its body continues on the next page, under the repeated title
        return [table]

    def ruled(self, blocks: Nodes, ctx: Ctx, rule: colors.Color, fill: colors.Color | None) -> list[Flowable]:
        """Content with a coloured rule down its left side (allegations, quotes)."""
        width = ctx.width - ctx.indent
        inner = Ctx(width - PANEL_PAD * 1.5 - 3, style=ctx.style if ctx.style != "body" else "box", nested=True)
        body = self.render(blocks, inner) or [Spacer(1, 1)]
        _trim_last_space(body)
        cmds = [("LINEBEFORE", (0, 0), (0, -1), 3, rule),
                ("LEFTPADDING", (0, 0), (-1, -1), PANEL_PAD * 1.5), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]
        if fill is not None:
            cmds.append(("BACKGROUND", (0, 0), (-1, -1), fill))
        return [self._table_flowable([[body]], [width], cmds, repeat=0, before=0.15, after=0.8)]

    def bibliography(self, blocks: Nodes, ctx: Ctx) -> list[Flowable]:
        """Citeproc's entries as a numbered list with hanging labels and `ref-ID` anchors."""
        out: list[Flowable] = []
        n = 0
        for block in blocks:
            if block["t"] != "Div" or "csl-entry" not in block["c"][0][1]:
                out += self.render([block], replace(ctx, style="refs"))
                continue
            n += 1
            (ident, _, _), entry = block["c"]
            label, entry = _entry_label(entry)
            if label is None:
                text = stringify(entry[0]["c"]) if entry and entry[0]["t"] in ("Para", "Plain") else ""
                label = "" if re.match(r"\s*\[?\d+[\].)]", text) else f"{n}."
            sub = replace(ctx, style="refs", bullet=label or None, prefix=self.inl.anchor(ident))
            out += self.render(entry, sub)
        return out

    # -- figures and charts -------------------------------------------------------------------

    def _b_Figure(self, c: Nodes, ctx: Ctx) -> list[Flowable]:  # noqa: N802
        (ident, _, _), (_, caption), content = c
        anchor = [Anchor(_key(ident))] if ident in self.state.targets else []
        body: list[Flowable] = []
        for block in content:
            image = _lone_image(block.get("c") or []) if block["t"] in ("Para", "Plain") else None
            body += self.image(image, ctx) if image else self.block(block, ctx)
        cap = self.render(caption, replace(ctx, style="caption", bullet=None, prefix=""))
        if cap and len(body) == 1 and isinstance(body[0], Chart):
            return anchor + [FigureBlock(body[0], cap)]
        if cap:
            for f in body:  # a keepWithNext chain (not a nested KeepTogether) holds chart and caption
                f.keepWithNext = 1
        return anchor + body + cap

    def image(self, image: Json, ctx: Ctx) -> list[Flowable]:
        """A chart drawing for `chart:ID` targets; anything else is skipped (never fetched)."""
        target = image["c"][2][0]
        if not target.startswith("chart:"):
            return []
        chart_id = target[len("chart:"):]
        if chart_id not in self.chart_cache:
            path = self.charts.get(chart_id)
            if path is None:
                log.warning("no drawing for chart %r", chart_id)
            self.chart_cache[chart_id] = load_drawing(Path(path)) if path is not None else None
        drawing = self.chart_cache[chart_id]
        if drawing is None:
            return []
        flow: Flowable = Chart(drawing, self.frame_height * 0.7)
        flow.spaceBefore = self.st.base * 0.4
        return [Indented(flow, ctx.indent) if ctx.indent else flow]

    # -- tables -------------------------------------------------------------------------------

    def _b_Table(self, c: Nodes, ctx: Ctx) -> list[Flowable]:  # noqa: N802
        attr, (_, caption), colspecs, head, bodies, foot = c
        ncols = len(colspecs)
        if not ncols:
            return []
        rows: list[tuple[str, list[Any]]] = [("head", r) for r in head[1]]
        for body in bodies:
            rows += [("head", r) for r in body[2]] + [("body", r) for r in body[3]]
        rows += [("foot", r) for r in foot[1]]
        if not rows:
            return []
        grid, spans = _place(rows, ncols)
        width = ctx.width - ctx.indent
        widths = self._col_widths(colspecs, grid, width)
        n_head = 0
        while n_head < len(rows) and rows[n_head][0] == "head":
            n_head += 1
        data: list[list[Any]] = []
        for r, (kind, _) in enumerate(rows):
            line: list[Any] = []
            for col in range(ncols):
                placed = grid[r][col]
                if placed is None:
                    line.append("")
                    continue
                cell, span = placed
                align = cell[1]["t"] if cell[1]["t"] != "AlignDefault" else colspecs[col][0]["t"]
                cell_w = sum(widths[col:col + span]) - 2 * CELL_PAD
                style = "cell_head" if kind == "head" else "cell"
                sub = Ctx(cell_w, style=style, nested=True, align=align)
                made = self.render(cell[4], sub)
                _trim_last_space(made)
                line.append(made or "")
            data.append(line)
        brand = self.st.brand
        cmds = [("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD), ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
                ("TOPPADDING", (0, 0), (-1, -1), 3.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
                ("LINEBELOW", (0, 0), (-1, -1), 0.35, self.st.rule),
                ("LINEABOVE", (0, 0), (-1, 0), 1.0, brand), ("LINEBELOW", (0, -1), (-1, -1), 1.0, brand)]
        if n_head:
            cmds += [("BACKGROUND", (0, 0), (-1, n_head - 1), self.st.head_fill),
                     ("LINEBELOW", (0, n_head - 1), (-1, n_head - 1), 0.8, brand)]
        if len(rows) - n_head > 3:
            cmds.append(("ROWBACKGROUNDS", (0, n_head), (-1, -1), [colors.white, self.st.zebra]))
        first_foot = next((i for i, (kind, _) in enumerate(rows) if kind == "foot"), None)
        if first_foot is not None:
            cmds.append(("LINEABOVE", (0, first_foot), (-1, first_foot), 0.8, brand))
        cmds += spans
        if len(data) > LEAN_ROWS:
            for cell in (c for line in data for c in line if isinstance(c, list)):
                for f in cell:
                    if isinstance(f, Para):
                        f.lean = True
        table = self._table_flowable(data, widths, cmds, repeat=n_head, before=0.2, after=0.9,
                                     split_range=widow_range(len(data), n_head))
        table.keep_rows = True  # no single orphan or widow row at a page break
        out: list[Flowable] = []
        ident = attr[0]
        if ident in self.state.targets:
            out.append(Anchor(_key(ident)))
        if caption:
            out += self.render(caption, Ctx(ctx.width, indent=ctx.indent, style="table_caption"))
        out.append(table if not ctx.indent else Indented(table, ctx.indent))
        return out

    def _table_flowable(self, data: list[Any], widths: list[float], cmds: list[Any], repeat: int, before: float,
                        after: float, split_range: tuple[int, int] | None = None) -> SplitTable:
        # Spacing as spaceBefore/After, not Spacers, so keepWithNext chains stay intact.
        table = SplitTable(data, colWidths=widths, repeatRows=repeat, splitByRow=1, splitInRow=24,
                           hAlign="LEFT", spaceBefore=self.st.base * before, spaceAfter=self.st.base * after,
                           rowSplitRange=split_range)
        # The cell FONT matters even with Paragraph cells: ReportLab sets it (Helvetica by default).
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), fonts.SANS, self.st.base), *cmds]))
        table.page_height = self.frame_height
        return table

    def _col_widths(self, colspecs: Nodes, grid: list[Any], width: float) -> list[float]:
        """Column widths: pandoc's relative widths or the content's, never below the longest word."""
        size = self.st.base * 0.86
        pad = 2 * CELL_PAD + 1
        natural = [pad + size] * len(colspecs)
        minimum = [pad + size] * len(colspecs)
        for row in grid:
            for col, placed in enumerate(row):
                if placed is None or placed[1] != 1:
                    continue
                text = _measure_text(placed[0][4])
                natural[col] = max(natural[col], min(stringWidth(text, fonts.SANS_BOLD, size), width) + pad)
                longest = max((stringWidth(w, fonts.SANS_BOLD, size) for w in _WORDS(text)), default=0)
                minimum[col] = max(minimum[col], min(longest, width / 3) + pad)
        fixed = [spec[1]["c"] if spec[1]["t"] == "ColWidth" else 0.0 for spec in colspecs]
        if all(f > 0 for f in fixed):
            preferred = [width * f / sum(fixed) for f in fixed]
        elif sum(natural) <= width:
            # Everything fits on one line: share the spare width out proportionally.
            preferred = [n + (width - sum(natural)) * n / sum(natural) for n in natural]
        else:
            preferred = natural
        return _fit(preferred, minimum, width)


def _fit(preferred: list[float], minimum: list[float], width: float) -> list[float]:
    """Widths summing to `width`, each at least its minimum, shrinking the roomiest columns first."""
    if sum(minimum) >= width:
        return [width * m / sum(minimum) for m in minimum]
    widths = [max(p, m) for p, m in zip(preferred, minimum, strict=True)]
    excess = sum(widths) - width
    if excess > 0:
        flex = [w - m for w, m in zip(widths, minimum, strict=True)]
        widths = [w - excess * f / sum(flex) for w, f in zip(widths, flex, strict=True)]
    elif excess < 0:
        widths = [w * width / sum(widths) for w in widths]
    return widths


# -- helpers ----------------------------------------------------------------------------------

def _key(ident: str) -> str:
    return anchor_key(ident)


def _lone_image(inlines: Nodes) -> Json | None:
    """The Image when a paragraph holds only an image (and whitespace)."""
    rest = [i for i in inlines if i["t"] not in ("Space", "SoftBreak")]
    return rest[0] if len(rest) == 1 and rest[0]["t"] == "Image" else None


def _entry_label(entry: Nodes) -> tuple[str | None, list[Any]]:
    """Split citeproc's `csl-left-margin` label off an entry's first paragraph."""
    if not entry or entry[0]["t"] not in ("Para", "Plain"):
        return None, entry
    inlines = entry[0]["c"]
    label = None
    rest = []
    for node in inlines:
        if node["t"] == "Span" and "csl-left-margin" in node["c"][0][1] and label is None:
            label = stringify(node["c"][1]).strip()
        elif node["t"] == "Span" and "csl-right-inline" in node["c"][0][1]:
            rest += node["c"][1]
        else:
            rest.append(node)
    if label is None:
        return None, entry
    return label, [{"t": entry[0]["t"], "c": rest}, *entry[1:]]


def _place(rows: list[tuple[str, list[Any]]], ncols: int) -> tuple[list[list[Any]], list[Any]]:
    """Lay cells on a grid honouring row/col spans; returns grid[r][c] = (cell, colspan) | None."""
    grid: list[list[Any]] = [[None] * ncols for _ in rows]
    taken: set[tuple[int, int]] = set()
    spans: list[Any] = []
    for r, (_, row) in enumerate(rows):
        col = 0
        for cell in row[1]:
            while (r, col) in taken:
                col += 1
            if col >= ncols:
                break
            rs = max(1, min(int(cell[2]), len(rows) - r))
            cs = max(1, min(int(cell[3]), ncols - col))
            for rr in range(r, r + rs):
                for cc in range(col, col + cs):
                    taken.add((rr, cc))
            grid[r][col] = (cell, cs)
            if rs > 1 or cs > 1:
                spans.append(("SPAN", (col, r), (col + cs - 1, r + rs - 1)))
            col += cs
    return grid, spans


_WORDS = re.compile(r"[ \t\n]+").split  # not str.split(): NBSP must not split a word


def _measure_text(blocks: Nodes) -> str:
    """A cell's text for width estimates; confidence tags count as one unbreakable word."""
    parts = []
    for b in blocks:
        if b["t"] in ("Para", "Plain"):
            parts.append("".join(_measure_inline(i) for i in b["c"]))
        elif b["t"] == "CodeBlock":
            parts.append(b["c"][1])
    return " ".join(parts)


def _measure_inline(node: Json) -> str:
    if node["t"] == "Span" and "confidence" in node["c"][0][1]:
        return NBSP + stringify(node["c"][1]).replace(" ", NBSP) + NBSP
    return stringify([node])


def _trim_last_space(flowables: list[Flowable]) -> None:
    # The panel's padding already separates content from the edge.
    while len(flowables) > 1 and isinstance(flowables[-1], Spacer):
        flowables.pop()
    if flowables and isinstance(flowables[-1], Paragraph):
        last = flowables[-1]
        if last.style.spaceAfter:
            last.style = _without_space_after(last.style)


def _without_space_after(style: ParagraphStyle) -> ParagraphStyle:
    # One per style, not one per cell: a 6,000-row table has 24,000 cells. (A style made from this one
    # copies its attributes, this one included: hence the owner.)
    owner, trimmed = style.__dict__.get("_last", (None, None))
    if owner is not style or trimmed is None:
        trimmed = ParagraphStyle(style.name + "-last", parent=style, spaceAfter=0)
        style._last = (style, trimmed)
    return trimmed


def _keep_spaces(text: str) -> str:
    """Leading and repeated spaces survive in code; single inner spaces may still wrap."""
    text = re.sub(r"^ +", lambda m: NBSP * len(m.group()), text)
    return re.sub(r" {2,}", lambda m: NBSP * len(m.group()), text)


def _number(n: int, style: str, delim: str) -> str:
    if style in ("LowerAlpha", "UpperAlpha"):
        s = ""
        while n > 0:
            n, rem = divmod(n - 1, 26)
            s = chr(97 + rem) + s
        s = s.upper() if style == "UpperAlpha" else s
    elif style in ("LowerRoman", "UpperRoman"):
        s = _roman(n)
        s = s.lower() if style == "LowerRoman" else s
    else:
        s = str(n)
    if delim == "OneParen":
        return s + ")"
    if delim == "TwoParens":
        return f"({s})"
    return s + "."


def _roman(n: int) -> str:
    if n <= 0 or n >= 4000:
        return str(n)
    out = ""
    for value, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += numeral
            n -= value
    return out

