"""Output faults: an unwritable out/, a full disk, two builds at once, an interrupted build.

In every case the previous briefing survives byte for byte, no temporary file is left behind, and
the user reads one line saying what went wrong.
"""

from __future__ import annotations

import builtins
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, write_workspace

from briefing import atomic
from briefing.cli import main
from tests.readers import assert_valid_docx, assert_valid_pdf, docx_text, outputs, temp_leftovers

ENOSPC = "No space left on device"


@pytest.fixture
def ws(tmp_path):
    """A small workspace with its briefing built once into out/."""
    root = write_workspace(tmp_path / "ws")
    assert main(["build", "--workspace", str(root)]) == 0
    return root


def edit(root: Path) -> None:
    """Change the evidence, so that a new build would change both files."""
    path = root / "evidence" / "claim-a.yaml"
    path.write_text(path.read_text("utf-8").replace("Something happened.", "Something else happened."), "utf-8")


def _can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None and sys.platform.startswith("linux")


@pytest.fixture
def tmpfs(tmp_path):
    """A factory for small tmpfs mounts (root only): tmpfs(path, options) mounts, and every mount is undone."""
    if not _can_mount():
        pytest.skip("mounting a tmpfs needs root on Linux")
    mounted = []

    def mount(path: Path, options: str) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


# -- an unwritable out/ ---------------------------------------------------------------------------

def test_out_is_a_file(ws, tmp_path, capsys):
    target = tmp_path / "not-a-folder"
    target.write_text("keep me")
    assert main(["build", "--workspace", str(ws), "--out", str(target)]) == 1
    assert capsys.readouterr().err.splitlines() == [f"{target}: error: cannot write to the output folder: File exists"]
    assert target.read_text() == "keep me"


def test_out_on_a_read_only_file_system(ws, tmp_path, tmpfs, capsys):
    out = tmpfs(tmp_path / "ro", "ro,size=1m")
    assert main(["build", "--workspace", str(ws), "--out", str(out)]) == 1
    assert capsys.readouterr().err.splitlines() == [f"{out}: error: cannot write to the output folder:"
                                                    " Read-only file system"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions; the tmpfs test covers it")
def test_out_without_write_permission(ws, capsys):
    before = outputs(ws / "out")
    os.chmod(ws / "out", 0o555)
    try:
        edit(ws)
        assert main(["build", "--workspace", str(ws)]) == 1
        [line] = capsys.readouterr().err.splitlines()
        assert "error: cannot write" in line and "Permission denied" in line
    finally:
        os.chmod(ws / "out", 0o755)
    assert outputs(ws / "out") == before


# -- a full disk ----------------------------------------------------------------------------------

def test_a_real_full_disk_keeps_the_previous_briefing(ws, tmp_path, tmpfs, capsys):
    out = tmpfs(tmp_path / "small", "size=256k")
    assert main(["build", "--workspace", str(ws), "--out", str(out)]) == 0
    before = outputs(out)
    capsys.readouterr()
    free = shutil.disk_usage(out).free
    (out / "filler").write_bytes(b"\0" * max(0, free - 8 * 1024))  # leave 8 KB: too little for either file
    edit(ws)
    assert main(["build", "--workspace", str(ws), "--out", str(out)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and ENOSPC in err[0] and ": error: " in err[0]
    assert err[0].split(": error: ")[0] in {str(out / "test-briefing.pdf"), str(out / "test-briefing.docx"),
                                            str(out / "manifest.json")}
    (out / "filler").unlink()
    assert outputs(out) == before
    assert not temp_leftovers(out)
    assert main(["build", "--workspace", str(ws), "--out", str(out)]) == 0  # space again: it builds
    assert "Something else happened." in docx_text(out / "test-briefing.docx")


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_while_the_pdf_is_written(ws, capsys, monkeypatch):
    before = outputs(ws / "out")
    real_open = builtins.open

    class Full:
        """A file that takes a few bytes and then reports a full disk, as write(2) would."""

        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            self.fh.write(data[:100])
            _no_space()

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    def full_open(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        name = os.fspath(file) if isinstance(file, (str, os.PathLike)) else ""
        return Full(fh) if "w" in mode and name.endswith(".tmp") and ".test-briefing.pdf." in name else fh

    monkeypatch.setattr(builtins, "open", full_open)
    edit(ws)
    assert main(["build", "--workspace", str(ws)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{ws / 'out' / 'test-briefing.pdf'}: error: cannot write the PDF: {ENOSPC}; the previous file is untouched"]
    assert outputs(ws / "out") == before
    assert not temp_leftovers(ws / "out")
    assert json.loads((ws / "out" / "manifest.json").read_text())["status"] == "failed"


def test_disk_full_when_the_files_are_published(ws, capsys, monkeypatch):
    before = outputs(ws / "out")
    monkeypatch.setattr(atomic.os, "fsync", _no_space)
    edit(ws)
    assert main(["build", "--workspace", str(ws)]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(f": error: cannot write: {ENOSPC}; the previous file is untouched")
    monkeypatch.undo()
    assert outputs(ws / "out") == before
    assert not temp_leftovers(ws / "out")


# -- two builds at once ---------------------------------------------------------------------------

def test_simultaneous_builds_both_succeed_one_after_the_other(ws):
    edit(ws)
    cmd = [sys.executable, "-m", "briefing", "build", "--workspace", str(ws)]
    procs = [subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0, 0, 0], results
    out = ws / "out"
    assert_valid_pdf(out / "test-briefing.pdf")
    assert_valid_docx(out / "test-briefing.docx")
    assert "Something else happened." in docx_text(out / "test-briefing.docx")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "built"
    import hashlib

    for fmt, entry in manifest["outputs"].items():
        assert hashlib.sha256((out / entry["file"]).read_bytes()).hexdigest() == entry["sha256"], fmt
    assert not temp_leftovers(out)


# -- an interrupted build -------------------------------------------------------------------------

# Runs `briefing build` with a pause at one point of the build, announced by touching a flag file.
PAUSED = r"""
import pathlib, sys, time
flag, point = pathlib.Path(sys.argv[1]), sys.argv[2]

def pause(*args, **kwargs):
    flag.touch()
    time.sleep(120)

if point == "load":  # reading the workspace
    import briefing.build
    briefing.build.load_inputs = pause
elif point == "compose":  # templates rendered, pandoc parsing
    import briefing.compose
    briefing.compose.compose = pause
elif point == "pdf":  # ReportLab at work, pandoc writing the DOCX beside it
    import briefing.render_pdf
    briefing.render_pdf.render_pdf = pause
else:  # the PDF done, waiting on pandoc
    import briefing.render_docx
    real_wait = briefing.render_docx.DocxJob.wait
    def wait(self, timeout=None):
        pause()
        return real_wait(self, timeout)
    briefing.render_docx.DocxJob.wait = wait
from briefing.cli import main
sys.exit(main(sys.argv[3:]))
"""


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="looks for stray processes in /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("point", ["load", "compose", "pdf", "docx-wait"])
def test_an_interrupted_build_leaves_the_previous_briefing_and_no_temp_files(ws, tmp_path, sig, point):
    before = outputs(ws / "out")
    edit(ws)
    tmp = tmp_path / "tmp"  # pandoc's work folders go here, where the test can see them
    tmp.mkdir()
    flag = tmp_path / "paused"
    proc = subprocess.Popen([sys.executable, "-c", PAUSED, str(flag), point, "build", "--workspace", str(ws)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, TMPDIR=str(tmp)))
    try:
        deadline = time.monotonic() + 600  # a hang guard, not a bound on speed
        while not flag.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the build never reached the pause"
            time.sleep(0.02)
        if point in ("pdf", "docx-wait"):
            assert temp_leftovers(ws / "out", tmp)  # mid-build: the temporary files are there
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    what = "interrupted" if sig == signal.SIGINT else "terminated"
    assert proc.returncode == 128 + sig
    assert err.splitlines() == [f"error: {what}; previous outputs are untouched"]
    assert outputs(ws / "out") == before
    assert temp_leftovers(ws / "out", tmp) == []
    assert _processes_mentioning(str(tmp)) == []  # pandoc did not outlive the build
    manifest = json.loads((ws / "out" / "manifest.json").read_text())
    assert (manifest["status"], manifest["error"]) == ("failed", "error: the build was interrupted")


@pytest.mark.parametrize("worker", [False, True])
def test_sigterm_during_page_layout_is_reported_as_terminated(ws, capsys, monkeypatch, tmp_path, worker):
    # In the build's process: ReportLab's paragraph parser catches every exception and re-raises it rebuilt
    # from a message (annotateException): the signal must still be reported as such, not as a traceback.
    # In the render worker: the build is signalled while the worker lays out the PDF, and stops it.
    from reportlab.platypus import paraparser

    from briefing import render_worker

    if not worker:
        monkeypatch.setattr(render_worker, "available", lambda: False)
    elif not render_worker.available():
        pytest.skip("no render worker on this system")
    build_pid = os.getpid()
    before = outputs(ws / "out")
    real = paraparser.ParaParser.handle_starttag
    calls = tmp_path / "calls"  # a file: the worker counts in its own process

    def starttag(self, tag, attrs):
        with calls.open("a") as f:
            f.write(tag + "\n")
        if len(calls.read_text().split()) == 3:  # mid-layout, inside the parser's try/except
            os.kill(build_pid, signal.SIGTERM)
            time.sleep(0.5 if worker else 0)  # the build stops this worker meanwhile
        return real(self, tag, attrs)

    monkeypatch.setattr(paraparser.ParaParser, "handle_starttag", starttag)
    edit(ws)
    assert main(["build", "--workspace", str(ws)]) == 128 + signal.SIGTERM
    assert len(calls.read_text().split()) >= 3
    assert capsys.readouterr().err.splitlines() == ["error: terminated; previous outputs are untouched"]
    assert outputs(ws / "out") == before
    assert not temp_leftovers(ws / "out")
    manifest = json.loads((ws / "out" / "manifest.json").read_text())
    assert (manifest["status"], manifest["error"]) == ("failed", "error: the build was interrupted")


def test_an_unexpected_exception_leaves_a_manifest_that_says_failed(ws, capsys, monkeypatch):
    import briefing.render_pdf.document

    def broken(*args, **kwargs):
        raise RuntimeError("a renderer bug")

    before = outputs(ws / "out")
    built = json.loads((ws / "out" / "manifest.json").read_text())
    assert built["status"] == "built"
    monkeypatch.setattr(briefing.render_pdf.document, "build", broken)
    edit(ws)
    assert main(["build", "--workspace", str(ws)]) == 2
    assert "internal error: RuntimeError: a renderer bug" in capsys.readouterr().err
    assert outputs(ws / "out") == before
    assert not temp_leftovers(ws / "out")
    manifest = json.loads((ws / "out" / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["error"] == "error: internal error: RuntimeError: a renderer bug"
    assert manifest["inputs_sha256"] == built["inputs_sha256"]  # what the files on disk were built from
    assert manifest["failed_inputs_sha256"] != built["inputs_sha256"]


def test_the_manifest_of_a_failed_build_records_the_error_not_a_warning(ws, capsys):
    from conftest import CLAIM, SOURCES

    # claim-a rests on a retracted source (a warning, listed first); claim-b has an unknown level (an error).
    sources = [SOURCES[0], {**SOURCES[1], "retracted": "withdrawn by the publisher"}]
    (ws / "sources.yaml").write_text(json.dumps({"references": sources}), "utf-8")
    (ws / "evidence" / "claim-b.yaml").write_text(
        json.dumps({**CLAIM, "id": "claim-b", "confidence": "certain"}), "utf-8")
    assert main(["check", "--workspace", str(ws)]) == 1
    problems = capsys.readouterr().out.splitlines()
    assert ": warning: " in problems[0] and any(": error: " in p for p in problems[1:]), problems
    assert main(["build", "--workspace", str(ws)]) == 1
    manifest = json.loads((ws / "out" / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["error"] == next(p for p in problems if ": error: " in p)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="looks for stray processes in /proc")
def test_kill_9_then_rebuild_leaves_no_temporary_file(ws, tmp_path):
    before = outputs(ws / "out")
    edit(ws)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    flag = tmp_path / "paused"
    proc = subprocess.Popen([sys.executable, "-c", PAUSED, str(flag), "docx-wait", "build", "--workspace", str(ws)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, TMPDIR=str(tmp)))
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the build never reached the pause"
            time.sleep(0.02)
        proc.kill()  # SIGKILL: no cleanup runs
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = temp_leftovers(ws / "out", tmp)
    # Both temporary outputs and pandoc's work folder (holding the whole document) are left, all in out/.
    assert {p.name.split(".")[1] for p in left if p.name.endswith(".tmp")} >= {"test-briefing"}
    assert any(p.name.startswith("briefing-docx-") and p.is_relative_to(ws / "out") for p in left), left
    assert temp_leftovers(tmp) == []
    assert outputs(ws / "out") == before
    assert main(["build", "--workspace", str(ws)]) == 0
    assert temp_leftovers(ws / "out", tmp) == []
    assert "Something else happened." in docx_text(ws / "out" / "test-briefing.docx")
    assert json.loads((ws / "out" / "manifest.json").read_text())["status"] == "built"


def test_every_work_folder_of_a_build_is_inside_its_output_folder(ws, monkeypatch):
    """pandoc's files (the references to parse, the document to write) live in out/, which the next build
    cleans after a kill -9; nothing goes to the system's temp folder, where it would stay for good."""
    import tempfile

    made = []
    real = tempfile.TemporaryDirectory

    def spy(*args, **kwargs):
        folder = real(*args, **kwargs)
        made.append(Path(folder.name))
        return folder

    real_mkdtemp = tempfile.mkdtemp

    def spy_mkdtemp(*args, **kwargs):
        made.append(Path(real_mkdtemp(*args, **kwargs)))
        return str(made[-1])

    monkeypatch.setattr(tempfile, "TemporaryDirectory", spy)
    monkeypatch.setattr(tempfile, "mkdtemp", spy_mkdtemp)
    edit(ws)
    assert main(["build", "--workspace", str(ws), "--format", "pdf,docx"]) == 0
    assert made and all(p.resolve().is_relative_to((ws / "out").resolve()) for p in made), made


def test_the_next_build_removes_what_a_killed_build_of_any_format_left(ws):
    """A kill -9 leaves `.{name}.{random}.tmp` files of whichever formats it was writing; the next build, in
    any format, removes them all (and touches no file of the user's)."""
    from briefing.build import FORMATS

    out = ws / "out"
    left = [out / f".test-briefing.{fmt}.x1y2.tmp" for fmt in FORMATS]
    left += [out / ".tmp" / "briefing-docx-1" / "doc.json", out / ".cache" / "charts" / ".c.svg.z9.tmp"]
    for p in left:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("half written")
    mine = out / "notes.tmp"
    mine.write_text("the user's")
    assert main(["build", "--workspace", str(ws), "--format", "pdf"]) == 0
    assert [p for p in left if p.exists()] == [] and not (out / ".tmp").exists()
    assert mine.read_text() == "the user's"
