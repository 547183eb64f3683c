"""The theme as data: the packaged templates/theme.yaml, a workspace's changes, an audience's, and check."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import REPO, line_of, one, problems_of

from briefing import spec
from briefing.audiences import load_audience
from briefing.errors import BriefingError
from briefing.packaged import PACKAGE_TEMPLATES
from briefing.theme import THEME_FILE, load_theme, packaged_theme, theme_problems, tint

AUDIENCE = "description: A test audience\nsections: [documented, references]\n"


def test_the_packaged_theme_declares_every_key():
    theme = packaged_theme()
    assert theme.colors.brand == "#1F3A5F" and theme.colors.disputed == "#8B0000"
    assert theme.fonts.docx == "Calibri" and theme.sizes.body == 10.0 and theme.sizes.docx_body == 11.0
    # Every colour the spec declares has a value (no key left to a hidden default in code).
    assert set(spec.THEME.fields["colors"].fields) == set(vars(theme.colors))
    assert set(spec.THEME.fields["charts"].fields) == set(vars(theme.charts)) and len(theme.charts.palette) == 6


def test_the_default_workspace_is_the_packaged_theme_without_a_second_read():
    # The repository's templates/ is both the workspace's folder and the packaged one.
    assert (REPO / "templates" / THEME_FILE).resolve() == (PACKAGE_TEMPLATES / THEME_FILE).resolve()
    assert theme_problems(REPO) == []
    assert load_theme(REPO) == packaged_theme()


def test_a_workspace_theme_changes_only_the_keys_it_gives(make_workspace):
    root = make_workspace(files={"templates/theme.yaml": 'colors:\n  disputed: "#aa0000"\nsizes:\n  body: 11\n'})
    theme = load_theme(root)
    base = packaged_theme()
    assert theme.colors == replace(base.colors, disputed="#AA0000")
    assert theme.sizes == replace(base.sizes, body=11.0)
    assert theme.fonts == base.fonts
    assert theme.digest() != base.digest()


def test_an_audience_changes_the_workspace_theme_and_its_shorthands_win(make_workspace):
    root = make_workspace(files={
        "templates/theme.yaml": 'colors:\n  brand: "#111111"\n  link: "#222222"\n',
        "templates/audiences/a.yaml": AUDIENCE + 'theme:\n  colors:\n    link: "#333333"\n'
                                      '  fonts:\n    docx: Georgia\n',
        "templates/audiences/b.yaml": AUDIENCE + 'brand_color: "#444444"\nfont_size: 9\ntheme:\n'
                                      '  colors:\n    brand: "#555555"\n',
    })
    a = load_theme(root, load_audience(root, "a"))
    assert (a.colors.brand, a.colors.link, a.fonts.docx) == ("#111111", "#333333", "Georgia")
    b = load_theme(root, load_audience(root, "b"))
    assert (b.colors.brand, b.colors.link, b.sizes.body) == ("#444444", "#222222", 9.0)
    # A packaged audience sets no brand colour: the workspace's theme reaches it.
    assert load_theme(root, load_audience(root, "executive")).colors.brand == "#111111"


@pytest.mark.parametrize(("text", "key", "message"), [
    ('colors:\n  brand: blue\n', "brand", "is not a colour like"),
    ('colors:\n  brandd: "#111111"\n', "brandd", "unknown key 'brandd'; did you mean 'brand'?"),
    ('sizes:\n  body: 40\n', "body", "40 is out of range; use 6 to 16"),
    ('fonts:\n  docx: [Calibri]\n', "docx", "'docx' must be text"),
    # Unquoted, "#" starts a comment: the key is left empty, and says why.
    ('colors:\n  brand: #123456\n', "brand", "'brand' has no colour; quote it"),
    ('charts:\n  palette: []\n', "palette", "'palette' has 0 entries; give 1 to 12"),
    ('charts:\n  palette: ["#111111", red]\n', "palette", "`red` is not a colour"),
])
def test_check_names_the_line_of_a_bad_workspace_theme(make_workspace, text, key, message):
    root = make_workspace(files={"templates/theme.yaml": text})
    problem = one(problems_of(root), message)
    assert (problem.path, problem.line) == ("templates/theme.yaml", line_of(root / "templates/theme.yaml", key))
    with pytest.raises(BriefingError) as info:
        load_theme(root)
    assert info.value.path == "templates/theme.yaml" and message in info.value.message


def test_check_names_the_line_of_a_bad_audience_theme(make_workspace):
    root = make_workspace(files={"templates/audiences/a.yaml": AUDIENCE + "theme:\n  colors:\n    muted: grey\n"
                                                                      "  sizes:\n    docx_body: 3\n"})
    problems = problems_of(root)
    path = root / "templates/audiences/a.yaml"
    assert one(problems, "`grey` is not a colour").line == line_of(path, "muted")
    assert one(problems, "3 is out of range").line == line_of(path, "docx_body")


def test_a_theme_file_linking_out_of_the_workspace_is_refused(make_workspace, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text('colors:\n  brand: "#111111"\n', encoding="utf-8")
    root = make_workspace()
    (root / "templates").mkdir()
    (root / "templates" / THEME_FILE).symlink_to(outside)
    assert "a link to a file outside the workspace" in one(problems_of(root), "theme file").message


def test_the_json_schema_covers_the_theme():
    schema = spec.json_schema(spec.THEME_OVERRIDE)
    colors = schema["properties"]["colors"]
    assert colors["properties"]["brand"]["pattern"] == spec.COLOR_RE.pattern
    assert colors["additionalProperties"] is False
    assert schema["properties"]["sizes"]["properties"]["body"] | {"description": ""} == {
        "type": "number", "minimum": 6, "maximum": 16, "description": ""}
    audience = spec.json_schema(spec.AUDIENCE)
    assert audience["properties"]["theme"]["properties"]["colors"] == colors


def test_tint_mixes_into_white():
    assert tint("#1F3A5F", 0) == "#FFFFFF" and tint("#1F3A5F", 1) == "#1F3A5F"
    assert tint("#000000", 0.5) == "#808080"
