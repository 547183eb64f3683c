"""Audiences: who a briefing is for; declared in YAML, the workspace's overriding the packaged ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import spec
from .errors import BriefingError, Problem, errors_in
from .model import ChartSpec, Pos
from .packaged import PACKAGE_TEMPLATES
from .spec import _hint
from .theme import plain_values
from .yamlsafe import load_file

PACKAGE_AUDIENCES = PACKAGE_TEMPLATES / "audiences"


@dataclass(frozen=True)
class Audience:
    """One audience's options (see spec.AUDIENCE for what each means)."""

    name: str
    description: str
    sections: tuple[str, ...]
    template: str = "base.md.j2"
    charts: str | tuple[str, ...] = "all"  # "all": every chart the workspace declares
    chart_kinds: tuple[str, ...] = ()  # only charts of these kinds (empty: every kind)
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
    # A dict (the templates read it; their sandbox refuses its mutating methods as unsafe).
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    theme: dict[str, Any] = field(default_factory=dict)  # changes to the theme (see theme.load_theme)
    path: str = ""
    lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), compare=False,
                                     repr=False)  # option -> line in path

    def selected_charts(self, charts: Sequence[ChartSpec]) -> list[ChartSpec]:
        """The workspace's charts (ChartSpec) this audience draws: its list's order, else charts.yaml's."""
        if self.charts == "all":
            picked = list(charts)
        else:
            by_id = {c.id: c for c in reversed(charts)}  # a duplicate id: the first (check reports it)
            picked = [by_id[i] for i in dict.fromkeys(self.charts) if i in by_id]
        if self.chart_kinds:
            picked = [c for c in picked if c.kind in self.chart_kinds]
        seen: set[str] = set()
        out: list[ChartSpec] = []
        for c in picked:
            if c.id not in seen:
                seen.add(c.id)
                out.append(c)
        return out


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
        raise BriefingError(f"unknown audience '{name}'; available: {', '.join(files)}{_hint(name, files)}")
    audience, problems = audience_problems(root, name)
    errs = errors_in(problems)
    if errs or audience is None:
        p = errs[0] if errs else problems[0]
        raise BriefingError(p.message, p.path, p.line, p.column, problems=tuple(errs))
    return audience


def audience_problems(root: Path, name: str) -> tuple[Audience | None, list[Problem]]:
    """Load one audience by name: the audience (None if unusable) and every problem in its file."""
    files = audience_files(root)
    if name not in files:
        return None, [Problem("templates/audiences", 0, 0, "error",
                              f"unknown audience '{name}'; available: {', '.join(files)}{_hint(name, files)}")]
    path = files[name]
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = f"(packaged) audiences/{path.name}"
    else:  # the workspace's own: a link must not lead out of the workspace
        if not path.resolve().is_relative_to(root.resolve()):
            return None, [Problem(rel, 1, 1, "error", "the audience file is a link to a file outside the workspace;"
                                  " refused")]
    tree, problems = load_file(path, rel)
    data = None
    if tree is not None:
        checker = spec.Checker(rel)
        data = checker.convert(tree, spec.AUDIENCE, rel, Pos(rel))
        problems += checker.problems
    if errors_in(problems) or not data:
        return None, problems
    fields = {k.replace("-", "_"): v for k, v in data.items() if not k.startswith("__") and v is not None}
    for key in ("sections", "charts", "chart_kinds", "rank_by"):
        if key in fields and isinstance(fields[key], list):
            fields[key] = tuple(fields[key])
    if "tags" in fields:
        fields["tags"] = {k: tuple(v or ()) for k, v in fields["tags"].items()}
    if "theme" in fields:
        fields["theme"] = plain_values(fields["theme"])
    key_pos = data.get("__key_pos__", {})
    audience = Audience(name=name, path=rel, lines=MappingProxyType({k: p.line for k, p in key_pos.items()}),
                        **fields)
    problems += _check_files(root, audience, key_pos)
    return (None if errors_in(problems) else audience), problems


def _check_files(root: Path, audience: Audience, key_pos: dict[str, Pos]) -> list[Problem]:
    """Every section and the template exist, so a typo is reported at the audience file, not deep in a render."""
    def exists(name: str) -> bool:
        return any((folder / name).is_file() for folder in (root / "templates", PACKAGE_TEMPLATES))

    out: list[Problem] = []

    def fail(key: str, message: str) -> None:
        out.append(Problem.at(key_pos.get(key, Pos(audience.path, 1, 1)), "error", message))

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
    for key, what, magics in (("logo", "a readable PNG/JPEG image", (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")),
                              ("body_font", "a usable TrueType font", (b"\x00\x01\x00\x00", b"true"))):
        rel = getattr(audience, key)
        if not rel:
            continue
        path = (root / rel).resolve()
        if not path.is_relative_to(root.resolve()):
            fail(key, f"{key} path '{rel}' leads outside the workspace; refused")
        elif not path.is_file():
            fail(key, f"{key} file '{rel}' does not exist (paths are relative to the workspace folder)")
        else:
            try:
                with path.open("rb") as fh:
                    head = fh.read(8)
            except OSError as exc:
                fail(key, f"{key} file '{rel}' cannot be read: {exc.strerror or exc}")
                continue
            if not head.startswith(magics) and not (key == "logo" and _pillow_reads(path)):
                fail(key, f"{key} file '{rel}' is not {what}")
    return out


def _pillow_reads(path: Path) -> bool:
    """True when Pillow decodes the image (a GIF or BMP logo): ReportLab and the HTML take it through Pillow."""
    # Deferred: Pillow is only needed for a GIF or BMP logo (matplotlib depends on it, so it is always there).
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.load()
    except Exception:  # Pillow raises many kinds of errors on a file that is not an image it knows
        return False
    return True


def descriptions(root: Path) -> list[tuple[str, str, str]]:
    """(name, description, problem) for every audience; an audience that fails to load has a problem instead."""
    out = []
    for name in audience_files(root):
        try:
            out.append((name, load_audience(root, name).description, ""))
        except BriefingError as exc:
            out.append((name, "", str(exc.problems[0] if exc.problems else exc)))
    return out
