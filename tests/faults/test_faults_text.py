"""Odd text in claims: it builds in both formats and reads back literally, never overflowing the page.

One workspace carries every case as its own claim (the analyst edition prints them all), so one
build serves the whole file; the 20,000-word claim and the empty claims get workspaces of their own.
Known gaps in the PDF renderer are strict xfails: they start failing, loudly, the day they are fixed.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from conftest import CLAIM, write_workspace

from briefing.build import build
from briefing.cli import main
from briefing.render_pdf import fonts as pdf_fonts
from tests.readers import (
    assert_valid_docx,
    assert_valid_pdf,
    docx_text,
    docx_xml,
    fold,
    pdf_pages,
    pdf_text,
    pdf_word_boxes,
    words_off_page,
)

LONG_WORD = "QXZK" * 1250  # 5,000 characters, no space: a pasted hash, a URL without slashes
CASES = {
    "long-word": f"Before {LONG_WORD} after.",
    "emoji": "Leaders reacted with 😀 and 🚀, a thumbs-up 👍🏽, a family 👨‍👩‍👧 and a flag 🇬🇧.",
    "arabic": "قال المتحدث إن الشركة تنفي الاتهامات",
    "hebrew": "הדובר אמר שהחברה מכחישה את ההאשמות",
    "mixed-direction": "Alibaba said لا تعليق and moved on.",
    "combining": "Cafe\u0301, nai\u0308ve, S\u0327\u0301, a\u0300\u0301\u0302 and Ångström (A\u030angstro\u0308m).",
    "zero-width": "zero\u200bwidth\u200bspaces, non\u200cjoiners and joi\u200dners stay invisible.",
}
NEEDS_PDFTOTEXT = pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The analyst edition of a workspace holding one claim per case: (pdf, docx)."""
    evidence = {f"{name}.yaml": {**CLAIM, "id": name, "title": f"Case {name}", "claim": text}
                for name, text in CASES.items()}
    root = write_workspace(tmp_path_factory.mktemp("text") / "ws", evidence=evidence)
    result = build(root, audience="analyst")
    pdf, docx = (root / "out" / Path(result.outputs[f]).name for f in ("pdf", "docx"))
    assert_valid_pdf(pdf)
    assert_valid_docx(docx)
    return pdf, docx


def test_every_case_reads_back_literally_from_the_docx(built):
    text = docx_text(built[1])
    for name, claim in CASES.items():
        assert fold(claim) in text, name


@NEEDS_PDFTOTEXT
def test_no_text_runs_outside_the_page(built):
    pdf, _ = built
    boxes = pdf_word_boxes(pdf)
    assert boxes, "pdftotext found no words"
    assert words_off_page(pdf) == []


@NEEDS_PDFTOTEXT
def test_the_off_page_check_catches_an_overflow(tmp_path):
    """The check above is real: a line drawn past the right edge is reported."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "overflow.pdf"
    c = canvas.Canvas(str(path), pagesize=(200, 200))
    c.drawString(20, 100, "x" * 200)
    c.save()
    assert [w["text"][:3] for w in words_off_page(path)] == ["xxx"]


def test_a_5000_character_word_breaks_across_lines_without_losing_a_character(built):
    pdf, _ = built
    compact = re.sub(r"\s+", "", pdf_text(pdf))  # line breaks inside the word vanish
    # it may also cross a page break (running header and footer between its pieces)
    joined = "".join(re.findall(r"[QXZK]+", compact))  # letters no header or footer uses
    copies = compact.count("Before" + LONG_WORD[:20])  # the claim, and its row in the analyst's ledger
    assert copies >= 1 and joined == LONG_WORD * copies


def test_combining_characters_survive_in_the_pdf(built):
    text = pdf_text(built[0])
    assert unicodedata.normalize("NFC", fold(CASES["combining"])) in unicodedata.normalize("NFC", text)


def test_zero_width_space_is_invisible_in_the_pdf(built):
    """ReportLab would draw U+200B as an ordinary space; the renderer drops it, and keeps ZWNJ and ZWJ."""
    text = pdf_text(built[0])
    assert fold(CASES["zero-width"].replace("\u200b", "")) in text


def test_emoji_do_not_disturb_the_text_around_them(built):
    text = pdf_text(built[0])
    for piece in ("Leaders reacted with", "and a flag"):
        assert piece in text


@pytest.mark.skipif(pdf_fonts.find_symbol_font() is None,
                    reason="Symbola (fonts-symbola) is not installed: emoji are drawn as U+FFFD")
def test_emoji_read_back_from_the_pdf(built):
    assert fold(CASES["emoji"]) in pdf_text(built[0])


@pytest.mark.parametrize("name", ["arabic", "hebrew"])
def test_right_to_left_letters_are_all_in_the_pdf(built, name):
    letters = sorted(CASES[name].replace(" ", ""))
    text = pdf_text(built[0])
    assert all(text.count(ch) >= letters.count(ch) for ch in set(letters))


@pytest.mark.parametrize("name", ["arabic", "hebrew", "mixed-direction"])
def test_right_to_left_text_reads_in_order_from_the_pdf(built, name):
    # The renderer draws right-to-left runs shaped (Arabic presentation forms) and in visual order, and
    # the ToUnicode map sends each presentation form back to its letter. pypdf reorders the visual line
    # into logical order, so the text comes back as written. Two reader quirks, not renderer faults:
    # both readers attach the space after an embedded run to the run (so "لا تعليق and" reads "لا تعليقand"),
    # hence whitespace is ignored at the seams of the mixed line; and pdftotext wraps runs in U+202B/U+202C
    # and reverses the two letters of the lam-alef ligature glyph, so pypdf is the reader checked here.
    text = pdf_text(built[0])
    if name == "mixed-direction":
        assert re.sub(r"\s+", "", CASES[name]) in re.sub(r"\s+", "", text)
        assert "لا تعليق" in text and "Alibaba said" in text and "and moved on." in text
    else:
        assert fold(CASES[name]) in text


def test_right_to_left_runs_are_drawn_shaped_in_visual_order():
    from briefing.render_pdf import fonts

    # drawn left to right: qaf-final, yeh-medial, lam-medial, ain-medial, teh-initial, then the lam-alef ligature
    assert fonts.visual("Alibaba said لا تعليق and moved on.", "L") == \
        "Alibaba said \ufed6\ufef4\ufee0\ufecc\ufe97 \ufefb and moved on."
    assert fonts.visual("אמר שלום") == "םולש רמא"
    assert fonts.visual("plain text") == "plain text"


def test_a_20000_word_claim_builds_and_flows_across_pages(tmp_path):
    """Slow (about 10 s): ReportLab re-wraps the rest of a huge paragraph at every page break."""
    words = [f"w{i}" for i in range(20_000)]
    root = write_workspace(tmp_path / "ws", evidence={"long.yaml": {**CLAIM, "claim": " ".join(words) + "."}})
    result = build(root)
    pdf = root / "out" / Path(result.outputs["pdf"]).name
    docx = root / "out" / Path(result.outputs["docx"]).name
    assert result.pages >= 20
    pages = pdf_pages(pdf)
    on = [[w for w in re.findall(r"\bw\d+\b", p)] for p in pages]
    assert sum("w10000" in p for p in on) == 1  # the middle word, once, on one page
    first = next(i for i, p in enumerate(on) if "w0" in p)
    last = next(i for i, p in enumerate(on) if "w19999" in p)
    assert last - first >= 20
    assert [w for p in on for w in p] == words  # every word, in order, nothing repeated
    assert " ".join(words) + "." in docx_text(docx)
    assert_valid_pdf(pdf)


@pytest.mark.parametrize("claim, column", [('""', 8), ("'   '", 8), ("", 7), ('"\\u200b\\u00ad"', 8)],
                         ids=["empty", "spaces", "null", "invisible"])
def test_an_empty_claim_is_an_error_in_check_and_build(tmp_path, capsys, claim, column):
    body = f"id: claim-a\ntitle: A claim\nclaim: {claim}\ndate: 2026-01-01\nconfidence: high\nsources: [src-a, src-b]\n"
    root = write_workspace(tmp_path / "ws", evidence={"claim-a.yaml": body})
    expected = f"evidence/claim-a.yaml:3:{column}: error: 'claim' is empty; it is required"
    assert main(["check", "--workspace", str(root)]) == 1
    assert [ln for ln in capsys.readouterr().out.splitlines() if ": error: " in ln] == [expected]
    assert main(["build", "--workspace", str(root)]) == 1
    assert [ln for ln in capsys.readouterr().err.splitlines() if ": error: " in ln] == [expected]
    assert not (root / "out" / "test-briefing.pdf").exists()


def test_a_character_no_font_has_is_drawn_as_a_replacement_not_glyph_0():
    from briefing.render_pdf import fonts

    unassigned = "\U000e0fff"  # in no font: drawn as U+FFFD from DejaVu, never as an empty box that extracts as NUL
    assert fonts.markup(f"a{unassigned}b") == "a\ufffdb"
    assert 'name="SymbolFallback"' in fonts.markup("go \U0001f680") or fonts.find_symbol_font() is None


# -- long titles and markings: linear cost, never over the body ---------------------------------

def _words(n: int) -> str:
    """About `n` characters of ordinary words."""
    vocab = "allegation disputed regulator filing evidence source campaign export contract marking".split()
    text, i = "", 0
    while len(text) < n:
        text += vocab[i % len(vocab)] + " "
        i += 1
    return text[:n].strip()


def test_fitting_a_long_title_measures_each_character_once(monkeypatch):
    # The running header cuts the title to its slot. Cutting one character and measuring the whole
    # text again was quadratic (2,000 characters: 82 s); now each distinct character is measured once.
    from reportlab.pdfbase.ttfonts import TTFont

    from briefing.render_pdf import fonts

    fonts.ensure_fonts()
    calls = []
    real = TTFont.stringWidth
    monkeypatch.setattr(TTFont, "stringWidth", lambda self, text, size, *a: calls.append(text) or real(
        self, text, size, *a))
    title = _words(200_000) + " \u4e2d\u6587 \U0001f680"
    short = fonts.fit(title, fonts.SANS, 7.2, 160)
    assert short.endswith("\u2026") and title.startswith(short[:-1])
    assert len(calls) <= len(set(short)) + 2, len(calls)  # the characters kept, the ellipsis, the one that overflowed
    assert fonts.text_width(short, fonts.SANS, 7.2) <= 160
    assert fonts.fit("Short title", fonts.SANS, 7.2, 160) == "Short title"
    # Glyphs from the fallback fonts are measured in those fonts, so a CJK title is cut to fit too.
    cjk = fonts.fit("\u4e2d\u6587" * 200, fonts.SANS, 7.2, 160)
    assert fonts.text_width(cjk, fonts.SANS, 7.2) <= 160 < fonts.text_width("\u4e2d\u6587" * 200, fonts.SANS, 7.2)


def _overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    """Pairs of words drawn over each other on the same page (boxes shrunk by half a point)."""
    found = []
    by_page: dict[int, list[dict]] = {}
    for b in boxes:
        by_page.setdefault(b["page"], []).append(b)
    for words in by_page.values():
        words.sort(key=lambda b: b["yMin"])
        for i, a in enumerate(words):
            for b in words[i + 1:]:
                if b["yMin"] >= a["yMax"] - 0.5:
                    break
                if min(a["xMax"], b["xMax"]) - max(a["xMin"], b["xMin"]) > 0.5:
                    found.append((a["text"], b["text"]))
    return found


@NEEDS_PDFTOTEXT
@pytest.mark.parametrize("marking_chars", [1_400, 2_100])
def test_a_long_title_and_marking_never_overdraw_the_body(tmp_path, marking_chars):
    from reportlab.lib.units import mm

    from briefing.render_pdf.document import MARGIN_BOTTOM, MARGIN_TOP

    title, marking = "TITLE " + _words(1_994), "MARKING " + _words(marking_chars - 8)
    root = write_workspace(tmp_path / "ws", briefing={"title": title, "date": "2026-01-01", "edition": "1",
                                                               "marking": marking})
    result = build(root)
    pdf = root / "out" / Path(result.outputs["pdf"]).name
    assert_valid_pdf(pdf)
    boxes = pdf_word_boxes(pdf)
    assert words_off_page(pdf) == []
    assert _overlaps(boxes) == []
    for page in range(1, result.pages + 1):
        on = [b for b in boxes if b["page"] == page]
        height = on[0]["height"]
        head = [b for b in on if b["yMax"] <= MARGIN_TOP]
        foot = [b for b in on if b["yMin"] >= height - MARGIN_BOTTOM]
        # Nothing straddles the margins: a text is either furniture or body.
        assert all(b in head or b in foot or MARGIN_TOP - 1 <= b["yMin"] and b["yMax"] <= height - MARGIN_BOTTOM + 1
                   for b in on), page
        # The running header and footer are one line each, cut with an ellipsis.
        assert len({round(b["yMax"]) for b in head}) == 1 and len({round(b["yMax"]) for b in foot}) == 1, page
        assert "MARKING" in [b["text"] for b in head] and "MARKING" in [b["text"] for b in foot], page
        assert any(b["text"].endswith("\u2026") for b in foot), page
        assert max(b["yMax"] for b in head) < MARGIN_TOP - 4 * mm  # above the header rule
    # The title block shows both in full (read from the body, without the running header and footer).
    body = " ".join(b["text"] for b in boxes
                    if MARGIN_TOP - 1 <= b["yMin"] and b["yMax"] <= b["height"] - MARGIN_BOTTOM + 1)
    assert fold(marking) in fold(body) and fold(title) in fold(body)
    docx = root / "out" / Path(result.outputs["docx"]).name
    assert fold(title) in fold(docx_text(docx))
    header = re.sub(r"<[^>]+>", "", docx_xml(docx, "word/header1.xml"))
    assert fold(marking) in fold(header)  # Word lets a long header grow; nothing to cut there


@NEEDS_PDFTOTEXT
def test_a_long_organisation_beside_a_logo_and_a_long_author_and_edition_fit_the_page(tmp_path):
    # Table rows cannot break across pages: the title block must not put a page-long text in one.
    from PIL import Image

    from briefing.render_pdf import PdfOptions, render_pdf
    from briefing.render_pdf.document import MARGIN_BOTTOM, MARGIN_TOP

    logo = tmp_path / "logo.png"
    Image.new("RGB", (240, 80), (31, 58, 95)).save(logo)
    meta = {"title": "Short title", "organisation": "ORG " + _words(3_000), "author": "AUTHOR " + _words(3_000),
            "edition": "EDITION " + _words(500), "date": "1 January 2026", "marking": "Official"}
    ast = {"pandoc-api-version": [1, 23, 1], "meta": {k: {"t": "MetaString", "c": v} for k, v in meta.items()},
           "blocks": [{"t": "Para", "c": [{"t": "Str", "c": "Body."}]}]}
    pdf = tmp_path / "out.pdf"
    pages = render_pdf(ast, pdf, charts={}, options=PdfOptions(logo=logo))
    assert pages >= 2
    boxes = pdf_word_boxes(pdf)
    assert words_off_page(pdf) == [] and _overlaps(boxes) == []
    body = " ".join(b["text"] for b in boxes
                    if MARGIN_TOP - 1 <= b["yMin"] and b["yMax"] <= b["height"] - MARGIN_BOTTOM + 1)
    for key in ("organisation", "author", "edition"):
        assert fold(meta[key]).upper() in fold(body).upper(), key
    foot = [b for b in boxes if b["page"] == 2 and b["yMin"] >= b["height"] - MARGIN_BOTTOM]
    assert len({round(b["yMax"]) for b in foot}) == 1  # the long edition is cut in the footer
