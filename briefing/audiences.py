"""Audiences: who a briefing is for; declared in YAML, the workspace's overriding the packaged ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import spec
from .errors import BriefingError, errors_in
from .yamlsafe import load_file

PACKAGE_AUDIENCES = Path(__file__).resolve().parent / "templates" / "audiences"


@dataclass(frozen=True)
class Audience:
    """One audience's options."""

    name: str
    description: str
    sections: tuple[str, ...]
    template: str = "base.md.j2"
    charts: tuple[str, ...] = ()
    ledger: bool = False
    marking: str = ""
    paper: str = "A4"
    brand_color: str = "#1F3A5F"
    logo: str = ""
    body_font: str = ""
    page_budget: int = 0
    path: str = ""


def audience_files(root: Path) -> dict[str, Path]:
    """Every audience by name: packaged first, then the workspace's, which win."""
    out = {p.stem: p for p in sorted(PACKAGE_AUDIENCES.glob("*.yaml"))}
    own = root / "templates" / "audiences"
    if own.is_dir():
        out.update({p.stem: p for p in sorted(own.glob("*.yaml"))})
    return dict(sorted(out.items()))


def load_audience(root: Path, name: str) -> Audience:
    """Load one audience by name, or raise a BriefingError naming the file and line."""
    files = audience_files(root)
    if name not in files:
        raise BriefingError(f"unknown audience '{name}'; available: {', '.join(files)}", "briefing.yaml")
    path = files[name]
    try:
        rel = str(path.relative_to(root))
    except ValueError:
        rel = f"(packaged) audiences/{path.name}"
    tree, problems = load_file(path, rel)
    data = None
    if tree is not None:
        checker = spec.Checker(rel)
        data = checker.convert(tree, spec.AUDIENCE, rel, None)
        problems += checker.problems
    errs = errors_in(problems)
    if errs or not data:
        p = errs[0] if errs else problems[0]
        raise BriefingError(p.message, p.path, p.line, p.column, problems=tuple(errs))
    fields = {k.replace("-", "_"): v for k, v in data.items() if not k.startswith("__") and v is not None}
    for key in ("sections", "charts"):
        if key in fields:
            fields[key] = tuple(fields[key])
    return Audience(name=name, path=rel, **fields)
