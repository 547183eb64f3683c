"""Sources as CSL JSON, the bibliography pandoc's citeproc formats."""

from __future__ import annotations

import re

from .model import Source


def _date(value: str) -> dict:
    """A CSL date: date-parts for an ISO date (2026, 2026-02, 2026-02-23), else the text as a literal."""
    if re.fullmatch(r"\d{4,}(-\d{1,2}){0,2}", value):
        return {"date-parts": [[int(p) for p in value.split("-")]]}
    return {"literal": value}  # `issued: {literal: Spring 2026}`, as check accepts it


def csl_item(s: Source) -> dict:
    """One source as a CSL JSON item (our own fields left out)."""
    item: dict = {"id": s.id, "type": s.csl_type, "title": s.title}
    if s.container_title:
        item["container-title"] = s.container_title
    if s.publisher:
        item["publisher"] = s.publisher
    if s.authors:
        item["author"] = [{k: v for k, v in (("family", a.family), ("given", a.given), ("literal", a.literal)) if v}
                          for a in s.authors]
    if s.issued:
        item["issued"] = _date(s.issued)
    if s.url:
        item["URL"] = s.url
    for key, value in s.extra:
        if key in ("accessed", "original-date", "event-date", "submitted", "available-date") and isinstance(value, str):
            value = _date(value)
        item.setdefault(key, value)
    return item


def bibliography(sources) -> list[dict]:
    """The CSL JSON bibliography for a list of sources."""
    return [csl_item(s) for s in sources]
