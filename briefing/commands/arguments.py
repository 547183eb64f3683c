"""Argument types and options shared by the commands: one-line errors, values checked before any work."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..publish import DEFAULT_FORMATS, FORMATS  # the one list of output formats
from ..spec import is_date

FORMATS_HELP = f"comma-separated: {', '.join(FORMATS)} (default: {','.join(DEFAULT_FORMATS)})"
DEFAULT_FORMAT = ",".join(DEFAULT_FORMATS)


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
                func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
    """A sub-command with the `--workspace` option every command takes."""
    c = sub.add_parser(name, help=help_, description=help_)
    c.add_argument("--workspace", "-w", default=".", metavar="DIR", type=path_arg,
                   help="the workspace folder (default: .)")
    c.set_defaults(func=func)
    return c


def formats_arg(text: str) -> str:
    """`--format`: a comma-separated list of known output formats, at least one; returned normalised."""
    names = [f.strip().lower() for f in text.split(",")]
    if not any(names):
        raise argparse.ArgumentTypeError(f"no format given; choose from: {', '.join(FORMATS)}")
    for name in names:
        if name not in FORMATS:
            shown = printable(name) if name else "an empty name"
            raise argparse.ArgumentTypeError(f"unknown format {shown}; choose from: {', '.join(FORMATS)}")
    return ",".join(dict.fromkeys(names))


def name_arg(what: str) -> Callable[[str], str]:
    """An argument naming a thing (audience, edition): not empty, no control characters."""

    def check(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"the {what} name is empty")
        if any(ord(c) < 32 or ord(c) == 127 for c in text):
            raise argparse.ArgumentTypeError(f"the {what} name {printable(text)} holds a control character")
        return text

    return check


def path_arg(text: str) -> str:
    """A folder argument: not empty and without NUL (which no file system accepts)."""
    if not text:
        raise argparse.ArgumentTypeError("the path is empty")
    if "\0" in text:
        raise argparse.ArgumentTypeError("the path holds a NUL character")
    return text


def date_arg(text: str) -> str:
    """`publish --date`: an ISO date, possibly partial, within the range the docs state."""
    if not is_date(text.strip()):
        raise argparse.ArgumentTypeError(f"{printable(text)} is not a date like 2026-02-23, 2026-02 or 2026"
                                         " (years 1900 to 2199)")
    return text.strip()


def printable(text: str) -> str:
    """A value quoted for a one-line message: control characters escaped, so it cannot forge lines."""
    return "'" + text.encode("unicode_escape").decode("ascii") + "'" if not text.isprintable() else f"'{text}'"
