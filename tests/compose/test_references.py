"""References formatted once: the document parsed without citeproc and filled from the references cache must be
the AST citeproc itself gives, and a rebuild runs citeproc only for a source that changed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import REPO, copy_workspace, edit

from briefing import compose, pandoc, references
from briefing.csl import bibliography
from briefing.errors import BriefingError
from briefing.inputs import load
from briefing.sourcing import capped
from tests.compose.test_figures_topic import grid_workspace

PACKAGED_CSL = compose.PACKAGE_TEMPLATES / "numeric.csl"
AUDIENCES = ("analyst", "executive", "policy", "board")



def _markdown(root: Path, audience: str) -> tuple[str, list[dict], Path]:
    inputs = load(root, audience)
    ws, aud = inputs.ready
    md, _placer = compose.markdown_for(capped(ws), aud, inputs.changes)
    md, _guess = compose.with_origins(ws, md)
    return md, bibliography(ws.sources), compose._template_file(root, "numeric.csl")


def _same_as_citeproc(md: str, bib: list[dict], csl: Path, cache: Path) -> dict:
    """The resolved AST, checked equal to citeproc's (bar the references file's temporary path)."""
    plain = pandoc.parse_plain(md, csl=csl, source_date_epoch=0)
    ast = references.resolve(plain, bib, csl, source_date_epoch=0, work_dir=None, cache_dir=cache)
    assert ast is not None, "the packaged style's document fell back to a full citeproc parse"
    full = pandoc.parse(md, bibliography=bib, csl=csl, source_date_epoch=0)
    for a in (ast, full):
        a["meta"].pop("bibliography")
    assert json.dumps(ast) == json.dumps(full)
    return ast


def _citeproc_calls(monkeypatch) -> list[list[str]]:
    """Every pandoc run with --citeproc, as the ids of the sources in the bibliography it was given."""
    calls: list[list[str]] = []
    real = pandoc.run

    def spy(args, stdin, **kw):
        if "--citeproc" in args:
            bib = next(a.split("=", 1)[1] for a in args if a.startswith("--bibliography="))
            calls.append([i["id"] for i in json.loads(Path(bib).read_text("utf-8"))])
        return real(args, stdin, **kw)

    monkeypatch.setattr(pandoc, "run", spy)
    return calls


@pytest.mark.parametrize("audience", AUDIENCES)
def test_default_workspace_ast_is_citeprocs(audience, tmp_path):
    md, bib, csl = _markdown(REPO, audience)
    _same_as_citeproc(md, bib, csl, tmp_path / "cache")
    # Warm: every entry and the style come from the cache files, and still give citeproc's AST.
    _same_as_citeproc(md, bib, csl, tmp_path / "cache")


@pytest.mark.parametrize("audience", [*AUDIENCES, "grid", "grid-board"])
def test_another_topic_with_a_retracted_source_is_citeprocs(audience, tmp_path):
    root = grid_workspace(tmp_path / "grid")
    md, bib, csl = _markdown(root, audience)
    ast = _same_as_citeproc(md, bib, csl, tmp_path / "cache")
    if audience.startswith("grid"):
        assert "withdrew" in json.dumps(ast)  # the retraction's `status` reached the list


def _restyle(old: str, new: str) -> bytes:
    text = PACKAGED_CSL.read_text("utf-8")
    assert old in text
    return text.replace(old, new).encode("utf-8")


BRACKETS = _restyle('<layout vertical-align="sup" delimiter=",">', '<layout prefix="[" suffix="]" delimiter=", ">')
NO_COLLAPSE = _restyle('<citation collapse="citation-number">', "<citation>")
AFTER_RANGE = _restyle('<citation collapse="citation-number">',
                       '<citation collapse="citation-number" after-collapse-delimiter="; ">')


@pytest.mark.parametrize("style", [BRACKETS, NO_COLLAPSE, AFTER_RANGE], ids=["brackets", "no-collapse", "after-range"])
def test_other_numeric_styles_are_learned_from_citeproc(style, tmp_path):
    """The citation form (brackets or superscript, ranges or none, delimiters) comes from citeproc's output on
    the style, never from Python: a workspace's own numeric style comes out as citeproc prints it."""
    root = copy_workspace(tmp_path / "ws")
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "numeric.csl").write_bytes(style)
    md, bib, csl = _markdown(root, "analyst")
    assert csl == root / "templates" / "numeric.csl"
    _same_as_citeproc(md, bib, csl, tmp_path / "cache")


def test_a_style_citing_authors_or_sorting_the_list_is_left_to_citeproc(tmp_path):
    """Author-year citations and sorted lists depend on every source: such a style is not formatted once."""
    assert references.supported_style(PACKAGED_CSL.read_bytes())
    author = _restyle('<text variable="citation-number"/>\n        <text macro="locator"/>',
                      '<text macro="author"/>')
    assert not references.supported_style(author)
    sorted_list = _restyle('<bibliography second-field-align="flush" entry-spacing="0">',
                           '<bibliography second-field-align="flush" entry-spacing="0"><sort>'
                           '<key variable="title"/></sort>')
    assert not references.supported_style(sorted_list)
    assert not references.supported_style(b"<style")


@pytest.mark.parametrize("markdown", [
    "See [see @{a}, p. 4].\n",  # a prefix and a locator
    "As @{a} says.\n",  # author in text
    "Cites [@{nowhere}].\n",  # an unknown source
    "Twice [@{a}; @{a}].\n",
    "---\nnocite: '@*'\n...\n\nText [@{a}].\n",
    "---\nreference-section-title: Sources\n...\n\nText [@{a}].\n",
])
def test_a_document_only_citeproc_can_do_is_left_to_it(markdown, tmp_path):
    """`resolve` declines (the caller parses with citeproc) what it would not reproduce exactly; compose's
    parse still gives citeproc's AST."""
    bib = [{"id": "a", "type": "report", "title": "A"}, {"id": "b", "type": "report", "title": "B"}]
    plain = pandoc.parse_plain(markdown, csl=PACKAGED_CSL, source_date_epoch=0)
    assert references.resolve(plain, bib, PACKAGED_CSL, source_date_epoch=0, work_dir=None,
                              cache_dir=tmp_path) is None
    ast = compose._parse(markdown, bib, PACKAGED_CSL, 0, None)
    full = pandoc.parse(markdown, bibliography=bib, csl=PACKAGED_CSL, source_date_epoch=0)
    for a in (ast, full):
        a["meta"].pop("bibliography")  # a temporary path, another each parse
    assert ast == full


@pytest.mark.parametrize("markdown", [
    "Text [@{b}] and [@{a}; @{b}].\n",  # no #refs Div: the list goes at the end
    "Text [@{b}].\n\n# Sources\n",  # ... after a final heading, made unnumbered
    "Text\n[@{a}] (a soft break before it).\n\n::: {#refs .mine key=v}\nBefore.\n:::\n",
    "No citation at all.\n\n::: {#refs}\n:::\n",
    "Two lists [@{a}].\n\n::: {#refs}\n:::\n\n::: {.box}\n::: {#refs}\n:::\n:::\n",
    "---\nnocite: |\n  @{b}\n...\n\nOnly a nocite.\n",
    "A note.[^1]\n\n[^1]: It cites [@{b}].\n\nThen [@{a}].\n",
])
def test_where_citeproc_puts_the_list_and_spaces(markdown, tmp_path):
    bib = [{"id": "a", "type": "report", "title": "A"}, {"id": "b", "type": "book", "title": "B", "URL": "https://b"}]
    _same_as_citeproc(markdown, bib, PACKAGED_CSL, tmp_path)


def test_a_rebuild_without_source_changes_runs_no_citeproc(tmp_path, monkeypatch):
    root = copy_workspace(tmp_path / "ws")
    out = root / "out"
    calls = _citeproc_calls(monkeypatch)
    inputs = load(root, "analyst")
    ws = inputs.workspace
    first = compose.compose(inputs, work_dir=out / ".tmp")
    assert calls and len({i for c in calls for i in c} & {s.id for s in ws.sources}) >= 18
    assert list((out / ".cache" / "references").glob("entry-*.json"))
    # A new process (nothing in memory), and an evidence edit that changes what is cited and in what order.
    calls.clear()
    evidence = sorted((root / "evidence").glob("*.yaml"))[0]
    text = evidence.read_text("utf-8")
    evidence.write_text(text.replace("title: ", "title: Edited ", 1), "utf-8")
    inputs = load(root, "analyst")
    ws = inputs.workspace
    second = compose.compose(inputs, work_dir=out / ".tmp")
    assert calls == []
    assert second.markdown != first.markdown


def test_editing_one_source_reformats_only_it(tmp_path, monkeypatch):
    root = copy_workspace(tmp_path / "ws")
    out = root / "out"
    compose.compose(load(root, "executive"), work_dir=out / ".tmp")
    calls = _citeproc_calls(monkeypatch)
    edit(root / "sources.yaml", "title: Detecting and Preventing Distillation Attacks",
         "title: Detecting and Preventing Distillation Attacks (revised)")
    inputs = load(root, "executive")
    ws = inputs.workspace
    doc = compose.compose(inputs, work_dir=out / ".tmp")
    ids = {s.id for s in ws.sources}
    assert calls and all(set(c) & ids == {"anthropic-2026-distillation"} for c in calls), calls
    assert "(revised)" in json.dumps(doc.ast.tree())
    # And the result is still exactly what citeproc makes of the edited workspace.
    _same_as_citeproc(doc.markdown, bibliography(ws.sources), PACKAGED_CSL, out / ".cache" / "references")


def test_a_damaged_cache_file_is_formatted_again(tmp_path):
    md, bib, csl = _markdown(REPO, "board")
    _same_as_citeproc(md, bib, csl, tmp_path)
    for f in tmp_path.glob("*.json"):
        f.write_text('{"t": ', "utf-8")
    _same_as_citeproc(md, bib, csl, tmp_path)
    assert all(json.loads(f.read_text("utf-8")) for f in tmp_path.glob("*.json"))


def test_reference_numbers_follow_first_citation_then_nocite_in_bibliography_order(tmp_path):
    bib = [{"id": i, "type": "report", "title": i.upper()} for i in ("z", "d", "c", "b", "a")]
    md = "Text [@{b}] then [@{a}; @{b}].\n\n---\nnocite: |\n  @{c}, @{z}\n...\n"
    ast = _same_as_citeproc(md, bib, PACKAGED_CSL, tmp_path)
    assert compose.reference_numbers(ast) == {"b": 1, "a": 2, "z": 3, "c": 4}
    # [@{a}; @{b}] prints sorted, as the style asks: 1,2.
    assert re.findall(r'"#ref-(\w)"', json.dumps(ast["blocks"][0])) == ["b", "b", "a"]


def test_entries_formatted_in_batches_are_the_same(tmp_path, monkeypatch):
    """A large bibliography is formatted a batch at a time (bounded memory); each entry comes out the same."""
    monkeypatch.setattr(references, "ENTRY_BATCH", 4)
    calls = _citeproc_calls(monkeypatch)
    md, bib, csl = _markdown(REPO, "analyst")
    _same_as_citeproc(md, bib, csl, tmp_path)
    ids = {b["id"] for b in bib}
    batches = [[i for i in c if i in ids] for c in calls[:-1]]  # the sources of each run; the full parse is last
    assert len(batches) >= 5 and all(0 < len(b) <= 4 for b in batches), calls
    formatted = [i for b in batches for i in b]
    assert len(formatted) == len(set(formatted)) >= 18  # each entry once


def test_one_citeproc_run_learns_the_style_and_formats_every_entry(tmp_path, monkeypatch):
    calls = _citeproc_calls(monkeypatch)
    md, bib, csl = _markdown(REPO, "executive")
    plain = pandoc.parse_plain(md, csl=csl, source_date_epoch=0)
    assert references.resolve(plain, bib, csl, source_date_epoch=0, work_dir=None, cache_dir=tmp_path)
    [run] = calls
    assert "x12" in run and len({i for i in run if i in {b["id"] for b in bib}}) >= 18


def test_stand_ins_and_copies_never_take_a_sources_id(tmp_path):
    """Sources named like the style's stand-ins (x1 ...) or an entry's copy still come out as citeproc's."""
    bib = [{"id": i, "type": "report", "title": i.upper()} for i in ("x1", "x7", "copy-a", "a", "xx12")]
    md = "Text [@{x7}] then [@{a}; @{copy-a}] and [@{x1}; @{xx12}].\n"
    _same_as_citeproc(md, bib, PACKAGED_CSL, tmp_path)


def test_entries_formatted_ahead_leave_resolve_nothing_to_run(tmp_path, monkeypatch):
    md, bib, csl = _markdown(REPO, "policy")
    guess = list(compose.expected_reference_numbers(compose_ws(REPO, "policy"), md))
    assert references.expected_lang(md) == "en-GB"
    calls = _citeproc_calls(monkeypatch)
    with references.formatting_ahead(guess, bib, csl, "en-GB", source_date_epoch=0, work_dir=None,
                                      cache_dir=tmp_path):
        pandoc.parse_plain(md, csl=csl, source_date_epoch=0)
    assert len(calls) == 1
    _same_as_citeproc(md, bib, csl, tmp_path)
    assert len(calls) == 2  # only the full parse that _same_as_citeproc compares with


@pytest.mark.parametrize("guess, lang", [([], "en-GB"), (["no-such-source"], "en-GB"), (None, "fr-FR"),
                                         (None, None)])
def test_a_wrong_guess_costs_only_work(guess, lang, tmp_path):
    md, bib, csl = _markdown(REPO, "board")
    cited = guess if guess is not None else [b["id"] for b in bib][:5]
    with references.formatting_ahead(cited, bib, csl, lang, source_date_epoch=0, work_dir=None, cache_dir=tmp_path):
        pass
    _same_as_citeproc(md, bib, csl, tmp_path)


def test_a_failure_ahead_is_left_to_resolve(tmp_path, monkeypatch):
    """An error while formatting ahead is not raised there: resolve meets it again and reports it."""
    md, bib, csl = _markdown(REPO, "board")

    def broken(*args, **kw):
        raise BriefingError("pandoc failed formatting the references")

    monkeypatch.setattr(pandoc, "citeproc", broken)
    with references.formatting_ahead([b["id"] for b in bib], bib, csl, "en-GB", source_date_epoch=0,
                                      work_dir=None, cache_dir=tmp_path):
        pass
    assert not list(tmp_path.glob("*.json"))
    plain = pandoc.parse_plain(md, csl=csl, source_date_epoch=0)
    with pytest.raises(BriefingError, match="formatting the references"):
        references.resolve(plain, bib, csl, source_date_epoch=0, work_dir=None, cache_dir=tmp_path)


def compose_ws(root: Path, audience: str):
    """The capped workspace an audience's briefing is composed from."""
    return capped(load(root, audience).workspace)
