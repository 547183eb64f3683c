"""Property: any claim text (any script, any markup character) builds in both formats and reads back literally.

Compared as a reader sees it: whitespace folded (the PDF wraps lines), and invisible format characters
(category Cf: soft hyphen, zero-width space, bidi marks) left out, since readers drop or keep them at will.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from conftest import CLAIM, write_workspace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefing import pandoc
from briefing.build import build
from briefing.compose import PACKAGE_TEMPLATES
from briefing.escaping import escape
from briefing.reference_docx import reference_docx
from briefing.render_docx import render_docx
from briefing.render_pdf import PdfOptions, render_pdf
from tests.readers import docx_paragraphs, docx_text, pdf_text

# Text as a claim can hold it: no surrogates, no control characters (the YAML reader refuses those,
# and the noncharacters U+FFFE/U+FFFF), no unassigned code points.
CHARS = st.characters(exclude_categories=("Cs", "Cc", "Cn"), exclude_characters="\ufffe\uffff")
MARKUP = st.sampled_from(list("*_`#[]()<>&\\|$@{}:!~^=+-.'\"/") + ["<b>", "</w:t>", "```", "::: {.x}", "[@src-a]",
                                                                    "\\textbf{x}", "&amp;", "](javascript:x)"])
TEXT = st.lists(st.one_of(st.text(CHARS, min_size=1, max_size=12), MARKUP), min_size=1, max_size=12).map("".join)
EPOCH = 1_767_225_600  # 2026-01-01


def visible(text: str) -> str:
    """What a reader compares: NFC, Cf characters dropped, whitespace folded."""
    text = "".join(ch for ch in unicodedata.normalize("NFC", text) if unicodedata.category(ch) != "Cf")
    return re.sub(r"\s+", " ", text).strip()


def printable_in_pdf(text: str) -> str:
    """The characters the PDF draws, in order, without whitespace (the PDF breaks lines anywhere).

    Each glyph comes from DejaVu Sans, the CJK fallback or Symbola; a character none of them has is drawn
    as U+FFFD, so nothing is lost and nothing extracts as NUL.
    """
    from briefing.render_pdf import fonts

    state = fonts.setup()
    cmap = state.sans.face.charToGlyph
    return "".join(ch if ord(ch) in cmap or state.fallback_font(ord(ch)) else "\ufffd"
                   for ch in visible(text) if not ch.isspace() and ch != "\x00")


def assert_drawn(expected: str, extracted: str) -> None:
    """`expected` (printable_in_pdf form) reads back from the PDF text.

    Right-to-left runs are drawn in visual order and the reader guesses the logical order back (pypdf
    reverses runs of letters but not the digits and symbols around them), so for text holding any
    right-to-left character only the characters themselves are checked, not their order; the order of
    right-to-left text is tested on real sentences in test_faults_text.
    """
    from collections import Counter

    from briefing.render_pdf import fonts

    if fonts.has_rtl(expected):
        assert not Counter(expected) - Counter(extracted)
    else:
        assert expected in extracted


@functools.cache
def reference() -> bytes:
    """The reference DOCX of the packaged scale, made once."""
    from briefing.workspace import DEFAULT_SCALE, load_scale

    scale = load_scale(DEFAULT_SCALE.parent / "no-workspace", [])
    return reference_docx(levels=scale.levels, marking="m", title="t", brand_color="#1F3A5F", paper="A4")


@given(st.lists(TEXT, min_size=1, max_size=4))
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_escaped_text_renders_literally_in_both_formats(tmp_path, texts):
    """The core of it, fast: escape -> pandoc's one parse -> both renderers -> read back."""
    texts = [t for t in texts if visible(t)]
    if not texts:
        return
    markdown = "\n\n".join(str(escape(t)) for t in texts) + "\n"
    ast = pandoc.parse(markdown, bibliography=[], csl=PACKAGE_TEMPLATES / "numeric.csl", source_date_epoch=EPOCH)
    pdf, docx = tmp_path / "p.pdf", tmp_path / "p.docx"
    render_pdf(ast, pdf, charts={}, options=PdfOptions())
    render_docx(ast, docx, charts={}, reference=reference(), source_date_epoch=EPOCH, resource_dir=tmp_path)
    paragraphs = [visible(t) for _, t in docx_paragraphs(docx) if visible(t)]
    assert paragraphs == [visible(t) for t in texts]
    assert_drawn("".join(printable_in_pdf(t) for t in texts), printable_in_pdf(pdf_text(pdf)))


@given(TEXT)
@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_claim_text_survives_the_whole_build(tmp_path_factory, text):
    """End to end, fewer examples: YAML file -> loader -> template -> pandoc -> PDF and DOCX."""
    if not visible(text):
        return
    root = write_workspace(tmp_path_factory.mktemp("prop") / "ws", evidence={"c.yaml": {**CLAIM, "claim": text}})
    result = build(root)
    pdf, docx = (root / "out" / Path(result.outputs[f]).name for f in ("pdf", "docx"))
    claim = " ".join(text.split())  # the loader folds a claim's whitespace, as YAML folding would
    assert visible(claim) in visible(docx_text(docx))
    assert_drawn(printable_in_pdf(claim), printable_in_pdf(pdf_text(pdf)))
