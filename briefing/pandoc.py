"""Running the pandoc that pypandoc-binary ships: no system install, one parse per build."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from .errors import BriefingError
from .pandoc_ast import Json


@functools.cache
def pandoc_path() -> str:
    """Path to the pandoc binary (found without importing pypandoc, which is slow to import)."""
    spec = importlib.util.find_spec("pypandoc")
    if spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "files" / ("pandoc.exe" if os.name == "nt" else "pandoc")
            if candidate.exists():
                return str(candidate)
    try:
        import pypandoc

        path: str = pypandoc.get_pandoc_path()
        return path
    except (ImportError, OSError) as exc:
        raise BriefingError(f"pandoc not found ({exc}); install pypandoc-binary") from None


def env(source_date_epoch: int) -> dict[str, str]:
    """The environment pandoc runs in: a fixed date so outputs are reproducible."""
    e = dict(os.environ)
    e["SOURCE_DATE_EPOCH"] = str(source_date_epoch)
    return e


def run(args: list[str], stdin: bytes, *, source_date_epoch: int, what: str) -> bytes:
    """Run pandoc and return its output; a failure becomes one clear error line."""
    try:
        proc = subprocess.run([pandoc_path(), *args], input=stdin, capture_output=True,
                              env=env(source_date_epoch), timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BriefingError(f"pandoc failed while {what}: {exc}") from None
    if proc.returncode != 0:
        first = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["(no message)"])[0]
        raise BriefingError(f"pandoc failed while {what}: {first}")
    return proc.stdout


_PARSED: dict[str, bytes] = {}  # a warm process (watch) re-parses only when pandoc's input changed
_PARSED_MAX = 4


def parse(markdown: str, *, bibliography: list[dict[str, Any]], csl: Path, source_date_epoch: int,
          work_dir: Path | None = None) -> Json:
    """Parse the composed Markdown once, with citeproc, into pandoc's JSON AST; the references file goes in
    `work_dir` (the build's own, which the next build cleans after a kill -9), else the system's temp folder."""
    bib_json = json.dumps(bibliography, ensure_ascii=False)
    try:
        csl_bytes = Path(csl).read_bytes()
    except OSError:
        csl_bytes = b""  # pandoc reports the unreadable file itself
    key = hashlib.sha256(b"\0".join([markdown.encode("utf-8"), bib_json.encode("utf-8"), str(csl).encode(),
                                     csl_bytes, str(source_date_epoch).encode()])).hexdigest()
    out = _PARSED.get(key)
    if out is None:
        if work_dir is not None:
            Path(work_dir).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="briefing-", dir=work_dir) as tmp:
            bib = Path(tmp) / "references.json"
            bib.write_text(bib_json, encoding="utf-8")
            out = run(["-f", "markdown-implicit_header_references", "-t", "json", "--citeproc",
                       f"--csl={csl}", f"--bibliography={bib}", "-M", "link-citations=true",
                       "-M", "suppress-bibliography=false"],
                      markdown.encode("utf-8"), source_date_epoch=source_date_epoch, what="parsing the briefing")
        while len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = out
    ast: Json = json.loads(out)  # a fresh tree each time: callers may keep or change theirs
    return ast
