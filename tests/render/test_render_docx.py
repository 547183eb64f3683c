"""The DOCX renderer: pandoc's docx from a composed AST, read back as Word and strict readers would."""

from __future__ import annotations

import copy
import io
import json
import re
import struct
import subprocess
import time
import xml.dom.minidom
import xml.etree.ElementTree as ET
import zipfile
import zlib
from pathlib import Path

import docx
import pytest

from briefing.model import Level
from briefing.pandoc import pandoc_path as _pandoc_path
from briefing.reference_docx import confidence_style_name, reference_docx
from briefing.render_docx import link_allowed, prepare_docx_ast, render_docx, start_docx

CSL = Path(__file__).resolve().parents[2] / "templates" / "numeric.csl"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
EPOCH = 1_782_777_600  # 2026-06-30T00:00:00Z
LEVELS = (
    Level("high", "High confidence", "m", "#1B7837", "documented"),
    Level("moderate", "Moderate confidence", "m", "#B35806", "alleged"),
)
MARKING = "For internal use & <not> for release"

BIB = [
    {"id": "anthropic", "type": "post-weblog", "title": "Detecting and Preventing Distillation Attacks",
     "container-title": "Anthropic News", "author": [{"literal": "Anthropic"}],
     "issued": {"date-parts": [[2026, 2, 23]]}, "URL": "https://www.anthropic.com/news/detecting"},
    {"id": "scmp", "type": "article-newspaper", "title": "A grey area", "container-title": "SCMP",
     "issued": {"date-parts": [[2026, 3]]}, "URL": "https://www.scmp.com/x"},
]

# The composed-document conventions (docs/composed-document.md), plus hostile evidence text.
SAMPLE = r"""---
title: The Distillation Wars
subtitle: What the allegations mean
date: 30 June 2026
marking: For internal use
---

# Bottom line {#bottom-line}

MiniMax generated most of the traffic
[High confidence]{.confidence level="high" color="#1B7837" custom-style="Confidence High"}
and [Disputed by Alibaba]{.disputed custom-style="Disputed"}.[@anthropic]

::: {.box title="Bottom line"}
Two named accusations.

A second paragraph in the box.
:::

::: {.allegation}
Anthropic says MiniMax accounted for 13 million exchanges.[@scmp]
:::

## Evidence {#evidence}

A moderate one [Moderate confidence]{.confidence level="moderate" color="#B35806"} without a style.

![Figure 1. Extraction by actor. Sources: [@anthropic].](chart:scale "Bar chart: exchanges by actor"){#fig-scale}

| Actor | Exchanges |
|-------|----------:|
| MiniMax | 13,000,000 |

Literal: \<b\>bold\</b\> &amp; AT&T {=openxml} <w:p/> `<w:r><w:t>INJECTED-INLINE</w:t></w:r>`{=openxml}

```{=openxml}
<w:p><w:r><w:t>INJECTED-BLOCK</w:t></w:r></w:p>
```

<font color="red">raw html</font> <!-- a comment -->

CJK: 月之暗面 and [web](https://example.com/a?b=1&c=2), [mail](mailto:desk@example.org),
[anchor](#evidence), [script](javascript:alert(1)), [file](file:///etc/passwd),
[relative](notes.html), [data](data:text/html,hi).

![not a chart](/etc/hostname)

# References
"""


def png(width: int = 40, height: int = 20) -> bytes:
    """A tiny valid PNG, made without an imaging library."""
    raw = b"".join(b"\x00" + b"\x1f\x3a\x5f" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    head = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def compose(markdown: str, folder: Path) -> dict:
    """Parse Markdown as the compose stage does: citeproc, our CSL, a CSL-JSON bibliography."""
    bib = folder / "refs.json"
    bib.write_text(json.dumps(BIB), "utf-8")
    out = subprocess.run(
        [_pandoc_path(), "-f", "markdown", "-t", "json", "--citeproc", f"--csl={CSL}",
         f"--bibliography={bib}", "-M", "link-citations=true"],
        input=markdown.encode("utf-8"), capture_output=True, check=True,
    )
    return json.loads(out.stdout)


def para(text: str) -> dict:
    return {"t": "Para", "c": [{"t": "Str", "c": text}]}


def doc_of(blocks: list[dict]) -> dict:
    return {"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": blocks}


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("docx")
    (folder / "scale.png").write_bytes(png())
    return folder


@pytest.fixture(scope="module")
def reference() -> bytes:
    return reference_docx(levels=LEVELS, marking=MARKING, title="The Distillation Wars")


@pytest.fixture(scope="module")
def sample(work, reference):
    ast = compose(SAMPLE, work)
    before = copy.deepcopy(ast)
    out = work / "sample.docx"
    render_docx(ast, out, charts={"scale": work / "scale.png"}, reference=reference,
                source_date_epoch=EPOCH, resource_dir=work)
    assert ast == before, "the caller's AST must not be mutated"
    return out


def render(ast: dict, work: Path, reference: bytes, name: str, epoch: int = EPOCH) -> bytes:
    out = work / name
    render_docx(ast, out, charts={"scale": work / "scale.png"}, reference=reference,
                source_date_epoch=epoch, resource_dir=work)
    return out.read_bytes()


def xml_part(path: Path, name: str) -> ET.Element:
    return ET.fromstring(zipfile.ZipFile(path).read(name))


def body_text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def styled_runs(path: Path, style: str) -> list[str]:
    return [r.text for p in docx.Document(str(path)).paragraphs for r in p.runs
            if r.style is not None and r.style.name == style]


def test_headings_use_word_heading_styles(sample):
    paras = docx.Document(str(sample)).paragraphs
    by_style = {(p.style.name, p.text) for p in paras}
    assert ("Heading 1", "Bottom line") in by_style
    assert ("Heading 2", "Evidence") in by_style
    assert ("Heading 1", "References") in by_style


def test_confidence_spans_get_the_level_character_style(sample):
    doc = docx.Document(str(sample))
    high = styled_runs(sample, "Confidence High")
    assert "".join(high).strip("\u00a0") == "High confidence"
    # No custom-style in the Markdown: the renderer derives it from the level key.
    assert "".join(styled_runs(sample, confidence_style_name("moderate"))).strip("\u00a0") == "Moderate confidence"
    shd = doc.styles["Confidence High"].element.find(f"{W}rPr/{W}shd")
    assert shd.get(f"{W}fill") == "1B7837"
    assert "".join(styled_runs(sample, "Disputed")) == "Disputed by Alibaba"


def test_box_and_allegation_paragraph_styles(sample):
    paras = [(p.style.name, p.text) for p in docx.Document(str(sample)).paragraphs]
    i = paras.index(("Box Title", "Bottom line"))
    assert paras[i + 1] == ("Box Text", "Two named accusations.")
    assert paras[i + 2] == ("Box Text", "A second paragraph in the box.")
    assert [t for s, t in paras if s == "Allegation"] == ["Anthropic says MiniMax accounted for 13 million exchanges.2"]


def test_figure_caption_and_alt_text(sample):
    doc = docx.Document(str(sample))
    captions = [p for p in doc.paragraphs if p.style.name == "Image Caption"]
    # The second is the /etc/hostname "figure": its caption stays, its file is never read.
    assert [p.text for p in captions] == ["Figure 1. Extraction by actor. Sources:1.", "not a chart"]
    assert captions[0].style.base_style.name == "Caption"
    doc_prs = list(xml_part(sample, "word/document.xml").iter(f"{WP}docPr"))
    assert [d.get("descr") for d in doc_prs] == ["Bar chart: exchanges by actor"]
    media = [n for n in zipfile.ZipFile(sample).namelist() if n.startswith("word/media/")]
    assert len(media) == 1  # the chart; the /etc/hostname image was not fetched
    assert zipfile.ZipFile(sample).read(media[0]) == png()


def test_citations_are_superscript(sample):
    # Citation numbers sit inside w:hyperlink, which python-docx's Paragraph.runs skips.
    sup = [
        "".join(t.text or "" for t in r.iter(f"{W}t"))
        for r in xml_part(sample, "word/document.xml").iter(f"{W}r")
        if r.find(f"{W}rPr/{W}vertAlign[@{W}val='superscript']") is not None
    ]
    assert sup[:2] == ["1", "2"]


def test_only_web_and_mail_links_survive(sample):
    rels = ET.fromstring(zipfile.ZipFile(sample).read("word/_rels/document.xml.rels"))
    links = [r for r in rels if r.get("Type", "").endswith("/hyperlink")]
    targets = {r.get("Target") for r in links}
    assert {r.get("TargetMode") for r in links} == {"External"}
    assert all(re.match(r"(https?|mailto):", t) for t in targets), targets
    assert "https://example.com/a?b=1&c=2" in targets and "mailto:desk@example.org" in targets
    anchors = {h.get(f"{W}anchor") for h in xml_part(sample, "word/document.xml").iter(f"{W}hyperlink")}
    assert {"evidence", "ref-anthropic"} <= anchors
    # The refused links keep their words as plain text.
    text = body_text(sample)
    for words in ("script", "file", "relative", "data"):
        assert words in text


def test_literal_markup_and_raw_injection(sample):
    text = body_text(sample)
    assert "<b>bold</b> & AT&T {=openxml} <w:p/>" in text  # &amp; is Markdown's entity for &
    assert "<w:r><w:t>INJECTED-INLINE</w:t></w:r>" in text
    assert "<w:p><w:r><w:t>INJECTED-BLOCK</w:t></w:r></w:p>" in text
    assert "<font color=\"red\">raw html</font>" in text and "a comment" not in text
    # No injected element reached the XML: the only w:t holding INJECTED is the literal text.
    document = zipfile.ZipFile(sample).read("word/document.xml").decode()
    assert "<w:t>INJECTED" not in document


def test_cjk_preserved(sample):
    assert "CJK: 月之暗面 and" in body_text(sample)


def test_header_and_footer(sample):
    section = docx.Document(str(sample)).sections[0]
    assert [p.text for p in section.header.paragraphs] == [MARKING, "The Distillation Wars"]
    assert section.footer.paragraphs[0].text == MARKING
    footer = zipfile.ZipFile(sample).read("word/footer1.xml")
    assert [e.text.strip() for e in ET.fromstring(footer).iter(f"{W}instrText")] == ["PAGE", "NUMPAGES"]
    pg = xml_part(sample, "word/document.xml").find(f"{W}body/{W}sectPr/{W}pgSz")
    assert pg.get(f"{W}w") == "11906"


def test_strict_readers(sample):
    with zipfile.ZipFile(sample) as zf:
        assert zf.testzip() is None
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                raw = zf.read(name)
                ET.fromstring(raw)
                xml.dom.minidom.parseString(raw)
    docx.Document(str(sample))
    plain = subprocess.run([_pandoc_path(), "-f", "docx", "-t", "plain", str(sample)],
                           capture_output=True, check=True).stdout.decode()
    assert "Two named accusations." in plain


def test_no_local_paths_in_properties(sample, work):
    with zipfile.ZipFile(sample) as zf:
        everything = b"".join(zf.read(n) for n in zf.namelist() if not n.startswith("word/media/"))
    assert str(work).encode() not in everything
    assert b"refs.json" not in everything and b"numeric.csl" not in everything
    assert b"For internal use" in zipfile.ZipFile(sample).read("docProps/custom.xml")


def test_deterministic_across_runs_and_clock(work, reference):
    ast = compose(SAMPLE, work)
    first = render(ast, work, reference, "a.docx")
    time.sleep(2.1)  # zip times have two-second resolution: a clock leak would show now
    second = render(ast, work, reference, "b.docx")
    assert first == second
    stamps = {i.date_time for i in zipfile.ZipFile(io.BytesIO(first)).infolist()}
    assert stamps <= {(2026, 6, 30, 0, 0, 0), (1980, 1, 1, 0, 0, 0)}
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode()
    assert "2026-06-30T00:00:00Z" in core
    assert render(ast, work, reference, "c.docx", epoch=EPOCH + 86400) != first


def test_start_then_wait(work, reference):
    ast = compose("# Hello\n\nWorld.\n", work)
    out = work / "async.docx"
    job = start_docx(ast, out, charts={}, reference=reference, source_date_epoch=EPOCH, resource_dir=work)
    workdir = job._workdir
    job.wait()
    job.wait()  # idempotent
    assert not workdir.exists()
    assert "World." in body_text(out)


def test_pandoc_failure_is_a_runtime_error(work, reference):
    bad = {"pandoc-api-version": [0, 1], "meta": {}, "blocks": []}
    with pytest.raises(RuntimeError, match=r"^pandoc \(docx\): \S"):
        render_docx(bad, work / "bad.docx", charts={}, reference=reference,
                    source_date_epoch=EPOCH, resource_dir=work)


def test_unknown_or_bad_chart(work, reference, tmp_path):
    ast = compose("![Figure 9. X.](chart:nope \"alt\")\n", work)
    with pytest.raises(ValueError, match="nope"):
        render_docx(ast, tmp_path / "x.docx", charts={}, reference=reference,
                    source_date_epoch=EPOCH, resource_dir=work)
    (tmp_path / "fake.png").write_text("<svg/>")
    with pytest.raises(ValueError, match="not a PNG"):
        render_docx(ast, tmp_path / "x.docx", charts={"nope": tmp_path / "fake.png"}, reference=reference,
                    source_date_epoch=EPOCH, resource_dir=work)


def test_control_characters_and_odd_unicode(work, reference):
    odd = "a\x00b\x01c\x0bd\ufffe e\u202e f\U0001f600 <w:t> &lt;"
    out = work / "odd.docx"
    render_docx(doc_of([para(odd)]), out, charts={}, reference=reference,
                source_date_epoch=EPOCH, resource_dir=work)
    ET.fromstring(zipfile.ZipFile(out).read("word/document.xml"))
    assert body_text(out) == "abcd e\u202e f\U0001f600 <w:t> &lt;"


@pytest.mark.parametrize(
    "url, ok",
    [("https://a.org/x", True), ("HTTP://A.ORG", True), ("mailto:x@y.z", True), ("#ref-a", True),
     ("#", False), ("https://", False), ("javascript:alert(1)", False), (" javascript:x", False),
     ("file:///etc/passwd", False), ("notes.html", False), ("//evil.org/x", False), ("data:,x", False),
     ("http://[::1", False)],
)
def test_link_policy(url, ok):
    assert link_allowed(url) is ok


def test_prepare_drops_processing_metadata():
    ast = doc_of([])
    ast["meta"] = {
        "csl": {"t": "MetaString", "c": "/abs/numeric.csl"},
        "bibliography": {"t": "MetaString", "c": "/tmp/x/refs.json"},
        "marking": {"t": "MetaInlines", "c": [{"t": "RawInline", "c": ["openxml", "<w:b/>"]}]},
    }
    out = prepare_docx_ast(ast, {})
    assert out["meta"] == {"marking": {"t": "MetaInlines", "c": [{"t": "Str", "c": "<w:b/>"}]}}


def _text_with_soft_hyphens(paragraph) -> str:
    """Paragraph text as Word holds it: a soft hyphen is a <w:softHyphen/> element, which python-docx skips."""
    out = []
    for el in paragraph._p.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "t":
            out.append(el.text or "")
        elif tag == "softHyphen":
            out.append("\xad")
        elif tag == "tab":
            out.append("\t")
        elif tag in ("br", "cr"):
            out.append("\n")
    return "".join(out)


def test_property_any_text_comes_out_literally(work, reference):
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    # Printable text without the characters XML cannot carry; pandoc collapses no Str content.
    alphabet = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufffe\uffff")
    seen: list[list[str]] = []

    @hypothesis.given(st.lists(st.text(alphabet, min_size=1, max_size=30), min_size=1, max_size=20))
    @hypothesis.settings(max_examples=5, deadline=None, derandomize=True)
    def check(texts):
        texts = [t for t in texts if t.strip() == t and t]  # pandoc trims paragraph-edge spaces
        if not texts:
            return
        out = work / "prop.docx"
        render_docx(doc_of([para(t) for t in texts]), out, charts={}, reference=reference,
                    source_date_epoch=EPOCH, resource_dir=work)
        assert [_text_with_soft_hyphens(p) for p in docx.Document(str(out)).paragraphs] == texts
        seen.append(texts)

    check()
    assert seen


def test_kill_cleans_up_and_wait_then_reports(work, reference):
    ast = compose("Text.\n", work)
    job = start_docx(ast, work / "killed.docx", charts={}, reference=reference,
                     source_date_epoch=EPOCH, resource_dir=work)
    workdir = job._workdir
    job.kill()
    assert not workdir.exists()
    with pytest.raises(RuntimeError, match="stopped"):
        job.wait()


def test_missing_pandoc_is_a_runtime_error(work, reference):
    with pytest.raises(RuntimeError, match="cannot start"):
        start_docx(compose("Text.\n", work), work / "x.docx", charts={}, reference=reference,
                   source_date_epoch=EPOCH, resource_dir=work, pandoc=str(work / "no-such-pandoc"))


def _convert_space(inlines: list) -> list:
    """pandoc's DOCX writer's convertSpace, written out: Str Space Str and Str Str become one Str."""
    if len(inlines) >= 3 and [n["t"] for n in inlines[:3]] == ["Str", "Space", "Str"]:
        return _convert_space([{"t": "Str", "c": inlines[0]["c"] + " " + inlines[2]["c"]}, *inlines[3:]])
    if len(inlines) >= 2 and [n["t"] for n in inlines[:2]] == ["Str", "Str"]:
        return _convert_space([{"t": "Str", "c": inlines[0]["c"] + inlines[1]["c"]}, *inlines[2:]])
    return inlines[:1] + _convert_space(inlines[1:]) if inlines else []


def test_text_runs_are_joined_as_pandoc_joins_them():
    """Every arrangement of up to six words, spaces and other inlines is joined exactly as pandoc would."""
    import itertools

    from briefing.render_docx import _joined_text

    kinds = [{"t": "Str", "c": "a"}, {"t": "Str", "c": "b"}, {"t": "Space"}, {"t": "SoftBreak"},
             {"t": "Emph", "c": []}]
    for n in range(7):
        for combo in itertools.product(kinds, repeat=n):
            assert _joined_text(list(combo)) == _convert_space(list(combo)), combo


def test_the_docx_json_joins_words_without_changing_the_docx(tmp_path: Path, reference: bytes):
    inlines = [{"t": "Str", "c": "one"}, {"t": "Space"}, {"t": "Str", "c": "two"}, {"t": "Space"},
               {"t": "Strong", "c": [{"t": "Str", "c": "three"}]}, {"t": "Space"}, {"t": "Str", "c": "four"}]
    ast = doc_of([{"t": "Para", "c": inlines}])
    assert prepare_docx_ast(ast, {})["blocks"][0]["c"][:3] == [
        {"t": "Str", "c": "one two"}, {"t": "Space"}, {"t": "Strong", "c": [{"t": "Str", "c": "three"}]}]
    out = tmp_path / "x.docx"
    render_docx(ast, out, charts={}, reference=reference, source_date_epoch=EPOCH, resource_dir=tmp_path)
    xml = zipfile.ZipFile(out).read("word/document.xml").decode()
    assert ">one two<" in xml and ">four<" in xml


def test_pandoc_compacts_its_heap_only_for_a_large_document(tmp_path: Path, reference: bytes, monkeypatch):
    """The GHC runtime options go to pandoc from COMPACT_FROM characters of JSON on, never below."""
    from briefing import render_docx as module

    assert module.rts_options(module.COMPACT_FROM - 1) == []
    assert module.rts_options(module.COMPACT_FROM) == ["+RTS", "-c", "-F1.5", "-RTS"]
    ast = doc_of([para("Text.")])
    with start_docx(ast, tmp_path / "small.docx", charts={}, reference=reference, source_date_epoch=EPOCH,
                    resource_dir=tmp_path) as job:
        assert "+RTS" not in job.proc.args
        job.wait()
    monkeypatch.setattr(module, "COMPACT_FROM", 10)
    with start_docx(ast, tmp_path / "large.docx", charts={}, reference=reference, source_date_epoch=EPOCH,
                    resource_dir=tmp_path) as job:
        assert job.proc.args[1:5] == ["+RTS", "-c", "-F1.5", "-RTS"]
        job.wait()
    assert (tmp_path / "small.docx").read_bytes() == (tmp_path / "large.docx").read_bytes()
