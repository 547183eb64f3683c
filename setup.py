"""Packaging: every briefing package found on disk, plus the top-level templates/ installed as briefing/templates."""

from setuptools import find_namespace_packages, setup

# templates/ is the default workspace's own folder and the packaged defaults at once (docs/customizing.md);
# the wheel carries it inside the package, where briefing.paths.package_templates() looks first.
TEMPLATES = ["templates", "templates.audiences", "templates.sections"]

setup(
    packages=find_namespace_packages(include=["briefing", "briefing.*"]) + [f"briefing.{p}" for p in TEMPLATES],
    package_dir={f"briefing.{p}": p.replace(".", "/") for p in TEMPLATES},
)
