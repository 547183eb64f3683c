"""`briefing audiences` and `briefing audience new`: list the audiences, start a new one from another."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..audiences import PACKAGE_AUDIENCES, descriptions
from ..new_audience import new_audience, rel_path
from .arguments import add_command


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare `briefing audiences` and `briefing audience new`."""
    add_command(sub, "audiences", run_list, "List the audiences, one per line.")
    a = sub.add_parser("audience", help="Manage audiences.", description="Manage audiences.")
    asub = a.add_subparsers(dest="audience_command", required=True, metavar="ACTION")
    an = asub.add_parser("new", help="Create a new audience in templates/, ready to edit.")
    an.add_argument("--workspace", "-w", default=".", metavar="DIR", help="the workspace folder (default: .)")
    an.add_argument("name", help="the new audience's name")
    an.add_argument("--from", dest="base", default="executive", help="the audience to start from")
    an.set_defaults(func=run)


def run_list(args: argparse.Namespace) -> int:
    """`briefing audiences`: each audience on one line, its name then its description."""
    rows = descriptions(Path(args.workspace))
    width = max((len(name) for name, _, _ in rows), default=0)
    failed = 0
    for name, description, problem in rows:
        if problem:
            failed += 1
            print(problem, file=sys.stderr)
            continue
        print(f"{name:<{width}}  {description}")
    return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    """`briefing audience new NAME --from BASE`: write NAME.yaml and NAME.md.j2 into templates/audiences/."""
    root = Path(args.workspace)
    yaml_path, template_path = new_audience(root, args.name, args.base)
    note = " (it overrides the packaged one)" if (PACKAGE_AUDIENCES / f"{args.name}.yaml").is_file() else ""
    print(f"created {rel_path(yaml_path, root)} and {rel_path(template_path, root)} from '{args.base}'{note}")
    print(f"next: edit them, then run: briefing build --audience {args.name}"
          + (f" --workspace {root}" if root.resolve() != Path.cwd().resolve() else ""))
    return 0
