"""Truthful on any topic: attribution, retractions and provenance reach the reader of every edition.

A workspace on another topic (lead in a town's tap water), made with `briefing init` and written
here: disputed allegations with an accuser and a disputer, a retracted study with its reason and
date that a claim and the judgements above it rest on, and a relay chain (three outlets repeating
one press release). Every shipped audience is built in PDF and DOCX and read back as text.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml
from conftest import copy_workspace

from briefing.build import build
from briefing.cli import main
from briefing.errors import errors_in
from briefing.inputs import load as load_inputs
from briefing.inputs import load_workspace as load
from briefing.queries import Queries
from briefing.sourcing import capped
from tests.readers import docx_text, fold, pdf_text

HAS_PDF = importlib.util.find_spec("briefing.render_pdf") is not None
FORMATS = ("pdf", "docx") if HAS_PDF else ("docx",)
AUDIENCES = ("executive", "board", "policy", "analyst")

UTILITY, COALITION, LAB = "Riverton Water Company", "Clean Taps Coalition", "State University Water Lab"
RETRACTION = ("retracted on 2 April 2026", "the authors found a sampling error")
PRESS_RELEASE = "Riverton Water Company statement on lead levels"
RELAYS = ("Valley Gazette", "Metro Herald", "State Wire")

SOURCES = [
    {"id": "rwc-release", "type": "report", "title": PRESS_RELEASE, "publisher": UTILITY,
     "issued": "2026-02-01", "URL": "https://example.org/rwc", "kind": "primary", "interested": True},
    *({"id": f"relay-{i}", "type": "article-newspaper", "title": f"Utility says the water is safe ({name})",
       "container-title": name, "issued": "2026-02-02", "URL": f"https://example.org/relay-{i}", "kind": "news",
       "derived_from": ["rwc-release"]} for i, name in enumerate(RELAYS, 1)),
    {"id": "coalition-statement", "type": "report", "title": "Riverton families demand the test results",
     "publisher": COALITION, "issued": "2026-02-05", "URL": "https://example.org/ctc", "kind": "primary",
     "interested": True},
    {"id": "state-lab", "type": "report", "title": "Lead in Eastside tap water", "publisher": LAB,
     "issued": "2026-02-10", "URL": "https://example.org/lab", "kind": "academic",
     "retracted": "the authors found a sampling error", "retracted_on": "2026-04-02"},
    {"id": "county-health", "type": "report", "title": "County water quality bulletin",
     "publisher": "County Health Department", "issued": "2026-02-12", "URL": "https://example.org/county",
     "kind": "filing"},
    {"id": "council-minutes", "type": "report", "title": "Council minutes on mains replacement",
     "publisher": "Riverton City Council", "issued": "2026-01-20", "URL": "https://example.org/council",
     "kind": "filing"},
]

EVIDENCE = {
    "utility-says-safe": {
        "title": "The utility says lead is within federal limits", "date": "2026-02-01", "confidence": "moderate",
        "claim": "The water company says every sample it took in January was below the federal action level.",
        "sources": ["relay-1", "relay-2", "relay-3"],
        "actors": [{"name": UTILITY, "role": "accuser"}],
        "disputes": [{"by": COALITION, "text": "The coalition says the samples came from flushed taps.",
                      "source": "coalition-statement"}],
        "tags": ["policy-timeline"], "event": "Utility statement",
    },
    "coalition-withheld": {
        "title": "Residents accuse the utility of withholding results", "date": "2026-02-05",
        "confidence": "moderate",
        "claim": "A residents' coalition accuses the water company of withholding household test results.",
        "sources": ["coalition-statement"],
        "actors": [{"name": COALITION, "role": "accuser"}, {"name": UTILITY, "role": "accused"}],
        "disputes": [{"by": UTILITY, "text": "The company says it published every result.",
                      "source": "rwc-release"}],
        "tags": ["legal-avenue"],
    },
    "eastside-lead": {
        "title": "Eastside homes exceed the lead action level", "date": "2026-02-10", "confidence": "high",
        "claim": "Tap water in Eastside homes was measured above the lead action level.",
        "sources": ["state-lab", "county-health"],
        "actors": [{"name": LAB, "role": "researcher"}],
        "figures": [{"metric": "lead-concentration", "actor": "Eastside homes", "value": 48, "unit": "ppb",
                     "source": "state-lab"}],
        "disputes": [{"by": UTILITY, "text": "The company calls the sampling flawed.", "source": "rwc-release"}],
    },
    "mains-replaced": {
        "title": "The city replaced lead mains in 2025", "date": "2026-01-20", "confidence": "high",
        "claim": "The city council and the county record that 3 km of lead mains were replaced in 2025.",
        "sources": ["council-minutes", "county-health"],
        "figures": [{"metric": "mains-replaced", "actor": "Riverton", "value": 3, "unit": "km",
                     "source": "council-minutes"}],
    },
}

JUDGEMENTS = {
    "bottom_line": [{"id": "bl-lead", "title": "Lead may be reaching homes",
                     "text": "Eastside homes may be drinking water above the lead action level.",
                     "rests_on": ["eastside-lead", "coalition-withheld"]}],
    "why_it_matters": [{"id": "wim-health", "title": "Children are most at risk",
                        "text": "Lead harms children's development at low doses.", "rests_on": ["eastside-lead"]}],
    "implications": [{"id": "imp-test", "title": "Test every Eastside home",
                      "text": "Commission independent testing of Eastside homes.",
                      "rests_on": ["eastside-lead", "utility-says-safe"]}],
    "policy_options": [{"id": "opt-filters", "title": "Hand out filters",
                        "text": "Give every Eastside household a certified filter.", "rests_on": ["eastside-lead"]}],
}
RESTING_ON_RETRACTED = ("Lead may be reaching homes", "Children are most at risk", "Test every Eastside home",
                        "Hand out filters")


def _write(path: Path, data) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def make_water_workspace(root: Path) -> Path:
    """`briefing init`, then the water story: edition 1 recorded with two claims, edition 2 with all four."""
    assert main(["init", str(root)]) == 0
    (root / "evidence" / "example-claim.yaml").unlink()
    _write(root / "sources.yaml", {"references": SOURCES})
    meta = yaml.safe_load((root / "briefing.yaml").read_text(encoding="utf-8"))
    _write(root / "briefing.yaml", {**meta, "title": "Lead in Riverton's water", "date": "2026-03-01",
                                    "edition": "1"})
    for eid in ("mains-replaced", "utility-says-safe"):
        _write(root / "evidence" / f"{eid}.yaml", {"id": eid, **EVIDENCE[eid]})
    _write(root / "analysis.yaml", {"implications": [{"id": "imp-mains", "title": "Finish the mains",
                                                      "text": "Fund the rest of the mains.",
                                                      "rests_on": ["mains-replaced"]}]})
    assert main(["publish", "--workspace", str(root)]) == 0
    _write(root / "briefing.yaml", {**meta, "title": "Lead in Riverton's water", "date": "2026-05-01",
                                    "edition": "2"})
    for eid, body in EVIDENCE.items():
        _write(root / "evidence" / f"{eid}.yaml", {"id": eid, **body})
    _write(root / "analysis.yaml", JUDGEMENTS)
    return root


@pytest.fixture(scope="module")
def water(tmp_path_factory):
    """The water workspace, loaded, and every shipped audience built: (ws, {(audience, fmt): text})."""
    root = make_water_workspace(tmp_path_factory.mktemp("water") / "riverton")
    ws, problems = load(root)
    assert not errors_in(problems), [str(p) for p in problems]
    texts = {}
    for name in AUDIENCES:
        result = build(root, audience=name, formats=FORMATS, out_dir=root / "out")
        for fmt, path in result.outputs.items():
            path = root / "out" / Path(path).name
            texts[(name, fmt)] = pdf_text(path) if fmt == "pdf" else docx_text(path)
    return ws, texts


def _without_box(text: str) -> tuple[str, str]:
    """The text without the "What changed" box, and the box (which names judgements by title only)."""
    if "What changed since edition" not in text:
        return text, ""
    start = text.index("What changed since edition")
    end = min(i for i in (text.find(h, start) for h in ("Key figures", "The allegations, quantified")) if i > 0)
    return text[:start] + text[end:], text[start:end]


def _body_and_refs(text: str) -> tuple[str, str]:
    """The text before the reference list (and the ledger after it), and the reference list itself."""
    start = text.rindex("References")
    end = text.find("Appendix: claims ledger", start)
    refs = text[start:end if end > 0 else None]
    return text[:start] + (text[end:] if end > 0 else ""), refs


def _windows(text: str, needle: str, after: int = 1000, before: int = 0):
    """The text around each occurrence of `needle` (whitespace folded), for checking what goes with it."""
    flat = fold(text)
    return [flat[max(m.start() - before, 0):m.start() + after] for m in re.finditer(re.escape(fold(needle)), flat)]


# -- attribution -----------------------------------------------------------------------------------
def test_every_allegation_names_its_accuser_and_disputer_in_every_edition(water):
    ws, texts = water
    q = Queries(capped(ws))
    allegations = [e for e in q.evidence if q.is_allegation(e)]
    assert {e.id for e in allegations} == {"utility-says-safe", "coalition-withheld", "eastside-lead"}
    for (name, fmt), text in texts.items():
        body, _ = _body_and_refs(text)
        seen = 0
        for e in allegations:
            a = q.attribution(e)
            for window in _windows(body, e.title, before=120):  # "Disputed by" tags come first
                seen += 1
                for who in (*a.alleged_by, *a.disputed_by):
                    assert who in window, (name, fmt, e.title, who, window)
        assert seen, (name, fmt)  # each edition shows at least one allegation


def test_attribution_is_compact_and_comes_from_the_data(water):
    ws, texts = water
    q = Queries(capped(ws))
    assert q.attribution(q.item("utility-says-safe")).text == f"alleged by {UTILITY}; disputed by {COALITION}"
    assert q.attribution(q.item("coalition-withheld")).text == f"alleged by {COALITION}; disputed by {UTILITY}"
    # No accuser among its actors and no interested origin: its origins report it.
    assert q.attribution(q.item("eastside-lead")).text == (f"reported by County Health Department and {LAB};"
                                                           f" disputed by {UTILITY}")
    assert not q.attribution(q.item("mains-replaced"))
    for fmt in FORMATS:
        executive = texts[("executive", fmt)]
        assert "What is alleged or disputed" in executive
        assert f"(alleged by {UTILITY}; disputed by {COALITION})" in executive
        board = texts[("board", fmt)]
        assert f"(alleged by {COALITION}; disputed by {UTILITY})" in board


def test_the_what_changed_box_attributes_new_claims(water):
    _, texts = water
    for fmt in FORMATS:
        text = texts[("executive", fmt)]
        box = text[text.index("What changed since edition 1"):text.index("Key figures")
                   if "Key figures" in text else None][:3000]
        assert f"Residents accuse the utility of withholding results (alleged by {COALITION}; disputed by" \
               f" {UTILITY})" in box
        assert "Lead in Eastside tap water (retracted on 2 April 2026: the authors found a sampling error)" in box


# -- retractions -----------------------------------------------------------------------------------
def test_every_judgement_resting_on_a_retraction_carries_it_in_every_edition(water):
    ws, texts = water
    for (name, fmt), text in texts.items():
        body, box = _without_box(_body_and_refs(text)[0])
        for title in RESTING_ON_RETRACTED:
            for window in _windows(box, title, after=len(title) + 40):
                assert "(rests on a retracted source)" in window, (name, fmt, title, window)
        shown = [t for t in RESTING_ON_RETRACTED if t in fold(body)]
        assert shown, (name, fmt)
        for title in shown:
            for window in _windows(body, title, after=900):
                assert "Eastside homes exceed the lead action level" in window and "retracted" in window, \
                    (name, fmt, title, window)
                assert all(r in window for r in RETRACTION), (name, fmt, title, window)


def test_the_reference_list_marks_the_retracted_source_with_reason_and_date(water):
    _, texts = water
    for (name, fmt), text in texts.items():
        _, refs = _body_and_refs(text)
        assert "Lead in Eastside tap water" in refs, (name, fmt)
        assert "Retracted on 2 April 2026: the authors found a sampling error" in fold(refs), (name, fmt)
        # Only the retracted source is marked.
        assert fold(refs).count("Retracted on") == 1, (name, fmt)


def test_a_claim_resting_on_the_retraction_is_capped_with_the_reason(water):
    _, texts = water
    for fmt in FORMATS:
        text = fold(texts[("analyst", fmt)])
        assert ("Confidence capped at moderate confidence (declared: high confidence) because it rests on a"
                " retracted source: “Lead in Eastside tap water”, retracted on 2 April 2026 (the authors found a"
                " sampling error)") in text


# -- provenance ------------------------------------------------------------------------------------
def test_the_origin_is_in_the_references_whenever_a_relay_is(water):
    _, texts = water
    relayed_somewhere = False
    for (name, fmt), text in texts.items():
        _, refs = _body_and_refs(text)
        if any(f"({r})" in refs or r in refs for r in RELAYS):
            relayed_somewhere = True
            assert PRESS_RELEASE in refs, (name, fmt)
    assert relayed_somewhere


def test_the_ledger_names_relays_as_relays_and_the_origins(water):
    _, texts = water
    for fmt in FORMATS:
        text = fold(texts[("analyst", fmt)])
        ledger = text[text.index("Appendix: claims ledger"):]
        for relay in RELAYS:
            assert re.search(re.escape(relay) + r"\s*[\d,–]*\s*\(relays " + re.escape(UTILITY), ledger), relay
        assert re.search(r"Origin:\s*" + re.escape(UTILITY) + r"\s*[\d,–]*\s*\(an interested party\)", ledger)


# -- the shipped workspace -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped_executive(tmp_path_factory):
    """The shipped workspace with one source the bottom line rests on retracted, built for executives."""
    root = copy_workspace(tmp_path_factory.mktemp("shipped"))
    sources = root / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    anchor = "  - id: winston-2025-deepseek-ip\n"
    assert anchor in text
    sources.write_text(text.replace(anchor, anchor + '    retracted: "withdrawn by the firm"\n'
                                    "    retracted_on: 2026-06-01\n"), encoding="utf-8")
    ws = load_inputs(root).checked().workspace
    result = build(root, audience="executive", formats=FORMATS, out_dir=root / "out")
    texts = {fmt: (pdf_text if fmt == "pdf" else docx_text)(root / "out" / Path(p).name)
             for fmt, p in result.outputs.items()}
    return ws, texts


def test_shipped_executive_attributes_every_allegation_it_shows(shipped_executive):
    ws, texts = shipped_executive
    q = Queries(capped(ws), "executive")
    for fmt, text in texts.items():
        body, _ = _body_and_refs(text)
        assert "What is alleged or disputed" in body
        seen = 0
        for e in q.evidence:
            if not q.is_allegation(e):
                continue
            a = q.attribution(e)
            assert a.alleged_by, e.id
            for window in _windows(body, e.title, before=120):  # "Disputed by" tags come first
                seen += 1
                for who in (*a.alleged_by, *a.disputed_by):
                    assert who in window, (fmt, e.title, who, window)
        assert seen >= 3, fmt
        assert re.search(r"\d+ further claims? in the analyst edition", body[body.index("What is alleged"):])


def test_shipped_executive_carries_the_retraction_to_judgements_and_references(shipped_executive):
    ws, texts = shipped_executive
    q = Queries(capped(ws), "executive")
    hit = [j for s in ("bottom_line", "implications") for j in q.judgements(s) if q.judgement_caveats(j)]
    assert hit  # the bottom line rests on the capped OpenAI claim
    for fmt, text in texts.items():
        body, refs = _body_and_refs(text)
        body, box = _without_box(body)
        for j in hit:
            needle = j.title or j.text
            for window in _windows(box, needle, after=len(needle) + 40):
                assert "(rests on a retracted source)" in window, (fmt, needle)
            assert _windows(body, needle), (fmt, needle)
            for window in _windows(body, needle, after=2500):
                assert "retracted on 1 June 2026 (withdrawn by the firm)" in window, (fmt, needle)
        assert "Retracted on 1 June 2026: withdrawn by the firm" in fold(refs), fmt


def test_a_users_own_audience_built_from_the_shipped_sections_attributes_too(tmp_path):
    root = make_water_workspace(tmp_path / "riverton")
    (root / "templates" / "audiences").mkdir(parents=True, exist_ok=True)
    (root / "templates" / "audiences" / "council.yaml").write_text(
        "description: Councillors - the bottom line, one allegation, and the options\n"
        "sections: [bottom_line, alleged, policy_options, references]\n"
        "claims_per_section: 1\nrank_by: [bottom_line]\nfull_edition: analyst\npage_budget: 4\n", encoding="utf-8")
    result = build(root, audience="council", formats=("docx",), out_dir=root / "out")
    text = docx_text(root / "out" / Path(result.outputs["docx"]).name)
    body, refs = _body_and_refs(text)
    # The one allegation shown names both parties, and the section says what it left out.
    assert re.search(r"\((alleged|reported) by [^)]*; disputed by [^)]*\)", body)
    assert "2 further claims in the analyst edition" in body
    for window in _windows(body, "Hand out filters"):
        assert all(r in window for r in RETRACTION), window
    assert "Retracted on 2 April 2026: the authors found a sampling error" in fold(refs)


# -- figures: the key-figures table, the board's figure line and chart captions attribute too ----------
def test_figures_name_who_alleges_and_disputes_them_in_every_edition(shipped_executive, tmp_path):
    """A figure is an allegation when its claim is: the row, the board's ranking and the chart caption say who."""
    ws, texts = shipped_executive
    q = Queries(capped(ws), "executive")
    rows = [r for r in q.key_figures(("exchanges",)) if q.combined_attribution(r.claims)]
    assert rows and any(q.combined_attribution(r.claims).disputed_by for r in rows)
    for fmt, text in texts.items():
        body, _ = _body_and_refs(text)
        body, _ = _without_box(body)
        table = body[body.index("Key figures"):]
        for r in rows:
            a = q.combined_attribution(r.claims)
            window = _windows(table, r.actor, after=400)[0]
            assert a.text in window, (fmt, r.actor, a.text, window)
        caption = _windows(body, "Figure 1.", after=1200)[0]
        assert "Values alleged by Anthropic" in caption, (fmt, caption)
    root = copy_workspace(tmp_path)
    result = build(root, audience="board", formats=FORMATS, out_dir=root / "out")
    for fmt, p in result.outputs.items():
        text = fold((pdf_text if fmt == "pdf" else docx_text)(root / "out" / Path(p).name))
        line = text[text.index("Largest reported figures"):]
        top = q.largest(metrics=("exchanges",))[0]
        assert top.actor in line[:200] and q.combined_attribution(top.claims).text in line[:400], (fmt, line[:400])


def test_combined_attribution_merges_the_claims_behind_a_row(water):
    ws, _ = water
    q = Queries(capped(ws), "analyst")
    a = q.combined_attribution([q.item("utility-says-safe"), q.item("coalition-withheld")])
    assert a.alleged_by == (UTILITY, COALITION) and a.disputed_by == (COALITION, UTILITY)
    assert not q.combined_attribution([q.item("mains-replaced")])
