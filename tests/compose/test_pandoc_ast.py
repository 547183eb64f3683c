"""pandoc_ast: the composed document held compactly, and the sharing JSON reader."""

from __future__ import annotations

import gc
import weakref

from briefing.pandoc_ast import Document, document, loads

TREE = {"pandoc-api-version": [1, 23, 1], "meta": {"title": {"t": "MetaInlines", "c": [{"t": "Str", "c": "T"}]}},
        "blocks": [{"t": "Para", "c": [{"t": "Str", "c": "a"}, {"t": "Space"}, {"t": "Str", "c": "a"}]},
                   {"t": "HorizontalRule"}]}


def test_a_document_gives_back_the_tree_it_was_made_from():
    doc = Document.of(TREE)
    assert doc.tree() == TREE
    assert doc.meta == TREE["meta"] and list(doc.blocks()) == TREE["blocks"]
    assert all(isinstance(part, bytes) for part in doc.parts) and len(doc.parts) == 2


class _Node(dict):
    """A node that can be watched with a weak reference (a plain dict cannot)."""


def test_a_document_holds_no_object_of_the_tree_it_was_made_from():
    """The tree can be freed once the document is made: only its text is kept."""
    tree = {**TREE, "blocks": [_Node(b) for b in TREE["blocks"]]}
    probe = weakref.ref(tree["blocks"][0])
    doc = Document.of(tree)
    del tree
    gc.collect()
    assert probe() is None and doc.tree() == TREE


def test_each_read_is_a_fresh_tree():
    doc = document(TREE)
    first = doc.tree()
    first["blocks"].clear()
    first["meta"].clear()
    assert doc.tree() == TREE
    assert document(doc) is doc


def test_loads_shares_content_free_nodes_and_equal_words():
    tree = loads('[{"t":"Space"},{"t":"Space"},{"t":"Str","c":"word"},{"t":"Str","c":"word"},{"x":1},{"t":{"a":1}}]')
    assert tree[0] is tree[1] and tree[0] == {"t": "Space"}
    assert tree[2] is not tree[3] and tree[2]["c"] is tree[3]["c"]
    assert tree[4] == {"x": 1} and tree[5] == {"t": {"a": 1}}  # not nodes: left as they are


def test_blocks_for_a_pass_are_the_same_tree_with_nothing_shared():
    """A pass that keeps nothing (the anchors, the DOCX's JSON) reads plain JSON: the same blocks, and a node may
    be changed in place without changing another (`blocks()` shares each content-free node)."""
    spaced = {**TREE, "blocks": [{"t": "Para", "c": [{"t": "Space"}, {"t": "Str", "c": "a"}, {"t": "Space"}]}]}
    doc = Document.of(spaced)
    shared = next(doc.blocks())["c"]
    assert shared[0] is shared[2]
    passing = next(doc.passing_blocks())
    assert passing == spaced["blocks"][0]
    passing["c"][0]["c"] = "changed"
    assert passing["c"][2] == {"t": "Space"} and list(doc.passing_blocks()) == spaced["blocks"]


def test_an_edit_reads_again_only_the_blocks_that_hold_its_marker():
    tree = {**TREE, "blocks": [{"t": "Para", "c": [{"t": "Str", "c": "plain"}]},
                               {"t": "Para", "c": [{"t": "Image", "c": [["", [], []], [], ["chart:a", "old"]]}]}]}
    doc = Document.of(tree)
    seen = []

    def retitle(block):
        seen.append(block["t"])
        block["c"][0]["c"][2][1] = "new"

    edited = doc.edited('"chart:', retitle)
    assert seen == ["Para"] and edited.parts[0] is doc.parts[0]
    assert list(edited.blocks())[1]["c"][0]["c"][2] == ["chart:a", "new"]
    assert doc.tree() == tree  # the document edited is left as it was
