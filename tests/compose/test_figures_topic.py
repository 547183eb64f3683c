"""Figures on another topic (grid electricity prices), built in PDF and DOCX and read back.

The workspace starts from `briefing init` and adds its own metrics (USD/MWh, km, per cent), its
own chart ids, two sources that disagree, two that agree and a retracted source's figure. Every
figure must print its label and unit; the chart must draw both disagreeing values with their
reference numbers; equal values must read as corroboration, not as a conflict.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from briefing.build import build
from briefing.chart_data import chart_data
from briefing.compose import compose, reference_numbers
from briefing.inputs import load as load_inputs
from briefing.inputs import load_workspace as load
from briefing.new_workspace import init_workspace
from tests.readers import docx_text, pdf_text

SOURCES = [
    {"id": "grid-agency-2026", "type": "report", "title": "Wholesale prices in the northern grid",
     "publisher": "Grid Agency", "issued": "2026-03-01", "URL": "https://example.org/grid", "kind": "analysis"},
    {"id": "power-daily-2026", "type": "article-newspaper", "title": "Northland power costs hold steady",
     "container-title": "Power Daily", "issued": "2026-03-02", "URL": "https://example.org/pd", "kind": "news"},
    {"id": "southshore-utility", "type": "webpage", "title": "Our prices in 2026", "publisher": "Southshore Utility",
     "issued": "2026-03-03", "URL": "https://example.org/su", "kind": "primary", "interested": True},
    {"id": "consumer-watch", "type": "report", "title": "What households really pay",
     "publisher": "Consumer Watch", "issued": "2026-03-04", "URL": "https://example.org/cw", "kind": "analysis"},
    {"id": "old-study", "type": "article-journal", "title": "Price spikes in Eastvale",
     "container-title": "Energy Letters", "issued": "2025-11-01", "URL": "https://example.org/os",
     "kind": "academic", "retracted": "The authors withdrew it over a data error, 2026-02-10"},
]

CHARTS = {
    "charts": [
        {"id": "price-by-region", "kind": "bar", "title": "Wholesale price by region",
         "caption": "Average wholesale price reported for each region; where sources differ, each value is"
                    " drawn with its reference.", "metrics": ["wholesale-price"]},
        {"id": "grid-build-out", "kind": "bar", "title": "New lines and renewable share",
         "metrics": ["new-line-length", "renewable-share"]},
        {"id": "grid-events", "kind": "timeline", "title": "Price events"},
    ],
    "metrics": [
        {"id": "wholesale-price", "label": "Wholesale price", "unit": "USD/MWh"},
        {"id": "new-line-length", "label": "New transmission lines", "unit": "km"},
        {"id": "renewable-share", "label": "Renewable share", "unit": "%"},
    ],
}


def claim(cid, title, confidence, sources, figures, date="2026-03-05", event=""):
    out = {"id": cid, "title": title, "claim": f"{title}, as the sources report it.", "date": date,
           "confidence": confidence, "sources": sources, "figures": figures}
    if event:
        out["event"] = event
    return out


EVIDENCE = {
    "northland-price.yaml": claim(
        "northland-price", "Northland pays about 96 per megawatt-hour", "high",
        ["grid-agency-2026", "power-daily-2026"],
        [{"metric": "wholesale-price", "actor": "Northland", "value": 96, "approx": True, "source": "grid-agency-2026"},
         {"metric": "wholesale-price", "actor": "Northland", "value": 96, "approx": True, "source": "power-daily-2026"},
         {"metric": "new-line-length", "actor": "Northland", "value": 320, "source": "grid-agency-2026"},
         {"metric": "renewable-share", "actor": "Northland", "value": 45, "unit": "%", "source": "grid-agency-2026"}],
        event="Northland prices published"),
    "southshore-price.yaml": claim(
        "southshore-price", "Southshore's price is disputed", "moderate", ["southshore-utility", "consumer-watch"],
        [{"metric": "wholesale-price", "actor": "Southshore", "value": 88, "source": "southshore-utility"},
         {"metric": "wholesale-price", "actor": "Southshore", "value": 104, "source": "consumer-watch"}],
        date="2026-03-04", event="Watchdog disputes Southshore's price"),
    "eastvale-price.yaml": claim(
        "eastvale-price", "Eastvale's price spike", "low", ["old-study"],
        [{"metric": "wholesale-price", "actor": "Eastvale", "value": 140, "source": "old-study"}], date="2025-11"),
}

AUDIENCE = {
    "description": "Analysts on the grid: every figure, chart and the ledger",
    "sections": ["bottom_line", "quantified", "documented", "alleged", "not_shown", "references"],
    "charts": ["price-by-region", "grid-build-out", "grid-events"],
    "ledger": True,
}
BOARD = {
    "description": "Board on the grid",
    "sections": ["bottom_line", "at_a_glance", "references"],
    "charts": ["price-by-region"],
}


def grid_workspace(root: Path) -> Path:
    init_workspace(root, title="Grid electricity prices", date="2026-03-31")
    (root / "evidence" / "example-claim.yaml").unlink()
    files = {"sources.yaml": {"references": SOURCES}, "charts.yaml": CHARTS,
             "templates/audiences/grid.yaml": AUDIENCE, "templates/audiences/grid-board.yaml": BOARD,
             "analysis.yaml": {"bottom_line": [{"id": "bl", "text": "Prices differ by region.",
                                                "rests_on": ["northland-price", "southshore-price"]}]}}
    files.update({f"evidence/{k}": v for k, v in EVIDENCE.items()})
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(body, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    return grid_workspace(tmp_path_factory.mktemp("grid") / "ws")


@pytest.fixture(scope="module")
def built(grid, tmp_path_factory):
    out = tmp_path_factory.mktemp("grid-out")
    result = build(grid, audience="grid", out_dir=out)
    return result, pdf_text(Path(result.outputs["pdf"])), docx_text(Path(result.outputs["docx"]))


def test_workspace_checks_clean(grid):
    ws, problems = load(grid)
    assert ws is not None
    assert not [p for p in problems if p.severity == "error"], problems
    assert [m.label for m in ws.metrics] == ["Wholesale price", "New transmission lines", "Renewable share"]


def test_every_figure_prints_its_label_and_unit(built):
    _, pdf, docx = built
    for text in (pdf, docx):
        assert "about 96 USD/MWh" in text
        assert "88 USD/MWh" in text and "104 USD/MWh" in text
        assert "320 km" in text and "45%" in text
        assert "Wholesale price" in text and "New transmission lines" in text
        for raw in ("wholesale-price", "new-line-length", "renewable-share"):
            assert raw not in text  # no metric id reaches a reader


def test_equal_values_are_corroboration_not_conflict(built):
    _, pdf, docx = built
    for text in (pdf, docx):
        assert not re.search(r"about 96 USD/MWh\S* vs about 96", text)
        assert "104 USD/MWh" in text and "(sources disagree)" in text


def test_docx_alt_text_carries_both_values_with_reference_numbers(built):
    import zipfile

    result, _, _ = built
    with zipfile.ZipFile(result.outputs["docx"]) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    descr = re.findall(r'descr="([^"]*)"', xml)
    assert any(re.search(r"88 USD/MWh \[\d\] vs 104 USD/MWh \[\d\]", d) for d in descr), descr
    assert not any("southshore-utility" in d or "wholesale-price" in d for d in descr)


def test_retracted_source_figure_is_flagged_in_table_and_chart_caption(built):
    _, pdf, docx = built
    for text in (pdf, docx):
        assert re.search(r"140 USD/MWh\S* \(source retracted\)", text)
        assert "Not drawn, their source retracted: Eastvale, Wholesale price, 140 USD/MWh" in text


def test_chart_draws_both_disagreeing_values_with_reference_numbers(grid):
    doc = compose(load_inputs(grid, "grid"))
    numbers = reference_numbers(doc.ast.tree())
    bar = next(d for d in doc.charts if d.spec.id == "price-by-region")
    south = next(b for b in bar.series if b.actor == "Southshore")
    assert [(v.value, v.refs) for v in south.values] == [
        (88.0, f"[{numbers['southshore-utility']}]"), (104.0, f"[{numbers['consumer-watch']}]")]
    north = next(b for b in bar.series if b.actor == "Northland")
    both = sorted((numbers["grid-agency-2026"], numbers["power-daily-2026"]))
    assert [(v.value, v.refs) for v in north.values] == [(96.0, f"[{both[0]}, {both[1]}]")]
    assert "Eastvale" not in {b.actor for b in bar.series}
    # The alt text carries every value with its reference number and no internal id.
    assert f"88 USD/MWh [{numbers['southshore-utility']}] vs 104 USD/MWh [{numbers['consumer-watch']}]" in bar.alt
    for sid in ("southshore-utility", "consumer-watch", "old-study", "wholesale-price"):
        assert sid not in bar.alt
    # The composed document's image title is the numbered alt text (Word's description).
    assert bar.alt in repr(doc.ast.tree())


def test_reference_numbers_match_the_printed_list(built, grid):
    _, pdf, _ = built
    numbers = reference_numbers(compose(load_inputs(grid, "grid")).ast.tree())
    refs = pdf[pdf.rindex("References"):]
    for sid, title in (("southshore-utility", "Our prices in 2026"), ("consumer-watch", "What households really pay")):
        assert re.search(rf"\b{numbers[sid]}\. .{{0,40}}{re.escape(title)}", refs), (sid, refs[:600])


def test_units_never_mix_on_one_axis(grid):
    ws, _ = load(grid)
    spec = next(c for c in ws.charts if c.id == "grid-build-out")
    d = chart_data(ws, spec)
    assert {(b.unit, b.panel) for b in d.series} == {("km", 0), ("%", 1)}
    assert "in 2 panels, one per unit" in d.alt


def test_board_ranks_one_unit_only(grid, tmp_path):
    result = build(grid, audience="grid-board", out_dir=tmp_path, formats=("pdf",))
    text = pdf_text(Path(result.outputs["pdf"]))
    line = text[text.index("Largest reported figures"):][:300]
    assert "Wholesale price" in line and "USD/MWh" in line
    assert "km" not in line and "%" not in line
    assert "140" not in line  # the retracted value is not ranked


def test_ledger_prints_labels_and_units(built):
    _, pdf, _ = built
    assert "Southshore, Wholesale price: 88 USD/MWh" in pdf
    assert "Northland, Renewable share: 45%" in pdf
    assert re.search(r"Eastvale, Wholesale price: 140 USD/MWh \(source retracted\)", pdf)
