"""`briefing init` and `briefing schema`: a new workspace checks clean; committed schemas match the spec."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO

from briefing.cli import main
from briefing.errors import BriefingError
from briefing.inputs import load_workspace as load
from briefing.new_workspace import SCHEMA_DIR, init_workspace, schemas


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "briefing", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=60)


def test_init_then_check_is_clean_without_warnings(tmp_path):
    ws = tmp_path / "new" / "topic"
    result = run("init", str(ws), "--title", 'Topic: "quoted", and #hashed')
    assert result.returncode == 0, result.stderr
    result = run("check", "--workspace", str(ws))
    assert (result.returncode, result.stdout) == (0, "")
    assert "workspace is clean" in result.stderr


def test_init_workspace_loads_with_its_title(tmp_path):
    init_workspace(tmp_path / "ws", title="Yes: no")
    ws, problems = load(tmp_path / "ws")
    assert problems == []
    assert ws.meta.title == "Yes: no"
    assert [e.id for e in ws.evidence] == ["example-claim"]
    # The scaffold declares its metric once; the example figure takes the unit from it.
    assert [(m.id, m.label, m.unit) for m in ws.metrics] == [("cases", "Reported cases", "cases")]
    (figure,) = ws.evidence[0].figures
    assert figure.unit == "" and ws.figure_unit(figure) == "cases"
    assert (tmp_path / "ws" / "templates").is_dir()
    assert sorted(p.name for p in (tmp_path / "ws" / "schema").iterdir()) == sorted(schemas())


def test_init_into_an_existing_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    init_workspace(tmp_path / "empty")
    assert load(tmp_path / "empty")[1] == []


def test_init_refuses_a_non_empty_folder_with_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "error: folder is not empty" in err and str(tmp_path) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # nothing written


def test_init_refusal_raises_briefing_error(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a").write_text("", encoding="utf-8")
    with pytest.raises(BriefingError, match="not empty"):
        init_workspace(tmp_path / "x")


def test_schema_command_writes_valid_json(tmp_path):
    out = tmp_path / "schema"
    result = run("schema", "--out", str(out))
    assert result.returncode == 0, result.stderr
    written = sorted(out.iterdir())
    assert [p.name for p in written] == sorted(schemas())
    for path in written:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["$schema"].startswith("https://json-schema.org/") and data["title"]
        assert str(path) in result.stdout


def test_committed_schemas_match_the_spec():
    generated = schemas()
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.json")}
    missing, stale = sorted(set(generated) - set(committed)), sorted(set(committed) - set(generated))
    assert not missing and not stale, (f"missing {missing}, stale {stale};"
                                       " run: python -m briefing schema --out briefing/schema")
    for name, text in generated.items():
        assert committed[name] == text, f"{name} drifted; run: python -m briefing schema --out briefing/schema"
