"""The estimative-language check: wording more certain than the confidence behind it."""

from __future__ import annotations

from conftest import CLAIM, line_of, matching, one, problems_of

from briefing.inputs import load_workspace as load

MODERATE = """\
id: claim-m
title: A moderate claim
claim: >
  Officials say that the leak at the plant
  is established beyond any question.
date: 2026-01-01
confidence: moderate
sources: [src-a]
"""


def wording(problems):
    return [p for p in problems if p.severity == "warning" and "says \"" in p.message]


def test_categorical_words_over_a_moderate_claim_point_at_the_word(make_workspace):
    ws = make_workspace(evidence={"m.yaml": MODERATE})
    p = one(problems_of(ws), "says \"is established\" in its claim", "warning")
    # The two-word term breaks across the folded lines; the column is that of "is".
    assert (p.path, p.line, p.column) == ("evidence/m.yaml", 5, 3)
    assert "claim 'claim-m' (moderate confidence)" in p.message
    assert "categorical wording needs high confidence" in p.message


def test_a_judgement_is_held_to_the_weakest_claim_it_rests_on(make_workspace):
    analysis = ("bottom_line:\n"
                "  - id: bl-strong\n"
                "    text: The audit proves the leak.\n"
                "    rests_on: [claim-a]\n"
                "  - id: bl-mixed\n"
                "    title: This cannot wait\n"
                "    text: The audit proves the leak.\n"
                "    rests_on: [claim-a, claim-m]\n")
    moderate = MODERATE.replace("is established beyond any question", "began in March")
    ws = make_workspace(evidence={"a.yaml": CLAIM, "m.yaml": moderate}, files={"analysis.yaml": analysis})
    found = wording(problems_of(ws))
    assert [(p.path, p.line, p.column) for p in found] == [("analysis.yaml", 6, 17), ("analysis.yaml", 7, 21)]
    assert all("judgement 'bl-mixed' (weakest evidence: 'claim-m', moderate confidence)" in p.message
               for p in found)
    assert "\"cannot\" in its title" in found[0].message and "\"proves\" in its text" in found[1].message


def test_likelihood_terms_that_contradict_the_confidence(make_workspace):
    low = {**CLAIM, "id": "claim-l", "confidence": "low", "sources": ["src-a"],
           "claim": "The leak very likely spread; a second leak is Almost Certainly behind it."}
    unsub = {**CLAIM, "id": "claim-u", "confidence": "unsubstantiated", "sources": ["src-a"],
             "title": "A leak is unlikely"}
    ws = make_workspace(evidence={"l.yaml": low, "u.yaml": unsub})
    found = wording(problems_of(ws))
    assert len(found) == 3, [str(p) for p in found]
    very = one(found, "says \"very likely\"", "warning")  # one term: not "likely" inside it as well
    assert "does not fit low confidence, which allows: roughly even chance, roughly even odds" in very.message
    assert (very.line, very.column) == (line_of(ws / "evidence/l.yaml", "very likely"), 17)
    one(found, "says \"Almost Certainly\"", "warning")  # case-insensitive, reported as written
    assert "which allows: no likelihood term" in one(found, "\"unlikely\" in its title", "warning").message


def test_the_scale_file_supplies_the_words(make_workspace):
    scale = """\
name: Custom
anchor: House style
levels:
  - {key: sure, label: Sure, meaning: M, color: "#000000", section: documented,
     likelihood: [odds-on, a safe bet]}
  - {key: fair, label: Fair, meaning: M, color: "#333333", section: alleged, likelihood: [a toss-up]}
  - {key: thin, label: Thin, meaning: M, color: "#666666", section: not_shown, likelihood: []}
wording:
  categorical: [beyond question, settled]
  categorical_from: fair
  likelihood: [odds-on]
"""
    claims = {
        "f.yaml": {**CLAIM, "id": "c-fair", "confidence": "fair", "sources": ["src-a"],
                   "claim": "It is settled and beyond question; a safe bet, and it cannot last."},
        "t.yaml": {**CLAIM, "id": "c-thin", "confidence": "thin", "sources": ["src-a"],
                   "claim": "The matter is settled, a toss-up at best; it is likely."},
    }
    ws = make_workspace(files={"scale.yaml": scale}, evidence=claims)
    found = sorted((p.path, p.message.split("says ")[1].split(" in its")[0]) for p in wording(problems_of(ws)))
    # "cannot" and "likely" are not words of this scale; "settled" is allowed at fair, not at thin.
    assert found == [("evidence/f.yaml", '"a safe bet"'), ("evidence/t.yaml", '"a toss-up"'),
                     ("evidence/t.yaml", '"settled"')]
    model, _ = load(ws)
    assert model.scale.categorical_from == "fair"
    assert model.scale.likelihood == ("odds-on", "a safe bet", "a toss-up")


def test_a_scale_without_the_wording_keys_keeps_working(make_workspace):
    scale = {"name": "Old", "anchor": "A", "levels": [
        {"key": "sure", "label": "Sure", "meaning": "M", "color": "#000000", "section": "documented"},
        {"key": "maybe", "label": "Maybe", "meaning": "M", "color": "#FFFFFF", "section": "alleged"},
        {"key": "low", "label": "Thin", "meaning": "M", "color": "#FFFFFF", "section": "not_shown"}]}
    claims = {
        "s.yaml": {**CLAIM, "id": "c-sure", "confidence": "sure", "claim": "This proves it, almost certainly."},
        "m.yaml": {**CLAIM, "id": "c-maybe", "confidence": "maybe", "claim": "This proves it, almost certainly."},
        "l.yaml": {**CLAIM, "id": "c-low", "confidence": "low", "claim": "It is likely."},
    }
    ws = make_workspace(files={"scale.yaml": scale}, evidence=claims)
    found = wording(problems_of(ws))
    # Packaged categorical words, allowed only at the first level; a level unknown to the packaged
    # scale accepts every likelihood term, and one it knows ("low") takes the packaged list.
    assert sorted((p.path, p.message.split("says ")[1].split(" in its")[0]) for p in found) == [
        ("evidence/l.yaml", '"likely"'), ("evidence/m.yaml", '"proves"')]


def test_categorical_from_must_name_a_level(make_workspace):
    scale = ("name: S\nanchor: A\nlevels:\n"
             "  - {key: sure, label: Sure, meaning: M, color: \"#000000\", section: documented}\n"
             "wording:\n  categorical_from: suer\n")
    ws = make_workspace(files={"scale.yaml": scale}, evidence={"a.yaml": {**CLAIM, "confidence": "sure"}})
    p = one(problems_of(ws), "'categorical_from': `suer` is not a level of the scale")
    assert (p.path, p.line) == ("scale.yaml", 6) and "did you mean 'sure'" in p.message


def test_no_warning_for_allowed_quoted_or_negated_wording(make_workspace):
    high = {**CLAIM, "claim": "Inspectors confirmed the leak; it almost certainly began in March."}
    moderate = {**CLAIM, "id": "claim-m", "confidence": "moderate", "sources": ["src-a"],
                "title": "The leak \"cannot be stopped\", the mayor said",
                "claim": ("The utility says the data “proves the leak is contained”, but this has not been"
                          " confirmed and does not prove it. Repairs are probably not due before May; the"
                          " likelihood of a recall is unconfirmed, and the utility's 'proven' method is"
                          " untested. Confirmedly uncertain, it is unlikely to end soon.")}
    analysis = ("implications:\n  - id: imp-1\n    text: It is likely that repairs are late, and this cannot"
                " be ruled out while the audit proves nothing.\n    rests_on: [claim-a]\n")
    ws = make_workspace(evidence={"a.yaml": high, "m.yaml": moderate}, files={"analysis.yaml": analysis})
    assert wording(problems_of(ws)) == []
    assert not matching(problems_of(ws), "says")


def test_a_claim_capped_by_a_retraction_is_held_to_its_shown_level(make_workspace):
    sources = [{"id": "src-a", "title": "A", "kind": "analysis"},
               {"id": "src-b", "title": "B", "kind": "news", "retracted": "Withdrawn by the publisher"}]
    capped = {**CLAIM, "claim": "The audit proves the leak."}
    analysis = "implications:\n  - id: imp-1\n    text: It is established.\n    rests_on: [claim-a]\n"
    ws = make_workspace(sources=sources, evidence={"a.yaml": capped}, files={"analysis.yaml": analysis})
    found = wording(problems_of(ws))
    # Declared high, shown at moderate once the retracted source no longer counts.
    assert sorted(p.path for p in found) == ["analysis.yaml", "evidence/a.yaml"]
    assert all("moderate confidence" in p.message for p in found)
