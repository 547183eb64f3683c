"""briefing/context.py: caches belong to a build context a caller passes, never to a module."""

from __future__ import annotations

import pytest

from briefing import pandoc
from briefing.build import build
from briefing.compose import compose
from briefing.context import BuildContext
from briefing.inputs import load


@pytest.fixture
def parses(monkeypatch):
    """The number of times pandoc is run to parse the briefing."""
    runs = []
    real = pandoc.run

    def counting(args, stdin, **kwargs):
        if kwargs.get("what") == "parsing the briefing":
            runs.append(1)
        return real(args, stdin, **kwargs)

    monkeypatch.setattr(pandoc, "run", counting)
    return runs


def test_builds_share_a_parse_only_through_one_context(make_workspace, tmp_path, parses):
    """Two builds with no context parse twice (no hidden module cache); two with one context parse once."""
    ws = make_workspace()
    build(ws, out_dir=tmp_path / "a", formats=("html",))
    build(ws, out_dir=tmp_path / "a", formats=("html",))
    assert len(parses) == 2
    context = BuildContext()
    build(ws, out_dir=tmp_path / "b", formats=("html",), context=context)
    build(ws, out_dir=tmp_path / "b", formats=("html",), context=context)
    assert len(parses) == 3


def test_a_shared_context_reparses_a_changed_briefing_and_gives_a_fresh_tree(make_workspace, parses):
    """The parse cache is keyed by what pandoc reads: an edit parses again; a hit is a copy the caller may change."""
    root = make_workspace()
    context = BuildContext()
    ws = load(root)
    first = compose(ws, context=context)
    first.ast.tree()["blocks"].clear()
    again = compose(ws, context=context)
    assert len(parses) == 1 and again.ast.tree()["blocks"]
    (root / "evidence" / "claim-a.yaml").write_text(
        (root / "evidence" / "claim-a.yaml").read_text("utf-8").replace("A claim", "A changed claim"),
        "utf-8")
    edited = compose(load(root), context=context)
    assert len(parses) == 2 and "A changed claim" in edited.markdown


def test_a_context_keeps_the_compiled_templates(make_workspace):
    """Compiled templates go to the context's cache, so a warm rebuild does not compile them again."""
    ws = load(make_workspace())
    context = BuildContext()
    assert not context.templates._code
    compose(ws, context=context)
    compiled = dict(context.templates._code)
    assert compiled
    compose(ws, context=context)
    assert context.templates._code == compiled  # loaded, not compiled and stored again


def test_the_parse_cache_keeps_only_the_newest_entries():
    """A warm process holds a bounded number of parses, dropping the oldest first."""
    cache = pandoc.ParseCache(size=2)
    for key in "abc":
        cache.put(key, key.encode())
    assert cache.get("a") is None and cache.get("b") == b"b" and cache.get("c") == b"c"
