"""End-to-end: build the default workspace and read the PDF and DOCX back as a reader would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import copy_workspace

from briefing.audiences import load_audience
from briefing.build import build, slug
from briefing.errors import BriefingError
from tests.readers import docx_paragraphs, docx_text, docx_xml, fold, pdf_pages, pdf_text, words

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def test_default_build_is_the_short_executive_briefing(tmp_path):
    """The README's first command: the default audience builds both formats, within its page budget."""
    result = build(REPO, out_dir=tmp_path)
    assert set(result.outputs) == {"pdf", "docx"}
    assert (tmp_path / f"{slug('The Distillation Wars')}.pdf").exists()
    assert 2 <= result.pages <= load_audience(REPO, "executive").page_budget
FULL = "analyst"  # the audience that carries every section and chart




@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The default workspace's full (analyst) briefing, built once into a temporary folder."""
    out = tmp_path_factory.mktemp("out")
    result = build(REPO, out_dir=out, audience=FULL)
    return result, out


def _paths(built):
    result, out = built
    return out / Path(result.outputs["pdf"]).name, out / Path(result.outputs["docx"]).name


def test_build_writes_both_formats_and_a_manifest(built):
    result, out = built
    pdf, docx = _paths(built)
    assert pdf.name == f"{slug('The Distillation Wars')}-{FULL}.pdf" and pdf.stat().st_size > 10_000
    assert docx.exists() and docx.stat().st_size > 10_000
    assert result.pages >= 3 and result.claims >= 40 and result.references >= 10 and result.charts >= 3
    manifest = (out / "manifest.json").read_text()
    assert '"status": "built"' in manifest and "inputs_sha256" in manifest
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


SECTIONS = ["Bottom line", "What is documented", "What is alleged or disputed", "What the evidence does not show",
            "Implications for leaders", "References", "Note on methodology"]


def test_pdf_reads_like_a_briefing(built):
    pdf, _ = _paths(built)
    text = pdf_text(pdf)
    for heading in SECTIONS:
        assert heading in text, heading
    assert "The Distillation Wars" in text and "For internal use" in text and "30 June 2026" in text
    for label in ("High confidence", "Moderate confidence", "Low confidence", "Unsubstantiated"):
        assert label in text
    pages = pdf_pages(pdf)
    assert f"Page 1 of {len(pages)}" in fold(pages[0])
    # No markup left unrendered: no Markdown syntax, no attribute braces, no escaped punctuation.
    for leftover in ("{.confidence", "[@", "\\,", "custom-style", "**", ":::"):
        assert leftover not in text, leftover


def test_docx_has_word_structure(built):
    _, docx = _paths(built)
    paras = docx_paragraphs(docx)
    headings = [t for s, t in paras if s.startswith("Heading 1")]
    for heading in SECTIONS[1:]:
        assert heading in headings, heading
    assert any(s == "Caption" or s == "Image Caption" for s, _ in paras)
    xml = docx_xml(docx)
    assert 'w:val="ConfidenceHigh"' in xml or "Confidence High" in docx_xml(docx, "word/styles.xml")
    assert "<w:hyperlink" in xml
    assert 'descr="' in xml  # chart alt text
    header = "".join(docx_xml(docx, n) for n in ("word/header1.xml",) if n)
    assert "For internal use" in header


def test_pdf_and_docx_carry_the_same_words(built):
    """Parity: the body words of both formats match (the PDF adds running headers, footers, title block)."""
    import re

    pdf, docx = _paths(built)
    body = docx_text(docx)
    # URLs wrap at slashes and hyphens in the PDF, splitting their tokens; links are tested on their own.
    url_words = set(words(" ".join(re.findall(r"https?://\S+", body))))
    pdf_words = Counter(w for w in words(pdf_text(pdf)) if w not in url_words)
    docx_words = Counter(w for w in words(body) if w not in url_words)
    missing_from_pdf = docx_words - pdf_words
    assert not missing_from_pdf, f"in DOCX but not PDF: {dict(list(missing_from_pdf.items())[:20])}"
    extra = pdf_words - docx_words
    # What only the PDF prints: the title block and the running header/footer on every page.
    chrome = Counter(words("For internal use Page of The Distillation Wars Strategy and Intelligence Unit"
                           " 30 June 2026 Edition 2"))
    # ... the header row of every table again on each page a table continues onto.
    import docx as python_docx

    document = python_docx.Document(str(docx))
    headers = {w for t in document.tables for c in t.rows[0].cells for w in words(c.text)}
    # ... and a box's title bar again above the rest of a box that continues onto the next page.
    headers |= {w for p in document.paragraphs if p.style.name == "Box Title" for w in words(p.text)}
    # ... and the labels inside each chart, text in the PDF and part of the chart's picture in the DOCX.
    _, out = built
    labels = {w for p in (out / ".cache" / "charts").glob("*.json")
              for i in json.loads(p.read_text("utf-8"))["items"] if i["type"] == "text" for w in words(i["text"])}
    assert {"alibaba", "exchanges", "claims"} <= labels
    unexplained = {w: n for w, n in extra.items()
                   if w not in chrome and w not in headers and w not in labels and not w.isdigit()}
    assert not unexplained, f"in PDF but not DOCX: {dict(list(unexplained.items())[:20])}"


def test_reference_numbers_agree(built):
    """The references section lists the same numbered entries in both formats."""
    pdf, docx = _paths(built)
    import re

    def refs(text: str) -> list[str]:
        tail = text[text.rfind("References"):]
        return re.findall(r"(?:^|\s)(\d{1,2})\. ", tail)

    assert refs(pdf_text(pdf))[:10] == refs(docx_text(docx))[:10]


def test_all_pdf_fonts_embedded(built):
    from pypdf import PdfReader

    pdf, _ = _paths(built)
    reader = PdfReader(str(pdf))
    seen = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            name = str(font.get("/BaseFont"))
            seen.add(name)
            desc = font.get("/FontDescriptor")
            if desc is None and "/DescendantFonts" in font:
                desc = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            if name.endswith("Light") and "/FontFile2" not in (desc or {}):
                continue  # ReportLab's CID fallback (STSong-Light) is only used without a CJK TrueType font
            assert desc is not None and any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), name
    assert seen


@pytest.mark.skipif(not shutil.which("qpdf"), reason="qpdf is not installed")
def test_qpdf_check_passes(built):
    pdf, _ = _paths(built)
    proc = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_same_input_gives_identical_bytes(built, tmp_path):
    pdf, docx = _paths(built)
    result = build(REPO, out_dir=tmp_path, audience=FULL)
    assert (tmp_path / pdf.name).read_bytes() == pdf.read_bytes()
    assert (tmp_path / docx.name).read_bytes() == docx.read_bytes()
    assert result.pages == built[0].pages


@pytest.mark.skipif(not shutil.which("faketime"), reason="faketime is not installed")
def test_the_clock_changes_nothing(built, tmp_path):
    pdf, docx = _paths(built)
    env = dict(os.environ, FAKETIME="2031-03-04 05:06:07")
    env.pop("SOURCE_DATE_EPOCH", None)
    subprocess.run(["faketime", "2031-03-04 05:06:07", sys.executable, "-m", "briefing", "build",
                    "--workspace", str(REPO), "--out", str(tmp_path), "--audience", FULL],
                   check=True, env=env, capture_output=True)
    assert (tmp_path / pdf.name).read_bytes() == pdf.read_bytes()
    assert (tmp_path / docx.name).read_bytes() == docx.read_bytes()


def test_golden_text(built):
    """The extracted text of the default briefing, compared with the reviewed golden copy."""
    pdf, docx = _paths(built)
    got = {f"default-{FULL}.pdf.txt": "\n".join(fold(p) for p in pdf_pages(pdf)) + "\n",
           f"default-{FULL}.docx.txt": "\n".join(t for _, t in docx_paragraphs(docx) if t.strip()) + "\n"}
    for name, text in got.items():
        path = GOLDEN / name
        if os.environ.get("UPDATE_GOLDEN"):
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"run UPDATE_GOLDEN=1 pytest {__file__} to create {path}"
        assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden copy"


HOSTILE = ('<b>bold</b> & co <a href="javascript:alert(1)">x</a> *star* # hash [@cite] a|b `tick` $x$ '
           '\\textbf{gone} \\slash ```{=openxml} <w:p/> ``` 月之暗面 Кими Ωμέγα')


def test_hostile_claim_text_comes_out_literally(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    item = ws / "evidence" / "zz-hostile.yaml"
    item.write_text(yaml.safe_dump({
        "id": "zz-hostile", "title": "Injected <i>markup</i> & more", "claim": HOSTILE, "date": "2026-06-01",
        "confidence": "low", "sources": ["strategy-briefing-2026-distillation-wars"]}, allow_unicode=True),
        encoding="utf-8")
    result = build(ws, out_dir=tmp_path / "out", audience=FULL)
    pdf = tmp_path / "out" / Path(result.outputs["pdf"]).name
    docx = tmp_path / "out" / Path(result.outputs["docx"]).name
    want = fold(HOSTILE)
    assert want in docx_text(docx)
    assert "Injected <i>markup</i> & more" in docx_text(docx)
    text = pdf_text(pdf).replace("- ", "-")
    for piece in ('<b>bold</b> & co', 'href="javascript:alert(1)"', "*star* # hash [@cite] a|b `tick` $x$",
                  "\\textbf{gone} \\slash", "```{=openxml} <w:p/> ```", "月之暗面 Кими Ωμέγα"):
        assert piece in text, piece
    from pypdf import PdfReader

    for page in PdfReader(str(pdf)).pages:
        for annot in page.get("/Annots") or []:
            uri = annot.get_object().get("/A", {}).get("/URI")
            assert uri is None or str(uri).startswith(("http://", "https://", "mailto:")), uri


def test_failed_build_keeps_previous_outputs(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    out = tmp_path / "out"
    result = build(ws, out_dir=out, formats=("docx",))
    docx = out / Path(result.outputs["docx"]).name
    before = docx.read_bytes()
    (ws / "evidence" / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(BriefingError) as info:
        build(ws, out_dir=out, formats=("docx",))
    assert "broken.yaml" in str(info.value.problems[0])
    assert docx.read_bytes() == before
    manifest = (out / "manifest.json").read_text()
    assert '"status": "failed"' in manifest and "broken.yaml" in manifest
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_cli_build_refuses_with_check_messages(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    (ws / "evidence" / "bad.yaml").write_text("id: x\n\ttitle: tab\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "briefing", "build", "--workspace", str(ws)],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 1
    assert "evidence/bad.yaml:2:" in proc.stderr and "Traceback" not in proc.stderr
    assert not (ws / "out" / "the-distillation-wars.pdf").exists()


# Without the render worker, so that this process's modules are every module the build imported (with it,
# the worker draws the charts: tests/render/test_render_worker.py).
_MODULES = """
import sys
from pathlib import Path
from briefing.build import build
build(Path(sys.argv[1]), out_dir=Path(sys.argv[2]), audience=sys.argv[3], formats=("pdf", "docx", "html"),
      worker=False)
print(" ".join(m for m in ("matplotlib", "svglib", "lxml") if m in sys.modules))
"""


def test_a_cold_build_never_imports_svglib_and_a_rebuild_imports_no_chart_drawing(tmp_path):
    """Charts reach the PDF as recorded primitives: no SVG parser, ever; and a rebuild without
    changes finds every chart drawn in the cache, so it imports matplotlib no more than svglib."""
    out = tmp_path / "out"

    def run() -> set[str]:
        proc = subprocess.run([sys.executable, "-c", _MODULES, str(REPO), str(out), FULL], capture_output=True,
                              text=True, cwd=REPO, timeout=600)
        assert proc.returncode == 0, proc.stderr
        return set(proc.stdout.split())

    assert run() == {"matplotlib"}  # the cold build draws its charts
    cached = Counter(p.suffix for p in (out / ".cache" / "charts").iterdir())
    assert cached == {".json": 3, ".png": 3, ".svg": 3}  # primitives (PDF), PNG (DOCX) and SVG (HTML)
    assert run() == set()


@pytest.mark.parametrize("worker", [True, False])
def test_the_charts_are_drawn_while_pandoc_parses(tmp_path, monkeypatch, worker):
    """The charts are handed over before the parse (to the render worker, else a thread), with the reference
    numbers the parse then gives, so nothing is drawn after it."""
    from briefing import chart_drawing, pandoc

    log = tmp_path / "events"  # a file: the worker's events are written from its own process
    parse, plain = pandoc.parse, pandoc.parse_plain
    start, render = chart_drawing.start, chart_drawing.render_in_steps  # what both the worker and a thread draw with

    def event(text: str) -> None:
        with log.open("a", encoding="utf-8") as f:
            f.write(text + "\n")

    def parsing(*args, **kwargs):
        event("parse")
        return parse(*args, **kwargs)

    def parsing_plain(*args, **kwargs):
        event("parse")
        return plain(*args, **kwargs)

    def starting(datas, cache, svg=False, worker=None):
        event(f"start {len(datas)}")
        return start(datas, cache, svg, worker)

    def rendering(datas, cache, svg=False):
        event(f"render {len(datas)}")
        return render(datas, cache, svg)

    monkeypatch.setattr(pandoc, "parse", parsing)
    monkeypatch.setattr(pandoc, "parse_plain", parsing_plain)
    monkeypatch.setattr(chart_drawing, "start", starting)
    monkeypatch.setattr(chart_drawing, "render_in_steps", rendering)
    result = build(REPO, out_dir=tmp_path / "out", audience=FULL, formats=("pdf",), worker=worker)
    assert result.charts == 3
    events = log.read_text("utf-8").splitlines()
    assert events[0] == "start 3" and "parse" in events  # the charts are drawing before the parse starts
    assert events.count("render 3") == 1 and "render 0" not in events  # drawn once, ahead
