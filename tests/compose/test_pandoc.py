"""pandoc's parse in chunks: a large document cut at top-level blocks parses, joined, to the AST of the whole."""

from __future__ import annotations

import pytest
from conftest import REPO

from briefing import compose, pandoc
from briefing.inputs import load
from briefing.sourcing import capped

CSL = compose.PACKAGE_TEMPLATES / "numeric.csl"



def _whole_and_chunked(markdown: str, size: int) -> tuple[dict, dict]:
    whole = pandoc.parse_plain(markdown, csl=CSL, source_date_epoch=0, chunk_size=len(markdown) + 1)
    chunked = pandoc.parse_plain(markdown, csl=CSL, source_date_epoch=0, chunk_size=size)
    for a in (whole, chunked):
        a["meta"].pop("bibliography")  # a temporary path, another each parse
    return whole, chunked


def test_parts_start_only_at_top_level_headings_and_divs():
    doc = ("---\ntitle: T\n---\n\n# One\n\ntext\n\n```\n# not a heading\n\n::: {.no}\n```\n\n"
           "::: {.outer}\n\n# inside a div\n\n::: {.inner}\nx\n:::\n:::\n\n## Two\n\npara\n\n"
           "---\nnocite: |\n  @{a}\n\n# not a heading either\n...\n\n::: {.last}\ny\n:::\n")
    parts = pandoc.chunks(doc, size=1)
    assert "".join(parts) == doc
    assert [p.splitlines()[0] for p in parts] == ["---", "# One", "::: {.outer}", "## Two", "::: {.last}"]


@pytest.mark.parametrize("doc", [
    "# A\n\nSee[^1].\n\n# B\n\n[^1]: a note defined in another part\n",
    "# A\n\nA [link][x].\n\n# B\n\n[x]: https://example.org\n",
    "# A\n\n(@) one\n\n# B\n\n(@) two\n",
    "# A\n\n```\nopen fence\n\n# B\n",
])
def test_a_document_whose_parts_depend_on_each_other_is_not_cut(doc):
    assert pandoc.chunks(doc, size=1) == [doc]


@pytest.mark.parametrize("audience", ["analyst", "executive"])
def test_the_chunked_parse_of_a_briefing_is_the_whole_parse(audience):
    root = REPO
    inputs = load(root, audience)
    ws, aud = inputs.ready
    md, _placer = compose.markdown_for(capped(ws), aud, inputs.changes)
    md, _guess = compose.with_origins(ws, md)
    assert len(pandoc.chunks(md, 2_000)) > 3
    whole, chunked = _whole_and_chunked(md, 2_000)
    assert chunked == whole


def test_headings_named_alike_in_two_parts_are_parsed_whole():
    """pandoc makes the second `notes` heading `notes-1`, which only a parse of the whole knows."""
    doc = "# Notes\n\nfirst [@{a}]\n\n# Other\n\ntext\n\n# Notes\n\nsecond [@{b}]\n"
    whole, chunked = _whole_and_chunked(doc, 1)
    assert chunked == whole
    assert [b["c"][1][0] for b in whole["blocks"] if b["t"] == "Header"] == ["notes", "other", "notes-1"]


ARGS = ["-f", "markdown-implicit_header_references", "-t", "json"]


def _joined_exactly(markdown: str, size: int) -> dict | None:
    """The parts' join (None if it gave up), checked equal to the whole's parse when it did not."""
    parts = pandoc.cut(markdown, size)
    joined = pandoc._join(pandoc._parsed([p.text for p in parts], ARGS, 0, None), [p.continues for p in parts])
    if joined is not None:
        assert joined == pandoc._parsed([markdown], ARGS, 0, None)[0]
    whole, chunked = _whole_and_chunked(markdown, size)
    assert chunked == whole
    return joined


def _table(rows: int, width: int = 90, caption: str = "") -> str:
    head = "| Claim | Sources | Notes |\n|:------|:--------|:------|\n"
    body = "".join(f"| claim {i} [@{{s{i}}}] | {'word ' * (width // 5)} | n{i} |\n" for i in range(rows))
    return head + body + (f"\n: {caption}\n" if caption else "")


def test_a_long_table_is_cut_between_rows_and_joined_as_one():
    doc = "# Ledger\n\nEvery claim.\n\n" + _table(40) + "\n# After\n\ntext\n"
    parts = pandoc.cut(doc, 600)
    cont = [p for p in parts if p.continues]
    assert len(cont) >= 5 and all(p.text.startswith("| Claim | Sources | Notes |\n|:---") for p in cont)
    joined = _joined_exactly(doc, 600)
    assert joined is not None
    [table] = [b for b in joined["blocks"] if b["t"] == "Table"]
    assert len(table["c"][4][0][3]) == 40


def test_a_tables_caption_after_it_reaches_the_joined_table():
    doc = "# Ledger\n\n" + _table(30, caption="The ledger {#tbl-ledger}")
    assert _joined_exactly(doc, 500) is not None


def test_a_table_whose_parts_see_other_widths_is_parsed_whole():
    """Widths are relative when any line is wider than the page: a part of short rows alone would not be."""
    doc = "# T\n\n" + _table(20, width=90) + "".join(f"| c{i} | w | n |\n" for i in range(60)) + "\n"
    assert any(p.continues for p in pandoc.cut(doc, 400))
    assert _joined_exactly(doc, 400) is None


def test_a_long_tight_list_is_cut_between_items_and_joined_as_one():
    items = "".join(f"- item {i} with [@{{s{i}}}] and *more* text\n  continued on an indented line\n"
                    for i in range(60))
    doc = "# List\n\n" + items + "\n# After\n\ntext\n"
    assert sum(p.continues for p in pandoc.cut(doc, 500)) >= 5
    joined = _joined_exactly(doc, 500)
    assert joined is not None and len(joined["blocks"][1]["c"]) == 60


@pytest.mark.parametrize("doc", [
    "# L\n\n" + "".join(f"- loose item {i}\n\n" for i in range(80)),  # blank lines between items: not cut inside
    "::: {.box}\n" + "".join(f"- item {i} in a div\n" for i in range(80)) + ":::\n",
    "::: {.box}\n" + _table(40) + ":::\n",
    "# L\n\n" + "".join(f"- item {i}\n```\ncode\n```\n" for i in range(40)),  # a fence ends the item's list
])
def test_loose_lists_and_blocks_inside_divs_are_not_cut(doc):
    assert not any(p.continues for p in pandoc.cut(doc, 200))
    _joined_exactly(doc, 200)


def test_a_list_of_plain_and_paragraph_items_is_parsed_whole():
    """An item of two paragraphs makes pandoc turn every item of the list into paragraphs: only the whole
    list says so."""
    doc = "# L\n\n- first\n\n  second paragraph\n" + "".join(f"- item {i}\n" for i in range(80)) + "\n# E\n"
    assert any(p.continues for p in pandoc.cut(doc, 200))
    assert _joined_exactly(doc, 200) is None


def test_an_edit_moves_the_cuts_of_its_own_section_only():
    """A part ends at a heading once it is half the part size, so the cuts inside a long table hang on its
    section's heading, not on how long the text before it is: text added to the first section changes only
    that section's part, and the table's parts keep their text (their parses are found in the cache)."""
    rows = "".join(f"| Actor {k} | Measure {k} | {k * 1000} |\n" for k in range(150))
    table = f"# Figures\n\n| Actor | Measure | Value |\n|:--|:--|--:|\n{rows}\n"

    def prose(extra: str = "") -> str:
        return "# Summary\n\n" + extra + "".join(f"Paragraph {k} of the summary, long enough to fill a line.\n\n"
                                                  for k in range(20))

    size = 2_000
    old = pandoc.chunks(prose() + table, size)
    new = pandoc.chunks(prose("An added sentence or two. " * 6 + "\n\n") + table, size)
    assert len(old) > 3
    assert old[0].startswith("# Summary") and old[1].startswith("# Figures")
    assert new[1:] == old[1:] and new[0] != old[0]
