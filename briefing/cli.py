"""The `briefing` command line: check, build, init and the rest; errors are one line, never a traceback."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import NoReturn

from .errors import BriefingError, errors_in


def _check(args: argparse.Namespace) -> int:
    from .workspace import check

    _, problems = check(Path(args.workspace))
    for p in problems:
        print(p)
    errs = len(errors_in(problems))
    warns = len(problems) - errs
    print(f"{errs} error(s), {warns} warning(s)" if problems else "workspace is clean", file=sys.stderr)
    return 1 if errs else 0


def _init(args: argparse.Namespace) -> int:
    from .new_workspace import init_workspace

    path = init_workspace(Path(args.dir), title=args.title)
    print(f"created workspace {path}; next: briefing check --workspace {path}")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from .new_workspace import write_schemas

    for path in write_schemas(Path(args.out)):
        print(path)
    return 0


def _build(args: argparse.Namespace) -> int:
    from .build import build_command

    return build_command(args)


def _lazy(module: str, func: str) -> Callable[[argparse.Namespace], int]:
    """A handler that imports its module only when the command runs (keeps start-up fast)."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        code: int = getattr(importlib.import_module(f"briefing.{module}"), func)(args)
        return code

    return handler


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (no usage block) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def formats_arg(text: str) -> str:
    """`--format`: a comma-separated list of known output formats, at least one; returned normalised."""
    from .build import FORMATS

    names = [f.strip().lower() for f in text.split(",")]
    if not any(names):
        raise argparse.ArgumentTypeError(f"no format given; choose from: {', '.join(FORMATS)}")
    for name in names:
        if name not in FORMATS:
            shown = _printable(name) if name else "an empty name"
            raise argparse.ArgumentTypeError(f"unknown format {shown}; choose from: {', '.join(FORMATS)}")
    return ",".join(dict.fromkeys(names))


def _name_arg(what: str) -> Callable[[str], str]:
    """An argument naming a thing (audience, edition): not empty, no control characters."""

    def check(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"the {what} name is empty")
        if any(ord(c) < 32 or ord(c) == 127 for c in text):
            raise argparse.ArgumentTypeError(f"the {what} name {_printable(text)} holds a control character")
        return text

    return check


def _path_arg(text: str) -> str:
    """A folder argument: not empty and without NUL (which no file system accepts)."""
    if not text:
        raise argparse.ArgumentTypeError("the path is empty")
    if "\0" in text:
        raise argparse.ArgumentTypeError("the path holds a NUL character")
    return text


def _date_arg(text: str) -> str:
    """`publish --date`: an ISO date, possibly partial, within the range the docs state."""
    from .spec import is_date

    if not is_date(text.strip()):
        raise argparse.ArgumentTypeError(f"{_printable(text)} is not a date like 2026-02-23, 2026-02 or 2026"
                                         " (years 1900 to 2199)")
    return text.strip()


def _printable(text: str) -> str:
    """A value quoted for a one-line message: control characters escaped, so it cannot forge lines."""
    return "'" + text.encode("unicode_escape").decode("ascii") + "'" if not text.isprintable() else f"'{text}'"


def parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    from .build import DEFAULT_FORMATS, FORMATS  # the one list of output formats

    formats, default = ", ".join(FORMATS), ",".join(DEFAULT_FORMATS)
    p = _Parser(prog="briefing", description="Turn confidence-tagged evidence into briefings.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def cmd(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_, description=help_)
        c.add_argument("--workspace", "-w", default=".", metavar="DIR", type=_path_arg,
                       help="the workspace folder (default: .)")
        c.set_defaults(func=func)
        return c

    cmd("check", _check, "Validate the workspace and list every problem as path:line:column.")
    b = cmd("build", _build, "Build the briefing as PDF and DOCX (or HTML).")
    b.add_argument("--audience", "-a", type=_name_arg("audience"),
                   help="the audience (default: briefing.yaml's audience)")
    b.add_argument("--format", "-f", default=default, type=formats_arg,
                   help=f"comma-separated: {formats} (default: {default})")
    b.add_argument("--out", "-o", type=_path_arg, help="output folder (default: WORKSPACE/out)")
    i = cmd("init", _init, "Create a new, valid workspace for another topic.")
    i.add_argument("dir", metavar="DIR", type=_path_arg, help="folder to create (must not exist or be empty)")
    i.add_argument("--title", default="New briefing", help="the briefing's title")
    s = cmd("schema", _schema, "Write the JSON Schemas for editor validation.")
    s.add_argument("--out", default="schema", type=_path_arg, help="folder to write to (default: schema)")

    cmd("audiences", _lazy("audience_cmds", "list_command"), "List the audiences, one per line.")
    a = sub.add_parser("audience", help="Manage audiences.", description="Manage audiences.")
    asub = a.add_subparsers(dest="audience_command", required=True, metavar="ACTION")
    an = asub.add_parser("new", help="Create a new audience in templates/, ready to edit.")
    an.add_argument("--workspace", "-w", default=".", metavar="DIR", help="the workspace folder (default: .)")
    an.add_argument("name", help="the new audience's name")
    an.add_argument("--from", dest="base", default="executive", help="the audience to start from")
    an.set_defaults(func=_lazy("audience_cmds", "new_command"))

    n = sub.add_parser("new", help="Scaffold a new evidence or source entry.",
                       description="Scaffold a new evidence file or source entry.")
    nsub = n.add_subparsers(dest="new_command", required=True, metavar="KIND")
    for kind, help_ in (("evidence", "a new evidence file with a fresh id"), ("source", "a new source entry")):
        k = nsub.add_parser(kind, help=help_)
        k.add_argument("--workspace", "-w", default=".", metavar="DIR", help="the workspace folder (default: .)")
        k.add_argument("--id", help="the id (default: generated)")
        k.add_argument("--title", default="", help="a short title")
        k.set_defaults(func=_lazy("new_entries", f"new_{kind}_command"))

    pub = cmd("publish", _lazy("editions", "publish_command"), "Record the current evidence as a new edition.")
    pub.add_argument("--date", type=_date_arg, help="the edition's date (default: briefing.yaml's date)")
    d = cmd("diff", _lazy("changes", "diff_command"), "Show what changed since the last (or a given) edition.")
    d.add_argument("--since", metavar="EDITION", help="the edition number to compare with")
    wt = cmd("watch", _lazy("watch", "watch_command"), "Rebuild on every change to the workspace.")
    wt.add_argument("--audience", "-a", type=_name_arg("audience"), help="the audience")
    wt.add_argument("--format", "-f", default=default, type=formats_arg,
                    help=f"comma-separated: {formats} (default: {default})")
    wt.add_argument("--out", "-o", type=_path_arg, help="output folder (default: WORKSPACE/out)")
    pv = cmd("preview", _lazy("preview", "preview_command"),
             "Serve the HTML edition on 127.0.0.1 and refresh the page on every change.")
    pv.add_argument("--audience", "-a", type=_name_arg("audience"), help="the audience")
    pv.add_argument("--port", "-p", type=int, default=0, help="the port (default: any free port)")
    pv.add_argument("--out", "-o", type=_path_arg,
                    help="output folder (default: a temporary folder, removed on exit)")
    return p


class Interrupted(KeyboardInterrupt):
    """A SIGTERM or SIGINT: unwinds the stack like Ctrl-C, so every cleanup (temp files, pandoc) runs."""

    def __init__(self, signum: int | str = signal.SIGINT):
        super().__init__(signum)
        # Libraries may re-raise it rebuilt from a message (ReportLab's annotateException does): main()
        # takes the signal from what the handler recorded, never from this attribute alone.
        self.signum = signum if isinstance(signum, int) else signal.SIGINT


@contextlib.contextmanager
def _signals_unwind(received: list[int]) -> Iterator[None]:
    """While a command runs, SIGTERM behaves as SIGINT does; a second signal cannot cut the cleanup short.

    Each signal caught is appended to `received`, so the caller knows one arrived whatever exception it became.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        for s in old:  # once: the unwinding (removing temp files, killing pandoc) must run to the end
            signal.signal(s, signal.SIG_IGN)
        received.append(signum)
        raise Interrupted(signum)

    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in old:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = parser().parse_args(argv)
    received: list[int] = []
    try:
        with _signals_unwind(received):
            code: int = args.func(args)
            return code
    except BaseException as exc:  # noqa: BLE001 - each kind is reported below; SystemExit passes through
        return _report(exc, received)


def _report(exc: BaseException, received: list[int]) -> int:
    """Print the one line an exception deserves and return the exit code."""
    if received or isinstance(exc, KeyboardInterrupt):
        # A signal wins over whatever exception it surfaced as (a library may have wrapped it).
        signum = received[0] if received else signal.SIGINT
        what = "terminated" if signum == signal.SIGTERM else "interrupted"
        print(f"error: {what}; previous outputs are untouched", file=sys.stderr)
        return 128 + signum
    if isinstance(exc, BriefingError):
        for p in exc.problems:
            print(p, file=sys.stderr)
        if not exc.problems:
            print(exc, file=sys.stderr)
        return 1
    if not isinstance(exc, Exception):  # SystemExit, GeneratorExit: not ours to report
        raise exc
    if os.environ.get("BRIEFING_DEBUG"):
        raise exc
    print(f"error: internal error: {type(exc).__name__}: {exc} (set BRIEFING_DEBUG=1 for details)",
          file=sys.stderr)
    return 2


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
