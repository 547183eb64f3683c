"""Benchmark `briefing build`: median wall time and peak memory, each also as a ratio to the pandoc floor.

    python benchmarks/run.py                 # every case, 5 runs each
    python benchmarks/run.py --quick         # the CI smoke: synthetic sizes 60 and 600 only
    python benchmarks/run.py --runs 9 --json

Cases:
  floor         pandoc converting the default briefing's composed Markdown to DOCX (the reference)
  cold          `briefing build` of the default workspace in a new process, chart cache cold
  cold-cached   the same with the chart cache warm (what a second command-line build costs)
  warm          a rebuild after one evidence edit in a warm process (what `briefing watch` does)
  items-N       `briefing build` of a synthetic workspace of N evidence items (benchmarks/generate.py)

Peak memory is the largest resident set of any one process in the build's tree (the rusage that
wait4 reports, as `/usr/bin/time -v` does): Python, or a pandoc it ran, whichever is larger.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO), str(HERE)]  # run from a checkout without installing

WORKSPACE_FILES = ("briefing.yaml", "sources.yaml", "analysis.yaml", "charts.yaml", "scale.yaml", "evidence",
                   "editions", "templates")
# No progress lines; and the children import this checkout's briefing, installed or not.
ENV = dict(os.environ, CI="1", PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
SIZES = (60, 600, 6000)
QUICK_SIZES = (60, 600)
TARGETS = {"cold": 4.0, "warm": 1.5}  # at most this many times the floor
LINEAR = 12.0  # t(6000) / t(600) at most
PEAK_MB = 500.0  # at 6,000 items


@dataclass
class Case:
    """One benchmarked case: its timings (seconds) and peak memory (MB) per run."""

    name: str
    what: str
    times: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)
    notes: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def peak(self) -> float:
        return max(self.peaks) if self.peaks else 0.0


# A tiny wrapper runs each measured command and reports, from fork to wait4, its wall time (so the
# wrapper's own start-up is not counted) and its rusage: the peak resident set of that child or of
# any process it waited for (pandoc), as /usr/bin/time -v does. (RUSAGE_CHILDREN in this process
# would mix every command run so far.)
_WRAPPER = r"""
import json, os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
os.write(int(os.environ["BENCH_FD"]), json.dumps({"maxrss_kb": ru.ru_maxrss, "wall": wall, "code": code}).encode())
sys.exit(code if code >= 0 else 1)
"""


def measure(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None) -> tuple[float, float, bytes]:
    """Run `cmd` in a new process: (wall seconds, peak RSS MB of the tree under it, stdout)."""
    read, write = os.pipe()
    env = dict(env or os.environ, BENCH_FD=str(write))
    proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, *cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=cwd, pass_fds=(write,))
    os.close(write)
    out, err = proc.communicate()
    with os.fdopen(read, "rb") as fh:
        report = json.loads(fh.read() or b"{}")
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
                         f"{err.decode(errors='replace')[-2000:]}")
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1 / 1024 / 1024 if sys.platform == "darwin" else 1 / 1024
    return report["wall"], report["maxrss_kb"] * scale, out


def copy_workspace(src: Path, dest: Path) -> Path:
    """A copy of a workspace's input files (not out/)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in WORKSPACE_FILES:
        s = src / name
        if s.is_dir():
            shutil.copytree(s, dest / name)
        elif s.exists():
            shutil.copy2(s, dest / name)
    return dest


def build_cmd(workspace: Path, out: Path, audience: str | None = None) -> list[str]:
    """The command line of one `briefing build`."""
    cmd = [sys.executable, "-m", "briefing", "build", "--workspace", str(workspace), "--out", str(out)]
    return cmd + (["--audience", audience] if audience else [])


def composed_markdown(workspace: Path) -> str:
    """The default briefing's composed Markdown, as `briefing build` makes it."""
    from briefing.compose import compose
    from briefing.inputs import load

    return compose(load(workspace)).markdown


@dataclass
class Proc:
    """A case measured as a new process per run: the command for run i."""

    case: Case
    command: Callable[[int], list[str]]
    runs: int
    after: Callable[[int, bytes], None] = lambda i, out: None


def floor_proc(workspace: Path, tmp: Path, runs: int) -> Proc:
    """pandoc: the composed Markdown to DOCX, nothing else."""
    from briefing.pandoc import pandoc_path

    md = tmp / "floor.md"
    md.write_text(composed_markdown(workspace), encoding="utf-8")
    cmd = [pandoc_path(), "--quiet", "-f", "markdown", "-t", "docx", "-o", str(tmp / "floor.docx"), str(md)]
    return Proc(Case("floor", "pandoc: composed Markdown -> DOCX"), lambda i: cmd, runs)


def cold_proc(workspace: Path, tmp: Path, runs: int, *, cached: bool) -> Proc:
    """`briefing build` in a new process, with the chart cache cold (a fresh out/) or warm."""
    if cached:
        keep = tmp / "cached-out"
        subprocess.run(build_cmd(workspace, keep), check=True, capture_output=True, env=ENV)
        return Proc(Case("cold-cached", "new process, chart cache warm"), lambda i: build_cmd(workspace, keep), runs)
    return Proc(Case("cold", "new process, chart cache cold (PDF+DOCX+charts)"),
                lambda i: build_cmd(workspace, tmp / f"cold-{i}"), runs)


def size_proc(n: int, tmp: Path, runs: int, audience: str | None) -> Proc:
    """Cold builds of a synthetic workspace of n items, each into a fresh out/."""
    from generate import generate

    ws = generate(n, tmp / f"ws-{n}")
    case = Case(f"items-{n}", f"synthetic, {n} evidence items" + (f", audience {audience}" if audience else ""))

    def after(i: int, out: bytes) -> None:
        case.notes = out.decode().strip().splitlines()[-1].split(": ", 1)[-1] if out.strip() else ""
        shutil.rmtree(tmp / f"out-{n}-{i}", ignore_errors=True)

    return Proc(case, lambda i: build_cmd(ws, tmp / f"out-{n}-{i}", audience), runs, after)


def run_rounds(procs: list[Proc], say) -> None:
    """Run the cases round-robin, one run of each per round, so drift in the machine's speed hits all alike."""
    for i in range(max(p.runs for p in procs)):
        say(f"round {i + 1}: " + ", ".join(p.case.name for p in procs if i < p.runs))
        for p in procs:
            if i < p.runs:
                wall, peak, out = measure(p.command(i), env=ENV)
                p.case.times.append(wall)
                p.case.peaks.append(peak)
                p.after(i, out)


def bench_warm(workspace: Path, tmp: Path, runs: int) -> Case:
    """A rebuild after one evidence edit, in a warm process (run in a child so its memory is its own)."""
    ws = copy_workspace(workspace, tmp / "warm-ws")
    _, peak, out = measure([sys.executable, str(Path(__file__).resolve()), "--warm-child", str(ws), str(runs)],
                           env=ENV)
    report = json.loads(out.decode().strip().splitlines()[-1])
    return Case("warm", f"rebuild after editing {report['edited']} (in-process)", report["times"], [peak],
                notes=report["how"])


def warm_child(ws: Path, runs: int) -> None:
    """In this process: build once, then edit one evidence file and rebuild, `runs` times; print JSON."""
    import yaml

    from briefing.build import build
    from briefing.escaping import escape

    try:  # what `briefing watch` does on a change: hash the inputs, then build
        from briefing.watch import inputs_digest
        how = "briefing.watch: inputs_digest + build, as watch's rebuild does"
    except ImportError:
        inputs_digest = None
        how = "briefing.build.build in a warm process"
    try:  # watch keeps one build context (compiled templates, pandoc's parses) across its rebuilds
        from briefing.context import BuildContext
        warm = {"context": BuildContext()}
    except ImportError:
        warm = {}
    out = ws / "out"
    build(ws, out_dir=out, **warm)
    path, key = _visible_item(ws)
    data = yaml.safe_load(path.read_text("utf-8"))
    base = data[key]
    times = []
    for k in range(runs):
        data[key] = f"{base} Revision {k + 1}."
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        start = time.perf_counter()
        if inputs_digest:
            inputs_digest(ws)
        build(ws, out_dir=out, **warm)
        times.append(time.perf_counter() - start)
    md = composed_markdown(ws)
    if str(escape(f"Revision {runs}")) not in md:
        raise SystemExit(f"the edit to {path.name} did not reach the briefing; pick another item")
    print(json.dumps({"times": times, "edited": f"evidence/{path.name} ({key})", "how": how}))


def _visible_item(ws: Path) -> tuple[Path, str]:
    """An evidence file whose claim (or title) the default briefing prints, so an edit changes the output."""
    import yaml

    from briefing.escaping import escape

    md = composed_markdown(ws)
    files = sorted((ws / "evidence").glob("*.yaml"))
    for key in ("claim", "title"):
        for path in files:
            text = " ".join(str(yaml.safe_load(path.read_text("utf-8")).get(key, "")).split())
            if text and str(escape(text[:60])) in md:
                return path, key
    raise SystemExit("no evidence item's text appears in the default briefing")


def machine() -> dict:
    """The machine the figures come from."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    ram = ""
    try:
        kb = int(next(ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines()
                      if ln.startswith("MemTotal")))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram": ram, "python": platform.python_version(),
            "platform": platform.platform()}


def verdicts(cases: dict[str, Case], floor: float) -> list[tuple[str, bool | None, str]]:
    """Each target: (what, met (None if not measured), the figures)."""
    out = []
    for name, limit in TARGETS.items():
        if name in cases:
            r = cases[name].median / floor
            out.append((f"{name} build <= {limit:g}x floor", r <= limit, f"{r:.2f}x"))
    a, b = cases.get("items-600"), cases.get("items-6000")
    if a and b:
        r = b.median / a.median
        out.append((f"t(6000)/t(600) <= {LINEAR:g}", r <= LINEAR, f"{r:.2f}"))
        out.append((f"peak memory at 6000 items < {PEAK_MB:g} MB", b.peak < PEAK_MB, f"{b.peak:.0f} MB"))
    return out


def table(cases: list[Case], floor: float) -> str:
    """The printed table."""
    rows = [("case", "runs", "median s", "x floor", "min s", "max s", "peak MB", "what")]
    for c in cases:
        rows.append((c.name, str(len(c.times)), f"{c.median:.3f}", f"{c.median / floor:.2f}",
                     f"{min(c.times):.3f}", f"{max(c.times):.3f}", f"{c.peak:.0f}", c.what))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for j, r in enumerate(rows):
        cells = [r[i].ljust(widths[i]) if i == 0 else r[i].rjust(widths[i]) for i in range(len(widths))]
        lines.append("  ".join(cells) + "  " + r[-1])
        if j == 0:
            lines.append("-" * (sum(widths) + 2 * len(widths) + 4))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table (or JSON)."""
    p = argparse.ArgumentParser(description="Benchmark briefing builds against the pandoc-to-DOCX floor.")
    p.add_argument("--runs", type=int, default=5, help="runs per case (default 5; the median is reported)")
    p.add_argument("--quick", action="store_true", help="synthetic sizes 60 and 600 only (a CI smoke run)")
    p.add_argument("--sizes", help="comma-separated synthetic sizes (default 60,600,6000; 'none' skips them)")
    p.add_argument("--size-runs", type=int, help="runs for each synthetic size (default: --runs)")
    p.add_argument("--audience", help="audience for the synthetic builds (default: the workspace's, executive)")
    p.add_argument("--workspace", type=Path, default=REPO, help="the default workspace (default: the repository)")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--warm-child", nargs=2, metavar=("WS", "RUNS"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.warm_child:
        warm_child(Path(args.warm_child[0]), int(args.warm_child[1]))
        return 0
    if args.runs < 1:
        p.error("--runs must be at least 1")
    if args.sizes is not None:
        sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip() and s.strip() != "none")
    else:
        sizes = QUICK_SIZES if args.quick else SIZES
    say = (lambda m: None) if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
    with tempfile.TemporaryDirectory(prefix="briefing-bench-") as t:
        tmp = Path(t)
        say("setting up: composing the floor's Markdown, priming the chart cache, generating workspaces")
        procs = [floor_proc(args.workspace, tmp, args.runs),
                 cold_proc(args.workspace, tmp, args.runs, cached=False),
                 cold_proc(args.workspace, tmp, args.runs, cached=True)]
        procs += [size_proc(n, tmp, args.size_runs or args.runs, args.audience) for n in sizes]
        run_rounds(procs, say)
        say(f"warm rebuilds x{args.runs}")
        warm = bench_warm(args.workspace, tmp, args.runs)
    cases = [p.case for p in procs[:3]] + [warm] + [p.case for p in procs[3:]]
    floor = cases[0]
    by_name = {c.name: c for c in cases}
    checks = verdicts(by_name, floor.median)
    if args.json:
        print(json.dumps({"machine": machine(), "floor_s": floor.median,
                          "cases": [dict(asdict(c), median=c.median, ratio=c.median / floor.median, peak_mb=c.peak)
                                    for c in cases],
                          "targets": [{"target": w, "met": ok, "figure": f} for w, ok, f in checks]}, indent=2))
        return 0
    m = machine()
    print(f"machine: {m['nproc']} cores, {m['cpu']}, {m['ram']} RAM, Python {m['python']}")
    print(table(cases, floor.median))
    for c in cases:
        if c.notes:
            print(f"  {c.name}: {c.notes}")
    print()
    for what, ok, figure in checks:
        print(f"{'MET ' if ok else 'MISSED'}  {what}: {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
