"""`briefing schema`: write the JSON Schemas for editor validation."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..new_workspace import write_schemas
from .arguments import add_command, path_arg


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare `briefing schema`."""
    s = add_command(sub, "schema", run, "Write the JSON Schemas for editor validation.")
    s.add_argument("--out", default="schema", type=path_arg, help="folder to write to (default: schema)")


def run(args: argparse.Namespace) -> int:
    """Write the schemas and print each file written."""
    for path in write_schemas(Path(args.out)):
        print(path)
    return 0
