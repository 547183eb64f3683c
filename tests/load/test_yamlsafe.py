"""The safe YAML reader: positions, raw text, merge keys, and every hostile input refused with a line."""

from __future__ import annotations

import datetime as dt

import pytest

from briefing import yamlsafe
from briefing.yamlsafe import Scalar, YamlError, YList, YMap, load_file, parse, plain, read_text

BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def fault(text: str) -> YamlError:
    with pytest.raises(YamlError) as info:
        parse(text, "f.yaml")
    return info.value


# -- what a good file gives back -------------------------------------------------------------------
def test_positions_of_nested_values():
    tree = parse("id: x\nactors:\n  - name: Anthropic\n    role: accuser\nfigures:\n  - {metric: m, value: 7}\n",
                 "evidence/a.yaml")
    assert isinstance(tree, YMap) and (tree.pos.line, tree.pos.column) == (1, 1)
    assert tree.key_pos["actors"].line == 2
    actors = tree["actors"]
    assert isinstance(actors, YList) and (actors.pos.line, actors.pos.column) == (3, 3)
    first = actors[0]
    assert (first.pos.line, first.pos.column) == (3, 5)
    assert (first.key_pos["role"].line, first.key_pos["role"].column) == (4, 5)
    assert (first["role"].pos.line, first["role"].pos.column) == (4, 11)
    assert first["role"].pos.path == "evidence/a.yaml"
    flow = tree["figures"][0]
    assert (flow["value"].pos.line, flow["value"].pos.column) == (6, 24)
    assert flow["value"].value == 7


def test_scalar_keeps_raw_text_and_quoting():
    tree = parse('version: 1.10\nquoted: "1.10"\nflag: yes\nnothing:\n', "f.yaml")
    assert tree["version"] == Scalar(1.1, "1.10", False, tree["version"].pos)
    assert tree["version"].raw == "1.10"
    assert tree["quoted"].quoted and tree["quoted"].value == "1.10"
    assert tree["flag"].value is True and tree["flag"].raw == "yes"
    assert tree["nothing"].is_null


def test_merge_keys_work_and_own_keys_override():
    tree = parse("base: &b\n  x: 1\n  z: 0\nderived:\n  <<: *b\n  x: 3\n  y: 2\n", "f.yaml")
    assert plain(tree["derived"]) == {"x": 3, "y": 2, "z": 0}
    assert tree["derived"]["x"].pos.line == 6  # the override, not the anchor's value
    assert tree["derived"]["z"].pos.line == 3  # a merged value keeps the line it was written on


def test_merge_of_a_list_lets_the_first_mapping_win():
    tree = parse("a: &a {x: 1}\nb: &b {x: 2, w: 1}\nc:\n  <<: [*a, *b]\n", "f.yaml")
    assert plain(tree["c"]) == {"x": 1, "w": 1}


def test_merge_of_a_merged_mapping_used_twice():
    tree = parse("a: &a {x: 1}\nd: &d {<<: *a, x: 3}\ne: *d\nf: {<<: *d, y: 1}\n", "f.yaml")
    assert plain(tree) == {"a": {"x": 1}, "d": {"x": 3}, "e": {"x": 3}, "f": {"x": 3, "y": 1}}


def test_merge_of_a_scalar_is_an_error_with_its_line():
    f = fault("a: 1\n<<: 1\n")
    assert f.pos.line == 2
    assert "merge key" in f.message


def test_plain_strips_positions_and_writes_dates_as_iso():
    tree = parse("d: 2026-02-23\nl: [1, two]\n", "f.yaml")
    assert tree["d"].value == dt.date(2026, 2, 23)
    assert plain(tree) == {"d": "2026-02-23", "l": [1, "two"]}


def test_bom_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes("\ufeffid: x\r\ntitle: Caf\u00e9\r\nn: 2\r\n".encode())
    tree, problems = load_file(path, "a.yaml")
    assert problems == []
    assert plain(tree) == {"id": "x", "title": "Caf\u00e9", "n": 2}
    assert tree["n"].pos.line == 3


# -- hostile or broken input -----------------------------------------------------------------------
def test_duplicate_key_names_both_lines():
    f = fault("id: a\ntitle: one\nclaim: c\ntitle: two\n")
    assert f.pos.line == 4
    assert "duplicate key 'title'" in f.message and "line 2" in f.message


def test_tab_indentation():
    f = fault("actors:\n  - name: A\n\t  role: b\n")
    assert f.pos.line == 3
    assert "tab" in f.message


def test_malformed_yaml():
    f = fault("id: a\ntags: [a, b\nnext: 1\n")
    assert f.pos.line == 3
    assert f.message.startswith("invalid YAML")


def test_control_character_position():
    f = fault("id: a\ntitle: bell\x07here\n")
    assert (f.pos.line, f.pos.column) == (2, 12)
    assert "U+0007" in f.message


def test_non_mapping_key_refused():
    f = fault("? [a, b]\n: c\n")
    assert "keys must be plain text" in f.message


def test_python_tags_are_not_constructed():
    f = fault("id: a\nrun: !!python/name:os.system ''\n")
    assert f.pos.line == 2
    assert "invalid value" in f.message
    # a tagged collection is read as plain data; the tag never calls anything
    assert plain(parse("run: !!python/object/apply:os.system ['false']\n", "f.yaml")) == {"run": ["false"]}


@pytest.mark.parametrize("text", [
    "v: " + "[" * 1000 + "]" * 1000 + "\n",
    "".join("  " * i + f"k{i}:\n" for i in range(1000)) + "  " * 1000 + "v\n",
], ids=["flow", "block"])
def test_thousand_levels_of_nesting(text):
    f = fault(text)  # a YamlError, not a RecursionError
    assert f"deeper than {yamlsafe.MAX_DEPTH}" in f.message
    assert f.pos.line >= 1


def test_alias_bomb_is_refused_after_a_bounded_number_of_values(monkeypatch):
    """Counted, not timed: the expansion stops at MAX_NODES values, not after the billion the bomb holds."""
    calls = [0]
    convert = yamlsafe._convert

    def counting(*args):
        calls[0] += 1
        return convert(*args)

    monkeypatch.setattr(yamlsafe, "_convert", counting)
    f = fault(BILLION_LAUGHS)
    assert "alias" in f.message
    assert calls[0] <= yamlsafe.MAX_NODES + 1


@pytest.mark.parametrize("text, line", [
    ("id: a\ncaveats: &x [*x]\n", 2),
    ("id: a\nactors: &x\n  - name: A\n    role: *x\n", 2),
    ("id: a\nm: &m {<<: *m}\n", 2),
])
def test_self_referencing_alias_names_the_anchor_line(text, line):
    f = fault(text)
    assert "alias refers to" in f.message
    assert f.pos.line == line


def test_aliases_cannot_nest_past_the_depth_limit():
    text = "k0: &k0 [x]\n" + "".join(f"k{i}: &k{i} [*k{i - 1}]\n" for i in range(1, 1200))
    f = fault(text)
    assert f"deeper than {yamlsafe.MAX_DEPTH}" in f.message


# -- reading bytes ---------------------------------------------------------------------------------
def test_latin1_byte_reports_line_and_column(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes("id: a\ntitle: caf\u00e9\n".encode("latin-1"))
    text, problems = read_text(path, "a.yaml")
    assert text is None
    [p] = problems
    assert (p.path, p.line, p.column, p.severity) == ("a.yaml", 2, 11, "error")
    assert "not valid UTF-8" in p.message and "0xe9" in p.message


def test_nul_bytes_mean_binary(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"id: a\ntitle: b\n\x00\x01\x02")
    [p] = read_text(path, "a.yaml")[1]
    assert p.line == 3 and "binary file" in p.message


def test_file_just_over_the_size_limit(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"#" * (yamlsafe.MAX_BYTES + 1))
    [p] = read_text(path, "a.yaml")[1]
    assert p.line == 1 and "the limit is" in p.message


def test_file_at_the_size_limit_is_read(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"id: a\n" + b"#" * (yamlsafe.MAX_BYTES - 7) + b"\n")
    text, problems = read_text(path, "a.yaml")
    assert problems == [] and text.startswith("id: a")


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n", "---\n", "~\n"])
def test_empty_files(tmp_path, content):
    path = tmp_path / "a.yaml"
    path.write_text(content, encoding="utf-8")
    tree, [p] = load_file(path, "a.yaml")
    assert tree is None
    assert (p.line, p.severity, p.message) == (1, "error", "file is empty")


def test_unreadable_path_is_a_problem_not_an_exception(tmp_path):
    tree, [p] = load_file(tmp_path / "missing.yaml", "missing.yaml")
    assert tree is None and "cannot read file" in p.message


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs os.mkfifo (POSIX)")
def test_a_fifo_is_refused_without_reading_it(tmp_path):
    import os

    fifo = tmp_path / "sources.yaml"
    os.mkfifo(fifo)
    tree, [p] = load_file(fifo, "sources.yaml")  # would block forever if it were opened
    assert tree is None and (p.path, p.severity) == ("sources.yaml", "error") and "a pipe" in p.message


def test_a_folder_is_refused_as_not_a_regular_file(tmp_path):
    tree, [p] = load_file(tmp_path, "charts.yaml")
    assert tree is None and "a folder, not a regular file" in p.message
