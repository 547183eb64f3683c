"""Scaffolding: new workspaces and the JSON Schemas editors validate against."""

from __future__ import annotations

import json
from pathlib import Path

from . import spec
from .atomic import write_text
from .errors import BriefingError

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"

_BRIEFING = """\
# yaml-language-server: $schema=schema/briefing.schema.json
title: {title}
subtitle: What is documented, what is alleged, and what it means
date: {date}
edition: "1"
organisation: Your organisation
marking: For internal use
audience: executive
"""

_SOURCES = """\
# yaml-language-server: $schema=schema/sources.schema.json
# CSL YAML: paste entries exported from Zotero here, then add kind (and interested,
# derived_from where they apply).
references:
  - id: example-report
    type: report
    title: An example report
    publisher: Example Institute
    author:
      - literal: Example Institute
    issued: {date}
    URL: https://example.org/report
    kind: analysis
  - id: example-news
    type: article-newspaper
    title: An example news story
    container-title: Example Daily
    issued: {date}
    URL: https://example.org/news
    kind: news
"""

_EVIDENCE = """\
# yaml-language-server: $schema=../schema/evidence.schema.json
id: example-claim
title: An example claim
claim: >
  Replace this with the claim, in your own words. Cite the sources it rests on below.
date: {date}
confidence: high
reason: Two independent origins, neither a party to the matter.
sources:
  - id: example-report
    locator: p. 3
  - example-news
actors:
  - {{name: Example Institute, role: researcher}}
figures:
  - metric: cases
    actor: Example Institute
    value: 1200
    approx: true
    source: example-report
event: Example report published
"""

_ANALYSIS = """\
# yaml-language-server: $schema=schema/analysis.schema.json
bottom_line:
  - id: bl-example
    text: State the single most important judgement here, and name the evidence it rests on.
    rests_on: [example-claim]
implications:
  - id: imp-example
    title: An implication for leaders
    text: Say what a leader should do differently because of the evidence.
    rests_on: [example-claim]
"""

_CHARTS = """\
# yaml-language-server: $schema=schema/charts.schema.json
charts:
  - id: figures
    kind: bar
    title: Reported figures by actor
    log_scale: true
  - id: timeline
    kind: timeline
    title: Timeline of events
  - id: confidence-profile
    kind: confidence
    title: Claims by confidence level
# What each figure's metric measures: the label and unit printed with every value.
metrics:
  - id: cases
    label: Reported cases
    unit: cases
"""

_TEMPLATES_README = """\
# templates/

Files here override the packaged templates of the same name, file by file; a `theme.yaml`
here changes only the colours, fonts and sizes it names (all formats read it).
`briefing audiences` lists the audiences; `docs/customizing.md` explains the template API.
"""


def schemas() -> dict[str, str]:
    """The JSON Schema text of every workspace file kind, by name."""
    return {f"{name}.schema.json": json.dumps(spec.json_schema(field, title), indent=2, sort_keys=True) + "\n"
            for name, (field, title) in spec.SCHEMAS.items()}


def write_schemas(folder: Path) -> list[Path]:
    """Write the JSON Schemas into a folder."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in schemas().items():
        write_text(folder / name, text)
        out.append(folder / name)
    return out


def init_workspace(folder: Path, title: str = "New briefing", date: str = "2026-01-01") -> Path:
    """Create a new, valid workspace in an empty or missing folder."""
    if folder.exists() and any(folder.iterdir()):
        raise BriefingError("folder is not empty; choose a new folder for the workspace", str(folder))
    try:
        (folder / "evidence").mkdir(parents=True, exist_ok=True)
        (folder / "templates").mkdir(exist_ok=True)
    except OSError as exc:
        raise BriefingError(f"cannot create workspace: {exc.strerror}", str(folder)) from None
    safe_title = json.dumps(title, ensure_ascii=False)  # a JSON string is a valid YAML scalar
    files = {
        "briefing.yaml": _BRIEFING.format(title=safe_title, date=date),
        "sources.yaml": _SOURCES.format(date=date),
        "evidence/example-claim.yaml": _EVIDENCE.format(date=date),
        "analysis.yaml": _ANALYSIS,
        "charts.yaml": _CHARTS,
        "templates/README.md": _TEMPLATES_README,
        ".gitignore": "out/\n",
    }
    for rel, text in files.items():
        write_text(folder / rel, text)
    write_schemas(folder / "schema")
    return folder
