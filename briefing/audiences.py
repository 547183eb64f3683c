"""Audiences: who a briefing is for; declared in YAML, the workspace's overriding the packaged ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import spec
from .errors import BriefingError, errors_in
from .spec import _hint
from .yamlsafe import load_file

PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"
PACKAGE_AUDIENCES = PACKAGE_TEMPLATES / "audiences"


@dataclass(frozen=True)
class Audience:
    """One audience's options (see spec.AUDIENCE for what each means)."""

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
    font_size: float = 10.0
    docx_font: str = ""
    page_budget: int = 0
    claims_per_section: int = 0
    full_edition: str = "analyst"
    rank_by: tuple[str, ...] = ()
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    path: str = ""
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)  # option -> line in path


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
        raise BriefingError(f"unknown audience '{name}'; available: {', '.join(files)}")
    path = files[name]
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = f"(packaged) audiences/{path.name}"
    else:  # the workspace's own: a link must not lead out of the workspace
        if not path.resolve().is_relative_to(root.resolve()):
            raise BriefingError("the audience file is a link to a file outside the workspace; refused", rel)
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
    for key in ("sections", "charts", "rank_by"):
        if key in fields:
            fields[key] = tuple(fields[key])
    if "tags" in fields:
        fields["tags"] = {k: tuple(v or ()) for k, v in fields["tags"].items()}
    key_pos = data.get("__key_pos__", {})
    audience = Audience(name=name, path=rel, lines={k: p.line for k, p in key_pos.items()}, **fields)
    _check_files(root, audience, key_pos)
    return audience


def _check_files(root: Path, audience: Audience, key_pos: dict) -> None:
    """Every section and the template exist, so a typo is reported at the audience file, not deep in a render."""
    def exists(name: str) -> bool:
        return any((folder / name).is_file() for folder in (root / "templates", PACKAGE_TEMPLATES))

    def fail(key: str, message: str):
        pos = key_pos.get(key)
        raise BriefingError(message, audience.path, pos.line if pos else 0, pos.column if pos else 0)

    missing = [s for s in audience.sections if not exists(f"sections/{s}.md.j2")]
    if missing:
        known = sorted({p.name.removesuffix(".md.j2") for folder in (root / "templates", PACKAGE_TEMPLATES)
                        for p in (folder / "sections").glob("*.md.j2")})
        hint = _hint(missing[0], known) or f"; sections available: {', '.join(known)}"
        fail("sections", f"no template for section '{missing[0]}' (sections/{missing[0]}.md.j2){hint}")
    if not exists(audience.template):
        fail("template", f"template '{audience.template}' not found in templates/ or the packaged templates")
    if audience.font_size and not 6 <= audience.font_size <= 16:
        fail("font_size", f"font_size must be between 6 and 16 points, not {audience.font_size:g}")


def descriptions(root: Path) -> list[tuple[str, str, str]]:
    """(name, description, problem) for every audience; an audience that fails to load has a problem instead."""
    out = []
    for name in audience_files(root):
        try:
            out.append((name, load_audience(root, name).description, ""))
        except BriefingError as exc:
            out.append((name, "", str(exc.problems[0] if exc.problems else exc)))
    return out
