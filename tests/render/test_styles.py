"""One theme, every format: the PDF, the DOCX and the HTML draw with the same colours (templates/theme.yaml)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from pypdf import PdfReader
from reportlab.lib.colors import HexColor
from reportlab.lib.rl_accel import fp_str

from briefing.build import build
from briefing.render_pdf import PdfOptions
from briefing.render_pdf.styles import Styles
from briefing.theme import load_theme, tint
from tests.readers import docx_xml

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Every colour differs from the packaged theme's, so a format that ignored the theme would show.
THEME = """\
colors:
  brand: "#123456"
  text: "#0B0C0D"
  muted: "#4A4B4C"
  rule: "#ABCDEF"
  link: "#0A3B7C"
  allegation: "#C05010"
  allegation_fill: "#FFF1E0"
  disputed: "#990011"
  code_background: "#EFEFEF"
  quote_rule: "#8899AA"
  quote_text: "#334455"
"""
DISPUTED = {
    "id": "claim-b", "title": "An allegation", "claim": "Someone says something happened.", "date": "2026-01-02",
    "confidence": "moderate", "sources": ["src-a"],
    "actors": [{"name": "Accuser Org", "role": "accuser"}, {"name": "Accused Org", "role": "accused"}],
    "disputes": [{"by": "Accused Org", "text": "It denies it."}],
}


def _hex(color) -> str:
    return "#" + "".join(f"{round(c * 255):02X}" for c in color.rgb())  # hexval() truncates a tint


def _docx_colours(path) -> dict[str, str]:
    root = ET.fromstring(docx_xml(path, "word/styles.xml"))
    styles = {s.find(f"{W}name").get(f"{W}val"): s for s in root.iter(f"{W}style")}

    def get(style: str, xpath: str, attr: str) -> str:
        return "#" + styles[style].find(xpath).get(f"{W}{attr}")

    defaults = root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}color")
    return {
        "brand": get("heading 1", f"{W}rPr/{W}color", "val"),
        "text": "#" + defaults.get(f"{W}val"),
        "muted": get("caption", f"{W}rPr/{W}color", "val"),
        "rule": get("Table", f"{W}tblPr/{W}tblBorders/{W}insideH", "color"),
        "allegation": get("Allegation", f"{W}pPr/{W}pBdr/{W}left", "color"),
        "disputed": get("Disputed", f"{W}rPr/{W}color", "val"),
        "box_fill": get("Box Text", f"{W}pPr/{W}shd", "fill"),
        "head_fill": get("Table", f"{W}tblStylePr/{W}tcPr/{W}shd", "fill"),
    }


def _html_colours(path) -> dict[str, str]:
    css = path.read_text("utf-8")
    var = dict(re.findall(r"--(brand|text|muted|rule|link):(#[0-9A-F]{6})", css))
    return {
        **var,
        "allegation": re.search(r"\.allegation\{border-left:4px solid (#\w+);background:(#\w+)", css)[1],
        "allegation_fill": re.search(r"\.allegation\{border-left:4px solid (#\w+);background:(#\w+)", css)[2],
        "disputed": re.search(r"\.disputed\{color:(#\w+)\}", css)[1],
        "quote_rule": re.search(r"blockquote\{border-left:4px solid (#\w+)", css)[1],
        "quote_text": re.search(r"blockquote\{[^}]*;color:(#\w+)\}", css)[1],
        "code_background": re.search(r"pre\{background:(#\w+)", css)[1],
        "box_fill": re.search(r"\.box\{background:(#\w+)", css)[1],
        "head_fill": re.search(r"thead th\{background:(#\w+)", css)[1],
    }


def _pdf_colours(theme) -> dict[str, str]:
    st = Styles(PdfOptions(brand_color=theme.colors.brand, theme=theme))
    return {
        "brand": _hex(st["h1"].textColor), "text": _hex(st["body"].textColor), "muted": _hex(st["caption"].textColor),
        "rule": _hex(st.rule), "link": _hex(st.link), "allegation": _hex(st.allegation),
        "allegation_fill": _hex(st.allegation_fill), "disputed": st.disputed.upper(),
        "quote_rule": _hex(st.quote_rule), "quote_text": _hex(st["quote"].textColor),
        "code_background": _hex(st["code"].backColor), "box_fill": _hex(st.box_fill),
        "head_fill": _hex(st.head_fill),
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from conftest import CLAIM, write_workspace

    evidence = {"claim-a.yaml": CLAIM, "claim-b.yaml": DISPUTED}
    root = write_workspace(tmp_path_factory.mktemp("themed"), evidence=evidence,
                           files={"templates/theme.yaml": THEME})
    out = root / "out"
    build(root, out_dir=out, audience="analyst", formats=("pdf", "docx", "html"))
    return root, {p.suffix: p for p in out.iterdir()}


def test_pdf_docx_and_html_draw_with_the_theme_colours(built):
    root, files = built
    theme = load_theme(root)
    c = theme.colors
    expected = {**vars(c), "box_fill": tint(c.brand, 0.07), "head_fill": tint(c.brand, 0.13)}
    pdf, docx, html = _pdf_colours(theme), _docx_colours(files[".docx"]), _html_colours(files[".html"])
    for fmt, found in (("PDF", pdf), ("DOCX", docx), ("HTML", html)):
        wrong = {k: (v, expected[k]) for k, v in found.items() if v != expected[k]}
        assert not wrong, f"{fmt} colours differ from the theme (found, theme): {wrong}"
    # The three agree wherever two of them draw the same thing.
    assert {k: docx[k] for k in docx} == {k: pdf[k] for k in docx}
    assert {k: html[k] for k in html} == {k: pdf[k] for k in html}


def test_the_pdf_pages_are_painted_with_the_theme_colours(built):
    _, files = built
    streams = b"".join(page.get_contents().get_data() for page in PdfReader(str(files[".pdf"])).pages)
    for role, color in (("brand", "#123456"), ("text", "#0B0C0D"), ("muted", "#4A4B4C"),
                        ("disputed", "#990011"), ("allegation", "#C05010")):
        rgb = fp_str(*HexColor(color).rgb()).encode()
        assert rgb + b" rg" in streams or rgb + b" RG" in streams, f"the PDF never paints the {role} colour"


CHART_THEME = """\
charts:
  palette: ["#2A7F11", "#13579B"]
  ink: "#301020"
  muted: "#405060"
  axis: "#708090"
  grid: "#D0E0F0"
"""
FIGURES = dict(DISPUTED, id="claim-f", figures=[
    {"metric": "cases", "actor": "Lab One", "value": 1200, "source": "src-a"},
    {"metric": "deaths", "actor": "Lab One", "value": 30, "source": "src-a"}])
CHARTS = {"charts": [{"id": "figures", "kind": "bar", "title": "Figures"}],
          "metrics": [{"id": "cases", "label": "Cases", "unit": "cases"},
                      {"id": "deaths", "label": "Deaths", "unit": "cases"}]}


def test_the_charts_draw_with_the_theme_chart_colours(tmp_path):
    import io
    import zipfile

    from conftest import CLAIM, write_workspace
    from PIL import Image

    root = write_workspace(tmp_path / "ws", evidence={"claim-a.yaml": CLAIM, "claim-f.yaml": FIGURES},
                           files={"templates/theme.yaml": CHART_THEME, "charts.yaml": CHARTS})
    out = root / "out"
    build(root, out_dir=out, audience="analyst", formats=("pdf", "docx", "html"))
    files = {p.suffix: p for p in out.iterdir()}
    assert load_theme(root).charts.palette == ("#2A7F11", "#13579B")
    # The PDF's chart fills its bars with the palette and writes its labels in the chart ink.
    streams = b"".join(page.get_contents().get_data() for page in PdfReader(str(files[".pdf"])).pages)
    for color in ("#2A7F11", "#13579B", "#301020"):
        assert fp_str(*HexColor(color).rgb()).encode() + b" rg" in streams, f"the PDF chart never paints {color}"
    # The DOCX's PNG of the same figure, and the HTML's SVG.
    with zipfile.ZipFile(files[".docx"]) as z:
        (png,) = [Image.open(io.BytesIO(z.read(n))).convert("RGB") for n in z.namelist() if n.endswith(".png")]
    pixels = {rgb for _, rgb in png.getcolors(maxcolors=1 << 24)}
    assert {(0x2A, 0x7F, 0x11), (0x13, 0x57, 0x9B)} <= pixels
    svg = files[".html"].read_text("utf-8").upper()
    assert "#2A7F11" in svg and "#13579B" in svg
