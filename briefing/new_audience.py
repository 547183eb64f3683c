"""A new audience in the workspace, made from another: its YAML (every option commented) and a template extending it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from .audiences import Audience, load_audience
from .errors import BriefingError
from .packaged import PACKAGE_TEMPLATES

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def new_audience(root: Path, name: str, base_name: str) -> tuple[Path, Path]:
    """Create a new audience in the workspace from an existing one; never overwrite a file."""
    if not (root / "briefing.yaml").is_file():
        raise BriefingError(f"no briefing.yaml in {root}: run this inside a workspace, or pass --workspace DIR")
    if not NAME_RE.match(name):
        raise BriefingError(f"'{name}' is not a usable audience name: use lower-case letters, digits, - and _"
                            " (at most 40), starting with a letter or digit")
    base = load_audience(root, base_name)
    folder = root / "templates" / "audiences"
    yaml_path, template_path = folder / f"{name}.yaml", folder / f"{name}.md.j2"
    for path in (yaml_path, template_path):
        if path.exists() or path.is_symlink():
            raise BriefingError(f"{rel_path(path, root)} already exists; not overwritten (choose another name,"
                                " or edit that file)", rel_path(path, root))
    template_name = f"audiences/{name}.md.j2"
    template_text = _template_text(root, name, base, template_name)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for path, text in ((template_path, template_text), (yaml_path, _yaml_text(name, base, template_name))):
            with open(path, "x", encoding="utf-8", newline="\n") as fh:  # "x": never overwrite
                written.append(path)
                fh.write(text)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise BriefingError(f"cannot create the audience: {exc.strerror or exc}", str(folder)) from None
    return yaml_path, template_path


def rel_path(path: Path, root: Path) -> str:
    """`path` relative to the workspace, as POSIX text; as given when it lies outside."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _scalar(value: object) -> str:
    """A YAML scalar that reads back as exactly this value (quoted only when it must be)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    text = str(value)
    try:
        plain_ok = yaml.safe_load(text) == text and "#" not in text and ": " not in text and "\n" not in text
    except yaml.YAMLError:
        plain_ok = False
    return text if plain_ok and text.strip() == text and text else json.dumps(text, ensure_ascii=False)


def _flow(items: Iterable[object]) -> str:
    return "[" + ", ".join(_scalar(i) for i in items) + "]"


def _yaml_text(name: str, base: Audience, template_name: str) -> str:
    """The new audience's YAML: the base's options, each with a comment saying what it does."""
    lines = [
        "# yaml-language-server: $schema=../../schema/audience.schema.json",
        f"# The '{name}' audience, made from '{base.name}'. Every option is described in docs/customizing.md.",
        "# One line for `briefing audiences`: who it is for and what they get.",
        f"description: {_scalar(f'Made from {base.name}: {base.description}')}",
        "# The template that lays the briefing out; it extends the shared base (edit it to override blocks).",
        f"template: {_scalar(template_name)}",
        "# The sections, in order: each is templates/sections/NAME.md.j2, yours or the packaged one.",
        f"sections: {_flow(base.sections)}",
        "# Which charts from charts.yaml this audience draws: all, or a list of ids ([] for none);"
        " each section places",
        "# the kinds it shows, and a chart no section places goes in 'Further figures' before the references.",
        f"charts: {base.charts if base.charts == 'all' else _flow(base.charts)}",
        "# Only charts of these kinds (bar, timeline, confidence); leave it out for every kind.",
        f"chart_kinds: {_flow(base.chart_kinds)}" if base.chart_kinds else "# chart_kinds: [bar]",
        "# Append the claims ledger (every claim, sources, figures, disputes, caveats) after the sections.",
        f"ledger: {_scalar(base.ledger)}",
        "# At most this many claims per section (0: all), those the rank_by judgements rest on first.",
        f"claims_per_section: {base.claims_per_section}",
        f"rank_by: {_flow(base.rank_by)}",
        "# The audience named in 'N further claims in the ... edition'.",
        f"full_edition: {_scalar(base.full_edition)}",
    ]
    if base.tags:
        lines.append("# Named groups of evidence tags the templates read, as audience.tags.NAME.")
        lines.append("tags:")
        lines += [f"  {_scalar(k)}: {_flow(v)}" for k, v in base.tags.items()]
    lines += [
        "# The handling marking printed on every page (default: briefing.yaml's).",
        f"marking: {_scalar(base.marking)}" if base.marking else "# marking: For internal use",
        "# Paper (A4 or Letter) and the brand colour of headings, rules and the title block (default: the",
        "# theme's, templates/theme.yaml; an audience's `theme:` option changes any of its colours, fonts, sizes).",
        f"paper: {base.paper}",
        f"brand_color: {_scalar(base.brand_color)}" if "brand_color" in base.lines else '# brand_color: "#1F3A5F"',
        "# A PNG or JPEG inside the workspace, printed in the title block.",
        f"logo: {_scalar(base.logo)}" if base.logo else "# logo: images/logo.png",
        "# Fonts: a TrueType file inside the workspace for the PDF's body text, its size in points,",
        "# and the font Word uses for the DOCX.",
        f"body_font: {_scalar(base.body_font)}" if base.body_font else "# body_font: fonts/SourceSerif4-Regular.ttf",
        f"font_size: {_scalar(float(base.font_size))}" if "font_size" in base.lines else "# font_size: 10",
        f"docx_font: {_scalar(base.docx_font)}" if base.docx_font else "# docx_font: Calibri",
        "# `briefing build` warns when the PDF runs to more pages than this.",
        f"page_budget: {base.page_budget}",
    ]
    return "\n".join(lines) + "\n"


def _template_text(root: Path, name: str, base: Audience, template_name: str) -> str:
    """A template extending the base audience's, with example block overrides that change nothing yet."""
    if base.template == template_name:
        # Re-making an audience under its own name: extending itself would loop, so start from a copy.
        source = next(p for p in (root / "templates" / base.template, PACKAGE_TEMPLATES / base.template)
                      if p.is_file())
        return source.read_text("utf-8")
    return f"""{{% extends "{base.template}" %}}
{{## The '{name}' audience. It inherits everything from {base.template} (made from '{base.name}') and
    overrides only the blocks below; delete a block to inherit it unchanged. The blocks:
      metadata   the title block pandoc reads
      preamble   anything before the first section
      sections   the loop over the sections listed in {name}.yaml
      section    one section; `section` holds its name
      appendix   after the sections (the claims ledger when `ledger: true`)
    {{{{ super() }}}} prints what the parent template would have printed. Text printed with
    {{{{ }}}} is escaped; write Markdown as plain template text. See docs/customizing.md. ##}}

{{## Example: add a note before the first section, e.g.
    ::: {{.box title="Why you are receiving this"}}
    One or two sentences.
    :::
##}}
{{% block preamble %}}
{{{{ super() }}}}
{{% endblock %}}

{{## Example: replace one section and keep the others as they are. ##}}
{{% block section %}}
{{% if section == "bottom_line" %}}
{{{{ super() }}}}
{{% else %}}
{{{{ super() }}}}
{{% endif %}}
{{% endblock %}}
"""
