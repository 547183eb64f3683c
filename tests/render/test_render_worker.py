"""The render worker: the PDF and the charts made in a second, forked process, with the same bytes and the
same errors as a build that renders in its own process."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, copy_workspace

from briefing import pdf_job, render, render_worker
from briefing.build import build, likely_to_draw
from briefing.errors import BriefingError, Problem
from briefing.new_workspace import init_workspace
from briefing.yamlsafe import YamlError, parse

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the worker is forked on Linux only")

PDF = "the-distillation-wars.pdf"


class Forks(list):
    """The pid of each worker forked, in order; `kinds` says what each one warmed up ("pdf", "charts")."""

    def __init__(self) -> None:
        super().__init__()
        self.kinds: list[str] = []


@pytest.fixture
def forks(monkeypatch) -> Forks:
    pids = Forks()
    real = render_worker.RenderWorker.fork.__func__

    def fork(cls, warm="pdf"):
        worker = real(cls, warm)
        pids.append(worker.pid)
        pids.kinds.append(warm)
        return worker

    monkeypatch.setattr(render_worker.RenderWorker, "fork", classmethod(fork))
    return pids


def _reaped(pid: int) -> bool:
    """Whether the worker is gone and waited for (no zombie left behind)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _laid_out_in(monkeypatch, tmp_path) -> Path:
    """A file the PDF renderer writes its process id to, wherever it runs."""
    record = tmp_path / "pid"
    real = pdf_job.write

    def recording(*args, **kwargs):
        record.write_text(str(os.getpid()))
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf_job, "write", recording)
    return record


def test_the_pdf_is_laid_out_in_the_worker_with_the_same_bytes(tmp_path, monkeypatch, forks):
    ws = init_workspace(tmp_path / "ws", title="River water allocation", date="2026-05-01")
    record = _laid_out_in(monkeypatch, tmp_path)
    formats = ("pdf", "docx", "html")
    with_worker = build(ws, out_dir=tmp_path / "a", formats=formats)
    # A first build: the charts are drawn in a third process, which warmed up matplotlib meanwhile.
    assert forks.kinds == ["pdf", "charts"] and record.read_text() == str(forks[0]) != str(os.getpid())
    assert all(_reaped(pid) for pid in forks)
    without = build(ws, out_dir=tmp_path / "b", formats=formats, worker=False)
    assert record.read_text() == str(os.getpid()) and len(forks) == 2
    assert with_worker.pages == without.pages > 0
    for fmt, path in with_worker.outputs.items():
        assert (tmp_path / "a" / path.name).read_bytes() == (tmp_path / "b" / path.name).read_bytes(), fmt


def test_no_worker_where_fork_is_unsafe(tmp_path, monkeypatch, forks):
    """With another thread running (watch's preview) the build renders in its own process."""
    monkeypatch.setattr(render_worker.threading, "active_count", lambda: 2)
    record = _laid_out_in(monkeypatch, tmp_path)
    build(copy_workspace(tmp_path / "ws"), out_dir=tmp_path / "out", formats=("pdf",))
    assert forks == [] and record.read_text() == str(os.getpid())


def _published(tmp_path) -> tuple[Path, Path, bytes]:
    """A workspace with a published PDF: what a failed build must leave alone."""
    ws = copy_workspace(tmp_path / "ws")
    out = tmp_path / "out"
    build(ws, out_dir=out, formats=("pdf",), worker=False)
    return ws, out, (out / PDF).read_bytes()


def _intact(out: Path, before: bytes) -> None:
    assert (out / PDF).read_bytes() == before
    assert not [p for p in out.rglob("*.tmp")]
    assert '"status": "failed"' in (out / "manifest.json").read_text()


def test_an_error_in_the_worker_reaches_the_build_with_its_file_and_line(tmp_path, monkeypatch, forks):
    ws, out, before = _published(tmp_path)

    def failing(*args, **kwargs):
        raise BriefingError("PDF: the logo is not an image", "templates/audiences/executive.yaml", 7, 3)

    monkeypatch.setattr(pdf_job, "write", failing)
    with pytest.raises(BriefingError) as caught:
        build(ws, out_dir=out, formats=("pdf", "docx"))
    assert str(caught.value) == "templates/audiences/executive.yaml:7:3: error: PDF: the logo is not an image"
    assert forks and _reaped(forks[0])
    _intact(out, before)


def test_a_bug_in_the_worker_is_raised_as_itself(tmp_path, monkeypatch, forks):
    ws, out, before = _published(tmp_path)

    class UnpicklableError(Exception):  # a local class: pickle cannot name it
        pass

    def buggy(*args, **kwargs):
        raise KeyError("page")

    monkeypatch.setattr(pdf_job, "write", buggy)
    with pytest.raises(KeyError, match="page"):
        build(ws, out_dir=out, formats=("pdf",))

    def odd(*args, **kwargs):
        raise UnpicklableError("cannot travel")

    monkeypatch.setattr(pdf_job, "write", odd)
    with pytest.raises(RuntimeError, match="UnpicklableError: cannot travel"):
        build(ws, out_dir=out, formats=("pdf",))
    assert len(forks) == 2 and all(_reaped(pid) for pid in forks)
    _intact(out, before)


def test_a_worker_killed_midway_is_one_clear_error(tmp_path, monkeypatch, forks):
    ws, out, before = _published(tmp_path)
    monkeypatch.setattr(pdf_job, "write", lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(BriefingError, match=r"the PDF renderer stopped unexpectedly \(killed by SIGKILL\)"):
        build(ws, out_dir=out, formats=("pdf", "docx"))
    assert _reaped(forks[0])
    _intact(out, before)


def test_an_interrupt_stops_the_worker(tmp_path, monkeypatch, forks):
    """Ctrl-C while the worker lays out the PDF: the build stops it before removing its files."""
    ws, out, before = _published(tmp_path)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "start_docx", interrupted)  # runs here once the PDF job is sent
    with pytest.raises(KeyboardInterrupt):
        build(ws, out_dir=out, formats=("pdf", "docx"))
    assert _reaped(forks[0])
    _intact(out, before)


def test_a_failed_load_stops_the_worker_at_once(tmp_path, forks):
    ws = copy_workspace(tmp_path / "ws")
    (ws / "evidence" / "bad.yaml").write_text("id: x\n\ttitle: tab\n", encoding="utf-8")
    with pytest.raises(BriefingError):
        build(ws, out_dir=tmp_path / "out")
    assert forks.kinds == ["pdf", "charts"] and all(_reaped(pid) for pid in forks)


_PARENT_MODULES = """
import sys
import time
from pathlib import Path
from briefing.build import build, likely_to_draw
result = build(Path(sys.argv[1]), out_dir=Path(sys.argv[2]))
print(result.charts, " ".join(m for m in ("matplotlib", "reportlab") if m in sys.modules))
"""


def test_a_cold_build_leaves_matplotlib_and_reportlab_to_the_worker(tmp_path):
    """The worker draws the charts and lays out the PDF: the build's own process imports neither."""
    ws = copy_workspace(tmp_path / "ws")
    proc = subprocess.run([sys.executable, "-c", _PARENT_MODULES, str(ws), str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stderr
    charts, *imported = proc.stdout.split()
    assert int(charts) >= 1 and imported == []
    assert len(list((tmp_path / "out" / ".cache" / "charts").glob("*.png"))) == int(charts)
    assert (tmp_path / "out" / PDF).read_bytes().startswith(b"%PDF")


def test_errors_travel_whole():
    """The worker sends its errors back pickled: the file, line and column survive, as does a YAML error's
    position."""
    error = BriefingError("bad", "a.yaml", 3, 4, (Problem("a.yaml", 3, 4, "error", "bad"),))
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), str(again), again.problems) == (BriefingError, str(error), error.problems)
    with pytest.raises(YamlError) as caught:
        parse("a: [", "b.yaml")
    yaml_again = pickle.loads(pickle.dumps(caught.value))
    assert type(yaml_again) is YamlError and yaml_again.pos == caught.value.pos
    assert str(yaml_again) == str(caught.value)


def test_a_rebuild_without_changes_sends_the_worker_no_chart(tmp_path, monkeypatch, forks):
    """Cached charts are found by the build itself: the worker is asked to draw (and so to import matplotlib)
    only when a chart is missing."""
    asked = tmp_path / "asked"
    real = render_worker.JOBS["charts"]

    def charts(*args):
        asked.write_text(f"{len(args[0])} {os.getpid()}")
        return real(*args)

    monkeypatch.setitem(render_worker.JOBS, "charts", charts)
    ws = copy_workspace(tmp_path / "ws")
    build(ws, out_dir=tmp_path / "out", audience="analyst")
    # A cold build: every chart drawn in the process that warmed up matplotlib.
    assert asked.read_text() == f"3 {forks[1]}" and forks.kinds == ["pdf", "charts"]
    asked.unlink()
    build(ws, out_dir=tmp_path / "out", audience="analyst")
    assert not asked.exists() and forks.kinds == ["pdf", "charts", "pdf"]


def test_the_chart_process_is_forked_only_for_a_likely_first_drawing(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    assert likely_to_draw(ws, tmp_path / "out")  # nothing drawn yet
    build(ws, out_dir=tmp_path / "out", formats=("docx",))
    assert not likely_to_draw(ws, tmp_path / "out")  # the cache holds drawings
    (ws / "charts.yaml").unlink()
    assert not likely_to_draw(ws, tmp_path / "fresh")  # no charts declared


def test_a_chart_process_never_used_is_stopped_at_once(tmp_path, monkeypatch, forks):
    """A wrong guess (this audience draws no chart) leaves the chart process warming up: it is killed, never
    waited for, and the build is the same."""
    ws = copy_workspace(tmp_path / "ws")
    warmed = tmp_path / "warmed"

    def slow() -> None:
        time.sleep(20)
        warmed.write_text("warmed up")  # only if the build waited for it

    monkeypatch.setitem(render_worker.WARM_UPS, "charts", slow)
    result = build(ws, out_dir=tmp_path / "out", audience="board")
    assert result.charts == 0 and forks.kinds == ["pdf", "charts"] and all(_reaped(pid) for pid in forks)
    assert not warmed.exists()


def test_a_chart_process_killed_midway_is_one_clear_error(tmp_path, monkeypatch, forks):
    ws = copy_workspace(tmp_path / "ws")
    monkeypatch.setitem(render_worker.JOBS, "charts", lambda *a: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(BriefingError, match=r"the chart renderer stopped unexpectedly \(killed by SIGKILL\)"):
        build(ws, out_dir=tmp_path / "out", formats=("pdf", "docx"))
    assert forks.kinds == ["pdf", "charts"] and all(_reaped(pid) for pid in forks)
    assert not (tmp_path / "out" / PDF).exists()


def _steps(fail: bool):
    if fail:
        raise ValueError("no drawing")
    yield "drawings"
    yield "pictures"


def test_a_job_with_two_replies_gives_both_in_order_and_its_error_for_each(monkeypatch):
    """The charts reply twice (drawings, then pictures). An error before the first reply is sent for both, so the
    next job's reply is never mistaken for one of them."""
    monkeypatch.setitem(render_worker.JOBS, "steps", _steps)
    monkeypatch.setitem(render_worker.JOBS, "echo", lambda value: value)
    monkeypatch.setitem(render_worker.REPLIES, "steps", 2)
    worker = render_worker.RenderWorker.fork(warm="pdf")
    try:
        assert worker.submit("steps", False) == 2 and worker.submit("echo", "next") == 1
        assert [worker.reply(), worker.reply(), worker.reply()] == ["drawings", "pictures", "next"]
        worker.submit("steps", True)
        worker.submit("echo", "after")
        for _ in range(2):
            with pytest.raises(ValueError, match="no drawing"):
                worker.reply()
        assert worker.reply() == "after"
    finally:
        worker.close()
    assert _reaped(worker.pid or 0)


def test_the_pdf_is_laid_out_while_the_chart_pictures_are_made(tmp_path, monkeypatch, forks):
    """A first build: the chart process hands over the drawings, and the PDF worker lays out the pages while the
    chart process makes the DOCX's pictures."""
    from briefing import chart_drawing

    started, seen = tmp_path / "pdf-started", tmp_path / "pictures"
    real_pdf, real_pictures = pdf_job.write, chart_drawing._pictures

    def laying_out(*args, **kwargs):
        started.write_text("started")
        return real_pdf(*args, **kwargs)

    def pictures(fig, files):
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.write_text("after the PDF started" if started.exists() else "the PDF waited for them")
        return real_pictures(fig, files)

    monkeypatch.setattr(pdf_job, "write", laying_out)
    monkeypatch.setattr(chart_drawing, "_pictures", pictures)
    ws = copy_workspace(tmp_path / "ws")
    result = build(ws, out_dir=tmp_path / "out", audience="analyst")
    assert forks.kinds == ["pdf", "charts"] and result.charts == 3
    assert seen.read_text() == "after the PDF started"
    assert all(p.is_file() for p in (tmp_path / "out" / ".cache" / "charts").glob("*.png"))
    assert len(list((tmp_path / "out" / ".cache" / "charts").glob("*.png"))) == 3


def test_a_chart_picture_that_cannot_be_saved_is_one_clear_error(tmp_path, monkeypatch, forks):
    """The chart process has handed over the drawings and the PDF is being laid out when saving a PNG fails: the
    build stops with the chart cache's error, before any file is published."""
    from briefing import chart_drawing

    def no_room(fig, files):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(chart_drawing, "_pictures", no_room)
    ws = copy_workspace(tmp_path / "ws")
    with pytest.raises(BriefingError, match="cannot write the chart cache: No space left on device"):
        build(ws, out_dir=tmp_path / "out", audience="analyst")
    assert forks.kinds == ["pdf", "charts"] and all(_reaped(pid) for pid in forks)
    assert not list((tmp_path / "out").glob("*.pdf")) and not list((tmp_path / "out").glob("*.docx"))


def test_a_large_job_is_handed_over_while_the_worker_is_still_warming_up(tmp_path, monkeypatch):
    """The PDF job of a briefing is hundreds of kB: the build hands it over at once and goes on (to the DOCX)
    while the worker warms up, rather than waiting until the worker reads it."""
    if not _pipes_can_grow():
        pytest.skip("this system refuses to size a pipe at 1 MB (fs/pipe-max-size): the build then waits")
    handed, seen = tmp_path / "handed-over", tmp_path / "warm-up"

    def slow_warm_up() -> None:
        deadline = time.monotonic() + 60
        while not handed.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.write_text("the job was handed over first" if handed.exists() else "the build waited")

    monkeypatch.setitem(render_worker.WARM_UPS, "pdf", slow_warm_up)
    monkeypatch.setitem(render_worker.JOBS, "echo", lambda value: len(value))
    worker = render_worker.RenderWorker.fork(warm="pdf")
    try:
        worker.submit("echo", "x" * 600_000)  # the analyst edition's PDF job is about this size
        handed.write_text("yes")
        assert worker.reply() == 600_000
    finally:
        worker.close()
    assert seen.read_text() == "the job was handed over first"


def _pipes_can_grow() -> bool:
    import fcntl

    read, write = os.pipe()
    try:
        fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, render_worker.JOBS_PIPE_SIZE)
        return True
    except (OSError, AttributeError):
        return False
    finally:
        os.close(read)
        os.close(write)


@pytest.fixture
def no_worker_ahead(monkeypatch):
    """No worker forked ahead before the test, and none left to the next one."""
    monkeypatch.setattr(render_worker, "_ahead", None)
    yield
    render_worker._drop_ahead()


AHEAD = """
import os, sys
from pathlib import Path
from briefing import pdf_job, render_worker
assert "briefing.compose" not in sys.modules, "the entry point's imports pull in the library"
real = pdf_job.write
def write(job):
    real(job)
    return -1 if "briefing.compose" in sys.modules else os.getpid()  # reported as the page count
pdf_job.write = write
render_worker.fork_ahead()
ahead = render_worker._ahead.pid
from briefing.build import build
result = build(Path(sys.argv[1]), out_dir=Path(sys.argv[2]), formats=("pdf",))
print(ahead, result.pages, (Path(sys.argv[2]) / "river-water-allocation.pdf").stat().st_size > 0)
"""


def test_the_worker_forked_ahead_lays_the_pdf_out_without_what_composing_needs(tmp_path):
    """`briefing build` forks the PDF worker before importing the library (briefing/__main__.py); the build takes it
    over, and it lays the PDF out from a plain job, never importing Jinja and the loaders itself."""
    ws = init_workspace(tmp_path / "ws", title="River water allocation", date="2026-05-01")
    proc = subprocess.run([sys.executable, "-c", AHEAD, str(ws), str(tmp_path / "out")], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    ahead, pages, written = proc.stdout.split()
    assert pages == ahead and written == "True"


def test_a_worker_forked_ahead_is_stopped_by_a_build_without_a_pdf(tmp_path, forks, no_worker_ahead):
    render_worker.fork_ahead()
    assert forks.kinds == ["pdf"]
    build(copy_workspace(tmp_path / "ws"), out_dir=tmp_path / "out", formats=("docx",))
    assert render_worker._ahead is None and _reaped(forks[0]) and len(forks) == 1


def test_a_worker_forked_ahead_that_stopped_is_replaced(tmp_path, forks, no_worker_ahead):
    render_worker.fork_ahead()
    os.kill(forks[0], signal.SIGKILL)
    os.waitid(os.P_PID, forks[0], os.WEXITED | os.WNOWAIT)  # dead, not yet reaped: as the build finds it
    result = build(copy_workspace(tmp_path / "ws"), out_dir=tmp_path / "out", formats=("pdf",))
    assert result.pages > 0 and forks.kinds[:2] == ["pdf", "pdf"] and all(_reaped(pid) for pid in forks)


def test_a_worker_forked_ahead_and_never_used_is_stopped_as_the_process_exits(tmp_path):
    """`briefing build --help` forks it too: the exit stops it at once, not once its warm-up is over."""
    code = "from briefing import render_worker; render_worker.fork_ahead(); print(render_worker._ahead.pid)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    pid = int(proc.stdout)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
