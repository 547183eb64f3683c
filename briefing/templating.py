"""The template engine: Jinja2 sandboxed, strict, escaping by default, errors with file and line."""

from __future__ import annotations

from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from .errors import BriefingError
from .markdown import MdMarkup, escape, finalize, markup_join


class _Template(jinja2.Template):
    """A template whose autoescaping escapes for pandoc Markdown instead of HTML."""

    @classmethod
    def from_code(cls, environment, code, globals, uptodate=None):
        namespace = {"environment": environment, "__file__": code.co_filename}
        exec(code, namespace)
        # The compiled template calls these names for autoescaping; swap HTML escaping for ours.
        namespace["escape"] = escape
        namespace["markup_join"] = markup_join
        rv = cls._from_namespace(environment, namespace, globals)
        rv._uptodate = uptodate
        return rv


def _join(value, d: str = "", attribute=None) -> MdMarkup:
    """The join filter, escaping plain items and separator for Markdown."""
    items = [getattr(v, attribute) if attribute else v for v in value]
    return escape(d).join(escape(v) for v in items)


def environment(workspace_templates: Path, package_templates: Path, filters: dict) -> jinja2.Environment:
    """A sandboxed environment: the workspace's templates override the packaged ones, file by file."""
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(str(workspace_templates), followlinks=False),
        jinja2.FileSystemLoader(str(package_templates)),
    ])
    env = ImmutableSandboxedEnvironment(
        loader=loader, undefined=jinja2.StrictUndefined, finalize=finalize, autoescape=True,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        extensions=["jinja2.ext.loopcontrols"],
        # Pandoc Markdown writes attributes as {#id}: keep that free for authors; comments are {## ##}.
        comment_start_string="{##", comment_end_string="##}",
    )
    env.template_class = _Template
    env.filters["join"] = _join
    env.filters["e"] = env.filters["escape"] = escape
    env.filters.update(filters)
    return env


def _template_frame(exc: BaseException, env: jinja2.Environment) -> tuple[str, int]:
    """The innermost template file and line in a traceback (Jinja maps its frames to template lines)."""
    where = ("", 0)
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2") or "/templates/" in name:
            where = (name, tb.tb_lineno)
        tb = tb.tb_next
    return where


def _relative(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def render(env: jinja2.Environment, name: str, variables: dict) -> str:
    """Render a template; any template fault becomes a BriefingError naming the template file and line."""
    try:
        return env.get_template(name).render(variables)
    except jinja2.TemplateSyntaxError as exc:
        raise BriefingError(f"template syntax error: {exc.message}", _relative(exc.filename or exc.name or name),
                            exc.lineno) from None
    except jinja2.TemplateNotFound as exc:
        path, line = _template_frame(exc, env)
        raise BriefingError(f"template not found: {exc.name}", _relative(path or name), line) from None
    except jinja2.UndefinedError as exc:
        path, line = _template_frame(exc, env)
        raise BriefingError(f"undefined in template: {exc.message}", _relative(path or name), line) from None
    except SecurityError as exc:
        path, line = _template_frame(exc, env)
        raise BriefingError(f"template tried something unsafe: {exc}", _relative(path or name), line) from None
    except BriefingError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError,
            OverflowError, RecursionError, MemoryError) as exc:
        path, line = _template_frame(exc, env)
        raise BriefingError(f"template error: {type(exc).__name__}: {exc}", _relative(path or name),
                            line) from None


