"""Chart data queries: ordering, the conflict rule, partial dates, empty results, alt text, digests."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from briefing.chart_data import ChartData, chart_data, long_number, parse_date, short_number
from briefing.model import ChartSpec, Citation, Evidence, Figure, Level, Meta, Scale, Workspace

REPO = Path(__file__).resolve().parents[2]

SCALE = Scale(
    "Test scale",
    "ICD 203",
    (
        Level("high", "High confidence", "", "#1B7837", "documented", rank=0),
        Level("moderate", "Moderate confidence", "", "#B35806", "alleged", rank=1),
        Level("low", "Low confidence", "", "#8C510A", "not_shown", rank=2),
        Level("unsubstantiated", "Unsubstantiated", "", "#6A6A6A", "not_shown", rank=3),
    ),
)


def item(eid, date="2026-02-23", confidence="moderate", figures=(), event="", tags=(), sources=("src-a",)):
    return Evidence(id=eid, title=eid, claim=eid, date=date, confidence=confidence,
                    sources=tuple(Citation(s) for s in sources), figures=tuple(figures), event=event,
                    tags=tuple(tags))


def fig(actor, metric, value, source="src-a", approx=False, unit=""):
    return Figure(metric=metric, actor=actor, value=value, unit=unit or metric, approx=approx, source=source)


def workspace(*evidence) -> Workspace:
    return Workspace(root=".", meta=Meta("T", "2026-06-30", "1", "internal"), scale=SCALE, sources=(),
                     evidence=tuple(evidence))


BAR = ChartSpec("scale", "bar", "Reported extraction", metrics=("exchanges", "accounts"), log_scale=True)


def sample() -> Workspace:
    """The realistic case: four labs, one with two metrics, and a combined total."""
    return workspace(
        item("feb", figures=[fig("DeepSeek", "exchanges", 150_000),
                             fig("Moonshot AI", "exchanges", 3_400_000, approx=True),
                             fig("MiniMax", "exchanges", 13_000_000, approx=True),
                             fig("February total", "accounts", 24_000, approx=True)],
             sources=("anthropic",)),
        item("alibaba", "2026-06", figures=[fig("Alibaba/Qwen", "exchanges", 28_800_000, "letter"),
                                            fig("Alibaba/Qwen", "accounts", 25_000, "letter", approx=True)]),
    )


# --- bar ------------------------------------------------------------------------------------------


def test_bar_orders_actors_by_first_metric_then_those_without_it():
    d = chart_data(sample(), BAR)
    assert d.kind == "bar"
    assert [(b.actor, b.metric) for b in d.series] == [
        ("Alibaba/Qwen", "Exchanges"), ("Alibaba/Qwen", "Accounts"), ("MiniMax", "Exchanges"),
        ("Moonshot AI", "Exchanges"), ("DeepSeek", "Exchanges"), ("February total", "Accounts")]
    assert {b.metric: b.slot for b in d.series} == {"Exchanges": 0, "Accounts": 1}
    assert {b.unit: b.panel for b in d.series} == {"exchanges": 0, "accounts": 1}  # one panel per unit
    assert d.series[1].approx and not d.series[0].approx
    assert d.source_ids == ("letter", "src-a")  # first appearance among the plotted figures, in plot order


def test_bar_without_metrics_uses_every_metric_in_order_of_appearance():
    d = chart_data(sample(), ChartSpec("all", "bar", "All"))
    assert {b.metric: b.slot for b in d.series} == {"Exchanges": 0, "Accounts": 1}
    d = chart_data(sample(), ChartSpec("acc", "bar", "Accounts", metrics=("accounts",)))
    assert [b.actor for b in d.series] == ["Alibaba/Qwen", "February total"]


def test_every_disagreeing_value_is_drawn_with_its_references():
    ws = workspace(
        item("a", confidence="moderate", figures=[fig("MiniMax", "exchanges", 13_000_000, "src-a", approx=True)]),
        item("b", confidence="high", figures=[fig("MiniMax", "exchanges", 16_000_000, "src-b")], sources=("src-b",)),
        item("c", confidence="low", figures=[fig("MiniMax", "exchanges", 16_000_000, "src-c")], sources=("src-c",)),
    )
    d = chart_data(ws, BAR, refs={"src-a": 3, "src-b": 1, "src-c": 7})
    (bar,) = d.series
    assert bar.value == 16_000_000  # the most confident claim's value orders the bars
    # Both values are drawn; the same value from a second source is one value citing both.
    assert [(v.value, v.approx, v.refs) for v in bar.values] == [(13e6, True, "[3]"), (16e6, False, "[1, 7]")]
    assert set(d.source_ids) == {"src-a", "src-b", "src-c"}
    assert "about 13 million exchanges [3] vs 16 million exchanges [1, 7] (sources disagree" in d.alt
    assert "src-" not in d.alt  # no internal id reaches a reader


def test_equal_values_are_not_a_conflict():
    ws = workspace(item("a", figures=[fig("X", "exchanges", 96.0, "src-a", approx=True),
                                      fig("X", "exchanges", 96.0, "src-b", approx=True)]))
    (bar,) = chart_data(ws, BAR, refs={"src-a": 1, "src-b": 2}).series
    assert [(v.value, v.refs) for v in bar.values] == [(96.0, "[1, 2]")]
    assert " vs " not in chart_data(ws, BAR).alt


def test_references_fall_back_to_source_names_never_ids():
    from briefing.model import Name, Source

    ws = dataclasses.replace(workspace(item("a", figures=[fig("X", "exchanges", 5.0, "gaz-1"),
                                                          fig("X", "exchanges", 6.0, "rep-2")])),
                             sources=(Source("gaz-1", "A story", "news", container_title="The Gazette"),
                                      Source("rep-2", "A report", "analysis", authors=(Name("Doe", "Jo"),))))
    (bar,) = chart_data(ws, BAR).series
    assert [v.refs for v in bar.values] == ["[The Gazette]", "[Jo Doe]"]
    (bar,) = chart_data(ws, BAR, refs={"gaz-1": 4}).series
    assert [v.refs for v in bar.values] == ["[4]", "[Jo Doe]"]


def test_retracted_sources_values_are_not_drawn_but_reported():
    from briefing.model import Source

    ws = dataclasses.replace(
        workspace(item("a", figures=[fig("X", "exchanges", 5.0, "good"), fig("X", "exchanges", 50.0, "bad"),
                                     fig("Y", "exchanges", 9.0, "bad")])),
        sources=(Source("good", "Good", "news", container_title="Good News"),
                 Source("bad", "Bad", "academic", container_title="Bad Journal", retracted="data error")))
    d = chart_data(ws, BAR, refs={"good": 1, "bad": 2})
    assert [(b.actor, [v.value for v in b.values]) for b in d.series] == [("X", [5.0])]
    assert [(x[0], x[2]) for x in d.dropped] == [("X", 50.0), ("Y", 9.0)]
    assert "Not drawn, its source retracted: X, Exchanges, 50 exchanges [2]." in d.alt


def test_a_relay_of_a_retracted_source_is_not_drawn_either():
    """The chart and the figures table agree: a value whose source only relays a retracted study is dropped."""
    from briefing.model import Source
    from briefing.queries import Queries

    ws = dataclasses.replace(
        workspace(item("a", figures=[fig("X", "exchanges", 5.0, "good"), fig("X", "exchanges", 50.0, "wire")])),
        sources=(Source("good", "Good", "news", container_title="Good News"),
                 Source("bad", "Bad", "academic", container_title="Bad Journal", retracted="data error"),
                 Source("wire", "Wire copy", "news", container_title="Wire", derived_from=("bad",))))
    d = chart_data(ws, BAR, refs={"good": 1, "wire": 2})
    assert [(b.actor, [v.value for v in b.values]) for b in d.series] == [("X", [5.0])]
    assert [(x[0], x[2]) for x in d.dropped] == [("X", 50.0)]
    (row,) = Queries(ws).key_figures()
    assert [(v.value, v.retracted) for v in row.entries] == [(5.0, False), (50.0, True)]


def test_units_of_declared_metrics_label_the_bars():
    from briefing.model import Metric

    ws = dataclasses.replace(workspace(item("a", figures=[
        Figure("price", "North", 96.0, source="src-a"), Figure("share", "North", 45.0, source="src-a")])),
        metrics=(Metric("price", "Wholesale price", "USD/MWh"), Metric("share", "Renewable share", "%")))
    d = chart_data(ws, ChartSpec("g", "bar", "G", metrics=("price", "share")))
    assert [(b.metric, b.unit, b.panel) for b in d.series] == [("Wholesale price", "USD/MWh", 0),
                                                              ("Renewable share", "%", 1)]
    assert "Wholesale price (USD/MWh) and Renewable share (%)" in d.alt
    assert "96 USD/MWh" in d.alt and "45%" in d.alt and "price" not in d.alt.replace("Wholesale price", "")


def test_bar_charts_are_capped_and_say_how_many_more():
    from briefing.chart_data import MAX_ACTORS

    ws = workspace(item("a", figures=[fig(f"Actor {i}", "exchanges", float(i + 1)) for i in range(900)]))
    d = chart_data(ws, BAR)
    assert len(d.series) == MAX_ACTORS and d.more == 900 - MAX_ACTORS
    assert d.series[0].actor == "Actor 899"  # the largest are kept
    assert f"{900 - MAX_ACTORS} more actor(s) not drawn" in d.alt


def test_timeline_is_capped_keeping_the_most_confident():
    from briefing.chart_data import MAX_EVENTS

    ws = workspace(*[item(f"e{i}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", "high" if i % 50 == 0 else "low",
                          event=f"Event {i}") for i in range(600)])
    d = chart_data(ws, ChartSpec("tl", "timeline", "T"))
    assert len(d.series) == MAX_EVENTS and d.more == 600 - MAX_EVENTS
    assert sum(e.level == "high" for e in d.series) == 12  # every high-confidence event is kept
    assert [e.date for e in d.series] == sorted(e.date for e in d.series)
    assert f"{600 - MAX_EVENTS} less confident event(s) not drawn" in d.alt


def test_conflict_tie_goes_to_first_appearance():
    ws = workspace(
        item("a", figures=[fig("X", "exchanges", 100.0, "src-a")]),
        item("b", figures=[fig("X", "exchanges", 200.0, "src-b")]),
    )
    (bar,) = chart_data(ws, BAR).series
    assert bar.value == 100.0 and [v.value for v in bar.values] == [100.0, 200.0]


def test_unknown_confidence_ranks_below_every_level():
    ws = workspace(
        item("a", confidence="rumour", figures=[fig("X", "exchanges", 1.0, "src-a")]),
        item("b", confidence="unsubstantiated", figures=[fig("X", "exchanges", 2.0, "src-b")]),
    )
    assert [b.value for b in chart_data(ws, BAR).series] == [2.0]  # orders by the known level's value


def test_bar_skips_unusable_values_gracefully():
    ws = workspace(item("a", figures=[
        fig("A", "exchanges", "lots"), fig("B", "exchanges", float("nan")), fig("C", "exchanges", True),
        fig("D", "exchanges", 0.0), fig("E", "exchanges", "1,500"), fig("F", "exchanges", None),
        fig("", "exchanges", 5.0), fig("G", "other", 7.0)]))
    d = chart_data(ws, BAR)
    assert [(b.actor, b.value) for b in d.series] == [("E", 1500.0)]
    assert "6 figure(s) could not be plotted" in d.alt  # zero has no place on a log axis
    linear = chart_data(ws, dataclasses.replace(BAR, log_scale=False))
    assert [(b.actor, b.value) for b in linear.series] == [("E", 1500.0), ("D", 0.0)]


def test_figure_without_source_falls_back_to_the_claims_sources():
    ws = workspace(item("a", figures=[fig("A", "exchanges", 5.0, source="")], sources=("s1", "s2")))
    assert chart_data(ws, BAR).source_ids == ("s1", "s2")


def test_tags_filter_the_evidence():
    ws = workspace(item("a", figures=[fig("A", "exchanges", 5.0)], tags=("feb",)),
                   item("b", figures=[fig("B", "exchanges", 9.0)], tags=("jun",)))
    d = chart_data(ws, dataclasses.replace(BAR, tags=("feb",)))
    assert [b.actor for b in d.series] == ["A"]


def test_bar_alt_text_names_every_value():
    alt = chart_data(sample(), BAR).alt
    assert "logarithmic scale" in alt
    for text in ("Alibaba/Qwen: Exchanges: 28.8 million exchanges; Accounts: about 25,000 accounts",
                 "MiniMax: Exchanges: about 13 million", "Moonshot AI: Exchanges: about 3.4 million",
                 "DeepSeek: Exchanges: 150,000 exchanges", "February total: Accounts: about 24,000 accounts"):
        assert text in alt


def test_empty_bar():
    d = chart_data(sample(), ChartSpec("money", "bar", "Money", metrics=("dollars",)))
    assert d.empty and d.series == () and d.source_ids == ()
    assert "no data" in d.alt.lower()


# --- timeline -----------------------------------------------------------------------------------


def test_parse_date_places_partial_dates_at_the_start_of_their_period():
    import datetime as dt

    assert parse_date("2025") == (dt.date(2025, 1, 1), "year")
    assert parse_date("2025-03") == (dt.date(2025, 3, 1), "month")
    assert parse_date("2025-03-09") == (dt.date(2025, 3, 9), "day")
    assert parse_date(dt.date(2025, 3, 9)) == (dt.date(2025, 3, 9), "day")
    for bad in ("", "soon", "2025-13", "2025-02-30", "25", None):
        assert parse_date(bad) is None


def test_timeline_sorts_by_date_and_marks_approximate_dates():
    ws = workspace(
        item("c", "2026-02-23", "high", event="Named", sources=("s3",)),
        item("a", "2025", "unsubstantiated", event="Rumour", sources=("s1",)),
        item("b", "2025-09", "moderate", event="  Settled \n case ", sources=("s2", "s1")),
        item("n", "2025-05-05", "high"),  # no event label: not on the timeline
        item("x", "2025-06-01", "ghost", event="Odd level", sources=("s4",)),
    )
    d = chart_data(ws, ChartSpec("tl", "timeline", "Timeline"))
    assert [(e.date, e.precision, e.label) for e in d.series] == [
        ("2025-01-01", "year", "Rumour"), ("2025-06-01", "day", "Odd level"),
        ("2025-09-01", "month", "Settled case"), ("2026-02-23", "day", "Named")]
    assert [e.color for e in d.series] == ["#6A6A6A", "#999999", "#B35806", "#1B7837"]
    assert d.series[0].level_label == "Unsubstantiated" and d.series[0].rank == 3
    assert d.source_ids == ("s1", "s4", "s2", "s3")
    assert "Timeline of 4 events from January 2025 to February 2026" in d.alt
    assert "2025 (year only): Rumour (unsubstantiated)" in d.alt
    assert "Sep 2025 (month only): Settled case (moderate confidence)" in d.alt
    assert "23 Feb 2026: Named (high confidence)" in d.alt


def test_timeline_tags_and_unreadable_dates():
    ws = workspace(item("a", "2025-01-02", event="Kept", tags=("x",)), item("b", "2025-01-03", event="Dropped"),
                   item("c", "someday", event="Undated", tags=("x",)))
    d = chart_data(ws, ChartSpec("tl", "timeline", "T", tags=("x",)))
    assert [e.label for e in d.series] == ["Kept"]
    assert "Not placed (unreadable date): Undated" in d.alt


def test_empty_timeline():
    d = chart_data(workspace(item("a")), ChartSpec("tl", "timeline", "T"))
    assert d.empty and "no data" in d.alt.lower()


# --- confidence -------------------------------------------------------------------------------


def test_confidence_counts_every_level_in_scale_order():
    ws = workspace(item("a", confidence="low"), item("b", confidence="high"), item("c", confidence="low"),
                   item("d", confidence="ghost"))
    d = chart_data(ws, ChartSpec("cp", "confidence", "Profile"))
    assert [(c.key, c.count, c.color) for c in d.series] == [
        ("high", 1, "#1B7837"), ("moderate", 0, "#B35806"), ("low", 2, "#8C510A"),
        ("unsubstantiated", 0, "#6A6A6A")]
    assert [c.label for c in d.series][0] == "High confidence"
    assert not d.empty and d.source_ids == ()
    assert "(3 in all)" in d.alt and "Moderate confidence: 0" in d.alt and "Low confidence: 2" in d.alt
    assert "1 claim(s) name a level the scale does not define" in d.alt


def test_empty_confidence_keeps_the_levels():
    d = chart_data(workspace(), ChartSpec("cp", "confidence", "Profile"))
    assert len(d.series) == 4 and d.empty


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown kind 'pie'"):
        chart_data(sample(), ChartSpec("p", "pie", "Pie"))


# --- digest -----------------------------------------------------------------------------------


def test_digest_changes_iff_the_drawing_changes():
    ws = sample()
    base = chart_data(ws, BAR)
    assert len(base.digest()) == 64 and base.digest() == chart_data(sample(), BAR).digest()
    # Title, caption and id are printed by the document, not drawn: same digest.
    renamed = dataclasses.replace(BAR, id="other", title="Other", caption="New caption")
    assert chart_data(ws, renamed).digest() == base.digest()
    # A value, the scale type or an approximation flag is drawn: new digest.
    changed = workspace(ws.evidence[0], item("alibaba", figures=[
        fig("Alibaba/Qwen", "exchanges", 28_900_000, "letter"),
        fig("Alibaba/Qwen", "accounts", 25_000, "letter", approx=True)]))
    assert chart_data(changed, BAR).digest() != base.digest()
    assert chart_data(ws, dataclasses.replace(BAR, log_scale=False)).digest() != base.digest()
    approx = workspace(ws.evidence[0], item("alibaba", figures=[
        fig("Alibaba/Qwen", "exchanges", 28_800_000, "letter", approx=True),
        fig("Alibaba/Qwen", "accounts", 25_000, "letter", approx=True)]))
    assert chart_data(approx, BAR).digest() != base.digest()
    # A conflicting value is drawn too; so is a reference number.
    loser = workspace(*ws.evidence, item("z", confidence="low", figures=[fig("MiniMax", "exchanges", 1.0, "z")]))
    d = chart_data(loser, BAR)
    assert d.digest() != base.digest() and d.alt != base.alt
    assert chart_data(ws, BAR, refs={"letter": 1}).digest() != base.digest()


def test_digest_differs_between_kinds_and_colours():
    ws = workspace(item("a", event="E"))
    tl = chart_data(ws, ChartSpec("t", "timeline", "T"))
    cp = chart_data(ws, ChartSpec("c", "confidence", "C"))
    assert tl.digest() != cp.digest()
    recoloured = dataclasses.replace(ws, scale=dataclasses.replace(SCALE, levels=tuple(
        dataclasses.replace(lv, color="#000000") for lv in SCALE.levels)))
    assert chart_data(recoloured, ChartSpec("c", "confidence", "C")).digest() != cp.digest()


def test_chart_data_is_plain_hashable_data():
    d = chart_data(sample(), BAR)
    assert isinstance(d, ChartData)
    hash(d)


# --- formatting and imports -------------------------------------------------------------------


@pytest.mark.parametrize(("value", "approx", "text"), [
    (150_000, False, "150k"), (3_400_000, True, "~3.4M"), (28_800_000, False, "28.8M"), (13_000_000, True, "~13M"),
    (25_000, False, "25k"), (999, False, "999"), (999_950, False, "1M"), (1_234_567_890, False, "1.23B"),
    (0, False, "0"), (0.5, False, "0.5"), (-2_500, False, "-2.5k"),
])
def test_short_number(value, approx, text):
    assert short_number(value, approx) == text


def test_short_number_percent_and_long_number():
    assert short_number(45, unit="%") == "45%"
    assert long_number(28_800_000) == "28.8 million"
    assert long_number(13_000_000, approx=True) == "about 13 million"
    assert long_number(150_000) == "150,000"
    assert long_number(2.5) == "2.5"
    assert long_number(3_000_000_000) == "3 billion"


def test_chart_data_does_not_import_matplotlib():
    code = "import sys, briefing.chart_data; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
