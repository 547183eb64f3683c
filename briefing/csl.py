"""Sources as CSL JSON, the bibliography pandoc's citeproc formats."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .model import Source
from .sourcing import retraction_text

DATE_VARIABLES = ("accessed", "original-date", "event-date", "submitted", "available-date")


def csl_date(value: str) -> dict[str, Any]:
    """A date as spec.Checker leaves it (ISO, an ISO range `a/b`, or `literal:text`) as a CSL date."""
    if value.startswith("literal:"):
        return {"literal": value.removeprefix("literal:")}
    try:
        return {"date-parts": [[int(p) for p in iso.split("-")] for iso in value.split("/")]}
    except ValueError:  # not a date Checker made: print it as written rather than lose it
        return {"literal": value}


def csl_item(s: Source) -> dict[str, Any]:
    """One source as a CSL JSON item (our own fields left out)."""
    item: dict[str, Any] = {"id": s.id, "type": s.csl_type, "title": s.title}
    if s.container_title:
        item["container-title"] = s.container_title
    if s.publisher:
        item["publisher"] = s.publisher
    if s.authors:
        item["author"] = [{k: v for k, v in (("family", a.family), ("given", a.given), ("literal", a.literal)) if v}
                          for a in s.authors]
    if s.issued:
        item["issued"] = csl_date(s.issued)
    if s.url:
        item["URL"] = s.url
    if s.retracted:
        # CSL's `status` variable: the packaged style prints it after the entry, so the list says so.
        item["status"] = retraction_text(s)
    for key, value in s.extra:
        if key in DATE_VARIABLES and isinstance(value, str):
            value = csl_date(value)
        item.setdefault(key, value)
    return item


def bibliography(sources: Iterable[Source]) -> list[dict[str, Any]]:
    """The CSL JSON bibliography for a list of sources."""
    return [csl_item(s) for s in sources]
