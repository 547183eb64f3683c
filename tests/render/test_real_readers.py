"""Real readers: qpdf checks the PDF's structure, a strict OOXML reading of the DOCX, and LibreOffice opens
the DOCX headless and prints the same text.

The strict checks live in tests/readers.py (assert_valid_pdf, assert_valid_docx) so that every test
producing a file can call them; the fault suite does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from briefing.build import build
from tests.readers import assert_valid_docx, assert_valid_pdf, docx_text, docx_xml, pdf_text, words

REPO = Path(__file__).resolve().parents[2]
AUDIENCES = ("executive", "analyst", "board", "policy")


@pytest.fixture(scope="module")
def briefings(tmp_path_factory):
    """The default workspace built for every packaged audience: {audience: (pdf, docx)}."""
    out = tmp_path_factory.mktemp("readers")
    made = {}
    for audience in AUDIENCES:
        result = build(REPO, audience=audience, out_dir=out)
        made[audience] = tuple(out / Path(result.outputs[f]).name for f in ("pdf", "docx"))
    return made


@pytest.mark.parametrize("audience", AUDIENCES)
def test_qpdf_and_a_strict_docx_reading_pass(briefings, audience):
    pdf, docx = briefings[audience]
    assert_valid_pdf(pdf)
    assert_valid_docx(docx)


@pytest.mark.skipif(not shutil.which("qpdf"), reason="qpdf is not installed")
def test_the_strict_pdf_check_catches_a_damaged_file(briefings, tmp_path):
    """assert_valid_pdf is not a formality: a PDF with a corrupted cross-reference table fails it."""
    pdf = briefings["executive"][0]
    data = bytearray(pdf.read_bytes())
    at = data.rindex(b"startxref") + len(b"startxref\n")
    data[at:at + 3] = b"999"
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(bytes(data))
    with pytest.raises(AssertionError, match="qpdf --check"):
        assert_valid_pdf(broken)


def test_the_strict_docx_check_catches_a_broken_package(briefings, tmp_path):
    """assert_valid_docx is not a formality: a relationship to a missing part fails it."""
    import zipfile

    docx = briefings["executive"][1]
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(docx) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/_rels/document.xml.rels":
                data = data.replace(b'Target="styles.xml"', b'Target="missing.xml"')
            dst.writestr(item, data)
    with pytest.raises(AssertionError, match="missing part"):
        assert_valid_docx(broken)


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(not _soffice(), reason="LibreOffice is not installed (.ci/run installs libreoffice-writer-nogui)")
@pytest.mark.parametrize("audience", ["executive", "analyst"])
def test_libreoffice_opens_the_docx_and_prints_the_same_text(briefings, tmp_path, audience):
    """Slow (a few seconds): `soffice --headless --convert-to pdf`, then the words are compared."""
    _, docx = briefings[audience]
    profile = tmp_path / "lo-profile"  # a private profile: no first-run dialogs, no shared lock
    proc = subprocess.run([_soffice(), "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
                          capture_output=True, text=True, timeout=180)
    converted = tmp_path / (docx.stem + ".pdf")
    assert proc.returncode == 0 and converted.exists(), proc.stdout + proc.stderr
    assert_valid_pdf(converted)
    body = docx_text(docx)
    # URLs break at slashes and hyphens when laid out: their pieces are compared apart.
    url_words = set(words(" ".join(re.findall(r"https?://\S+", body))))
    lo_words = Counter(w for w in words(pdf_text(converted)) if w not in url_words)
    docx_words = Counter(w for w in words(body) if w not in url_words)
    # LibreOffice breaks a word too long for a narrow table column inside the word ("Unsubstantia-ted"):
    # such a word must still be there, whole, once the line breaks are taken out.
    compact = re.sub(r"\s+", "", pdf_text(converted)).casefold()
    missing = {w: n for w, n in (docx_words - lo_words).items() if compact.count(w) < docx_words[w]}
    assert not missing, f"in the DOCX but not in LibreOffice's rendering: {dict(list(missing.items())[:20])}"
    # What LibreOffice adds is the running header and footer on each page, and page numbers.
    chrome = set(words(" ".join(" ".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", docx_xml(docx, part)))
                                for part in _parts(docx, r"word/(header|footer)\d*\.xml"))))
    extra = {w for w in lo_words - docx_words
             if w not in chrome and not w.isdigit() and not any(w in d for d in docx_words)}  # or a piece
    assert not extra, f"in LibreOffice's rendering but not in the DOCX: {sorted(extra)[:20]}"


def _parts(docx: Path, pattern: str) -> list[str]:
    import zipfile

    with zipfile.ZipFile(docx) as z:
        return [n for n in z.namelist() if re.fullmatch(pattern, n)]
