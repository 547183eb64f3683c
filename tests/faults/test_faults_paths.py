"""Path faults: every command works from any working folder, with relative and absolute paths.

The chart cache used to be written relative to the current folder and read relative to the workspace,
so `build --workspace ws` or `--out rel/dir` failed on every briefing with a chart.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, copy_workspace

from briefing.cli import main
from tests.readers import outputs, temp_leftovers


def _next_edition(root: Path) -> None:
    """Change a claim and move briefing.yaml to the next edition, so that there is something to publish."""
    path = sorted((root / "evidence").glob("*.yaml"))[0]
    path.write_text(path.read_text("utf-8").replace("claim: ", "claim: Reportedly, ", 1), "utf-8")
    meta = root / "briefing.yaml"
    n = len(list((root / "editions").glob("*.yaml")))
    meta.write_text(meta.read_text("utf-8").replace(f'edition: "{n}"', f'edition: "{n + 1}"'), "utf-8")


def test_every_command_works_from_another_folder_with_relative_paths(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    ws_abs = copy_workspace(data / "ws")
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    ws = "../data/ws"

    assert main(["check", "-w", ws]) == 0
    # The default workspace has a chart: the case that failed.
    assert main(["build", "-w", ws]) == 0
    assert sorted(outputs(ws_abs / "out")) == ["the-distillation-wars.docx", "the-distillation-wars.pdf"]
    assert main(["build", "-w", ws, "-o", "rel/out"]) == 0
    assert outputs(here / "rel" / "out") == outputs(ws_abs / "out")
    assert list((here / "rel" / "out" / ".cache" / "charts").glob("*.png"))
    assert main(["build", "-w", str(ws_abs), "-o", str(tmp_path / "abs-out"), "-f", "pdf"]) == 0
    assert list(outputs(tmp_path / "abs-out")) == ["the-distillation-wars.pdf"]

    assert main(["audiences", "-w", ws]) == 0
    assert main(["audience", "new", "-w", ws, "ministers"]) == 0
    assert (ws_abs / "templates" / "audiences" / "ministers.yaml").is_file()
    assert main(["build", "-w", ws, "-a", "ministers", "-f", "docx"]) == 0
    assert (ws_abs / "out" / "the-distillation-wars-ministers.docx").is_file()

    assert main(["diff", "-w", ws]) == 0
    editions = sorted((ws_abs / "editions").glob("*.yaml"))
    _next_edition(ws_abs)
    assert main(["publish", "-w", ws, "--date", "2026-12-01"]) == 0
    assert len(sorted((ws_abs / "editions").glob("*.yaml"))) == len(editions) + 1
    assert main(["diff", "-w", ws]) == 0

    assert main(["init", "../data/other", "--title", "Water rights"]) == 0
    assert (data / "other" / "briefing.yaml").is_file()
    assert main(["check", "-w", "../data/other"]) == 0
    assert main(["new", "evidence", "-w", "../data/other", "--id", "well-permits"]) == 0
    assert (data / "other" / "evidence" / "well-permits.yaml").is_file()
    assert main(["new", "source", "-w", "../data/other", "--id", "src-permits"]) == 0
    assert "src-permits" in (data / "other" / "sources.yaml").read_text("utf-8")
    assert main(["schema", "--out", "../data/schema"]) == 0
    assert (data / "schema" / "evidence.schema.json").is_file()

    # Nothing landed in the working folder but the output folder asked for.
    assert sorted(p.name for p in here.iterdir()) == ["rel"]
    assert temp_leftovers(data, here) == []


@pytest.mark.skipif(sys.platform == "win32", reason="stops the watcher with SIGINT")
def test_watch_works_from_another_folder_with_relative_paths(tmp_path):
    pytest.importorskip("watchfiles")
    copy_workspace(tmp_path / "data" / "ws")
    here = tmp_path / "elsewhere"
    here.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "briefing", "watch", "-w", "../data/ws", "-o", "rel/out",
                             "-f", "pdf"], cwd=here, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        deadline = time.monotonic() + 120
        lines = []
        while not any(line.startswith("watching") for line in lines):
            assert time.monotonic() < deadline, lines
            line = proc.stdout.readline()
            assert line or proc.poll() is None, (lines, proc.stderr.read())
            lines.append(line)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert lines[0].startswith("first build: built rel/out/the-distillation-wars.pdf"), lines
    assert list(outputs(here / "rel" / "out")) == ["the-distillation-wars.pdf"]
