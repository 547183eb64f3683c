"""Micro-benchmarks moved out of the test suite: timings a loaded machine can miss are measured here, not asserted.

    python benchmarks/micro.py            # best of 5 of each, with its target
    python benchmarks/micro.py --json

Cases:
  pdf-sample       render_pdf of the multi-page sample briefing (tests/fixtures/pdf/sample.md); target < 1 s
  template-bounds  what the template time and memory bounds add to a small render; target < 5 ms
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO)]  # run from a checkout without installing
FIXTURES = REPO / "tests" / "fixtures" / "pdf"
TARGETS = {"pdf-sample": 1.0, "template-bounds": 0.005}  # seconds


def best(fn, runs: int) -> float:
    """The fastest of `runs` calls: the machine may be shared."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def pdf_sample(tmp: Path, runs: int) -> float:
    import pypandoc

    from briefing.render_pdf import PdfOptions, render_pdf

    out = subprocess.run([pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "json", "--citeproc",
                          "--csl", str(FIXTURES / "numeric.csl"), "--bibliography", str(FIXTURES / "refs.json"),
                          str(FIXTURES / "sample.md")], capture_output=True, text=True, check=True)
    ast = json.loads(out.stdout)
    charts = {"volumes": FIXTURES / "volumes.svg"}
    render_pdf(ast, tmp / "warm.pdf", charts=charts, options=PdfOptions())  # fonts, imports
    return best(lambda: render_pdf(ast, tmp / "timed.pdf", charts=charts, options=PdfOptions()), runs)


def template_bounds(tmp: Path, runs: int) -> float:
    from briefing import templating
    from briefing.compose import PACKAGE_TEMPLATES

    (tmp / "templates").mkdir()
    (tmp / "templates" / "t.md.j2").write_text("{% for i in range(200) %}{{ i }} {% endfor %}")
    env = templating.environment(tmp / "templates", PACKAGE_TEMPLATES, {})
    template = env.get_template("t.md.j2")
    plain = best(lambda: template.render({}), runs * 3)
    bounded = best(lambda: templating.render(env, "t.md.j2", {}), runs * 3)
    return max(bounded - plain, 0.0)


def main(argv: list[str] | None = None) -> int:
    """Run every case; print a table (or JSON); exit 1 if a target is missed."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in (("pdf-sample", pdf_sample), ("template-bounds", template_bounds)):
            folder = Path(tmp) / name
            folder.mkdir()
            results[name] = fn(folder, args.runs)
    cases = [{"name": n, "seconds": s, "target": TARGETS[n], "met": s < TARGETS[n]} for n, s in results.items()]
    if args.json:
        print(json.dumps({"cases": cases}, indent=2))
    else:
        for c in cases:
            print(f"{c['name']:16} {c['seconds'] * 1000:9.1f} ms   target < {c['target'] * 1000:g} ms"
                  f"   {'met' if c['met'] else 'MISSED'}")
    return 0 if all(c["met"] for c in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
