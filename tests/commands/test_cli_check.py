"""`briefing check` end to end: printed lines, exit codes, and never a traceback."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import CLAIM, REPO, SOURCES, line_of

from briefing.cli import main

LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning): (?P<message>.+)$")
HEAD = "id: c\ntitle: T\nclaim: C\ndate: 2026-01-01\nconfidence: high\nsources: [src-a, src-b]\n"


def check(ws) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "briefing", "check", "--workspace", str(ws)],
                          capture_output=True, text=True, cwd=REPO, timeout=60)


def reported(stdout: str) -> list[re.Match]:
    """Every printed problem line, each checked against the path:line:column format."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    matches = [LINE.match(line) for line in lines]
    assert all(matches), f"lines not in path:line:column: severity: message form:\n{stdout}"
    return matches


def test_the_shipped_workspace_has_no_errors():
    result = check(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert all(m["severity"] == "warning" for m in reported(result.stdout))
    assert "0 error(s)" in result.stderr or "workspace is clean" in result.stderr


def test_a_clean_workspace(make_workspace):
    result = check(make_workspace())
    assert (result.returncode, result.stdout) == (0, "")
    assert "workspace is clean" in result.stderr


def test_a_bad_file_exits_1_with_path_line_and_message(make_workspace):
    ws = make_workspace(evidence={"bad.yaml": HEAD + "title: again\n"})
    result = check(ws)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    [m] = [m for m in reported(result.stdout) if m["severity"] == "error"]
    assert (m["path"], m["line"], m["column"]) == ("evidence/bad.yaml", "7", "1")
    assert "duplicate key 'title'" in m["message"]
    assert "1 error(s)" in result.stderr


def test_warnings_alone_do_not_fail(make_workspace):
    ws = make_workspace(evidence={"a.yaml": HEAD.replace("title: T", "title: 2026-02-23")})
    result = check(ws)
    assert result.returncode == 0
    [m] = reported(result.stdout)
    assert (m["path"], m["line"], m["severity"]) == ("evidence/a.yaml", "2", "warning")
    assert "0 error(s), 1 warning(s)" in result.stderr


def test_every_kind_of_bad_file_at_once_is_reported_without_a_traceback(make_workspace):
    laughs = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    laughs += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    files = {
        "malformed.yaml": HEAD + "tags: [a\n",
        "tab.yaml": HEAD + "actors:\n\t- x\n",
        "duplicate.yaml": HEAD + "id: d\n",
        "unknown.yaml": HEAD + "caveat: x\n",
        "wrong-type.yaml": HEAD.replace("title: T", "title: [a]"),
        "boolean.yaml": HEAD.replace("title: T", "title: no"),
        "bad-date.yaml": HEAD.replace("2026-01-01", "2026-02-30"),
        "empty.yaml": "",
        "list.yaml": "- a\n",
        "latin1.yaml": "title: caf\u00e9\n".encode("latin-1"),
        "binary.yaml": b"\x00\x01",
        "control.yaml": "title: \x07\n",
        "deep.yaml": "a: " + "[" * 1000 + "]" * 1000 + "\n",
        "bomb.yaml": "\n".join(laughs) + "\n",
        "loop.yaml": "a: &x [*x]\n",
        "merge.yaml": "<<: 1\n",
    }
    ws = make_workspace(evidence=files, files={"analysis.yaml": "- not a mapping\n", "charts.yaml": "charts: 3\n"})
    result = check(ws)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "Traceback" not in out and "internal error" not in out
    errors = {m["path"] for m in reported(result.stdout) if m["severity"] == "error"}
    assert errors >= {f"evidence/{name}" for name in files} | {"analysis.yaml", "charts.yaml"}


def test_two_bad_files_are_both_reported(make_workspace):
    ws = make_workspace(evidence={"a.yaml": HEAD + "tags: [x\n",
                                  "b.yaml": HEAD.replace("id: c", "id: b") + "titel: x\n"})
    result = check(ws)
    assert result.returncode == 1
    errors = [(m["path"], m["line"]) for m in reported(result.stdout) if m["severity"] == "error"]
    assert ("evidence/a.yaml", "8") in errors and ("evidence/b.yaml", "7") in errors


def test_cross_file_error_names_its_line(make_workspace):
    ws = make_workspace(evidence={"a.yaml": {**CLAIM, "sources": ["src-a", "src-zz"]}})
    result = check(ws)
    assert result.returncode == 1
    [m] = [m for m in reported(result.stdout) if "src-zz" in m["message"]]
    assert (m["path"], int(m["line"])) == ("evidence/a.yaml", line_of(ws / "evidence/a.yaml", "src-zz"))


# -- in-process, for the cases that need no separate interpreter -------------------------------------
def test_every_cross_file_error_at_once(make_workspace, capsys):
    def src(sid, **fields):
        return {"id": sid, "title": sid, "kind": "news", **fields}

    sources = SOURCES + [src("js", URL="javascript:alert(1)"), src("orphan", derived_from=["ghost"]),
                         src("c1", derived_from=["c2"]), src("c2", derived_from=["c1"]),
                         src("pr", interested=True), src("relay", derived_from=["pr"])]
    ws = make_workspace(sources=sources, evidence={
        "a.yaml": CLAIM,
        "dup.yaml": CLAIM,
        "level.yaml": {**CLAIM, "id": "level", "confidence": "certain", "sources": ["js", "orphan"]},
        "undefined.yaml": {**CLAIM, "id": "undefined", "confidence": "moderate", "sources": ["nope", "c1"]},
        "relay.yaml": {**CLAIM, "id": "relay", "sources": ["pr", "relay"]},
        "section.yaml": {**CLAIM, "id": "section", "confidence": "low", "section": "alleged"},
    }, files={"analysis.yaml": {"bottom_line": [{"id": "bl", "text": "T", "rests_on": ["missing"]}]}})
    assert main(["check", "--workspace", str(ws)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    paths = {m["path"] for m in reported(out) if m["severity"] == "error"}
    for text in ("only http, https and mailto", "derived_from unknown source 'ghost'", "derived_from itself",
                 "duplicate evidence id 'claim-a'", "unknown confidence level 'certain'", "cites source 'nope'",
                 "confidence 'high' is not supported", "is more certain than confidence 'low'",
                 "rests on unknown evidence 'missing'"):
        assert text in out, f"{text!r} not reported:\n{out}"
    assert paths >= {"sources.yaml", "evidence/dup.yaml", "evidence/level.yaml", "evidence/undefined.yaml",
                     "evidence/relay.yaml", "evidence/section.yaml", "analysis.yaml"}


@pytest.mark.parametrize("setup", ["missing-folder", "no-briefing", "no-evidence"])
def test_not_a_workspace_is_an_error(make_workspace, tmp_path, capsys, setup):
    if setup == "missing-folder":
        ws = tmp_path / "nowhere"
    else:
        ws = make_workspace()
        (ws / ("briefing.yaml" if setup == "no-briefing" else "evidence/claim-a.yaml")).unlink()
        if setup == "no-evidence":
            (ws / "evidence").rmdir()
    assert main(["check", "--workspace", str(ws)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert any(m["severity"] == "error" for m in reported(out))


def test_symlink_outside_is_refused(make_workspace, tmp_path, capsys):
    outside = tmp_path / "outside.yaml"
    outside.write_text(HEAD, encoding="utf-8")
    ws = make_workspace()
    try:
        (ws / "evidence" / "link.yaml").symlink_to(outside)
    except OSError:
        pytest.skip("symbolic links are not available")
    assert main(["check", "-w", str(ws)]) == 1
    out = capsys.readouterr().out
    assert "evidence/link.yaml:1:1: error: symbolic link points outside the workspace; refused" in out


# -- command-line arguments: one line, a non-zero exit, nothing built ------------------------------------
@pytest.mark.parametrize("argv, words", [
    (["build", "--format", ""], "no format given; choose from: pdf, docx"),
    (["build", "--format", ","], "no format given"),
    (["build", "-f", "pdf,html5"], "unknown format 'html5'; choose from: pdf, docx"),
    (["build", "-f", "pdf,,docx"], "unknown format an empty name"),
    (["watch", "-f", "odt"], "unknown format 'odt'"),
    (["build", "--audience", ""], "the audience name is empty"),
    (["build", "--audience", "a\nb"], "control character"),
    (["build", "--out", ""], "the path is empty"),
    (["check", "--workspace", ""], "the path is empty"),
    (["publish", "--date", "2026-13-01"], "is not a date like 2026-02-23"),
    (["publish", "--date", "1850-01-01"], "years 1900 to 2199"),
    (["build", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_arguments_are_one_line_errors(tmp_path, capsys, argv, words):
    with pytest.raises(SystemExit) as stop:
        main([*argv, *(["-w", str(tmp_path)] if "-w" not in argv and "--workspace" not in argv else [])])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and words in err, err
    assert err.startswith("briefing") and "usage:" not in err
    assert list(tmp_path.iterdir()) == []  # nothing built


def test_formats_are_normalised_and_deduplicated():
    from briefing.build import FORMATS
    from briefing.commands.arguments import formats_arg

    assert formats_arg(" PDF , docx,pdf") == "pdf,docx"
    assert formats_arg(",".join(FORMATS)) == ",".join(FORMATS)


# -- check renders every audience's template and parses the workspace's CSL style -----------------------
def test_a_jinja_syntax_error_in_a_workspace_section_is_reported_by_check(make_workspace):
    ws = make_workspace(files={"templates/sections/bottom_line.md.j2": "# Bottom line\n\n{% if x %}\nno end\n"})
    result = check(ws)
    [m] = [m for m in reported(result.stdout) if m["severity"] == "error"]
    assert result.returncode == 1 and m["path"] == "templates/sections/bottom_line.md.j2" and m["line"] == "4"
    assert "template syntax error" in m["message"]
    assert "(audiences analyst, board, executive, policy)" in m["message"]  # once, naming every audience


def test_an_undefined_name_in_an_audience_template_is_reported_by_check(make_workspace):
    aud = "description: x\ntemplate: audiences/t.md.j2\nsections: [bottom_line, references]\n"
    tpl = '{% extends "base.md.j2" %}\n{% block preamble %}\n{{ no_such_thing }}\n{% endblock %}\n'
    ws = make_workspace(files={"templates/audiences/t.yaml": aud, "templates/audiences/t.md.j2": tpl})
    result = check(ws)
    errors = [m for m in reported(result.stdout) if m["severity"] == "error"]
    assert result.returncode == 1 and [(m["path"], m["line"]) for m in errors] == [("templates/audiences/t.md.j2", "3")]
    assert "no_such_thing" in errors[0]["message"] and "(audience 't')" in errors[0]["message"]


def test_a_broken_csl_style_is_named_with_its_line(make_workspace):
    ws = make_workspace(files={"templates/numeric.csl": "<?xml version='1.0'?>\n<style>\n<info>\n</style>\n"})
    result = check(ws)
    [m] = reported(result.stdout)
    assert (m["path"], m["line"], m["severity"]) == ("templates/numeric.csl", "4", "error")
    assert "not well-formed XML" in m["message"]


def test_a_well_formed_but_unusable_csl_style_is_named(make_workspace):
    ws = make_workspace(files={"templates/numeric.csl": "<?xml version='1.0'?>\n<nonsense/>\n"})
    result = check(ws)
    [m] = reported(result.stdout)
    assert (m["path"], m["severity"]) == ("templates/numeric.csl", "error") and "pandoc" in m["message"]


# -- numbers and dates: refused by check at their line, or built --------------------------------------------
def test_numbers_and_dates_outside_the_limits_are_reported_by_check_at_their_lines(make_workspace):
    bad = HEAD.replace("2026-01-01", "1850-01-01") + (
        "figures:\n"
        "  - {metric: m, actor: A, value: .nan, source: src-a}\n"
        "  - {metric: m, actor: B, value: 0755, source: src-a}\n"
        "  - {metric: m, actor: C, value: 1:30, source: src-a}\n"
        "  - {metric: m, actor: D, value: " + "9" * 400 + ", source: src-a}\n")
    sources = ("references:\n  - {id: src-a, title: A, kind: analysis, issued: {raw: 2026-01-01}}\n"
               "  - {id: src-b, title: B, kind: news, issued: {date-parts: [[2026, 2, 30]]}}\n")
    ws = make_workspace(evidence={"c.yaml": bad}, sources=sources)
    result = check(ws)
    found = {(m["path"], m["line"]) for m in reported(result.stdout) if m["severity"] == "error"}
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert found == {("evidence/c.yaml", "4"), ("evidence/c.yaml", "8"), ("evidence/c.yaml", "9"),
                     ("evidence/c.yaml", "10"), ("evidence/c.yaml", "11"), ("sources.yaml", "2"),
                     ("sources.yaml", "3")}, result.stdout


def test_values_at_the_limits_pass_check_and_build(make_workspace, tmp_path):
    from briefing.build import build

    first = HEAD.replace("2026-01-01", "1900-01-01") + (
        "event: The first event\nfigures:\n  - {metric: m, actor: A, value: 1000000000000000, source: src-a}\n"
        "  - {metric: m, actor: B, value: 1_000, source: src-b}\n")
    last = HEAD.replace("id: c", "id: d").replace("2026-01-01", "2199-12-31") + "event: The last event\n"
    sources = ("references:\n  - {id: src-a, title: A, kind: analysis, issued: {literal: Spring 2026}}\n"
               "  - {id: src-b, title: B, kind: news, issued: {date-parts: [[1900], [2199, 12]]}}\n")
    charts = "charts:\n  - {id: f, kind: bar, title: F}\n  - {id: t, kind: timeline, title: T}\n"
    ws = make_workspace(evidence={"c.yaml": first, "d.yaml": last}, sources=sources, files={"charts.yaml": charts})
    result = check(ws)
    assert result.returncode == 0, result.stdout
    out = build(ws, audience="analyst", out_dir=tmp_path / "out")
    assert set(out.outputs) == {"pdf", "docx"} and out.charts == 2
