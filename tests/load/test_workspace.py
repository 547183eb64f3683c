"""Loading a workspace: one test per class of bad file, each reported with its path and line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import CLAIM, REPO, SOURCES, line_of, matching, one, problems_of

from briefing import yamlsafe
from briefing.errors import BriefingError, errors_in
from briefing.inputs import load as load_inputs
from briefing.inputs import load_workspace as load

# A valid claim written by hand, so lines are known: line 7 is the first free line.
HEAD = "id: c\ntitle: T\nclaim: C\ndate: 2026-01-01\nconfidence: high\nsources: [src-a, src-b]\n"


def bad(make_workspace, body, name="bad.yaml"):
    """Load a workspace whose only evidence file is `body`; its problems in that file."""
    problems = problems_of(make_workspace(evidence={name: body}))
    return [p for p in problems if p.path == f"evidence/{name}"]


def the_error(problems, text):
    p = one(problems, text, "error")
    assert p.path.startswith("evidence/")
    return p


def test_the_default_test_workspace_is_clean(make_workspace):
    ws, problems = load(make_workspace())
    assert problems == []
    assert ws.meta.title == "Test briefing"
    assert [e.id for e in ws.evidence] == ["claim-a"]
    assert ws.scale.keys == ("high", "moderate", "low", "unsubstantiated")


def test_problem_prints_as_path_line_column_severity_message(make_workspace):
    [p] = bad(make_workspace, HEAD + "caveat: [x]\n")
    assert str(p) == "evidence/bad.yaml:7:1: error: unknown key 'caveat'; did you mean 'caveats'?"


# -- YAML syntax ---------------------------------------------------------------------------------
def test_malformed_yaml(make_workspace):
    p = the_error(bad(make_workspace, HEAD + "tags: [a, b\nevent: x\n"), "invalid YAML")
    assert p.line == 8


def test_tab_indentation(make_workspace):
    p = the_error(bad(make_workspace, HEAD + "actors:\n  - name: A\n\t  role: b\n"), "tab character")
    assert p.line == 9


def test_duplicate_keys(make_workspace):
    p = the_error(bad(make_workspace, HEAD + "title: again\n"), "duplicate key 'title'")
    assert p.line == 7 and "first defined on line 2" in p.message


def test_unknown_key_typo(make_workspace):
    p = the_error(bad(make_workspace, HEAD + "caveat:\n  - x\n"), "unknown key 'caveat'")
    assert p.line == 7 and "did you mean 'caveats'" in p.message


def test_missing_required_field(make_workspace):
    p = the_error(bad(make_workspace, "# a comment\n" + HEAD.replace("confidence: high\n", "")),
                  "missing required key 'confidence'")
    assert p.line == 2  # the mapping starts after the comment


def test_list_where_text_expected(make_workspace):
    p = the_error(bad(make_workspace, HEAD.replace("claim: C\n", "claim:\n  - one\n  - two\n")), "must be text")
    assert p.line == 4


def test_text_where_number_expected(make_workspace):
    body = HEAD + "figures:\n  - metric: m\n    actor: A\n    value: 13,000,000\n    source: src-a\n"
    p = the_error(bad(make_workspace, body), "`13,000,000` is not a number")
    assert (p.line, p.column) == (10, 12)


# -- YAML 1.1 surprises --------------------------------------------------------------------------
@pytest.mark.parametrize("word", ["no", "on", "yes"])
def test_unquoted_boolean_word_in_a_text_field(make_workspace, word):
    p = the_error(bad(make_workspace, HEAD + f"caveats:\n  - {word}\n"), f"`{word}` is read by YAML as")
    assert p.line == 8


def test_yes_in_a_boolean_field_warns(make_workspace):
    body = HEAD + "figures:\n  - {metric: m, actor: A, value: 1, approx: yes, source: src-a}\n"
    problems = bad(make_workspace, body)
    p = one(problems, "YAML 1.1 boolean", "warning")
    assert p.line == 8 and errors_in(problems) == []


def test_date_where_a_string_was_meant_warns_and_keeps_text(make_workspace):
    ws, problems = load(make_workspace(evidence={"bad.yaml": HEAD.replace("title: T", "title: 2026-02-23")}))
    p = one(problems, "read by YAML as a date", "warning")
    assert (p.path, p.line) == ("evidence/bad.yaml", 2)
    assert errors_in(problems) == []
    assert ws.evidence[0].title == "2026-02-23"


@pytest.mark.parametrize("written, text", [("23 Feb 2026", "is not a date"), ("2026-02-30", "day is out of range")])
def test_string_where_a_date_was_meant(make_workspace, written, text):
    p = the_error(bad(make_workspace, HEAD.replace("date: 2026-01-01", f"date: {written}")), text)
    assert p.line == 4


# -- not a mapping, not text -----------------------------------------------------------------------
@pytest.mark.parametrize("body", ["", "# nothing yet\n"], ids=["empty", "comment-only"])
def test_empty_file(make_workspace, body):
    p = the_error(bad(make_workspace, body), "file is empty")
    assert p.line == 1


@pytest.mark.parametrize("body, what", [("- a\n- b\n", "not a list"), ("just text\n", "not `just text`")])
def test_top_level_not_a_mapping(make_workspace, body, what):
    p = the_error(bad(make_workspace, body), "must be a mapping")
    assert p.line == 1 and what in p.message


def test_non_utf8_file(make_workspace):
    p = the_error(bad(make_workspace, (HEAD + "caveats: [caf\u00e9]\n").encode("latin-1")), "not valid UTF-8")
    assert (p.line, p.column) == (7, 14)


def test_binary_file(make_workspace):
    p = the_error(bad(make_workspace, HEAD.encode() + b"\x89PNG\x00\x00"), "binary file")
    assert p.line == 7


def test_file_over_the_size_limit(make_workspace):
    body = HEAD.encode() + b"#" * (yamlsafe.MAX_BYTES - len(HEAD) + 1)
    assert len(body) == yamlsafe.MAX_BYTES + 1
    p = the_error(bad(make_workspace, body), "the limit is")
    assert p.line == 1


def test_control_character(make_workspace):
    p = the_error(bad(make_workspace, HEAD + "caveats: [a\x07b]\n"), "control character U+0007")
    assert (p.line, p.column) == (7, 12)


def test_bom_and_crlf_are_accepted(make_workspace):
    body = ("\ufeff# yaml-language-server: $schema=x\n" + HEAD).replace("\n", "\r\n").encode()
    ws, problems = load(make_workspace(evidence={"crlf.yaml": body}))
    assert problems == []
    assert ws.evidence[0].id == "c" and ws.evidence[0].pos.line == 2


def test_thousand_levels_of_nesting(make_workspace):
    p = the_error(bad(make_workspace, HEAD + "caveats: " + "[" * 1000 + "]" * 1000 + "\n"), "nesting deeper than")
    assert p.line == 7


def test_alias_bomb(make_workspace):
    laughs = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    laughs += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    p = the_error(bad(make_workspace, HEAD + "\n".join(laughs) + "\n"), "alias bomb")
    assert 7 <= p.line <= 16


def test_self_referencing_alias(make_workspace):
    p = the_error(bad(make_workspace, HEAD + "caveats: &loop [*loop]\n"), "alias refers to")
    assert p.line == 7


def test_merge_key_of_a_scalar(make_workspace):
    p = the_error(bad(make_workspace, HEAD + "<<: 1\n"), "merge key")
    assert p.line == 7


def test_merge_keys_in_evidence(make_workspace):
    body = ("figures:\n  - &fig {metric: m, actor: A, value: 1, source: src-a}\n"
            "  - {<<: *fig, value: 2, source: src-b}\n")
    ws, problems = load(make_workspace(evidence={"m.yaml": HEAD + body}))
    assert matching(problems, "", "error") == []
    assert [(f.value, f.source, f.metric) for f in ws.evidence[0].figures] == [(1, "src-a", "m"), (2, "src-b", "m")]


def test_javascript_url_in_sources(make_workspace):
    ws = make_workspace(sources=[SOURCES[0], {**SOURCES[1], "URL": "javascript:alert(1)"}])
    p = one(problems_of(ws), "only http, https and mailto", "error")
    assert (p.path, p.line) == ("sources.yaml", line_of(ws / "sources.yaml", "javascript:"))


# -- the workspace's shape -----------------------------------------------------------------------
def test_symlink_outside_the_workspace_is_refused(make_workspace, tmp_path):
    outside = tmp_path / "secret.yaml"
    outside.write_text(HEAD.replace("id: c", "id: secret"), encoding="utf-8")
    ws_dir = make_workspace()
    try:
        os.symlink(outside, ws_dir / "evidence" / "link.yaml")
    except OSError:
        pytest.skip("symbolic links are not available")
    ws, problems = load(ws_dir)
    p = one(problems, "symbolic link points outside the workspace", "error")
    assert (p.path, p.line) == ("evidence/link.yaml", 1)
    assert "secret" not in [e.id for e in ws.evidence]


def test_symlink_inside_the_workspace_is_followed(make_workspace):
    ws_dir = make_workspace()
    (ws_dir / "drafts").mkdir()
    (ws_dir / "drafts" / "b.yaml").write_text(HEAD.replace("id: c", "id: inside"), encoding="utf-8")
    try:
        os.symlink(ws_dir / "drafts" / "b.yaml", ws_dir / "evidence" / "b.yaml")
    except OSError:
        pytest.skip("symbolic links are not available")
    ws, problems = load(ws_dir)
    assert errors_in(problems) == [] and "inside" in [e.id for e in ws.evidence]


def test_evidence_folder_missing(make_workspace):
    ws_dir = make_workspace()
    shutil.rmtree(ws_dir / "evidence")
    p = one(problems_of(ws_dir), "no evidence/ folder", "error")
    assert (p.path, p.line) == ("evidence", 1)


def test_no_briefing_yaml(make_workspace):
    ws_dir = make_workspace()
    (ws_dir / "briefing.yaml").unlink()
    ws, problems = load(ws_dir)
    assert ws is None
    p = one(problems, "no briefing.yaml", "error")
    assert (p.path, p.line) == ("briefing.yaml", 1) and "briefing init" in p.message


def test_no_sources_yaml(make_workspace):
    ws_dir = make_workspace()
    (ws_dir / "sources.yaml").unlink()
    p = one(problems_of(ws_dir), "no sources.yaml", "error")
    assert p.path == "sources.yaml"


def test_workspace_folder_missing(tmp_path):
    ws, [p] = load(tmp_path / "nowhere")
    assert ws is None and p.severity == "error" and "does not exist" in p.message


def test_hidden_files_in_evidence_are_ignored_and_other_files_warned(make_workspace):
    ws_dir = make_workspace(files={"evidence/.draft.yaml": "id: [", "evidence/notes.txt": "\x00"})
    [p] = problems_of(ws_dir)
    assert (p.path, p.line, p.severity) == ("evidence/notes.txt", 1, "warning") and ".yaml or .yml" in p.message


def test_bad_briefing_yaml_and_scale_yaml_are_reported(make_workspace):
    ws_dir = make_workspace(briefing="title: T\ndate: soon\nedition: 1\nmarking: x\n",
                            files={"scale.yaml": "name: S\nanchor: A\nlevels: []\n"})
    ws, problems = load(ws_dir)
    assert ws is None
    assert one(problems, "is not a date").path == "briefing.yaml"
    assert one(problems, "needs at least one entry").path == "scale.yaml"


# -- one bad file never hides the others -----------------------------------------------------------
def test_two_bad_files_are_both_reported(make_workspace):
    ws_dir = make_workspace(evidence={
        "a.yaml": HEAD.replace("id: c", "id: a") + "tags: [x\n",
        "b.yaml": HEAD.replace("id: c", "id: b") + "titel: x\n",
        "c.yaml": b"\x00",
    })
    problems = errors_in(problems_of(ws_dir))
    assert {p.path for p in problems} == {"evidence/a.yaml", "evidence/b.yaml", "evidence/c.yaml"}
    assert one(problems, "unknown key 'titel'").line == 7


def test_a_bad_file_does_not_drop_the_good_ones(make_workspace):
    ws, problems = load(make_workspace(evidence={"good.yaml": HEAD, "bad.yaml": "id: ["}))
    assert [e.id for e in ws.evidence] == ["c"]
    assert [p.path for p in errors_in(problems)] == ["evidence/bad.yaml"]


def test_checked_inputs_carry_every_problem(make_workspace):
    ws_dir = make_workspace(evidence={"a.yaml": "id: [", "b.yaml": "- x\n"})
    with pytest.raises(BriefingError) as info:
        load_inputs(ws_dir).checked()
    assert {p.path for p in errors_in(info.value.problems)} == {"evidence/a.yaml", "evidence/b.yaml"}
    assert re.match(r"evidence/a\.yaml:\d+:\d+: error: ", str(info.value))


# -- the docs' example ---------------------------------------------------------------------------
def _doc_blocks(heading: str) -> list[str]:
    text = (REPO / "docs" / "evidence-format.md").read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)


def test_the_docs_evidence_example_loads_without_errors(make_workspace):
    example = next(b for b in _doc_blocks("## Evidence: one claim per file")
                   if b.startswith("# yaml-language-server"))
    data = yaml.safe_load(example)
    cited = {c if isinstance(c, str) else c["id"] for c in data["sources"]}
    cited |= {f["source"] for f in data.get("figures", [])} | {d["source"] for d in data.get("disputes", [])}
    # the sources block the docs show, completed with minimal entries for the other ids the example cites
    refs = yaml.safe_load(_doc_blocks("## Sources: `sources.yaml`")[0])["references"]
    refs += [{"id": sid, "title": sid, "kind": "news"} for sid in sorted(cited - {r["id"] for r in refs})]
    ws_dir = make_workspace(sources=refs, evidence={"example.yaml": example})
    ws, problems = load(ws_dir)
    assert errors_in(problems) == [], "\n".join(map(str, problems))
    assert [e.id for e in ws.evidence] == [data["id"]]
    assert {r["id"] for r in refs} >= cited


def test_retracted_on_is_a_date_and_needs_a_reason(make_workspace):
    ws = make_workspace(sources=[SOURCES[0], {**SOURCES[1], "retracted_on": "2026-04-02"}])
    p = one(problems_of(ws), "has retracted_on but no retracted")
    assert (p.path, p.line) == ("sources.yaml", line_of(ws / "sources.yaml", "retracted_on"))
    ws = make_workspace(sources=[SOURCES[0], {**SOURCES[1], "retracted": "withdrawn", "retracted_on": "April"}])
    p = one(problems_of(ws), "is not a date")
    assert (p.path, p.line) == ("sources.yaml", line_of(ws / "sources.yaml", "retracted_on"))
    ws = make_workspace(sources=[SOURCES[0], {**SOURCES[1], "retracted": "withdrawn", "retracted_on": "2026-04-02"}])
    model, problems = load(ws)
    assert not errors_in(problems) and model.source("src-b").retracted_on == "2026-04-02"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo (POSIX)")
def test_a_fifo_named_sources_yaml_is_reported_not_read(make_workspace, tmp_path):
    ws_dir = make_workspace()
    (ws_dir / "sources.yaml").unlink()
    os.mkfifo(ws_dir / "sources.yaml")
    os.mkfifo(ws_dir / "evidence" / "pipe.yaml")
    result = subprocess.run([sys.executable, "-m", "briefing", "check", "--workspace", str(ws_dir)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "sources.yaml:1:1: error: is a pipe, not a regular file; refused" in result.stdout
    assert "evidence/pipe.yaml:1:1: error: is a pipe, not a regular file; refused" in result.stdout


def test_upper_case_and_yml_suffixes_in_evidence_are_loaded(make_workspace):
    other = {**CLAIM, "id": "claim-b"}
    third = {**CLAIM, "id": "claim-c"}
    ws, problems = load(make_workspace(evidence={"claim-a.YAML": CLAIM, "claim-b.yml": other, "claim-c.Yml": third}))
    assert not errors_in(problems) and sorted(e.id for e in ws.evidence) == ["claim-a", "claim-b", "claim-c"]


def test_a_sub_folder_of_evidence_is_warned_about(make_workspace):
    ws_dir = make_workspace(files={"evidence/2026/claim-x.yaml": {**CLAIM, "id": "claim-x"}})
    ws, problems = load(ws_dir)
    p = one(problems, "sub-folders of evidence/ are not read", "warning")
    assert (p.path, p.line) == ("evidence/2026", 1) and [e.id for e in ws.evidence] == ["claim-a"]


def test_a_misnamed_top_level_file_is_named(make_workspace):
    ws_dir = make_workspace(files={"Charts.yml": "charts: []\n"})
    (ws_dir / "sources.yaml").rename(ws_dir / "sources.yml")
    problems = problems_of(ws_dir)
    assert "rename it to sources.yaml" in one(problems, "no sources.yaml").message
    assert "found Charts.yml: rename it to charts.yaml" in one(problems, "no charts.yaml", "warning").message


def test_a_file_name_with_a_newline_cannot_forge_a_line(make_workspace):
    ws_dir = make_workspace(evidence={"claim-a.yaml": CLAIM, "x\nevil.yaml:1:1: error: forged.yaml": "id: [\n"})
    result = subprocess.run([sys.executable, "-m", "briefing", "check", "--workspace", str(ws_dir)],
                            capture_output=True, text=True, timeout=60)
    lines = result.stdout.splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stdout
    assert lines[0].startswith("evidence/x\\nevil.yaml:1:1: error: forged.yaml:2:1: error: invalid YAML")


@pytest.mark.parametrize("option, value, message", [
    ("paper", "A5", "'paper': `A5` is not one of"),
    ("font_size", 0.5, "font_size must be between 6 and 16 points"),
    ("sections", ["no_such_section"], "no template for section 'no_such_section'"),
])
def test_check_reports_the_workspace_audience_options_build_would_refuse(make_workspace, option, value, message):
    """Audience options were read only by `build --audience`: `check` passed what the build then refused."""
    audience = {"description": "Mine", "sections": ["bottom_line", "references"], option: value}
    root = make_workspace(files={"templates/audiences/mine.yaml": audience})
    p = one(problems_of(root), message)
    assert p.path == "templates/audiences/mine.yaml"
    assert p.line == line_of(root / p.path, f"{option}:")
