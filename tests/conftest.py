"""Shared fixtures: build small workspaces in a temporary folder and look for the problems they raise."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

BRIEFING = {
    "title": "Test briefing",
    "date": "2026-01-01",
    "edition": "1",
    "marking": "For internal use",
}

# Two independent, disinterested sources: enough for `high` on the packaged scale.
SOURCES = [
    {"id": "src-a", "type": "report", "title": "Source A", "URL": "https://example.org/a", "kind": "analysis"},
    {"id": "src-b", "type": "article-newspaper", "title": "Source B", "container-title": "Example Daily",
     "URL": "https://example.org/b", "kind": "news"},
]

CLAIM = {
    "id": "claim-a",
    "title": "A claim",
    "claim": "Something happened.",
    "date": "2026-01-01",
    "confidence": "high",
    "sources": ["src-a", "src-b"],
}


# An audience that prints a logo kept outside the input folders (write assets/logo.png with png_bytes).
LOGO_AUDIENCE = "description: With a logo\nsections: [documented, references]\nlogo: assets/logo.png\n"


def png_bytes(color: str) -> bytes:
    """A small PNG of one colour."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 4), color).save(out, format="PNG")
    return out.getvalue()


def _text(content) -> str | bytes:
    if isinstance(content, (str, bytes)):
        return content
    return yaml.safe_dump(content, sort_keys=False, allow_unicode=True)


def write_workspace(root: Path, *, briefing=None, sources=None, evidence=None, files=None) -> Path:
    """Write a workspace: each content is a dict/list (dumped as YAML), a str or bytes (written verbatim).

    `sources` is the list of references (or the whole file as a str); `evidence` maps file names in
    evidence/ to contents (default: one `high` claim citing both default sources); `files` adds any
    other file by its path relative to the workspace. Pass None to keep a default, and leave a file out
    by removing it afterwards.
    """
    root.mkdir(parents=True, exist_ok=True)
    if sources is None:
        sources = SOURCES
    if not isinstance(sources, (str, bytes)):
        sources = {"references": sources}
    if evidence is None:
        evidence = {"claim-a.yaml": CLAIM}
    contents = {"briefing.yaml": BRIEFING if briefing is None else briefing, "sources.yaml": sources}
    contents.update({f"evidence/{name}": body for name, body in evidence.items()})
    contents.update(files or {})
    (root / "evidence").mkdir(exist_ok=True)
    for rel, body in contents.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        body = _text(body)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8", newline="")
    return root


@pytest.fixture(autouse=True, scope="session")
def _private_user_cache(tmp_path_factory):
    """The command line keeps compiled templates in the user's cache folder: the suite (and the commands it
    runs) keeps them in its own, never in the real ~/.cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
    yield
    mp.undo()


@pytest.fixture
def make_workspace(tmp_path):
    """A factory: make_workspace(**parts) writes a workspace under tmp_path and returns its folder."""
    counter = [0]

    def make(name: str | None = None, **parts) -> Path:
        counter[0] += 1
        return write_workspace(tmp_path / (name or f"ws{counter[0]}"), **parts)

    return make


def problems_of(root: Path):
    """Load a workspace in-process: its problems."""
    from briefing.inputs import load_workspace as load

    return load(root)[1]


def matching(problems, text: str, severity: str | None = None) -> list:
    """The problems whose message contains `text` (and of that severity)."""
    return [p for p in problems if text in p.message and (severity is None or p.severity == severity)]


def one(problems, text: str, severity: str = "error"):
    """The single problem whose message contains `text`; fails with the whole list otherwise."""
    found = matching(problems, text, severity)
    assert len(found) == 1, f"expected one {severity} with {text!r}, got:\n" + "\n".join(map(str, problems))
    return found[0]


def line_of(path: Path, text: str, nth: int = 1) -> int:
    """The 1-based number of the line of `path` where `text` occurs the nth time."""
    seen = 0
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            seen += 1
            if seen == nth:
                return number
    raise AssertionError(f"{text!r} not found in {path}")


WORKSPACE_FILES = ("briefing.yaml", "sources.yaml", "analysis.yaml", "charts.yaml", "scale.yaml", "evidence",
                   "editions", "templates")


def copy_workspace(dest: Path, names=WORKSPACE_FILES) -> Path:
    """A copy of the default workspace (the repository root) to build or modify freely; never its out/."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        elif src.is_file():
            shutil.copy2(src, dest / name)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in a file with `new`, failing if `old` is not there."""
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), "utf-8")
