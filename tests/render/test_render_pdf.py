"""PDF renderer: AST coverage, safety, fonts, links, outline, determinism."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pypandoc
import pytest
from pypdf import PdfReader

from briefing.render_pdf import PdfOptions, render_pdf
from briefing.render_pdf import fonts as pdf_fonts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pdf"
CHART = FIXTURES / "volumes.json"  # primitives recorded from matplotlib (briefing/chart_record.py)
ROOT = Path(__file__).resolve().parents[2]

META = """---
title: Test briefing on distillation
subtitle: A subtitle for the subject field
date: 23 February 2026
edition: Edition 1
marking: OFFICIAL
organisation: Policy Unit
author: Analyst Team
link-citations: true
---

"""


def to_ast(md: str, *, citeproc: bool = False, meta: bool = True) -> dict:
    """Parse Markdown the way the build does (pandoc JSON, optionally with citeproc)."""
    args = [pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "json"]
    if citeproc:
        args += ["--citeproc", "--csl", str(FIXTURES / "numeric.csl"),
                 "--bibliography", str(FIXTURES / "refs.json")]
    out = subprocess.run(args, input=(META if meta else "") + md, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def para_ast(*inlines: dict) -> dict:
    """A hand-built AST: one paragraph of the given inlines."""
    return {"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": [{"t": "Para", "c": list(inlines)}]}


def render(tmp_path: Path, ast: dict, name: str = "out.pdf", charts: dict | None = None,
           **options: object) -> tuple[Path, int]:
    path = tmp_path / name
    pages = render_pdf(ast, path, charts=charts or {}, options=PdfOptions(**options))
    return path, pages


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def link_annots(path: Path) -> list[dict]:
    out = []
    for page in PdfReader(path).pages:
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") == "/Link":
                out.append(annot)
    return out


def uris(path: Path) -> list[str]:
    return [str(a["/A"]["/URI"]) for a in link_annots(path) if "/A" in a and "/URI" in a["/A"]]


# -- walking the AST ------------------------------------------------------------------------

ALL_BLOCKS = """
# First heading {#first}

Plain *emphasis*, **strong**, [underlined]{.underline}, ~~struck~~, H~2~O, E = mc^2^, [Small caps]{.smallcaps},
"double" and 'single' quotes, `inline code`, $x^2 + 1$, a line\\
break, <b>raw html</b> and a footnote.[^n]

[^n]: The footnote text.

## Second level

- bullet one
- bullet two
    - nested bullet

3. third
4. fourth

(a) alpha item
(b) beta item

i. roman one
ii. roman two

Term
: Definition body.

| line block one
|     line block two

> A quoted passage.

---

```python
def f(x):
    return x < 1 and x > 0  # <b>&amp;
```

```{=openxml}
<w:p><w:r><w:t>OPENXML-ONLY</w:t></w:r></w:p>
```

::: {#plain-div .note}
Inside a plain div.
:::

### Third level

Text after level three. ![not a chart](https://example.com/x.png) and ![](file:///etc/passwd)

![A standalone image with a web target](https://example.com/y.png)
"""


def test_every_block_and_inline_type_renders(tmp_path: Path) -> None:
    path, pages = render(tmp_path, to_ast(ALL_BLOCKS))
    text = flat(text_of(path))
    assert pages == 1
    for expected in ("First heading", "Second level", "Third level", "emphasis", "strong", "underlined",
                     "struck", "SMALL CAPS", "\u201cdouble\u201d", "\u2018single\u2019", "inline code",
                     "x^2 + 1", "<b>raw html</b>", "bullet one", "nested bullet", "third", "fourth",
                     "(a) alpha item", "ii. roman two", "Term", "Definition body.", "line block one",
                     "line block two", "A quoted passage.", "def f(x):", "return x < 1 and x > 0 # <b>&amp;",
                     "Inside a plain div.", "Text after level three.", "Notes", "The footnote text."):
        assert expected in text, expected
    assert "OPENXML-ONLY" not in text  # raw blocks for another writer are dropped, not interpreted
    assert "3. third" in text and "4. fourth" in text  # ordered lists keep their start number
    assert uris(path) == []  # images are never fetched nor linked


def test_box_allegation_and_tags(tmp_path: Path) -> None:
    md = """
# Findings

::: {.box title="Bottom line"}
The claim [High confidence]{.confidence level="high" color="#1B7837" custom-style="Confidence High"}
and [Disputed by Alibaba]{.disputed custom-style="Disputed"}.
:::

::: {.allegation}
An allegation paragraph.
:::

[Bad colour tag]{.confidence color="red\\" onload=\\"x"}
"""
    path, _ = render(tmp_path, to_ast(md))
    text = flat(text_of(path))
    for expected in ("Bottom line", "The claim", "High confidence", "Disputed by Alibaba", "An allegation paragraph.",
                     "Bad colour tag"):
        assert expected in text.replace("\u00a0", " "), expected
    content = b"".join(p.get_contents().get_data() for p in PdfReader(path).pages)
    # The tag's background is drawn in its colour (#1B7837), the title bar in the brand colour (#1F3A5F).
    assert b".105882 .470588 .215686 rg" in content
    assert b".121569 .227451 .372549 rg" in content


# -- safety -----------------------------------------------------------------------------------

HOSTILE = ['<a href="javascript:alert(1)">', "<b>", "&amp;", "&", "<font>", '<font name="x">', "&#60;", "]]>"]


def test_a_tag_colour_is_parsed_once_to_the_colour_reportlab_gives_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph

    from briefing.render_pdf.inlines import known_color

    monkeypatch.setattr(colors.toColor, "extraColorsNS", {})
    expected = colors.toColor("#1B7837")  # parsed the long way: ReportLab's own answer
    assert known_color("#1B7837") == "#1B7837"
    assert colors.toColor.extraColorsNS["#1B7837"] == expected
    assert known_color("not a colour") == "not a colour" and "not a colour" not in colors.toColor.extraColorsNS
    calls = []
    monkeypatch.setattr(colors, "HexColor", lambda *a, **k: calls.append(a))  # the long way's last step
    frags = Paragraph('<font color="#1B7837">tag</font>').frags
    assert frags[0].textColor == expected and calls == []


def test_markup_in_text_is_literal(tmp_path: Path) -> None:
    inlines: list[dict] = []
    for s in HOSTILE:
        inlines += [{"t": "Str", "c": s}, {"t": "Space"}]
    path, _ = render(tmp_path, para_ast(*inlines))
    text = flat(text_of(path))
    assert " ".join(HOSTILE) in text
    assert link_annots(path) == []


def test_markup_in_markdown_text_is_literal(tmp_path: Path) -> None:
    md = r'Data: \<a href="javascript:alert(1)"\>, \<b\>, \&amp;, \& and \<font\> end.'
    ast = to_ast(md)
    assert "RawInline" not in json.dumps(ast)  # escaped: plain Str nodes
    path, _ = render(tmp_path, ast)
    text = flat(text_of(path))  # pandoc's smart quotes turn "..." into curly quotes
    assert "Data: <a href=\u201cjavascript:alert(1)\u201d>, <b>, &amp;, & and <font> end." in text
    assert link_annots(path) == []


def test_only_http_https_mailto_become_links(tmp_path: Path) -> None:
    md = """
# Target {#target}

[js](javascript:alert(1)) [file](file:///etc/passwd) [data](data:text/html,<b>x</b>)
[vb](vbscript:msgbox) [rel](relative/page.html) [dangling](#nowhere) [spaced](https://exa mple.com)
[web](https://example.com/a?x=1&y=2) [plain](http://example.org) <mailto:unit@example.org>
[inside](#target) [JS upper](JAVASCRIPT:alert(1)) [unicode](https://example.com/ü)
"""
    path, _ = render(tmp_path, to_ast(md))
    # pandoc percent-encodes the space itself, so that one is a valid https link.
    assert sorted(uris(path)) == sorted(["https://example.com/a?x=1&y=2", "http://example.org",
                                         "mailto:unit@example.org", "https://example.com/%C3%BC",
                                         "https://exa%20mple.com"])
    internal = [a for a in link_annots(path) if "/Dest" in a]
    assert len(internal) == 1  # only the link to an existing anchor
    text = flat(text_of(path))
    for label in ("js", "file", "data", "vb", "rel", "dangling", "spaced", "web", "plain", "inside"):
        assert label in text


def test_long_urls_break_at_their_own_marks_inside_the_margin(tmp_path: Path) -> None:
    slug = "-".join(f"word{i}" for i in range(40))
    segments = "/".join(f"seg-{i:02d}" for i in range(40))
    urls = [f"https://example.com/news/2026/06/{slug}", f"https://example.com/{segments}"]
    md = "\n\n".join(f"Entry {i}. Outlet, 2026. <{url}>." for i, url in enumerate(urls))
    md += f"\n\n| Narrow | Link |\n|---|---|\n| a | <{urls[0]}> |\n"
    path, _ = render(tmp_path, to_ast(md))
    reader = PdfReader(path)
    right = float(reader.pages[0].mediabox[2]) - 56  # the right margin
    links = link_annots(path)
    assert set(uris(path)) == set(urls)
    assert all(float(a["/Rect"][2]) <= right for a in links), [float(a["/Rect"][2]) for a in links]
    lines = text_of(path).splitlines()
    for url in urls:  # each line of a broken URL ends at one of its own / - marks, never mid-word
        start = next(i for i, ln in enumerate(lines) if ln.strip().startswith("https://example.com/"))
        joined = ""
        for ln in lines[start:]:
            joined += ln.strip()
            if len(joined) >= len(url):
                break
            assert joined[-1] in "/-", ln
        lines = lines[start + 1:]


def test_control_characters_and_emoji_do_not_crash(tmp_path: Path) -> None:
    path, pages = render(tmp_path, para_ast({"t": "Str", "c": "bell\x07 nul\x00 party \U0001f389 done \u2603"}))
    assert pages == 1
    assert "done" in text_of(path)


# -- fonts ------------------------------------------------------------------------------------

MIXED = "Moonshot AI (月之暗面) Кими Ωμέγα"


def test_mixed_scripts_extract_as_themselves(tmp_path: Path) -> None:
    md = f"# {MIXED}\n\n{MIXED} in a paragraph, **{MIXED}** in bold.\n\n| {MIXED} |\n|---|\n| 한국어 日本語 |\n"
    path, _ = render(tmp_path, to_ast(md))
    text = flat(text_of(path))
    assert text.count(MIXED) >= 3
    assert "한국어 日本語" in text
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert MIXED in flat(out)


def test_markup_splits_runs_by_glyph_coverage() -> None:
    marked = pdf_fonts.markup("AI (月之) & <b>")
    name = pdf_fonts.ensure_fallback()
    assert marked == f'AI (<font name="{name}">月之</font>) &amp; &lt;b&gt;'
    assert pdf_fonts.markup("Кими Ωμέγα") == "Кими Ωμέγα"  # DejaVu covers Cyrillic and Greek


def _fonts_in(path: Path) -> list:
    found = []
    for page in PdfReader(path).pages:
        fonts = page["/Resources"].get_object().get("/Font")
        for ref in (fonts or {}).values():
            found.append(ref.get_object())
    return found


def _embedded(font) -> bool:
    if font.get("/Subtype") == "/Type0":
        font = font["/DescendantFonts"][0].get_object()
    desc = font.get("/FontDescriptor")
    desc = desc.get_object() if desc is not None else {}
    return any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))


@pytest.mark.skipif(pdf_fonts.find_cjk_font() is None, reason="no TrueType CJK font (fonts-wqy-microhei) here; "
                    "the STSong-Light CID fallback is never embedded")
def test_all_fonts_embedded(tmp_path: Path) -> None:
    md = f"{MIXED}\n\n`code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![Figure 1.](chart:c)\n"
    path, _ = render(tmp_path, to_ast(md), charts={"c": CHART})
    fonts = _fonts_in(path)
    assert fonts
    names = {str(f.get("/BaseFont")) for f in fonts}
    assert all(_embedded(f) for f in fonts), names
    assert not any("Helvetica" in n for n in names)


def test_cid_fallback_when_no_cjk_ttf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_fonts, "CJK_CANDIDATES", ())
    monkeypatch.setattr(pdf_fonts.setup(), "fallback_name", None)
    monkeypatch.setattr(pdf_fonts.setup(), "fallback_cmap", None)
    path, pages = render(tmp_path, to_ast(f"{MIXED} and an emoji \U0001f389."))
    assert pages == 1
    assert pdf_fonts.setup().fallback_name == pdf_fonts.CID_FALLBACK
    names = {str(f.get("/BaseFont")) for f in _fonts_in(path)}
    assert any("STSong-Light" in n for n in names)
    assert "Кими Ωμέγα" in text_of(path)


def test_font_registration_is_idempotent() -> None:
    first = pdf_fonts.setup()
    pdf_fonts.ensure_fonts()
    assert pdf_fonts.setup() is first and first.sans is pdf_fonts.setup().sans
    assert pdf_fonts.ensure_fallback() == pdf_fonts.ensure_fallback()


# -- long content -----------------------------------------------------------------------------

def test_five_thousand_character_word_wraps(tmp_path: Path) -> None:
    word = "x" * 5000
    md = (f"# {'h' * 600}\n\n{word}\n\n| col | other |\n|---|---|\n| {word} | short |\n\n"
          f"```\n{'c' * 3000}\n```\n\n- {word}\n")
    path, pages = render(tmp_path, to_ast(md))
    assert pages >= 2
    text = text_of(path)
    assert text.count("x") == 3 * 5000  # paragraph, table cell, list item: nothing lost
    lines = [ln for ln in text.splitlines() if re.fullmatch(r"x+", ln.strip())]
    assert len(lines) > 60
    assert max(len(ln.strip()) for ln in lines) < 130  # broken into lines that fit the page


def test_long_table_splits_and_repeats_header(tmp_path: Path) -> None:
    rows = "\n".join(f"| 2026-01-{i % 28 + 1:02d} | Actor {i} | Row {i} with a longer description that wraps "
                     f"onto a second line in its cell for realism | [High]{{.confidence color=\"#1B7837\"}} |"
                     for i in range(35))  # 35: without widow control the last page would hold one row
    md = f"# Table\n\n| Date | Actor | What | Confidence |\n|---|---|---|---|\n{rows}\n\n: Table 1. Caption.\n"
    path, pages = render(tmp_path, to_ast(md))
    assert pages >= 2
    reader = PdfReader(path)
    for page in reader.pages:
        text = page.extract_text()
        assert "Confidence" in text  # header row repeated on each page
        assert len(re.findall(r"Row \d+ with", text)) >= 2  # no lone orphan or widow row
    text = flat(text_of(path))
    assert all(f"Row {i} with" in text for i in range(35))
    assert "Table 1. Caption." in text


def test_table_spans_alignment_and_footer(tmp_path: Path) -> None:
    ast = to_ast("| a | b |\n|--:|:-:|\n| 1 | 2 |\n")
    table = ast["blocks"][0]["c"]
    body_rows = table[4][0][3]
    body_rows[0][1][0][3] = 2  # colspan 2 on the first cell
    del body_rows[0][1][1]
    table[5][1] = [body_rows[0]]  # reuse as a footer row
    path, pages = render(tmp_path, ast)
    assert pages == 1
    assert "1" in text_of(path)


# -- citations, figures, outline, metadata --------------------------------------------------

def test_citations_link_to_numbered_references(tmp_path: Path) -> None:
    md = "# Claims\n\nFirst claim [@src-1]. Second claim [@src-4; @src-3].\n\n# References {#references .unnumbered}\n"
    path, _ = render(tmp_path, to_ast(md, citeproc=True))
    text = flat(text_of(path))
    assert "[1] Report 1 on model distillation" in text
    assert "Detecting & disrupting" in text and "[3]" in text
    reader = PdfReader(path)
    internal = [a for a in link_annots(path) if "/Dest" in a]
    assert len(internal) == 3  # three citation superscripts, each to its entry
    # A URL wrapped over two lines gets one annotation per line.
    assert set(uris(path)) == {f"https://example.com/reports/{i}?ref=brief&lang=en" for i in (1, 3, 4)}
    assert reader.pages[0].get("/Annots")


def test_chart_is_vector_with_its_labels_as_text(tmp_path: Path) -> None:
    md = ("# Chart\n\n![Figure 1. Volumes. Sources: [@src-1].](chart:volumes \"Bar chart\"){#fig-volumes}\n\n"
          "See [the figure](#fig-volumes).\n\n![](chart:missing)\n")
    path, pages = render(tmp_path, to_ast(md, citeproc=True), charts={"volumes": CHART})
    assert pages == 1
    page = PdfReader(path).pages[0]
    content = page.get_contents().get_data()
    path_ops = re.findall(rb"\s[mlc]\s", content)
    assert len(path_ops) > 100  # bars, ticks, grid and the hatched range are vector paths
    xobjects = page["/Resources"].get("/XObject") or {}
    assert not any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    text = flat(page.extract_text())
    assert "Figure 1. Volumes. Sources:" in text
    # The chart's labels are text a reader can search and select, not outlines.
    for label in ("Alibaba (Qwen)", "Moonshot AI", "28,800,000", "150,000", "Reported exchanges (log scale)", "10M"):
        assert label in text, label
    assert len([a for a in link_annots(path) if "/Dest" in a]) == 2  # citation + figure cross-reference


def test_chart_from_a_fresh_matplotlib_figure(tmp_path: Path) -> None:
    script = f"""
import json
from matplotlib.figure import Figure
from briefing.chart_drawing import _dejavu_cmap, chart_style
from briefing.chart_record import record
with chart_style():
    fig = Figure(figsize=(6, 3))
    ax = fig.add_subplot()
    ax.plot([1, 2, 3], [3, 1, 2], label="Line", marker="o")
    ax.bar([1, 2, 3], [1, 2, 1], hatch="xx")
    ax.set_title("Fresh chart")
    ax.legend()
    doc = record(fig, _dejavu_cmap())
open({str(tmp_path / "fresh.json")!r}, "w").write(json.dumps(doc))
"""
    pytest.importorskip("matplotlib")
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT)  # keep matplotlib out of this process
    ast = to_ast("![Figure 2. Fresh.](chart:fresh)\n")
    path, pages = render(tmp_path, ast, charts={"fresh": tmp_path / "fresh.json"})
    assert pages == 1
    page = PdfReader(path).pages[0]
    assert len(page.get_contents().get_data()) > 3000
    text = flat(page.extract_text())
    assert "Fresh chart" in text and "Line" in text


@pytest.mark.parametrize("content", ["{this is not json", '{"version": 99, "width": 10, "height": 10, "items": []}',
                                     '{"version": 1, "width": 10, "height": 10, "items": [{"type": "path",'
                                     ' "d": [["Q", 1, 2]], "fill": "#000000"}]}', "[]",
                                     '{"version": 1, "width": 10, "height": 10, "items": [[1, 2]]}'])
def test_broken_drawing_is_skipped(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    path, pages = render(tmp_path, to_ast("![Figure 3. Broken.](chart:bad)\n"), charts={"bad": bad})
    assert pages == 1
    assert "Figure 3. Broken." in text_of(path)


def _text_chart(tmp_path: Path, text: str, glyphs: dict | None = None) -> str:
    """A one-label chart drawing rendered to a PDF; the page's extracted text."""
    doc = {"version": 1, "width": 200, "height": 40, "clips": [], "glyphs": glyphs or {},
           "items": [{"type": "text", "text": text, "x": 10, "y": 10, "anchor": "start", "size": 10, "angle": 0,
                      "color": "#222222", "alpha": 1.0, "bold": False, "italic": False}]}
    (tmp_path / "t.json").write_text(json.dumps(doc))
    path, _ = render(tmp_path, to_ast("![Figure 1.](chart:t)\n", meta=False), charts={"t": tmp_path / "t.json"})
    return flat(PdfReader(path).pages[0].extract_text())


def test_chart_text_falls_back_per_glyph(tmp_path: Path) -> None:
    """DejaVu first, then the CJK and symbol fonts; a character no font has is drawn from its recorded
    outline (a path, so it extracts as nothing), or as U+FFFD when none was recorded."""
    square = [["M", 0, 0], ["L", 0.5, 0], ["L", 0.5, 0.5], ["L", 0, 0.5], ["Z"]]
    text = _text_chart(tmp_path, "Lab <&> $x$ \\ \U000e0100 end", {"\U000e0100": {"d": square, "advance": 0.6}})
    assert "Lab <&> $x$ \\" in text and "end" in text and "\U000e0100" not in text and "\ufffd" not in text
    assert "\ufffd" in _text_chart(tmp_path, "Lab \U000e0100 end")
    if pdf_fonts.find_cjk_font() is not None:
        assert "月之暗面" in _text_chart(tmp_path, "月之暗面 Moonshot")
def test_outline_and_metadata(tmp_path: Path) -> None:
    md = "## Orphan level two\n\n# One\n\n## One point one\n\n### Not in outline\n\n# Two\n\ntext\n"
    path, _ = render(tmp_path, to_ast(md))
    reader = PdfReader(path)

    def titles(items: list) -> list:
        return [titles(i) if isinstance(i, list) else i.title for i in items]

    assert titles(reader.outline) == ["Orphan level two", "One", ["One point one"], "Two"]
    info = reader.metadata
    assert info.title == "Test briefing on distillation"
    assert info.author == "Analyst Team"
    assert info.subject == "A subtitle for the subject field"
    assert info.creator == "briefing"


def test_title_block_and_page_n_of_m(tmp_path: Path) -> None:
    body = "\n\n".join(f"# Section {i}\n\n" + "Sentence about policy. " * 120 for i in range(6))
    path, pages = render(tmp_path, to_ast(body))
    assert pages >= 3
    reader = PdfReader(path)
    first = flat(reader.pages[0].extract_text())
    for expected in ("POLICY UNIT", "Test briefing on distillation", "A subtitle for the subject field",
                     "23 February 2026", "Edition 1", "OFFICIAL", f"Page 1 of {pages}"):
        assert expected in first, expected
    last = flat(reader.pages[-1].extract_text())
    assert f"Page {pages} of {pages}" in last
    assert "Test briefing on distillation" in last  # running header
    assert last.count("OFFICIAL") >= 2  # marking in header and footer


# -- options and output -------------------------------------------------------------------------

def test_letter_paper_logo_and_file_object(tmp_path: Path) -> None:
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (240, 80), (31, 58, 95)).save(logo)
    buf = io.BytesIO()
    pages = render_pdf(to_ast("Body text."), buf, charts={},
                       options=PdfOptions(paper="Letter", logo=logo, brand_color="#7A1F1F", base_font_size=11))
    reader = PdfReader(io.BytesIO(buf.getvalue()))
    assert pages == len(reader.pages) == 1
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [612, 792]
    xobjects = reader.pages[0]["/Resources"]["/XObject"]
    assert any(x.get_object()["/Subtype"] == "/Image" for x in xobjects.values())


@pytest.mark.parametrize("kwargs", [{"paper": "A3"}, {"brand_color": "red"}, {"brand_color": '#123456" x'},
                                    {"base_font_size": 100}])
def test_bad_options_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        PdfOptions(**kwargs)


def test_empty_document(tmp_path: Path) -> None:
    path, pages = render(tmp_path, {"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": []})
    assert pages == 1


def test_output_is_deterministic(tmp_path: Path) -> None:
    ast = to_ast((FIXTURES / "sample.md").read_text(), citeproc=True, meta=False)
    a, _ = render(tmp_path, ast, "a.pdf", charts={"volumes": CHART})
    b, _ = render(tmp_path, ast, "b.pdf", charts={"volumes": CHART})
    assert a.read_bytes() == b.read_bytes()
    # A fresh process (fresh font state) produces the same bytes too.
    script = (f"import json, pathlib; from briefing.render_pdf import render_pdf, PdfOptions; "
              f"render_pdf(json.loads(pathlib.Path({str(tmp_path / 'ast.json')!r}).read_text()), "
              f"{str(tmp_path / 'c.pdf')!r}, charts={{'volumes': pathlib.Path({str(CHART)!r})}}, "
              f"options=PdfOptions()); import sys; assert 'matplotlib' not in sys.modules")
    (tmp_path / "ast.json").write_text(json.dumps(ast))
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT)
    assert (tmp_path / "c.pdf").read_bytes() == a.read_bytes()


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
def test_qpdf_check(tmp_path: Path) -> None:
    ast = to_ast((FIXTURES / "sample.md").read_text(), citeproc=True, meta=False)
    path, _ = render(tmp_path, ast, charts={"volumes": CHART})
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout


def test_a_chart_shrinks_to_finish_a_page_but_not_below_its_floor():
    """A tall chart that nearly fits shrinks (keeping its caption) instead of leaving half a page empty."""
    from reportlab.graphics.shapes import Drawing, Rect
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph

    from briefing.render_pdf.charts import Chart, FigureBlock
    from briefing.render_pdf.flowables import Anchor, KeepWithNext

    def block():
        d = Drawing(400, 300)
        d.add(Rect(0, 0, 400, 300))
        return FigureBlock(Chart(d, max_height=1000), [Paragraph("Figure 1. A caption.", ParagraphStyle("c"))])

    canvas = Canvas(io.BytesIO())
    natural = block()
    _, full = natural.wrapOn(canvas, 400, 10_000)
    assert full > 300
    fitted = block()
    _, h = fitted.wrapOn(canvas, 400, full * 0.8)
    assert h <= full * 0.8 and fitted.chart.height < 300  # shrunk, caption kept
    floor = block()
    _, h = floor.wrapOn(canvas, 400, full * 0.4)
    assert h == full  # too little room: it moves whole to the next page instead
    # Behind an anchor (a keepWithNext group), the group offers the chart the rest of the page.
    group = KeepWithNext([Anchor("fig"), block()])
    parts = group.splitOn(canvas, 400, full * 0.8)
    assert isinstance(parts[-1], FigureBlock) and parts[-1].chart.height < 300


def test_a_table_is_measured_once_per_size_when_the_frame_wraps_then_splits_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The frame wraps a table and then splits it at the same size: its rows are measured once, not three times."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Table

    from briefing.render_pdf.flowables import Para, SplitTable

    calls: list[tuple[float, float]] = []
    real = Table._calc_height
    monkeypatch.setattr(Table, "_calc_height", lambda self, height, width, *a, **k: calls.append(
        (width, height)) or real(self, height, width, *a, **k))
    style = ParagraphStyle("p", fontSize=10, leading=12)
    rows = [[Para(f"Row {i} of the ledger.", style), Para("Some text.", style)] for i in range(80)]
    table = SplitTable(rows, colWidths=[150, 150], repeatRows=1, splitByRow=1)
    canvas = Canvas(io.BytesIO())
    table.wrapOn(canvas, 300, 400)
    parts = table.splitOn(canvas, 300, 400)
    assert len(parts) == 2 and calls == [(300, 400)]
    table.wrapOn(canvas, 300, 500)  # another size is measured again
    assert calls == [(300, 400), (300, 500)]


def test_a_paragraph_breaks_its_lines_once_per_width_and_style(monkeypatch: pytest.MonkeyPatch) -> None:
    """A table cell is wrapped to measure its row and again to draw it; the second wrap reuses the lines."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    from briefing.render_pdf.flowables import Para

    calls: list[list[float]] = []
    real = Paragraph.breakLines
    monkeypatch.setattr(Paragraph, "breakLines", lambda self, widths: calls.append(widths) or real(self, widths))
    para = Para("A claim long enough to take two or three lines in a narrow column of a table.", ParagraphStyle(
        "p", fontSize=10, leading=12))
    first = para.wrap(120, 1000)
    assert para.wrap(120, 50) == first and len(calls) == 1
    assert para.wrap(200, 1000) != first and len(calls) == 2
    para.style = ParagraphStyle("q", parent=para.style, fontSize=14, leading=17)
    assert para.wrap(200, 1000)[1] > first[1] / 2 and len(calls) == 3  # a new style breaks again
    del para.blPara  # as ReportLab does when a split leaves nothing on this page
    para.wrap(200, 1000)
    assert len(calls) == 4


def test_a_titled_box_splits_inside_its_body_and_repeats_its_title():
    """A box never leaves its title alone at a page foot, nor jumps whole to the next page leaving a gap."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph

    from briefing.render_pdf.flowables import SplitTable

    style = ParagraphStyle("p", fontSize=10, leading=12)
    body = [Paragraph(f"Line {i} of the box.", style) for i in range(30)]
    table = SplitTable([[Paragraph("What changed", style)], [body]], colWidths=[300], repeatRows=1,
                       splitByRow=1, splitInRow=24)
    table.page_height, table.split_inside = 700, True
    table.wrapOn(Canvas(io.BytesIO()), 300, 10_000)
    parts = table.splitOn(Canvas(io.BytesIO()), 300, 200)
    assert len(parts) == 2
    first, rest = (p._cellvalues for p in parts)
    assert len(first) == 2 and first[1][0]  # the title and part of the body on this page
    title = rest[0][0][0] if isinstance(rest[0][0], (list, tuple)) else rest[0][0]
    assert title.text == "What changed" and rest[1][0]  # the title again, above the rest


def test_chart_images_are_drawn(tmp_path: Path) -> None:
    import base64

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (6, 4), (200, 30, 30, 255)).save(buf, format="png")
    doc = {"version": 1, "width": 100, "height": 50, "clips": [[["M", 0, 0], ["L", 50, 0], ["L", 50, 50], ["Z"]]],
           "items": [{"type": "image", "x": 10, "y": 10, "width": 60, "height": 40, "clip": [0],
                      "png": base64.b64encode(buf.getvalue()).decode("ascii")}]}
    (tmp_path / "i.json").write_text(json.dumps(doc))
    path, _ = render(tmp_path, to_ast("![Figure 1.](chart:i)\n", meta=False), charts={"i": tmp_path / "i.json"})
    page = PdfReader(path).pages[0]
    assert b" W n" in page.get_contents().get_data() or b"\nW n" in page.get_contents().get_data()
    xobjects = page["/Resources"].get("/XObject") or {}
    inline = b"BI" in page.get_contents().get_data()
    assert inline or any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())


def test_the_story_is_made_as_the_layout_reaches_it(tmp_path: Path, monkeypatch) -> None:
    """No whole story: when page 2 begins, most blocks have not been turned into flowables yet."""
    from briefing.pandoc_ast import Document
    from briefing.render_pdf import blocks as blocks_module
    from briefing.render_pdf import document as document_module

    made: list[int] = []
    seen: list[int] = []
    block, decorate = blocks_module.Blocks.block, document_module.BriefingDoc.decorate

    def counting_block(self, node, ctx):
        made.append(1)
        return block(self, node, ctx)

    def noting_decorate(self, canv, doc):
        seen.append(len(made))
        return decorate(self, canv, doc)

    monkeypatch.setattr(blocks_module.Blocks, "block", counting_block)
    monkeypatch.setattr(document_module.BriefingDoc, "decorate", noting_decorate)
    words = " ".join(["word"] * 60)
    tree = {"pandoc-api-version": [1, 23, 1], "meta": {},
            "blocks": [{"t": "Para", "c": [{"t": "Str", "c": f"{n} {words}"}]} for n in range(300)]}
    lazy_path, pages = render(tmp_path, Document.of(tree), "lazy.pdf")
    assert pages > 10 and len(seen) == pages
    assert seen[1] < len(tree["blocks"]) / 4  # page 2 begins with a fraction of the story made
    whole_path, _ = render(tmp_path, tree, "whole.pdf")
    assert lazy_path.read_bytes() == whole_path.read_bytes()


def test_a_lean_paragraph_keeps_its_size_and_breaks_the_same_lines_when_drawn() -> None:
    from reportlab.lib.styles import ParagraphStyle

    from briefing.render_pdf.flowables import Para

    pdf_fonts.ensure_fonts()
    style = ParagraphStyle("lean-test", fontName=pdf_fonts.SANS, fontSize=9, leading=11)
    text = " ".join(f"word{n}" for n in range(200))
    kept, lean = Para(text, style), Para(text, style)
    lean.lean = True
    assert lean.wrap(200, 1000) == kept.wrap(200, 1000)
    assert "blPara" not in lean.__dict__  # only the size is kept
    assert lean.wrap(200, 1000) == kept.wrap(200, 1000)  # a second measure breaks nothing
    assert "blPara" not in lean.__dict__
    assert lean.blPara.lines == kept.blPara.lines  # drawing breaks them again, the same
    assert not hasattr(Para("x", style), "blPara")  # never wrapped: nothing to break again
