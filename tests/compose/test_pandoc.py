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
    md += compose._origins_nocite(ws, md)
    assert len(pandoc.chunks(md, 2_000)) > 3
    whole, chunked = _whole_and_chunked(md, 2_000)
    assert chunked == whole


def test_headings_named_alike_in_two_parts_are_parsed_whole():
    """pandoc makes the second `notes` heading `notes-1`, which only a parse of the whole knows."""
    doc = "# Notes\n\nfirst [@{a}]\n\n# Other\n\ntext\n\n# Notes\n\nsecond [@{b}]\n"
    whole, chunked = _whole_and_chunked(doc, 1)
    assert chunked == whole
    assert [b["c"][1][0] for b in whole["blocks"] if b["t"] == "Header"] == ["notes", "other", "notes-1"]
