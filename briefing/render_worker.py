"""The render worker: a second process that draws the charts and lays out the PDF.

A build is Python on one core, with pandoc's DOCX writer the only other process. Forked as the build
starts, the worker imports ReportLab (and matplotlib, if a chart must be drawn) while this process
loads and composes; it then lays out the PDF while this process prepares the DOCX. When the charts
will most likely be drawn (an empty chart cache), a third process imports matplotlib and draws them,
so that the PDF's warm-up and the charts' do not queue behind each other. Jobs and replies are pickled
over two pipes between the processes of one build, and never stored.

Forking is safe only from a process with one thread, and is not offered on every system: elsewhere
(watch's preview, a test runner's threads, macOS, Windows) the build renders in its own process, with
the same code, so the outputs are the same bytes.
"""

from __future__ import annotations

import atexit
import contextlib
import copyreg
import fcntl
import io
import os
import pickle
import signal
import struct
import sys
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

from . import pdf_job
from .errors import BriefingError

_HEADER = struct.Struct("<Q")  # the length of each pickled message
JOBS_PIPE_SIZE = 1 << 20  # Linux's default limit for a pipe an unprivileged process sizes (fs/pipe-max-size)
# The build's ends of every live worker's pipes: a worker forked later closes its copies, so that each
# worker still sees the end of its jobs when the build closes them.
_BUILD_ENDS: set[int] = set()


def available() -> bool:
    """Whether a worker can be forked safely here: Linux, and this process has no other thread."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


class RenderWorker:
    """The forked worker, seen from the build: jobs go in order, each gets one reply."""

    def __init__(self, pid: int, jobs: int, replies: int, what: str = "pdf") -> None:
        self.pid, self._jobs, self._replies, self.what = pid, jobs, replies, what
        self._pending = 0
        self._used = False
        self._ended = ""  # how it ended, once reaped after stopping unexpectedly

    @classmethod
    def fork(cls, warm: str = "pdf") -> RenderWorker:
        """Fork the worker; it warms up the renderer `warm` names (WARM_UPS), then waits for jobs."""
        jobs_r, jobs_w = os.pipe()
        replies_r, replies_w = os.pipe()
        # Room for a whole PDF job (130 kB for the default briefing), so the build hands it over at once and
        # prepares the DOCX while the worker may still be warming up; with the default 64 kB it waited for that.
        with contextlib.suppress(OSError, AttributeError):  # Linux only; elsewhere (or refused) the build waits
            fcntl.fcntl(jobs_w, fcntl.F_SETPIPE_SZ, JOBS_PIPE_SIZE)
        try:
            pid = os.fork()
        except OSError:
            for fd in (jobs_r, jobs_w, replies_r, replies_w):
                os.close(fd)
            raise
        if pid == 0:  # the worker: it never returns into the build's code, whatever happens
            code = 1
            try:
                for fd in (jobs_w, replies_r, *_BUILD_ENDS):
                    os.close(fd)
                _serve(jobs_r, replies_w, WARM_UPS[warm])
                code = 0
            finally:
                os._exit(code)
        os.close(jobs_r)
        os.close(replies_w)
        _BUILD_ENDS.update((jobs_w, replies_r))
        return cls(pid, jobs_w, replies_r, warm)

    def submit(self, job: str, *args: Any) -> int:
        """Send a job (see JOBS); each of its replies (how many: the count returned) is read by `reply`."""
        try:
            _send(self._jobs, (job, args))
        except OSError:
            raise self._gone() from None
        owed = REPLIES.get(job, 1)
        self._pending += owed
        self._used = True
        return owed

    def reply(self) -> Any:
        """The next job's result; its error is raised here."""
        try:
            kind, value = _receive(self._replies)
        except (OSError, EOFError, pickle.UnpicklingError):
            raise self._gone() from None
        self._pending -= 1
        if kind == "error":
            raise value
        return value

    def call(self, job: str, *args: Any) -> Any:
        """Run a job and wait for its result."""
        self.submit(job, *args)
        return self.reply()

    def close(self, *, kill: bool = False) -> None:
        """Stop the worker and reap it: at once if `kill`, a job is still running or it never had one (it may
        be warming up still), else once it sees the end."""
        if self.pid and (kill or self._pending or not self._used):
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        for fd in (self._jobs, self._replies):
            _BUILD_ENDS.discard(fd)
            with contextlib.suppress(OSError):
                os.close(fd)
        self._jobs = self._replies = -1
        if self.pid:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0

    def _gone(self) -> BriefingError:
        """The error for a worker that stopped without replying (killed, or out of memory); it is reaped."""
        if self.pid:
            with contextlib.suppress(ChildProcessError):
                _, code = os.waitpid(self.pid, 0)
                self._ended = f" ({_status(code)})"  # said again by any later call
            self.pid = 0
        name = {"pdf": "the PDF renderer", "charts": "the chart renderer"}[self.what]
        return BriefingError(f"{name} stopped unexpectedly{self._ended}; the previous files are untouched")


# The PDF worker forked as the command started (`fork_ahead`), until a build takes it over (`started`).
_ahead: RenderWorker | None = None


def fork_ahead() -> None:
    """Fork the PDF worker now, before the command imports the library, for the build's `started` to take over.

    Forked after the imports (0.2-0.3 s), the worker was still warming up ReportLab when the build had composed;
    forked first, it warms up while they run. A process that never builds kills it as it exits."""
    global _ahead
    if _ahead is None and available():
        with contextlib.suppress(OSError):  # no process to spare: the build forks one later, or renders itself
            _ahead = RenderWorker.fork("pdf")
            atexit.register(_drop_ahead)


def _drop_ahead() -> None:
    global _ahead
    worker, _ahead = _ahead, None
    if worker is not None:
        worker.close(kill=True)


def _take_ahead(warm: str) -> RenderWorker | None:
    """The worker forked ahead, if it warms up `warm`'s renderer and is still running; it is the caller's now."""
    global _ahead
    worker = _ahead
    if worker is None or warm != worker.what:
        return None
    _ahead = None
    try:
        ended = os.waitpid(worker.pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        ended = True
    if ended:  # it stopped (killed, out of memory) before its first job: a fresh one is forked instead
        worker.pid = 0
        worker.close()
        return None
    return worker


@contextlib.contextmanager
def started(enabled: bool, warm: str = "pdf") -> Iterator[RenderWorker | None]:
    """A worker for the block (warming up `warm`'s renderer) if `enabled` and forking is safe here, else None;
    stopped when the block ends (killed at once if it ends with an error). The worker forked ahead, if any, is
    taken over, or stopped if the block has no use for it."""
    worker = _take_ahead(warm)
    if worker is not None and not enabled:
        worker.close(kill=True)
        worker = None
    if worker is None and enabled and available():
        with contextlib.suppress(OSError):  # no process to spare (EAGAIN, ENOMEM): render here instead
            worker = RenderWorker.fork(warm)
    try:
        yield worker
    except BaseException:
        if worker is not None:
            worker.close(kill=True)
        raise
    if worker is not None:
        worker.close()


def _charts(*args: Any) -> Any:
    from .chart_drawing import render_in_steps  # deferred: matplotlib, only in a build that draws a chart

    return render_in_steps(*args)


def _pdf(job: pdf_job.PdfJob) -> int:
    return pdf_job.write(job)  # looked up when called, as the build itself does


def _warm_up_pdf() -> None:
    pdf_job.warm_up()  # looked up when called, as for _pdf


def _warm_up_charts() -> None:
    from .chart_drawing import warm_up  # deferred: matplotlib, only in a build that will draw a chart

    warm_up()


JOBS: dict[str, Callable[..., Any]] = {"charts": _charts, "pdf": _pdf}
# A job with more than one reply returns an iterator of them: the charts reply once their drawings (the PDF's)
# are written, and again once their pictures are, so the PDF is laid out meanwhile.
REPLIES: dict[str, int] = {"charts": 2}
WARM_UPS: dict[str, Callable[[], None]] = {"pdf": _warm_up_pdf, "charts": _warm_up_charts}


def _serve(jobs: int, replies: int, warm_up: Callable[[], None]) -> None:
    """The worker's loop: warm up, then run each job and send its result or its error, until the pipe ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the build too, which stops this process
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the command line's handler: nothing here to unwind
    with contextlib.suppress(Exception):  # a job that needs what failed meets the error again, and replies it
        warm_up()
    while True:
        try:
            job, args = _receive(jobs)
        except EOFError:
            return
        owed = REPLIES.get(job, 1)
        try:
            result = JOBS[job](*args)
            for value in (result if owed > 1 else (result,)):
                _reply(replies, ("done", value))
                owed -= 1
        except Exception as exc:  # noqa: BLE001 - every error goes back to the build, which raises it
            for _ in range(owed):  # as every reply still owed: the build reads each one
                _reply(replies, ("error", exc))


def _reply(replies: int, reply: tuple[str, Any]) -> None:
    try:
        _send(replies, reply)
    except (pickle.PicklingError, TypeError, AttributeError):
        _send(replies, ("error", RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))


def _send(fd: int, message: Any) -> None:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    # The model's read-only mappings (types.MappingProxyType) go as copies: pickle has no rule for them.
    pickler.dispatch_table = copyreg.dispatch_table | {types.MappingProxyType: _mapping_proxy}
    pickler.dump(message)
    data = buffer.getbuffer()
    for part in (_HEADER.pack(len(data)), data):
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view):]


def _mapping_proxy(proxy: types.MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return read_only, (dict(proxy),)


def read_only(mapping: dict[Any, Any]) -> types.MappingProxyType[Any, Any]:
    """A read-only view of `mapping` (how a pickled MappingProxyType is made again)."""
    return types.MappingProxyType(mapping)


def _receive(fd: int) -> Any:
    (size,) = _HEADER.unpack(_read(fd, _HEADER.size))
    return pickle.loads(_read(fd, size))  # noqa: S301 - written by this build's own other process


def _read(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other process closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _status(code: int) -> str:
    """A wait status in words."""
    if os.WIFSIGNALED(code):
        number = os.WTERMSIG(code)
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(number).name}"
        return f"killed by signal {number}"
    return f"exit status {os.WEXITSTATUS(code)}"
