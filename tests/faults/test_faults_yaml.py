"""Bad YAML through `briefing build`: one clear `path:line:column: error:` line and exit 1, or a clean build.

The loader's own tests (test_yamlsafe.py, test_workspace.py) cover the messages in depth; here each
fault goes through the command a user runs, and the previous briefing must survive every one.
"""

from __future__ import annotations

import builtins
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CLAIM, REPO, write_workspace

from briefing import yamlsafe
from briefing.cli import main
from tests.readers import docx_text, outputs, pdf_text, temp_leftovers

HEAD = "id: c\ntitle: T\nclaim: C\ndate: 2026-01-01\nconfidence: high\nsources: [src-a, src-b]\n"
LAUGHS = "\n".join(['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
                   + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]) + "\n"


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A clean workspace and its briefing, built once: what every failed build must leave untouched."""
    root = write_workspace(tmp_path_factory.mktemp("prev") / "ws")
    assert main(["build", "--workspace", str(root)]) == 0
    return root


@pytest.fixture
def ws(previous, tmp_path):
    """A copy of the clean workspace with its built out/."""
    return Path(shutil.copytree(previous, tmp_path / "ws", symlinks=True))


def build_cli(ws: Path, capsys) -> tuple[int, list[str]]:
    """`briefing build` in this process: the exit code and the stderr lines."""
    code = main(["build", "--workspace", str(ws)])
    return code, capsys.readouterr().err.strip().splitlines()


def refused(ws: Path, capsys, expected: str) -> None:
    """The build fails with exactly one error line, and the previous PDF and DOCX are byte for byte intact."""
    before = outputs(ws / "out")
    code, err = build_cli(ws, capsys)
    assert (code, err) == (1, [expected])
    assert outputs(ws / "out") == before and len(before) == 2
    assert '"status": "failed"' in (ws / "out" / "manifest.json").read_text()
    assert not temp_leftovers(ws / "out")


def test_alias_bomb(ws, capsys):
    (ws / "evidence" / "bomb.yaml").write_text(HEAD + LAUGHS, encoding="utf-8")
    before = outputs(ws / "out")
    code, err = build_cli(ws, capsys)
    assert code == 1 and len(err) == 1
    assert err[0].startswith("evidence/bomb.yaml:")
    assert err[0].endswith(": error: too many values after expanding aliases (an alias bomb?); remove the anchors")
    line = int(err[0].split(":")[1])
    assert 7 <= line <= 16  # on one of the anchor lines
    assert outputs(ws / "out") == before


def test_alias_bomb_through_the_real_command(ws):
    """The same, as a user runs it: a new process, exit status 1, no traceback."""
    (ws / "evidence" / "bomb.yaml").write_text(HEAD + LAUGHS, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "briefing", "build", "--workspace", str(ws)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 1 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "alias bomb" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_50_mb_file_is_refused_by_its_size_without_being_read(ws, capsys, monkeypatch):
    big = ws / "evidence" / "huge.yaml"
    with open(big, "wb") as fh:  # sparse: 50 MB on paper, nothing on disk
        fh.truncate(50 * 1024 * 1024)
    real_open, real_read = builtins.open, Path.read_bytes

    def guarded_open(file, *args, **kwargs):
        if os.fspath(file) == os.fspath(big) if isinstance(file, (str, os.PathLike)) else False:
            raise AssertionError("the oversized file was opened")
        return real_open(file, *args, **kwargs)

    def guarded_read(self):
        if self == big:
            raise AssertionError("the oversized file was read")
        return real_read(self)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(Path, "read_bytes", guarded_read)
    refused(ws, capsys, "evidence/huge.yaml:1:1: error: file is 52.4 MB; the limit is 2 MB")


def test_binary_file(ws, capsys):
    (ws / "evidence" / "image.yaml").write_bytes(HEAD.encode() + b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    # the PNG signature's own \n bytes count as lines: the first NUL is on line 9
    refused(ws, capsys, "evidence/image.yaml:9:1: error: binary file (contains NUL bytes), not YAML text")


def test_a_thousand_levels_of_nesting(ws, capsys):
    (ws / "evidence" / "deep.yaml").write_text(HEAD + "caveats: " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    code, err = build_cli(ws, capsys)
    assert code == 1 and len(err) == 1
    assert err[0].startswith("evidence/deep.yaml:7:")
    assert err[0].endswith(f": error: nesting deeper than {yamlsafe.MAX_DEPTH} levels")


def test_block_nesting_a_thousand_deep(ws, capsys):
    body = HEAD + "caveats:\n" + "".join("  " * i + "- \n" for i in range(1, 1000))
    (ws / "evidence" / "deep.yaml").write_text(body, encoding="utf-8")
    code, err = build_cli(ws, capsys)
    assert code == 1 and len(err) == 1 and err[0].startswith("evidence/deep.yaml:")
    assert err[0].endswith(f"nesting deeper than {yamlsafe.MAX_DEPTH} levels")


@pytest.mark.parametrize("char", ["\x07", "\x1b", "\x7f", "\ufffe"])
def test_control_characters(ws, capsys, char):
    (ws / "evidence" / "ctl.yaml").write_text(HEAD + f"caveats: [a{char}b]\n", encoding="utf-8")
    refused(ws, capsys, f"evidence/ctl.yaml:7:12: error: control character U+{ord(char):04X} is not allowed;"
                        " remove it")


def test_bom_and_crlf_build_cleanly(ws, capsys):
    body = ("\ufeff" + HEAD.replace("claim: C\n", "claim: >\n  First line\n  second line.\n")).replace("\n", "\r\n")
    (ws / "evidence" / "claim-a.yaml").unlink()
    (ws / "evidence" / "windows.yaml").write_bytes(body.encode("utf-8"))
    code, err = build_cli(ws, capsys)
    assert (code, err) == (0, [])
    pdf, docx = (ws / "out" / "test-briefing.pdf"), (ws / "out" / "test-briefing.docx")
    for text in (pdf_text(pdf), docx_text(docx)):
        assert "First line second line." in text and "\r" not in text and "\ufeff" not in text


@pytest.mark.parametrize("body, expected", [
    # UTF-8 text with one Latin-1 byte (an editor that saved half the file in the other encoding)
    ((HEAD + "caveats: [na\u00efve caf").encode("utf-8") + "\u00e9]\n".encode("latin-1"),
     "evidence/mixed.yaml:7:20: error: not valid UTF-8 (byte 0xe9); save the file as UTF-8"),
    # a whole file in Windows-1252
    ((HEAD + "title: \u201cquoted\u201d\n").encode("cp1252"),
     "evidence/mixed.yaml:7:8: error: not valid UTF-8 (byte 0x93); save the file as UTF-8"),
    # Notepad's "Unicode": UTF-16 with its byte-order mark
    ("\ufeff".encode("utf-16-le") + HEAD.encode("utf-16-le"),
     "evidence/mixed.yaml:1:1: error: file is UTF-16 text; save it as UTF-8"),
], ids=["utf8-with-latin1-byte", "cp1252", "utf16"])
def test_mixed_encodings(ws, capsys, body, expected):
    (ws / "evidence" / "mixed.yaml").write_bytes(body)
    refused(ws, capsys, expected)


def test_one_bad_file_among_good_ones_names_only_itself(ws, capsys):
    """Every fault above leaves the other files alone: the error names the bad file, nothing else."""
    (ws / "evidence" / "claim-b.yaml").write_text(
        "".join(f"{k}: {v}\n" for k, v in {**CLAIM, "id": "claim-b", "sources": "[src-a, src-b]"}.items()),
        encoding="utf-8")
    (ws / "evidence" / "z-bad.yaml").write_text(HEAD.replace("id: c", "id: z") + "tags: [a\n", encoding="utf-8")
    code, err = build_cli(ws, capsys)
    assert code == 1 and len(err) == 1 and err[0].startswith("evidence/z-bad.yaml:")


def _positions(node, out: list) -> list:
    """Every value and key position in a parsed tree, in order."""
    out.append((type(node).__name__, getattr(node, "pos", None)))
    if isinstance(node, dict):
        for k, v in node.items():
            out.append(("key", k, node.key_pos[k]))
            _positions(v, out)
    elif isinstance(node, list):
        for v in node:
            _positions(v, out)
    elif isinstance(node, yamlsafe.Scalar):
        out.append((node.raw, node.quoted, repr(node.value)))
    return out


def test_libyaml_and_the_python_loader_read_every_shipped_file_alike(monkeypatch):
    """The fast path (libyaml) gives the same values, quoting and positions as the pure-Python loader."""
    files = [p for p in REPO.rglob("*.y*ml") if ".git" not in p.parts and "out" not in p.parts
             and ".venv" not in p.parts]
    assert len(files) > 40
    texts = {p: yamlsafe.read_text(p, p.name)[0] for p in files}
    if yamlsafe.yaml.__with_libyaml__:
        assert all(yamlsafe._fast_compose(t) for t in texts.values() if t)  # the fast path is the one taken
    fast = {p: _positions(yamlsafe.parse(t, p.name), []) for p, t in texts.items() if t}
    monkeypatch.setattr(yamlsafe, "_fast_compose", lambda text: False)
    slow = {p: _positions(yamlsafe.parse(t, p.name), []) for p, t in texts.items() if t}
    assert fast == slow
