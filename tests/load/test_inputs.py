"""inputs.load: every input read once, the build and `check` seeing the same, one list of input files."""

from __future__ import annotations

import builtins
import dataclasses
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import CLAIM, LOGO_AUDIENCE, REPO, SOURCES, copy_workspace, edit, line_of, one, png_bytes

from briefing import editions
from briefing.build import build
from briefing.compose import check, compose
from briefing.errors import BriefingError
from briefing.inputs import input_digest, input_files, load
from briefing.model import Workspace
from briefing.watch import inputs_digest, is_input


@pytest.fixture
def reads(monkeypatch):
    """Every file opened for reading, by resolved path, while the test runs."""
    opened: Counter[Path] = Counter()
    real = io.open

    def spy(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, Path)) and not any(c in mode for c in "wax+"):
            opened[Path(file).resolve()] += 1
        return real(file, mode, *args, **kwargs)

    monkeypatch.setattr(io, "open", spy)
    monkeypatch.setattr(builtins, "open", spy)
    return opened


def test_load_reads_each_workspace_file_once(make_workspace, reads):
    # A TODO placeholder, a categorical word at a lower level and an unknown audience: each check points
    # into the file's text, from the lines kept at load.
    source = {**SOURCES[0], "title": "Source A TODO"}
    claim = {**CLAIM, "confidence": "moderate", "claim": "It certainly happened."}
    root = make_workspace(briefing={"title": "T", "date": "2026-01-01", "edition": "2", "marking": "M",
                                    "audience": "boardroom"},
                          sources=[source, SOURCES[1]], evidence={"c.yaml": claim},
                          files={"templates/sections/extra.md.j2": "Extra.\n"})
    inputs = load(root)
    one(inputs.problems, "still holds a TODO placeholder")
    one(inputs.problems, "unknown audience 'boardroom'")
    assert inputs.workspace is not None
    mine = {p: n for p, n in reads.items() if p.is_relative_to(root.resolve())}
    assert mine and max(mine.values()) == 1, mine
    assert root.resolve() / "sources.yaml" in mine and root.resolve() / "templates/sections/extra.md.j2" in mine


def test_positions_come_from_the_lines_kept_at_load(make_workspace):
    source = {**SOURCES[0], "title": "Source A TODO"}
    root = make_workspace(sources=[source, SOURCES[1]])
    want = line_of(root / "sources.yaml", "TODO")
    assert want > 1
    (root / "evidence/claim-a.yaml").rename(root / "evidence/claim-a.yaml.bak")  # not read: a warning only
    inputs = load(root)
    p = one(list(inputs.problems), "still holds a TODO placeholder")
    assert (p.path, p.line) == ("sources.yaml", want)


def test_a_build_parses_the_edition_it_compares_against_once(tmp_path, monkeypatch):
    root = copy_workspace(tmp_path / "ws")
    calls: list[int] = []
    real = editions.read_edition

    def counting(root: Path, number: int, path: Path | None = None, parsed=None):
        calls.append(number)
        return real(root, number, path, parsed)

    monkeypatch.setattr(editions, "read_edition", counting)
    build(root, formats=("html",), out_dir=tmp_path / "out")
    assert calls == [1]  # edition 2 is the current one: the briefing compares with edition 1, read once


def test_compose_renders_the_template_sources_read_at_load(make_workspace):
    root = make_workspace(files={"templates/audiences/t.yaml": "description: x\nsections: [bottom_line]\n",
                                 "templates/sections/bottom_line.md.j2": "Loaded text.\n"})
    inputs = load(root, "t")
    (root / "templates/sections/bottom_line.md.j2").write_text("Edited after loading.\n", "utf-8")
    (root / "templates/audiences/t.yaml").unlink()
    markdown = compose(inputs).markdown
    assert "Loaded text." in markdown and "Edited after loading." not in markdown
    assert inputs.audience is not None and inputs.audience.sections == ("bottom_line",)


def test_an_unknown_audience_stops_the_build_with_the_names_available(make_workspace):
    inputs = load(make_workspace(), "bored")
    assert not inputs.errors  # the workspace itself is fine
    with pytest.raises(BriefingError, match=r"unknown audience 'bored'; available: .*board.*did you mean"):
        compose(inputs)


def test_check_is_load_plus_the_templates(make_workspace):
    root = make_workspace(files={"templates/sections/bottom_line.md.j2": "{{ nope }}\n"})
    inputs = load(root)
    assert not inputs.errors  # loading does not render templates
    p = one(check(inputs), "undefined in template")
    assert p.path == "templates/sections/bottom_line.md.j2"
    assert set(inputs.problems) <= set(check(inputs))


def test_the_digest_and_watch_use_one_list_of_input_files(tmp_path):
    root = copy_workspace(tmp_path / "ws")
    (root / "evidence/notes.txt").write_text("not read\n", "utf-8")
    (root / "evidence/.claim.yaml.swp").write_text("swap\n", "utf-8")
    files = input_files(root)
    rels = {p.relative_to(root).as_posix() for p in files}
    assert {"briefing.yaml", "sources.yaml", "editions/1.yaml", "editions/2.yaml"} <= rels
    assert "evidence/notes.txt" not in rels and "evidence/.claim.yaml.swp" not in rels
    assert all(is_input(root, str(p)) for p in files)
    assert load(root).files == files
    # The manifest's digest covers the recorded editions: the watch's digest is the same one.
    before = input_digest(root)
    assert inputs_digest(root) == before
    edit(root / "editions/1.yaml", "edition: 1", "edition: 1  # touched")
    assert input_digest(root) != before
    # A file the build does not read leaves it unchanged; the same files give the same digest.
    after = input_digest(root)
    (root / "evidence/notes.txt").write_text("still not read\n", "utf-8")
    assert input_digest(root) == after


def test_a_logo_outside_the_input_folders_is_an_input_of_the_manifest(make_workspace, tmp_path):
    """The audiences' logo and font files are inputs once the audiences are read: the manifest's digest and
    watch's list include them, so a new logo is a new build."""
    root = make_workspace(files={"templates/audiences/branded.yaml": LOGO_AUDIENCE, "assets/logo.png": png_bytes("red"),
                                 "assets/unused.png": png_bytes("blue")})
    inputs = load(root, "branded")
    assert inputs.files == input_files(root) + (root / "assets/logo.png",)
    out = tmp_path / "out"
    result = build(root, audience="branded", out_dir=out, formats=("html",))
    assert result.inputs == inputs.files
    first = json.loads((out / "manifest.json").read_text("utf-8"))["inputs_sha256"]
    assert first == input_digest(root, inputs.files) == inputs_digest(root, result.inputs[-1:])
    (root / "assets/logo.png").write_bytes(png_bytes("green"))
    build(root, audience="branded", out_dir=out, formats=("html",))
    assert json.loads((out / "manifest.json").read_text("utf-8"))["inputs_sha256"] != first
    assert is_input(root, str(root / "assets/logo.png"), result.inputs[-1:])
    assert not is_input(root, str(root / "assets/unused.png"), result.inputs[-1:])


def test_the_workspace_index_is_built_at_load_and_read_only():
    ws = load(REPO).workspace
    assert isinstance(ws, Workspace) and ws.index is not None
    graph = ws.index.graph
    before = [dict(m) for m in (graph.roots, graph.live_roots, graph.chains)]
    assert ws.source(ws.sources[0].id) is ws.sources[0] and ws.item(ws.evidence[0].id) is ws.evidence[0]
    assert [dict(m) for m in (graph.roots, graph.live_roots, graph.chains)] == before  # nothing filled in later
    with pytest.raises(TypeError):
        ws.index.sources["x"] = ws.sources[0]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ws.index = None  # type: ignore[misc]
    assert not [f.name for f in dataclasses.fields(ws) if f.name.startswith("_")]


def test_a_copy_with_other_entries_never_uses_the_index_of_its_original():
    ws = load(REPO).workspace
    assert ws.index is not None and ws.index.indexes(ws)
    bare = dataclasses.replace(ws, index=None)
    assert bare.source(ws.sources[0].id) == ws.sources[0]
    first = ws.evidence[0]
    other = dataclasses.replace(ws, evidence=(dataclasses.replace(first, title="Renamed"),))
    assert other.index is ws.index and not ws.index.indexes(other)
    assert other.item(first.id).title == "Renamed"  # not the original's claim
