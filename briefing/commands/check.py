"""`briefing check`: validate the workspace and list every problem as path:line:column."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..compose import check
from ..errors import errors_in
from ..inputs import load
from .arguments import add_command


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare `briefing check`."""
    add_command(sub, "check", run, "Validate the workspace and list every problem as path:line:column.")


def run(args: argparse.Namespace) -> int:
    """Print every problem, then the counts on stderr; exit 1 on errors."""
    problems = check(load(Path(args.workspace)))
    for p in problems:
        print(p)
    errs = len(errors_in(problems))
    warns = len(problems) - errs
    print(f"{errs} error(s), {warns} warning(s)" if problems else "workspace is clean", file=sys.stderr)
    return 1 if errs else 0
