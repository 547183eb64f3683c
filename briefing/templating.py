"""The template engine: Jinja2 sandboxed, strict, escaping by default, bounded, errors with file and line.

Safety, in layers:
- ImmutableSandboxedEnvironment: no `__class__`/`__globals__`, no mutation of the data handed in.
- StrictUndefined: a typo is an error, never a silently blank section.
- A loader that reads only files inside the workspace's templates/ (symlinks resolved) and the
  packaged templates/: no `..`, no absolute names.
- Bounds the sandbox lacks: `*`, `**` and `+` refuse to build huge strings, lists or numbers; the
  render runs under a wall-clock deadline (SIGALRM on the main thread, a watchdog thread
  elsewhere) and, on Linux, an address-space cap (RLIMIT_AS) set for the render only. Both cost
  microseconds on the normal path, unlike a child process.
- Every fault becomes a BriefingError naming the template file and line, never a traceback.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import resource
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import CodeType, FrameType, MappingProxyType
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import BriefingError
from .escaping import MdMarkup, escape, finalize, markup_join
from .packaged import PACKAGE_TEMPLATES
from .user_cache import private_folder
from .yamlsafe import MAX_BYTES


@dataclass(frozen=True)
class Limits:
    """How far a template may go before it is stopped."""

    seconds: float = 10.0  # wall-clock time for one render (the packaged ones take ~0.1 s)
    memory: int = 512 * 1024 * 1024  # bytes of address space a render may add to the process
    size: int = 5_000_000  # items (characters, list entries) one `*` or `+` may produce
    int_bits: int = 100_000  # bits in a number one `*` or `**` may produce


LIMITS = Limits()
SECONDS_PER_ITEM = 0.01  # more time per claim and source: a packaged template takes ~1.5 ms each at 6,000 claims


def limits_for(items: int) -> Limits:
    """The bounds of a render over `items` claims and sources: its time grows with the input, so a large workspace
    on a slow or busy machine is never taken for a runaway loop (6,000 claims took over 10 s on a loaded one)."""
    return replace(LIMITS, seconds=LIMITS.seconds + SECONDS_PER_ITEM * max(items, 0))


_PACKAGE_TEMPLATES = PACKAGE_TEMPLATES.resolve()


class TemplateTimeout(Exception):  # noqa: N818 - reads as what happened
    """Raised inside a render that ran past its deadline (an Exception, so Jinja maps it to a line)."""


class TemplateRefused(jinja2.TemplateError):  # noqa: N818
    """A template name that would read a file outside the template folders."""


class _Template(jinja2.Template):
    """A template whose autoescaping escapes for pandoc Markdown instead of HTML."""

    @classmethod
    def from_code(cls, environment: jinja2.Environment, code: CodeType, globals: MutableMapping[str, Any],
                  uptodate: Callable[[], bool] | None = None) -> jinja2.Template:
        namespace: dict[str, Any] = {"environment": environment, "__file__": code.co_filename}
        exec(code, namespace)
        # The compiled template calls these names for autoescaping; swap HTML escaping for ours.
        namespace["escape"] = escape
        namespace["markup_join"] = markup_join
        rv = cls._from_namespace(environment, namespace, globals)
        rv._uptodate = uptodate
        return rv


@dataclass(frozen=True)
class TemplateFile:
    """One template file as read at load: its text (or why it cannot be used) and the path errors name."""

    path: str
    text: str | None = None
    refused: str = ""  # why the name is refused (a link leading outside)
    error: OSError | UnicodeError | None = None  # why it could not be read, raised where it is used


@dataclass(frozen=True)
class TemplateSources:
    """Every template file a build may use, read once: the workspace's templates/ over the packaged ones."""

    own: Mapping[str, TemplateFile]  # by name relative to the workspace's templates/
    packaged: Mapping[str, TemplateFile]
    workspace_templates: Path
    package_templates: Path

    def find(self, name: str) -> TemplateFile | None:
        """The file a template name resolves to: the workspace's own first, then the packaged one."""
        return self.own.get(name) or self.packaged.get(name)


def _read_folder(folder: Path, bound: Path) -> dict[str, TemplateFile]:
    """The files under a template folder by name ('sections/x.md.j2'); links followed only inside `bound`."""
    out: dict[str, TemplateFile] = {}
    if not folder.is_dir():
        return out
    real_bound = bound.resolve()
    seen: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        here = Path(dirpath)
        seen.add(here.resolve())
        # Linked folders are followed inside the bound only, and once (a link to a parent would loop).
        dirnames[:] = sorted(d for d in dirnames if (here / d).resolve().is_relative_to(real_bound)
                             and (here / d).resolve() not in seen)
        for fname in sorted(filenames):
            path = here / fname
            name = path.relative_to(folder).as_posix()
            real = path.resolve()
            if not real.is_relative_to(real_bound):
                out[name] = TemplateFile(str(path), refused=f"'{name}' is a link to a file outside the workspace;"
                                         " refused")
            elif real.is_file():
                try:
                    size = real.stat().st_size
                    if size > MAX_BYTES:  # a font or an image kept beside the templates: never read whole
                        raise OSError(f"{name} is {size / 1e6:.1f} MB; a template is at most"
                                      f" {MAX_BYTES // 1_000_000} MB")
                    out[name] = TemplateFile(str(path), real.read_text("utf-8"))
                except (OSError, UnicodeError) as exc:
                    out[name] = TemplateFile(str(path), error=exc)
    return out


def read_templates(workspace_templates: Path, package_templates: Path) -> TemplateSources:
    """Read every template file once: the workspace's (links followed only inside the workspace) and the packaged."""
    own = Path(workspace_templates)
    package = Path(package_templates)
    return TemplateSources(MappingProxyType(_read_folder(own, own.parent)),
                           MappingProxyType(_read_folder(package, package)), own, package)


class _Loader(jinja2.BaseLoader):
    """Serves the template sources read at load; nothing outside the template folders is ever read."""

    def __init__(self, sources: TemplateSources):
        self.sources = sources

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str | None, Callable[[], bool] | None]:
        pieces = template.replace("\\", "/").split("/")
        if template.startswith(("/", "\\")) or ".." in pieces or (pieces and ":" in pieces[0]):
            raise TemplateRefused(f"'{template}' leads outside the templates folder; refused")
        name = "/".join(p for p in pieces if p not in ("", "."))
        found = self.sources.find(name)
        if found is None:
            raise jinja2.TemplateNotFound(template)
        if found.refused:
            raise TemplateRefused(found.refused.replace(f"'{name}'", f"'{template}'", 1))
        if found.text is None:
            raise found.error or jinja2.TemplateNotFound(template)
        # One environment per build, so no reload check (None: always up to date).
        return found.text, found.path, None


def _size(value: object) -> int | None:
    return len(value) if isinstance(value, (str, list, tuple)) else None


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, plus caps on the operators that can build huge values in one step."""

    intercepted_binops = frozenset({"*", "**", "+"})
    limits = LIMITS
    briefing_root: Path  # the workspace, for naming files in errors (set by `environment`)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Refuse `'x' * 10**9`, `[0] * 10**9`, `10 ** 10**9` and the like before they run."""
        lim = self.limits
        ints = isinstance(left, int) and isinstance(right, int)
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if (size := _size(seq)) is not None and isinstance(n, int) and size * n > lim.size:
                    raise SecurityError(f"`*` would make {size * n:,} items; the limit is {lim.size:,}")
            if ints and abs(left).bit_length() + abs(right).bit_length() > lim.int_bits:
                raise SecurityError(f"`*` would make a number over {lim.int_bits:,} bits")
        elif operator == "**" and ints and right > 0 and abs(left) > 1:
            if right * abs(left).bit_length() > lim.int_bits:
                raise SecurityError(f"`**` would make a number over {lim.int_bits:,} bits")
        elif operator == "+" and (lsize := _size(left)) is not None and (rsize := _size(right)) is not None:
            if lsize + rsize > lim.size:
                raise SecurityError(f"`+` would make {lsize + rsize:,} items;"
                                    f" the limit is {lim.size:,}")
        return super().call_binop(context, operator, left, right)


def _join(value: Iterable[Any], d: str = "", attribute: str | None = None) -> MdMarkup:
    """The join filter, escaping plain items and separator for Markdown."""
    items = [getattr(v, attribute) if attribute else v for v in value]
    return escape(d).join(escape(v) for v in items)


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept by a build context (briefing/context.py), so a warm rebuild (watch) does
    not recompile them, and, given a `folder`, kept on disk for the next process too.

    Jinja keys each entry by template name and file and checks the source's checksum, so an
    edited template is compiled afresh. Give it only to environments made by `environment()`,
    which all compile with the same settings. The folder must be private to the user (see
    briefing/user_cache.py): what is in it is loaded as code.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self._code: dict[str, bytes] = {}
        self._disk = jinja2.FileSystemBytecodeCache(str(folder), "%s.jinja") if folder is not None else None

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)
        elif self._disk is not None:
            try:  # a damaged or foreign file is compiled afresh (and replaced), never an error
                self._disk.load_bytecode(bucket)
            except Exception:  # noqa: BLE001 - whatever unpickling a damaged header raises
                bucket.reset()
            if bucket.code is not None:
                self._code[bucket.key] = bucket.bytecode_to_string()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()
        if self._disk is not None:
            with contextlib.suppress(OSError):  # a full or read-only disk only costs the next process a compile
                self._disk.dump_bytecode(bucket)


def compiled_templates_folder() -> Path | None:
    """The user's private folder of compiled templates for this version of the template settings, or None."""
    # Compiled code depends on Jinja's version and on the settings in this file: a change to either
    # must never load the other's code, so both name the folder.
    settings = hashlib.sha256(Path(__file__).read_bytes() + jinja2.__version__.encode()).hexdigest()[:16]
    return private_folder("templates", settings)


def environment(workspace_templates: Path, package_templates: Path, filters: dict[str, Any],
                compiled: CompiledTemplates | None = None,
                sources: TemplateSources | None = None) -> _BoundedSandbox:
    """A sandboxed environment: the workspace's templates override the packaged ones, file by file.

    `compiled` keeps compiled templates between environments; `sources` are the template files as `load`
    read them (without them the two folders are read now).
    """
    if sources is None:
        sources = read_templates(workspace_templates, package_templates)
    env = _BoundedSandbox(
        bytecode_cache=compiled,
        loader=_Loader(sources), undefined=jinja2.StrictUndefined,
        finalize=finalize, autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        extensions=["jinja2.ext.loopcontrols"], auto_reload=False,
        # Pandoc Markdown writes attributes as {#id}: keep that free for authors; comments are {## ##}.
        comment_start_string="{##", comment_end_string="##}",
    )
    env.template_class = _Template
    env.globals.pop("lipsum", None)  # nothing a briefing needs, and a way to spin
    env.filters["join"] = _join
    env.filters["e"] = env.filters["escape"] = escape
    env.filters.update(filters)
    env.briefing_root = Path(workspace_templates).parent  # for naming files in errors
    return env


# -- bounds -------------------------------------------------------------------------------------
@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise TemplateTimeout in this thread once `seconds` have passed."""
    armed = [True]
    lock = threading.Lock()
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        def on_alarm(signum: int, frame: FrameType | None) -> None:
            with lock:
                if not armed[0]:
                    return
                armed[0] = False
            raise TemplateTimeout

        old_handler = signal.signal(signal.SIGALRM, on_alarm)
        old_timer = signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            with lock:
                armed[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)
            if old_timer[0]:  # someone else's alarm (a test runner's): give it back
                signal.setitimer(signal.ITIMER_REAL, max(old_timer[0] - seconds, 0.001), old_timer[1])
        return
    # Off the main thread signals cannot reach us: a watchdog thread raises in ours instead.
    tid = threading.get_ident()

    def fire() -> None:
        with lock:
            if armed[0]:
                armed[0] = False
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(TemplateTimeout))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            armed[0] = False
        timer.cancel()


def _address_space() -> int | None:
    """This process's current virtual size in bytes (Linux), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@contextlib.contextmanager
def _memory_cap(extra: int) -> Iterator[None]:
    """Cap the address space at its current size plus `extra` for the block: a runaway gets MemoryError.

    The cap is process-wide: a thread running meanwhile (build's renderer preload adds ~40 MB when
    it imports ReportLab) draws on the same headroom, which is why the headroom is generous.
    """
    now = _address_space()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = None if now is None else now + extra
    if cap is not None and hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    if cap is None or (soft != resource.RLIM_INFINITY and soft <= cap):
        yield
        return
    try:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):  # e.g. macOS, which does not enforce RLIMIT_AS
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# -- errors -------------------------------------------------------------------------------------
def _template_frames(exc: BaseException) -> list[tuple[str, int]]:
    """The template files and lines in a traceback, outermost first.

    Jinja rewrites the frames of template code into frames whose file and line are the template's;
    those carry `__jinja_exception__` in their globals, which no other frame does.
    """
    out = []
    tb = exc.__traceback__
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            out.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    return out


def _is_packaged(path: str) -> bool:
    """Whether a template file is one of the packaged ones (not the workspace's)."""
    return bool(path) and Path(path).resolve().is_relative_to(_PACKAGE_TEMPLATES)


def _display(env: jinja2.Environment, path: str) -> str:
    """A template file as the user should see it: workspace-relative, else relative to here, else absolute."""
    if not path:
        return ""
    p = Path(path)
    root = getattr(env, "briefing_root", None)
    for base in ([root] if root else []) + [Path.cwd()]:
        with contextlib.suppress(ValueError, OSError):
            return p.absolute().relative_to(Path(base).absolute()).as_posix()
    return str(p)


def _fault(exc: BaseException, env: jinja2.Environment, name: str, limits: Limits) -> BriefingError:
    """The BriefingError for a fault during a render, at the template line where it happened."""
    frames = _template_frames(exc)
    path, line = frames[-1] if frames else ("", 0)
    # Where a shared file (a macro, an include) failed, also say which file called it; the packaged
    # base calling the workspace's own section is no news, so only a workspace caller is named then.
    caller = next((f for f in reversed(frames) if f[0] != path), None)
    if caller and not _is_packaged(path) and _is_packaged(caller[0]):
        caller = None
    if isinstance(exc, jinja2.TemplateSyntaxError):
        path, line = exc.filename or exc.name or path, exc.lineno
        message = f"template syntax error: {exc.message}"
    elif isinstance(exc, TemplateRefused):
        message = f"template include refused: {exc.message}"
    elif isinstance(exc, jinja2.TemplateNotFound):
        message = f"template not found: {exc.name}"
    elif isinstance(exc, jinja2.UndefinedError):
        message = f"undefined in template: {exc.message}"
    elif isinstance(exc, SecurityError):
        message = f"template tried something unsafe: {exc}"
    elif isinstance(exc, TemplateTimeout):
        message = f"template stopped: still running after {limits.seconds:g} s (a runaway loop?)"
    elif isinstance(exc, MemoryError):
        message = (f"template stopped: it needed more than {limits.memory // (1024 * 1024)} MB of memory"
                   " (a runaway loop or a huge string?)")
    elif isinstance(exc, RecursionError):
        message = "template stopped: it calls itself too deeply (a macro or include that never ends?)"
    elif isinstance(exc, jinja2.TemplateError):
        message = f"template error: {exc.message or type(exc).__name__}"
    else:
        message = f"template error: {type(exc).__name__}: {exc}"
    if caller and not isinstance(exc, jinja2.TemplateSyntaxError):
        message += f" (called from {_display(env, caller[0])}:{caller[1]})"
    return BriefingError(message, _display(env, path) or name, line or 0)


def render(env: _BoundedSandbox, name: str, variables: dict[str, Any], limits: Limits | None = None) -> str:
    """Render a template within time and memory bounds; any fault is a BriefingError at file and line."""
    limits = limits or LIMITS
    env.limits = limits
    try:
        with _deadline(limits.seconds), _memory_cap(limits.memory):
            template = env.get_template(name)
            return template.render(variables)
    except BriefingError:
        raise
    except (jinja2.TemplateError, SecurityError, TemplateTimeout, MemoryError, RecursionError, TypeError,
            ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError, OverflowError, OSError) as exc:
        raise _fault(exc, env, name, limits) from None
