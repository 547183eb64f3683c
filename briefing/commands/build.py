"""`briefing build`: build the briefing, print warnings and the summary line."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..build import build, parse_formats
from ..context import user_context
from .arguments import DEFAULT_FORMAT, FORMATS_HELP, add_command, formats_arg, name_arg, path_arg


class Progress:
    """Progress lines on a terminal; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.enabled:
            print(f"  {time.perf_counter() - self.start:5.2f}s  {message}", file=sys.stderr, flush=True)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare `briefing build`."""
    b = add_command(sub, "build", run, "Build the briefing as PDF and DOCX (or HTML).")
    b.add_argument("--audience", "-a", type=name_arg("audience"),
                   help="the audience (default: briefing.yaml's audience)")
    b.add_argument("--format", "-f", default=DEFAULT_FORMAT, type=formats_arg, help=FORMATS_HELP)
    b.add_argument("--out", "-o", type=path_arg, help="output folder (default: WORKSPACE/out)")


def run(args: argparse.Namespace) -> int:
    """Build, print the warnings on stderr and the summary line on stdout."""
    formats = parse_formats(args.format)
    progress = Progress(sys.stderr.isatty() and not os.environ.get("CI"))
    result = build(Path(args.workspace), audience=args.audience, formats=formats,
                   out_dir=Path(args.out) if args.out else None, progress=progress, context=user_context(warm=False))
    for w in result.warnings:
        print(w, file=sys.stderr)
    print(result.summary())
    return 0
