"""Composing: reference numbers read back from citeproc's output, charts' alt text set from them, and the
reproducible timestamps stamped on the outputs."""

from __future__ import annotations

import pytest
from conftest import BRIEFING, write_workspace

from briefing.build import build
from briefing.chart_data import ChartData
from briefing.compose import _chart_note, _set_alt, reference_numbers
from briefing.model import ChartSpec
from tests.readers import docx_text


def _cite(*ids):
    return {"t": "Cite", "c": [[{"citationId": i} for i in ids], [{"t": "Str", "c": "[n]"}]]}


def _para(*inlines):
    return {"t": "Para", "c": list(inlines)}


def _ref_div(*ids):
    entries = [{"t": "Div", "c": [[f"ref-{i}", ["csl-entry"], []], []]} for i in ids]
    return {"t": "Div", "c": [["refs", ["references"], []], entries]}


def test_numbers_come_from_the_printed_reference_list_wherever_it_is():
    ast = {"blocks": [_para(_cite("b")), {"t": "Div", "c": [["", ["section"], []], [_ref_div("b", "a", "c")]]}]}
    assert reference_numbers(ast) == {"b": 1, "a": 2, "c": 3}


def test_without_a_list_numbers_follow_first_citation():
    ast = {"blocks": [_para(_cite("z"), {"t": "Emph", "c": [_cite("a", "z")]}), _para(_cite("m"))]}
    assert reference_numbers(ast) == {"z": 1, "a": 2, "m": 3}


def test_alt_text_of_chart_images_only_is_replaced():
    chart = {"t": "Image", "c": [["", [], []], [], ["chart:c1", "old alt"]]}
    other = {"t": "Image", "c": [["", [], []], [], ["logo.png", "logo"]]}
    ast = {"blocks": [{"t": "Figure", "c": [["", [], []], [None, []], [{"t": "Plain", "c": [chart, other]}]]}]}
    _set_alt(ast, {"c1": "new alt [1]"})
    assert chart["c"][2] == ["chart:c1", "new alt [1]"] and other["c"][2] == ["logo.png", "logo"]


def test_caption_note_says_what_the_chart_leaves_out():
    spec = ChartSpec("c", "bar", "C")
    d = ChartData(spec, "bar", (), (), "", more=3,
                  dropped=(("East *vale*", "Wholesale price", 140.0, False, "USD/MWh", ("old-study",)),))
    note = str(_chart_note(d))
    # Evidence text is escaped for Markdown; the sources are citations, numbered by citeproc.
    assert note.startswith("Not drawn, their source retracted: East \\*vale\\*, Wholesale price, 140 USD\\/MWh"
                           "[@{old-study}].")
    assert note.endswith("3 more actors not drawn; the figures table lists them.")
    assert str(_chart_note(ChartData(spec, "bar", (), (), ""))) == ""


@pytest.mark.parametrize("date", ["2108-01-01", "2199-12-31"])
def test_a_date_past_the_zip_range_builds_the_docx_and_is_printed(tmp_path, date):
    """The DOCX's ZIP stamps end in 2107 (pandoc failed on a later date); the briefing still prints its date."""
    root = write_workspace(tmp_path / "ws", briefing={**BRIEFING, "date": date})
    result = build(root, formats=("docx",))
    assert date[:4] in docx_text(root / "out" / result.outputs["docx"].name)


@pytest.mark.parametrize("audience", ["analyst", "executive", "policy", "board"])
def test_charts_drawn_ahead_carry_the_reference_numbers_the_parse_gives(audience):
    """Charts are drawn while pandoc parses, numbered by first citation in the Markdown: for every packaged
    audience that guess is what citeproc gives, so no chart is drawn twice."""
    from pathlib import Path

    from briefing.compose import compose
    from briefing.inputs import load

    inputs = load(Path(__file__).resolve().parents[2], audience)
    ahead: list[tuple[ChartData, ...]] = []
    doc = compose(inputs, draw_ahead=ahead.append)
    guessed = ahead[0] if ahead else ()
    assert [d.digest() for d in guessed] == [d.digest() for d in doc.charts]
    assert bool(ahead) == bool(doc.charts)
