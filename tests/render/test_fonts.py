"""Font set-up: one explicit state object, and the ReportLab ToUnicode patch applied by set-up under a version check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from reportlab.pdfbase import ttfonts

from briefing.render_pdf import PdfOptions, fonts, render_pdf

GRIN = "\U0001f600"  # beyond U+FFFF: ReportLab alone maps it as bare hex, which readers reject


def test_setup_applies_the_patch_and_makes_one_state() -> None:
    state = fonts.setup()
    assert fonts.reportlab_patched()
    assert ttfonts.makeToUnicodeCMap is fonts._to_unicode_cmap
    assert fonts.setup() is state  # once per process: ReportLab's font registry is process-wide
    assert state.sans.face.charToGlyph  # DejaVu Sans registered by set-up


def test_the_patch_writes_wide_characters_as_utf16() -> None:
    subset = [0x41, ord(GRIN)]
    plain = fonts._original_cmap("F1", subset)
    fixed = fonts._to_unicode_cmap("F1", subset)
    assert "<1F600>" in plain  # what the patch fixes
    assert "<D83DDE00>" in fixed and "<1F600>" not in fixed
    assert "<0041>" in fixed  # every other entry byte for byte
    assert fonts._to_unicode_cmap("F1", [0x41, 0x42]) == fonts._original_cmap("F1", [0x41, 0x42])


def test_the_patch_maps_shaped_arabic_back_to_letters() -> None:
    fixed = fonts._to_unicode_cmap("F1", [0xFEFB])  # the lam-alef ligature's presentation form
    assert "<06440627>" in fixed  # lam, alef


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
@pytest.mark.skipif(fonts.find_symbol_font() is None, reason="Symbola (fonts-symbola) is not installed")
def test_an_emoji_extracts_from_the_pdf_as_itself(tmp_path: Path) -> None:
    ast = {"pandoc-api-version": [1, 23, 1], "meta": {},
           "blocks": [{"t": "Para", "c": [{"t": "Str", "c": f"smile{GRIN}done"}]}]}
    path = tmp_path / "out.pdf"
    render_pdf(ast, path, charts={}, options=PdfOptions())
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert GRIN in text and "\x00" not in text


@pytest.mark.parametrize("version", [(3, 6), (4, 1), (6, 0)])
def test_the_patch_is_skipped_with_a_warning_on_an_unknown_release(version: tuple[int, int],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ttfonts, "makeToUnicodeCMap", fonts._original_cmap)
    with pytest.warns(RuntimeWarning, match=rf"ReportLab {version[0]}\.{version[1]} is outside .*not applied"):
        assert fonts.patch_reportlab(version) is False
    assert ttfonts.makeToUnicodeCMap is fonts._original_cmap
    assert not fonts.reportlab_patched()


def test_the_patch_applies_on_the_releases_it_was_written_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ttfonts, "makeToUnicodeCMap", fonts._original_cmap)
    assert fonts.patch_reportlab((5, 1)) is True
    assert fonts.reportlab_patched()


def test_reportlab_version_reads_major_and_minor() -> None:
    assert fonts.reportlab_version("5.1.0") == (5, 1)
    assert fonts.reportlab_version("4.2.5") == (4, 2)
    assert fonts.reportlab_version("unknown") == (0, 0)


def test_markup_skips_the_glyph_walk_only_when_the_main_font_has_every_character() -> None:
    assert fonts.markup("Plain <text> & more\nlines") == "Plain &lt;text&gt; &amp; more\nlines"
    cjk = fonts.markup("Moonshot 月之暗面 AI")
    assert cjk.startswith("Moonshot ") and f'<font name="{fonts.ensure_fallback()}">' in cjk
    assert fonts.markup("a\U000e0fffb") == "a\ufffdb"  # in no font: the replacement character
