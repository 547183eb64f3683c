"""`briefing watch`: rebuilds after an edit in a warm process, reuses cached charts, keeps the last good briefing."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import LOGO_AUDIENCE, REPO, copy_workspace, edit, png_bytes

from briefing.build import build
from briefing.watch import is_input, watch
from tests.readers import docx_text

WAIT = 300  # seconds: a hang guard only, far past what a build takes even on a loaded 2-core machine

pytest.importorskip("watchfiles")


@pytest.fixture
def ws_copy(tmp_path) -> Path:
    return copy_workspace(tmp_path / "ws")


class Watcher:
    """`watch` in a background thread; its lines arrive on a queue."""

    def __init__(self, root: Path, **kwargs):
        self.lines: queue.Queue[str] = queue.Queue()
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.result: list[int] = []
        self.thread = threading.Thread(
            target=lambda: self.result.append(watch(root, formats=("docx",), echo=self.lines.put, stop=self.stop,
                                                    on_ready=self.ready.set, **kwargs)), daemon=True)
        self.thread.start()

    def wait_ready(self) -> None:
        if not self.ready.wait(WAIT):
            self.stop.set()
            pytest.fail(f"the watcher was not running after {WAIT} s")

    def next(self) -> str:
        try:
            return self.lines.get(timeout=WAIT)
        except queue.Empty:
            self.stop.set()
            pytest.fail(f"no output from the watch loop within {WAIT} s")

    def finish(self) -> int:
        self.thread.join(WAIT)
        if self.thread.is_alive():
            self.stop.set()
            pytest.fail("the watch loop did not stop")
        return self.result[0]


def _cache(root: Path) -> dict[str, int]:
    folder = root / "out" / ".cache" / "charts"
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} if folder.is_dir() else {}


def test_watch_rebuilds_after_an_edit_and_reuses_the_charts(ws_copy):
    w = Watcher(ws_copy, max_builds=2)
    first = w.next()
    assert first.startswith("first build: built ") and "claims" in first
    charts = _cache(ws_copy)
    assert charts  # the first build drew the charts
    w.wait_ready()
    edit(ws_copy / "briefing.yaml", "how long an AI capability lead lasts", "how long an AI lead lasts (watch edit)")
    second = w.next()
    assert second.startswith("rebuilt after briefing.yaml changed: built "), second
    assert w.finish() == 2
    docx = next((ws_copy / "out").glob("*.docx"))
    assert "how long an AI lead lasts (watch edit)" in docx_text(docx)
    assert _cache(ws_copy) == charts  # the subtitle is not chart data: nothing was redrawn


def test_watch_shows_errors_and_keeps_the_last_good_briefing(ws_copy):
    w = Watcher(ws_copy, max_builds=3)
    assert w.next().startswith("first build: ")
    docx = next((ws_copy / "out").glob("*.docx"))
    good = docx.read_bytes()
    w.wait_ready()
    broken = ws_copy / "evidence" / "broken.yaml"
    broken.write_text("id: broken\ntitle: [unclosed\n", "utf-8")
    error = w.next()
    assert error.startswith("evidence/broken.yaml:") and ": error: " in error and "\n" not in error
    assert w.next().startswith("build failed with 1 error(s); the last good briefing stays in place")
    assert docx.read_bytes() == good
    broken.unlink()
    assert w.next().startswith("rebuilt after evidence/broken.yaml changed: built ")
    assert w.finish() == 3


def test_watch_stops_when_asked(ws_copy):
    w = Watcher(ws_copy)
    assert w.next().startswith("first build: ")
    w.stop.set()
    assert w.finish() == 1


def test_only_workspace_inputs_trigger_a_rebuild(tmp_path):
    for rel in ("evidence/a.yaml", "sources.yaml", "briefing.yaml", "templates/sections/x.md.j2", "editions/3.yaml",
                "evidence"):
        assert is_input(tmp_path, str(tmp_path / rel)), rel
    for rel in ("out/x.pdf", "evidence/.a.yaml.swp", "evidence/a.yaml~", "evidence/4913", "README.md",
                "evidence/.a.yaml.123.tmp", ".git/index", "editions/notes.md"):
        assert not is_input(tmp_path, str(tmp_path / rel)), rel
    assert not is_input(tmp_path, "/elsewhere/sources.yaml")


def test_watch_rebuilds_when_the_audiences_logo_changes(make_workspace):
    """A logo outside the input folders is watched once a build has read it."""
    root = make_workspace(files={"templates/audiences/branded.yaml": LOGO_AUDIENCE,
                                 "assets/logo.png": png_bytes("red")})
    w = Watcher(root.resolve(), audience="branded", max_builds=2)
    assert w.next().startswith("first build: built ")
    w.wait_ready()
    (root / "assets/logo.png").write_bytes(png_bytes("green"))
    assert w.next().startswith("rebuilt after assets/logo.png changed: built ")
    assert w.finish() == 2


WARM = """
import sys
from pathlib import Path
from briefing.watch import watch
n = watch(Path(sys.argv[1]), formats=("docx",), max_builds=2, echo=lambda line: print(line, flush=True),
          on_ready=lambda: print("ready", flush=True))
print("builds", n, "matplotlib", "matplotlib" in sys.modules, flush=True)
"""


def test_a_warm_rebuild_never_imports_matplotlib_when_chart_data_is_unchanged(ws_copy):
    build(ws_copy, formats=("docx",))  # draws the charts into out/.cache once
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", WARM, str(ws_copy)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x.rstrip("\n")) for x in proc.stdout], daemon=True).start()
    try:
        assert lines.get(timeout=WAIT).startswith("first build: ")
        assert lines.get(timeout=WAIT) == "ready"
        edit(ws_copy / "evidence" / "musk-hypocrisy.yaml", "one of several prominent voices",
             "one of several prominent voices (edited)")
        assert lines.get(timeout=WAIT).startswith("rebuilt after evidence/musk-hypocrisy.yaml changed")
        assert lines.get(timeout=WAIT) == "builds 2 matplotlib False"
        assert proc.wait(WAIT) == 0
    except queue.Empty:
        pytest.fail(f"the watch process was silent for {WAIT} s: {proc.stderr.read() if proc.poll() else ''}")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
