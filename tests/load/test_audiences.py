"""Audiences: the four shipped ones build and read right; new ones are made, inherited and configured."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import CLAIM, copy_workspace, line_of

from briefing.audiences import audience_files, load_audience
from briefing.build import build
from briefing.cli import main
from briefing.compose import compose
from briefing.errors import BriefingError
from briefing.inputs import load
from briefing.queries import Queries
from tests.readers import docx_paragraphs, docx_text, docx_xml, fold, pdf_pages, pdf_text

REPO = Path(__file__).resolve().parents[2]
HAS_PDF = importlib.util.find_spec("briefing.render_pdf") is not None
FORMATS = ("pdf", "docx") if HAS_PDF else ("docx",)
WORKSPACE_FILES = ("briefing.yaml", "sources.yaml", "analysis.yaml", "charts.yaml", "evidence", "editions",
                   "scale.yaml")

# What each shipped audience must show, as Word Heading 1 paragraphs (in this order), and must not.
EXPECTED = {
    "executive": (["Key figures", "What is documented", "What is alleged or disputed",
                   "What the evidence does not show", "Implications for leaders", "References"],
                  ["Appendix: claims ledger", "Note on methodology"]),
    "board": (["What the evidence shows", "For the board", "References"],
              ["What is documented", "Appendix: claims ledger", "Key figures"]),
    "policy": (["Legal avenues and their viability", "The political and regulatory timeline", "Policy options",
                "References"],
               ["What is documented", "Appendix: claims ledger"]),
    "analyst": (["The allegations, quantified", "What is documented", "What is alleged or disputed",
                 "Why it matters", "What the evidence does not show", "Implications for leaders", "Policy options",
                 "Note on methodology", "References", "Appendix: claims ledger"],
                ["Key figures"]),
}


def _copy(dest: Path) -> Path:
    """The default workspace without its templates/, so only the packaged templates apply."""
    return copy_workspace(dest, WORKSPACE_FILES)




@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """Every shipped audience built once from the default workspace: name -> (result, pdf, docx)."""
    out = tmp_path_factory.mktemp("audiences")
    built = {}
    for name in EXPECTED:
        result = build(REPO, audience=name, formats=FORMATS, out_dir=out)
        files = {fmt: out / Path(p).name for fmt, p in result.outputs.items()}
        built[name] = (result, files.get("pdf"), files["docx"])
    return built


@pytest.fixture(scope="module")
def workspace():
    return load(REPO).checked().workspace


def headings(docx: Path, level: int = 1) -> list[str]:
    return [t for s, t in docx_paragraphs(docx) if s == f"Heading {level}"]


# -- the shipped audiences ------------------------------------------------------------------------
def test_briefing_audiences_lists_the_four_one_per_line(capsys):
    assert main(["audiences", "--workspace", str(REPO)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["analyst", "board", "executive", "policy"]
    for line in lines:
        name, description = re.match(r"^(\S+) +(\S.*)$", line).groups()
        assert description == load_audience(REPO, name).description and len(description) > 30


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_audience_builds_with_its_sections(shipped, name):
    result, _, docx = shipped[name]
    want, unwanted = EXPECTED[name]
    got = headings(docx)
    assert [h for h in got if h in want] == want, got
    assert not set(unwanted) & set(got)
    text = docx_text(docx)
    assert "Bottom line" in text
    assert "{.confidence" not in text and "[@" not in text and "\\" not in text


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_audience_pdf_is_within_its_page_budget(shipped, name):
    pytest.importorskip("briefing.render_pdf")
    result, pdf, _ = shipped[name]
    budget = load_audience(REPO, name).page_budget
    assert budget and len(pdf_pages(pdf)) == result.pages <= budget
    assert not [w for w in result.warnings if "budget" in w]
    text = pdf_text(pdf)
    for heading in EXPECTED[name][0]:
        assert heading in text, heading


def test_executive_is_condensed_and_points_to_the_analyst_edition(shipped, workspace):
    _, _, docx = shipped["executive"]
    text = docx_text(docx)
    q = Queries(workspace, "executive", ("bottom_line", "implications"))
    documented = q.in_section("documented")
    shown = [e for e in documented if e.title in text]
    assert len(shown) == 3
    assert f"{len(documented) - 3} further claims in the analyst edition" in text
    # The claims shown are those the bottom line rests on.
    bottom = {i for j in q.judgements("bottom_line") for i in j.rests_on}
    assert all(e.id in bottom for e in shown)
    assert any(s in ("Caption", "Image Caption") for s, _ in docx_paragraphs(docx))  # its one chart


def test_executive_is_about_three_pages_before_its_references(shipped):
    pytest.importorskip("briefing.render_pdf")
    _, pdf, _ = shipped["executive"]
    pages = pdf_pages(pdf)
    first_refs = next(i for i, p in enumerate(pages) if "References" in p)
    assert first_refs <= 3 and "Implications for leaders" in " ".join(pages[:first_refs + 1])


def test_board_summary_fits_on_the_first_page(shipped, workspace):
    pytest.importorskip("briefing.render_pdf")
    _, pdf, _ = shipped["board"]
    first = fold(pdf_pages(pdf)[0])
    for heading in ("Bottom line", "What the evidence shows", "For the board"):
        assert heading in first
    for j in Queries(workspace, "board").judgements("implications"):
        assert fold(j.title) in first, j.title


def test_policy_sets_out_legal_avenues_timeline_and_options_with_their_evidence(shipped, workspace):
    _, _, docx = shipped["policy"]
    text = docx_text(docx)
    aud = load_audience(REPO, "policy")
    q = Queries(workspace, "policy")
    avenues = q.by_tag(aud.tags["legal_avenues"])
    assert len(avenues) >= 4
    for e in avenues:
        assert fold(e.title) in text and fold(e.claim) in text
    timeline = q.by_tag(aud.tags["timeline"])
    positions = [text.index(fold(e.event or e.title)) for e in timeline]
    assert positions == sorted(positions)  # oldest first
    options = q.judgements("policy_options")
    assert [h for h in headings(docx, 2)] == [f"{i}. {j.title}" for i, j in enumerate(options, 1)]
    assert text.count("The evidence behind it:") == len(options)
    for j in options:
        for e in q.rests_on(j):
            assert fold(e.title) in text


def test_analyst_ledger_lists_every_claim_with_sources_figures_disputes_and_caveats(shipped, workspace):
    import docx as python_docx

    _, _, path = shipped["analyst"]
    table = python_docx.Document(str(path)).tables[-1]
    header, *rows = table.rows
    assert [c.text for c in header.cells] == ["Claim", "Sources, passages and figures", "Disputes and caveats"]
    assert "tblHeader" in header._tr.xml  # Word repeats it on every page
    assert len(rows) == len(workspace.evidence)
    cells = {fold(r.cells[0].text): [fold(c.text) for c in r.cells[1:]] for r in rows}
    q = Queries(workspace, "analyst")
    for e in workspace.evidence:
        key = next(k for k in cells if fold(e.title) in k)
        assert q.level(e).label in key
        sources, notes = cells[key]
        for c in q.citations(e):
            assert c.name in sources and (not c.locator or fold(c.locator) in sources)
        for d in e.disputes:
            assert f"Disputed by {d.by}: {fold(d.text)}" in notes
        for caveat in e.caveats:
            assert fold(caveat) in notes
    figures = [e for e in workspace.evidence if e.figures]
    assert figures and all("reports" in cells[next(k for k in cells if fold(e.title) in k)][0] for e in figures)


def test_analyst_ledger_header_repeats_on_every_pdf_page(shipped):
    pytest.importorskip("briefing.render_pdf")
    _, pdf, _ = shipped["analyst"]
    pages = pdf_pages(pdf)
    start = next(i for i, p in enumerate(pages) if "Appendix: claims ledger" in p)
    ledger_pages = pages[start:]
    assert len(ledger_pages) >= 2
    assert all("Sources, passages and figures" in fold(p) for p in ledger_pages)


def test_no_audience_code_names_this_case():
    """Tags and judgement sections come from YAML and templates, never from Python."""
    for module in ("audiences", "queries", "compose", "templating", "new_audience", "commands/audience"):
        source = (REPO / "briefing" / f"{module}.py").read_text(encoding="utf-8")
        for word in ("legal-avenue", "policy-timeline", "policy_options", "Distillation", "Anthropic"):
            assert word not in source, (module, word)


# -- briefing audience new ------------------------------------------------------------------------
def test_audience_new_creates_an_editable_copy_that_builds_the_same(tmp_path, capsys):
    ws = _copy(tmp_path / "ws")
    assert main(["audience", "new", "regulator", "--from", "executive", "--workspace", str(ws)]) == 0
    out = capsys.readouterr().out
    assert "templates/audiences/regulator.yaml" in out and "briefing build --audience regulator" in out
    made = yaml.safe_load((ws / "templates/audiences/regulator.yaml").read_text())
    base = load_audience(ws, "executive")
    assert made["template"] == "audiences/regulator.md.j2"
    assert tuple(made["sections"]) == base.sections and made["page_budget"] == base.page_budget
    template = (ws / "templates/audiences/regulator.md.j2").read_text()
    assert template.startswith('{% extends "audiences/executive.md.j2" %}')
    assert "{% block preamble %}" in template and "{% block section %}" in template
    # Its example overrides change nothing yet: the same document as its base.
    assert compose(load(ws, "regulator")).ast.tree()["blocks"] == compose(load(ws, "executive")).ast.tree()["blocks"]
    assert main(["audiences", "--workspace", str(ws)]) == 0
    assert "regulator  Made from executive:" in capsys.readouterr().out


def test_audience_new_never_overwrites(tmp_path, capsys):
    ws = _copy(tmp_path / "ws")
    assert main(["audience", "new", "regulator", "--workspace", str(ws)]) == 0
    yaml_file = ws / "templates/audiences/regulator.yaml"
    yaml_file.write_text(yaml_file.read_text() + "# my edit\n")
    before = yaml_file.read_text()
    capsys.readouterr()
    assert main(["audience", "new", "regulator", "--from", "board", "--workspace", str(ws)]) == 1
    assert "already exists; not overwritten" in capsys.readouterr().err
    assert yaml_file.read_text() == before
    # A template file alone blocks it too, and nothing is half-written.
    (ws / "templates/audiences/other.md.j2").write_text("mine")
    assert main(["audience", "new", "other", "--workspace", str(ws)]) == 1
    assert not (ws / "templates/audiences/other.yaml").exists()
    assert (ws / "templates/audiences/other.md.j2").read_text() == "mine"


@pytest.mark.parametrize("args, message", [
    (["Bad Name"], "is not a usable audience name"),
    (["../escape"], "is not a usable audience name"),
    (["x", "--from", "nobody"], "unknown audience 'nobody'"),
])
def test_audience_new_refuses_bad_requests(tmp_path, capsys, args, message):
    ws = _copy(tmp_path / "ws")
    assert main(["audience", "new", *args, "--workspace", str(ws)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (ws / "templates").exists()


def test_audience_new_outside_a_workspace_says_so(tmp_path, capsys):
    assert main(["audience", "new", "x", "--workspace", str(tmp_path)]) == 1
    assert "no briefing.yaml" in capsys.readouterr().err


def test_remaking_a_packaged_audience_copies_its_template(tmp_path, capsys):
    ws = _copy(tmp_path / "ws")
    assert main(["audience", "new", "executive", "--workspace", str(ws)]) == 0
    assert "overrides the packaged one" in capsys.readouterr().out
    own = (ws / "templates/audiences/executive.md.j2").read_text()
    assert own.startswith('{% extends "base.md.j2" %}')  # a copy, not a template extending itself
    assert "Key figures" in compose(load(ws, "executive")).markdown


def test_a_broken_workspace_audience_is_reported_and_the_rest_listed(tmp_path, capsys):
    ws = _copy(tmp_path / "ws")
    (ws / "templates/audiences").mkdir(parents=True)
    (ws / "templates/audiences/broken.yaml").write_text("description: x\nsections: [bottom_line]\npaper: A3\n")
    assert main(["audiences", "--workspace", str(ws)]) == 1
    captured = capsys.readouterr()
    assert "templates/audiences/broken.yaml:3:8: error:" in captured.err and "A4, Letter" in captured.err
    assert [line.split()[0] for line in captured.out.splitlines()] == ["analyst", "board", "executive", "policy"]


# -- inheritance ------------------------------------------------------------------------------------
def test_a_custom_audience_overrides_one_block_and_inherits_the_rest(tmp_path):
    ws = _copy(tmp_path / "ws")
    files = {
        "templates/audiences/brief.yaml": "description: A note and the bottom line\ntemplate: audiences/brief.md.j2\n"
                                          "sections: [bottom_line, references]\n",
        "templates/audiences/brief.md.j2": '{% extends "base.md.j2" %}\n{% block preamble %}\n\n'
                                           "Read this first.\n{% endblock %}\n",
    }
    for rel, text in files.items():
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(text)
    md = compose(load(ws, "brief")).markdown
    assert md.index("Read this first.") < md.index("Bottom line") < md.index("# References")


def test_the_workspace_overrides_a_packaged_section_for_every_audience(tmp_path):
    ws = _copy(tmp_path / "ws")
    (ws / "templates/sections").mkdir(parents=True)
    (ws / "templates/sections/references.md.j2").write_text("# Sources consulted {#references}\n\n::: {#refs}\n:::\n")
    for name in EXPECTED:
        md = compose(load(ws, name)).markdown
        assert "# Sources consulted" in md and "# References" not in md


# -- per-audience options ----------------------------------------------------------------------------
def audience_yaml(**options) -> str:
    base = {"description": "A test audience", "sections": ["bottom_line", "documented", "references"]}
    return yaml.safe_dump({**base, **options}, sort_keys=False)


def test_unknown_section_is_reported_at_the_audience_file_and_line(make_workspace):
    text = "description: x\n\nsections: [bottom_line, documnted]\n"
    root = make_workspace(files={"templates/audiences/t.yaml": text})
    with pytest.raises(BriefingError) as info:
        load_audience(root, "t")
    err = info.value
    assert (err.path, err.line) == ("templates/audiences/t.yaml", 3)
    assert "no template for section 'documnted'" in err.message and "did you mean 'documented'" in err.message


def test_missing_template_and_bad_font_size_are_reported_at_their_lines(make_workspace):
    root = make_workspace(files={"templates/audiences/t.yaml": audience_yaml(template="audiences/nope.md.j2")})
    with pytest.raises(BriefingError, match="template 'audiences/nope.md.j2' not found") as info:
        load_audience(root, "t")
    assert info.value.line == line_of(root / "templates/audiences/t.yaml", "template:")
    root = make_workspace(files={"templates/audiences/t.yaml": audience_yaml(font_size=30)})
    with pytest.raises(BriefingError, match="font_size must be between 6 and 16"):
        load_audience(root, "t")


def test_a_workspace_audience_linking_out_is_refused(make_workspace, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(audience_yaml())
    root = make_workspace()
    (root / "templates/audiences").mkdir(parents=True)
    (root / "templates/audiences/linked.yaml").symlink_to(outside)
    assert "linked" in audience_files(root)
    with pytest.raises(BriefingError, match="outside the workspace; refused"):
        load_audience(root, "linked")


def test_ledger_and_claims_per_section_options(make_workspace):
    evidence = {f"c{i}.yaml": {**CLAIM, "id": f"c{i}", "title": f"Claim number {i}"} for i in range(4)}
    root = make_workspace(evidence=evidence, files={
        "templates/audiences/short.yaml": audience_yaml(claims_per_section=1, full_edition="long"),
        "templates/audiences/long.yaml": audience_yaml(ledger=True)})
    short = compose(load(root, "short")).markdown
    assert short.count("Claim number") == 1 and "3 further claims in the long edition" in short
    long = compose(load(root, "long")).markdown
    assert "# Appendix: claims ledger" in long and long.index("# References") < long.index("# Appendix")
    assert long.count("Claim number") == 8  # each in its section and in the ledger


def test_paper_marking_colour_and_fonts_reach_both_formats(make_workspace, tmp_path):
    root = make_workspace(files={"templates/audiences/us.yaml": audience_yaml(
        paper="Letter", marking="Official - Sensitive", brand_color="#7A1F5C", docx_font="Georgia", font_size=11)})
    result = build(root, audience="us", formats=FORMATS, out_dir=tmp_path / "out")
    docx = tmp_path / "out" / Path(result.outputs["docx"]).name
    assert 'w:w="12240"' in docx_xml(docx) or 'w:w="12240"' in docx_xml(docx, "word/document.xml")
    assert "Official - Sensitive" in docx_xml(docx, "word/header1.xml")
    styles = docx_xml(docx, "word/styles.xml")
    assert "7A1F5C" in styles.upper() and "Georgia" in styles
    if HAS_PDF:
        from pypdf import PdfReader

        pdf = tmp_path / "out" / Path(result.outputs["pdf"]).name
        box = PdfReader(str(pdf)).pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (612, 792)
        assert "Official - Sensitive" in pdf_text(pdf)


def test_a_logo_inside_the_workspace_is_printed(make_workspace, tmp_path):
    pytest.importorskip("briefing.render_pdf")
    from PIL import Image

    root = make_workspace(files={"templates/audiences/logo.yaml": audience_yaml(logo="images/logo.png")})
    (root / "images").mkdir()
    Image.new("RGB", (40, 20), "#1F3A5F").save(root / "images" / "logo.png")
    result = build(root, audience="logo", formats=("pdf",), out_dir=tmp_path / "out")
    from pypdf import PdfReader

    pdf = PdfReader(str(tmp_path / "out" / Path(result.outputs["pdf"]).name))
    assert pdf.pages[0].images, "the logo is drawn on the first page"


def test_page_budget_warns_when_the_pdf_runs_over(make_workspace, tmp_path):
    pytest.importorskip("briefing.render_pdf")
    long = "A long claim. " * 120
    evidence = {f"c{i}.yaml": {**CLAIM, "id": f"c{i}", "claim": long} for i in range(6)}
    root = make_workspace(evidence=evidence, files={"templates/audiences/tight.yaml": audience_yaml(page_budget=1)})
    result = build(root, audience="tight", formats=("pdf",), out_dir=tmp_path / "out")
    assert result.pages > 1
    assert [w for w in result.warnings if w.startswith("templates/audiences/tight.yaml: warning: the PDF has")]


def test_body_font_from_the_workspace_is_embedded_with_its_bold_and_italic(make_workspace, tmp_path):
    pytest.importorskip("briefing.render_pdf")
    from pypdf import PdfReader

    from briefing.render_pdf.fonts import dejavu_dir

    root = make_workspace(files={"templates/audiences/serif.yaml": audience_yaml(body_font="fonts/DejaVuSerif.ttf")})
    (root / "fonts").mkdir()
    for face in ("", "-Bold", "-Italic", "-BoldItalic"):
        shutil.copy(dejavu_dir() / f"DejaVuSerif{face}.ttf", root / "fonts")
    result = build(root, audience="serif", formats=("pdf",), out_dir=tmp_path / "out")
    reader = PdfReader(str(tmp_path / "out" / Path(result.outputs["pdf"]).name))
    names = {str(f.get_object()["/BaseFont"]).split("+")[-1]
             for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert {"DejaVuSerif", "DejaVuSerif-Bold"} <= names


@pytest.mark.parametrize("font, message", [("../outside.ttf", "body_font path '../outside.ttf' leads outside"),
                                           ("fonts/fake.ttf", "is not a usable TrueType font")])
def test_a_bad_body_font_is_one_line_at_the_audience_file(make_workspace, tmp_path, font, message):
    pytest.importorskip("briefing.render_pdf")
    root = make_workspace(files={"templates/audiences/serif.yaml": audience_yaml(body_font=font),
                                 "fonts/fake.ttf": "not a font"})
    (root.parent / "outside.ttf").write_text("x")
    with pytest.raises(BriefingError, match=re.escape(message)) as info:
        build(root, audience="serif", formats=("pdf",), out_dir=tmp_path / "out")
    assert info.value.path == "templates/audiences/serif.yaml"


# -- charts are data: an audience draws the charts the workspace declares ---------------------------------
USER_CHARTS = """charts:
  - {id: water-use, kind: bar, title: Water drawn by each user}
  - {id: events, kind: timeline, title: How the dispute unfolded}
  - {id: confidence-mix, kind: confidence, title: How sure we are}
"""


def _figure_titles(markdown: str) -> list[str]:
    return re.findall(r"!\[Figure \d+\. ([^.]+)\.", markdown)


def test_an_audience_draws_all_declared_charts_by_default(make_workspace):
    aud = "description: x\nsections: [bottom_line, references]\n"  # no section places a chart
    root = make_workspace(files={"charts.yaml": USER_CHARTS, "templates/audiences/t.yaml": aud})
    md = compose(load(root, "t")).markdown
    assert _figure_titles(md) == ["Water drawn by each user", "How the dispute unfolded", "How sure we are"]
    assert md.index("# Further figures") < md.index("# References")  # placed, never dropped


@pytest.mark.parametrize("options, titles", [
    ("charts: [confidence-mix, water-use]\n", ["How sure we are", "Water drawn by each user"]),
    ("charts: all\nchart_kinds: [timeline]\n", ["How the dispute unfolded"]),
    ("charts: []\n", []),
])
def test_an_audience_lists_the_charts_it_draws(make_workspace, options, titles):
    aud = "description: x\nsections: [bottom_line]\n" + options  # no references: figures go at the end
    root = make_workspace(files={"charts.yaml": USER_CHARTS, "templates/audiences/t.yaml": aud})
    assert _figure_titles(compose(load(root, "t")).markdown) == titles


def test_charts_must_be_all_or_a_list(make_workspace):
    aud = "description: x\nsections: [bottom_line]\ncharts: some\n"
    root = make_workspace(files={"templates/audiences/t.yaml": aud})
    with pytest.raises(BriefingError, match="write `all` or a list of chart ids") as info:
        load_audience(root, "t")
    assert info.value.line == 3


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_a_fresh_init_workspace_has_its_charts_in_the_analyst_pdf(tmp_path):
    from briefing.new_workspace import init_workspace

    root = init_workspace(tmp_path / "ws", title="Water rights")
    charts = yaml.safe_load((root / "charts.yaml").read_text("utf-8"))  # and a chart the user declares
    charts["charts"].append({"id": "my-own-chart", "kind": "bar", "title": "A chart the user added"})
    (root / "charts.yaml").write_text(yaml.safe_dump(charts, sort_keys=False), encoding="utf-8")
    result = build(root, audience="analyst", formats=("pdf",))
    text = pdf_text(result.outputs["pdf"])
    declared = yaml.safe_load((root / "charts.yaml").read_text("utf-8"))["charts"]
    for chart in declared:
        assert re.search(rf"Figure \d+\. {re.escape(chart['title'])}\.", text), chart["title"]


def test_tagged_sections_build_for_an_audience_without_the_tag_groups(tmp_path):
    """policy_timeline and legal_avenues read the audience's tag groups; an audience declaring none (which
    `check` accepts) gets the sections saying nothing is tagged, not a failed build."""
    from conftest import write_workspace

    root = write_workspace(tmp_path / "ws", files={"templates/audiences/plain.yaml": {
        "description": "No tag groups", "sections": ["legal_avenues", "policy_timeline", "references"]}})
    result = build(root, audience="plain", formats=("docx",))
    text = docx_text(root / "out" / result.outputs["docx"].name)
    assert "No evidence is tagged as a legal avenue." in text
    assert "No evidence is tagged for the timeline." in text
