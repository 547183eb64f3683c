"""Evidence text is data: escape it for pandoc Markdown so every character comes out literally."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

from markupsafe import Markup

_PUNCT = frozenset(string.punctuation)
_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class MdMarkup(Markup):
    """Markup whose operations (+, join, %) escape plain operands for Markdown, not for HTML."""

    __slots__ = ()

    @classmethod
    def escape(cls, s: object) -> MdMarkup:
        return escape(s)


def escape(value: object) -> MdMarkup:
    """Backslash-escape every ASCII punctuation character and fold whitespace; Markup passes through."""
    if hasattr(value, "__html__"):
        return MdMarkup(value.__html__())
    if value is None:
        return MdMarkup("")
    text = _CONTROL.sub("", _WS.sub(" ", str(value)))
    # Pandoc treats a backslash before any ASCII punctuation as that literal character, so this
    # defeats emphasis, links, citations, raw HTML/LaTeX/OpenXML, math and smart punctuation at once.
    return MdMarkup("".join("\\" + ch if ch in _PUNCT else ch for ch in text))


def markup_join(seq: Iterable[object]) -> str:
    """Jinja's `~` concatenation under autoescape: plain when all parts are plain, else Markdown-escaped."""
    parts = [v if hasattr(v, "__html__") else str(v) for v in seq]
    if any(hasattr(v, "__html__") for v in parts):
        return MdMarkup("").join(parts)
    return "".join(str(v) for v in parts)  # all str here


def finalize(value: object) -> MdMarkup:
    """Jinja finalize hook: whatever a template prints is escaped unless it is already Markup."""
    return escape(value)


def attr(value: object) -> str:
    """A value safe inside a double-quoted pandoc attribute."""
    text = _CONTROL.sub("", _WS.sub(" ", str(value)))
    return text.replace("\\", "\\\\").replace('"', '\\"')
