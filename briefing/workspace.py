"""Stage 1: load a workspace folder into the typed model, collecting every problem on the way."""

from __future__ import annotations

from pathlib import Path

from . import spec
from .errors import BriefingError, Problem, errors_in
from .model import (
    Actor,
    ChartSpec,
    Citation,
    Dispute,
    Evidence,
    Figure,
    Judgement,
    Level,
    Meta,
    Name,
    Pos,
    Scale,
    Source,
    Workspace,
)
from .yamlsafe import load_file

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_SCALE = PACKAGE_DIR / "defaults" / "scale.yaml"
EVIDENCE_SUFFIXES = (".yaml", ".yml")
FIGURE_KEYS = ("metric", "actor", "value", "source")


def _p(d: dict, key: str, default: Pos) -> Pos:
    return d.get("__key_pos__", {}).get(key, d.get("__pos__", default))


def _check_file(root: Path, rel: str, shape, problems: list[Problem], path: Path | None = None):
    """Load one file and convert it against its spec; returns the converted dict or None."""
    tree, probs = load_file(path or root / rel, rel)
    problems.extend(probs)
    if tree is None:
        return None
    checker = spec.Checker(rel)
    value = checker.convert(tree, shape, rel, Pos(rel))
    problems.extend(checker.problems)
    return value


def evidence_files(root: Path, problems: list[Problem]) -> list[Path]:
    """The evidence files, in a stable order, refusing links that lead outside the workspace."""
    folder = root / "evidence"
    if not folder.is_dir():
        problems.append(Problem("evidence", 1, 1, "error", "no evidence/ folder in the workspace"))
        return []
    real_root = root.resolve()
    out = []
    for path in sorted(folder.iterdir()):
        if path.suffix not in EVIDENCE_SUFFIXES or path.name.startswith("."):
            continue
        rel = path.relative_to(root).as_posix()
        if not path.resolve().is_relative_to(real_root):
            problems.append(Problem(rel, 1, 1, "error", "symbolic link points outside the workspace; refused"))
            continue
        if not path.is_file():
            continue
        out.append(path)
    return out


def load_scale(root: Path, problems: list[Problem]) -> Scale | None:
    """The workspace's scale.yaml, or the packaged default."""
    own = root / "scale.yaml"
    if own.exists():
        data = _check_file(root, "scale.yaml", spec.SCALE, problems)
        rel = "scale.yaml"
    else:
        data = _check_file(DEFAULT_SCALE.parent, "scale.yaml", spec.SCALE, [], DEFAULT_SCALE)
        rel = "(packaged scale)"
    if not data or not data.get("levels"):
        return None
    levels, seen = [], set()
    for rank, lv in enumerate(data["levels"]):
        if lv is None or None in (lv.get(k) for k in ("key", "label", "meaning", "color", "section")):
            continue
        if lv["key"] in seen:
            problems.append(Problem.at(_p(lv, "key", Pos(rel)), "error", f"duplicate level key '{lv['key']}'"))
            continue
        seen.add(lv["key"])
        req = lv.get("requires") or {}
        levels.append(Level(key=lv["key"], label=lv["label"], meaning=lv["meaning"], color=lv["color"],
                            section=lv["section"], min_origins=req.get("origins") or 0,
                            min_disinterested=req.get("disinterested") or 0, rank=rank))
    return Scale(name=data.get("name") or "", anchor=data.get("anchor") or "", levels=tuple(levels))


def _meta(root: Path, problems: list[Problem]) -> Meta | None:
    if not (root / "briefing.yaml").exists():
        problems.append(Problem("briefing.yaml", 1, 1, "error",
                                "no briefing.yaml: is this a workspace? (create one with `briefing init DIR`)"))
        return None
    d = _check_file(root, "briefing.yaml", spec.META, problems)
    if not d or None in (d.get(k) for k in ("title", "date", "edition", "marking")):
        return None
    fields = {k: d[k] for k in ("title", "subtitle", "date", "edition", "organisation", "author",
                                "marking", "audience") if d.get(k) is not None}
    return Meta(**fields, pos=d["__pos__"])


def _sources(root: Path, problems: list[Problem]) -> list[Source]:
    if not (root / "sources.yaml").exists():
        problems.append(Problem("sources.yaml", 1, 1, "error", "no sources.yaml in the workspace"))
        return []
    d = _check_file(root, "sources.yaml", spec.SOURCES_FILE, problems)
    out = []
    for s in (d or {}).get("references") or []:
        if s is None or None in (s.get(k) for k in ("id", "title", "kind")):
            continue
        extra = tuple(sorted((k, v) for k, v in s.items()
                             if k in spec.CSL_VARIABLES and k not in ("container-title", "publisher")))
        out.append(Source(
            id=s["id"], title=s["title"], kind=s["kind"], csl_type=s.get("type") or "webpage",
            container_title=s.get("container-title") or "", publisher=s.get("publisher") or "",
            authors=tuple(Name(family=a.get("family", ""), given=a.get("given", ""),
                               literal=a.get("literal", "")) for a in s.get("author") or []),
            issued=s.get("issued") or "", url=s.get("URL") or "", interested=bool(s.get("interested")),
            derived_from=tuple(s.get("derived_from") or ()), retracted=s.get("retracted") or "",
            note=s.get("note") or "", extra=extra, pos=s["__pos__"]))
    return out


def _evidence_item(d: dict, rel: str) -> Evidence | None:
    if None in (d.get(k) for k in ("id", "title", "claim", "date", "confidence", "sources")):
        return None
    here = Pos(rel)

    def items(key):
        return [x for x in d.get(key) or [] if x is not None]

    return Evidence(
        id=d["id"], title=d["title"].strip(), claim=" ".join(d["claim"].split()), date=d["date"],
        confidence=d["confidence"],
        sources=tuple(Citation(c["id"], (c.get("locator") or "").strip(), c["__pos__"])
                      for c in items("sources") if c.get("id")),
        actors=tuple(Actor(a["name"], a["role"], a["__pos__"]) for a in items("actors")
                     if a.get("name") and a.get("role")),
        figures=tuple(Figure(metric=f["metric"], actor=f["actor"], value=f["value"], unit=f.get("unit") or "",
                             approx=bool(f.get("approx")), source=f["source"], note=f.get("note") or "",
                             pos=f["__pos__"])
                      for f in items("figures") if None not in (f.get(k) for k in FIGURE_KEYS)),
        disputes=tuple(Dispute(x["by"], " ".join(x["text"].split()), x.get("source") or "", x["__pos__"])
                       for x in items("disputes") if x.get("by") and x.get("text")),
        caveats=tuple(" ".join(c.split()) for c in items("caveats")),
        tags=tuple(items("tags")), section=d.get("section") or "",
        reason=" ".join((d.get("reason") or "").split()), event=(d.get("event") or "").strip(),
        pos=d.get("__pos__", here))


def _analysis(root: Path, problems: list[Problem]):
    if not (root / "analysis.yaml").exists():
        return ()
    d = _check_file(root, "analysis.yaml", spec.ANALYSIS, problems) or {}
    out = []
    for section, items in d.items():
        js = tuple(Judgement(id=j["id"], text=" ".join(j["text"].split()), title=j.get("title") or "",
                             rests_on=tuple(j.get("rests_on") or ()), audiences=tuple(j.get("audiences") or ()),
                             pos=j["__pos__"])
                   for j in items or [] if j and j.get("id") and j.get("text"))
        out.append((section, js))
    return tuple(out)


def _charts(root: Path, problems: list[Problem]):
    if not (root / "charts.yaml").exists():
        return ()
    d = _check_file(root, "charts.yaml", spec.CHARTS_FILE, problems) or {}
    return tuple(ChartSpec(id=c["id"], kind=c["kind"], title=c["title"], caption=c.get("caption") or "",
                           metrics=tuple(c.get("metrics") or ()), tags=tuple(c.get("tags") or ()),
                           log_scale=bool(c.get("log_scale")), pos=c["__pos__"])
                 for c in d.get("charts") or [] if c and c.get("id") and c.get("kind") and c.get("title"))


def load(root: Path) -> tuple[Workspace | None, list[Problem]]:
    """Load and validate a workspace: returns the model (None if unusable) and every problem found."""
    from .validate import validate

    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [Problem(str(root), 0, 0, "error", "workspace folder does not exist")]
    meta = _meta(root, problems)
    scale = load_scale(root, problems)
    sources = _sources(root, problems)
    evidence = []
    for path in evidence_files(root, problems):
        rel = path.relative_to(root).as_posix()
        d = _check_file(root, rel, spec.EVIDENCE, problems, path)
        item = _evidence_item(d, rel) if d else None
        if item:
            evidence.append(item)
    analysis = _analysis(root, problems)
    charts = _charts(root, problems)
    _own_audiences(root, problems)
    if meta is None or scale is None:
        if scale is None:
            problems.append(Problem("scale.yaml", 1, 1, "error", "the confidence scale has no usable levels"))
        return None, sorted(set(problems), key=_order)
    ws = Workspace(root=str(root), meta=meta, scale=scale, sources=tuple(sources), evidence=tuple(evidence),
                   analysis=analysis, charts=charts)
    problems.extend(validate(ws))
    return ws, sorted(set(problems), key=_order)


def _own_audiences(root: Path, problems: list[Problem]) -> None:
    """The workspace's own audience files, loaded as `build --audience` loads them, so `check` names their faults."""
    from .audiences import audience_files, load_audience

    own = root / "templates" / "audiences"
    for name, path in audience_files(root).items():
        if path.parent != own:
            continue
        try:
            load_audience(root, name)
        except BriefingError as exc:
            problems.extend(exc.problems or [Problem(exc.path or f"templates/audiences/{path.name}",
                                                     max(exc.line, 1), max(exc.column, 1), "error", exc.message)])


def _order(p: Problem):
    return (p.path, p.line, p.column, p.severity, p.message)


def load_or_raise(root: Path) -> tuple[Workspace, list[Problem]]:
    """Load a workspace for building: raise BriefingError (carrying every problem) if it has errors."""
    ws, problems = load(root)
    errs = errors_in(problems)
    if errs or ws is None:
        first = errs[0] if errs else Problem(str(root), 0, 0, "error", "workspace cannot be loaded")
        raise BriefingError(first.message, first.path, first.line, first.column, problems=tuple(problems))
    return ws, problems
