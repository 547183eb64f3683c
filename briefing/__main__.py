"""The `briefing` command (and `python -m briefing`): a build's PDF worker is forked before the rest is imported."""

from __future__ import annotations

import sys

from . import render_worker
from .publish import DEFAULT_FORMATS


def run() -> None:
    """Console-script entry point: fork the PDF worker ahead if the command builds a PDF, then run the command."""
    if builds_pdf(sys.argv[1:]):
        render_worker.fork_ahead()  # it warms up ReportLab while the command line and the library are imported
    # Deferred: the command line imports the whole library (0.2-0.3 s), which the worker need not wait for.
    from .cli import run as command_line

    command_line()


def builds_pdf(argv: list[str]) -> bool:
    """Whether these arguments ask `briefing build` for a PDF (as argparse would read them; a wrong guess only
    costs a worker that is stopped unused, or one forked later)."""
    if argv[:1] != ["build"]:
        return False
    formats, args = ",".join(DEFAULT_FORMATS), iter(argv[1:])
    for arg in args:
        if arg == "--":
            break
        if arg in ("-f", "--format"):
            formats = next(args, "")
        elif arg.startswith("--format="):
            formats = arg.partition("=")[2]
        elif arg.startswith("-f") and not arg.startswith("--"):
            formats = arg[2:]
    return "pdf" in (f.strip().lower() for f in formats.split(","))


if __name__ == "__main__":
    run()
