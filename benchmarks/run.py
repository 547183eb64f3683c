"""Benchmark `briefing build`: median wall time and each process's own peak memory, as ratios to the pandoc floor.

    python benchmarks/run.py                 # every case, 5 runs each (synthetic sizes: 3 runs)
    python benchmarks/run.py --quick         # 3 runs, synthetic sizes 60 and 600 only
    python benchmarks/run.py --runs 9 --json

It times the installed package (`pip install -e .`), its bytecode compiled first (compileall), as a user
runs it. Every measured run is preceded by a run of its floor (floor, case, floor, case ...), and a
case's ratio is the median of its times over the median of the floor runs paired with it, so drift in
the machine's speed touches both alike.

Cases:
  floor           pandoc alone: the default briefing's composed Markdown -> DOCX (the reference)
  floor-citeproc  the same with --citeproc, the CSL style, the sources and the reference document
  cold            `briefing build` of the default workspace in a new process, every cache empty (the
                  charts, parses and references in out/, the compiled templates in the user's cache
                  folder); matplotlib's index of the system's fonts, built once per install, is kept
  cold-cached     the same with those caches warm, after one evidence edit (the edit -> build loop)
  warm            a rebuild after one evidence edit in a warm process (what `briefing watch` does)
  analyst         the analyst edition of the default workspace, new process, caches warm, against
                  its own floor (floor-analyst: its composed Markdown -> DOCX)
  items-N         `briefing build` of a synthetic workspace of N claims (benchmarks/generate.py), in the
                  analyst edition (every claim) unless --audience says otherwise

Peak memory is each process's own high-water mark (VmHWM in /proc/PID/status, read every 10 ms
for every process under the measured one), so a pandoc started by a large Python process reports
its own memory, not its parent's (which wait4's rusage would give it, as /usr/bin/time does).
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
from typing import IO, Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))  # generate.py

WORKSPACE_FILES = ("briefing.yaml", "sources.yaml", "analysis.yaml", "charts.yaml", "scale.yaml", "evidence",
                   "editions", "templates")
# No progress lines; bytecode is written and read as in a user's install (PYTHONDONTWRITEBYTECODE off).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"CI": "1"}
SIZES = (60, 600, 6000)
QUICK_SIZES = (60, 600)
SIZE_AUDIENCE = "analyst"  # the full edition: the PDF grows with the claims
# Issue 12's targets, as ratios to the plain floor (the analyst case: to its own floor).
TARGETS = {"cold": 6.0, "cold-cached": 4.0, "warm": 2.5, "analyst": 4.0}
BIG = 6000
BIG_SECONDS = 60.0  # the analyst edition at 6,000 claims, at most
LINEAR = 11.0  # t(6000) / t(600) at most
PEAK_MB = 500.0  # any one process at 6,000 claims, below


@dataclass
class Case:
    """One benchmarked case: its timings (seconds), the paired floor timings, and peak memory (MB) per process name."""

    name: str
    what: str
    times: list[float] = field(default_factory=list)
    floors: list[float] = field(default_factory=list)  # the floor run just before each of `times`
    peaks: dict[str, float] = field(default_factory=dict)  # process name -> its own peak, the largest seen
    floor_name: str = "floor"
    notes: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def ratio(self) -> float:
        """The median time over the median of the floor runs paired with it (1.0 for a floor itself)."""
        return self.median / statistics.median(self.floors) if self.floors else 1.0

    @property
    def peak(self) -> float:
        return max(self.peaks.values(), default=0.0)

    def add_peaks(self, peaks: dict[str, float]) -> None:
        for name, mb in peaks.items():
            self.peaks[name] = max(self.peaks.get(name, 0.0), mb)


# A tiny wrapper runs each measured command. Its main thread times the command from fork to wait4 (so
# the wrapper's own start-up is not counted); a second thread reads, every 10 ms, the own high-water
# mark (VmHWM) of every process under it, keyed by pid: after exec a process has a new address space,
# so pandoc's figure is pandoc's, never that of the Python process that started it.
_WRAPPER = r"""
import json, os, sys, threading, time

def tree(pid):
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as fh:
                stack.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return out

def own_peak(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            fields = dict(line.split(":", 1) for line in fh.read().splitlines() if ":" in line)
        return fields["Name"].strip(), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        return None  # gone, or a zombie (no memory left to report): keep its last reading

peaks, done = {}, threading.Event()

def poll(pid):
    while not done.is_set():
        for p in tree(pid):
            seen = own_peak(p)
            if seen:
                peaks[p] = seen  # VmHWM only grows while a program runs: the last reading is its highest
        done.wait(0.01)

start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
watcher = threading.Thread(target=poll, args=(pid,), daemon=True)
watcher.start()
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - start
done.set()
watcher.join()
by_name = {}
for name, kb in peaks.values():
    by_name[name] = max(by_name.get(name, 0), kb)
if not by_name:  # no /proc (not Linux): the tree's largest resident set, as wait4 reports it
    by_name = {"any": ru.ru_maxrss // 1024 if sys.platform == "darwin" else ru.ru_maxrss}
code = os.waitstatus_to_exitcode(status)
os.write(int(os.environ["BENCH_FD"]), json.dumps({"peaks_kb": by_name, "wall": wall, "code": code}).encode())
sys.exit(code if code >= 0 else 1)
"""


class Measured:
    """A command running under the wrapper; `finish()` gives its wall time, peaks and output."""

    def __init__(self, cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
                 interactive: bool = False) -> None:
        self.cmd = cmd
        self._read, write = os.pipe()
        self.proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, *cmd], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.PIPE if interactive else None,
                                     env=dict(env or ENV, BENCH_FD=str(write)), cwd=cwd, pass_fds=(write,),
                                     text=interactive)
        os.close(write)

    def finish(self) -> tuple[float, dict[str, float], str]:
        """Wait for the command: (wall seconds, own peak MB per process name, its stdout)."""
        out, err = self.proc.communicate()
        with os.fdopen(self._read, "rb") as fh:
            report = json.loads(fh.read() or b"{}")
        if self.proc.returncode != 0:
            err_text = err if isinstance(err, str) else err.decode(errors="replace")
            raise SystemExit(f"benchmark command failed ({self.proc.returncode}): {' '.join(map(str, self.cmd))}\n"
                             f"{err_text[-2000:]}")
        peaks = {name: kb / 1024 for name, kb in report["peaks_kb"].items()}
        text = out if isinstance(out, str) else out.decode(errors="replace")
        return report["wall"], peaks, text


def measure(cmd: list[str], *, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> tuple[float, dict[str, float], str]:
    """Run `cmd` in a new process: (wall seconds, each process's own peak MB by name, stdout)."""
    return Measured(cmd, env=env, cwd=cwd).finish()


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


def composed_markdown(workspace: Path, audience: str | None = None) -> str:
    """The briefing's composed Markdown for an audience, as `briefing build` makes it."""
    from briefing.compose import compose
    from briefing.inputs import load

    return str(compose(load(workspace, audience)).markdown)


def csl_file(workspace: Path) -> Path:
    """The CSL style the build uses: the workspace's templates/numeric.csl, else the packaged one."""
    import briefing

    own = workspace / "templates" / "numeric.csl"
    if own.is_file():
        return own
    for base in (Path(briefing.__file__).parent, REPO / "templates"):
        found = sorted(base.rglob("numeric.csl")) if base.is_dir() else []
        if found:
            return found[0]
    raise SystemExit("numeric.csl not found in the workspace or the installed package")


def reference_document(workspace: Path, dest: Path) -> Path:
    """The reference DOCX the build hands pandoc for the workspace's default edition."""
    from briefing.inputs import load
    from briefing.reference_docx import reference_docx

    inputs = load(workspace)
    ws, aud = inputs.ready
    dest.write_bytes(reference_docx(levels=ws.scale.levels, marking=aud.marking or ws.meta.marking,
                                    title=ws.meta.title, paper=aud.paper, theme=inputs.theme))
    return dest


@dataclass
class Proc:
    """A case measured as a new process per run: the command for run i, and the floor it is paired with."""

    case: Case
    command: Callable[[int], list[str]]
    runs: int
    floor: Proc | None = None  # run just before every run of this case (None: this is a floor)
    after: Callable[[int, str], None] = lambda i, out: None
    before: Callable[[int], None] = lambda i: None  # untimed, just before run i (an edit)
    env: Callable[[int], dict[str, str]] | None = None  # the environment of run i (default: ENV)


def floor_procs(workspace: Path, tmp: Path, runs: int) -> tuple[Proc, Proc, Proc]:
    """The floors: plain pandoc (default and analyst editions), and pandoc with citeproc and the reference document."""
    from briefing.csl import bibliography
    from briefing.inputs import load
    from briefing.pandoc import pandoc_path

    def plain(name: str, what: str, audience: str | None) -> Proc:
        md = tmp / f"{name}.md"
        md.write_text(composed_markdown(workspace, audience), encoding="utf-8")
        cmd = [pandoc_path(), "--quiet", "-f", "markdown", "-t", "docx", "-o", str(tmp / f"{name}.docx"), str(md)]
        return Proc(Case(name, what), lambda i: cmd, runs)

    floor = plain("floor", "pandoc: composed Markdown -> DOCX", None)
    analyst = plain("floor-analyst", "pandoc: the analyst edition's composed Markdown -> DOCX", "analyst")
    ws = load(workspace).checked().workspace
    assert ws is not None  # checked() raised otherwise
    bib = tmp / "references.json"
    bib.write_text(json.dumps(bibliography(ws.sources), ensure_ascii=False), encoding="utf-8")
    ref = reference_document(workspace, tmp / "reference.docx")
    cmd = [pandoc_path(), "--quiet", "-f", "markdown", "-t", "docx", "--citeproc", f"--csl={csl_file(workspace)}",
           f"--bibliography={bib}", f"--reference-doc={ref}", "-o", str(tmp / "floor-citeproc.docx"),
           str(tmp / "floor.md")]
    citeproc = Proc(Case("floor-citeproc", "pandoc: the same with citeproc, CSL and reference document"),
                    lambda i: cmd, runs, floor)
    return floor, citeproc, analyst


def cold_proc(workspace: Path, tmp: Path, runs: int, floor: Proc, *, cached: bool) -> Proc:
    """`briefing build` in a new process, with every cache cold (a fresh out/ and user cache folder) or warm."""
    if cached:  # the edit -> build loop: one evidence edit before each run, as an analyst works
        ws = copy_workspace(workspace, tmp / "cached-ws")
        keep = tmp / "cached-out"
        subprocess.run(build_cmd(ws, keep), check=True, capture_output=True, env=ENV)
        edit = Editor(ws)
        return Proc(Case("cold-cached", f"new process, caches warm, after editing {edit.what}"),
                    lambda i: build_cmd(ws, keep), runs, floor, before=lambda i: edit.revise(i + 1),
                    after=lambda i, out: edit.check(i + 1) if i == 0 else None)
    return Proc(Case("cold", "new process, caches cold (charts, compiled templates)"),
                lambda i: build_cmd(workspace, tmp / f"cold-{i}"), runs, floor,
                env=lambda i: ENV | {"XDG_CACHE_HOME": str(tmp / f"cold-user-cache-{i}")})


def analyst_proc(workspace: Path, tmp: Path, runs: int, floor: Proc) -> Proc:
    """The analyst edition of the default workspace, new process, caches warm, against its own floor."""
    keep = tmp / "analyst-out"
    subprocess.run(build_cmd(workspace, keep, "analyst"), check=True, capture_output=True, env=ENV)
    case = Case("analyst", "analyst edition, new process, caches warm", floor_name=floor.case.name)
    return Proc(case, lambda i: build_cmd(workspace, keep, "analyst"), runs, floor)


def size_proc(n: int, tmp: Path, runs: int, audience: str, floor: Proc) -> Proc:
    """Cold builds of a synthetic workspace of n claims, each into a fresh out/."""
    from generate import generate

    ws = generate(n, tmp / f"ws-{n}")
    case = Case(f"items-{n}", f"synthetic, {n} claims, {audience} edition, cold")

    def after(i: int, out: str) -> None:
        case.notes = out.strip().splitlines()[-1].split(": ", 1)[-1] if out.strip() else ""
        shutil.rmtree(tmp / f"out-{n}-{i}", ignore_errors=True)

    return Proc(case, lambda i: build_cmd(ws, tmp / f"out-{n}-{i}", audience), runs, floor, after)


def _run_once(p: Proc, i: int) -> float:
    p.before(i)
    wall, peaks, out = measure(p.command(i), env=p.env(i) if p.env else None)
    p.case.times.append(wall)
    p.case.add_peaks(peaks)
    p.after(i, out)
    return wall


class WarmChild:
    """A warm process (`--warm-child`) that rebuilds after one evidence edit each time it is asked."""

    def __init__(self, workspace: Path, tmp: Path, floor: Proc) -> None:
        ws = copy_workspace(workspace, tmp / "warm-ws")
        self.floor = floor
        self.case = Case("warm", "rebuild after one evidence edit (in-process)")
        self.run = Measured([sys.executable, str(Path(__file__).resolve()), "--warm-child", str(ws)], interactive=True)
        assert self.run.proc.stdin is not None and self.run.proc.stdout is not None
        self._in: IO[str] = self.run.proc.stdin
        self._out: IO[str] = self.run.proc.stdout
        self._reply()  # the first build, to warm the process

    def _reply(self) -> dict[str, Any]:
        line = self._out.readline()
        if not line:
            self.run.finish()  # raises with the child's error
            raise SystemExit("the warm child stopped without a reply")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def rebuild(self) -> None:
        """One edit and rebuild, timed inside the child."""
        self._in.write("go\n")
        self._in.flush()
        self.case.times.append(float(self._reply()["time"]))

    def close(self) -> None:
        """Check the edits reached the briefing; record the child's peak memory."""
        self._in.write("end\n")
        self._in.flush()
        report = self._reply()
        _, peaks, _ = self.run.finish()  # closes stdin: the child is done
        self.case.add_peaks(peaks)
        self.case.what = f"rebuild after editing {report['edited']} (in-process)"
        self.case.notes = report["how"]


def run_rounds(procs: list[Proc], warm: WarmChild | None, runs: int, say: Callable[[str], None]) -> None:
    """Round after round, each case once, every run just after a run of its floor (floor, case, floor, case ...)."""
    for i in range(runs):
        names = [p.case.name for p in procs if i < p.runs and p.floor] + (["warm"] if warm else [])
        say(f"round {i + 1}: " + ", ".join(names))
        for p in procs:
            if i < p.runs and p.floor is not None:
                p.case.floors.append(_run_once(p.floor, i))
                _run_once(p, i)
        if warm is not None:
            warm.case.floors.append(_run_once(warm.floor, i))
            warm.rebuild()


def warm_child(ws: Path) -> None:
    """In this process: build once; then, per line "go" on stdin, edit one evidence file and rebuild; JSON replies."""
    from briefing.build import build
    from briefing.context import user_context

    context = user_context(warm=True)  # one warm process keeps its caches across builds, as `watch` does
    try:  # what `briefing watch` does on a change: hash the inputs, then build
        from briefing.watch import inputs_digest
        how = "briefing.watch: inputs_digest + build, as watch's rebuild does"
    except ImportError:
        inputs_digest = None
        how = "briefing.build.build in a warm process"
    out = ws / "out"
    build(ws, out_dir=out, context=context)
    edit = Editor(ws)
    print(json.dumps({"ready": True}), flush=True)
    k = 0
    for line in sys.stdin:
        if line.strip() != "go":
            break
        k += 1
        edit.revise(k)
        start = time.perf_counter()
        if inputs_digest:
            inputs_digest(ws)
        build(ws, out_dir=out, context=context)
        print(json.dumps({"time": time.perf_counter() - start}), flush=True)
    if k:
        edit.check(k)
    print(json.dumps({"edited": edit.what, "how": how}), flush=True)


class Editor:
    """One evidence item whose text the default briefing prints, revised (untimed) before each measured build."""

    def __init__(self, ws: Path) -> None:
        import yaml

        self.ws = ws
        self.path, self.key = _visible_item(ws)
        self.data = yaml.safe_load(self.path.read_text("utf-8"))
        self.base = self.data[self.key]
        self.what = f"evidence/{self.path.name} ({self.key})"

    def revise(self, k: int) -> None:
        """Write revision k of the item."""
        import yaml

        self.data[self.key] = f"{self.base} Revision {k}."
        self.path.write_text(yaml.safe_dump(self.data, sort_keys=False, allow_unicode=True), encoding="utf-8")

    def check(self, k: int) -> None:
        """Stop if revision k did not reach the briefing (the edit would have measured nothing)."""
        from briefing.escaping import escape

        if str(escape(f"Revision {k}")) not in composed_markdown(self.ws):
            raise SystemExit(f"the edit to {self.path.name} did not reach the briefing; pick another item")


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


def installed_package() -> Path:
    """The folder of the `briefing` package the children import, its bytecode compiled; exit if not installed."""
    probe = subprocess.run([sys.executable, "-c", "import briefing, os; print(os.path.dirname(briefing.__file__))"],
                           capture_output=True, text=True, env=ENV, cwd=tempfile.gettempdir())
    if probe.returncode != 0:
        raise SystemExit("briefing is not installed in this Python: run `pip install -e .` first")
    folder = Path(probe.stdout.strip())
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder)], check=True, env=ENV)
    return folder


def machine() -> dict[str, Any]:
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


def verdicts(cases: dict[str, Case]) -> list[tuple[str, bool, str]]:
    """Issue 12's targets that were measured: (what, met, the figures)."""
    out = []
    for name, limit in TARGETS.items():
        if name in cases:
            c = cases[name]
            out.append((f"{name} <= {limit:g}x {c.floor_name}", c.ratio <= limit, f"{c.ratio:.2f}x"))
    small, big = cases.get("items-600"), cases.get(f"items-{BIG}")
    if big:
        out.append((f"{BIG} claims: peak memory of any one process < {PEAK_MB:g} MB", big.peak < PEAK_MB,
                    f"{big.peak:.0f} MB ({', '.join(f'{k} {v:.0f}' for k, v in sorted(big.peaks.items()))})"))
        out.append((f"{BIG} claims: time <= {BIG_SECONDS:g} s", big.median <= BIG_SECONDS, f"{big.median:.1f} s"))
    if small and big:
        r = big.median / small.median
        out.append((f"t({BIG})/t(600) <= {LINEAR:g}", r <= LINEAR, f"{r:.2f}"))
    return out


def table(cases: list[Case]) -> str:
    """The printed table."""
    rows = [("case", "runs", "median s", "x floor", "min s", "max s", "peak MB", "python MB", "pandoc MB", "what")]
    for c in cases:
        rows.append((c.name, str(len(c.times)), f"{c.median:.3f}", f"{c.ratio:.2f}" if c.floors else "1.00",
                     f"{min(c.times):.3f}", f"{max(c.times):.3f}", f"{c.peak:.0f}",
                     f"{max((v for k, v in c.peaks.items() if k.startswith('python')), default=0):.0f}",
                     f"{c.peaks.get('pandoc', 0):.0f}", c.what + (f" (x {c.floor_name})" if c.floor_name != "floor"
                                                                   else "")))
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
    p.add_argument("--runs", type=int, help="runs per case (default 5, 3 with --quick; the median is reported)")
    p.add_argument("--quick", action="store_true", help="3 runs, synthetic sizes 60 and 600 only")
    p.add_argument("--sizes", help="comma-separated synthetic sizes (default 60,600,6000; 'none' skips them)")
    p.add_argument("--size-runs", type=int, help="runs for each synthetic size (default: --runs, at most 3)")
    p.add_argument("--audience", default=SIZE_AUDIENCE,
                   help=f"audience for the synthetic builds (default {SIZE_AUDIENCE}, the full edition)")
    p.add_argument("--workspace", type=Path, default=REPO, help="the default workspace (default: the repository)")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--warm-child", metavar="WS", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.warm_child:
        warm_child(Path(args.warm_child))
        return 0
    runs = args.runs if args.runs is not None else (3 if args.quick else 5)
    if runs < 1:
        p.error("--runs must be at least 1")
    if args.sizes is not None:
        sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip() and s.strip() != "none")
    else:
        sizes = QUICK_SIZES if args.quick else SIZES
    say: Callable[[str], None] = (lambda m: None) if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
    package = installed_package()
    say(f"timing the installed package in {package} (bytecode compiled)")
    with tempfile.TemporaryDirectory(prefix="briefing-bench-") as t:
        tmp = Path(t)
        ENV["XDG_CACHE_HOME"] = str(tmp / "user-cache")  # compiled templates: kept here, never in ~/.cache
        # matplotlib's index of the system's fonts, built once per install (0.4 s) like the compiled bytecode:
        # kept apart from XDG_CACHE_HOME, so that the cold case empties briefing's caches, not matplotlib's.
        ENV["MPLCONFIGDIR"] = str(tmp / "matplotlib")
        say("setting up: composing the floors' Markdown, priming the caches, generating workspaces")
        floor, citeproc, floor_analyst = floor_procs(args.workspace, tmp, runs)
        procs = [citeproc,
                 cold_proc(args.workspace, tmp, runs, floor, cached=False),
                 cold_proc(args.workspace, tmp, runs, floor, cached=True),
                 analyst_proc(args.workspace, tmp, runs, floor_analyst)]
        procs += [size_proc(n, tmp, args.size_runs or min(runs, 3), args.audience, floor) for n in sizes]
        warm = WarmChild(args.workspace, tmp, floor)
        try:
            run_rounds(procs, warm, runs, say)
        finally:
            warm.close()
    floor.case.floors = []
    floor_analyst.case.floors = []
    cases = [floor.case, citeproc.case, procs[1].case, procs[2].case, warm.case, floor_analyst.case,
             procs[3].case, *(p.case for p in procs[4:])]
    checks = verdicts({c.name: c for c in cases})
    if args.json:
        print(json.dumps({"machine": machine(), "floor_s": floor.case.median,
                          "cases": [dict(asdict(c), median=c.median, ratio=c.ratio, peak_mb=c.peak) for c in cases],
                          "targets": [{"target": w, "met": ok, "figure": f} for w, ok, f in checks]}, indent=2))
        return 0
    m = machine()
    print(f"machine: {m['nproc']} cores, {m['cpu']}, {m['ram']} RAM, Python {m['python']}")
    print(table(cases))
    for c in cases:
        if c.notes:
            print(f"  {c.name}: {c.notes}")
    print()
    for what, ok, figure in checks:
        print(f"{'MET   ' if ok else 'MISSED'}  {what}: {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
