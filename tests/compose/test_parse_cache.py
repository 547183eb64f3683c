"""pandoc's parse kept in parts: after one edit a build parses one part again, and the joined tree is the
one a parse from nothing gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import copy_workspace, edit

from briefing import pandoc
from briefing.compose import compose
from briefing.context import BuildContext
from briefing.inputs import load
from briefing.new_workspace import init_workspace
from briefing.packaged import PACKAGE_TEMPLATES
from briefing.parse_cache import ParseCache, PartStore

CLAIM = "evidence/copying-not-parity.yaml"
CSL = PACKAGE_TEMPLATES / "numeric.csl"


@pytest.fixture
def parses(monkeypatch) -> list[bytes]:
    """The Markdown of each plain parse pandoc runs (citeproc's runs are not counted)."""
    seen: list[bytes] = []
    real = pandoc.run

    def counting(args, stdin, **kwargs):
        if "json" in args and "--citeproc" not in args:
            seen.append(stdin)
        return real(args, stdin, **kwargs)

    monkeypatch.setattr(pandoc, "run", counting)
    return seen


def _composed(root: Path, work: Path, context: BuildContext | None = None):
    return compose(load(root).checked(), work_dir=work / ".tmp", context=context)


def _tree(root: Path, work: Path, context: BuildContext | None = None) -> dict:
    return _composed(root, work, context).ast.tree()


def _parts(markdown: str) -> set[bytes]:
    return {p.encode() for p in pandoc.chunks(markdown, pandoc.part_size(len(markdown)))}


def test_after_one_edit_only_the_edited_parts_are_parsed_again(tmp_path, parses):
    ws = copy_workspace(tmp_path / "ws")
    out = tmp_path / "out"
    before = _composed(ws, out).markdown
    assert len(parses) > 3  # the briefing is parsed in parts, each kept
    assert len(list((out / ".cache" / "parses").glob("*.json"))) == len(parses)
    parses.clear()
    assert _tree(ws, out) and parses == []  # nothing changed: nothing parsed
    # The claim's own section and the "what changed" box (the claim now differs from edition 1) change.
    edit(ws / CLAIM, "  On a reading", "  Revised. On a reading")
    edited = _composed(ws, out)
    assert set(parses) == _parts(edited.markdown) - _parts(before) and len(parses) == 2
    assert any(b"Revised" in p for p in parses)
    assert edited.ast.tree() == _tree(ws, tmp_path / "fresh")  # the same tree as a parse from nothing


def test_a_warm_process_keeps_the_parts_in_memory(tmp_path, parses):
    ws = init_workspace(tmp_path / "ws", title="Water rights on the Ebro", date="2026-04-02")
    context = BuildContext()
    first = _tree(ws, tmp_path / "out", context)
    for part in (tmp_path / "out" / ".cache" / "parses").glob("*.json"):
        part.unlink()  # only the context's memory has them now
    parses.clear()
    assert _tree(ws, tmp_path / "out", context) == first and parses == []


def test_a_damaged_part_is_parsed_again(tmp_path, parses):
    ws = copy_workspace(tmp_path / "ws")
    out = tmp_path / "out"
    whole = _tree(ws, out)
    stored = sorted((out / ".cache" / "parses").glob("*.json"))
    stored[0].write_bytes(stored[0].read_bytes()[:100])  # cut short
    stored[1].write_text('{"blocks": "not a list"}', encoding="utf-8")
    parses.clear()
    assert _tree(ws, out) == whole
    assert len(parses) == 2


def test_another_pandoc_parses_again(tmp_path, parses, monkeypatch):
    """A part is kept by everything pandoc read, its binary included: an upgraded pandoc may parse otherwise."""
    ws = copy_workspace(tmp_path / "ws")
    _tree(ws, tmp_path / "out")
    count = len(parses)
    monkeypatch.setattr(pandoc, "_pandoc_identity", lambda: "another pandoc")
    _tree(ws, tmp_path / "out")
    assert len(parses) == 2 * count


def test_parts_that_cannot_be_joined_are_parsed_whole_and_kept(tmp_path, parses):
    """Two headings named alike in two parts: only a parse of the whole numbers the second one."""
    doc = "# Notes\n\n" + "first. " * 800 + "\n\n# Other\n\ntext\n\n# Notes\n\n" + "second. " * 800 + "\n"
    store = PartStore(tmp_path / "parses")
    tree = pandoc.parse_plain(doc, csl=CSL, source_date_epoch=0, store=store)
    assert [b["c"][1][0] for b in tree["blocks"] if b["t"] == "Header"] == ["notes", "other", "notes-1"]
    assert len(parses) > 2 and parses[-1] == doc.encode()
    parses.clear()
    assert pandoc.parse_plain(doc, csl=CSL, source_date_epoch=0, store=store) == tree
    assert parses == []


def test_the_memory_cache_is_bounded_in_bytes():
    cache = ParseCache(max_bytes=10)
    for key in "abc":
        cache.put(key, key.encode() * 4)
    assert cache.get("a") is None and cache.get("b") == b"bbbb" and cache.get("c") == b"cccc"
    cache.put("d", b"d" * 20)  # larger than the bound: kept alone
    assert cache.get("c") is None and cache.get("d") == b"d" * 20


def test_the_folder_keeps_the_most_recently_used_parts(tmp_path):
    store = PartStore(tmp_path, max_files=3)
    for n, key in enumerate("abcd"):
        store.put(key, b"{}")
        os.utime(tmp_path / f"{key}.json", ns=(n * 10**9, n * 10**9))
    assert store.get("a") == b"{}"  # read: now the most recent
    store.prune()
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == ["a", "c", "d"]


def test_a_folder_that_cannot_be_written_only_costs_a_parse(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = PartStore(blocker / "parses")
    store.put("k", b"{}")
    assert store.get("k") is None
    store.prune()
