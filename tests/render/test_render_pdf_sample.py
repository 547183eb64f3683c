"""PDF renderer on a realistic multi-page briefing (tests/fixtures/pdf/sample.md), plus property tests."""

from __future__ import annotations

import json
import string
import subprocess
from pathlib import Path

import pypandoc
import pytest
from pypdf import PdfReader

from briefing.render_pdf import PdfOptions, render_pdf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pdf"
CHARTS = {"volumes": FIXTURES / "volumes.json"}


@pytest.fixture(scope="module")
def sample_ast() -> dict:
    out = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "json", "--citeproc",
         "--csl", str(FIXTURES / "numeric.csl"), "--bibliography", str(FIXTURES / "refs.json"),
         str(FIXTURES / "sample.md")],
        capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def sample_pdf(sample_ast: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("sample") / "sample.pdf"
    pages = render_pdf(sample_ast, path, charts=CHARTS, options=PdfOptions())
    return path, pages


def flat(text: str) -> str:
    return " ".join(text.split())


def test_sample_layout(sample_pdf: tuple[Path, int]) -> None:
    path, pages = sample_pdf
    reader = PdfReader(path)
    assert len(reader.pages) == pages
    assert 4 <= pages <= 8
    texts = [flat(p.extract_text()) for p in reader.pages]
    for n, text in enumerate(texts, 1):
        assert f"Page {n} of {pages}" in text
        assert "OFFICIAL-SENSITIVE" in text
    whole = " ".join(texts)
    assert "Moonshot AI (月之暗面) Кими Ωμέγα" in whole
    assert "Moderate confidence" in whole.replace("\u00a0", " ")
    assert "[12] Report 12 on model distillation" in whole
    # The 30-row table spans a page break with its header repeated.
    table_pages = [t for t in texts if "2026-" in t and "What was reported" in t]
    assert len(table_pages) >= 2


def test_sample_outline(sample_pdf: tuple[Path, int]) -> None:
    reader = PdfReader(sample_pdf[0])

    def titles(items: list) -> list:
        return [titles(i) if isinstance(i, list) else i.title for i in items]

    assert titles(reader.outline) == [
        "Bottom line", "Key judgements", ["Why it matters"], "What is documented",
        ["Timeline of reported incidents", "Scale of activity"], "International reactions",
        "Implications for policy", "References", "Notes",
    ]
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"


def test_sample_links(sample_pdf: tuple[Path, int]) -> None:
    reader = PdfReader(sample_pdf[0])
    uris, internal = set(), 0
    for page in reader.pages:
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if "/Dest" in annot:
                internal += 1
            elif "/A" in annot:
                uris.add(str(annot["/A"]["/URI"]))
    expected = {f"https://example.com/reports/{i}?ref=brief&lang=en" for i in range(1, 13)}
    assert expected <= uris
    assert uris - expected == {"https://example.org/annex", "mailto:unit@example.org"}
    assert internal >= 40  # every citation superscript (30 table rows alone), the note and the cross-reference


def test_property_any_text_comes_out_literally(tmp_path: Path) -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    # Markup-significant ASCII plus the scripts a briefing quotes; words joined by Space nodes.
    alphabet = (string.ascii_letters + string.digits + string.punctuation + "αβγΩμέКимиЖ月之暗面日本語한국어«»€£")
    seen: list[list[str]] = []

    @hypothesis.given(st.lists(st.text(alphabet, min_size=1, max_size=25), min_size=1, max_size=12))
    @hypothesis.settings(max_examples=15, deadline=None, derandomize=True)
    def check(words: list[str]) -> None:
        inlines: list[dict] = []
        for word in words:
            inlines += [{"t": "Str", "c": word}, {"t": "Space"}]
        ast = {"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": [{"t": "Para", "c": inlines[:-1]}]}
        out = tmp_path / "prop.pdf"
        render_pdf(ast, out, charts={}, options=PdfOptions())
        reader = PdfReader(out)
        assert " ".join(words) in flat(reader.pages[0].extract_text())
        assert not reader.pages[0].get("/Annots")
        seen.append(words)

    check()
    assert seen
