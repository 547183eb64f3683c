"""Determinism: the same inputs give the same bytes, whatever the clock, the time zone or the folder.

tests/commands/test_build.py compares two builds of the default workspace and runs one under faketime; this
file adds a patched clock in-process (no tool needed, so it never skips) and a time zone change.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, write_workspace

from briefing.build import build

FUTURE = 1_930_000_000.0  # 2031-02-28: a clock nowhere near the briefing's own date


def _files(result, out: Path) -> dict[str, bytes]:
    return {fmt: (out / Path(p).name).read_bytes() for fmt, p in result.outputs.items()}


@pytest.fixture
def ws(tmp_path):
    return write_workspace(tmp_path / "ws")


def test_a_patched_clock_and_another_time_zone_change_no_byte(ws, tmp_path, monkeypatch):
    first = _files(build(ws, out_dir=tmp_path / "a"), tmp_path / "a")
    real_localtime, real_gmtime = time.localtime, time.gmtime
    monkeypatch.setattr(time, "time", lambda: FUTURE)
    monkeypatch.setattr(time, "time_ns", lambda: int(FUTURE * 1e9))
    monkeypatch.setattr(time, "localtime", lambda t=None: real_localtime(FUTURE if t is None else t))
    monkeypatch.setattr(time, "gmtime", lambda t=None: real_gmtime(FUTURE if t is None else t))
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14, also for the pandoc children
    time.tzset()
    try:
        second = _files(build(ws, out_dir=tmp_path / "b"), tmp_path / "b")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert second == first


def test_another_folder_and_another_working_directory_change_no_byte(ws, tmp_path, monkeypatch):
    first = _files(build(ws, out_dir=tmp_path / "a"), tmp_path / "a")
    moved = Path(shutil.copytree(ws, tmp_path / "elsewhere" / "deeper" / "ws"))
    monkeypatch.chdir(tmp_path / "elsewhere")
    second = _files(build(moved, out_dir=tmp_path / "b"), tmp_path / "b")
    assert second == first


@pytest.mark.skipif(not shutil.which("faketime"), reason="faketime is not installed (.ci/run installs it)")
def test_faketime_reaches_pandoc_too(ws, tmp_path):
    """faketime sets the clock of every process, pandoc included; SOURCE_DATE_EPOCH in the caller's
    environment is dropped, so only the workspace's own date can fix the dates in the files."""
    first = _files(build(ws, out_dir=tmp_path / "a"), tmp_path / "a")
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    subprocess.run(["faketime", "2031-03-04 05:06:07", sys.executable, "-m", "briefing", "build", "--workspace",
                    str(ws), "--out", str(tmp_path / "b")], check=True, env=env, cwd=REPO, capture_output=True)
    assert {fmt: (tmp_path / "b" / f"test-briefing.{fmt}").read_bytes() for fmt in first} == first
