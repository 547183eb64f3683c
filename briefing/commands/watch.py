"""`briefing watch`: rebuild on every change to the workspace until interrupted."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..build import parse_formats
from ..errors import BriefingError
from ..watch import watch
from .arguments import DEFAULT_FORMAT, FORMATS_HELP, add_command, formats_arg, name_arg, path_arg


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare `briefing watch`."""
    wt = add_command(sub, "watch", run, "Rebuild on every change to the workspace.")
    wt.add_argument("--audience", "-a", type=name_arg("audience"), help="the audience")
    wt.add_argument("--format", "-f", default=DEFAULT_FORMAT, type=formats_arg, help=FORMATS_HELP)
    wt.add_argument("--out", "-o", type=path_arg, help="output folder (default: WORKSPACE/out)")


def run(args: argparse.Namespace) -> int:
    """Build, then rebuild after every change, printing each build's lines, until Ctrl-C."""
    formats = parse_formats(args.format)
    root = Path(args.workspace)
    if not (root / "briefing.yaml").is_file():
        raise BriefingError("no briefing.yaml: is this a workspace? (create one with `briefing init DIR`)",
                            str(root / "briefing.yaml"))
    try:
        watch(root, audience=args.audience, formats=formats, out_dir=Path(args.out) if args.out else None,
              echo=lambda line: print(line, flush=True),
              on_ready=lambda: print(f"watching {os.path.normpath(root)} for changes; Ctrl-C stops", flush=True))
    except KeyboardInterrupt:
        print("stopped watching", flush=True)
    return 0
