"""Stage 2: compose the briefing once: the audience's template renders pandoc Markdown, pandoc parses it."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET  # noqa: N817 - the usual name
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from . import pandoc
from .audiences import Audience, load_audience
from .chart_data import ChartData, chart_data, plotted_claims
from .csl import bibliography
from .errors import BriefingError, Problem
from .escaping import attr, escape
from .model import Evidence, Level, Workspace
from .pandoc_ast import Json, Nodes
from .queries import (
    ChartRef,
    Queries,
    amount,
    cite,
    disputed_markup,
    human_date,
    human_number,
    label_markup,
    source_name,
)
from .sourcing import roots
from .templating import environment, render
from .yamlsafe import read_text

if TYPE_CHECKING:  # for annotations only: at run time compose does not depend on the edition history
    from .changes import Changes

PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Composed:
    """The one composed document both renderers read."""

    markdown: str
    ast: Json
    charts: tuple[ChartData, ...]
    audience: Audience
    source_date_epoch: int


class FigurePlacer:
    """Numbers charts in the order the template places them (a method call, allowed by the sandbox)."""

    def __init__(self, datas: dict[str, ChartData], attribution: Callable[[ChartData], str] = lambda d: "") -> None:
        self._datas = datas
        self._attribution = attribution  # ChartData -> "alleged by X; disputed by Y" for its caption
        self._placed: dict[str, ChartRef] = {}

    def place(self, chart_id: str) -> ChartRef | None:
        """Place a chart: returns its numbered reference, or None if the audience does not draw it."""
        if chart_id in self._placed:
            return None  # each chart appears once
        d = self._datas.get(chart_id)
        if d is None:
            return None
        ref = ChartRef(len(self._placed) + 1, d.spec.id, d.spec.title, d.spec.caption, d.source_ids, d.alt,
                       _chart_note(d), self._attribution(d))
        self._placed[chart_id] = ref
        return ref

    def unplaced(self) -> list[str]:
        """The ids of the audience's charts no section has placed yet, for the figures section."""
        return [i for i in self._datas if i not in self._placed]

    def placed_data(self) -> tuple[ChartData, ...]:
        """The data of every placed chart, in figure-number order."""
        return tuple(self._datas[i] for i in self._placed)


def _chart_note(d: ChartData) -> Markup:
    """What a chart leaves out, said in its caption so the caption never promises more than it shows."""
    parts = []
    for actor, label, value, approx, unit, sids in d.dropped:
        parts.append(f"{escape(actor)}, {escape(label)}, {escape(amount(value, approx, unit))}{cite(sids)}")
    out = ""
    if parts:
        out += "Not drawn, their source retracted: " + "; ".join(parts) + "."
    if d.more:
        what = "events" if d.kind == "timeline" else "actors"
        where = "the text lists every claim" if d.kind == "timeline" else "the figures table lists them"
        out += f"{' ' if out else ''}{d.more} more {what} not drawn; {where}."
    return Markup(out)


def reference_numbers(ast: Json) -> dict[str, int]:
    """Each source's number as the reader sees it: its place in citeproc's list (first citation order)."""
    refs = _find_refs(ast.get("blocks", []))
    if refs is not None:
        ids = [b["c"][0][0] for b in refs if isinstance(b, dict) and b.get("t") == "Div"]
        return {i[4:]: n for n, i in enumerate((i for i in ids if i.startswith("ref-")), 1)}
    order: dict[str, int] = {}  # no list printed: the numbering rule itself, first citation first
    _cites(ast.get("blocks", []), order)
    return order


def _find_refs(blocks: object) -> Nodes | None:
    for b in blocks if isinstance(blocks, list) else ():
        if not isinstance(b, dict):
            continue
        if b.get("t") == "Div":
            if b["c"][0][0] == "refs":
                refs: Nodes = b["c"][1]
                return refs
            found = _find_refs(b["c"][1])
            if found is not None:
                return found
    return None


def _cites(node: object, order: dict[str, int]) -> None:
    """Source ids in the order pandoc meets their first citation."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            if n.get("t") == "Cite":
                for c in n["c"][0]:
                    order.setdefault(c.get("citationId", ""), len(order) + 1)
            stack.extend(reversed(list(n.values())))
        elif isinstance(n, list):
            stack.extend(reversed(n))


def _set_alt(node: object, alts: dict[str, str]) -> None:
    """Put each chart's final alt text (with reference numbers) in its image's title."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            if n.get("t") == "Image":
                target = n["c"][2]
                if isinstance(target[0], str) and target[0].startswith("chart:") and target[0][6:] in alts:
                    target[1] = alts[target[0][6:]]
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)


ZIP_DATES = (dt.date(1980, 1, 1), dt.date(2107, 12, 31))


def source_date_epoch(ws: Workspace) -> int:
    """The workspace's date as a Unix time: what reproducible outputs stamp instead of the clock."""
    d = dt.date.fromisoformat(ws.meta.date) if len(ws.meta.date) == 10 else dt.date(int(ws.meta.date[:4]), 1, 1)
    # The DOCX is a ZIP, whose timestamps hold only 1980-2107: pandoc fails on a later date. The printed
    # date is the workspace's own; only the files' stamps are held inside the range.
    d = min(max(d, ZIP_DATES[0]), ZIP_DATES[1])
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp())


def _meta_value(value: object) -> Markup:
    """A metadata value: pandoc reads YAML metadata strings as Markdown, so escape, then single-quote."""
    return Markup("'" + str(escape(value)).replace("'", "''") + "'")


def context(ws: Workspace, audience: Audience, changes: Changes | None = None
            ) -> tuple[dict[str, Any], FigurePlacer, dict[str, Callable[..., Any]]]:
    """The variables and filters a template sees."""
    selected = audience.selected_charts(ws.charts)
    specs = {c.id: c for c in selected}
    wanted = list(specs)
    datas = {i: chart_data(ws, specs[i]) for i in wanted}
    q = Queries(ws, audience.name, audience.rank_by)
    placer = FigurePlacer(datas, lambda d: q.combined_attribution(plotted_claims(ws, d.spec)).text)

    def chart_ids(kind: str) -> list[str]:
        return [i for i in wanted if specs[i].kind == kind]

    def label(value: str | Level | Evidence) -> Markup:
        """The confidence tag of a claim, a level, or a level's key."""
        if isinstance(value, str):
            level = ws.scale.get(value)
            if level is None:
                raise ValueError(f"no confidence level '{value}'; the scale has: {', '.join(ws.scale.keys)}")
            return label_markup(level)
        return label_markup(value if isinstance(value, Level) else q.level(value))

    # The figures tables quote the metrics this audience charts; an audience that draws no bar
    # chart (the board) quotes those of every bar chart the workspace declares.
    bars = [specs[i] for i in chart_ids("bar")] or [c for c in ws.charts if c.kind == "bar"]
    metrics = () if any(not c.metrics for c in bars) else tuple(m for c in bars for m in c.metrics)
    variables = {
        "meta": ws.meta, "audience": audience, "marking": audience.marking or ws.meta.marking,
        "q": q, "scale": ws.scale, "evidence": q.evidence, "sources": ws.sources,
        "figures": placer, "chart_ids": chart_ids, "changes": changes,
        "audience_metrics": tuple(dict.fromkeys(metrics)),
    }
    filters: dict[str, Callable[..., Any]] = {
        "cite": cite, "label": label, "disputed": disputed_markup, "human_date": human_date, "source_name": source_name,
        "number": human_number, "amount": amount, "meta_value": _meta_value, "attr": lambda v: Markup(attr(v)),
    }
    return variables, placer, filters


def compose(ws: Workspace, audience_name: str | None = None, changes: Changes | None = None,
            work_dir: Path | None = None) -> Composed:
    """Render the audience's template and parse the result once into pandoc's AST (pandoc's files in work_dir)."""
    root = Path(ws.root)
    audience = load_audience(root, audience_name or ws.meta.audience)
    markdown, placer = markdown_for(ws, audience, changes)
    markdown += _origins_nocite(ws, markdown)
    epoch = source_date_epoch(ws)
    csl = _template_file(root, "numeric.csl")
    ast = pandoc.parse(markdown, bibliography=bibliography(ws.sources), csl=csl, source_date_epoch=epoch,
                       work_dir=work_dir)
    # Reference numbers exist only now, after citeproc: redo the chart data with them, so each
    # drawn value and the alt text name the reference the reader finds in the list.
    numbers = reference_numbers(ast)
    datas = tuple(chart_data(ws, d.spec, refs=numbers) for d in placer.placed_data())
    _set_alt(ast, {d.spec.id: d.alt for d in datas})
    return Composed(markdown, ast, datas, audience, epoch)


# A citation in the composed Markdown: `@{id}` (what the cite filter writes) or `@id`; `\@` is escaped text.
_CITED = re.compile(r"(?<![\\\w])@(?:\{([^}]+)\}|([A-Za-z0-9][A-Za-z0-9_.:-]*[A-Za-z0-9]|[A-Za-z0-9]))")


def _origins_nocite(ws: Workspace, markdown: str) -> str:
    """A metadata block listing (nocite) the origins behind the cited sources that nothing cites directly,
    so the reference list holds every document the briefing's sources trace back to."""
    cited = {a or b for a, b in _CITED.findall(markdown)}
    cited = {sid for sid in cited if ws.source(sid)}
    extra = sorted({o for sid in cited for o in roots(ws, sid)} - cited)
    if not extra:
        return ""
    # Pandoc merges metadata blocks anywhere in the document; ids are validated, so braces suffice.
    return "\n\n---\nnocite: |\n  " + ", ".join("@{" + o + "}" for o in extra) + "\n...\n"


def markdown_for(ws: Workspace, audience: Audience, changes: Changes | None = None) -> tuple[str, FigurePlacer]:
    """Render an audience's template to pandoc Markdown; a template fault is a BriefingError at its line."""
    variables, placer, filters = context(ws, audience, changes)
    env = environment(Path(ws.root) / "templates", PACKAGE_TEMPLATES, filters)
    return render(env, audience.template, variables), placer


def check_templates(ws: Workspace, changes: Changes | None = None) -> list[Problem]:
    """What `check` adds to loading: every audience's template renders, and the workspace's CSL style parses."""
    from .audiences import audience_files, audience_problems

    root = Path(ws.root)
    out: list[Problem] = []
    # one fault in a shared file is reported once, naming the audiences
    faults: dict[tuple[str, int, int, str], list[str]] = {}
    for name in audience_files(root):
        audience, problems = audience_problems(root, name)
        if audience is None:
            continue  # validate reports its problems
        try:
            markdown, placer = markdown_for(ws, audience, changes)
        except BriefingError as exc:
            faults.setdefault((exc.path or audience.path, exc.line or 1, exc.column or 1, exc.message), []).append(name)
            continue
        left = placer.unplaced()
        if left:  # a workspace template that overrides the base without the figures section
            out.append(Problem(audience.path, audience.lines.get("charts", 1), 1, "warning",
                               f"audience '{name}' selects chart(s) {', '.join(left)}, which its template never"
                               " places; add the section `figures` to place them"))
    for (path, line, column, message), names in faults.items():
        which = f"audience '{names[0]}'" if len(names) == 1 else f"audiences {', '.join(names)}"
        out.append(Problem(path, line, column, "error", f"{message} ({which})"))
    out += _check_csl(root)
    return out


def _check_csl(root: Path) -> list[Problem]:
    """The workspace's own numeric.csl, if any: well-formed XML that pandoc's citeproc accepts."""
    own = root / "templates" / "numeric.csl"
    if not own.exists():
        return []
    rel = "templates/numeric.csl"
    text, problems = read_text(own, rel)
    if text is None:
        return problems
    try:
        ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        line, col = exc.position
        return [Problem(rel, line, col + 1, "error", f"the CSL style is not well-formed XML: {exc.msg}")]
    try:
        pandoc.parse("[@x]\n", bibliography=[{"id": "x", "type": "report", "title": "T"}],
                     csl=_template_file(root, "numeric.csl"), source_date_epoch=0)
    except BriefingError as exc:
        return [Problem(rel, 1, 1, "error", f"pandoc cannot use this CSL style: {exc.message}")]
    return []


def _template_file(root: Path, name: str) -> Path:
    """A file from the workspace's templates/, else the packaged one."""
    own = root / "templates" / name
    if own.is_file() and own.resolve().is_relative_to(root.resolve()):
        return own
    path = PACKAGE_TEMPLATES / name
    if not path.exists():
        raise BriefingError(f"template file {name} is missing", str(path))
    return path
