"""Publishing a build into out/: one build at a time, every file renamed into place together, and a manifest.

A build runs inside `publishing()`: it takes the folder's lock, removes what a killed build left,
and records in the manifest whether the build finished. The outputs are written to temporary
files (`Publication.files`) that are renamed onto their targets only when every format is done.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import atomic_path, write_text
from .errors import BriefingError, errors_in

FORMATS = ("pdf", "docx", "html")  # every format a build can write: the one list the commands read
DEFAULT_FORMATS = ("pdf", "docx")  # what `briefing build` writes when no --format is given

# A killed build (kill -9) runs no cleanup: the next build into the same folder removes what it left.
# Only names our own writers make are touched: `.{target}.{random}.tmp` and the work folder.
WORK_DIR = ".tmp"
CHART_CACHE = ".cache/charts"
_STALE = {".": (*(f".*.{fmt}.*.tmp" for fmt in FORMATS), ".manifest.json.*.tmp"),
          CHART_CACHE: (".*.json.*.tmp", ".*.svg.*.tmp", ".*.png.*.tmp"), ".cache/references": (".*.tmp",),
          ".cache/parses": (".*.tmp",)}


@dataclass(frozen=True)
class Publication:
    """The output folder of a running build: where its work files, chart cache and outputs go."""

    folder: Path  # absolute: pandoc reads the chart cache from its own work folder
    digest: str  # of the inputs the build reads: what the manifest says the outputs were built from

    @property
    def work_dir(self) -> Path:
        """pandoc's work files, removed when the build ends (and by the next build after a kill -9)."""
        return self.folder / WORK_DIR

    @property
    def chart_cache(self) -> Path:
        """The charts drawn so far, by content digest."""
        return self.folder / CHART_CACHE

    @contextlib.contextmanager
    def files(self, name: str, formats: tuple[str, ...]) -> Iterator[Mapping[str, Path]]:
        """Temporary files for `name.{format}`, renamed onto their targets together when the block succeeds."""
        with contextlib.ExitStack() as stack:
            yield {fmt: stack.enter_context(atomic_path(self.target(name, fmt))) for fmt in formats}

    def target(self, name: str, fmt: str) -> Path:
        """The file a format is published as."""
        return self.folder / f"{name}.{fmt}"

    def manifest(self, outputs: Mapping[str, Path], audience: str | None, counts: Mapping[str, int]) -> None:
        """Record in the manifest that the build published `outputs` from the current inputs."""
        write_manifest(self.folder, self.digest, outputs, audience, counts)


@contextlib.contextmanager
def publishing(out_dir: Path, digest: str) -> Iterator[Publication]:
    """Hold the folder's lock for a build; if the build fails, say so in the manifest, then re-raise."""
    with build_lock(out_dir):
        clean_stale(out_dir)
        try:
            yield Publication(out_dir, digest)
        except BaseException as exc:  # an error, a bug or a signal: the manifest must not still say "built"
            record_failure(out_dir, digest, failure_text(exc))
            raise
        finally:
            with contextlib.suppress(OSError):  # empty once pandoc's work folder is gone
                (out_dir / WORK_DIR).rmdir()


@contextlib.contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """Serialise builds into one folder: a second build waits instead of interleaving writes."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fh = open(out_dir / ".build.lock", "a+b")  # noqa: SIM115 - held for the whole block
    except OSError as exc:
        raise BriefingError(f"cannot write to the output folder: {exc.strerror or exc}", str(out_dir)) from None
    try:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def clean_stale(out_dir: Path) -> None:
    """Remove temporary files and work folders an earlier, killed build left in `out_dir` (hold the build lock)."""
    for sub, patterns in _STALE.items():
        folder = out_dir / sub
        for pattern in patterns:
            for p in folder.glob(pattern):
                with contextlib.suppress(OSError):
                    p.unlink()
    shutil.rmtree(out_dir / WORK_DIR, ignore_errors=True)


def failure_text(exc: BaseException) -> str:
    """What the manifest records as the reason a build failed: the first error, never a warning."""
    if _interrupted(exc):
        return "error: the build was interrupted"
    if isinstance(exc, BriefingError):
        first = (errors_in(exc.problems) or exc.problems)[:1]
        return str(first[0]) if first else str(exc)
    return f"error: internal error: {type(exc).__name__}: {exc}"


def _interrupted(exc: BaseException | None) -> bool:
    """True if a Ctrl-C or signal is behind `exc`, even when a library turned it into another exception."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _manifest_path(out_dir: Path) -> Path:
    return out_dir / "manifest.json"


def _read_manifest(out_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads(_manifest_path(out_dir).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_manifest(out_dir: Path, digest: str, outputs: Mapping[str, Path], audience: str | None,
                   counts: Mapping[str, int]) -> None:
    """Record what the build wrote: each output's digest, the inputs' digest, and the counts."""
    files = {}
    for fmt, path in outputs.items():
        p = out_dir / Path(path).name
        files[fmt] = {"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
    data = {"status": "built", "inputs_sha256": digest, "audience": audience, "outputs": files, **counts}
    write_text(_manifest_path(out_dir), json.dumps(data, indent=2, sort_keys=True) + "\n")


def record_failure(out_dir: Path, digest: str, error: str) -> None:
    """Say in the manifest that the files in out/ predate the current evidence, so none looks current."""
    old = _read_manifest(out_dir)
    data = {**old, "status": "failed", "failed_inputs_sha256": digest, "error": error,
            "note": "the outputs listed were built from older inputs (inputs_sha256); the last build failed"}
    with contextlib.suppress(BriefingError):
        write_text(_manifest_path(out_dir), json.dumps(data, indent=2, sort_keys=True) + "\n")
