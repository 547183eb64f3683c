"""Independence of sources: origins follow derived_from chains, and each level's sourcing rule holds."""

from __future__ import annotations

from conftest import CLAIM, one, problems_of

from briefing.errors import errors_in
from briefing.inputs import load_workspace as load
from briefing.model import Citation, Evidence, Source, Workspace
from briefing.sourcing import best_supported, disinterested, origins, roots, supports
from briefing.workspace import DEFAULT_SCALE, load_scale

SCALE = load_scale(DEFAULT_SCALE.parent, [])  # the packaged scale


def src(sid, **fields):
    return {"id": sid, "title": sid.upper(), "kind": "news", **fields}


def model(*sources, cites=()):
    """An in-memory workspace with the packaged scale and one claim citing `cites`."""
    item = Evidence(id="e", title="E", claim="C", date="2026", confidence="high",
                    sources=tuple(Citation(s) for s in cites))
    return Workspace(root=".", meta=None, scale=SCALE, sources=tuple(sources), evidence=(item,)), item


def test_roots_follow_derived_from_chains_transitively():
    ws, _ = model(Source("pr", "PR", "primary"), Source("wire", "Wire", "news", derived_from=("pr",)),
                  Source("paper", "Paper", "news", derived_from=("wire",)),
                  Source("blog", "Blog", "commentary", derived_from=("paper", "other")),
                  Source("other", "Other", "academic"))
    assert roots(ws, "pr") == {"pr"}
    assert roots(ws, "paper") == {"pr"}
    assert roots(ws, "blog") == {"pr", "other"}


def test_roots_ignore_unknown_parents_and_survive_cycles():
    ws, _ = model(Source("a", "A", "news", derived_from=("ghost",)),
                  Source("c1", "C1", "news", derived_from=("c2",)), Source("c2", "C2", "news", derived_from=("c1",)))
    assert roots(ws, "a") == {"a"}
    assert roots(ws, "c1") == {"c1"}  # a cycle has no root; validation reports it separately


def test_three_relays_of_one_press_release_are_one_origin():
    sources = [Source("pr", "PR", "primary", interested=True)] + [
        Source(f"outlet-{i}", f"O{i}", "news", derived_from=("pr",)) for i in range(3)]
    ws, item = model(*sources, cites=("outlet-0", "outlet-1", "outlet-2"))
    assert origins(ws, item) == {"pr"}
    assert disinterested(ws, origins(ws, item)) == frozenset()
    assert "needs 2 independent origin(s)" in supports(ws, item, ws.scale.get("high"))
    assert best_supported(ws, item).key == "moderate"


def test_two_independent_disinterested_origins_support_high():
    ws, item = model(Source("a", "A", "news"), Source("b", "B", "academic"), cites=("a", "b"))
    assert supports(ws, item, ws.scale.get("high")) == ""
    assert best_supported(ws, item).key == "high"


def test_a_claim_citing_nothing_known_is_only_unsubstantiated():
    ws, item = model(Source("a", "A", "news"), cites=("ghost",))
    assert origins(ws, item) == frozenset()
    assert best_supported(ws, item).key == "unsubstantiated"


# -- through `check` -----------------------------------------------------------------------------
def test_high_with_a_source_derived_from_the_other_is_one_origin(make_workspace):
    ws = make_workspace(sources=[src("orig"), src("relay", derived_from=["orig"])],
                        evidence={"a.yaml": {**CLAIM, "sources": ["orig", "relay"]}})
    p = one(problems_of(ws), "confidence 'high' is not supported by its sources")
    assert (p.path, p.line) == ("evidence/a.yaml", 1)
    assert "needs 2 independent origin(s)" in p.message and "trace to 1 (orig)" in p.message


def test_three_outlets_relaying_one_press_release(make_workspace):
    sources = [src("pr", kind="primary")] + [src(f"o{i}", derived_from=["pr"]) for i in range(3)]
    ws = make_workspace(sources=sources, evidence={"a.yaml": {**CLAIM, "sources": ["o0", "o1", "o2"]}})
    p = one(problems_of(ws), "confidence 'high' is not supported")
    assert "trace to 1 (pr)" in p.message


def test_high_with_two_interested_origins_needs_a_disinterested_one(make_workspace):
    ws = make_workspace(sources=[src("accuser", interested=True), src("accused", interested=True)],
                        evidence={"a.yaml": {**CLAIM, "sources": ["accuser", "accused"]}})
    p = one(problems_of(ws), "confidence 'high' is not supported")
    assert "without a stake in the matter" in p.message and "found 0" in p.message


def test_high_with_one_interested_and_one_disinterested_origin_is_fine(make_workspace):
    ws = make_workspace(sources=[src("accuser", interested=True), src("paper")],
                        evidence={"a.yaml": {**CLAIM, "sources": ["accuser", "paper"]}})
    assert problems_of(ws) == []


def test_moderate_on_one_origin_is_fine(make_workspace):
    ws = make_workspace(sources=[src("orig"), src("relay", derived_from=["orig"])],
                        evidence={"a.yaml": {**CLAIM, "confidence": "moderate", "sources": ["relay"]}})
    assert problems_of(ws) == []


def test_origins_in_a_loaded_workspace(make_workspace):
    sources = [src("pr", kind="primary"), src("wire", derived_from="pr"), src("paper", derived_from=["wire"]),
               src("study", kind="academic")]
    ws, problems = load(make_workspace(sources=sources,
                                       evidence={"a.yaml": {**CLAIM, "sources": ["paper", "study"]}}))
    assert errors_in(problems) == []
    assert origins(ws, ws.item("claim-a")) == {"pr", "study"}


def test_a_retraction_reaches_the_reader_by_title_date_and_reason():
    from briefing.sourcing import cap_note, capped, retraction_note

    gone = src("study", kind="academic", retracted="sampling error", retracted_on="2026-04-02")
    ws, item = model(Source(**gone), Source(id="b", title="B", kind="news"), cites=("study", "b"))
    note = "Rests on a retracted source: “STUDY”, retracted on 2 April 2026 (sampling error)."
    assert retraction_note(ws, item) == note
    # `check` names the id; the briefing's caveat names the title and date instead.
    assert "'study' (sampling error)" in cap_note(ws, item)
    reader = cap_note(ws, item, reader=True)
    assert reader.startswith("Confidence capped at moderate confidence (declared: high confidence)")
    assert "“STUDY”, retracted on 2 April 2026 (sampling error)" in reader and "'study'" not in reader
    shown = capped(ws).evidence[0]
    assert shown.confidence == "moderate" and shown.caveats == (reader,)


def test_a_claim_still_supported_after_a_retraction_gets_the_caveat_but_keeps_its_level():
    from briefing.sourcing import capped

    ws, item = model(Source(id="a", title="A", kind="news"), Source(id="b", title="B", kind="academic"),
                     Source(id="c", title="C", kind="news", retracted="fabricated"), cites=("a", "b", "c"))
    shown = capped(ws).evidence[0]
    assert shown.confidence == "high"
    assert shown.caveats == ("Rests on a retracted source: “C”, retracted (fabricated).",)
