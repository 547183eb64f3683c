"""Workspaces at the edges: no evidence at all, and very many sources and citations (no quadratic step)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, write_workspace

from briefing.cli import main
from tests.readers import assert_valid_docx, assert_valid_pdf, docx_text, pdf_text


def test_an_empty_evidence_folder_builds_a_briefing_that_says_so(tmp_path, capsys):
    """Decision: not an error (a new workspace should build), but `check` and `build` warn, and the briefing
    itself says it weighs no claims."""
    root = write_workspace(tmp_path / "ws", evidence={})
    warning = "evidence:1:1: warning: no evidence yet: the briefing will have no claims (add one with `briefing new" \
              " evidence`)"
    assert main(["check", "--workspace", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == warning and not [ln for ln in lines if ": error: " in ln]
    assert main(["build", "--workspace", str(root)]) == 0
    captured = capsys.readouterr()
    assert warning in captured.err.splitlines() and "0 claims" in captured.out
    pdf, docx = root / "out" / "test-briefing.pdf", root / "out" / "test-briefing.docx"
    for text in (pdf_text(pdf), docx_text(docx)):
        assert "0 claims" in text
    assert_valid_pdf(pdf)
    assert_valid_docx(docx)


def _many(n_sources: int, n_claims: int) -> tuple[str, dict]:
    """sources.yaml with n_sources sources, every one cited or relayed, and n_claims claims that all cite `common`.

    Written as text: yaml.safe_dump of 10,000 entries alone would take seconds.
    """
    out = ["references:\n", "  - {id: common, type: report, title: The common analysis, URL: 'https://example.org/c',"
           " kind: analysis}\n"]
    for i in range(0, n_sources, 2):
        out.append(f"  - {{id: p{i}, type: report, title: Statement {i}, kind: primary, interested: true}}\n")
        out.append(f"  - {{id: n{i}, type: article-newspaper, title: Report {i}, kind: news, derived_from: [p{i}]}}\n")
    claims = {}
    for k in range(n_claims):
        i = 2 * (k % (n_sources // 2))
        cited = ["common", f"p{i}", f"n{i}"]
        claims[f"c{k:05d}.yaml"] = f"id: c{k}\ntitle: Claim {k}\nclaim: Claim number {k}.\ndate: 2026-01-01\n" \
                                   f"confidence: high\nsources: [{', '.join(cited)}]\n"
    return "".join(out), claims


def test_ten_thousand_sources_and_one_cited_five_thousand_times(tmp_path, capsys):
    """Builds in seconds: validation, origins, numbering and the bibliography are linear.

    (Speed itself is measured by benchmarks/run.py; a quadratic step here would take minutes.)
    """
    sources, claims = _many(10_000, 5_000)
    root = write_workspace(tmp_path / "ws", sources=sources, evidence=claims)
    assert (root / "sources.yaml").stat().st_size < 2_000_000  # under the loader's size limit
    assert main(["build", "--workspace", str(root)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # no warning: every source is cited or relayed, none twice defined
    assert "5000 claims" in captured.out
    pdf, docx = root / "out" / "test-briefing.pdf", root / "out" / "test-briefing.docx"
    text = docx_text(docx)
    assert "The common analysis" in text and "5000 claims" in text
    assert "The common analysis" in pdf_text(pdf)
    assert_valid_pdf(pdf)
    assert_valid_docx(docx)


def test_the_benchmark_generator_makes_a_clean_workspace_with_every_feature(tmp_path):
    """benchmarks/generate.py: sources relaying sources, figures, dates, events, disputes; no problem at all."""
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    from briefing.inputs import load_workspace as load

    ws, problems = load(generate(60, tmp_path / "ws"))
    assert problems == [] and len(ws.evidence) == 60
    assert {e.confidence for e in ws.evidence} == {"high", "moderate", "low", "unsubstantiated"}
    assert any(s.derived_from for s in ws.sources)
    assert any(e.figures for e in ws.evidence) and any(e.event for e in ws.evidence)
    assert any(e.disputes for e in ws.evidence) and len({e.date for e in ws.evidence}) > 20


def test_the_benchmark_runs_end_to_end(tmp_path):
    """Slow (about 10 s): one run of each case on a tiny synthetic size, as JSON."""
    import json
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--runs", "1", "--sizes", "20",
                           "--json"], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    cases = {c["name"]: c for c in report["cases"]}
    assert list(cases) == ["floor", "floor-citeproc", "cold", "cold-cached", "warm", "floor-analyst", "analyst",
                           "items-20"]
    assert all(c["median"] > 0 and c["peak_mb"] > 0 for c in report["cases"])
    # every case ran just after a run of its floor: one paired floor time per case time
    assert all(len(c["floors"]) == len(c["times"]) for n, c in cases.items() if not n.startswith("floor")
               or n == "floor-citeproc")
    # the plain floor ran before floor-citeproc, cold, cold-cached, items-20 and warm; the analyst before its own
    assert len(cases["floor"]["times"]) == 5 and len(cases["floor-analyst"]["times"]) == 1
    assert cases["analyst"]["floor_name"] == "floor-analyst"
    assert "pandoc" in cases["cold"]["peaks"] and any(k.startswith("python") for k in cases["cold"]["peaks"])
    assert report["machine"]["nproc"] >= 1 and report["targets"]


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux's /proc")
def test_the_benchmark_measures_each_process_own_peak_memory():
    """A small program started by a large Python process reports its own peak, not its parent's."""
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from run import measure
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    big = ("import subprocess; block = bytearray(300 * 1024 * 1024); block[::4096] = b'x' * len(block[::4096]);"
           " subprocess.run(['sleep', '0.3'], check=True)")
    wall, peaks, _ = measure([sys.executable, "-c", big])
    assert wall > 0.3
    python = max(v for k, v in peaks.items() if k.startswith("python"))
    assert python >= 300 and peaks["sleep"] < 50, peaks


def test_the_micro_benchmarks_run(tmp_path):
    """benchmarks/micro.py (the timings moved out of the suite) runs and reports each case; its times are not
    asserted here, since a loaded machine may miss them."""
    import json
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "micro.py"), "--runs", "1", "--json"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    cases = json.loads(proc.stdout)["cases"]
    assert [c["name"] for c in cases] == ["pdf-sample", "template-bounds"]
    assert all(c["seconds"] >= 0 and c["target"] > 0 and isinstance(c["met"], bool) for c in cases)
