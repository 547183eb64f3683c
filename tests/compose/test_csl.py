"""The numeric CSL style, run through pandoc's citeproc as the compose stage runs it."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from briefing.pandoc import pandoc_path as _pandoc_path

CSL = Path(__file__).resolve().parents[2] / "templates" / "numeric.csl"
NS = {"csl": "http://purl.org/net/xbiblio/csl"}

BIB = [
    {
        "id": "anthropic",
        "type": "post-weblog",
        "title": "Detecting and Preventing Distillation Attacks",
        "container-title": "Anthropic News",
        "publisher": "Anthropic",
        "author": [{"literal": "Anthropic"}],
        "issued": {"date-parts": [[2026, 2, 23]]},
        "URL": "https://www.anthropic.com/news/detecting",
    },
    {
        "id": "bloomberg",
        "type": "article-newspaper",
        "title": "Anthropic Accuses DeepSeek",
        "container-title": "Bloomberg",
        "author": [{"family": "Markman", "given": "Jon"}],
        "issued": {"date-parts": [[2026, 2]]},
        "URL": "https://www.bloomberg.com/x",
    },
    {"id": "anon", "type": "webpage", "title": "An anonymous page", "publisher": "Some Org", "issued": "2025"},
    {"id": "undated", "type": "report", "title": "Undated report", "author": [{"literal": "Reuters"}]},
]


def citeproc(markdown: str, tmp_path: Path, bib: list[dict] = BIB) -> dict:
    """Parse Markdown the way the compose stage does and return the JSON AST."""
    bib_path = tmp_path / "refs.json"
    bib_path.write_text(json.dumps(bib), "utf-8")
    out = subprocess.run(
        [_pandoc_path(), "-f", "markdown", "-t", "json", "--citeproc", f"--csl={CSL}",
         f"--bibliography={bib_path}", "-M", "link-citations=true"],
        input=markdown.encode(), capture_output=True, check=True,
    )
    return json.loads(out.stdout)


def plain(ast: dict) -> str:
    out = subprocess.run([_pandoc_path(), "-f", "json", "-t", "plain", "--wrap=none"],
                         input=json.dumps(ast).encode(), capture_output=True, check=True)
    return out.stdout.decode()


def nodes(x, kind: str):
    """Every node of this type, depth first."""
    if isinstance(x, dict):
        if x.get("t") == kind:
            yield x
        for v in x.values():
            yield from nodes(v, kind)
    elif isinstance(x, list):
        for v in x:
            yield from nodes(v, kind)


def cite_numbers(cite: dict) -> str:
    """The text a Cite renders to, e.g. '1' or '1–3'."""
    return "".join(s["c"] for s in nodes(cite["c"][1], "Str"))


def entries(ast: dict) -> dict[str, str]:
    """Bibliography entry id -> its plain text."""
    refs = next(d for d in nodes(ast["blocks"], "Div") if d["c"][0][0] == "refs")
    out = {}
    for div in refs["c"][1]:
        ident = div["c"][0][0]
        out[ident] = plain({"pandoc-api-version": ast["pandoc-api-version"], "meta": {}, "blocks": div["c"][1]})
    return {k: " ".join(v.split()) for k, v in out.items()}


def test_style_is_valid_csl_with_honest_rights():
    root = ET.parse(CSL).getroot()
    assert root.get("class") == "in-text" and root.get("version") == "1.0"
    assert root.find("csl:info/csl:category", NS).get("citation-format") == "numeric"
    rights = root.find("csl:info/csl:rights", NS)
    assert "by-sa/3.0" in rights.get("license") and "Attribution-ShareAlike 3.0" in rights.text
    assert root.find("csl:bibliography", NS).get("second-field-align") == "flush"


def test_numbers_follow_first_citation(tmp_path):
    ast = citeproc("B first.[@bloomberg] Then A.[@anthropic] B again.[@bloomberg]\n", tmp_path)
    cites = list(nodes(ast["blocks"], "Cite"))
    assert [cite_numbers(c) for c in cites] == ["1", "2", "1"]
    assert list(entries(ast)) == ["ref-bloomberg", "ref-anthropic"]
    assert entries(ast)["ref-bloomberg"].startswith("1. ")
    assert entries(ast)["ref-anthropic"].startswith("2. ")


def test_citation_is_a_superscript_link_inside_the_cite(tmp_path):
    ast = citeproc("Claim.[@anthropic]\n", tmp_path)
    (cite,) = nodes(ast["blocks"], "Cite")
    (sup,) = nodes(cite["c"][1], "Superscript")
    (link,) = nodes(sup, "Link")
    assert link["c"][2][0] == "#ref-anthropic"
    assert cite_numbers(cite) == "1"


def test_ranges_collapse_and_sort(tmp_path):
    ast = citeproc("One.[@anthropic] Many.[@undated; @bloomberg; @anon; @anthropic]\n", tmp_path)
    cites = list(nodes(ast["blocks"], "Cite"))
    assert cite_numbers(cites[1]) == "1\u20134"
    ast = citeproc("One.[@anthropic; @bloomberg] Two.[@anon; @anthropic]\n", tmp_path)
    assert [cite_numbers(c) for c in nodes(ast["blocks"], "Cite")] == ["1,2", "1,3"]


def test_entry_format(tmp_path):
    ast = citeproc("[@anthropic] [@bloomberg] [@anon] [@undated]\n", tmp_path)
    got = entries(ast)
    assert got["ref-anthropic"] == (
        "1. Anthropic. \u201cDetecting and Preventing Distillation Attacks.\u201d Anthropic News, "
        "23 Feb 2026. https://www.anthropic.com/news/detecting"
    )
    # Year-month date; a person's name given-first.
    assert got["ref-bloomberg"] == "2. Jon Markman. \u201cAnthropic Accuses DeepSeek.\u201d Bloomberg, Feb 2026. https://www.bloomberg.com/x"
    # No author: the entry opens with the title; year-only date; the publisher stands in for the outlet.
    assert got["ref-anon"] == "3. \u201cAn anonymous page.\u201d Some Org, 2025."
    # No date at all.
    assert got["ref-undated"] == "4. Reuters. \u201cUndated report.\u201d n.d."


def test_entry_urls_are_links_and_numbers_hang(tmp_path):
    ast = citeproc("[@anthropic]\n", tmp_path)
    entry = next(d for d in nodes(ast["blocks"], "Div") if d["c"][0][0] == "ref-anthropic")
    spans = [s["c"][0][1] for s in nodes(entry, "Span")]
    assert ["csl-left-margin"] in spans and ["csl-right-inline"] in spans
    assert [lk["c"][2][0] for lk in nodes(entry, "Link")] == ["https://www.anthropic.com/news/detecting"]


@pytest.mark.parametrize(
    "issued, expected",
    [({"date-parts": [[2024, 5, 1]]}, "1 May 2024"), ({"date-parts": [[2024, 5]]}, "May 2024"),
     ({"date-parts": [[2024]]}, "2024")],
)
def test_partial_dates(tmp_path, issued, expected):
    bib = [{"id": "x", "type": "webpage", "title": "T", "container-title": "C", "issued": issued}]
    ast = citeproc("[@x]\n", tmp_path, bib)
    assert entries(ast)["ref-x"] == f"1. \u201cT.\u201d C, {expected}."


def test_a_retracted_source_says_so_with_date_and_reason(tmp_path):
    from briefing.csl import csl_item
    from briefing.model import Source

    src = Source(id="study", title="A study", kind="academic", csl_type="report", publisher="Lab",
                 issued="2026-02", retracted="the authors found a sampling error.", retracted_on="2026-04-02")
    item = csl_item(src)
    assert item["status"] == "Retracted on 2 April 2026: the authors found a sampling error"
    assert "status" not in csl_item(Source(id="ok", title="Fine", kind="news"))
    undated = csl_item(Source(id="u", title="U", kind="news", retracted="withdrawn"))
    assert undated["status"] == "Retracted: withdrawn"
    text = entries(citeproc("See [@study].", tmp_path, [item]))["ref-study"]
    assert text.endswith("Retracted on 2 April 2026: the authors found a sampling error.")


@pytest.mark.parametrize("issued, expected", [
    ("2024-05-01", "1 May 2024"),
    ("{date-parts: [[2024, 5]]}", "May 2024"),
    ("{date-parts: [[1900, 1, 1]]}", "1 Jan 1900"),
    ("{date-parts: [[2024, 1], [2024, 3]]}", "Jan–Mar 2024"),
    ("{literal: Spring 2026}", "Spring 2026"),
])
def test_every_issued_form_check_accepts_is_rendered(make_workspace, tmp_path, issued, expected):
    from briefing.csl import bibliography
    from briefing.errors import errors_in
    from briefing.inputs import load_workspace as load

    sources = ("references:\n  - {id: src-a, type: report, title: T, container-title: C, kind: analysis,"
               f" issued: {issued}}}\n  - {{id: src-b, title: U, kind: news}}\n")
    ws, problems = load(make_workspace(sources=sources))
    assert not errors_in(problems), problems
    ast = citeproc("[@src-a]\n", tmp_path, bibliography(ws.sources))
    assert entries(ast)["ref-src-a"] == f"1. \u201cT.\u201d C, {expected}."


@pytest.mark.parametrize("issued", [{"literal": "Spring 2026"}, {"date-parts": [[-5]]}, {"date-parts": [[63]]},
                                    {"date-parts": [[2026, 13, 40]]}, {"date-parts": [[100000]]}])
def test_every_issued_form_check_accepts_builds(tmp_path, issued):
    """`check` accepts these CSL dates; the build turned the literal (and a negative year) into int() errors."""
    from conftest import SOURCES, write_workspace

    from briefing.build import build
    from briefing.inputs import load_workspace as load
    from tests.readers import docx_text

    root = write_workspace(tmp_path / "ws", sources=[{**SOURCES[0], "issued": issued}, SOURCES[1]])
    if any(p.severity == "error" for p in load(root)[1]):
        return  # refused by check, with its line: the contract holds
    result = build(root, formats=("docx",))
    assert "Source A" in docx_text(root / "out" / result.outputs["docx"].name)
