"""The template API: each query over a small workspace whose answers are known by construction."""

from __future__ import annotations

import pytest

from briefing.inputs import load
from briefing.queries import Queries, cite, label_markup

SOURCES = [
    {"id": "src-a", "type": "report", "title": "Source A", "publisher": "Institute A", "kind": "analysis"},
    {"id": "src-b", "type": "article-newspaper", "title": "Source B", "container-title": "Daily B", "kind": "news"},
    {"id": "src-c", "type": "post-weblog", "title": "Acme says", "kind": "primary", "interested": True,
     "author": [{"literal": "Acme"}]},
    {"id": "src-d", "type": "webpage", "title": "A blog post", "kind": "commentary",
     "author": [{"family": "Doe", "given": "Jo"}, {"family": "Roe", "given": "Al"}]},
    {"id": "src-e", "type": "webpage", "title": "An untraceable page", "kind": "commentary"},
]

EVIDENCE = {
    "c-high.yaml": {
        "id": "c-high", "title": "High claim", "claim": "Documented.", "date": "2026-01-05", "confidence": "high",
        "sources": ["src-a", "src-b"], "tags": ["legal"], "actors": [{"name": "Acme", "role": "accuser"}],
        "figures": [{"metric": "exchanges", "actor": "Beta", "value": 100, "source": "src-a"}]},
    "c-mod.yaml": {
        "id": "c-mod", "title": "Moderate claim", "claim": "Alleged.", "date": "2026-02-01",
        "confidence": "moderate", "sources": [{"id": "src-c", "locator": "page 4"}], "tags": ["timeline", "legal"],
        "event": "Acme speaks", "actors": [{"name": "Acme", "role": "accuser"}, {"name": "Beta", "role": "accused"}],
        "figures": [{"metric": "exchanges", "actor": "Beta", "value": 120, "approx": True, "source": "src-c"},
                    {"metric": "accounts", "actor": "Beta", "value": 7, "source": "src-c"}],
        "disputes": [{"by": "Beta", "text": "Denies it.", "source": "src-b"}]},
    "c-low.yaml": {
        "id": "c-low", "title": "Low claim", "claim": "Thin.", "date": "2025-12", "confidence": "low",
        "sources": ["src-d"], "caveats": ["Only one blog."], "tags": ["timeline"]},
    "c-uns.yaml": {
        "id": "c-uns", "title": "Rumour", "claim": "Nobody knows.", "date": "2026", "confidence": "unsubstantiated",
        "sources": ["src-e"]},
}

ANALYSIS = {
    "bottom_line": [{"id": "bl", "text": "The point.", "rests_on": ["c-low"]}],
    "implications": [{"id": "i1", "title": "First", "text": "Do this.", "rests_on": ["c-mod", "c-high"]},
                     {"id": "i2", "text": "And this.", "rests_on": ["c-high"]}],
    "why_it_matters": [{"id": "w1", "text": "Board only.", "rests_on": ["c-high", "c-mod"], "audiences": ["board"]}],
}


@pytest.fixture
def ws(make_workspace):
    root = make_workspace(sources=SOURCES, evidence=EVIDENCE, files={"analysis.yaml": ANALYSIS})
    return load(root).checked().workspace


def ids(items) -> list[str]:
    return [e.id for e in items]


def test_evidence_is_in_date_order_and_partial_dates_sort_first(ws):
    assert ids(Queries(ws).evidence) == ["c-low", "c-uns", "c-high", "c-mod"]


def test_by_confidence_and_at_least(ws):
    q = Queries(ws)
    assert ids(q.by_confidence("high")) == ["c-high"]
    assert ids(q.at_least("moderate")) == ["c-high", "c-mod"]
    assert ids(q.at_least("unsubstantiated")) == ids(q.evidence)
    with pytest.raises(ValueError, match="no confidence level 'certain'"):
        q.at_least("certain")


def test_confidence_bands_put_disputed_claims_with_the_allegations(ws):
    q = Queries(ws)
    assert ids(q.in_section("documented")) == ["c-high"]
    assert ids(q.in_section("alleged")) == ["c-mod"]
    assert ids(q.in_section("not_shown")) == ["c-low", "c-uns"]
    assert q.counts() == {"documented": 1, "alleged": 1, "not_shown": 2}
    assert [(lv.key, n) for lv, n in q.level_counts()] == [("high", 1), ("moderate", 1), ("low", 1),
                                                           ("unsubstantiated", 1)]
    assert [(lv.key, ids(items)) for lv, items in q.by_level()] == [
        ("high", ["c-high"]), ("moderate", ["c-mod"]), ("low", ["c-low"]), ("unsubstantiated", ["c-uns"])]


def test_by_actor_ignores_case_and_can_ask_for_a_role(ws):
    q = Queries(ws)
    assert ids(q.by_actor("acme")) == ["c-high", "c-mod"]
    assert ids(q.by_actor("Beta", role="accused")) == ["c-mod"]
    assert ids(q.by_actor("Beta", role="accuser")) == []
    assert q.actors(q.item("c-mod"), "accused") == ["Beta"]


def test_by_tag_takes_tags_or_lists_of_tags(ws):
    q = Queries(ws)
    assert ids(q.by_tag("legal")) == ["c-high", "c-mod"]
    assert ids(q.by_tag(["timeline"], "legal")) == ["c-low", "c-high", "c-mod"]
    assert ids(q.by_tag(("timeline",))) == ["c-low", "c-mod"]
    assert q.by_tag() == [] and q.by_tag("nothing") == []


def test_by_date_and_events(ws):
    q = Queries(ws)
    assert ids(q.between("2026-01", "2026-01")) == ["c-high"]
    assert ids(q.between("2026")) == ["c-uns", "c-high", "c-mod"]
    assert ids(q.between(end="2025")) == ["c-low"]
    assert ids(q.events()) == ["c-mod"]
    assert ids(q.events("legal")) == ["c-mod"] and q.events("other") == []


def test_figures_and_key_figures(ws):
    q = Queries(ws)
    assert [(f.value, e.id) for f, e in q.figures(metric="exchanges")] == [(100, "c-high"), (120, "c-mod")]
    assert [f.metric for f, _ in q.figures(actor="beta")] == ["exchanges", "exchanges", "accounts"]
    rows = q.key_figures(metrics=("exchanges",))
    assert [(r.actor, r.metric, r.disputed, r.top) for r in rows] == [("Beta", "exchanges", True, 120)]
    assert [r.metric for r in q.conflicts()] == ["exchanges"]


def test_citations_carry_locators_and_the_figures_each_source_reports(ws):
    q = Queries(ws)
    [c] = q.citations(q.item("c-mod"))
    assert (c.id, c.locator, c.name) == ("src-c", "page 4", "Acme")
    assert [(f.metric, f.value) for f in c.figures] == [("exchanges", 120), ("accounts", 7)]
    a, b = q.citations(q.item("c-high"))
    assert (a.name, [f.value for f in a.figures]) == ("Institute A", [100])
    assert (b.name, b.figures) == ("Daily B", ())


def test_source_short_names_fall_back_to_author_then_title(ws):
    q = Queries(ws)
    assert q.citations(q.item("c-low"))[0].name == "Jo Doe et al."
    assert q.citations(q.item("c-uns"))[0].name == "An untraceable page"
    assert [s.id for s in q.cited_sources()] == ["src-a", "src-b", "src-c", "src-d", "src-e"]


def test_judgements_are_filtered_by_audience(ws):
    assert [j.id for j in Queries(ws, "executive").judgements("why_it_matters")] == []
    assert [j.id for j in Queries(ws, "board").judgements("why_it_matters")] == ["w1"]
    q = Queries(ws, "executive")
    assert ids(q.rests_on(q.judgements("implications")[0])) == ["c-mod", "c-high"]
    assert [j.id for j in q.supporting(q.item("c-high"))] == ["i1", "i2"]
    assert [j.id for j in q.supporting(q.item("c-high"), "bottom_line")] == []


def test_ranked_puts_what_the_judgements_rest_on_first(ws):
    q = Queries(ws, "executive")
    # c-high: 2 judgements; c-mod: 1; then the rest by confidence.
    assert ids(q.ranked(q.evidence)) == ["c-high", "c-mod", "c-low", "c-uns"]
    # With rank_by, the bottom line's evidence comes first whatever the totals.
    q = Queries(ws, "executive", rank_by=("bottom_line", "implications"))
    assert ids(q.ranked(q.evidence)) == ["c-low", "c-high", "c-mod", "c-uns"]
    assert q.weight(q.item("c-high")) == (0, 2, 2)


def test_select_condenses_and_counts_the_rest(ws):
    q = Queries(ws, "executive")
    pick = q.select(q.evidence, 2)
    assert ids(pick) == ["c-high", "c-mod"] and pick.rest == 2 and len(pick) == 2
    everything = q.select(q.evidence, 0)
    assert ids(everything) == ids(q.evidence) and everything.rest == 0
    assert q.select(q.evidence, 10).rest == 0


def test_cite_and_label_filters_return_markdown(ws):
    q = Queries(ws)
    assert cite(q.item("c-high")) == "[@{src-a}; @{src-b}]"
    assert cite([q.item("c-high"), q.item("c-high"), "src-c"]) == "[@{src-a}; @{src-b}; @{src-c}]"
    assert cite(q.item("c-mod").disputes[0]) == "[@{src-b}]"
    assert cite([]) == ""
    tag = label_markup(q.level(q.item("c-mod")))
    assert tag.startswith("[Moderate confidence]{.confidence level=\"moderate\"")
    assert 'custom-style="Confidence Moderate"' in tag


def test_queries_hide_the_workspace_from_templates(ws):
    """Everything a template reaches is public and read-only: claims are frozen, lists are tuples."""
    q = Queries(ws)
    assert isinstance(q.evidence, tuple)
    with pytest.raises(AttributeError):
        q.evidence[0].title = "changed"


def test_on_a_tie_the_analysts_own_order_decides(make_workspace):
    analysis = {"watch": [{"id": "x", "text": "Watch these.", "rests_on": ["c-low", "c-high"]}]}
    root = make_workspace(sources=SOURCES, evidence=EVIDENCE, files={"analysis.yaml": analysis})
    ws = load(root).checked().workspace
    q = Queries(ws, "executive", rank_by=("watch",))
    # Equal weight (one judgement each): the one the judgement names first wins over the more confident.
    assert ids(q.ranked([q.item("c-high"), q.item("c-low")])) == ["c-low", "c-high"]
    assert ids(Queries(ws).ranked([q.item("c-low"), q.item("c-high")])) == ["c-high", "c-low"]


def _grid(make_workspace, figures, metrics=None, sources=None):
    files = {"charts.yaml": {"charts": [{"id": "c", "kind": "bar", "title": "C"}], "metrics": metrics}} if metrics \
        else {}
    root = make_workspace(sources=sources or SOURCES, files=files, evidence={"g.yaml": {
        "id": "g", "title": "G", "claim": "G.", "date": "2026-01-01", "confidence": "moderate",
        "sources": ["src-a"], "figures": figures}})
    return Queries(load(root).checked().workspace)


def test_equal_values_from_two_sources_are_one_value_citing_both(make_workspace):
    q = _grid(make_workspace, [{"metric": "price", "actor": "N", "value": 96, "approx": True, "source": "src-a"},
                               {"metric": "price", "actor": "N", "value": 96, "approx": True, "source": "src-b"}],
              [{"id": "price", "label": "Wholesale price", "unit": "USD/MWh"}])
    (row,) = q.key_figures()
    assert not row.disputed and len(row.entries) == 1
    assert row.entries[0].source_ids == ("src-a", "src-b")
    assert (row.label, row.unit) == ("Wholesale price", "USD/MWh")
    assert len(row.values) == 2  # every (figure, claim) pair is still there for custom templates


def test_retracted_values_are_flagged_and_not_ranked(make_workspace):
    sources = SOURCES + [{"id": "gone", "type": "report", "title": "Gone", "kind": "analysis",
                          "retracted": "data error"}]
    q = _grid(make_workspace, [{"metric": "price", "actor": "N", "value": 96, "unit": "USD", "source": "src-a"},
                               {"metric": "price", "actor": "N", "value": 150, "unit": "USD", "source": "gone"},
                               {"metric": "price", "actor": "E", "value": 400, "unit": "USD", "source": "gone"},
                               {"metric": "km", "actor": "Z", "value": 9000, "unit": "km", "source": "src-a"}],
              sources=sources)
    rows = {r.actor: r for r in q.key_figures()}
    assert not rows["N"].disputed and [v.retracted for v in rows["N"].entries] == [False, True]
    assert rows["E"].retracted and rows["E"].top == 400
    assert [r.actor for r in q.largest(metrics=("price",))] == ["N"]  # none retracted
    assert len({r.unit for r in q.largest()}) == 1  # one metric's figures: a ranking never mixes units
    assert [r.actor for r in q.largest(metrics=("km", "price"))] == ["Z"]


def test_amount_prints_the_unit():
    from briefing.queries import amount

    assert amount(96, True, "USD/MWh") == "about 96 USD/MWh"
    assert amount(45, False, "%") == "45%"
    assert amount(13_000_000, False, "exchanges") == "13 million exchanges"
    assert amount(3, False, "") == "3"


def test_attribution_names_accusers_and_disputers_of_allegations_only(ws):
    q = Queries(ws)
    mod = q.item("c-mod")
    assert q.is_allegation(mod) and not q.is_allegation(q.item("c-high")) and not q.is_allegation(q.item("c-low"))
    a = q.attribution(mod)
    assert (a.alleged_by, a.disputed_by, a.text) == (("Acme",), ("Beta",), "alleged by Acme; disputed by Beta")
    assert str(a) == a.text and a.alleged == "alleged by Acme" and a.disputed == "disputed by Beta"
    # A documented claim carries no attribution even though an accuser is among its actors.
    assert not q.attribution(q.item("c-high")) and q.attribution(q.item("c-high")).text == ""


def test_attribution_without_an_accuser_falls_back_to_the_origins(make_workspace):
    sources = [*SOURCES, {"id": "relay", "type": "webpage", "title": "Relay", "container-title": "Wire",
                          "kind": "news", "derived_from": ["src-c"]}]
    evidence = {
        "a.yaml": {"id": "a", "title": "Interested", "claim": "X.", "date": "2026", "confidence": "moderate",
                   "sources": ["relay"]},
        "b.yaml": {"id": "b", "title": "Reported", "claim": "Y.", "date": "2026", "confidence": "moderate",
                   "sources": ["src-b"], "disputes": [{"by": "Gamma", "text": "No."}, {"by": "Delta", "text": "No."}]},
    }
    q = Queries(load(make_workspace(sources=sources, evidence=evidence)).checked().workspace)
    # The relay traces to Acme's own post, an interested party: Acme alleges it.
    assert q.attribution(q.item("a")).text == "alleged by Acme"
    assert q.attribution(q.item("b")).text == "reported by Daily B; disputed by Gamma and Delta"


def test_provenance_relays_and_origins(make_workspace):
    sources = [*SOURCES, {"id": "wire", "type": "webpage", "title": "Wire copy", "container-title": "Wire",
                          "kind": "news", "derived_from": ["src-c"]},
               {"id": "paper", "type": "webpage", "title": "Paper", "container-title": "Paper", "kind": "news",
                "derived_from": ["wire"]}]
    evidence = {"a.yaml": {"id": "a", "title": "A", "claim": "X.", "date": "2026", "confidence": "moderate",
                           "sources": ["paper", "src-b"]}}
    q = Queries(load(make_workspace(sources=sources, evidence=evidence)).checked().workspace)
    assert [s.id for s in q.relays("paper")] == ["src-c"] and q.relays("src-b") == []
    assert [s.id for s in q.origin_sources(q.item("a"))] == ["src-b", "src-c"]


def test_retractions_reach_figures_claims_and_judgements(make_workspace):
    sources = [*SOURCES[:3], {**SOURCES[3], "retracted": "fabricated quotes", "retracted_on": "2026-03"},
               {"id": "relay", "type": "webpage", "title": "Relay", "kind": "news", "derived_from": ["src-d"]}]
    evidence = {"a.yaml": {"id": "a", "title": "Blog claim", "claim": "X.", "date": "2026", "confidence": "low",
                           "sources": ["relay"]},
                "b.yaml": {"id": "b", "title": "Clean", "claim": "Y.", "date": "2026", "confidence": "moderate",
                           "sources": ["src-a"]}}
    analysis = {"implications": [{"id": "i", "title": "Act", "text": "Do.", "rests_on": ["a", "b"]}]}
    q = Queries(load(make_workspace(sources=sources, evidence=evidence,
                                             files={"analysis.yaml": analysis})).checked().workspace)
    assert q.retracted("src-d") == "Retracted in March 2026: fabricated quotes"
    assert q.retracted("relay") == ("Relays a retracted source: “A blog post”, retracted in March 2026"
                                    " (fabricated quotes)")
    assert q.retracted("src-a") == "" and q.retracted("nope") == ""
    assert q.retraction_note(q.item("a")).startswith("Rests on a retracted source: “A blog post”")
    assert q.retraction_note(q.item("b")) == ""
    [caveat] = q.judgement_caveats(q.judgement("i"))
    assert caveat.startswith("Rests on “Blog claim” (low confidence), which rests on a retracted source")
    assert q.judgement("missing") is None


def test_alleged_by_overrides_the_accuser_actors(make_workspace):
    evidence = {"a.yaml": {"id": "a", "title": "Beta denies it", "claim": "Beta says no.", "date": "2026",
                           "confidence": "moderate", "sources": ["src-b"], "alleged_by": ["Beta", " Beta "],
                           "actors": [{"name": "Acme", "role": "accuser"}, {"name": "Beta", "role": "accused"}]}}
    q = Queries(load(make_workspace(sources=SOURCES, evidence=evidence)).checked().workspace)
    assert q.attribution(q.item("a")).text == "alleged by Beta"


@pytest.mark.parametrize("value, approx, text", [
    (13_000_000, False, "13 million"), (28_800_000, True, "about 28.8 million"), (150_000, False, "150,000"),
    (2_500_000_000, False, "2.5 billion"), (10**15, False, "1000 trillion"), (-4_200_000, False, "-4.2 million"),
    (0.00012345, False, "0.000123"), (1e-7, True, "about 0.0000001"), (96.5, False, "96.5"), (0, False, "0"),
])
def test_human_number_reads_at_every_magnitude(value, approx, text):
    from briefing.queries import human_number

    assert human_number(value, approx) == text
