"""docs/customizing.md is run, not just read: its walk-through and its error examples come from the doc itself."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from conftest import copy_workspace

from briefing.cli import main
from briefing.compose import compose
from briefing.inputs import load
from tests.readers import docx_paragraphs, docx_text, docx_xml, pdf_pages

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "customizing.md"
FENCE = re.compile(r"^```(\w*)([^\n]*)\n(.*?)^```$", re.M | re.S)
WORKSPACE_FILES = ("briefing.yaml", "sources.yaml", "analysis.yaml", "charts.yaml", "evidence", "editions",
                   "scale.yaml")


def _copy(dest: Path) -> Path:
    """The default workspace without its templates/, so only the packaged templates apply."""
    return copy_workspace(dest, WORKSPACE_FILES)


def section(title: str) -> str:
    """The text of one `## ` section of the doc."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}")
    end = text.find("\n## ", start + 4)
    return text[start:end if end > 0 else None]


def walkthrough_steps() -> list[tuple[str, str, str]]:
    """The walk-through as steps: ("run", command, "") for each shell line, ("write", path, text) for each file."""
    steps = []
    for lang, info, body in FENCE.findall(section("Walk-through")):
        target = re.search(r"\bfile=(\S+)", info)
        if target:
            steps.append(("write", target.group(1), body))
        elif lang == "sh":
            steps += [("run", line.strip(), "") for line in body.splitlines() if line.strip()]
    return steps




def run(command: str) -> int:
    """Run one documented `briefing ...` command in-process."""
    words = shlex.split(command)
    assert words[0] == "briefing", command
    return main(words[1:])


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    """A copy of the sample workspace after every walk-through step, and what the commands printed."""
    ws = _copy(tmp_path_factory.mktemp("walk") / "ws")
    printed = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ws)
        capture = _Capture(mp)
        for kind, what, text in walkthrough_steps():
            if kind == "write":
                path = ws / what
                assert path.resolve().is_relative_to(ws.resolve())
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                continue
            with capture as out:
                code = run(what)
            printed[what] = out.text
            assert code == 0, f"`{what}` failed:\n{out.text}"
            if what.startswith("briefing audience new"):
                # "The new audience already builds."
                assert "Bottom line" in compose(load(ws, what.split()[3])).markdown
    return ws, printed


class _Capture:
    """Collects stdout and stderr written during a `with` block."""

    def __init__(self, mp):
        import io
        import sys

        self.mp, self.io, self.sys = mp, io, sys

    def __enter__(self):
        self.buffer = self.io.StringIO()
        self.mp.setattr(self.sys, "stdout", self.buffer)
        self.mp.setattr(self.sys, "stderr", self.buffer)
        return self

    def __exit__(self, *exc):
        self.text = self.buffer.getvalue()
        self.mp.setattr(self.sys, "stdout", self.sys.__stdout__)
        self.mp.setattr(self.sys, "stderr", self.sys.__stderr__)


def test_the_walkthrough_has_commands_and_files():
    steps = walkthrough_steps()
    runs = [what for kind, what, _ in steps if kind == "run"]
    writes = [what for kind, what, _ in steps if kind == "write"]
    assert runs[0] == "briefing audience new regulator --from executive"
    assert "briefing build --audience regulator" in runs and "briefing audiences" in runs
    assert writes == ["templates/audiences/regulator.yaml", "templates/sections/to_verify.md.j2",
                      "templates/audiences/regulator.md.j2"]


def test_the_walkthrough_builds_the_regulator_briefing(walked):
    ws, printed = walked
    assert re.search(r"^regulator +Regulators - what is established", printed["briefing audiences"], re.M)
    pdf = ws / "out" / "the-distillation-wars-regulator.pdf"
    docx = ws / "out" / "the-distillation-wars-regulator.docx"
    assert docx.exists() and pdf.exists()
    assert "warning: the PDF has" not in printed["briefing build --audience regulator"]
    # The headings the doc's own section template declares, and the packaged ones it names.
    new_section = next(text for kind, what, text in walkthrough_steps() if what.endswith("to_verify.md.j2"))
    declared = re.findall(r"^# (.+?) \{#", new_section, re.M)
    heads = [t for s, t in docx_paragraphs(docx) if s == "Heading 1"]
    assert heads == ["What is documented", "Legal avenues and their viability",
                     "The political and regulatory timeline", *declared, "References"]
    text = docx_text(docx)
    assert "How to read this briefing" in text and "Only claims labelled High confidence are established" in text
    assert text.index("How to read this briefing") < text.index("Bottom line")
    assert "4 further claims in the analyst edition" in text
    assert "These allegations rest only on sources with a stake in the matter" in text
    assert "Official - for the regulator" in docx_xml(docx, "word/header1.xml")
    assert "5B2C6F" in docx_xml(docx, "word/styles.xml").upper()
    if pdf.exists():
        pytest.importorskip("briefing.render_pdf")
        assert len(pdf_pages(pdf)) <= 8


# -- the error examples: each doc line is what the tool prints for the mistake the doc describes -------
MISTAKES = {
    "in_sectoin": ("templates/sections/to_verify.md.j2", 'q.in_section("alleged")', 'q.in_sectoin("alleged")'),
    "Expected an expression": ("templates/sections/to_verify.md.j2", re.compile(r"^\{% for item in .*$", re.M),
                               "{% for item in %}"),
    "__class__": ("templates/audiences/regulator.md.j2", re.compile(r"^Every claim carries.*$", re.M),
                  "Prepared by {{ meta.author.__class__ }}."),
    "secrets.txt": ("templates/sections/to_verify.md.j2", re.compile(r"^(\{% for item in )", re.M),
                    '{% include "../../secrets.txt" %}\n\\1'),
    "to_verfy": ("templates/audiences/regulator.yaml", "to_verify,", "to_verfy,"),
    "logo path": ("templates/audiences/regulator.yaml", "page_budget: 8\n", "page_budget: 8\nlogo: ../logo.png\n"),
}


def documented_errors() -> list[str]:
    [block] = [body for lang, _, body in FENCE.findall(section("Safety")) if lang == "text"]
    return block.splitlines()


@pytest.mark.parametrize("key", list(MISTAKES))
def test_each_documented_error_is_what_the_tool_prints(walked, tmp_path, key, capsys):
    ws, _ = walked
    [line] = [e for e in documented_errors() if key in e]
    copy = tmp_path / "ws"
    shutil.copytree(ws, copy, ignore=shutil.ignore_patterns("out"))
    rel, old, new = MISTAKES[key]
    path = copy / rel
    text = path.read_text(encoding="utf-8")
    changed = old.sub(new, text, count=1) if isinstance(old, re.Pattern) else text.replace(old, new, 1)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    if key == "logo path":
        (tmp_path / "logo.png").write_bytes(b"not really")
        pytest.importorskip("briefing.render_pdf")
    fmt = "pdf" if key == "logo path" else "docx"
    assert main(["build", "--audience", "regulator", "--workspace", str(copy), "--format", fmt,
                 "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert line in err, "\n".join(err)


def test_the_documented_limits_are_the_real_ones():
    from briefing.inputs import load
    from briefing.templating import LIMITS, SECONDS_PER_ITEM, limits_for

    text = " ".join(section("Safety").split())
    assert f"may run {LIMITS.seconds:g} seconds and use {LIMITS.memory // 2**20} MB more memory" in text
    assert f"plus {SECONDS_PER_ITEM:g} seconds for each claim and source" in text
    assert f"over {LIMITS.size // 1_000_000} million items (or {LIMITS.int_bits:,} bits)" in text
    errors = "\n".join(documented_errors())
    ws = load(REPO).workspace  # the example's workspace: the repository's own
    assert f"still running after {limits_for(len(ws.evidence) + len(ws.sources)).seconds:g} s" in errors
    assert f"more than {LIMITS.memory // 2**20} MB of memory" in errors


# -- the theme section: its files change the colours every format draws with, its error is what check prints --
def test_the_documented_theme_reaches_every_format(tmp_path, capsys):
    from briefing.theme import load_theme

    text = section("The theme")
    theme_yaml, audience_yaml = [body for lang, _, body in FENCE.findall(text) if lang == "yaml"]
    ws = _copy(tmp_path / "ws")
    (ws / "templates" / "audiences").mkdir(parents=True)
    (ws / "templates" / "theme.yaml").write_text(theme_yaml, encoding="utf-8")
    board = (REPO / "templates" / "audiences" / "board.yaml").read_text(encoding="utf-8")
    (ws / "templates" / "audiences" / "board.yaml").write_text(board + audience_yaml, encoding="utf-8")
    assert main(["check", "--workspace", str(ws)]) == 0
    from briefing.audiences import load_audience

    theme = load_theme(ws, load_audience(ws, "board"))
    assert (theme.colors.brand, theme.colors.disputed, theme.colors.allegation) == ("#5B2C6F", "#A01010", "#B35806")
    assert theme.sizes.docx_body == 10.5
    out = tmp_path / "out"
    assert main(["build", "--workspace", str(ws), "--audience", "board", "--format", "docx,html", "--out",
                 str(out)]) == 0
    styles = docx_xml(out / "the-distillation-wars-board.docx", "word/styles.xml")
    assert re.search(r'<w:color w:val="5B2C6F" ?/>', styles) and re.search(r'<w:color w:val="A01010" ?/>', styles)
    assert 'w:color="B35806"' in styles and re.search(r'<w:sz w:val="21" ?/>', styles)
    html = (out / "the-distillation-wars-board.html").read_text(encoding="utf-8")
    assert "--brand:#5B2C6F" in html and ".disputed{color:#A01010}" in html

    [line] = [body.strip() for lang, _, body in FENCE.findall(text) if lang == "text"]
    (ws / "templates" / "theme.yaml").write_text(theme_yaml.replace('"#5B2C6F"', "purple"), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", "--workspace", str(ws)]) == 1
    assert line in capsys.readouterr().out.splitlines()  # check prints problems on stdout
