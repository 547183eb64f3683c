"""Stage 2: compose the briefing once: the audience's template renders pandoc Markdown, pandoc parses it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from . import pandoc
from .audiences import Audience, load_audience
from .chart_data import ChartData, chart_data
from .csl import bibliography
from .errors import BriefingError
from .markdown import attr, escape
from .model import Level, Workspace
from .queries import ChartRef, Queries, cite, disputed_markup, human_date, human_number, label_markup
from .templating import environment, render

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

    def placed_data(self) -> tuple[ChartData, ...]:
        """The data of every placed chart, in figure-number order."""
        return tuple(self._datas[i] for i in self._placed)


ZIP_DATES = (dt.date(1980, 1, 1), dt.date(2107, 12, 31))


def source_date_epoch(ws: Workspace) -> int:
    """The workspace's date as a Unix time: what reproducible outputs stamp instead of the clock."""
    d = dt.date.fromisoformat(ws.meta.date) if len(ws.meta.date) == 10 else dt.date(int(ws.meta.date[:4]), 1, 1)
    # The DOCX is a ZIP, whose timestamps hold only 1980-2107: pandoc fails on a later date. The printed
    # date is the workspace's own; only the files' stamps are held inside the range.
    d = min(max(d, ZIP_DATES[0]), ZIP_DATES[1])
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp())


def _meta_value(value) -> Markup:
    """A metadata value: pandoc reads YAML metadata strings as Markdown, so escape, then single-quote."""
    return Markup("'" + str(escape(value)).replace("'", "''") + "'")


def context(ws: Workspace, audience: Audience, changes=None) -> tuple[dict, FigurePlacer, dict]:
    """The variables and filters a template sees."""
    specs = {c.id: c for c in ws.charts}
    wanted = [i for i in audience.charts if i in specs]
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

    metrics = tuple(m for i in chart_ids("bar") for m in specs[i].metrics)
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
    variables, placer, filters = context(ws, audience, changes)
    env = environment(root / "templates", PACKAGE_TEMPLATES, filters)
    markdown = render(env, audience.template, variables)
    epoch = source_date_epoch(ws)
    csl = _template_file(root, "numeric.csl")
    ast = pandoc.parse(markdown, bibliography=bibliography(ws.sources), csl=csl, source_date_epoch=epoch)
    datas = placer.placed_data()
    return Composed(markdown, ast, datas, audience, epoch)


def _template_file(root: Path, name: str) -> Path:
    """A file from the workspace's templates/, else the packaged one."""
    own = root / "templates" / name
    if own.is_file() and own.resolve().is_relative_to(root.resolve()):
        return own
    path = PACKAGE_TEMPLATES / name
    if not path.exists():
        raise BriefingError(f"template file {name} is missing", str(path))
    return path
