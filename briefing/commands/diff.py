"""`briefing diff [--since N]`: what changed since the last recorded edition, or edition N."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..changes import compare, format_changes
from ..editions import EDITION_NUMBER, EDITIONS_DIR, read_edition, recorded, snapshot
from ..errors import BriefingError, errors_in
from ..inputs import load_workspace as load
from .arguments import add_command


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare `briefing diff`."""
    d = add_command(sub, "diff", run, "Show what changed since the last (or a given) edition.")
    d.add_argument("--since", metavar="EDITION", help="the edition number to compare with")


def run(args: argparse.Namespace) -> int:
    """Print the changes; a workspace with errors still compares, with a note on stderr."""
    root = Path(args.workspace)
    ws, problems = load(root)
    if ws is None:
        p = errors_in(problems)[0]
        raise BriefingError(p.message, p.path, p.line, p.column)
    numbers = recorded(root)
    if not numbers:
        raise BriefingError("no edition is recorded yet; record one with `briefing publish`", EDITIONS_DIR)
    if args.since is None:
        since = max(numbers)
    elif EDITION_NUMBER.match(str(args.since).strip()):
        since = int(str(args.since).strip())
    else:
        raise BriefingError(f"--since '{args.since}' is not an edition number")
    if since not in numbers:
        raise BriefingError(f"edition {since} is not recorded; recorded: {', '.join(map(str, sorted(numbers)))}",
                            EDITIONS_DIR)
    ch = compare(read_edition(root, since, numbers[since]), snapshot(ws), ws)
    sys.stdout.write(format_changes(ch))
    errs = errors_in(problems)
    if errs:
        print(f"note: the workspace has {len(errs)} error(s); `briefing check` lists them", file=sys.stderr)
    return 0
