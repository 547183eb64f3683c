"""`briefing watch`: rebuild on every change to the workspace, in one warm process.

Modules stay imported between builds and charts whose data did not change come from the
content-keyed cache (briefing/chart_drawing.py), so a rebuild after one evidence edit skips matplotlib
entirely. A failed rebuild prints its errors and leaves the last good briefing in out/ (builds
are atomic).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .build import DEFAULT_FORMATS, BuildResult, build
from .context import user_context
from .errors import BriefingError, errors_in
from .inputs import INPUT_DIRS, input_digest, input_files
from .inputs import is_input as is_input_file

WATCHED_DIRS = INPUT_DIRS


def watched_dirs(root: Path, assets: Iterable[Path] = ()) -> tuple[str, ...]:
    """The folders to watch (each non-recursively): the workspace itself, its input folders, and the folders of
    `assets` (the logo and font files the audiences name).

    Watching the root recursively would also watch out/, .git and any virtualenv: thousands of
    folders and a rebuild loop on our own output.
    """
    out = [root]
    for name in WATCHED_DIRS:
        folder = root / name
        if folder.is_dir() and not folder.is_symlink():
            out.append(folder)
            if name == "templates":  # template overrides may sit in sub-folders (sections/, audiences/)
                out += sorted(p for p in folder.rglob("*")
                              if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    out += sorted({a.parent for a in assets} - set(out))
    return tuple(str(p) for p in out)


def is_input(root: Path, path: str, assets: Iterable[Path] = ()) -> bool:
    """True for a change the briefing depends on; editor swap files, out/ and hidden files are ignored."""
    if Path(path) in assets:
        return True
    try:
        rel = Path(path).relative_to(root)
    except ValueError:
        return False
    if len(rel.parts) == 1 and rel.name in WATCHED_DIRS:
        return True  # an input folder appearing or going away
    return is_input_file(rel)  # the rule `input_files` lists the build's inputs by


def inputs_digest(root: Path, assets: tuple[Path, ...] = ()) -> str:
    """What a rebuild depends on: the manifest's digest of every input file (the recorded editions, and the
    audiences' logo and font files the last build read, too)."""
    return input_digest(root, input_files(root) + assets)


def _describe(root: Path, changes: Iterable[tuple[object, str]]) -> str:
    names = sorted({Path(p).relative_to(root).as_posix() for _, p in changes})
    if not names:
        return "rebuilt"
    more = f" and {len(names) - 2} more" if len(names) > 2 else ""
    return f"rebuilt after {', '.join(names[:2])}{more} changed"


def _quiet(line: str) -> None:
    """No output."""


def watch(root: Path, *, audience: str | None = None, formats: Sequence[str] = DEFAULT_FORMATS,
          out_dir: Path | None = None, stop: threading.Event | None = None, max_builds: int | None = None,
          echo: Callable[[str], None] | None = None, on_ready: Callable[[], None] | None = None,
          on_build: Callable[[BuildResult | None, list[str]], None] | None = None,
          step_ms: int = 100, timeout_ms: int = 1000) -> int:
    """Build now, then after every change until `stop` is set or `max_builds` builds ran; returns the build count.

    `on_ready` is called once, when file events are first being received; `on_build(result, errors)` after
    every build (result None and the error lines when it failed).
    """
    import watchfiles  # deferred: ~90 ms (it pulls in anyio) that every other command would pay at start-up

    echo = echo or _quiet  # the library prints nothing itself: the command passes `print`
    root = Path(root).resolve()
    builds, digest = 0, ""
    assets: tuple[Path, ...] = ()  # the logo and font files the last build read outside the input folders
    context = user_context(warm=True)  # the warm process keeps every cache; compiled templates on disk too

    def rebuild(what: str) -> None:
        nonlocal builds, digest, assets
        # The digest is taken before building, so an edit made during the build triggers another one.
        digest = inputs_digest(root, assets)
        builds += 1
        try:
            result = build(root, audience=audience, formats=formats, out_dir=out_dir, context=context)
        except BriefingError as exc:
            errors = [str(p) for p in errors_in(exc.problems)] or [str(exc)]
            for line in errors:
                echo(line)
            echo(f"build failed with {len(errors)} error(s); the last good briefing stays in place")
            if on_build:
                on_build(None, errors)
        except Exception as exc:  # a renderer bug must not end the watch
            error = f"error: internal error: {type(exc).__name__}: {exc}"
            echo(f"{error}; the last good briefing stays in place")
            if on_build:
                on_build(None, [error])
        else:
            listed = set(input_files(root))
            found = tuple(p for p in result.inputs if p not in listed)
            if found != assets:  # a new logo or font: watch it, and count it in the digest from now on
                # (taken after the build this once: an edit made during this one build waits for the next)
                assets, digest = found, inputs_digest(root, found)
            warn = len(result.warnings)
            echo(f"{what}: {result.summary()}" + (f" ({warn} warning(s); `briefing check` lists them)" if warn else ""))
            if on_build:
                on_build(result, [])

    def done() -> bool:
        return bool(stop and stop.is_set()) or (max_builds is not None and builds >= max_builds)

    rebuild("first build")
    while not done():
        dirs = watched_dirs(root, assets)
        first = True
        for changes in watchfiles.watch(*dirs, watch_filter=lambda _c, p: is_input(root, p, assets), step=step_ms,
                                        stop_event=stop, rust_timeout=timeout_ms, yield_on_timeout=True,
                                        recursive=False):
            # The first yield means the watcher is running: catch up on edits made before it started.
            # Saves that leave the content unchanged are not worth a rebuild.
            if (changes or first) and inputs_digest(root, assets) != digest:
                rebuild(_describe(root, changes))
            if first and on_ready:
                on_ready()
                on_ready = None
            first = False
            if done():
                return builds
            if watched_dirs(root, assets) != dirs:
                break  # a watched folder appeared or went away (or a new logo's): watch the new set
        else:
            break  # the stop event ended the watch
    return builds
