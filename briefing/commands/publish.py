"""`briefing publish`: record the current evidence as a new edition."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..editions import publish
from ..inputs import load
from .arguments import add_command, date_arg


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare `briefing publish`."""
    pub = add_command(sub, "publish", run, "Record the current evidence as a new edition.")
    pub.add_argument("--date", type=date_arg, help="the edition's date (default: briefing.yaml's date)")


def run(args: argparse.Namespace) -> int:
    """Record the edition and say what it holds."""
    ws = load(Path(args.workspace)).checked().workspace
    assert ws is not None  # checked() raised otherwise
    path, ed = publish(ws, args.date)
    print(f"recorded edition {ed.number} ({ed.date}): {len(ed.claims)} claims, {len(ed.sources)} sources,"
          f" {len(ed.judgements)} judgements in {path}; commit it with the evidence")
    return 0
