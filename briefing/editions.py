"""Recorded editions: what the evidence said when each edition went out.

`briefing publish` writes a snapshot of the evidence to editions/<N>.yaml (kept under version
control beside the evidence, never in out/). `briefing diff`, `briefing check` and the briefing's
"What changed" box all compare the workspace with a recorded edition through `changes.compare`,
so the terminal and the document can never disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml

from .atomic import write_text
from .errors import BriefingError
from .model import Evidence, Meta, Workspace
from .sourcing import chain, effective_level
from .spec import is_date
from .yamlsafe import ParsedFiles, Scalar, YList, YMap, load_file

EDITIONS_DIR = "editions"
EDITION_NUMBER = re.compile(r"^[0-9]+$")


# -- the snapshot ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureSnap:
    """A reported number as recorded: who, what, how much, and which source says so."""

    actor: str
    metric: str
    value: float
    source: str
    unit: str = ""
    approx: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies a figure across editions: actor (any case), metric and source."""
        return (self.actor.casefold(), self.metric, self.source)


@dataclass(frozen=True)
class ClaimSnap:
    """A claim as recorded: its declared and shown confidence, reason, sources, figures and content hash."""

    id: str
    title: str
    date: str
    confidence: str  # as declared
    shown: str  # the effective level: the declared one unless a retracted source caps it
    reason: str
    sources: tuple[str, ...]
    figures: tuple[FigureSnap, ...]
    hash: str


@dataclass(frozen=True)
class SourceSnap:
    """A source the evidence rested on, and whether it was retracted."""

    id: str
    title: str
    retracted: str = ""


@dataclass(frozen=True)
class JudgementSnap:
    """An analytic judgement and the claims it rested on."""

    id: str
    section: str
    title: str
    rests_on: tuple[str, ...]


@dataclass(frozen=True)
class Edition:
    """One recorded edition: its number, date and the evidence state (sorted by id)."""

    number: int
    date: str
    claims: tuple[ClaimSnap, ...]
    sources: tuple[SourceSnap, ...]
    judgements: tuple[JudgementSnap, ...]
    path: str = ""

    @property
    def state(self) -> tuple[object, ...]:
        """What `compare` can report, so publishing is refused exactly when `diff` would say "none"."""
        return (self.claims, tuple((s.id, s.retracted) for s in self.sources),
                tuple((j.id, tuple(sorted(set(j.rests_on)))) for j in self.judgements))


def content_hash(item: Evidence) -> str:
    """A digest of everything a claim says (not its file layout or comments)."""
    data = {
        "title": item.title, "claim": item.claim, "date": item.date, "confidence": item.confidence,
        "sources": [[c.source, c.locator] for c in item.sources],
        "actors": [[a.name, a.role] for a in item.actors],
        "figures": [[f.metric, f.actor, f.value, f.unit, f.approx, f.source, f.note] for f in item.figures],
        "disputes": [[d.by, d.text, d.source] for d in item.disputes],
        "caveats": list(item.caveats), "tags": list(item.tags), "section": item.section,
        "reason": item.reason, "event": item.event,
    }
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def snapshot(ws: Workspace, number: int = 0, date: str = "") -> Edition:
    """The workspace's evidence state as an edition (levels are checked against the scale by `check`)."""
    claims = []
    for e in ws.evidence:
        shown = effective_level(ws, e)
        figures = tuple(sorted((FigureSnap(f.actor, f.metric, f.value, f.source, f.unit, f.approx)
                                for f in e.figures), key=_figure_order))
        claims.append(ClaimSnap(e.id, e.title, e.date, e.confidence, shown.key if shown else e.confidence,
                                e.reason, tuple(dict.fromkeys(e.source_ids)), figures, content_hash(e)))
    judgements = [JudgementSnap(j.id, section, j.title or _short(j.text), tuple(j.rests_on))
                  for section, items in ws.analysis for j in items]
    rested_on = _rested_on(ws)
    sources = [SourceSnap(s.id, s.title, s.retracted) for s in ws.sources if s.id in rested_on]
    return Edition(number, date, tuple(sorted(claims, key=lambda c: c.id)),
                   tuple(sorted(sources, key=lambda s: s.id)),
                   tuple(sorted(judgements, key=lambda j: (j.id, j.section))))


def _figure_order(f: FigureSnap) -> tuple[str, str, str, float]:
    return (f.actor.casefold(), f.metric, f.source, f.value)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _rested_on(ws: Workspace) -> set[str]:
    """Every source the evidence cites (for a claim, figure or dispute) or relays through a cited one."""
    cited = {sid for e in ws.evidence for sid in
             (*e.source_ids, *(f.source for f in e.figures), *(d.source for d in e.disputes if d.source))}
    return set().union(*(chain(ws, sid) for sid in cited))


# -- reading and writing editions/<N>.yaml -----------------------------------------------------------


def recorded(root: Path) -> dict[int, Path]:
    """The recorded editions by number (files editions/<N>.yaml; other files are ignored)."""
    folder = Path(root) / EDITIONS_DIR
    if not folder.is_dir():
        return {}
    out: dict[int, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".yml") and EDITION_NUMBER.match(path.stem) and path.is_file():
            n = int(path.stem)
            if n in out:
                raise BriefingError(f"edition {n} is recorded twice ({out[n].name} and {path.name}); remove one",
                                    _rel(root, path))
            out[n] = path
    return out


def _rel(root: Path, path: Path) -> str:
    return Path(path).relative_to(root).as_posix() if Path(path).is_relative_to(root) else str(path)


def to_yaml(ed: Edition) -> str:
    """The text of editions/<N>.yaml: a header, then sorted, block-style YAML."""

    def dump(data: object) -> str:
        # Keys in the fixed order built below (id first, for readable reviews), lists sorted by id;
        # lists of plain values (ids, figures) stay on one line.
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)

    claims = []
    for c in ed.claims:
        d: dict[str, Any] = {"id": c.id, "title": c.title, "date": c.date, "confidence": c.confidence}
        if c.shown != c.confidence:
            d["capped_to"] = c.shown
        d.update({"reason": c.reason, "sources": list(c.sources), "hash": c.hash})
        if c.figures:
            d["figures"] = [{"actor": f.actor, "metric": f.metric, "value": f.value, "source": f.source,
                             **({"unit": f.unit} if f.unit else {}), **({"approx": True} if f.approx else {})}
                            for f in c.figures]
        claims.append(d)
    sources = [{"id": s.id, "title": s.title, **({"retracted": s.retracted} if s.retracted else {})}
               for s in ed.sources]
    judgements = [{"id": j.id, "section": j.section, "title": j.title, "rests_on": list(j.rests_on)}
                  for j in ed.judgements]
    header = (f"# Edition {ed.number}, recorded by `briefing publish`: the evidence as this edition stated it.\n"
              "# `briefing diff` and the briefing's \"What changed\" box compare against it. Keep it under\n"
              "# version control and do not edit it by hand.\n")
    return header + f"edition: {ed.number}\n" + yaml.safe_dump({"date": ed.date}, default_flow_style=False) \
        + dump({"claims": claims}) + dump({"sources": sources}) + dump({"judgements": judgements})


class _Reader:
    """Converts a parsed edition file, raising a one-line error with file and line on the first fault."""

    def __init__(self, rel: str) -> None:
        self.rel = rel

    def fail(self, node: object, message: str) -> NoReturn:
        pos = getattr(node, "pos", None)
        raise BriefingError(f"{message} (a corrupt edition record; restore it from version control)", self.rel,
                            pos.line if pos else 1, pos.column if pos else 1)

    def map(self, node: object, what: str) -> YMap:
        if not isinstance(node, YMap):
            self.fail(node, f"{what} must be a mapping")
        return node

    def list(self, m: YMap, key: str, required: bool = True) -> YList:
        node = m.get(key)
        if node is None and not required:
            return YList()
        if not isinstance(node, YList):
            self.fail(node if node is not None else m, f"'{key}' must be a list")
        return node

    def text(self, m: YMap, key: str, required: bool = True) -> str:
        node = m.get(key)
        if node is None and not required:
            return ""
        if not isinstance(node, Scalar) or node.is_null or isinstance(node.value, (bool, list, dict)):
            self.fail(node if node is not None else m, f"'{key}' must be text")
        v = node.value
        return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else (node.raw if node.quoted else str(v))

    def number(self, m: YMap, key: str) -> float:
        node = m.get(key)
        if not isinstance(node, Scalar) or isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            self.fail(node if node is not None else m, f"'{key}' must be a number")
        return node.value

    def ids(self, m: YMap, key: str) -> tuple[str, ...]:
        node = self.list(m, key, required=False)
        out = []
        for x in node:
            if not isinstance(x, Scalar) or x.is_null:
                self.fail(x, f"'{key}' must list ids")
            out.append(str(x.value) if not x.quoted else x.raw)
        return tuple(out)


def read_edition(root: Path, number: int, path: Path | None = None, parsed: ParsedFiles | None = None) -> Edition:
    """Read editions/<N>.yaml (`parsed` keeps its tree between builds); a corrupt file is a BriefingError naming
    its file and line."""
    path = path or recorded(root).get(number)
    if path is None:
        raise BriefingError(f"edition {number} is not recorded", f"{EDITIONS_DIR}/{number}.yaml")
    rel = _rel(root, path)
    tree, problems = load_file(path, rel, parsed=parsed)
    if problems:
        p = problems[0]
        raise BriefingError(p.message, p.path, p.line, p.column)
    r = _Reader(rel)
    top = r.map(tree, "the edition record")
    node = top.get("edition")
    if not isinstance(node, Scalar) or isinstance(node.value, bool) or not isinstance(node.value, int):
        r.fail(node if node is not None else top, "'edition' must be a whole number")
    if node.value != number:
        r.fail(node, f"the file records edition {node.value}, but its name says {number}")
    claims = []
    for c in r.list(top, "claims"):
        c = r.map(c, "a claim")
        figures = []
        for f in r.list(c, "figures", required=False):
            f = r.map(f, "a figure")
            approx = f.get("approx")
            figures.append(FigureSnap(r.text(f, "actor"), r.text(f, "metric"), r.number(f, "value"),
                                      r.text(f, "source"), r.text(f, "unit", False),
                                      bool(isinstance(approx, Scalar) and approx.value is True)))
        conf = r.text(c, "confidence")
        claims.append(ClaimSnap(r.text(c, "id"), r.text(c, "title"), r.text(c, "date", False), conf,
                                r.text(c, "capped_to", False) or conf, r.text(c, "reason", False),
                                r.ids(c, "sources"), tuple(sorted(figures, key=_figure_order)), r.text(c, "hash")))
    sources = [SourceSnap(r.text(s, "id"), r.text(s, "title", False), r.text(s, "retracted", False))
               for s in (r.map(x, "a source") for x in r.list(top, "sources"))]
    judgements = [JudgementSnap(r.text(j, "id"), r.text(j, "section"), r.text(j, "title", False), r.ids(j, "rests_on"))
                  for j in (r.map(x, "a judgement") for x in r.list(top, "judgements", required=False))]
    date = r.text(top, "date")
    if not is_date(date):
        r.fail(top.get("date"), f"'date': `{date}` is not a date like 2026-06-30")
    return Edition(number, date, tuple(sorted(claims, key=lambda c: c.id)),
                   tuple(sorted(sources, key=lambda s: s.id)),
                   tuple(sorted(judgements, key=lambda j: (j.id, j.section))), rel)


def edition_number(meta: Meta) -> int | None:
    """briefing.yaml's edition as a number, or None when it is not a whole number."""
    text = str(meta.edition).strip()
    return int(text) if EDITION_NUMBER.match(text) else None


def baseline(ws: Workspace) -> Edition | None:
    """The edition the briefing reports changes against: the latest recorded before the current one."""
    root = Path(ws.root)
    return baseline_of(root, recorded(root), ws.meta)


def baseline_of(root: Path, records: dict[int, Path], meta: Meta, parsed: ParsedFiles | None = None
                ) -> Edition | None:
    """The baseline edition among these records (number -> file), read once (`parsed`: see read_edition)."""
    numbers = sorted(records)
    if not numbers:
        return None
    current = edition_number(meta)
    if current is not None and current in numbers:
        # The current edition is already on record: compare with the one before it.
        earlier = [n for n in numbers if n < current]
        return read_edition(root, earlier[-1], records[earlier[-1]], parsed) if earlier else None
    return read_edition(root, numbers[-1], records[numbers[-1]], parsed)


# -- publishing ------------------------------------------------------------------------------------------



def publish(ws: Workspace, date: str | None = None) -> tuple[Path, Edition]:
    """Record a loaded workspace's evidence as edition <briefing.yaml's edition>; refuse when nothing changed."""
    root = Path(ws.root)
    number = edition_number(ws.meta)
    if number is None:
        raise BriefingError(f"edition '{ws.meta.edition}' is not a whole number; editions are numbered 1, 2, 3…",
                            "briefing.yaml", ws.meta.at("edition").line)
    given = bool(date)
    date = (date or ws.meta.date).strip()
    if not is_date(date):
        raise BriefingError(f"--date '{date}' is not a date; write it as 2026-06-30, 2026-06 or 2026")
    numbers = recorded(root)
    ed = snapshot(ws, number, date)
    if numbers:
        latest = max(numbers)
        last = read_edition(root, latest, numbers[latest])
        rel = _rel(root, numbers[latest])
        if last.state == ed.state:
            raise BriefingError(f"nothing changed since edition {latest} ({rel}); there is nothing new to publish")
        bump = f"set `edition: \"{latest + 1}\"` (and its date) in briefing.yaml to publish the changes"
        if number in numbers:
            raise BriefingError(f"edition {number} is already recorded in {_rel(root, numbers[number])}; {bump}",
                                "briefing.yaml", ws.meta.at("edition").line)
        if number < latest:
            raise BriefingError(f"edition {number} is older than the latest recorded edition, {latest}; {bump}",
                                "briefing.yaml", ws.meta.at("edition").line)
        if last.date and date < last.date[:len(date)]:  # partial dates compare at their own precision
            where = ("", 0) if given else ("briefing.yaml", ws.meta.at("date").line)
            raise BriefingError(f"date {date} is before the date of edition {latest} ({last.date}, {rel});"
                                " an edition cannot predate the one before it", *where)
    path = root / EDITIONS_DIR / f"{number}.yaml"
    write_text(path, to_yaml(ed))
    return path, ed
