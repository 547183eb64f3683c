"""Links and paths that lead somewhere they should not: refused with file and line, or made inert."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import CLAIM, SOURCES, line_of, write_workspace

from briefing.build import build
from briefing.cli import main
from tests.readers import assert_valid_docx, assert_valid_pdf, docx_text, pdf_text

PACKAGED_AUDIENCE = Path(__file__).resolve().parents[2] / "templates" / "audiences" / "executive.yaml"


def build_errors(root: Path, capsys) -> tuple[int, list[str]]:
    """`briefing build`: the exit code and its error lines (warnings left out)."""
    code = main(["build", "--workspace", str(root)])
    return code, [ln for ln in capsys.readouterr().err.splitlines() if ": error: " in ln or ln.startswith("error:")]


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
                                 "file:///etc/passwd", "file://localhost/C:/secrets.txt", "data:text/html,<b>x</b>",
                                 "vbscript:msgbox(1)"])
def test_unsafe_source_urls_are_refused(tmp_path, capsys, url):
    root = write_workspace(tmp_path / "ws", sources=[SOURCES[0], {**SOURCES[1], "URL": url}])
    line = line_of(root / "sources.yaml", "URL:", 2)
    assert main(["check", "--workspace", str(root)]) == 1
    [err] = [ln for ln in capsys.readouterr().out.splitlines() if ": error: " in ln]
    assert err.startswith(f"sources.yaml:{line}:") and "only http, https and mailto" in err
    code, errs = build_errors(root, capsys)
    assert (code, errs) == (1, [err])


def _audience(root: Path, **extra) -> Path:
    """The packaged executive audience, overridden in the workspace: settings replaced or added at the end."""
    path = root / "templates" / "audiences" / "executive.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = [ln for ln in PACKAGED_AUDIENCE.read_text("utf-8").splitlines(keepends=True)
            if ln.split(":", 1)[0] not in extra]
    path.write_text("".join(kept) + "".join(f"{k}: {v}\n" for k, v in extra.items()), encoding="utf-8")
    return path


@pytest.mark.parametrize("logo", ["../outside.png", "/etc/passwd", "assets/../../outside.png", "link.png"])
def test_a_logo_outside_the_workspace_is_refused(tmp_path, capsys, logo):
    (tmp_path / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    root = write_workspace(tmp_path / "ws")
    if logo == "link.png":  # inside by name, outside by target
        os.symlink(tmp_path / "outside.png", root / "link.png")
    path = _audience(root, logo=f'"{logo}"')
    code, errs = build_errors(root, capsys)
    line = line_of(path, "logo:")
    assert (code, errs) == (1, [f"templates/audiences/executive.yaml:{line}:1: error: logo path '{logo}' leads"
                                " outside the workspace; refused"])
    assert not (root / "out" / "test-briefing.pdf").exists()


def test_an_image_in_a_template_is_never_fetched(tmp_path):
    """A workspace template that shows a local file or a URL as an image: nothing is read or embedded."""
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\nSECRET-BYTES")
    root = write_workspace(tmp_path / "ws")
    section = root / "templates" / "sections" / "methodology.md.j2"
    section.parent.mkdir(parents=True)
    section.write_text(f"## Note\n\n![local]({secret}) ![up](../secret.png) ![web](https://example.org/x.png)"
                       " [run](javascript:alert(1)) [disk](file:///etc/passwd)\n", encoding="utf-8")
    _audience(root, sections="[bottom_line, documented, methodology, references]")
    result = build(root)
    pdf, docx = (root / "out" / Path(result.outputs[f]).name for f in ("pdf", "docx"))
    assert b"SECRET-BYTES" not in pdf.read_bytes()
    with zipfile.ZipFile(docx) as z:
        assert not any(b"SECRET-BYTES" in z.read(n) for n in z.namelist())
        assert not [n for n in z.namelist() if n.startswith("word/media/")]
        rels = z.read("word/_rels/document.xml.rels").decode()
    assert "javascript:" not in rels and "file:" not in rels
    assert "run" in docx_text(docx) and "disk" in docx_text(docx)  # the link text stays, as plain text
    from pypdf import PdfReader

    for page in PdfReader(str(pdf)).pages:
        for annot in page.get("/Annots") or []:
            uri = str(annot.get_object().get("/A", {}).get("/URI", ""))
            assert not uri.lower().startswith(("javascript:", "file:")), uri
    assert "run" in pdf_text(pdf)
    assert_valid_pdf(pdf)
    assert_valid_docx(docx)


def test_a_symlinked_evidence_file_pointing_outside_is_refused_by_build(tmp_path, capsys):
    outside = tmp_path / "secret.yaml"
    outside.write_text("".join(f"{k}: {v}\n" for k, v in {**CLAIM, "id": "secret", "claim": "Leaked text.",
                                                          "sources": "[src-a, src-b]"}.items()), encoding="utf-8")
    root = write_workspace(tmp_path / "ws")
    os.symlink(outside, root / "evidence" / "link.yaml")
    code, errs = build_errors(root, capsys)
    assert (code, errs) == (1, ["evidence/link.yaml:1:1: error: symbolic link points outside the workspace; refused"])
    shutil.rmtree(root / "out", ignore_errors=True)


def test_a_symlinked_evidence_folder_pointing_outside_is_refused(tmp_path, capsys):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "a.yaml").write_text("".join(f"{k}: {v}\n" for k, v in {**CLAIM, "sources": "[src-a, src-b]"}.items()),
                                    encoding="utf-8")
    root = write_workspace(tmp_path / "ws")
    shutil.rmtree(root / "evidence")
    os.symlink(outside, root / "evidence")
    code, errs = build_errors(root, capsys)
    assert code == 1 and errs == ["evidence/a.yaml:1:1: error: symbolic link points outside the workspace; refused"]
