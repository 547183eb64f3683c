"""Stage 2: compose the briefing once: the audience's template renders pandoc Markdown, pandoc parses it."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import xml.etree.ElementTree as ET  # noqa: N817 - the usual name
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from . import pandoc, references
from .audiences import Audience
from .changes import Changes
from .chart_data import ChartData, chart_data, plotted_claims
from .context import BuildContext
from .csl import bibliography
from .errors import BriefingError, Problem
from .escaping import attr, escape
from .inputs import Inputs, order
from .model import Evidence, Level, Workspace
from .packaged import PACKAGE_TEMPLATES
from .pandoc_ast import Document, Json, Nodes, walk
from .parse_cache import PartStore
from .queries import (
    ChartRef,
    Queries,
    amount,
    cite,
    disputed_markup,
    human_number,
    label_markup,
    source_name,
)
from .sourcing import capped, roots
from .spec import human_date
from .templating import CompiledTemplates, TemplateSources, environment, limits_for, render
from .theme import Theme, load_theme
from .yamlsafe import read_text


@dataclass(frozen=True)
class Composed:
    """The one composed document every renderer reads: the AST, its charts, and what the renderers print
    around it, so no renderer needs the workspace."""

    markdown: str
    ast: Document  # pandoc's AST, read a block at a time: the whole tree is ten times the text
    charts: tuple[ChartData, ...]
    audience: Audience
    source_date_epoch: int
    title: str  # the workspace's title: the DOCX's running footer
    marking: str  # the audience's marking, else the workspace's: on every page
    levels: tuple[Level, ...]  # the confidence scale: one DOCX style per level
    claims: int  # claims in the workspace, for the build's summary line
    references: int  # entries in the reference list, for the build's summary line
    name: str  # the output files' name without the extension: the title's slug, plus a non-default audience
    logo: Path | None  # the audience's logo and body font, resolved inside the workspace
    body_font: Path | None
    resource_dir: Path  # the absolute folder the document's relative paths resolve against (the workspace)
    theme: Theme  # the audience's colours, fonts and sizes: every format reads the same


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


def count_references(blocks: Nodes) -> int:
    """Entries in citeproc's bibliography (the Div with id "refs"), wherever the template put it."""
    refs = _find_refs(blocks)
    return len(refs) if refs is not None else 0


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
    for n in walk(node):
        if n.get("t") == "Cite":
            for c in n["c"][0]:
                order.setdefault(c.get("citationId", ""), len(order) + 1)


def _set_alt(node: object, alts: dict[str, str]) -> None:
    """Put each chart's final alt text (with reference numbers) in its image's title."""
    for n in walk(node):
        if n.get("t") == "Image":
            target = n["c"][2]
            if isinstance(target[0], str) and target[0].startswith("chart:") and target[0][6:] in alts:
                target[1] = alts[target[0][6:]]


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


def compose(inputs: Inputs, work_dir: Path | None = None, context: BuildContext | None = None,
            draw_ahead: Callable[[tuple[ChartData, ...]], None] | None = None) -> Composed:
    """Render the audience's template and parse the result once into pandoc's AST (pandoc's files in work_dir).

    The briefing shows claims at their effective (capped) level, and what changed since the last edition.
    `context` holds the caches a warm process shares between builds. `draw_ahead`, if given, receives the
    placed charts' data just before the parse, numbered as the parse is expected to number the references,
    so that they can be drawn while pandoc works.
    """
    workspace, audience = inputs.ready
    return compose_workspace(capped(workspace), audience, inputs.changes, inputs.templates, work_dir, context,
                             draw_ahead, inputs.theme)


def compose_workspace(ws: Workspace, audience: Audience, changes: Changes | None = None,
                      templates: TemplateSources | None = None, work_dir: Path | None = None,
                      context: BuildContext | None = None,
                      draw_ahead: Callable[[tuple[ChartData, ...]], None] | None = None,
                      theme: Theme | None = None) -> Composed:
    """`compose` for a workspace already capped, an audience and the template sources and theme read at load."""
    caches = context or BuildContext()  # (the parameter hides this module's context(): not used here)
    root = Path(ws.root)
    theme = theme or load_theme(root, audience)
    default = ws.meta.audience or "executive"
    markdown, placer = markdown_for(ws, audience, changes, templates, caches.templates)
    markdown, guess = with_origins(ws, markdown)
    if draw_ahead is not None and placer.placed_data():
        draw_ahead(tuple(chart_data(ws, d.spec, guess, theme.charts) for d in placer.placed_data()))
    epoch = source_date_epoch(ws)
    csl = _template_file(root, "numeric.csl")
    ast = _parse(markdown, bibliography(ws.sources), csl, epoch, work_dir, context, list(guess))
    # Reference numbers exist only now, after citeproc: redo the chart data with them, so each
    # drawn value and the alt text name the reference the reader finds in the list.
    numbers = reference_numbers(ast)
    datas = tuple(chart_data(ws, d.spec, numbers, theme.charts) for d in placer.placed_data())
    alts = {d.spec.id: d.alt for d in datas}
    doc = Document.of(ast)
    if alts:  # only the blocks that show a chart are read again (a walk of the whole tree: 1.6 s at 6,000 claims)
        doc = doc.edited('"chart:', lambda block: _set_alt(block, alts))
    return Composed(
        markdown, doc, datas, audience, epoch,
        title=ws.meta.title, marking=audience.marking or ws.meta.marking, levels=tuple(ws.scale.levels),
        claims=len(ws.evidence), references=count_references(ast["blocks"]),
        name=slug(ws.meta.title) + ("" if audience.name == default else f"-{audience.name}"),
        logo=_audience_file(root, audience, "logo"), body_font=_audience_file(root, audience, "body_font"),
        resource_dir=root.absolute(), theme=theme,
    )


def slug(title: str) -> str:
    """A file name from a title: 'The Water Rights Dispute' -> 'the-water-rights-dispute'."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "briefing"


def _audience_file(root: Path, audience: Audience, what: str) -> Path | None:
    """A file an audience option names (logo, body_font), refused if it escapes the workspace."""
    rel: str = getattr(audience, what)
    if not rel:
        return None
    line = audience.lines.get(what, 0)
    path = (root.absolute() / rel).resolve()
    if not path.is_relative_to(root.resolve()):
        raise BriefingError(f"{what} path '{rel}' leads outside the workspace; refused", audience.path, line)
    if not path.is_file():
        raise BriefingError(f"{what} file '{rel}' does not exist", audience.path, line)
    return path


def _parse(markdown: str, bib: list[dict[str, Any]], csl: Path, epoch: int, work_dir: Path | None,
           caches: BuildContext | None = None, cited: list[str] | None = None) -> dict[str, Any]:
    """Parse without citeproc and fill in the references from their cache; a document only citeproc can do
    exactly (see references.resolve) is parsed with it. Without a caller's `caches` no parse is kept in memory
    (pandoc's output is tens of MB at scale); the disk caches still are. The entries of the `cited` sources (a
    guess) that the cache lacks are formatted while pandoc parses."""
    parses = caches.parses if caches is not None else None
    # The build's work folder is out/.tmp: the parsed parts and formatted references live beside the charts,
    # in out/.cache.
    cache = Path(work_dir).parent / ".cache" if work_dir is not None else None
    store = PartStore(cache / "parses" if cache else None, parses) if cache or parses is not None else None
    refs_cache = cache / "references" if cache else None
    # The entries formatted ahead reach resolve in memory, this build's own when no warm process keeps one.
    memory = caches.references if caches is not None and caches.references is not None else OrderedDict()
    with references.formatting_ahead(cited or [], bib, csl, references.expected_lang(markdown),
                                     source_date_epoch=epoch, work_dir=work_dir, cache_dir=refs_cache, memory=memory):
        plain = pandoc.parse_plain(markdown, csl=csl, source_date_epoch=epoch, store=store)
    ast = references.resolve(plain, bib, csl, source_date_epoch=epoch, work_dir=work_dir, cache_dir=refs_cache,
                             memory=memory)
    del plain  # when resolve gives up, the plain tree is freed before citeproc's parse
    if ast is None:
        ast = pandoc.parse(markdown, bibliography=bib, csl=csl, source_date_epoch=epoch, work_dir=work_dir,
                           cache=parses)
    return ast


# A citation in the composed Markdown: `@{id}` (what the cite filter writes) or `@id`; `\@` is escaped text.
_CITED = re.compile(r"(?<![\\\w])@(?:\{([^}]+)\}|([A-Za-z0-9][A-Za-z0-9_.:-]*[A-Za-z0-9]|[A-Za-z0-9]))")


def expected_reference_numbers(ws: Workspace, markdown: str) -> dict[str, int]:
    """The reference numbers the parse will most likely give: sources in order of first citation in the
    Markdown. Only a guess (a citation in a footnote is numbered where the note is called): the parse decides."""
    order: dict[str, int] = {}
    for a, b in _CITED.findall(markdown):
        if ws.source(a or b):
            order.setdefault(a or b, len(order) + 1)
    return order


def with_origins(ws: Workspace, markdown: str) -> tuple[str, dict[str, int]]:
    """The Markdown with a metadata block listing (nocite) the origins behind the cited sources that nothing
    cites directly, so the reference list holds every document the briefing's sources trace back to; and the
    reference numbers the parse will most likely give (expected_reference_numbers), those origins last."""
    guess = expected_reference_numbers(ws, markdown)
    extra = sorted({o for sid in guess for o in roots(ws, sid)} - guess.keys())
    if not extra:
        return markdown, guess
    for o in extra:
        guess.setdefault(o, len(guess) + 1)
    # Pandoc merges metadata blocks anywhere in the document; ids are validated, so braces suffice.
    return markdown + "\n\n---\nnocite: |\n  " + ", ".join("@{" + o + "}" for o in extra) + "\n...\n", guess


def markdown_for(ws: Workspace, audience: Audience, changes: Changes | None = None,
                 templates: TemplateSources | None = None,
                 compiled: CompiledTemplates | None = None) -> tuple[str, FigurePlacer]:
    """Render an audience's template to pandoc Markdown; a template fault is a BriefingError at its line."""
    variables, placer, filters = context(ws, audience, changes)
    env = environment(Path(ws.root) / "templates", PACKAGE_TEMPLATES, filters, compiled, templates)
    return render(env, audience.template, variables, limits_for(len(ws.evidence) + len(ws.sources))), placer


def check(inputs: Inputs) -> list[Problem]:
    """What `briefing check` reports: every problem `load` found, plus, on a workspace that loads cleanly,
    every audience's template rendered and the workspace's CSL style parsed."""
    ws = inputs.workspace
    if ws is None or inputs.errors:
        return list(inputs.problems)  # templates render only a workspace that loads cleanly
    return sorted(set(list(inputs.problems) + check_templates(inputs)), key=order)


def check_templates(inputs: Inputs) -> list[Problem]:
    """What `check` adds to loading: every audience's template renders, and the workspace's CSL style parses."""
    assert inputs.workspace is not None
    ws = capped(inputs.workspace)
    root = Path(ws.root)
    compiled = CompiledTemplates()  # the audiences share the base templates: compile each once
    out = []
    # One fault in a shared file is reported once, naming the audiences.
    faults: dict[tuple[str, int, int, str], list[str]] = {}
    for name in inputs.audience_names:
        audience = inputs.audiences.get(name)
        if audience is None:
            continue  # validate reports its problems
        try:
            markdown, placer = markdown_for(ws, audience, inputs.changes, inputs.templates, compiled)
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
    out += _check_csl(root, inputs.templates)
    return out


def _check_csl(root: Path, templates: TemplateSources) -> list[Problem]:
    """The workspace's own numeric.csl, if any: well-formed XML that pandoc's citeproc accepts."""
    own = templates.own.get("numeric.csl")
    # The default workspace's templates/ is the packaged folder itself: its style is the packaged one.
    if own is None or own.refused or templates.workspace_templates.resolve() == PACKAGE_TEMPLATES.resolve():
        return []
    rel = "templates/numeric.csl"
    text = own.text
    if text is None:  # not UTF-8 text: say precisely why, as for any file the workspace holds
        text, problems = read_text(root / rel, rel)
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
