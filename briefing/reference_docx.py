"""Build the reference.docx that gives pandoc's DOCX output the house styles.

pandoc takes only the stylesheet, the theme, the section properties (page size, margins) and
the header/footer parts from a reference docx; the body is ignored. We start from pandoc's own
default reference.docx, committed as `templates/reference.docx` (pandoc 3.9's
`--print-default-data-file reference.docx`, unmodified), rather than asking the pandoc binary for
it at run time: this keeps the function pure (no subprocess), and keeps its bytes stable when
the pandoc wheel is upgraded, so the patches below always meet the structure they expect.

The patches are text edits on the parts, never a parse-and-reserialise, so whatever we do not
touch stays byte-for-byte as Word wrote it (re-serialising drops namespace declarations that
`mc:Ignorable` still names, which Word then reports as unreadable content).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence

from briefing.model import Level
from briefing.packaged import PACKAGE_TEMPLATES
from briefing.theme import Theme, packaged_theme, tint

# Word's own name for the style with this ID; pandoc finds styles by name (case-insensitive).
DISPUTED_STYLE = "Disputed"
BOX_TITLE_STYLE = "Box Title"
BOX_TEXT_STYLE = "Box Text"
ALLEGATION_STYLE = "Allegation"

# The shades the PDF mixes from the brand colour (render_pdf/styles.py): boxes, table heads.
_BOX_TINT, _HEAD_TINT = 0.07, 0.13

# Twentieths of a point (twips): page size and margins.
_PAPER = {"a4": (11906, 16838), "letter": (12240, 15840)}
_MARGIN_X, _MARGIN_Y, _HEADER_GAP = 1134, 1418, 567

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT_HEADER = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"
_CT_FOOTER = "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"
_HEADER_RID, _FOOTER_RID = "rIdBriefingHeader", "rIdBriefingFooter"

# 1980-01-01 is the earliest time a zip entry can carry: no clock in the output.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# Characters XML 1.0 forbids even as references; a marking pasted from elsewhere may carry them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_HEX = re.compile(r"#?([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")


def confidence_style_name(level: Level | str) -> str:
    """Word character-style name for a confidence level: "Confidence " + the key's words capitalised."""
    key = level if isinstance(level, str) else level.key
    # Split on anything but letters/digits: Word reads a comma in a style name as an alias list.
    words = [w for w in re.split(r"[\W_]+", key) if w]
    if not words:
        raise ValueError(f"confidence level key {key!r} has no letters or digits")
    return "Confidence " + " ".join(w[:1].upper() + w[1:] for w in words)


def _style_id(name: str) -> str:
    # pandoc falls back to the name without spaces when it cannot find a style; match that.
    return re.sub(r"\s+", "", name)


def _text(value: str) -> str:
    """Escape text for an XML element or a double-quoted attribute."""
    value = _XML_INVALID.sub("", value)
    value = re.sub(r"[\t\r\n]+", " ", value)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _color(value: str, what: str) -> str:
    """'#1b7837' -> '1B7837' (Word wants bare upper-case hex)."""
    m = _HEX.fullmatch(value.strip())
    if not m:
        raise ValueError(f"{what}: {value!r} is not a #RRGGBB colour")
    hexa = m.group(1).upper()
    return "".join(c * 2 for c in hexa) if len(hexa) == 3 else hexa


def _style(
    kind: str,
    name: str,
    body: str,
    *,
    based_on: str = "",
    custom: bool = True,
    sid: str = "",
    next_style: str = "",
    priority: int = 0,
) -> str:
    """One w:style; `body` holds pPr/rPr/tblPr. Children follow the schema's order (Word checks)."""
    attrs = f'w:type="{kind}"' + (' w:customStyle="1"' if custom else "")
    head = f'<w:name w:val="{_text(name)}"/>'
    head += f'<w:basedOn w:val="{based_on}"/>' if based_on else ""
    head += f'<w:next w:val="{next_style}"/>' if next_style else ""
    head += f'<w:uiPriority w:val="{priority}"/>' if priority else ""
    return f'<w:style {attrs} w:styleId="{_text(sid or _style_id(name))}">{head}<w:qFormat/>{body}</w:style>'



def _house_styles(levels: Sequence[Level], brand: str, font: str, theme: Theme) -> tuple[str, list[str]]:
    """The style definitions we own, and their IDs (to drop any base style of the same ID)."""
    f = _text(font)
    c = theme.colors
    muted, rule = _color(c.muted, "muted colour"), _color(c.rule, "rule colour")
    allegation, disputed = _color(c.allegation, "allegation colour"), _color(c.disputed, "disputed colour")
    box_fill = _color(tint("#" + brand, _BOX_TINT), "box fill")
    head_fill = _color(tint("#" + brand, _HEAD_TINT), "table head fill")
    box_border = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="4" w:color="{brand}"/>'
        for side in ("top", "left", "bottom", "right")
    )
    # Same borders and indents on title and text, so Word draws one box round both.
    box_ppr = f'<w:pBdr>{box_border}</w:pBdr><w:shd w:val="clear" w:color="auto" w:fill="{box_fill}"/>'
    box_ind = '<w:ind w:left="113" w:right="113"/>'

    def heading(level: int, size: int, before: int, italic: bool = False) -> str:
        return _style(
            "paragraph",
            f"heading {level}",
            f'<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="{before}" w:after="80"/>'
            f'<w:outlineLvl w:val="{level - 1}"/></w:pPr>'
            f'<w:rPr><w:rFonts w:ascii="{f}" w:hAnsi="{f}"/><w:b/><w:bCs/>'
            + ("<w:i/>" if italic else "")
            + f'<w:color w:val="{brand}"/><w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>',
            based_on="Normal",
            custom=False,
            sid=f"Heading{level}",
            next_style="BodyText",
            priority=9,
        )

    styles = [
        heading(1, 32, 360),
        heading(2, 26, 240),
        heading(3, 22, 200, italic=True),
        _style(
            "paragraph",
            "Title",
            '<w:pPr><w:spacing w:after="80"/></w:pPr>'
            f'<w:rPr><w:b/><w:color w:val="{brand}"/><w:sz w:val="44"/><w:szCs w:val="44"/></w:rPr>',
            based_on="Normal",
            custom=False,
            next_style="BodyText",
        ),
        _style(
            "paragraph",
            "Subtitle",
            '<w:pPr><w:spacing w:after="120"/></w:pPr>'
            f'<w:rPr><w:color w:val="{muted}"/><w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr>',
            based_on="Normal",
            custom=False,
            next_style="BodyText",
        ),
        *(
            _style(
                "paragraph",
                name,
                '<w:pPr><w:keepNext/><w:spacing w:after="40"/></w:pPr>'
                f'<w:rPr><w:color w:val="{muted}"/></w:rPr>',
                based_on="Normal",
                custom=name == "Author",
                next_style="BodyText",
            )
            for name in ("Author", "Date")
        ),
        _style(
            "paragraph",
            "Body Text",
            '<w:pPr><w:spacing w:before="0" w:after="120"/></w:pPr>',
            based_on="Normal",
            custom=False,
            sid="BodyText",
        ),
        # pandoc puts a tab after the entry number (second-field-align): hang the text at the tab.
        _style(
            "paragraph",
            "Bibliography",
            '<w:pPr><w:tabs><w:tab w:val="left" w:pos="482"/></w:tabs><w:spacing w:before="0" w:after="80"/>'
            '<w:ind w:left="482" w:hanging="482"/></w:pPr><w:rPr><w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr>',
            based_on="Normal",
            custom=False,
            next_style="Bibliography",
        ),
        _style(
            "table",
            "Table",
            "<w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/>"
            f'<w:tblBorders><w:top w:val="single" w:sz="8" w:space="0" w:color="{brand}"/>'
            f'<w:bottom w:val="single" w:sz="8" w:space="0" w:color="{brand}"/>'
            f'<w:insideH w:val="single" w:sz="4" w:space="0" w:color="{rule}"/></w:tblBorders>'
            '<w:tblCellMar><w:top w:w="29" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
            '<w:bottom w:w="29" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr>'
            '<w:tblStylePr w:type="firstRow"><w:rPr><w:b/><w:bCs/></w:rPr><w:tcPr><w:tcBorders>'
            f'<w:bottom w:val="single" w:sz="8" w:space="0" w:color="{brand}"/></w:tcBorders>'
            f'<w:shd w:val="clear" w:color="auto" w:fill="{head_fill}"/><w:vAlign w:val="bottom"/>'
            "</w:tcPr></w:tblStylePr>",
            based_on="TableNormal",
            custom=False,
        ),
        _style(
            "paragraph",
            "caption",  # Word's built-in name
            '<w:pPr><w:spacing w:before="60" w:after="200"/></w:pPr>'
            f'<w:rPr><w:i/><w:color w:val="{muted}"/><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr>',
            based_on="Normal",
            custom=False,
            sid="Caption",
        ),
        _style(
            "paragraph",
            "header",
            '<w:pPr><w:spacing w:before="0" w:after="0"/><w:jc w:val="center"/></w:pPr>'
            '<w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr>',
            based_on="Normal",
            custom=False,
            sid="Header",
        ),
        _style(
            "paragraph",
            "footer",
            '<w:pPr><w:spacing w:before="0" w:after="0"/><w:jc w:val="center"/></w:pPr>'
            '<w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr>',
            based_on="Normal",
            custom=False,
            sid="Footer",
        ),
        _style(
            "paragraph",
            BOX_TITLE_STYLE,
            f'<w:pPr><w:keepNext/>{box_ppr}<w:spacing w:before="240" w:after="60"/>{box_ind}</w:pPr>'
            f'<w:rPr><w:b/><w:bCs/><w:color w:val="{brand}"/></w:rPr>',
            based_on="BodyText",
            next_style=_style_id(BOX_TEXT_STYLE),
        ),
        _style(
            "paragraph",
            BOX_TEXT_STYLE,
            f'<w:pPr>{box_ppr}<w:spacing w:before="0" w:after="60"/>{box_ind}</w:pPr>',
            based_on="BodyText",
        ),
        _style(
            "paragraph",
            ALLEGATION_STYLE,
            f'<w:pPr><w:pBdr><w:left w:val="single" w:sz="24" w:space="8" w:color="{allegation}"/>'
            '</w:pBdr><w:ind w:left="284"/></w:pPr>',
            based_on="BodyText",
        ),
        _style(
            "character",
            DISPUTED_STYLE,
            f'<w:rPr><w:b/><w:bCs/><w:color w:val="{disputed}"/></w:rPr>',
            based_on="DefaultParagraphFont",
        ),
    ]
    seen: dict[str, str] = {}
    for lv in levels:
        name = confidence_style_name(lv)
        if name.lower() in seen:
            raise ValueError(f"levels {seen[name.lower()]!r} and {lv.key!r} map to one style {name!r}")
        seen[name.lower()] = lv.key
        fill = _color(lv.color, f"colour of level {lv.key!r}")
        styles.append(
            _style(
                "character",
                name,
                '<w:rPr><w:b/><w:bCs/><w:color w:val="FFFFFF"/>'
                f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/></w:rPr>',
                based_on="DefaultParagraphFont",
            )
        )
    ids = [m.group(1) for s in styles if (m := re.search(r'w:styleId="([^"]*)"', s))]  # each has one
    return "".join(styles), ids


def _patch_styles(xml: str, levels: Sequence[Level], brand: str, font: str, theme: Theme) -> str:
    styles, ids = _house_styles(levels, brand, font, theme)
    size = round(theme.sizes.docx_body * 2)  # half-points
    text = _color(theme.colors.text, "text colour")
    for sid in ids:
        xml = re.sub(
            r'<w:style\b[^>]*\bw:styleId="' + re.escape(sid) + r'".*?</w:style>\s*', "", xml, flags=re.S
        )
    f = _text(font)
    # Explicit fonts (not theme fonts) so readers that ignore the theme still get the house font;
    # East Asian text keeps the theme's CJK fonts.
    defaults = (
        "<w:docDefaults><w:rPrDefault><w:rPr>"
        f'<w:rFonts w:ascii="{f}" w:hAnsi="{f}" w:eastAsiaTheme="minorEastAsia" w:cstheme="minorBidi"/>'
        f'<w:color w:val="{text}"/><w:sz w:val="{size}"/><w:szCs w:val="{size}"/>'
        '<w:lang w:val="en-GB" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'
        '</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="160" w:line="264" w:lineRule="auto"/>'
        "</w:pPr></w:pPrDefault></w:docDefaults>"
    )
    xml, n = re.subn(r"<w:docDefaults>.*?</w:docDefaults>", defaults, xml, count=1, flags=re.S)
    if n != 1 or "</w:styles>" not in xml:
        raise ValueError("base reference.docx: styles.xml has an unexpected shape")
    return xml.replace("</w:styles>", styles + "</w:styles>")


def _patch_theme(xml: str, font: str) -> str:
    """Point the theme's major and minor Latin fonts at the house font (headings use them)."""
    latin = f'<a:latin typeface="{_text(font)}"/>'
    for block in ("majorFont", "minorFont"):
        xml = re.sub(
            rf"(<a:{block}>\s*)<a:latin\b[^>]*/>", lambda m: m.group(1) + latin, xml, count=1
        )
    return xml


def _run(text: str, rpr: str = "") -> str:
    return f'<w:r>{rpr and f"<w:rPr>{rpr}</w:rPr>"}<w:t xml:space="preserve">{_text(text)}</w:t></w:r>'


def _field(instr: str, rpr: str) -> str:
    """A complex field with a cached result, so readers that do not update fields show '1'."""
    r = f"<w:rPr>{rpr}</w:rPr>"
    return (
        f'<w:r>{r}<w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r>{r}<w:instrText xml:space="preserve"> {instr} </w:instrText></w:r>'
        f'<w:r>{r}<w:fldChar w:fldCharType="separate"/></w:r>'
        f"<w:r>{r}<w:t>1</w:t></w:r>"
        f'<w:r>{r}<w:fldChar w:fldCharType="end"/></w:r>'
    )


def _para(style: str, runs: str) -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{runs}</w:p>'


def _header_footer(marking: str, title: str, muted_color: str) -> tuple[str, str]:
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    ns = f'xmlns:w="{_W}" xmlns:r="{_R}"'
    bold = "<w:b/><w:bCs/>"
    muted = f'<w:color w:val="{muted_color}"/>'

    def marking_p(style: str) -> str:
        return _para(style, _run(marking, bold)) if marking.strip() else ""

    header = marking_p("Header")
    if title.strip():
        header += _para("Header", _run(title, muted))
    pages = _run("Page ", muted) + _field("PAGE", muted) + _run(" of ", muted) + _field("NUMPAGES", muted)
    footer = marking_p("Footer") + _para("Footer", pages)
    # A header part must hold at least one paragraph.
    header = header or _para("Header", "")
    return (
        f"{head}<w:hdr {ns}>{header}</w:hdr>",
        f"{head}<w:ftr {ns}>{footer}</w:ftr>",
    )


def _document(paper: str) -> str:
    """An empty body: pandoc reads only the final sectPr (page size, margins, header, footer)."""
    w, h = _PAPER[paper]
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{_W}" xmlns:r="{_R}"><w:body><w:p/>'
        "<w:sectPr>"
        f'<w:headerReference w:type="default" r:id="{_HEADER_RID}"/>'
        f'<w:footerReference w:type="default" r:id="{_FOOTER_RID}"/>'
        '<w:footnotePr><w:numRestart w:val="eachSect"/></w:footnotePr>'
        f'<w:pgSz w:w="{w}" w:h="{h}"/>'
        f'<w:pgMar w:top="{_MARGIN_Y}" w:right="{_MARGIN_X}" w:bottom="{_MARGIN_Y}" w:left="{_MARGIN_X}"'
        f' w:header="{_HEADER_GAP}" w:footer="{_HEADER_GAP}" w:gutter="0"/>'
        "</w:sectPr></w:body></w:document>"
    )


def _patch_rels(xml: str) -> str:
    # The base's only hyperlink belongs to its sample body, which we replace.
    xml = re.sub(r"<Relationship\b[^>]*/hyperlink\"[^>]*/>", "", xml)
    xml = re.sub(r"<Relationship\b[^>]*/(header|footer)\"[^>]*/>", "", xml)
    rels = (
        f'<Relationship Id="{_HEADER_RID}" Type="{_REL}/header" Target="header1.xml"/>'
        f'<Relationship Id="{_FOOTER_RID}" Type="{_REL}/footer" Target="footer1.xml"/>'
    )
    return xml.replace("</Relationships>", rels + "</Relationships>")


def _patch_content_types(xml: str) -> str:
    xml = re.sub(r'<Override PartName="/word/(header|footer)1\.xml"[^>]*/>', "", xml)
    types = (
        f'<Override PartName="/word/header1.xml" ContentType="{_CT_HEADER}"/>'
        f'<Override PartName="/word/footer1.xml" ContentType="{_CT_FOOTER}"/>'
    )
    return xml.replace("</Types>", types + "</Types>")


def _base() -> zipfile.ZipFile:
    data = (PACKAGE_TEMPLATES / "reference.docx").read_bytes()
    return zipfile.ZipFile(io.BytesIO(data))


def reference_docx(
    *,
    levels: Sequence[Level],
    marking: str,
    title: str,
    brand_color: str = "",
    paper: str = "A4",
    font: str = "",
    theme: Theme | None = None,
) -> bytes:
    """Return a deterministic reference.docx carrying the house styles, the marking and page numbers.

    Colours, the font and the body size come from `theme` (the packaged one if None); `brand_color`
    and `font`, when given, replace the theme's brand colour and DOCX font.
    """
    theme = theme or packaged_theme()
    brand_color = brand_color or theme.colors.brand
    font = font or theme.fonts.docx
    paper_key = paper.strip().lower()
    if paper_key not in _PAPER:
        raise ValueError(f"paper {paper!r}: use A4 or Letter")
    brand = _color(brand_color, "brand colour")
    if not font.strip():
        raise ValueError("font must not be empty")
    header, footer = _header_footer(marking, title, _color(theme.colors.muted, "muted colour"))

    parts: dict[str, bytes] = {}
    with _base() as base:
        for name in base.namelist():
            parts[name] = base.read(name)
    edits = {
        "word/styles.xml": lambda x: _patch_styles(x, levels, brand, font, theme),
        "word/theme/theme1.xml": lambda x: _patch_theme(x, font),
        "word/_rels/document.xml.rels": _patch_rels,
        "[Content_Types].xml": _patch_content_types,
    }
    for name, edit in edits.items():
        parts[name] = edit(parts[name].decode("utf-8")).encode("utf-8")
    parts["word/document.xml"] = _document(paper_key).encode("utf-8")
    parts["word/header1.xml"] = header.encode("utf-8")
    parts["word/footer1.xml"] = footer.encode("utf-8")

    # [Content_Types].xml first (some readers sniff it there), then a fixed, sorted order.
    order = ["[Content_Types].xml"] + sorted(n for n in parts if n != "[Content_Types].xml")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0  # else it records the building OS
            info.external_attr = 0
            zf.writestr(info, parts[name], compresslevel=9)
    return out.getvalue()
