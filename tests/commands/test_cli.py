"""The entry point: the parser built from the command modules, a light start-up, every command documented."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

import pytest
from conftest import REPO

from briefing.cli import COMMANDS, parser

# What neither `--help` nor `check` may import: they never draw, lay out a page or serve.
HEAVY = ("matplotlib", "reportlab", "svglib", "briefing.render_pdf", "briefing.render_html", "briefing.render_docx",
         "briefing.chart_drawing", "watchfiles", "http.server")

PROBE = """
import importlib, json, sys
if sys.argv[1]:
    importlib.import_module(sys.argv[1])
from briefing.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imported_by(*argv: str, first: str = "") -> tuple[int, set[str]]:
    """Run the command line in a fresh interpreter (after importing `first`); its exit code and every module loaded."""
    proc = subprocess.run([sys.executable, "-c", PROBE, first, *argv], capture_output=True, text=True, cwd=REPO,
                          timeout=120)
    data = json.loads(proc.stdout.splitlines()[-1])
    return data["code"], set(data["modules"])


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_help_imports_nothing_heavy():
    code, modules = imported_by("--help")
    assert code == 0
    assert "briefing.commands.build" in modules  # the probe sees the command modules load
    assert heavy(modules) == []


def test_check_imports_nothing_heavy():
    code, modules = imported_by("check", "--workspace", str(REPO))
    assert code == 0
    assert "briefing.compose" in modules  # check renders the templates: the probe sees what it loads
    assert heavy(modules) == []


def test_the_probe_sees_a_heavy_import():
    """The tests above are able to fail: a renderer imported on the way is seen."""
    code, modules = imported_by("--help", first="briefing.render_html")
    assert code == 0
    assert "briefing.render_html" in heavy(modules)


def commands(p: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[str]:
    """Every command line the parser accepts, sub-actions included: 'check', 'audience new', 'new evidence'…"""
    out = []
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = commands(sub, (*prefix, name))
                out += nested or [" ".join((*prefix, name))]
    return out


def test_every_command_is_in_the_readme():
    readme = (REPO / "README.md").read_text("utf-8")
    names = commands(parser())
    assert {"check", "build", "audience new", "new evidence", "new source", "preview"} <= set(names)
    missing = [n for n in names if not re.search(rf"`briefing {re.escape(n)}\b", readme)]
    assert not missing, f"commands missing from README.md's table: {missing}"


def test_each_command_module_declares_its_commands():
    for module in COMMANDS:
        assert callable(module.add_parser) and callable(module.run), module.__name__
        sub = argparse.ArgumentParser().add_subparsers()
        module.add_parser(sub)
        assert sub.choices, module.__name__
        assert all(p.get_default("func") is not None or any(isinstance(a, argparse._SubParsersAction)
                                                             for a in p._actions)
                   for p in sub.choices.values()), module.__name__


EXIT_PROBE = """
import atexit, sys
atexit.register(print, "exit handler ran", file=sys.stderr)
from briefing.__main__ import run
run()
"""


def _entry(*argv: str) -> subprocess.CompletedProcess[str]:
    """The console-script entry point in a fresh interpreter, its output block-buffered (a pipe, not a terminal)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run([sys.executable, "-c", EXIT_PROBE, *argv], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=120)


def test_entry_point_exits_with_the_output_flushed_and_the_exit_handlers_run():
    # run() skips the interpreter's teardown: nothing a normal exit does that matters may be lost.
    proc = _entry("check")
    assert proc.returncode == 0
    assert proc.stdout.startswith("evidence/") and proc.stdout.endswith("both will be shown\n")  # a buffered output
    assert proc.stderr.splitlines() == ["0 error(s), 1 warning(s)", "exit handler ran"]


def test_entry_point_keeps_a_failing_commands_exit_code(tmp_path):
    proc = _entry("check", "--workspace", str(tmp_path / "missing"))
    assert proc.returncode == 1
    assert "workspace folder does not exist" in proc.stdout  # buffered, then flushed
    assert proc.stderr.splitlines() == ["1 error(s), 0 warning(s)", "exit handler ran"]


@pytest.mark.parametrize(("argv", "pdf"), [
    (["build"], True),
    (["build", "-w", "ws", "--audience", "board"], True),
    (["build", "-f", "docx"], False),
    (["build", "--format", "docx,html"], False),
    (["build", "--format=html,PDF"], True),
    (["build", "-fdocx"], False),
    (["build", "-f", "pdf", "-f", "docx"], False),  # argparse keeps the last
    (["build", "--", "-f", "docx"], True),
    (["check"], False),
    (["watch", "-f", "pdf"], False),  # watch renders in its own warm process
    ([], False),
])
def test_the_entry_point_forks_the_pdf_worker_ahead_only_for_a_build_of_a_pdf(argv, pdf):
    from briefing.__main__ import builds_pdf

    assert builds_pdf(argv) is pdf


@pytest.mark.parametrize("unbuffered", [False, True])
def test_a_reader_that_stops_early_gets_no_error_and_no_traceback(unbuffered):
    """`briefing check | head -1`: the output's reader is gone. The command stops quietly with status 1, whether
    the output failed while printing (unbuffered) or at the exit's flush."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen([sys.executable, "-m", "briefing", "check", "--workspace", str(REPO)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command prints its first line
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 1
    assert "internal error" not in err and "Traceback" not in err and "Exception ignored" not in err
