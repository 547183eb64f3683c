"""Cross-file checks: ids, references, confidence levels, disagreeing figures, analysis and charts."""

from __future__ import annotations

from conftest import CLAIM, SOURCES, line_of, one, problems_of

from briefing.errors import errors_in


def source(sid, **fields):
    return {"id": sid, "title": sid.upper(), "kind": "news", **fields}


def claim(**fields):
    return {**CLAIM, **fields}


def test_duplicate_evidence_id_names_the_other_file(make_workspace):
    ws = make_workspace(evidence={"a.yaml": CLAIM, "b.yaml": CLAIM})
    p = one(problems_of(ws), "duplicate evidence id 'claim-a'")
    assert (p.path, p.line) == ("evidence/b.yaml", 1)
    assert "evidence/a.yaml:1" in p.message


def test_duplicate_source_id(make_workspace):
    ws = make_workspace(sources=SOURCES + [{**SOURCES[0], "title": "Again"}])
    p = one(problems_of(ws), "duplicate source id 'src-a'")
    assert (p.path, p.line) == ("sources.yaml", line_of(ws / "sources.yaml", "id: src-a", 2))
    assert f"sources.yaml:{line_of(ws / 'sources.yaml', 'id: src-a')}" in p.message


def test_unknown_confidence_level_lists_the_scale(make_workspace):
    ws = make_workspace(evidence={"a.yaml": claim(confidence="hihg")})
    p = one(problems_of(ws), "unknown confidence level 'hihg'")
    assert (p.path, p.line) == ("evidence/a.yaml", 1)
    assert "high, moderate, low, unsubstantiated" in p.message and "did you mean 'high'" in p.message


def test_workspace_scale_replaces_the_default(make_workspace):
    scale = {"name": "S", "anchor": "A", "levels": [
        {"key": "sure", "label": "Sure", "meaning": "M", "color": "#000000", "section": "documented",
         "requires": {"origins": 2}},
        {"key": "maybe", "label": "Maybe", "meaning": "M", "color": "#FFFFFF", "section": "alleged"}]}
    ws = make_workspace(files={"scale.yaml": scale}, evidence={"a.yaml": claim(confidence="high")})
    p = one(problems_of(ws), "unknown confidence level 'high'")
    assert "the scale has: sure, maybe" in p.message


def test_cited_source_not_defined_has_a_hint(make_workspace):
    ws = make_workspace(evidence={"a.yaml": claim(confidence="moderate", sources=["src-a", "src-bb"])})
    p = one(problems_of(ws), "cites source 'src-bb', which sources.yaml does not define")
    assert (p.path, p.line) == ("evidence/a.yaml", line_of(ws / "evidence/a.yaml", "src-bb"))
    assert "did you mean 'src-b'" in p.message


def test_figure_and_dispute_sources_must_exist(make_workspace):
    body = claim(figures=[{"metric": "m", "actor": "A", "value": 1, "source": "nope-1"}],
                 disputes=[{"by": "A", "text": "No.", "source": "nope-2"}])
    ws = make_workspace(evidence={"a.yaml": body})
    problems = problems_of(ws)
    # reported at the start of the figure or dispute that names the source
    assert one(problems, "cites source 'nope-1'").line == line_of(ws / "evidence/a.yaml", "metric: m")
    assert one(problems, "cites source 'nope-2'").line == line_of(ws / "evidence/a.yaml", "by: A")


def test_source_never_cited_is_a_warning(make_workspace):
    ws = make_workspace(sources=SOURCES + [source("src-idle")])
    problems = problems_of(ws)
    p = one(problems, "source 'src-idle' is never cited", "warning")
    assert (p.path, p.line) == ("sources.yaml", line_of(ws / "sources.yaml", "id: src-idle"))
    assert errors_in(problems) == []


def test_a_relayed_source_counts_as_used(make_workspace):
    ws = make_workspace(sources=SOURCES + [source("src-c", derived_from=["src-a"])],
                        evidence={"a.yaml": claim(sources=["src-b", "src-c"])})
    assert problems_of(ws) == []


def test_section_hint_more_certain_than_the_level(make_workspace):
    ws = make_workspace(evidence={"a.yaml": claim(confidence="moderate", section="documented")})
    p = one(problems_of(ws), "section 'documented' is more certain than confidence 'moderate'")
    assert (p.path, p.line) == ("evidence/a.yaml", 1)


def test_section_hint_less_certain_is_fine(make_workspace):
    ws = make_workspace(evidence={"a.yaml": claim(confidence="high", section="not_shown")})
    assert problems_of(ws) == []


def test_figures_that_disagree_between_sources(make_workspace):
    fig = {"metric": "accounts", "actor": "Lab X", "unit": "accounts"}
    ws = make_workspace(evidence={
        "a.yaml": claim(figures=[{**fig, "value": 24000, "source": "src-a"}]),
        "b.yaml": claim(id="claim-b", figures=[{**fig, "value": 25000, "source": "src-b"}]),
    })
    problems = problems_of(ws)
    p = one(problems, "sources disagree on Lab X accounts", "warning")
    assert (p.path, p.line) == ("evidence/b.yaml", line_of(ws / "evidence/b.yaml", "metric: accounts"))
    for text in ("24,000", "25,000", "src-a", "src-b"):
        assert text in p.message
    assert errors_in(problems) == []


def test_figures_that_agree_or_come_from_one_source_do_not_warn(make_workspace):
    fig = {"metric": "accounts", "actor": "Lab X", "unit": "accounts"}
    ws = make_workspace(evidence={"a.yaml": claim(figures=[
        {**fig, "value": 24000, "source": "src-a"},
        {**fig, "value": 24000, "source": "src-b"},
        {**fig, "actor": "Lab Y", "value": 1, "source": "src-b"},
    ])})
    assert problems_of(ws) == []


def _analysis(*rests_on):
    return {"analysis.yaml": {"bottom_line": [{"id": "bl-1", "text": "A judgement.", "rests_on": list(rests_on)}]}}


def test_judgement_resting_on_unknown_evidence(make_workspace):
    ws = make_workspace(files=_analysis("claim-a", "claim-z"))
    p = one(problems_of(ws), "judgement 'bl-1' rests on unknown evidence 'claim-z'")
    assert (p.path, p.line) == ("analysis.yaml", line_of(ws / "analysis.yaml", "id: bl-1"))
    assert "did you mean 'claim-a'" in p.message


def test_analysis_section_of_the_wrong_shape(make_workspace):
    ws = make_workspace(files={"analysis.yaml": "bottom_line:\n  id: bl\n  text: t\n"})
    p = one(problems_of(ws), "'bottom_line' must be a list")
    assert (p.path, p.line) == ("analysis.yaml", 2)


def test_retracted_source_warns_on_the_claim_and_the_judgement(make_workspace):
    ws = make_workspace(sources=[SOURCES[0], {**SOURCES[1], "retracted": "Withdrawn by the outlet"}],
                        files=_analysis("claim-a"))
    problems = problems_of(ws)
    on_claim = one(problems, "rests on source 'src-b', which is marked retracted", "warning")
    assert on_claim.path == "evidence/claim-a.yaml"
    assert on_claim.line == line_of(ws / "evidence/claim-a.yaml", "src-b")
    assert "Withdrawn by the outlet" in on_claim.message
    on_judgement = one(problems, "judgement 'bl-1' rests on 'claim-a'", "warning")
    assert "retracted source 'src-b'" in on_judgement.message
    assert (on_judgement.path, on_judgement.line) == ("analysis.yaml", line_of(ws / "analysis.yaml", "id: bl-1"))
    assert errors_in(problems) == []


def test_derived_from_an_unknown_source(make_workspace):
    ws = make_workspace(sources=SOURCES + [source("src-c", derived_from=["src-aa"])],
                        evidence={"a.yaml": claim(sources=["src-a", "src-b", "src-c"])})
    p = one(problems_of(ws), "source 'src-c' is derived_from unknown source 'src-aa'")
    assert (p.path, p.line) == ("sources.yaml", line_of(ws / "sources.yaml", "id: src-c"))
    assert "did you mean 'src-a'" in p.message


def test_derived_from_cycle(make_workspace):
    ws = make_workspace(sources=SOURCES + [source("c1", derived_from=["c2"]), source("c2", derived_from="c1")],
                        evidence={"a.yaml": claim(sources=["src-a", "src-b", "c1"])})
    problems = problems_of(ws)
    for sid in ("c1", "c2"):
        p = one(problems, f"source '{sid}' is derived_from itself through a cycle")
        assert (p.path, p.line) == ("sources.yaml", line_of(ws / "sources.yaml", f"id: {sid}"))


def test_derived_from_itself(make_workspace):
    ws = make_workspace(sources=SOURCES + [source("c1", derived_from=["c1"])],
                        evidence={"a.yaml": claim(sources=["src-a", "src-b", "c1"])})
    one(problems_of(ws), "source 'c1' is derived_from itself")


def test_chart_asking_for_a_metric_no_figure_reports(make_workspace):
    charts = {"charts": [{"id": "bars", "kind": "bar", "title": "Bars", "metrics": ["acounts"]}]}
    ws = make_workspace(files={"charts.yaml": charts},
                        evidence={"a.yaml": claim(figures=[{"metric": "accounts", "actor": "A", "value": 1,
                                                            "source": "src-a"}])})
    p = one(problems_of(ws), "chart 'bars' asks for metric 'acounts'", "warning")
    assert p.path == "charts.yaml" and "did you mean 'accounts'" in p.message


# --- metrics and units ------------------------------------------------------------------------

METRICS = {"charts": [{"id": "p", "kind": "bar", "title": "Prices", "metrics": ["price"]}],
           "metrics": [{"id": "price", "label": "Wholesale price", "unit": "USD/MWh"}]}


def _price(value, **extra):
    return {"metric": "price", "actor": "North", "value": value, "source": "src-a", **extra}


def test_figure_unit_differing_from_its_metric_is_an_error_at_the_figure(make_workspace):
    ws = make_workspace(evidence={"a.yaml": claim(figures=[_price(96), _price(9.6, unit="USc/kWh")])},
                        files={"charts.yaml": METRICS})
    p = one(problems_of(ws), "figure unit 'USc/kWh' differs from metric 'price's unit 'USD/MWh'")
    assert p.severity == "error" and p.path == "evidence/a.yaml"
    assert p.line == line_of(ws / "evidence/a.yaml", "- metric: price", 2)
    assert "charts.yaml:" in p.message


def test_figure_repeating_its_metrics_unit_or_leaving_it_out_is_clean(make_workspace):
    ws = make_workspace(evidence={"a.yaml": claim(figures=[_price(96), _price(90, unit="USD/MWh")])},
                        files={"charts.yaml": METRICS})
    assert problems_of(ws) == []


def test_undeclared_metrics_must_agree_on_a_unit(make_workspace):
    ws = make_workspace(evidence={"a.yaml": claim(figures=[
        {"metric": "length", "actor": "A", "value": 3, "unit": "km", "source": "src-a"},
        {"metric": "length", "actor": "B", "value": 4000, "unit": "m", "source": "src-a"}])})
    p = one(problems_of(ws), "figure unit 'm' differs from the unit 'km' of metric 'length'")
    assert p.severity == "error" and p.line == line_of(ws / "evidence/a.yaml", "- metric: length", 2)


def test_figure_with_no_unit_anywhere_is_a_warning(make_workspace):
    ws = make_workspace(evidence={"a.yaml": claim(figures=[{"metric": "length", "actor": "A", "value": 3,
                                                            "source": "src-a"}])})
    one(problems_of(ws), "figure of metric 'length' has no unit", "warning")


def test_duplicate_and_undeclared_metrics(make_workspace):
    charts = {**METRICS, "metrics": [dict(m) for m in METRICS["metrics"] * 2]}
    ws = make_workspace(evidence={"a.yaml": claim(figures=[_price(96), {**_price(3), "metric": "prise"}])},
                        files={"charts.yaml": charts})
    p = one(problems_of(ws), "duplicate metric id 'price'")
    assert (p.path, p.severity) == ("charts.yaml", "error")
    assert f"also at charts.yaml:{line_of(ws / 'charts.yaml', '- id: price')}" in p.message
    p = one(problems_of(ws), "metric 'prise' is not declared under metrics:", "warning")
    assert "did you mean 'price'" in p.message


# -- references between files: audiences, chart ids, scale keys -------------------------------------------
CHARTS = "charts:\n  - id: a\n    kind: bar\n    title: A\n  - id: b\n    kind: confidence\n    title: B\n"


def test_a_judgement_for_an_unknown_audience_is_an_error_at_the_judgement(make_workspace):
    analysis = "bottom_line:\n  - id: j1\n    text: T\n    rests_on: [claim-a]\n    audiences: [analyst, executve]\n"
    p = one(problems_of(make_workspace(files={"analysis.yaml": analysis})), "audience 'executve'")
    assert (p.path, p.line) == ("analysis.yaml", 2) and "did you mean 'executive'" in p.message


def test_an_unknown_default_audience_is_named_at_its_line(make_workspace):
    from conftest import BRIEFING

    root = make_workspace(briefing={**BRIEFING, "audience": "analysts"})
    p = one(problems_of(root), "unknown audience 'analysts'")
    assert (p.path, p.line) == ("briefing.yaml", line_of(root / "briefing.yaml", "audience:"))


def test_duplicate_chart_ids_are_an_error_at_the_second(make_workspace):
    root = make_workspace(files={"charts.yaml": CHARTS + "  - id: a\n    kind: confidence\n    title: C\n"})
    p = one(problems_of(root), "duplicate chart id 'a'")
    assert (p.path, p.line) == ("charts.yaml", 8) and "first declared on line 2" in p.message


def test_an_unknown_chart_id_in_an_audience_is_an_error_at_its_line(make_workspace):
    aud = "description: x\nsections: [bottom_line, references]\ncharts: [a, tmeline]\n"
    root = make_workspace(files={"charts.yaml": CHARTS, "templates/audiences/t.yaml": aud})
    p = one(problems_of(root), "asks for chart 'tmeline'")
    assert (p.path, p.line) == ("templates/audiences/t.yaml", 3)


def test_a_chart_no_audience_draws_is_a_warning_at_the_chart(make_workspace):
    analyst = "description: x\nsections: [bottom_line, references]\ncharts: [a]\n"
    root = make_workspace(files={"charts.yaml": CHARTS, "templates/audiences/analyst.yaml": analyst})
    problems = problems_of(root)
    p = one(problems, "chart 'b' is drawn by no audience", "warning")
    assert (p.path, p.line) == ("charts.yaml", 5) and not errors_in(problems)
    assert problems_of(make_workspace(files={"charts.yaml": CHARTS})) == []  # analyst draws all by default


def test_a_broken_audience_is_reported_by_check_with_file_and_line(make_workspace):
    aud = "description: x\nsections: [bottom_line]\npaper: A5\nbrand_color: blue\n"
    problems = problems_of(make_workspace(files={"templates/audiences/t.yaml": aud}))
    assert one(problems, "'paper'").line == 3 and one(problems, "'brand_color'").line == 4
    assert {p.path for p in errors_in(problems)} == {"templates/audiences/t.yaml"}


def test_scale_keys_that_differ_only_in_case_are_refused(make_workspace):
    from pathlib import Path

    import yaml

    scale = yaml.safe_load((Path(__file__).resolve().parents[2] / "briefing/defaults/scale.yaml").read_text("utf-8"))
    first = scale["levels"][0]
    scale["levels"].append({**first, "key": first["key"].upper()})
    p = one(problems_of(make_workspace(files={"scale.yaml": scale})), "differ in more than case")
    assert p.path == "scale.yaml" and f"'{first['key']}'" in p.message
