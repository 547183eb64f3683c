"""Stage 1: load a workspace folder into the typed model, collecting every problem on the way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import spec
from .errors import Problem
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
    Metric,
    Name,
    Pos,
    Scale,
    Source,
    Workspace,
)
from .yamlsafe import ParsedFiles, load_file

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_SCALE = PACKAGE_DIR / "defaults" / "scale.yaml"
EVIDENCE_SUFFIXES = (".yaml", ".yml")
FIGURE_KEYS = ("metric", "actor", "value", "source")


def _p(d: dict[str, Any], key: str, default: Pos) -> Pos:
    pos: Pos = d.get("__key_pos__", {}).get(key, d.get("__pos__", default))
    return pos


def _check_file(root: Path, rel: str, shape: spec.Field, problems: list[Problem], path: Path | None = None,
                lines: dict[str, tuple[str, ...]] | None = None,
                parsed: ParsedFiles | None = None) -> dict[str, Any] | None:
    """Load one file and convert it against its spec; returns the converted dict or None (its lines into `lines`)."""
    tree, probs = load_file(path or root / rel, rel, lines, parsed)
    problems.extend(probs)
    if tree is None:
        return None
    checker = spec.Checker(rel)
    value: dict[str, Any] | None = checker.convert(tree, shape, rel, Pos(rel))
    problems.extend(checker.problems)
    return value


def evidence_files(root: Path, problems: list[Problem]) -> list[Path]:
    """The evidence files, in a stable order; anything else in evidence/ is reported, never skipped silently.

    Files ending .yaml or .yml (any case) are read; hidden files (.DS_Store, editor swap files) are
    ignored; sub-folders and other files get a warning; links leading outside the workspace and
    anything that is not a regular file (a pipe, a device) are errors.
    """
    folder = root / "evidence"
    if not folder.is_dir():
        problems.append(Problem("evidence", 1, 1, "error", "no evidence/ folder in the workspace"))
        return []
    real_root = root.resolve()
    out = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        rel = path.relative_to(root).as_posix()
        if path.is_dir() and not path.is_symlink():
            problems.append(Problem(rel, 1, 1, "warning", "sub-folders of evidence/ are not read; move its"
                                    " files up into evidence/ to use them"))
            continue
        if path.suffix.lower() not in EVIDENCE_SUFFIXES:
            problems.append(Problem(rel, 1, 1, "warning", "not read: evidence files end in .yaml or .yml"))
            continue
        if not path.resolve().is_relative_to(real_root):
            problems.append(Problem(rel, 1, 1, "error", "symbolic link points outside the workspace; refused"))
            continue
        out.append(path)  # read_text refuses what is not a regular file, with this name
    return out


def _variant(root: Path, name: str) -> str:
    """A hint when `name` is missing but a file differing only in case or .yml/.yaml is there."""
    stem = name.removesuffix(".yaml").lower()
    for path in sorted(root.iterdir()) if root.is_dir() else ():
        if path.name != name and path.stem.lower() == stem and path.suffix.lower() in EVIDENCE_SUFFIXES:
            return f"; found {path.name}: rename it to {name}"
    return ""


def _unread_variants(root: Path, problems: list[Problem]) -> None:
    """Warn about top-level files that look like workspace files but are not read (Charts.yml ...)."""
    for name in ("briefing.yaml", "sources.yaml", "analysis.yaml", "charts.yaml", "scale.yaml"):
        if (root / name).exists():
            continue
        hint = _variant(root, name)
        if hint and name not in ("briefing.yaml", "sources.yaml"):  # those two report it as an error
            problems.append(Problem(name, 1, 1, "warning", f"no {name}, so none is read{hint}"))


def load_scale(root: Path, problems: list[Problem], lines: dict[str, tuple[str, ...]] | None = None) -> Scale | None:
    """The workspace's scale.yaml, or the packaged default."""
    own = root / "scale.yaml"
    packaged = _check_file(DEFAULT_SCALE.parent, "scale.yaml", spec.SCALE, [], DEFAULT_SCALE) or {}
    if own.exists():
        data = _check_file(root, "scale.yaml", spec.SCALE, problems, lines=lines)
        rel = "scale.yaml"
    else:
        data, rel = packaged, "(packaged scale)"
    if not data or not data.get("levels"):
        return None
    # A scale written before the wording check keeps working: what it leaves out comes from the
    # packaged scale, and a level the packaged scale does not know accepts every likelihood term.
    default_terms = {lv["key"]: lv.get("likelihood") for lv in packaged.get("levels") or [] if lv}
    wording = data.get("wording") or {}
    fallback = packaged.get("wording") or {}
    categorical = _words(wording, fallback, "categorical")
    vocabulary = _words(wording, fallback, "likelihood")
    rows: list[tuple[int, dict[str, Any], tuple[str, ...] | None]] = []
    seen: dict[str, str] = {}
    for rank, lv in enumerate(data["levels"]):
        if lv is None or None in (lv.get(k) for k in ("key", "label", "meaning", "color", "section")):
            continue
        if lv["key"].casefold() in seen:  # keys name DOCX styles too, and Word ignores case
            problems.append(Problem.at(_p(lv, "key", Pos(rel)), "error", f"duplicate level key '{lv['key']}'"
                                       f" (keys must differ in more than case: '{seen[lv['key'].casefold()]}')"))
            continue
        seen[lv["key"].casefold()] = lv["key"]
        terms: tuple[str, ...] | None = _words(lv, {"likelihood": default_terms.get(lv["key"])}, "likelihood")
        if "likelihood" not in lv and default_terms.get(lv["key"]) is None:
            terms = None  # nothing declared anywhere: every term fits
        vocabulary += tuple(t for t in terms or () if t not in vocabulary)
        rows.append((rank, lv, terms))
    levels = []
    for rank, lv, terms in rows:
        req = lv.get("requires") or {}
        levels.append(Level(key=lv["key"], label=lv["label"], meaning=lv["meaning"], color=lv["color"],
                            section=lv["section"], min_origins=req.get("origins") or 0,
                            min_disinterested=req.get("disinterested") or 0, rank=rank,
                            likelihood=vocabulary if terms is None else terms))
    keys = [lv.key for lv in levels]
    start = wording.get("categorical_from") or (keys[0] if keys else "")
    if start and start not in keys:
        problems.append(Problem.at(_p(wording, "categorical_from", Pos(rel)), "error",
                                   f"'categorical_from': `{start}` is not a level of the scale"
                                   f"{spec._hint(start, keys)}"))
        start = keys[0] if keys else ""
    return Scale(name=data.get("name") or "", anchor=data.get("anchor") or "", levels=tuple(levels),
                 categorical=categorical, categorical_from=start, likelihood=vocabulary)


def _words(wording: dict[str, Any], fallback: dict[str, Any], key: str) -> tuple[str, ...]:
    """A word list of the scale's `wording`, or the packaged one when the scale leaves it out."""
    words = wording.get(key) if key in wording else fallback.get(key)
    return tuple(dict.fromkeys(" ".join(w.split()) for w in words or () if w and w.strip()))


def _meta(root: Path, problems: list[Problem], lines: dict[str, tuple[str, ...]]) -> Meta | None:
    if not (root / "briefing.yaml").exists():
        problems.append(Problem("briefing.yaml", 1, 1, "error",
                                "no briefing.yaml: is this a workspace? (create one with `briefing init DIR`)"
                                + _variant(root, "briefing.yaml")))
        return None
    d = _check_file(root, "briefing.yaml", spec.META, problems, lines=lines)
    if not d or None in (d.get(k) for k in ("title", "date", "edition", "marking")):
        return None
    fields = {k: d[k] for k in ("title", "subtitle", "date", "edition", "organisation", "author",
                                "marking", "audience") if d.get(k) is not None}
    return Meta(**fields, pos=d["__pos__"], key_pos=tuple((d.get("__key_pos__") or {}).items()))


def _sources(root: Path, problems: list[Problem], lines: dict[str, tuple[str, ...]],
             parsed: ParsedFiles | None = None) -> list[Source]:
    if not (root / "sources.yaml").exists():
        problems.append(Problem("sources.yaml", 1, 1, "error", "no sources.yaml in the workspace"
                                + _variant(root, "sources.yaml")))
        return []
    d = _check_file(root, "sources.yaml", spec.SOURCES_FILE, problems, lines=lines, parsed=parsed)
    out = []
    for s in (d or {}).get("references") or []:
        if s is None or None in (s.get(k) for k in ("id", "title", "kind")):
            continue
        extra = tuple(sorted((k, v) for k, v in s.items()
                             if k in spec.CSL_VARIABLES and k not in ("container-title", "publisher")
                             and v is not None))
        out.append(Source(
            id=s["id"], title=s["title"], kind=s["kind"], csl_type=s.get("type") or "webpage",
            container_title=s.get("container-title") or "", publisher=s.get("publisher") or "",
            authors=tuple(Name(family=a.get("family", ""), given=a.get("given", ""),
                               literal=a.get("literal", "")) for a in s.get("author") or []),
            issued=s.get("issued") or "", url=s.get("URL") or "", interested=bool(s.get("interested")),
            derived_from=tuple(s.get("derived_from") or ()), retracted=s.get("retracted") or "",
            retracted_on=s.get("retracted_on") or "" if s.get("retracted") else "",
            note=s.get("note") or "", extra=extra, pos=s["__pos__"]))
        if s.get("retracted_on") and not s.get("retracted"):
            at = s["__key_pos__"].get("retracted_on", s["__pos__"])
            problems.append(Problem.at(at, "error", f"source '{s['id']}' has retracted_on but no retracted:"
                                       " give the reason it was retracted"))
    return out


def _evidence_item(d: dict[str, Any], rel: str) -> Evidence | None:
    if None in (d.get(k) for k in ("id", "title", "claim", "date", "confidence", "sources")):
        return None
    here = Pos(rel)

    def items(key: str) -> list[Any]:
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
        alleged_by=tuple(dict.fromkeys(" ".join(n.split()) for n in items("alleged_by") if n.strip())),
        pos=d.get("__pos__", here), key_pos=tuple((d.get("__key_pos__") or {}).items()))


def _analysis(root: Path, problems: list[Problem], lines: dict[str, tuple[str, ...]],
              parsed: ParsedFiles | None = None) -> tuple[tuple[str, tuple[Judgement, ...]], ...]:
    if not (root / "analysis.yaml").exists():
        return ()
    d = _check_file(root, "analysis.yaml", spec.ANALYSIS, problems, lines=lines, parsed=parsed) or {}
    out = []
    for section, items in d.items():
        js = tuple(Judgement(id=j["id"], text=" ".join(j["text"].split()), title=j.get("title") or "",
                             rests_on=tuple(j.get("rests_on") or ()), audiences=tuple(j.get("audiences") or ()),
                             pos=j["__pos__"], key_pos=tuple(j["__key_pos__"].items()))
                   for j in items or [] if j and j.get("id") and j.get("text"))
        out.append((section, js))
    return tuple(out)


def _charts(root: Path, problems: list[Problem], lines: dict[str, tuple[str, ...]]
            ) -> tuple[tuple[Metric, ...], tuple[ChartSpec, ...]]:
    if not (root / "charts.yaml").exists():
        return (), ()
    d = _check_file(root, "charts.yaml", spec.CHARTS_FILE, problems, lines=lines) or {}
    metrics = tuple(Metric(id=m["id"], label=" ".join(m["label"].split()), unit=(m.get("unit") or "").strip(),
                           pos=m["__pos__"])
                    for m in d.get("metrics") or [] if m and m.get("id") and m.get("label"))
    return metrics, tuple(ChartSpec(id=c["id"], kind=c["kind"], title=c["title"], caption=c.get("caption") or "",
                           metrics=tuple(c.get("metrics") or ()), tags=tuple(c.get("tags") or ()),
                           log_scale=bool(c.get("log_scale")), pos=c["__pos__"])
                 for c in d.get("charts") or [] if c and c.get("id") and c.get("kind") and c.get("title"))


def read_workspace(root: Path, parsed: ParsedFiles | None = None) -> tuple[Workspace | None, list[Problem]]:
    """Read a workspace's files into the model: returns it (None if unusable) and every problem in its files.
    `parsed` keeps the larger files' trees between builds (a warm process parses only what changed).

    The checks across files (`validate`) need the editions and audiences too: `inputs.load` runs them.
    """
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [Problem(str(root), 0, 0, "error", "workspace folder does not exist")]
    lines: dict[str, tuple[str, ...]] = {}
    _unread_variants(root, problems)
    meta = _meta(root, problems, lines)
    scale = load_scale(root, problems, lines)
    sources = _sources(root, problems, lines, parsed)
    evidence = []
    for path in evidence_files(root, problems):
        rel = path.relative_to(root).as_posix()
        d = _check_file(root, rel, spec.EVIDENCE, problems, path, lines, parsed)
        item = _evidence_item(d, rel) if d else None
        if item:
            evidence.append(item)
    analysis = _analysis(root, problems, lines, parsed)
    metrics, charts = _charts(root, problems, lines)
    if meta is None or scale is None:
        if scale is None:
            problems.append(Problem("scale.yaml", 1, 1, "error", "the confidence scale has no usable levels"))
        return None, sorted(set(problems), key=_order)
    ws = Workspace.make(root=str(root), meta=meta, scale=scale, sources=tuple(sources), evidence=tuple(evidence),
                        analysis=analysis, charts=charts, metrics=metrics, lines=lines)
    return ws, sorted(set(problems), key=_order)


def _order(p: Problem) -> tuple[str, int, int, str, str]:
    return (p.path, p.line, p.column, p.severity, p.message)
