"""Stage 2: compose the briefing once: the audience's template renders pandoc Markdown, pandoc parses it."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET  # noqa: N817 - the usual name
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from . import pandoc
from .audiences import Audience, load_audience
from .chart_data import ChartData, chart_data
from .csl import bibliography
from .errors import BriefingError, Problem
from .markdown import attr, escape
from .model import Level, Workspace
from .queries import ChartRef, Queries, cite, disputed_markup, human_date, human_number, label_markup
from .templating import environment, render
from .yamlsafe import read_text

PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Composed:
    """The one composed document both renderers read."""

    markdown: str
    ast: dict
    charts: tuple[ChartData, ...]
    audience: Audience
    source_date_epoch: int


class FigurePlacer:
    """Numbers charts in the order the template places them (a method call, allowed by the sandbox)."""

    def __init__(self, datas: dict[str, ChartData]):
        self._datas = datas
        self._placed: dict[str, ChartRef] = {}

    def place(self, chart_id: str) -> ChartRef | None:
        """Place a chart: returns its numbered reference, or None if the audience does not draw it."""
        if chart_id in self._placed:
            return None  # each chart appears once
        d = self._datas.get(chart_id)
        if d is None:
            return None
        ref = ChartRef(len(self._placed) + 1, d.spec.id, d.spec.title, d.spec.caption, d.source_ids, d.alt)
        self._placed[chart_id] = ref
        return ref

    def unplaced(self) -> list[str]:
        """The ids of the audience's charts no section has placed yet, for the figures section."""
        return [i for i in self._datas if i not in self._placed]

    def placed_data(self) -> tuple[ChartData, ...]:
        """The data of every placed chart, in figure-number order."""
        return tuple(self._datas[i] for i in self._placed)


def source_date_epoch(ws: Workspace) -> int:
    """The workspace's date as a Unix time: what reproducible outputs stamp instead of the clock."""
    d = dt.date.fromisoformat(ws.meta.date) if len(ws.meta.date) == 10 else dt.date(int(ws.meta.date[:4]), 1, 1)
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp())


def _meta_value(value) -> Markup:
    """A metadata value: pandoc reads YAML metadata strings as Markdown, so escape, then single-quote."""
    return Markup("'" + str(escape(value)).replace("'", "''") + "'")


def context(ws: Workspace, audience: Audience, changes=None) -> tuple[dict, FigurePlacer, dict]:
    """The variables and filters a template sees."""
    selected = audience.selected_charts(ws.charts)
    specs = {c.id: c for c in selected}
    wanted = list(specs)
    datas = {i: chart_data(ws, specs[i]) for i in wanted}
    placer = FigurePlacer(datas)
    q = Queries(ws, audience.name, audience.rank_by)

    def chart_ids(kind: str) -> list[str]:
        return [i for i in wanted if specs[i].kind == kind]

    def label(value) -> Markup:
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
    filters = {
        "cite": cite, "label": label, "disputed": disputed_markup, "human_date": human_date,
        "number": human_number, "meta_value": _meta_value, "attr": lambda v: Markup(attr(v)),
    }
    return variables, placer, filters


def compose(ws: Workspace, audience_name: str | None = None, changes=None) -> Composed:
    """Render the audience's template and parse the result once into pandoc's AST."""
    root = Path(ws.root)
    audience = load_audience(root, audience_name or ws.meta.audience)
    markdown, placer = markdown_for(ws, audience, changes)
    epoch = source_date_epoch(ws)
    csl = _template_file(root, "numeric.csl")
    ast = pandoc.parse(markdown, bibliography=bibliography(ws.sources), csl=csl, source_date_epoch=epoch)
    datas = placer.placed_data()
    return Composed(markdown, ast, datas, audience, epoch)


def markdown_for(ws: Workspace, audience: Audience, changes=None) -> tuple[str, FigurePlacer]:
    """Render an audience's template to pandoc Markdown; a template fault is a BriefingError at its line."""
    variables, placer, filters = context(ws, audience, changes)
    env = environment(Path(ws.root) / "templates", PACKAGE_TEMPLATES, filters)
    return render(env, audience.template, variables), placer


def check_templates(ws: Workspace, changes=None) -> list[Problem]:
    """What `check` adds to loading: every audience's template renders, and the workspace's CSL style parses."""
    from .audiences import audience_files, audience_problems

    root = Path(ws.root)
    out = []
    faults: dict[tuple, list[str]] = {}  # one fault in a shared file is reported once, naming the audiences
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
