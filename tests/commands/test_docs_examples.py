"""The examples in docs/evidence-format.md are real: the other-topic workspace checks clean and builds."""

from __future__ import annotations

import re
from pathlib import Path

from briefing.build import build
from briefing.errors import errors_in
from briefing.inputs import load_workspace as load
from briefing.new_workspace import init_workspace

DOC = Path(__file__).resolve().parents[2] / "docs" / "evidence-format.md"


def _files_from_doc() -> dict[str, str]:
    """Each `path` line followed by a yaml block, from the 'another topic' section."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## A complete workspace on another topic"):]
    return {m.group(1): m.group(2) for m in re.finditer(r"`([\w/.-]+\.yaml)`\s*\n\s*```yaml\n(.*?)```", section, re.S)}


def test_other_topic_workspace_from_the_docs_builds(tmp_path):
    files = _files_from_doc()
    assert set(files) == {"briefing.yaml", "sources.yaml", "evidence/lead-exceedance.yaml", "charts.yaml"}
    ws = tmp_path / "riverton"
    init_workspace(ws)
    (ws / "evidence" / "example-claim.yaml").unlink()
    (ws / "analysis.yaml").write_text("implications:\n  - id: imp-1\n    text: Test every home.\n"
                                      "    rests_on: [lead-exceedance]\n", encoding="utf-8")
    for rel, body in files.items():
        (ws / rel).write_text(body, encoding="utf-8")
    model, problems = load(ws)
    assert not errors_in(problems), [str(p) for p in problems]
    assert not problems, [str(p) for p in problems]
    result = build(ws, out_dir=tmp_path / "out", formats=("docx",))
    assert result.claims == 1 and result.references == 3
    from tests.readers import docx_text

    text = docx_text(tmp_path / "out" / "contaminated-water-in-riverton.docx")
    assert "Lead exceeds the action level in one home in five" in text
    assert "Homes over the action level" in text and "83 homes" in text and "homes-over-limit" not in text
    assert "Distillation" not in text and "Anthropic" not in text


def test_the_estimative_language_example_warns_as_documented(tmp_path):
    """The example claim in "Estimative language" gets exactly the warnings the docs print."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### Estimative language"):text.index("## Analysis: `analysis.yaml`")]
    found = re.search(r"`(evidence/[\w.-]+\.yaml)`\s*\n\s*```yaml\n(.*?)```\s*.*?```text\n(.*?)```", section, re.S)
    rel, body, expected = found.groups()
    ws = tmp_path / "riverton"
    init_workspace(ws)
    (ws / "evidence" / "example-claim.yaml").unlink()
    (ws / "analysis.yaml").write_text("{}\n", encoding="utf-8")
    for name, content in _files_from_doc().items():
        (ws / name).write_text(content, encoding="utf-8")
    (ws / rel).write_text(body, encoding="utf-8")
    _model, problems = load(ws)
    printed = [str(p) for p in problems if p.path == rel]
    assert printed == expected.strip().splitlines()
