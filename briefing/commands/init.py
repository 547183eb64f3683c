"""`briefing init DIR`: create a new, valid workspace for another topic."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..new_workspace import init_workspace
from .arguments import add_command, path_arg


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare `briefing init`."""
    i = add_command(sub, "init", run, "Create a new, valid workspace for another topic.")
    i.add_argument("dir", metavar="DIR", type=path_arg, help="folder to create (must not exist or be empty)")
    i.add_argument("--title", default="New briefing", help="the briefing's title")


def run(args: argparse.Namespace) -> int:
    """Create the workspace and say what to run next."""
    path = init_workspace(Path(args.dir), title=args.title)
    print(f"created workspace {path}; next: briefing check --workspace {path}")
    return 0
