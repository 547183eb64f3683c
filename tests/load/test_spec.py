"""Field specs and the Checker: each wrong value is one problem at its own line; JSON Schema export."""

from __future__ import annotations

import pytest

from briefing import spec
from briefing.model import Pos
from briefing.yamlsafe import parse

HEAD = "id: c\ntitle: T\nclaim: C\ndate: 2026-01-01\nconfidence: high\nsources: [src-a]\n"  # 6 lines


def check(text: str, shape=spec.EVIDENCE):
    checker = spec.Checker("f.yaml")
    value = checker.convert(parse(text, "f.yaml"), shape, "f.yaml", Pos("f.yaml"))
    return value, checker.problems


def only(problems, severity="error"):
    assert len(problems) == 1, "\n".join(map(str, problems))
    p = problems[0]
    assert p.severity == severity, str(p)
    return p


def test_a_valid_claim_has_no_problems():
    value, problems = check(HEAD + "figures:\n  - {metric: m, actor: A, value: 1.5, source: src-a}\n")
    assert problems == []
    assert value["title"] == "T" and value["date"] == "2026-01-01"
    assert value["sources"][0]["id"] == "src-a"
    assert value["figures"][0]["value"] == 1.5


def test_unknown_key_with_did_you_mean():
    p = only(check(HEAD + "caveat: [x]\n")[1])
    assert p.line == 7 and "unknown key 'caveat'" in p.message and "did you mean 'caveats'" in p.message


def test_unknown_key_without_a_close_match_has_no_hint():
    p = only(check(HEAD + "zzzzzz: 1\n")[1])
    assert "unknown key 'zzzzzz'" in p.message and "did you mean" not in p.message


def test_missing_required_field_names_it_at_the_mapping():
    p = only(check(HEAD.replace("claim: C\n", ""))[1])
    assert p.line == 1 and "missing required key 'claim'" in p.message


def test_required_field_left_empty():
    p = only(check(HEAD.replace("title: T", "title:"))[1])
    assert p.line == 2 and "'title' is empty" in p.message


def test_list_where_text_expected():
    p = only(check(HEAD.replace("title: T\n", "title:\n  - a\n  - b\n"))[1])
    assert p.line == 3 and "'title' must be text, not a list" in p.message


def test_text_where_number_expected():
    p = only(check(HEAD + "figures:\n  - metric: m\n    actor: A\n    value: 13,000,000\n    source: src-a\n")[1])
    assert (p.line, p.column) == (10, 12)
    assert "`13,000,000` is not a number" in p.message


def test_quoted_number_is_not_a_number():
    p = only(check(HEAD + 'figures:\n  - {metric: m, actor: A, value: "13000000", source: src-a}\n')[1])
    assert p.line == 8 and "is not a number" in p.message


@pytest.mark.parametrize("word, reads_as", [("no", "false"), ("on", "true"), ("yes", "true"), ("off", "false")])
def test_yaml11_boolean_in_a_text_field_is_an_error(word, reads_as):
    p = only(check(HEAD.replace("title: T", f"title: {word}"))[1])
    assert p.line == 2
    assert f"`{word}` is read by YAML as {reads_as}" in p.message and f'"{word}"' in p.message


def test_yaml11_boolean_in_a_list_of_text():
    p = only(check(HEAD + "caveats:\n  - fine\n  - on\n")[1])
    assert p.line == 9 and "caveats[2]" in p.message


def test_quoted_boolean_word_is_text():
    value, problems = check(HEAD.replace("title: T", 'title: "no"'))
    assert problems == [] and value["title"] == "no"


def test_yes_in_a_boolean_field_is_a_warning():
    value, problems = check(HEAD + "figures:\n  - {metric: m, actor: A, value: 1, approx: yes, source: src-a}\n")
    p = only(problems, "warning")
    assert p.line == 8 and "`yes` is a YAML 1.1 boolean" in p.message
    assert value["figures"][0]["approx"] is True


def test_text_in_a_boolean_field_is_an_error():
    p = only(check("id: s\ntitle: T\nkind: news\ninterested: maybe\n", spec.SOURCE)[1])
    assert p.line == 4 and "must be true or false" in p.message


def test_date_where_text_was_meant_is_a_warning_and_kept_as_text():
    value, problems = check(HEAD.replace("title: T", "title: 2026-02-23"))
    p = only(problems, "warning")
    assert p.line == 2 and "read by YAML as a date; kept as text" in p.message
    assert value["title"] == "2026-02-23"


def test_number_in_a_text_field_keeps_its_written_form():
    value, problems = check(HEAD.replace("title: T", "title: 1.10"))
    assert problems == [] and value["title"] == "1.10"


@pytest.mark.parametrize("written", ["2026-02-23", "2026-02", "2026", '"2026-02-23"'])
def test_valid_dates(written):
    value, problems = check(HEAD.replace("date: 2026-01-01", f"date: {written}"))
    assert problems == [] and value["date"] == written.strip('"')


@pytest.mark.parametrize("written", ["23 Feb 2026", "2026-13", '"2026-02-30"', "yesterday", "99"])
def test_string_where_a_date_was_meant(written):
    p = only(check(HEAD.replace("date: 2026-01-01", f"date: {written}"))[1])
    assert p.line == 4 and "is not a date" in p.message


def test_impossible_unquoted_date_is_an_error():
    from briefing.yamlsafe import YamlError

    with pytest.raises(YamlError) as info:  # PyYAML resolves it as a timestamp, then fails
        check(HEAD.replace("date: 2026-01-01", "date: 2026-02-30"))
    assert info.value.pos.line == 4 and "2026-02-30" in info.value.message


def test_javascript_url_is_refused():
    p = only(check("id: s\ntitle: T\nkind: news\nURL: javascript:alert(1)\n", spec.SOURCE)[1])
    assert p.line == 4 and "only http, https and mailto" in p.message


def test_enum_with_a_hint():
    p = only(check("id: s\ntitle: T\nkind: newz\n", spec.SOURCE)[1])
    assert p.line == 3 and "did you mean 'news'" in p.message


def test_id_with_spaces():
    p = only(check(HEAD.replace("id: c", "id: two words"))[1])
    assert p.line == 1 and "not a valid id" in p.message


def test_a_single_value_where_a_list_is_expected_is_forgiven():
    value, problems = check(HEAD.replace("sources: [src-a]", "sources: src-a") + "tags: one\n")
    assert problems == []
    assert [c["id"] for c in value["sources"]] == ["src-a"] and value["tags"] == ["one"]


def test_mapping_where_a_list_is_expected():
    p = only(check(HEAD + "actors: {name: A}\n")[1])
    assert p.line == 7 and "'actors' must be a list" in p.message


def test_required_list_left_empty():
    p = only(check(HEAD.replace("sources: [src-a]", "sources: []"))[1])
    assert p.line == 6 and "needs at least one entry" in p.message


def test_every_problem_in_a_file_is_collected():
    text = HEAD.replace("title: T", "title: no").replace("date: 2026-01-01", "date: soon") + "caveat: x\n"
    _, problems = check(text)
    assert sorted(p.line for p in problems) == [2, 4, 7]


def test_colour_must_be_quoted_hex():
    level = "key: k\nlabel: L\nmeaning: M\ncolor: red\nsection: alleged\n"
    p = only(check(level, spec.LEVEL)[1])
    assert p.line == 4 and "is not a colour" in p.message
    value, problems = check(level.replace("red", '"#1b7837"'), spec.LEVEL)
    assert problems == [] and value["color"] == "#1B7837"


def test_negative_origins_refused():
    p = only(check("key: k\nlabel: L\nmeaning: M\ncolor: '#000000'\nsection: alleged\nrequires: {origins: -1}\n",
                   spec.LEVEL)[1])
    assert p.line == 6 and "whole number" in p.message


def test_csl_dates_and_names():
    text = ("id: s\ntitle: T\nkind: news\nissued: {date-parts: [[2026, 2, 3]]}\n"
            "author:\n  - {family: Markman, given: Jon}\n  - Reuters\ncontainer-title: X\naccessed: 2026-03-01\n")
    value, problems = check(text, spec.SOURCE)
    assert problems == []
    assert value["issued"] == "2026-02-03"
    assert value["author"] == [{"family": "Markman", "given": "Jon"}, {"literal": "Reuters"}]
    assert value["accessed"] == "2026-03-01"  # another CSL variable, passed through


def test_bad_date_parts():
    p = only(check("id: s\ntitle: T\nkind: news\nissued: {date-parts: oops}\n", spec.SOURCE)[1])
    assert p.line == 4 and "date-parts" in p.message


def test_top_level_list_or_scalar():
    p = only(check("- a\n- b\n")[1])
    assert p.line == 1 and "must be a mapping" in p.message and "a list" in p.message
    p = only(check("just text\n")[1])
    assert "must be a mapping" in p.message and "just text" in p.message


# -- JSON Schema ---------------------------------------------------------------------------------
def test_evidence_schema_mirrors_the_spec():
    js = spec.json_schema(spec.EVIDENCE, "t")
    assert js["$schema"].startswith("https://json-schema.org/")
    assert set(js["required"]) == {"id", "title", "claim", "date", "confidence", "sources"}
    assert js["additionalProperties"] is False
    assert set(js["properties"]) == set(spec.EVIDENCE.fields)
    assert js["properties"]["section"]["enum"] == list(spec.SECTIONS)
    assert js["properties"]["figures"]["items"]["properties"]["value"]["type"] == "number"


def test_sources_schema_allows_csl_variables_and_analysis_allows_any_section():
    sources = spec.json_schema(spec.SOURCES_FILE)
    assert sources["properties"]["references"]["items"]["additionalProperties"] is True
    analysis = spec.json_schema(spec.ANALYSIS)
    assert analysis["additionalProperties"]["type"] == "array"
    assert "required" in analysis["additionalProperties"]["items"]


# -- numbers and dates within the stated limits ---------------------------------------------------------
def _figure(value: str) -> str:
    return HEAD + f"figures:\n  - metric: m\n    actor: A\n    value: {value}\n    source: src-a\n"  # value: line 10


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "1" * 400, "1.0e+16", "-2000000000000000"])
def test_a_number_that_is_not_finite_or_beyond_the_limit_is_refused_at_its_line(value):
    _, problems = check(_figure(value))
    p = only(problems)
    assert p.line == 10 and ("finite" in p.message or "beyond the limit" in p.message)
    assert len(str(p)) < 200  # a 400-digit value is cut, not echoed


@pytest.mark.parametrize("value, shown", [("0755", "493"), ("1:30", "90"), ("0x1F", "31"), ("0b11", "3"),
                                          ("-0o7", None)])
def test_yaml_1_1_number_forms_are_refused_with_the_value_yaml_reads(value, shown):
    _, problems = check(_figure(value))
    p = only(problems)
    assert p.line == 10
    if shown:
        assert "YAML 1.1" in p.message and f"read as {shown}" in p.message


def test_an_underscore_digit_separator_is_a_warning_and_keeps_its_value():
    value, problems = check(_figure("1_000"))
    p = only(problems, "warning")
    assert p.line == 10 and "write 1000" in p.message
    assert value["figures"][0]["value"] == 1000


def test_plain_numbers_up_to_the_limit_pass():
    for text in ("0", "-3", "0.5", "1000000000000000", "12.50"):
        _, problems = check(_figure(text))
        assert problems == [], text


@pytest.mark.parametrize("date", ["1899-12-31", "2200-01-01", "1066", "0001-01-01", "9999-12"])
def test_a_date_outside_the_stated_years_is_refused_at_its_line(date):
    _, problems = check(HEAD.replace("2026-01-01", date))
    p = only(problems)
    assert p.line == 4 and "1900 to 2199" in p.message


def test_dates_at_the_ends_of_the_range_pass():
    for date in ("1900-01-01", "2199-12-31", "1900", "2199-12"):
        value, problems = check(HEAD.replace("2026-01-01", date))
        assert problems == [] and value["date"] == date


SOURCE_HEAD = "references:\n  - id: s\n    title: T\n    kind: news\n"  # issued: on line 5


@pytest.mark.parametrize("issued, stored", [
    ("2026-02-23", "2026-02-23"),
    ("{date-parts: [[2026, 2]]}", "2026-02"),
    ("{date-parts: [[2026, 1], [2026, 3]]}", "2026-01/2026-03"),
    ("{literal: Spring 2026}", "literal:Spring 2026"),
])
def test_csl_dates_check_accepts(issued, stored):
    value, problems = check(SOURCE_HEAD + f"    issued: {issued}\n", spec.SOURCES_FILE)
    assert problems == [] and value["references"][0]["issued"] == stored


@pytest.mark.parametrize("issued, words", [
    ("{date-parts: [[99999, 1, 1]]}", "1900 to 2199"),
    ("{date-parts: [[2026, 13]]}", "not a real date"),
    ("{date-parts: [[2026, 2, 30]]}", "not a real date"),
    ("{date-parts: [[\"2026\"]]}", "whole numbers"),
    ("{date-parts: [[2026], [2025]]}", "before it starts"),
    ("{date-parts: []}", "date-parts must look like"),
    ("{raw: 2026-02-23}", "'raw' is not supported"),
    ("{season: 1, date-parts: [[2026]]}", "'season' is not supported"),
    ("{literal: ''}", "is empty"),
    ("{literal: x, date-parts: [[2026]]}", "not both"),
])
def test_csl_date_forms_that_would_not_render_are_refused_at_their_line(issued, words):
    _, problems = check(SOURCE_HEAD + f"    issued: {issued}\n", spec.SOURCES_FILE)
    p = only(problems)
    assert p.line == 5 and words in p.message, str(p)


def test_other_csl_date_variables_are_checked_like_issued():
    _, problems = check(SOURCE_HEAD + "    accessed: {date-parts: [[1492, 10, 12]]}\n", spec.SOURCES_FILE)
    assert only(problems).line == 5
