"""The `briefing` entry point: the parser built from the command modules, signals, errors as one line."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import NoReturn

from .commands import audience, build, check, diff, init, new, preview, publish, schema, watch
from .errors import BriefingError

# In the order `briefing --help` lists them.
COMMANDS = (check, build, init, schema, audience, new, publish, diff, watch, preview)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (no usage block) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    p = _Parser(prog="briefing", description="Turn confidence-tagged evidence into briefings.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
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
    if isinstance(exc, BrokenPipeError) and _reader_gone():
        _silence_stdout()  # what is left of the output has no reader either
        return 1
    if os.environ.get("BRIEFING_DEBUG"):
        raise exc
    print(f"error: internal error: {type(exc).__name__}: {exc} (set BRIEFING_DEBUG=1 for details)",
          file=sys.stderr)
    return 2


def run() -> None:
    """Console-script entry point."""
    code = main()
    # The command is done and its files are closed. A normal exit would then free every object one by one
    # (0.05-0.1 s after a build, measured), for nothing: exit at once instead, after what a normal exit
    # does that matters: the exit handlers and flushing the output. With a thread still running (none
    # should be), or output that cannot be flushed, leave it to the interpreter, which reports that.
    if threading.active_count() == 1:
        atexit._run_exitfuncs()
        with contextlib.suppress(OSError, ValueError):
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                _silence_stdout()
                code = code or 1
            sys.stderr.flush()
            os._exit(code)
    sys.exit(code)


def _reader_gone() -> bool:
    """Whether standard output is a pipe whose reader has stopped reading (`briefing check | head -1`)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, ValueError, OSError):  # no poll (Windows), no real file
        return False


def _silence_stdout() -> None:
    """Send standard output to the null device: the reader is gone, and exiting must not fail again on it."""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
