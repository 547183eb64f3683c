"""briefing/publish.py: one build at a time, every output renamed into place together, a manifest that tells."""

from __future__ import annotations

import json

import pytest

from briefing.errors import BriefingError
from briefing.publish import WORK_DIR, clean_stale, failure_text, publishing


def _manifest(folder):
    return json.loads((folder / "manifest.json").read_text("utf-8"))


def test_a_publication_renames_every_file_together_and_records_it(tmp_path):
    """Outputs appear only when the block ends; the manifest names each with its digest and the counts."""
    out = tmp_path / "out"
    with publishing(out, "inputs") as pub:
        with pub.files("brief", ("pdf", "html")) as temps:
            for fmt, tmp in temps.items():
                tmp.write_bytes(fmt.encode())
            assert not (out / "brief.pdf").exists() and not (out / "brief.html").exists()
        pub.manifest({fmt: pub.target("brief", fmt) for fmt in ("pdf", "html")}, "board", {"pages": 3})
    assert (out / "brief.pdf").read_bytes() == b"pdf" and (out / "brief.html").read_bytes() == b"html"
    data = _manifest(out)
    assert data["status"] == "built" and data["inputs_sha256"] == "inputs" and data["audience"] == "board"
    assert data["outputs"]["pdf"]["file"] == "brief.pdf" and data["pages"] == 3
    assert not (out / WORK_DIR).exists()


def test_a_failed_build_leaves_the_old_files_and_says_so(tmp_path):
    """An error in any format: no output replaced, the manifest says the files predate the inputs, the error goes on."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "brief.pdf").write_bytes(b"old")
    with pytest.raises(BriefingError, match="the DOCX broke"):
        with publishing(out, "new-inputs") as pub:
            with pub.files("brief", ("pdf", "docx")) as temps:
                temps["pdf"].write_bytes(b"new")
                raise BriefingError("the DOCX broke", "templates/audiences/board.yaml", 4)
    assert (out / "brief.pdf").read_bytes() == b"old"
    assert sorted(p.name for p in out.iterdir()) == [".build.lock", "brief.pdf", "manifest.json"]
    data = _manifest(out)
    assert data["status"] == "failed" and data["failed_inputs_sha256"] == "new-inputs"
    assert data["error"] == "templates/audiences/board.yaml:4:1: error: the DOCX broke"


def test_what_a_killed_build_left_is_cleaned_and_nothing_else(tmp_path):
    """Our own temporary names go (outputs, manifest, chart cache, work folder); a user's files stay."""
    out = tmp_path / "out"
    stale = [out / ".brief.pdf.x1.tmp", out / ".brief.html.x2.tmp", out / ".manifest.json.x3.tmp",
             out / ".cache" / "charts" / ".abc.png.x4.tmp", out / WORK_DIR / "briefing-x" / "references.json"]
    kept = [out / "brief.pdf", out / "notes.tmp", out / ".cache" / "charts" / "abc.png"]
    for p in stale + kept:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    clean_stale(out)
    assert [p for p in stale if p.exists()] == [] and all(p.exists() for p in kept)


def test_the_failure_text_is_the_first_error_or_the_interruption():
    """What the manifest records: an interrupted build says so, even when a library wrapped the Ctrl-C."""
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise RuntimeError("wrapped") from None
    except RuntimeError as exc:
        wrapped = exc
    assert failure_text(wrapped) == "error: the build was interrupted"
    assert failure_text(ValueError("bad")) == "error: internal error: ValueError: bad"
