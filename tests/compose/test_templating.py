"""Template safety: every class of template fault is an error naming the template file and line."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from briefing import templating
from briefing.compose import PACKAGE_TEMPLATES, compose
from briefing.context import BuildContext
from briefing.errors import BriefingError
from briefing.escaping import escape
from briefing.inputs import load

REPO = Path(__file__).resolve().parents[2]
OVERRIDE = "templates/sections/bottom_line.md.j2"


def fault(make_workspace, body: str, extra: dict | None = None, audience: str = "executive",
          context: BuildContext | None = None) -> BriefingError:
    """Compose a workspace whose bottom-line section is `body`; the error it raises."""
    root = make_workspace(files={OVERRIDE: body, **(extra or {})})
    with pytest.raises(BriefingError) as info:
        compose(load(root, audience), context=context)
    return info.value


def at(err: BriefingError, path: str, line: int, text: str) -> None:
    assert (err.path, err.line) == (path, line), str(err)
    assert text in err.message, str(err)


@pytest.fixture
def short_limits(monkeypatch):
    """Bounds tight enough for a test to hit them quickly."""
    limits = templating.Limits(seconds=0.5, memory=256 * 1024 * 1024)
    monkeypatch.setattr(templating, "LIMITS", limits)
    return limits


# -- the environment ------------------------------------------------------------------------------
def test_environment_is_the_immutable_sandbox_with_strict_undefined(tmp_path):
    env = templating.environment(tmp_path / "templates", PACKAGE_TEMPLATES, {})
    assert isinstance(env, ImmutableSandboxedEnvironment)
    assert env.undefined is jinja2.StrictUndefined
    assert "lipsum" not in env.globals


def test_printed_text_is_escaped_as_literal_markdown(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.md.j2").write_text("{{ x }}|{{ x | join(', ') }}", encoding="utf-8")
    env = templating.environment(tmp_path / "templates", PACKAGE_TEMPLATES, {})
    out = templating.render(env, "t.md.j2", {"x": ["*a*", "[@b]"]})
    assert out.startswith("\\[")  # the list printed whole is escaped too
    assert out.endswith("|\\*a\\*\\, \\[\\@b\\]")  # items and separator alike
    assert str(escape("<b>&")) == "\\<b\\>\\&"


# -- one test per class of fault --------------------------------------------------------------------
def test_syntax_error(make_workspace):
    err = fault(make_workspace, "Fine.\n\n{% for x in %}\n{% endfor %}\n")
    at(err, OVERRIDE, 3, "template syntax error")


def test_syntax_error_in_an_included_workspace_file(make_workspace):
    err = fault(make_workspace, "One.\n{% include 'sections/mine.md.j2' %}\n",
                {"templates/sections/mine.md.j2": "ok\n{{ 'unclosed }}\n"})
    at(err, "templates/sections/mine.md.j2", 2, "template syntax error")


def test_undefined_name(make_workspace):
    err = fault(make_workspace, "One.\nTwo.\n\n{{ audience.sectoins }}\n")
    at(err, OVERRIDE, 4, "undefined in template")
    assert "sectoins" in err.message


def test_undefined_macro_from_an_import(make_workspace):
    err = fault(make_workspace, '{% import "macros.md.j2" as m with context %}\n{{ m.clam(1) }}\n')
    at(err, OVERRIDE, 2, "undefined in template")


def test_error_inside_a_packaged_macro_names_the_macro_and_the_caller(make_workspace):
    err = fault(make_workspace, '{% import "macros.md.j2" as m with context %}\n\n{{ m.claim(42) }}\n')
    assert Path(err.path).resolve() == (PACKAGE_TEMPLATES / "macros.md.j2").resolve(), str(err)
    macros = (PACKAGE_TEMPLATES / "macros.md.j2").read_text().splitlines()
    assert "item | label" in macros[err.line - 1]
    assert f"called from {OVERRIDE}:3" in err.message


@pytest.mark.parametrize("expr", ['"".__class__.__mro__', "().__class__.__base__.__subclasses__()",
                                  "cycler.__init__.__globals__", "q._ws", "audience.tags.update({})"])
def test_unsafe_attribute_or_mutation(make_workspace, expr):
    err = fault(make_workspace, "One.\n{{ " + expr + " }}\n")
    at(err, OVERRIDE, 2, "template tried something unsafe")


def test_runaway_loop_is_stopped_by_the_time_bound(make_workspace, monkeypatch):
    # The packaged templates compiled first, under the usual bound: the short one then times the loop
    # alone, however busy the machine is.
    context = BuildContext()
    compose(load(make_workspace()), context=context)
    monkeypatch.setattr(templating, "LIMITS", templating.Limits(seconds=0.5, memory=256 * 1024 * 1024))
    # 10^10 iterations: only the time bound ends it, as the message says (no wall-clock assert here).
    err = fault(make_workspace, "One.\n{% for i in range(100000) %}{% for j in range(100000) %}"
                                "{% endfor %}{% endfor %}\n", context=context)
    # The bound grows by SECONDS_PER_ITEM for each claim and source (one claim and two sources here).
    at(err, OVERRIDE, 2, f"still running after {0.5 + 3 * templating.SECONDS_PER_ITEM:g} s")


def test_the_time_bound_grows_with_the_workspace():
    """A 6,000-claim render is slow, not runaway: it gets more time than a small one, and at least the base."""
    assert templating.limits_for(0) == templating.LIMITS
    assert templating.limits_for(7500).seconds == templating.LIMITS.seconds + 7500 * templating.SECONDS_PER_ITEM
    assert templating.limits_for(7500).memory == templating.LIMITS.memory


def test_the_time_bound_works_off_the_main_thread(make_workspace, short_limits):
    """A watcher (e.g. `briefing watch`) may compose on a worker thread, where no signal arrives."""
    errors = []

    def work():
        try:
            fault(make_workspace, "{% for i in range(100000) %}{% for j in range(100000) %}"
                                  "{% endfor %}{% endfor %}\n")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=work)
    t.start()
    t.join(10)
    assert not t.is_alive() and not errors


def test_huge_string_is_refused_before_it_is_built(make_workspace):
    err = fault(make_workspace, "One.\n\n{{ 'x' * 10**9 }}\n")
    at(err, OVERRIDE, 3, "template tried something unsafe: `*` would make 1,000,000,000 items")


@pytest.mark.parametrize("expr", ["[0] * 10**9", "10 ** (10 ** 10)", "('x' * 4000000) + ('y' * 4000000)"])
def test_huge_lists_and_numbers_are_refused(make_workspace, expr):
    err = fault(make_workspace, "{{ " + expr + " }}\n")
    at(err, OVERRIDE, 1, "would make")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="the address-space cap needs Linux")
def test_memory_bound_stops_a_template_that_grows_a_string(make_workspace, monkeypatch):
    # No single operator is huge, so only the memory bound can stop this one; the time bound is set
    # generous so that a loaded machine cannot reach it first.
    monkeypatch.setattr(templating, "LIMITS", templating.Limits(seconds=60, memory=256 * 1024 * 1024))
    body = ("One.\n{% set s = namespace(v='0123456789') %}\n"
            "{% for i in range(60) %}{% set s.v = s.v ~ s.v %}{% endfor %}\n")
    err = fault(make_workspace, body)
    at(err, OVERRIDE, 3, "needed more than 256 MB of memory")
    bigger = "{{ 'x' | center(2000000000) }}\n"
    at(fault(make_workspace, bigger), OVERRIDE, 1, "needed more than 256 MB")


def test_infinite_recursion(make_workspace):
    err = fault(make_workspace, "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}\n{{ f(1) }}\n")
    assert err.path == OVERRIDE and "calls itself too deeply" in err.message


@pytest.mark.parametrize("name", ["../../../../../../etc/passwd", "/etc/passwd", "sections/../../../secret.md.j2"])
def test_include_outside_the_templates_is_refused(make_workspace, name):
    err = fault(make_workspace, "One.\n\n{% include '" + name + "' %}\n")
    at(err, OVERRIDE, 3, "refused")


def test_include_of_a_symlink_leading_out_of_the_workspace_is_refused(make_workspace, tmp_path):
    secret = tmp_path / "secret.md.j2"
    secret.write_text("TOP SECRET\n", encoding="utf-8")
    root = make_workspace(files={OVERRIDE: "One.\n{% include 'sections/evil.md.j2' %}\n"})
    (root / "templates" / "sections" / "evil.md.j2").symlink_to(secret)
    with pytest.raises(BriefingError) as info:
        compose(load(root, "executive"))
    at(info.value, OVERRIDE, 2, "is a link to a file outside the workspace; refused")


def test_an_overriding_section_that_links_out_is_refused_not_silently_replaced(make_workspace, tmp_path):
    secret = tmp_path / "secret.md.j2"
    secret.write_text("TOP SECRET\n", encoding="utf-8")
    root = make_workspace()
    (root / "templates" / "sections").mkdir(parents=True)
    (root / "templates" / "sections" / "bottom_line.md.j2").symlink_to(secret)
    with pytest.raises(BriefingError) as info:
        compose(load(root, "executive"))
    assert "'sections/bottom_line.md.j2' is a link to a file outside the workspace" in info.value.message
    assert Path(info.value.path).resolve() == (PACKAGE_TEMPLATES / "base.md.j2").resolve() and info.value.line > 0


def test_a_link_inside_the_workspace_is_followed(make_workspace):
    root = make_workspace(files={"shared/note.md.j2": "Shared note.\n", OVERRIDE: "{% include 'note.md.j2' %}\n"})
    (root / "templates" / "note.md.j2").symlink_to(root / "shared" / "note.md.j2")
    assert "Shared note." in compose(load(root, "executive")).markdown


def test_logo_outside_the_workspace_is_refused(make_workspace, tmp_path):
    pytest.importorskip("briefing.render_pdf")
    from briefing.build import build

    outside = tmp_path / "logo.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n")
    audience = ("description: With a logo\nsections: [bottom_line, references]\n"
                f"paper: A4\nlogo: ../{outside.name}\n")
    root = make_workspace(files={"templates/audiences/branded.yaml": audience})
    with pytest.raises(BriefingError) as info:
        build(root, audience="branded", formats=("pdf",), out_dir=tmp_path / "out")
    at(info.value, "templates/audiences/branded.yaml", 4, "logo path '../logo.png' leads outside the workspace")
    (root / "templates" / "audiences" / "branded.yaml").write_text(
        audience.replace(f"../{outside.name}", str(outside)), encoding="utf-8")
    with pytest.raises(BriefingError, match="leads outside the workspace"):
        build(root, audience="branded", formats=("pdf",), out_dir=tmp_path / "out")
    (root / "inside.png").symlink_to(outside)
    (root / "templates" / "audiences" / "branded.yaml").write_text(
        audience.replace(f"../{outside.name}", "inside.png"), encoding="utf-8")
    with pytest.raises(BriefingError, match="'inside.png' leads outside the workspace"):
        build(root, audience="branded", formats=("pdf",), out_dir=tmp_path / "out")


def test_faults_reach_the_user_as_one_line_without_a_traceback(make_workspace):
    root = make_workspace(files={OVERRIDE: "One.\n{{ nope }}\n"})
    proc = subprocess.run([sys.executable, "-m", "briefing", "build", "--workspace", str(root), "-f", "docx"],
                          capture_output=True, text=True, cwd=root,
                          env={**os.environ, "BRIEFING_DEBUG": "", "PYTHONPATH": str(REPO)})
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"{OVERRIDE}:2:1: error: undefined in template: 'nope' is undefined"


# -- the bounds cost nothing on the normal path: timed in benchmarks/micro.py (template-bounds), not here ---
def test_bounds_are_lifted_after_a_render(tmp_path):
    resource = pytest.importorskip("resource")
    import signal

    before = resource.getrlimit(resource.RLIMIT_AS), signal.getsignal(signal.SIGALRM)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.md.j2").write_text("{{ nope }}")
    env = templating.environment(tmp_path / "templates", PACKAGE_TEMPLATES, {})
    with pytest.raises(BriefingError):
        templating.render(env, "t.md.j2", {})
    assert (resource.getrlimit(resource.RLIMIT_AS), signal.getsignal(signal.SIGALRM)) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
