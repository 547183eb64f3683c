"""The generated reference.docx: house styles, marking, page numbers, paper, determinism."""

from __future__ import annotations

import io
import xml.dom.minidom
import xml.etree.ElementTree as ET
import zipfile

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE

from briefing.model import Level
from briefing.reference_docx import confidence_style_name, reference_docx

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LEVELS = (
    Level("high", "High confidence", "m", "#1B7837", "documented"),
    Level("moderate", "Moderate confidence", "m", "#b35806", "alleged"),
    Level("not_shown", "Not shown", "m", "#6A6A6A", "not_shown"),
)
ODD_MARKING = "Secret & <b>Restricted</b> \u201cEyes\u201d \u2014 \u6708\u4e4b\u6697\u9762 \x01\u202e"


def build(**kw) -> bytes:
    args = {"levels": LEVELS, "marking": "For internal use", "title": "The Distillation Wars"} | kw
    return reference_docx(**args)


def part(data: bytes, name: str) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(name).decode("utf-8")


def style_el(doc, name: str):
    return doc.styles[name].element


def test_style_name_convention():
    assert confidence_style_name(LEVELS[0]) == "Confidence High"
    assert confidence_style_name("high") == "Confidence High"
    assert confidence_style_name(LEVELS[2]) == "Confidence Not Shown"
    assert confidence_style_name("very-low,ish") == "Confidence Very Low Ish"
    with pytest.raises(ValueError):
        confidence_style_name("--")


def test_deterministic_bytes_and_zip_layout():
    a, b = build(), build()
    assert a == b
    infos = zipfile.ZipFile(io.BytesIO(a)).infolist()
    assert infos[0].filename == "[Content_Types].xml"
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert build(marking="Other") != a


def test_every_xml_part_parses_and_python_docx_opens():
    data = build(marking=ODD_MARKING, title="A & B <c>")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                raw = zf.read(name)
                ET.fromstring(raw)
                xml.dom.minidom.parseString(raw)
    docx.Document(io.BytesIO(data))


def test_confidence_character_styles():
    doc = docx.Document(io.BytesIO(build()))
    for lv, fill in zip(LEVELS, ("1B7837", "B35806", "6A6A6A"), strict=True):
        style = doc.styles[confidence_style_name(lv)]
        assert style.type == WD_STYLE_TYPE.CHARACTER
        assert style.font.bold is True
        assert str(style.font.color.rgb) == "FFFFFF"
        shd = style.element.find(f"{W}rPr/{W}shd")
        assert shd.get(f"{W}fill") == fill


def test_house_styles():
    doc = docx.Document(io.BytesIO(build(brand_color="#123456")))
    disputed = doc.styles["Disputed"]
    assert disputed.type == WD_STYLE_TYPE.CHARACTER and disputed.font.bold
    assert str(disputed.font.color.rgb) == "8B0000"  # the theme's (templates/theme.yaml), as the PDF's
    for name in ("Box Title", "Box Text", "Allegation", "Caption"):
        assert doc.styles[name].type == WD_STYLE_TYPE.PARAGRAPH
    assert style_el(doc, "Box Text").find(f"{W}pPr/{W}shd") is not None
    left = style_el(doc, "Allegation").find(f"{W}pPr/{W}pBdr/{W}left")
    assert left.get(f"{W}val") == "single" and left.get(f"{W}color") == "D08C00"
    for level in (1, 2, 3):
        assert str(doc.styles[f"Heading {level}"].font.color.rgb) == "123456"
    # One definition per style: the base's headings were replaced, not shadowed.
    ids = [s.get(f"{W}styleId") for s in ET.fromstring(part(build(), "word/styles.xml")).iter(f"{W}style")]
    assert len(ids) == len(set(ids))


def test_font_reaches_defaults_and_theme():
    data = build(font="Source Sans 3")
    doc = docx.Document(io.BytesIO(data))
    assert doc.styles.default(WD_STYLE_TYPE.PARAGRAPH) is not None
    fonts = ET.fromstring(part(data, "word/styles.xml")).find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert fonts.get(f"{W}ascii") == "Source Sans 3"
    theme = part(data, "word/theme/theme1.xml")
    assert theme.count('<a:latin typeface="Source Sans 3"/>') == 2


def test_header_and_footer_carry_the_marking_and_page_fields():
    data = build(marking=ODD_MARKING, title="A & B")
    doc = docx.Document(io.BytesIO(data))
    section = doc.sections[0]
    shown = ODD_MARKING.replace("\x01", "")
    header_text = [p.text for p in section.header.paragraphs]
    footer_text = [p.text for p in section.footer.paragraphs]
    assert header_text == [shown, "A & B"]
    assert footer_text[0] == shown and footer_text[1].startswith("Page ")
    footer = part(data, "word/footer1.xml")
    instr = [el.text.strip() for el in ET.fromstring(footer).iter(f"{W}instrText")]
    assert instr == ["PAGE", "NUMPAGES"]
    body = ET.fromstring(part(data, "word/document.xml")).find(f"{W}body")
    sect = body[-1]
    assert sect.tag == f"{W}sectPr"
    assert [c.tag for c in sect][:2] == [f"{W}headerReference", f"{W}footerReference"]


def test_empty_marking_leaves_no_empty_marking_line():
    doc = docx.Document(io.BytesIO(build(marking="  ")))
    assert [p.text for p in doc.sections[0].header.paragraphs] == ["The Distillation Wars"]


@pytest.mark.parametrize("paper, size", [("A4", (11906, 16838)), ("letter", (12240, 15840))])
def test_paper_size(paper, size):
    sect = ET.fromstring(part(build(paper=paper), "word/document.xml")).find(f"{W}body/{W}sectPr")
    pg = sect.find(f"{W}pgSz")
    assert (int(pg.get(f"{W}w")), int(pg.get(f"{W}h"))) == size


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="paper"):
        build(paper="A5")
    with pytest.raises(ValueError, match="brand"):
        build(brand_color="navy")
    with pytest.raises(ValueError, match="colour of level"):
        build(levels=(Level("x", "X", "m", "green", "documented"),))
    with pytest.raises(ValueError, match="one style"):
        build(levels=(Level("a-b", "1", "m", "#000000", "d"), Level("a_b", "2", "m", "#000000", "d")))
