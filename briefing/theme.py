"""The house look as data: colours, fonts and sizes from templates/theme.yaml, shared by every format.

The packaged templates/theme.yaml declares every key. A workspace's templates/theme.yaml and an
audience's `theme:` option change only the keys they give, in that order; the audience's older
shorthands (`brand_color`, `font_size`, `docx_font`) win over its `theme:` where both are given.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import spec
from .errors import BriefingError, Problem, errors_in
from .model import Pos
from .packaged import PACKAGE_TEMPLATES
from .yamlsafe import load_file

if TYPE_CHECKING:
    from .audiences import Audience

THEME_FILE = "theme.yaml"


@dataclass(frozen=True)
class Colors:
    """Every colour the editions draw with, as "#RRGGBB" (upper case)."""

    brand: str
    text: str
    muted: str
    rule: str
    link: str
    allegation: str
    allegation_fill: str
    disputed: str
    code_background: str
    quote_rule: str
    quote_text: str


@dataclass(frozen=True)
class ChartColors:
    """The charts' colours: the metric palette (in order of first use) and the ink, muted text, axes and grid."""

    palette: tuple[str, ...]
    ink: str
    muted: str
    axis: str
    grid: str


@dataclass(frozen=True)
class Fonts:
    """Font names: the DOCX names a font Word has (the PDF embeds files; see the audience's body_font)."""

    docx: str


@dataclass(frozen=True)
class Sizes:
    """Body text sizes in points."""

    body: float
    docx_body: float


@dataclass(frozen=True)
class Theme:
    """The house look of one build: the packaged theme, the workspace's changes, the audience's."""

    colors: Colors
    charts: ChartColors
    fonts: Fonts
    sizes: Sizes

    def digest(self) -> str:
        """A digest of every value, for caches keyed by the look (the reference docx)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


def plain_values(value: Any) -> Any:
    """A converted spec mapping without its position keys."""
    if isinstance(value, dict):
        return {k: plain_values(v) for k, v in value.items() if not k.startswith("__") and v is not None}
    return value


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _read(path: Path, rel: str, shape: spec.Field) -> tuple[dict[str, Any], list[Problem]]:
    """One theme file, checked against its shape: its values (positions stripped) and its problems."""
    tree, problems = load_file(path, rel)
    if tree is None:
        return {}, problems
    checker = spec.Checker(rel)
    data = checker.convert(tree, shape, rel, Pos(rel))
    problems += checker.problems
    return (plain_values(data) if data and not errors_in(problems) else {}), problems


def _own_file(root: Path) -> Path | None:
    """The workspace's templates/theme.yaml, unless it is the packaged file itself (the default workspace)."""
    own = Path(root) / "templates" / THEME_FILE
    if not own.is_file() or own.resolve() == (PACKAGE_TEMPLATES / THEME_FILE).resolve():
        return None
    return own


def read_workspace_theme(root: Path) -> tuple[dict[str, Any], list[Problem]]:
    """The workspace's templates/theme.yaml, read once: its values (empty if it has none, or errors) and problems."""
    own = _own_file(root)
    if own is None:
        return {}, []
    rel = f"templates/{THEME_FILE}"
    if not own.resolve().is_relative_to(Path(root).resolve()):
        return {}, [Problem(rel, 1, 1, "error", "the theme file is a link to a file outside the workspace; refused")]
    return _read(own, rel, spec.THEME_OVERRIDE)


def theme_problems(root: Path) -> list[Problem]:
    """What `check` reports about the workspace's templates/theme.yaml (none if it has none)."""
    return read_workspace_theme(root)[1]


@functools.cache
def _packaged() -> dict[str, Any]:
    """The packaged theme's values: a constant of the installed package, so read once per process."""
    path = PACKAGE_TEMPLATES / THEME_FILE
    data, problems = _read(path, str(path), spec.THEME)
    errs = errors_in(problems)
    if errs:  # the packaged file is ours: a fault in it is a bug, reported where it is
        raise BriefingError(errs[0].message, errs[0].path, errs[0].line, errs[0].column)
    return data


def load_theme(root: Path, audience: Audience | None = None, own: dict[str, Any] | None = None) -> Theme:
    """The theme for a build: packaged, then the workspace's theme.yaml (`own`, as `load` read it), then the
    audience's changes."""
    data = _packaged()
    if own is None:
        own, problems = read_workspace_theme(root)
        for problem in errors_in(problems):
            raise BriefingError(problem.message, problem.path, problem.line, problem.column)
    data = _merge(data, own)
    if audience is not None:
        data = _merge(data, audience.theme)
        # The audience's shorthands, where it gives them (in its file, or a value other than the default).
        defaults = {f.name: f.default for f in fields(audience)}
        given = {k: getattr(audience, k) for k in ("brand_color", "font_size", "docx_font")
                 if k in audience.lines or getattr(audience, k) != defaults[k]}
        if given.get("brand_color"):
            data = _merge(data, {"colors": {"brand": given["brand_color"].upper()}})
        if given.get("font_size"):
            data = _merge(data, {"sizes": {"body": given["font_size"]}})
        if given.get("docx_font"):
            data = _merge(data, {"fonts": {"docx": given["docx_font"]}})
    return _theme(data)


def packaged_theme() -> Theme:
    """The packaged theme alone: the look of a renderer called without a workspace."""
    return _theme(_packaged())


def _theme(data: dict[str, Any]) -> Theme:
    charts = dict(data["charts"], palette=tuple(data["charts"]["palette"]))
    return Theme(colors=Colors(**data["colors"]), charts=ChartColors(**charts), fonts=Fonts(**data["fonts"]),
                 sizes=Sizes(**{k: float(v) for k, v in data["sizes"].items()}))


def tint(color: str, amount: float) -> str:
    """"#RRGGBB" mixed into white: `amount` of the colour (0 is white, 1 the colour), as the PDF mixes it."""
    rgb = (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "#" + "".join(f"{round((1 - amount * (1 - c)) * 255):02X}" for c in rgb)
