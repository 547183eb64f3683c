"""briefing/context.py: caches belong to a build context a caller passes, never to a module."""

from __future__ import annotations

import os

import pytest

from briefing import pandoc
from briefing.build import build
from briefing.compose import compose
from briefing.context import BuildContext, user_context
from briefing.inputs import load
from briefing.templating import compiled_templates_folder
from briefing.user_cache import cache_root, private_folder


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
    """Two builds with no context parse twice (no hidden module cache); two with one context parse once. Each
    builds into its own folder, whose disk cache (out/.cache/parses) would otherwise serve the second."""
    ws = make_workspace()
    build(ws, out_dir=tmp_path / "a1", formats=("html",))
    build(ws, out_dir=tmp_path / "a2", formats=("html",))
    assert len(parses) == 2
    context = BuildContext()
    build(ws, out_dir=tmp_path / "b1", formats=("html",), context=context)
    build(ws, out_dir=tmp_path / "b2", formats=("html",), context=context)
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


@pytest.fixture
def compiles(monkeypatch):
    """The names of the templates Jinja compiles from source."""
    import jinja2

    names = []
    real = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return names


def test_a_user_context_keeps_compiled_templates_for_the_next_process(make_workspace, tmp_path, monkeypatch, compiles):
    """The command line's context writes compiled templates to the user's private cache folder; a new context
    (the next process) loads them instead of compiling, and an edited template is compiled afresh."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = make_workspace()
    compose(load(root), context=user_context(warm=False))
    assert compiles
    folder = compiled_templates_folder()
    assert folder is not None and folder.is_relative_to(tmp_path / "cache" / "briefing")
    assert sorted(p.suffix for p in folder.iterdir()) == [".jinja"] * len(compiles)
    compiles.clear()
    compose(load(root), context=user_context(warm=False))
    assert compiles == []
    (root / "templates" / "sections").mkdir(parents=True)
    (root / "templates" / "sections" / "documented.md.j2").write_text("## Documented here\n", "utf-8")
    compose(load(root), context=user_context(warm=False))
    assert compiles == ["sections/documented.md.j2"]


def test_a_damaged_compiled_template_is_compiled_afresh(make_workspace, tmp_path, monkeypatch, compiles):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = make_workspace()
    first = compose(load(root), context=user_context(warm=False))
    for path in compiled_templates_folder().iterdir():
        path.write_bytes(path.read_bytes()[:40])  # cut inside the header
    n = len(compiles)
    again = compose(load(root), context=user_context(warm=False))
    assert len(compiles) == 2 * n and again.markdown == first.markdown


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="no file owners to check on this system")
@pytest.mark.parametrize("spoil", ["open", "link"])
def test_compiled_templates_are_kept_only_in_a_folder_no_one_else_can_write(tmp_path, monkeypatch, spoil):
    """Compiled templates are code: a folder others can write (or a link to one) keeps nothing."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = compiled_templates_folder()
    assert folder is not None and folder.parent == private_folder("templates") == tmp_path / "cache/briefing/templates"
    if spoil == "open":
        (tmp_path / "cache" / "briefing").chmod(0o777)
    else:
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir(mode=0o700)
        folder.rmdir()
        folder.symlink_to(elsewhere)
    assert compiled_templates_folder() is None
    assert user_context(warm=False).templates._disk is None


def test_a_relative_xdg_cache_home_is_ignored(tmp_path, monkeypatch):
    """The XDG spec says a relative path is invalid: the default ~/.cache is used instead."""
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_root() == tmp_path / ".cache" / "briefing"


def test_a_context_parses_only_the_yaml_files_whose_text_changed(tmp_path, monkeypatch):
    """A warm rebuild re-parses the one evidence file edited, and loads what a fresh process would."""
    from conftest import copy_workspace, edit

    from briefing import yamlsafe

    root = copy_workspace(tmp_path / "ws")
    parsed_names = []
    real = yamlsafe.parse
    monkeypatch.setattr(yamlsafe, "parse", lambda text, rel: parsed_names.append(rel) or real(text, rel))
    context = BuildContext()
    first = load(root, parsed=context.yaml)
    assert {"sources.yaml", "analysis.yaml"} <= set(parsed_names)
    assert any(n.startswith("editions/") for n in parsed_names)
    assert sum(n.startswith("evidence/") for n in parsed_names) == len(first.workspace.evidence)
    parsed_names.clear()
    edited = next((root / "evidence").glob("*.yaml"))
    edit(edited, "title: ", "title: Edited: ")
    warm = load(root, parsed=context.yaml)
    rel = f"evidence/{edited.name}"
    assert rel in parsed_names and not [n for n in parsed_names if n.startswith("evidence/") and n != rel]
    assert "sources.yaml" not in parsed_names and not any(n.startswith("editions/") for n in parsed_names)
    assert warm.workspace == load(root).workspace and warm.problems == load(root).problems


def test_a_one_shot_context_keeps_nothing_that_grows_with_the_input(tmp_path, monkeypatch):
    """`briefing build` builds once: it keeps compiled templates for the next process, and no parse, tree or
    reference in memory (they would only raise its peak); watch's context keeps them all."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    once, warm = user_context(warm=False), user_context(warm=True)
    assert once.templates._disk is not None and warm.templates._disk is not None
    assert (once.parses, once.yaml, once.references) == (None, None, None)
    assert None not in (warm.parses, warm.yaml, warm.references)
