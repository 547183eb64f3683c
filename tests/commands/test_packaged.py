"""The shipped templates are found in a source checkout (editable install) and in an installed wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from conftest import REPO

from briefing.packaged import PACKAGE_TEMPLATES, package_templates

# What a wheel is built from: the package, the top-level templates/ and the packaging files.
SOURCES = ("briefing", "templates", "pyproject.toml", "setup.py", "README.md")


def test_a_checkout_uses_the_top_level_templates():
    assert package_templates() == PACKAGE_TEMPLATES == REPO / "templates"
    assert not (REPO / "briefing" / "templates").exists()  # one copy only: no stale second folder
    for name in ("base.md.j2", "macros.md.j2", "numeric.csl", "reference.docx", "theme.yaml",
                 "audiences/executive.yaml", "sections/documented.md.j2"):
        assert (PACKAGE_TEMPLATES / name).is_file(), name


def test_an_installed_wheel_carries_the_templates_and_builds_a_new_workspace(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, src / name)
    wheels = tmp_path / "wheels"
    # As a user builds it: pip fetches the build backend the project declares (CI has the network).
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(wheels)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = wheels.glob("briefing-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    # The dependencies come from this environment's site-packages (a plain path entry: its
    # editable-install hook, a .pth file there, is not run), so the wheel's own copy is imported.
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    where = subprocess.run([str(py), "-c", "from briefing.packaged import PACKAGE_TEMPLATES as t; print(t)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout.strip()
    assert Path(where) == site / "briefing" / "templates"

    briefing = venv / "bin" / "briefing"
    ws = tmp_path / "other-topic"
    for args in (["init", str(ws)], ["check", "-w", str(ws)], ["audience", "new", "council", "--from", "executive",
                                                              "-w", str(ws)],
                 ["build", "-w", str(ws)], ["build", "-w", str(ws), "--audience", "council"]):
        result = subprocess.run([str(briefing), *args], capture_output=True, text=True, cwd=tmp_path, timeout=300)
        assert result.returncode == 0, (args, result.stderr)
    assert (ws / "templates" / "audiences" / "council.yaml").is_file()
    assert sorted(p.suffix for p in (ws / "out").glob("*.pdf")) == [".pdf", ".pdf"]
    assert sorted(p.suffix for p in (ws / "out").glob("*.docx")) == [".docx", ".docx"]
