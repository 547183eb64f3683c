"""briefing/render.py: the renderers read the composed document and the chart files, never the workspace."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from conftest import copy_workspace

from briefing.build import DrawAhead, build, draw
from briefing.compose import compose
from briefing.inputs import load
from briefing.publish import Publication
from briefing.render import page_budget_warnings, render_all


def test_the_renderers_need_no_workspace_and_write_what_build_writes(tmp_path):
    """Compose, draw, then delete the workspace: every format still renders, byte for byte as `build` wrote it."""
    ws = copy_workspace(tmp_path / "ws")
    built = build(ws, out_dir=tmp_path / "built", formats=("pdf", "docx", "html"))
    doc = compose(load(ws))
    charts = draw(doc.charts, DrawAhead(tmp_path / "charts", svg=True), lambda message: None)
    assert doc.charts and set(charts) == {d.spec.id for d in doc.charts}
    shutil.rmtree(ws)  # nothing below may read it

    pub = Publication(tmp_path / "again", "digest")
    pub.folder.mkdir()
    temps = {fmt: pub.target(doc.name, fmt) for fmt in ("pdf", "docx", "html")}
    pages = render_all(doc, charts, temps, pub, lambda message: None)

    assert pages == built.pages > 1
    for fmt, path in temps.items():
        assert path.read_bytes() == (tmp_path / "built" / Path(built.outputs[fmt]).name).read_bytes(), fmt


def test_the_page_budget_warns_only_past_the_budget(tmp_path, make_workspace):
    """The audience's page budget is a warning naming the audience file, and silent within the budget."""
    doc = compose(load(make_workspace()))
    doc = dataclasses.replace(doc, audience=dataclasses.replace(doc.audience, page_budget=2))
    assert page_budget_warnings(doc, 2) == []
    (warning,) = page_budget_warnings(doc, 3)
    assert warning.startswith(f"{doc.audience.path}: warning: the PDF has 3 pages;")
    assert f"'{doc.audience.name}' budget is 2" in warning
    unbounded = dataclasses.replace(doc, audience=dataclasses.replace(doc.audience, page_budget=0))
    assert page_budget_warnings(unbounded, 99) == []
