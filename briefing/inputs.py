"""Stage 1 as one call: `load(root, audience)` reads every input a build depends on, once.

The workspace (evidence, sources, analysis, charts, scale, briefing.yaml), the edition the
briefing compares against, every audience's options, the template sources and the theme. Every
problem is collected with its position; nothing after this reads a workspace file again, and
`check` sees exactly what the build sees. `input_files` is the one list of input files: the
manifest's digest and `watch` both use it.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from . import __version__
from .audiences import Audience, audience_files, audience_problems
from .changes import Changes, changes_for
from .editions import EDITIONS_DIR, Edition, baseline_of, recorded
from .errors import BriefingError, Problem, errors_in
from .model import Scale, Workspace
from .packaged import PACKAGE_TEMPLATES
from .spec import _hint
from .templating import TemplateSources, read_templates
from .theme import Theme, load_theme, read_workspace_theme
from .validate import validate
from .workspace import EVIDENCE_SUFFIXES, read_workspace
from .yamlsafe import MAX_BYTES, ParsedFiles

# Where a workspace keeps its inputs: these top-level files, and the files of these folders.
INPUT_FILES = ("briefing.yaml", "sources.yaml", "analysis.yaml", "charts.yaml", "scale.yaml")
INPUT_DIRS = ("evidence", "templates", "editions")
YAML_SUFFIXES = (".yaml", ".yml")


def is_input(rel: Path) -> bool:
    """True for a workspace-relative file path the build reads (editor swap files and hidden files are not)."""
    name = rel.name
    if not rel.parts or name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp")):
        return False
    if len(rel.parts) == 1:
        return name in INPUT_FILES
    top = rel.parts[0]
    if top == "evidence":  # the loader reads evidence/*.yaml and *.yml (any case), no sub-folders
        return len(rel.parts) == 2 and rel.suffix.lower() in EVIDENCE_SUFFIXES
    if top == "editions":
        return len(rel.parts) == 2 and rel.suffix in YAML_SUFFIXES
    return top == "templates"


def input_files(root: Path) -> tuple[Path, ...]:
    """Every input file of a workspace, in a stable order: the top-level files (named even when absent), then
    the files of evidence/, templates/ and editions/."""
    root = Path(root)
    paths = [root / n for n in INPUT_FILES]
    for folder in INPUT_DIRS:
        if (root / folder).is_dir():
            paths += sorted(p for p in (root / folder).rglob("*")
                            if is_input(p.relative_to(root)) and p.is_file())
    return tuple(paths)


def asset_files(root: Path, audiences: Iterable[Audience]) -> tuple[Path, ...]:
    """The files the audiences name (logo, body_font) that lie in the workspace outside its input folders:
    inputs too, found only once the audiences are read."""
    root = Path(root)
    inside = root.resolve()
    found = set()
    for audience in audiences:
        for given in (audience.logo, audience.body_font):
            real = (root / given).resolve() if given else None
            if real is None or not real.is_relative_to(inside) or not real.is_file():
                continue  # none, or refused by the audience's own check
            rel = real.relative_to(inside)
            if not is_input(rel):  # those in the input folders are listed already
                found.add(root / rel)
    return tuple(sorted(found))


def input_digest(root: Path, files: tuple[Path, ...] | None = None) -> str:
    """A digest of every input file (names and contents) and the tool's version: what outputs were built from."""
    root = Path(root)
    h = hashlib.sha256()
    for p in input_files(root) if files is None else files:
        with contextlib.suppress(OSError):
            h.update(p.relative_to(root).as_posix().encode() + b"\0")
            st = p.stat()
            if st.st_size > MAX_BYTES:  # refused by the loader anyway: never read a huge file just to hash it
                h.update(f"{st.st_size}:{st.st_mtime_ns}\0".encode())
            else:
                h.update(p.read_bytes() + b"\0")
    h.update(__version__.encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Inputs:
    """Everything a build reads, loaded once, with every problem found on the way."""

    root: Path
    workspace: Workspace | None  # None when the workspace cannot be used at all
    problems: tuple[Problem, ...]
    audience_name: str  # the audience asked for, else briefing.yaml's
    audiences: Mapping[str, Audience]  # every audience whose file loaded cleanly, by name
    audience_names: tuple[str, ...]  # every audience, packaged and the workspace's
    templates: TemplateSources  # the template sources, read once; compose renders from these
    baseline: Edition | None  # the recorded edition the briefing compares against
    changes: Changes | None  # what changed since it ("What changed"), on the uncapped evidence
    files: tuple[Path, ...]  # every input file, the audiences' logo and font included (the manifest's digest, `watch`)
    theme: Theme | None = None  # the audience's look (colours, fonts, sizes); None when the audience is unusable

    @property
    def scale(self) -> Scale | None:
        """The confidence scale (the workspace's, else the packaged one)."""
        return self.workspace.scale if self.workspace else None

    @property
    def audience(self) -> Audience | None:
        """The audience to build, or None when it does not exist or its file has errors."""
        return self.audiences.get(self.audience_name)

    @property
    def errors(self) -> list[Problem]:
        """The problems that stop a build."""
        return errors_in(list(self.problems))

    def checked(self) -> Inputs:
        """These inputs, if a build can use them; else a BriefingError carrying every problem."""
        errs = self.errors
        if errs or self.workspace is None:
            first = errs[0] if errs else Problem(str(self.root), 0, 0, "error", "workspace cannot be loaded")
            raise BriefingError(first.message, first.path, first.line, first.column, problems=self.problems)
        if self.audience is None:
            names = self.audience_names
            raise BriefingError(f"unknown audience '{self.audience_name}'; available: {', '.join(names)}"
                                f"{_hint(self.audience_name, names)}")
        return self

    @property
    def ready(self) -> tuple[Workspace, Audience]:
        """The workspace and the audience of inputs that passed `checked`."""
        ws, audience = self.checked().workspace, self.audience
        assert ws is not None and audience is not None  # checked() raised otherwise
        return ws, audience


def load(root: Path, audience: str | None = None, parsed: ParsedFiles | None = None) -> Inputs:
    """Read every input of a build of `audience` (default: briefing.yaml's), collecting every problem.
    `parsed` (a build context's) keeps the evidence's and the editions' YAML trees between builds."""
    root = Path(root)
    files = input_files(root) if root.is_dir() else ()
    templates = read_templates(root / "templates", PACKAGE_TEMPLATES)
    ws, problems = read_workspace(root, parsed)
    own_theme, theme_problems = read_workspace_theme(root)
    problems += theme_problems
    loaded: dict[str, tuple[Audience | None, list[Problem]]] = {}
    names: tuple[str, ...] = ()
    base: Edition | None = None
    changes: Changes | None = None
    if ws is not None:
        names = tuple(audience_files(root))
        loaded = {name: audience_problems(root, name) for name in names}
        history: list[Problem] = []
        try:
            base = baseline_of(root, recorded(root), ws.meta, parsed)
        except BriefingError as exc:  # a corrupt record: reported where it is, the build stops
            history.append(Problem(exc.path or EDITIONS_DIR, exc.line or 1, exc.column or 1, "error", exc.message))
        problems = sorted(set(problems + history + validate(ws, base, loaded)), key=order)
        # Compared only on a clean workspace: that is the only one a briefing is built from.
        changes = changes_for(ws, base) if not errors_in(problems) else None
    audiences = {name: a for name, (a, _) in loaded.items() if a is not None}
    files += asset_files(root, audiences.values())
    chosen = audience or (ws.meta.audience if ws else "") or "executive"
    look = None
    if chosen in audiences and not errors_in(theme_problems):
        look = load_theme(root, audiences[chosen], own_theme)
    return Inputs(root=root, workspace=ws, problems=tuple(problems), audience_name=chosen,
                  audiences=MappingProxyType(audiences), audience_names=names, templates=templates,
                  baseline=base, changes=changes, files=files, theme=look)


def order(p: Problem) -> tuple[str, int, int, str, str]:
    """The order problems are reported in: by file, line, column."""
    return (p.path, p.line, p.column, p.severity, p.message)


def load_workspace(root: Path) -> tuple[Workspace | None, list[Problem]]:
    """The workspace and every problem `load` finds (for callers that need no audience)."""
    inputs = load(root)
    return inputs.workspace, list(inputs.problems)
