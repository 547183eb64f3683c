"""Editions: publish records the evidence, diff and the briefing's box say what changed since, check flags moves."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import copy_workspace, edit

from briefing.build import build
from briefing.changes import changes_for, compare
from briefing.chart_data import chart_data
from briefing.cli import main
from briefing.editions import (
    baseline,
    publish,
    read_edition,
    recorded,
    snapshot,
    to_yaml,
)
from briefing.errors import BriefingError, errors_in
from briefing.inputs import load_workspace as load
from briefing.sourcing import capped, effective_level
from tests.readers import docx_text, pdf_text

REPO = Path(__file__).resolve().parents[2]
ALIBABA = sorted(p.stem for p in (REPO / "evidence").glob("2026-06-alibaba-*.yaml"))




@pytest.fixture
def ws_copy(tmp_path) -> Path:
    return copy_workspace(tmp_path / "ws")


def loaded(root: Path):
    ws, problems = load(root)
    assert ws is not None and not errors_in(problems), "\n".join(map(str, problems))
    return ws, problems


def set_field(path: Path, key: str, value: str) -> None:
    """Replace a top-level field of an evidence file (its line and any indented continuation)."""
    text = path.read_text("utf-8")
    pattern = re.compile(rf"^{key}:.*\n(?:[ \t]+.*\n)*", re.M)
    assert pattern.search(text), f"{key} not in {path.name}"
    path.write_text(pattern.sub(lambda _: f"{key}: {json.dumps(value)}\n", text, count=1), "utf-8")


def diff_output(root: Path, capsys, *args: str) -> str:
    capsys.readouterr()
    assert main(["diff", "-w", str(root), *args]) == 0
    return capsys.readouterr().out


NEW_SOURCE = """
  - id: reuters-2026-zeta
    type: article-newspaper
    title: Zeta Labs named in a fourth distillation complaint
    container-title: Reuters
    issued: 2026-07-02
    URL: https://www.reuters.com/technology/zeta-labs-distillation
    kind: news
"""

NEW_CLAIM = """\
id: 2026-07-zeta-labs
title: A fourth lab, Zeta Labs, is accused
claim: >
  Reuters reports that Anthropic has accused Zeta Labs of running about 4.2 million exchanges
  through fraudulent accounts.
date: 2026-07-02
confidence: moderate
sources:
  - reuters-2026-zeta
actors:
  - {name: Anthropic, role: accuser}
  - {name: Zeta Labs, role: accused}
figures:
  - {metric: exchanges, actor: Zeta Labs, value: 4200000, unit: exchanges, approx: true, source: reuters-2026-zeta}
tags: [july-2026]
event: Zeta Labs accused
reason: One news report of the accuser's statement; not independently verified.
"""


def add_zeta(root: Path) -> None:
    """The analyst's workflow: a new source and a new evidence file, nothing else edited."""
    with open(root / "sources.yaml", "a", encoding="utf-8") as fh:
        fh.write(NEW_SOURCE)
    (root / "evidence" / "2026-07-zeta-labs.yaml").write_text(NEW_CLAIM, "utf-8")


# -- the story out of the box ------------------------------------------------------------------------


def test_default_workspace_records_february_and_june_editions():
    numbers = recorded(REPO)
    assert sorted(numbers) == [1, 2]
    feb, june = read_edition(REPO, 1), read_edition(REPO, 2)
    assert (feb.number, feb.date, june.number, june.date) == (1, "2026-02-28", 2, "2026-06-30")
    assert not any(c.id.startswith("2026-06-alibaba") for c in feb.claims)
    assert "bl-june-escalation" not in {j.id for j in feb.judgements}
    assert len(ALIBABA) == 7 and set(ALIBABA) <= {c.id for c in june.claims}


def test_diff_since_1_shows_the_alibaba_case_as_the_new_allegation(capsys):
    ws, _ = loaded(REPO)
    ch = compare(read_edition(REPO, 1), snapshot(ws), ws)
    assert sorted(c.id for c in ch.new_claims) == ALIBABA
    assert [j.id for j in ch.new_judgements] == ["bl-june-escalation"]
    assert not ch.removed_claims and not ch.moves
    assert {"anthropic-2026-senate-letter", "tomshardware-2026-alibaba"} <= {s.id for s in ch.new_sources}
    out = diff_output(REPO, capsys, "--since", "1")
    assert out.startswith("Changes since edition 1 (2026-02-28, editions/1.yaml):")
    assert "New claims (7)" in out and "2026-06-alibaba-letter: Anthropic told the Senate" in out
    assert "New judgements (1)" in out and "bl-june-escalation" in out


def test_the_box_compares_with_the_edition_before_the_current_one():
    ws, _ = loaded(REPO)
    assert ws.meta.edition == "2" and baseline(ws).number == 1  # edition 2 is on record: compare with 1
    ch = changes_for(ws, baseline(ws))
    assert ch.since == 1 and sorted(c.id for c in ch.new_claims) == ALIBABA


# -- the workflow: add evidence, check, build -------------------------------------------------------------


def test_adding_evidence_updates_totals_references_diff_and_briefing(ws_copy, capsys):
    out = ws_copy / "out"
    before = build(ws_copy, formats=("docx",), out_dir=out)
    add_zeta(ws_copy)
    assert main(["check", "-w", str(ws_copy)]) == 0
    after = build(ws_copy, formats=("docx",), out_dir=out)
    assert after.claims == before.claims + 1
    assert after.references == before.references + 1
    text = docx_text(out / Path(after.outputs["docx"]).name)
    box = text[text.index("What changed since edition 1"):]
    assert "A fourth lab, Zeta Labs, is accused" in box[:3000]  # in the box, with its label
    assert text.count("A fourth lab, Zeta Labs, is accused") >= 1
    assert "Zeta Labs named in a fourth distillation complaint" in text  # the new reference
    assert "about 4.2 million" in text  # the key figures
    ws, _ = loaded(ws_copy)
    charts = {c.id: chart_data(ws, c) for c in ws.charts}
    assert any(b.actor == "Zeta Labs" and b.value == 4200000 for b in charts["extraction-scale"].series)
    assert any(ev.label == "Zeta Labs accused" for ev in charts["timeline"].series)

    out_text = diff_output(ws_copy, capsys)  # since the last recorded edition, 2
    assert "Changes since edition 2" in out_text
    assert "New claims (1)" in out_text and "2026-07-zeta-labs: A fourth lab, Zeta Labs, is accused" in out_text
    assert "New sources (1)" in out_text and "reuters-2026-zeta" in out_text
    assert "Removed claims" not in out_text


def test_new_evidence_reaches_the_pdf(ws_copy):
    pytest.importorskip("briefing.render_pdf")
    add_zeta(ws_copy)
    result = build(ws_copy, formats=("pdf",), out_dir=ws_copy / "out")
    text = pdf_text(ws_copy / "out" / Path(result.outputs["pdf"]).name)
    assert "What changed since edition 1" in text
    assert "A fourth lab, Zeta Labs, is accused" in text
    assert "Zeta Labs named in a fourth distillation complaint" in text


# -- what diff detects --------------------------------------------------------------------------------------


def test_confidence_and_figure_changes_are_detected_with_their_reasons(ws_copy, capsys):
    minimax = ws_copy / "evidence" / "minimax-exchanges.yaml"
    edit(minimax, "confidence: moderate", "confidence: low")
    edit(minimax, "value: 13000000", "value: 14000000")
    set_field(minimax, "reason", "Downgraded: MiniMax's former reseller deal explains much of the traffic.")
    friction = ws_copy / "evidence" / "api-friction-expected.yaml"
    edit(friction, "confidence: low", "confidence: moderate")
    set_field(friction, "reason", "Now observed by two developer forums.")
    ws, problems = loaded(ws_copy)
    ch = compare(read_edition(ws_copy, 2), snapshot(ws), ws)
    assert [(m.id, m.old_key, m.new_key) for m in ch.downgrades] == [("minimax-exchanges", "moderate", "low")]
    assert "former reseller deal" in ch.downgrades[0].reason
    assert [(m.id, m.old_key, m.new_key) for m in ch.upgrades] == [("api-friction-expected", "low", "moderate")]
    assert ch.upgrades[0].reason == "Now observed by two developer forums."
    [fig] = ch.figures
    assert (fig.claim_id, fig.actor, fig.metric, fig.old, fig.new) == (
        "minimax-exchanges", "MiniMax", "exchanges", (13000000,), (14000000,))
    # Judgements resting on a claim whose confidence moved are flagged for review.
    review = [p for p in problems if "review it" in p.message]
    assert any("bl-gap-closing-enforcement" in p.message and "minimax-exchanges (moderate -> low)" in p.message
               for p in review)
    assert {j.id for j in ch.review} >= {"bl-gap-closing-enforcement", "wim-cheap-gap-closing"}
    out = diff_output(ws_copy, capsys)
    assert out.index("Confidence upgrades") < out.index("Confidence downgrades") < out.index("Changed figures")
    assert "minimax-exchanges: MiniMax, exchanges, per anthropic-2026-distillation: 13,000,000 -> 14,000,000" in out
    assert "minimax-exchanges: Moderate confidence -> Low confidence" in out and "former reseller deal" in out

    result = build(ws_copy, formats=("docx",), out_dir=ws_copy / "out")
    text = docx_text(ws_copy / "out" / Path(result.outputs["docx"]).name)
    box = text[text.index("What changed since edition 1"):][:4000]
    assert "Confidence moves" in box and "former reseller deal" in box and "Now observed by two" in box
    assert re.search(r"MiniMax, Exchanges: about 13 million exchanges\s*→\s*about 14 million exchanges", box)


def test_check_wants_a_fresh_reason_when_confidence_moves(ws_copy):
    minimax = ws_copy / "evidence" / "minimax-exchanges.yaml"
    edit(minimax, "confidence: moderate", "confidence: low")
    _, problems = loaded(ws_copy)
    [p] = [p for p in problems if p.message.startswith("confidence changed since edition 1")]
    assert p.path == "evidence/minimax-exchanges.yaml" and p.severity == "warning"
    assert "still edition 1's" in p.message
    set_field(minimax, "reason", "")
    _, problems = loaded(ws_copy)
    assert any("gives no `reason`" in p.message for p in problems)


def test_a_removed_claim_is_detected(ws_copy, capsys):
    (ws_copy / "evidence" / "musk-hypocrisy.yaml").unlink()
    ws, _ = loaded(ws_copy)
    ch = compare(read_edition(ws_copy, 2), snapshot(ws), ws)
    assert [c.id for c in ch.removed_claims] == ["musk-hypocrisy"]
    assert ch.removed_claims[0].label == "Moderate confidence"
    assert not ch.new_claims and not ch.moves
    out = diff_output(ws_copy, capsys)
    assert "Removed claims (1)\n  musk-hypocrisy: Elon Musk accused Anthropic of hypocrisy" in out


def test_a_changed_judgement_basis_is_reported(ws_copy):
    analysis = ws_copy / "analysis.yaml"
    edit(analysis, "      - kimi-tool-use-similarity\n  - id: opt-independent-verification",
         "  - id: opt-independent-verification")
    ws, _ = loaded(ws_copy)
    ch = compare(read_edition(ws_copy, 2), snapshot(ws), ws)
    assert [(j.id, j.because) for j in ch.review] == [("opt-build-durable-advantage", ("kimi-tool-use-similarity",))]


# -- publish and diff ------------------------------------------------------------------------------------


def test_publish_and_diff_round_trip(ws_copy, capsys):
    add_zeta(ws_copy)
    edit(ws_copy / "briefing.yaml", 'edition: "2"', 'edition: "3"')
    edit(ws_copy / "briefing.yaml", "date: 2026-06-30", "date: 2026-07-03")
    capsys.readouterr()
    assert main(["publish", "-w", str(ws_copy)]) == 0
    said = capsys.readouterr().out
    assert said.startswith("recorded edition 3 (2026-07-03): 52 claims") and "editions/3.yaml" in said
    ws, _ = loaded(ws_copy)
    third = read_edition(ws_copy, 3)
    assert third.state == snapshot(ws).state and third.date == "2026-07-03"
    # The file is the deterministic rendering of the snapshot: same evidence, same bytes.
    assert (ws_copy / "editions" / "3.yaml").read_text("utf-8") == to_yaml(snapshot(ws, 3, "2026-07-03"))
    assert diff_output(ws_copy, capsys).endswith("(2026-07-03, editions/3.yaml): none.\n")
    since2 = diff_output(ws_copy, capsys, "--since", "2")
    assert "New claims (1)" in since2 and "2026-07-zeta-labs" in since2
    # The briefing of edition 3 now reports what changed since edition 2.
    ch = changes_for(ws, baseline(ws))
    assert ch.since == 2 and [c.id for c in ch.new_claims] == ["2026-07-zeta-labs"]


def test_publish_takes_a_date_and_refuses_a_bad_one(ws_copy):
    add_zeta(ws_copy)
    edit(ws_copy / "briefing.yaml", 'edition: "2"', 'edition: "3"')
    with pytest.raises(BriefingError, match="not a date"):
        publish(load(ws_copy)[0], "next week")
    path, ed = publish(load(ws_copy)[0], "2026-07-10")
    assert ed.date == "2026-07-10" and read_edition(ws_copy, 3, path).date == "2026-07-10"


def test_publishing_twice_is_refused(ws_copy, capsys):
    capsys.readouterr()
    before = sorted(p.name for p in (ws_copy / "editions").iterdir())
    assert main(["publish", "-w", str(ws_copy)]) == 1
    err = capsys.readouterr().err
    assert err == "error: nothing changed since edition 2 (editions/2.yaml); there is nothing new to publish\n"
    add_zeta(ws_copy)  # a change, but briefing.yaml still says edition 2
    assert main(["publish", "-w", str(ws_copy)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("briefing.yaml:") and 'set `edition: "3"`' in err and err.count("\n") == 1
    assert sorted(p.name for p in (ws_copy / "editions").iterdir()) == before


def test_diff_errors_are_one_line(ws_copy, capsys):
    capsys.readouterr()
    assert main(["diff", "-w", str(ws_copy), "--since", "7"]) == 1
    assert capsys.readouterr().err == "editions: error: edition 7 is not recorded; recorded: 1, 2\n"
    shutil.rmtree(ws_copy / "editions")
    assert main(["diff", "-w", str(ws_copy)]) == 1
    assert "no edition is recorded yet" in capsys.readouterr().err


@pytest.mark.parametrize("corruption, message", [
    (lambda t: t.replace("edition: 1", "edition: one"), "'edition' must be a whole number"),
    (lambda t: t.replace("  confidence: moderate\n", "  confidence: [moderate]\n", 1), "'confidence' must be text"),
    (lambda t: t + "claims: []\n", "duplicate key 'claims'"),
    (lambda t: t.replace("claims:\n", "claims: {\n", 1), "invalid YAML"),
    (lambda t: t.replace("date: '2026-02-28'", "date: late February"), "is not a date"),
    (lambda t: t.replace("edition: 1", "edition: 4"), "the file records edition 4"),
])
def test_a_corrupt_edition_is_a_one_line_error_with_file_and_line(ws_copy, capsys, corruption, message):
    path = ws_copy / "editions" / "1.yaml"
    path.write_text(corruption(path.read_text("utf-8")), "utf-8")
    capsys.readouterr()
    assert main(["diff", "-w", str(ws_copy), "--since", "1"]) == 1
    err = capsys.readouterr().err
    assert re.match(r"editions/1\.yaml:\d+:\d+: error: ", err) and message in err and err.count("\n") == 1
    # check reports it too (the box and the review warnings read the same file), and so does build.
    _, problems = load(ws_copy)
    assert any(p.path == "editions/1.yaml" and p.severity == "error" and message in p.message for p in problems)


# -- retracted sources -----------------------------------------------------------------------------------


def test_a_retracted_source_flags_what_rests_on_it_and_caps_confidence(ws_copy, capsys):
    edit(ws_copy / "sources.yaml", "  - id: winston-2025-deepseek-ip\n",
         '  - id: winston-2025-deepseek-ip\n    retracted: "withdrawn by the firm in July 2026"\n')
    ws, problems = loaded(ws_copy)  # a cap is a warning, not an error: the build goes on
    claim = ws.item("openai-2025-deepseek-accusation")
    assert claim.confidence == "high" and effective_level(ws, claim).key == "moderate"
    summary = [p for p in problems if p.message.startswith("source 'winston-2025-deepseek-ip' is retracted")]
    assert len(summary) == 1 and summary[0].path == "sources.yaml"
    assert "openai-2025-deepseek-accusation" in summary[0].message
    assert "bl-accusation-documented" in summary[0].message  # the judgement resting on the claim
    assert any(p.path == "evidence/openai-2025-deepseek-accusation.yaml" and "Confidence capped at moderate"
               in p.message for p in problems)
    assert any("judgement 'bl-accusation-documented'" in p.message and "changed since edition 1" in p.message
               for p in problems)

    shown = capped(ws).item("openai-2025-deepseek-accusation")
    assert shown.confidence == "moderate" and "retracted" in shown.caveats[-1]
    ch = compare(read_edition(ws_copy, 2), snapshot(ws), ws)
    [move] = ch.downgrades
    assert (move.id, move.old_key, move.new_key) == ("openai-2025-deepseek-accusation", "high", "moderate")
    assert "withdrawn by the firm" in move.reason
    assert [s.id for s in ch.retracted_sources] == ["winston-2025-deepseek-ip"]
    out = diff_output(ws_copy, capsys)
    assert "Retracted sources (1)" in out and "withdrawn by the firm in July 2026" in out

    result = build(ws_copy, audience="analyst", formats=("docx",), out_dir=ws_copy / "out")
    text = docx_text(ws_copy / "out" / Path(result.outputs["docx"]).name)
    box = text[text.index("What changed since edition 1"):][:4000]
    assert "OpenAI accused DeepSeek" in box and "Confidence capped at moderate" in box
    body = text[text.index("What changed since edition 1") + len(box):]
    # Shown at its capped level, with the reason, outside the documented section.
    assert "Confidence capped at moderate confidence (declared: high confidence)" in body


def test_relaying_a_retracted_source_is_resting_on_it(ws_copy):
    edit(ws_copy / "sources.yaml", "  - id: anthropic-2026-distillation\n",
         '  - id: anthropic-2026-distillation\n    retracted: "discredited in a test"\n')
    ws, problems = loaded(ws_copy)
    # minimax-exchanges cites the retracted post and Bloomberg, which only relays it: no origin is left,
    # so the claim falls to the least confident level; nothing is ever raised.
    minimax = ws.item("minimax-exchanges")
    assert effective_level(ws, minimax).key == "unsubstantiated"
    assert any(p.path == "evidence/minimax-exchanges.yaml" and "relays retracted source 'anthropic-2026-distillation'"
               in p.message for p in problems)
    assert all(effective_level(ws, e).rank >= ws.scale.get(e.confidence).rank for e in ws.evidence)
    [summary] = [p for p in problems if p.message.startswith("source 'anthropic-2026-distillation' is retracted")]
    assert "minimax-exchanges" in summary.message and "feb-accusation" in summary.message


def test_publish_refuses_a_date_before_the_previous_editions(ws_copy, capsys):
    add_zeta(ws_copy)
    edit(ws_copy / "briefing.yaml", 'edition: "2"', 'edition: "3"')
    with pytest.raises(BriefingError, match=r"date 2026-06-29 is before the date of edition 2 \(2026-06-30"):
        publish(load(ws_copy)[0], "2026-06-29")
    with pytest.raises(BriefingError, match="before the date of edition 2"):
        publish(load(ws_copy)[0], "2026-05")  # a partial date compares at its own precision
    edit(ws_copy / "briefing.yaml", "date: 2026-06-30", "date: 2026-01-02")
    capsys.readouterr()
    assert main(["publish", "-w", str(ws_copy)]) == 1  # briefing.yaml's date, named at its line
    err = capsys.readouterr().err
    assert err.startswith("briefing.yaml:") and "before the date of edition 2" in err and err.count("\n") == 1
    assert not (ws_copy / "editions" / "3.yaml").exists()
    assert publish(load(ws_copy)[0], "2026")[1].date == "2026"  # the same year: not before
