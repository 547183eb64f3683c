"""Where the packaged files live, in a source checkout (or editable install) and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def package_templates() -> Path:
    """The shipped templates: briefing/templates in a wheel, else the checkout's top-level templates/."""
    # A wheel maps the top-level templates/ into the package (setup.py); a checkout has it beside
    # the package, where the default workspace (the repository itself) shows it to its user.
    installed = _HERE / "templates"
    if (installed / "base.md.j2").is_file():
        return installed
    return _HERE.parent / "templates"


PACKAGE_TEMPLATES = package_templates()
