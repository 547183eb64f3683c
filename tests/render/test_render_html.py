"""The HTML edition: literal text, safe links, sanitised inline charts, a strict CSP, and parity with PDF and DOCX."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import copy_workspace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefing import pandoc
from briefing.build import build
from briefing.cli import main
from briefing.compose import PACKAGE_TEMPLATES
from briefing.errors import BriefingError
from briefing.escaping import escape
from briefing.render_html import (
    HtmlOptions,
    chip_colors,
    contrast,
    inline_svg,
    render_html,
    stylesheet,
    theme,
)
from tests.readers import docx_paragraphs, docx_text, html_blocks, html_text, pdf_text, words
from tests.render.test_property_render import EPOCH, TEXT, visible

REPO = Path(__file__).resolve().parents[2]
FULL = "analyst"
API = [1, 23, 1]


def _s(text: str) -> list[dict]:
    """Inlines for a sentence: Str and Space nodes."""
    out: list[dict] = []
    for i, w in enumerate(text.split(" ")):
        if i:
            out.append({"t": "Space"})
        out.append({"t": "Str", "c": w})
    return out


def _doc(blocks: list, meta: dict | None = None) -> dict:
    return {"pandoc-api-version": API, "meta": meta or {}, "blocks": blocks}


def _page(blocks: list, meta: dict | None = None, charts=None, options=None) -> str:
    return render_html(_doc(blocks, meta), charts=charts or {}, options=options)


def _body(page: str) -> str:
    return page[page.index("<body>"):]


# -- literal text ----------------------------------------------------------------------------------

def test_evidence_text_is_data_not_markup():
    hostile = '<script>alert(1)</script> <img src=x onerror=alert(2)> & "quotes"'
    page = _page([
        {"t": "Para", "c": [{"t": "Str", "c": hostile}]},
        {"t": "Para", "c": [{"t": "RawInline", "c": ["html", "<b>raw</b>"]}]},
        {"t": "RawBlock", "c": ["html", "<script>evil()</script>"]},
        {"t": "RawBlock", "c": ["openxml", "<w:p/>"]},
        {"t": "CodeBlock", "c": [["", [], []], "<iframe src=//x>"]},
    ], meta={"title": {"t": "MetaInlines", "c": _s("<i>Title</i>")}})
    assert "<script" not in page and "<img" not in page and "<iframe" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt; &amp;" in page
    assert "&lt;b&gt;raw&lt;/b&gt;" in page and "&lt;script&gt;evil()&lt;/script&gt;" in page
    assert "<title>&lt;i&gt;Title&lt;/i&gt;</title>" in page
    assert "w:p" not in page  # a raw block for another writer is dropped, as in the PDF


def test_control_characters_are_shown_not_passed_through():
    page = _page([{"t": "Para", "c": [{"t": "Str", "c": "a\x00b\x1bc"}]}])
    assert "a\ufffdb\ufffdc" in page and "\x00" not in page and "\x1b" not in page


def test_links_keep_only_safe_targets():
    link = lambda url, text: {"t": "Link", "c": [["", [], []], _s(text), [url, ""]]}  # noqa: E731
    page = _page([
        {"t": "Header", "c": [1, ["sec-a", [], []], _s("Section")]},
        {"t": "Para", "c": [link("javascript:alert(1)", "js"), {"t": "Space"}, link("data:text/html,x", "data"),
                            {"t": "Space"}, link("file:///etc/passwd", "file"), {"t": "Space"},
                            link("https://example.org/a?b=1&c=2", "web"), {"t": "Space"}, link("#sec-a", "inside"),
                            {"t": "Space"}, link("#nowhere", "dangling"), {"t": "Space"},
                            link("mailto:desk@example.org", "mail")]},
    ])
    body = _body(page)
    assert "javascript:" not in body and "data:text" not in body and "file:" not in body
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer">web</a>' in body
    assert '<a href="#sec-a">inside</a>' in body and '<a href="mailto:desk@example.org"' in body
    assert "#nowhere" not in body and ">dangling<" not in body and "dangling" in body
    assert '<h2 id="sec-a" dir="auto">Section</h2>' in body


def test_other_images_are_never_fetched():
    image = {"t": "Image", "c": [["", [], []], _s("a logo"), ["https://example.org/x.png", ""]]}
    page = _page([{"t": "Para", "c": [image]}])
    assert "example.org" not in page and "<img" not in page and "a logo" in page


# -- the page: no script, a strict policy, the theme ---------------------------------------------------

def test_the_page_has_no_script_and_a_strict_content_security_policy():
    page = _page([{"t": "Para", "c": _s("Hello")}], meta={"marking": {"t": "MetaInlines", "c": _s("Secret")}})
    assert "<script" not in page.lower()
    assert not re.search(r"\son[a-z]+\s*=", page, re.IGNORECASE)  # no event handler attribute
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe-inline" not in csp
    css = re.search(r"<style>(.*?)</style>", page, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp  # the one stylesheet is allowed by its hash, nothing else
    assert page.index("Content-Security-Policy") < page.index("<style>")
    assert ' style="' not in page  # style attributes would need 'unsafe-inline'
    assert re.findall(r'\s(?:src|srcset|poster|data)="', page) == []
    assert "<link" not in page and "@import" not in page and "url(" not in css


def test_marking_heads_and_foots_the_page_and_every_printed_page():
    page = _page([{"t": "Para", "c": _s("Body")}],
                 meta={"marking": {"t": "MetaInlines", "c": _s('For "internal" use')}},
                 options=HtmlOptions(theme=theme(paper="Letter")))
    head = page[page.index('<header class="masthead">'):page.index("</header>")]
    assert "For &quot;internal&quot; use" in head or 'For "internal" use' in head
    assert '<footer class="pagefoot">' in page and page.count('For "internal" use') >= 2
    css = re.search(r"<style>(.*?)</style>", page, re.DOTALL).group(1)
    assert "@media print" in css and "size:letter" in css
    # In the print stylesheet the marking is a CSS string, every special character escaped.
    assert '@top-center{content:"For \\22 internal\\22  use"' in css


def test_theme_takes_the_pdf_colours_and_the_audience_brand():
    from briefing.render_pdf import PdfOptions
    from briefing.render_pdf.styles import Styles

    pdf = Styles(PdfOptions())  # both read the packaged theme (tests/render/test_styles.py: every colour)
    th = theme(brand_color="#123456", base_font_size=11, paper="A4")
    assert th.brand == "#123456" and th.base_size == 11
    assert th.text == "#" + pdf.text.hexval()[2:].upper() and th.disputed == pdf.disputed
    css = stylesheet(th, {})
    assert "--brand:#123456" in css and th.font_family in css
    assert theme(brand_color="not a colour").brand == "#1F3A5F"


def test_confidence_labels_are_text_in_readable_chips():
    span = {"t": "Span", "c": [["", ["confidence"], [["level", "high"], ["color", "#1B7837"]]], _s("High confidence")]}
    pale = {"t": "Span", "c": [["", ["confidence"], [["level", "pale"], ["color", "#F6E27F"]]], _s("Pale")]}
    bad = {"t": "Span", "c": [["", ["confidence"], [["color", "red;x:y"]]], _s("Odd")]}
    page = _page([{"t": "Para", "c": [span, {"t": "Space"}, pale, {"t": "Space"}, bad]}])
    assert '<span class="confidence conf-1">High confidence</span>' in page
    assert ".conf-1{background:#1B7837;color:#FFFFFF}" in page  # as in the PDF: white on the level colour
    assert ".conf-2{background:#F6E27F;color:#1A1A1A}" in page  # too pale for white: dark text instead
    assert "red;x:y" not in page
    for color in ("#F6E27F", "#FFFF00", "#B35806", "#5E5E5E", "#FFFFFF", "#00A0FF"):
        bg, fg = chip_colors(color)
        assert contrast(bg, fg) >= 4.5, color


def test_disputed_boxes_and_allegations_get_their_classes():
    page = _page([
        {"t": "Div", "c": [["", ["box"], [["title", "Bottom <line>"]]], [{"t": "Para", "c": _s("In the box")}]]},
        {"t": "Div", "c": [["", ["allegation"], []], [{"t": "Para", "c": [
            {"t": "Span", "c": [["", ["disputed"], []], _s("Disputed by X")]}]}]]},
    ])
    assert '<p class="box-title" dir="auto">Bottom &lt;line&gt;</p>' in page
    assert '<div class="allegation">' in page and '<strong class="disputed">Disputed by X</strong>' in page


def _cite(ids: list[str], label: str) -> dict:
    citations = [{"citationId": i, "citationPrefix": [], "citationSuffix": [], "citationMode": {"t": "NormalCitation"},
                  "citationNoteNum": 1, "citationHash": 0} for i in ids]
    link = {"t": "Link", "c": [["", [], []], [{"t": "Str", "c": label}], [f"#ref-{ids[0]}", ""]]}
    return {"t": "Cite", "c": [citations, [{"t": "Superscript", "c": [link]}]]}


def _entry(ident: str, n: int, text: str) -> dict:
    return {"t": "Div", "c": [[f"ref-{ident}", ["csl-entry"], []], [{"t": "Para", "c": [
        {"t": "Span", "c": [["", ["csl-left-margin"], []], [{"t": "Str", "c": f"{n}."}, {"t": "Space"}]]},
        {"t": "Span", "c": [["", ["csl-right-inline"], []], _s(text)]}]}]]}


def test_references_link_back_to_each_citation():
    page = _page([
        {"t": "Para", "c": [*_s("First"), _cite(["a"], "1")]},
        {"t": "Para", "c": [*_s("Second"), _cite(["a", "b"], "1")]},
        {"t": "Div", "c": [["refs", ["references"], []], [_entry("a", 1, "Source A."), _entry("b", 2, "Source B.")]]},
    ])
    assert '<span class="cite" id="briefing-cite-1"><sup><a href="#ref-a">1</a></sup></span>' in page
    entry_a = page[page.index('id="ref-a"'):page.index('id="ref-b"')]
    entry_b = page[page.index('id="ref-b"'):]
    assert '<span class="ref-label">1.</span>' in entry_a
    assert 'href="#briefing-cite-1"' in entry_a and 'href="#briefing-cite-2"' in entry_a
    assert 'href="#briefing-cite-2"' in entry_b and 'href="#briefing-cite-1"' not in entry_b
    assert 'role="doc-backlink"' in entry_b and "\x00" not in page


def test_notes_are_numbered_and_linked_both_ways():
    note = {"t": "Note", "c": [{"t": "Para", "c": _s("The note text")}]}
    page = _page([{"t": "Para", "c": [*_s("Body"), note]}])
    assert 'href="#briefing-note-1" id="briefing-noteref-1"' in page and 'id="briefing-note-1"' in page
    assert 'href="#briefing-noteref-1"' in page
    assert "The note text" in page and ">Notes</h2>" in page


def test_duplicate_and_unsafe_ids_are_dropped():
    page = _page([{"t": "Header", "c": [1, ["x", [], []], _s("One")]},
                  {"t": "Header", "c": [1, ["x", [], []], _s("Two")]},
                  {"t": "Header", "c": [1, ['"><b', [], []], _s("Three")]}])
    assert page.count('id="x"') == 1 and "&quot;&gt;&lt;b" not in page and '"><b' not in page


def test_lang_comes_from_the_metadata_when_it_is_a_language_tag():
    assert '<html lang="en-GB">' in _page([], meta={"lang": {"t": "MetaInlines", "c": _s("en-GB")}})
    assert '<html lang="en">' in _page([], meta={"lang": {"t": "MetaInlines", "c": _s('x" onload="y')}})


# -- charts ---------------------------------------------------------------------------------------------

HOSTILE_SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100pt" height="50pt"
     viewBox="0 0 100 50" onload="alert(1)">
 <style>*{fill:url(https://evil.example/x)}</style>
 <script>alert(2)</script>
 <defs><path id="glyph" d="M 0 0 L 1 1"/>
  <clipPath id="clip"><rect x="0" y="0" width="10" height="10"/></clipPath></defs>
 <g style="fill: #ff0000; stroke: url(https://evil.example/y); opacity: 0.5; behaviour: x" clip-path="url(#clip)">
  <use xlink:href="#glyph" x="1"/>
  <use xlink:href="https://evil.example/z.svg#a"/>
  <a xlink:href="javascript:alert(3)"><text>link</text></a>
  <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>
  <image xlink:href="https://evil.example/p.png"/>
  <text x="1" y="2">A &lt;b&gt; $x$ label</text>
 </g>
</svg>"""


def test_chart_svg_is_sanitised_and_named_by_its_alt_text():
    out = inline_svg(HOSTILE_SVG, prefix="c1-", label='Bars "by actor"')
    assert "script" not in out and "onload" not in out and "<style" not in out and "foreignObject" not in out
    assert "evil.example" not in out and "javascript" not in out and "<image" not in out and "<a" not in out
    assert out.startswith("<svg ") and 'role="img"' in out and 'aria-label="Bars &quot;by actor&quot;"' in out
    assert 'id="c1-glyph"' in out and 'href="#c1-glyph"' in out and 'clip-path="url(#c1-clip)"' in out
    assert 'fill="#ff0000"' in out and 'opacity="0.5"' in out and "behaviour" not in out
    assert "A &lt;b&gt; $x$ label" in out  # chart text stays literal
    assert ' style="' not in out


def test_the_documents_charts_become_inline_svg_and_a_missing_one_is_an_error(tmp_path):
    svg = tmp_path / "c.svg"
    svg.write_bytes(HOSTILE_SVG)
    image = {"t": "Image", "c": [["", [], []], _s("Figure 1. Caption."), ["chart:bars", "Alt text for bars"]]}
    figure = {"t": "Figure", "c": [["fig-bars", [], []], [None, [{"t": "Plain", "c": _s("Figure 1. Caption.")}]],
                                   [{"t": "Plain", "c": [image]}]]}
    page = _page([figure, figure], charts={"bars": svg})
    assert page.count("<svg ") == 2 and 'aria-label="Alt text for bars"' in page
    assert 'id="c1-glyph"' in page and 'id="c2-glyph"' in page  # two copies never share an id
    assert "<figcaption dir=\"auto\">Figure 1. Caption.</figcaption>" in page
    with pytest.raises(ValueError, match="not drawn"):
        _page([figure], charts={})


# -- built editions --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The full (analyst) briefing in all three formats, built once."""
    out = tmp_path_factory.mktemp("out")
    result = build(REPO, out_dir=out, audience=FULL, formats=("pdf", "docx", "html"))
    return {fmt: out / Path(p).name for fmt, p in result.outputs.items()}


def test_html_carries_the_same_words_as_the_docx_and_the_pdf(built):
    """Parity, as PDF and DOCX are tested: same body words; the HTML adds only its header and footer."""
    body = docx_text(built["docx"])
    url_words = set(words(" ".join(re.findall(r"https?://\S+", body))))
    html_words = Counter(w for w in words(html_text(built["html"])) if w not in url_words)
    docx_words = Counter(w for w in words(body) if w not in url_words)
    missing = docx_words - html_words
    assert not missing, f"in DOCX but not HTML: {dict(list(missing.items())[:20])}"
    # What only the HTML shows: the marking in the header, title block and footer; title, organisation, date
    # and edition in the header or footer as well as in the title block (which the DOCX has too).
    chrome = Counter(words("For internal use") * 3 + words("The Distillation Wars Strategy and Intelligence Unit"
                                                            " 30 June 2026 Edition 2") * 2)
    extra = {w: n for w, n in (html_words - docx_words - chrome).items()}
    assert not extra, f"in HTML but not DOCX: {dict(list(extra.items())[:20])}"
    pdf_words = set(words(pdf_text(built["pdf"])))
    assert not set(html_words) - pdf_words - url_words


def test_html_headings_match_the_docx_headings(built):
    docx_heads = [t for s, t in docx_paragraphs(built["docx"]) if s.startswith("Heading")]
    html_heads = [t for tag, t in html_blocks(built["html"]) if tag in ("h2", "h3", "h4")]
    assert html_heads == docx_heads
    assert [t for tag, t in html_blocks(built["html"]) if tag == "h1"] == ["The Distillation Wars"]


def test_reference_numbers_agree_with_the_pdf(built):
    def refs(text: str) -> list[str]:
        tail = text[text.rfind("References"):]
        return re.findall(r"(?:^|\s)(\d{1,2})\. ", tail)

    html_refs = [t for tag, t in html_blocks(built["html"]) if tag == "span"]
    assert html_refs == [f"{n}." for n in range(1, len(html_refs) + 1)] and len(html_refs) >= 10
    assert refs(pdf_text(built["pdf"]))[:10] == [r.rstrip(".") for r in html_refs[:10]]
    page = built["html"].read_text("utf-8")
    cited = set(re.findall(r'<a href="#(ref-[^"]+)">', page))
    entries = set(re.findall(r'id="(ref-[^"]+)" class="csl-entry"', page))
    assert cited and cited <= entries  # every citation lands on an entry
    assert page.count('role="doc-backlink"') >= len(entries)


def test_built_page_is_self_contained_script_free_and_reproducible(built, tmp_path):
    page = built["html"].read_text("utf-8")
    assert page.count('<svg class="chart" role="img"') == 3 or page.count('role="img"') == 3
    assert "<script" not in page.lower() and not re.search(r"\son[a-z]+=", page)
    assert not re.search(r'\s(?:src|srcset)="(?!data:)', page)
    for label in ("High confidence", "Moderate confidence", "Low confidence", "Unsubstantiated"):
        assert f">{label}</span>" in page
    again = build(REPO, out_dir=tmp_path, audience=FULL, formats=("html",))
    assert (tmp_path / Path(again.outputs["html"]).name).read_bytes() == built["html"].read_bytes()


HOSTILE = ('<b>bold</b> & co <a href="javascript:alert(1)">x</a> <script>alert(1)</script> *star* [@cite] '
           '`tick` $x$ \\textbf{gone} 月之暗面 Кими עברית')


def test_hostile_claim_text_comes_out_literally(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    (ws / "evidence" / "zz-hostile.yaml").write_text(yaml.safe_dump({
        "id": "zz-hostile", "title": "Injected <i>markup</i> & more", "claim": HOSTILE, "date": "2026-06-01",
        "confidence": "low", "sources": ["strategy-briefing-2026-distillation-wars"]}, allow_unicode=True),
        encoding="utf-8")
    result = build(ws, out_dir=tmp_path / "out", audience=FULL, formats=("html",))
    path = tmp_path / "out" / Path(result.outputs["html"]).name
    assert HOSTILE in html_text(path) and "Injected <i>markup</i> & more" in html_text(path)
    page = path.read_text("utf-8")
    assert "<script" not in page and not re.search(r"<[a-z]+ [^>]*(?:href|src)=\"javascript:", page)


def test_every_audience_and_another_topic_build_html(tmp_path):
    from briefing.audiences import descriptions
    from briefing.new_workspace import init_workspace

    for name in [d[0] for d in descriptions(REPO)]:
        result = build(REPO, out_dir=tmp_path / "out", audience=name, formats=("html",))
        page = (tmp_path / "out" / Path(result.outputs["html"]).name).read_text("utf-8")
        assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == result.charts, name
    other = init_workspace(tmp_path / "other", title="Harbour <Dredging> Dispute")
    result = build(other, out_dir=tmp_path / "out2", formats=("html",))
    page = (tmp_path / "out2" / Path(result.outputs["html"]).name).read_text("utf-8")
    assert "<title>Harbour &lt;Dredging&gt; Dispute</title>" in page and "Distillation" not in page


def test_cli_builds_html_and_names_the_formats(tmp_path, capsys):
    assert main(["build", "-w", str(REPO), "-a", "board", "-f", "html", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert ".html" in out and "pages" not in out
    with pytest.raises(SystemExit) as exit_:  # an argument error: one line, exit status 2
        main(["build", "-w", str(REPO), "-f", "html,epub", "-o", str(tmp_path)])
    assert exit_.value.code == 2
    assert "unknown format 'epub'; choose from: pdf, docx, html" in capsys.readouterr().err


def test_the_logo_is_inlined_and_one_that_is_no_image_is_a_one_line_error(make_workspace, tmp_path):
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
           b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
           b"\x00IEND\xaeB`\x82")
    audience = "description: logo\nsections: [bottom_line, references]\nlogo: images/logo.png\n"
    root = make_workspace(files={"templates/audiences/logo.yaml": audience, "images/logo.png": png})
    result = build(root, audience="logo", formats=("html",), out_dir=tmp_path / "out")
    page = (tmp_path / "out" / Path(result.outputs["html"]).name).read_text("utf-8")
    assert '<img class="logo" alt="" src="data:image/png;base64,' + base64.b64encode(png).decode() in page
    (root / "images" / "logo.png").write_text("not an image")
    with pytest.raises(BriefingError) as info:
        build(root, audience="logo", formats=("html",), out_dir=tmp_path / "out")
    assert str(info.value).startswith("templates/audiences/logo.yaml:3:1: error: logo file ")
    assert "is not a readable PNG/JPEG image" in str(info.value) and "\n" not in str(info.value)
    from PIL import Image

    Image.new("RGB", (4, 2), "#1F3A5F").save(root / "images" / "logo.png", format="GIF")  # a GIF, as the PDF takes
    result = build(root, audience="logo", formats=("html",), out_dir=tmp_path / "out")
    page = (tmp_path / "out" / Path(result.outputs["html"]).name).read_text("utf-8")
    assert '<img class="logo" alt="" src="data:image/png;base64,' in page


@given(st.lists(TEXT, min_size=1, max_size=4))
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_escaped_text_renders_literally_in_html(tmp_path, texts):
    """As for the PDF and DOCX: escape -> pandoc's one parse -> the HTML -> read back, paragraph by paragraph."""
    texts = [t for t in texts if visible(t)]
    if not texts:
        return
    markdown = "\n\n".join(str(escape(t)) for t in texts) + "\n"
    ast = pandoc.parse(markdown, bibliography=[], csl=PACKAGE_TEMPLATES / "numeric.csl", source_date_epoch=EPOCH)
    path = tmp_path / "p.html"
    path.write_text(render_html(ast, charts={}), encoding="utf-8")
    assert [visible(t) for tag, t in html_blocks(path) if tag == "p"] == [visible(t) for t in texts]


def test_the_audiences_body_font_is_embedded_and_a_bad_one_is_a_one_line_error(make_workspace, tmp_path):
    import shutil

    from briefing.render_pdf.fonts import dejavu_dir

    audience = "description: serif\nsections: [bottom_line, references]\nbody_font: fonts/DejaVuSerif.ttf\n"
    root = make_workspace(files={"templates/audiences/serif.yaml": audience})
    (root / "fonts").mkdir()
    for face in ("", "-Bold", "-Italic"):
        shutil.copy(dejavu_dir() / f"DejaVuSerif{face}.ttf", root / "fonts")
    result = build(root, audience="serif", formats=("html",), out_dir=tmp_path / "out")
    page = (tmp_path / "out" / Path(result.outputs["html"]).name).read_text("utf-8")
    faces = re.findall(r'@font-face\{font-family:"Briefing Body";font-weight:(\w+);font-style:(\w+);'
                       r"src:url\(data:font/ttf;base64,([A-Za-z0-9+/=]+)\)\}", page)
    assert [(w, s) for w, s, _ in faces] == [("normal", "normal"), ("bold", "normal"), ("normal", "italic")]
    assert base64.b64decode(faces[1][2]) == (root / "fonts" / "DejaVuSerif-Bold.ttf").read_bytes()
    assert 'font-family:"Briefing Body", "DejaVu Sans"' in page and "font-src data:;" in page
    (root / "fonts" / "DejaVuSerif.ttf").write_text("not a font")
    with pytest.raises(BriefingError) as info:
        build(root, audience="serif", formats=("html",), out_dir=tmp_path / "out")
    assert str(info.value).startswith("templates/audiences/serif.yaml:3:1: error: body_font file ")
