"""`briefing new evidence` and `briefing new source`: scaffold an entry and print where to start."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from ..new_entries import new_evidence, new_source


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare `briefing new evidence` and `briefing new source`."""
    n = sub.add_parser("new", help="Scaffold a new evidence or source entry.",
                       description="Scaffold a new evidence file or source entry.")
    nsub = n.add_subparsers(dest="new_command", required=True, metavar="KIND")
    for kind, help_ in (("evidence", "a new evidence file with a fresh id"), ("source", "a new source entry")):
        k = nsub.add_parser(kind, help=help_)
        k.add_argument("--workspace", "-w", default=".", metavar="DIR", help="the workspace folder (default: .)")
        k.add_argument("--id", help="the id (default: generated)")
        k.add_argument("--title", default="", help="a short title")
        k.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Scaffold the entry the sub-command names and print `path:line:` where it starts."""
    root = Path(args.workspace)
    if args.new_command == "evidence":
        path, line = new_evidence(root, args.id, args.title or "")
        print(f"{_shown(path)}:{line}: created; replace each TODO, then run `briefing check`")
    else:
        path, line, sid = new_source(root, args.id, args.title or "")
        print(f"{_shown(path)}:{line}: added source '{sid}'; replace each TODO, then cite it"
              f" from evidence as `- {sid}`")
    return 0


def _shown(path: Path) -> str:
    """A path as the user typed the workspace: relative when it can be."""
    with contextlib.suppress(ValueError):
        return path.resolve().relative_to(Path.cwd()).as_posix()
    return path.as_posix()
