"""`briefing new evidence` and `briefing new source`: fresh ids, TODO placeholders check refuses, no overwriting."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import REPO, copy_workspace

from briefing.cli import main
from briefing.errors import BriefingError, errors_in
from briefing.inputs import load_workspace as load
from briefing.new_entries import new_evidence, new_source, schema_ref

TODAY = dt.date(2026, 7, 2)


@pytest.fixture
def ws_copy(tmp_path) -> Path:
    return copy_workspace(tmp_path / "ws")


def test_new_evidence_scaffolds_a_file_with_a_fresh_id_and_todays_date(ws_copy):
    path, line = new_evidence(ws_copy, title="Zeta Labs accused", today=TODAY)
    assert path == ws_copy / "evidence" / "2026-07-zeta-labs-accused.yaml"
    text = path.read_text("utf-8")
    lines = text.splitlines()
    ref = lines[0].removeprefix("# yaml-language-server: $schema=")
    assert ref != lines[0] and (path.parent / ref).resolve().is_file()
    assert "id: 2026-07-zeta-labs-accused" in text and "date: 2026-07-02" in text
    assert 'title: "Zeta Labs accused"' in text
    assert "TODO" in lines[line - 1]
    for key in ("id", "title", "claim", "date", "confidence", "sources", "reason"):
        assert re.search(rf"^{key}:", text, re.M), key


def test_the_schema_line_points_at_the_package_or_the_workspace_schema_folder(tmp_path):
    assert schema_ref(REPO, "evidence.schema.json") == "../briefing/schema/evidence.schema.json"
    (tmp_path / "schema").mkdir()
    assert schema_ref(tmp_path, "evidence.schema.json") == "../schema/evidence.schema.json"


def test_check_refuses_the_placeholders_until_they_are_filled_in(ws_copy):
    path, line = new_evidence(ws_copy, today=TODAY)
    _, problems = load(ws_copy)
    rel = f"evidence/{path.name}"
    todo = [p for p in errors_in(problems) if p.path == rel and "TODO placeholder" in p.message]
    assert len(todo) == 1 and todo[0].line == line  # at the first TODO, so an editor jumps there
    assert "title, claim, reason" in todo[0].message
    assert any(p.path == rel and "unknown confidence level 'TODO'" in p.message for p in problems)

    text = path.read_text("utf-8")
    text = text.replace("title: TODO a short title", "title: Zeta Labs accused")
    text = re.sub(r"claim: >\n  TODO.*\n", "claim: Reuters reports a fourth accused lab.\n", text)
    text = text.replace("confidence: TODO", "confidence: moderate")
    text = re.sub(r"reason: >\n(  .*\n)+", "reason: One news report.\n", text)
    text = text.replace("TODO-source-id", "bloomberg-2026-accuses")
    path.write_text(text, "utf-8")
    _, problems = load(ws_copy)
    assert not errors_in(problems), "\n".join(map(str, problems))


def test_new_evidence_never_overwrites(ws_copy):
    target = ws_copy / "evidence" / "feb-accusation.yaml"
    before = target.read_bytes()
    with pytest.raises(BriefingError, match="already exists"):
        new_evidence(ws_copy, eid="feb-accusation", today=TODAY)
    assert target.read_bytes() == before
    first, _ = new_evidence(ws_copy, today=TODAY)
    second, _ = new_evidence(ws_copy, today=TODAY)
    assert first != second and first.exists() and second.exists()
    assert second.name == "2026-07-new-claim-2.yaml"
    # An id already used inside a file with another name is taken too.
    (ws_copy / "evidence" / "renamed.yaml").write_text("id: 2026-07-new-claim-3\n", "utf-8")
    third, _ = new_evidence(ws_copy, today=TODAY)
    assert third.name == "2026-07-new-claim-4.yaml"
    with pytest.raises(BriefingError, match="not a valid evidence id"):
        new_evidence(ws_copy, eid="has spaces", today=TODAY)


def test_new_evidence_command_prints_the_path_and_line(ws_copy, capsys, monkeypatch):
    monkeypatch.chdir(ws_copy)
    assert main(["new", "evidence", "--title", "A fourth lab"]) == 0
    out = capsys.readouterr().out
    m = re.match(r"evidence/(\d{4}-\d{2}-a-fourth-lab)\.yaml:(\d+): created", out)
    assert m, out
    assert (ws_copy / "evidence" / f"{m.group(1)}.yaml").exists()
    assert main(["new", "evidence", "--id", "feb-accusation"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err and "Traceback" not in err


def test_new_source_appends_an_entry_and_keeps_the_file_text(ws_copy):
    sources = ws_copy / "sources.yaml"
    before = sources.read_text("utf-8")
    path, line, sid = new_source(ws_copy, title="Reuters on Zeta Labs", today=TODAY)
    after = sources.read_text("utf-8")
    assert path == sources and after.startswith(before)  # appended: comments and layout untouched
    assert sid == "reuters-on-zeta-labs" and after.splitlines()[line - 1].strip() == f"- id: {sid}"
    ws, problems = load(ws_copy)
    src = ws.source(sid)
    assert src is not None and src.kind == "news" and src.title == "Reuters on Zeta Labs"
    assert src.issued == "2026-07-02"
    mine = [p for p in problems if p.path == "sources.yaml" and p.line >= line]
    assert any(p.severity == "error" and "TODO placeholder in container-title, URL" in p.message for p in mine)
    assert not [p for p in errors_in(problems) if "TODO" not in p.message]  # otherwise valid


def test_new_source_never_clobbers_and_picks_fresh_ids(ws_copy):
    sources = ws_copy / "sources.yaml"
    before = sources.read_bytes()
    with pytest.raises(BriefingError, match="already exists"):
        new_source(ws_copy, sid="bloomberg-2026-accuses", today=TODAY)
    assert sources.read_bytes() == before
    _, _, a = new_source(ws_copy, today=TODAY)
    _, _, b = new_source(ws_copy, today=TODAY)
    assert (a, b) == ("source-2026-07-02", "source-2026-07-02-2")
    ws, _ = load(ws_copy)
    assert ws.source(a) and ws.source(b) and ws.source("bloomberg-2026-accuses")


@pytest.mark.parametrize("text, ok", [
    ("references:\n", True),
    ("# mine\nreferences:\n- id: a\n  title: A\n  kind: news\n", True),
    ("references: []\n", False),
    ("references:\n  - id: a\n    title: A\n    kind: news\nextra: 1\n", False),
])
def test_new_source_handles_or_refuses_layouts(ws_copy, text, ok):
    sources = ws_copy / "sources.yaml"
    sources.write_text(text, "utf-8")
    if ok:
        _, line, sid = new_source(ws_copy, today=TODAY)
        assert sources.read_text("utf-8").startswith(text)
        assert sources.read_text("utf-8").splitlines()[line - 1].strip() == f"- id: {sid}"
    else:
        with pytest.raises(BriefingError):
            new_source(ws_copy, today=TODAY)
        assert sources.read_text("utf-8") == text


def test_new_source_command_prints_the_line(ws_copy, capsys):
    assert main(["new", "source", "-w", str(ws_copy), "--id", "reuters-2026-zeta"]) == 0
    out = capsys.readouterr().out
    m = re.search(r"sources\.yaml:(\d+): added source 'reuters-2026-zeta'", out)
    assert m, out
    lines = (ws_copy / "sources.yaml").read_text("utf-8").splitlines()
    assert lines[int(m.group(1)) - 1].strip() == "- id: reuters-2026-zeta"


def test_new_outside_a_workspace_is_a_one_line_error(tmp_path, capsys):
    assert main(["new", "evidence", "-w", str(tmp_path)]) == 1
    assert "no briefing.yaml" in capsys.readouterr().err
