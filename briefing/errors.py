"""The one error type, and the problems `check` reports: each carries a file and a line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Pos

_CONTROL = re.compile(r"[\x00-\x1f\x7f\x80-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """Text for a one-line message: control characters and line breaks escaped, so a file name cannot forge lines."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


@dataclass(frozen=True, order=True)
class Problem:
    """A message about the workspace, printed as `path:line:column: severity: message`."""

    path: str
    line: int
    column: int
    severity: str  # error | warning
    message: str

    def __str__(self) -> str:
        return printable(f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}")

    @classmethod
    def at(cls, pos: Pos, severity: str, message: str) -> Problem:
        """Build a problem at a position."""
        return cls(pos.path, pos.line, pos.column, severity, message)


class BriefingError(Exception):
    """Any failure the user must see as one line naming a file and line; never a traceback."""

    def __init__(self, message: str, path: str = "", line: int = 0, column: int = 0,
                 problems: tuple[Problem, ...] = ()):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.problems = problems

    def __reduce__(self) -> tuple[type[BriefingError], tuple[str, str, int, int, tuple[Problem, ...]]]:
        # Pickled whole (the render worker sends its errors back to the build), not as the message alone.
        return type(self), (self.message, self.path, self.line, self.column, self.problems)

    @classmethod
    def at(cls, pos: Pos, message: str) -> BriefingError:
        """Build an error at a position."""
        return cls(message, pos.path, pos.line, pos.column)

    def __str__(self) -> str:
        if not self.path:
            return printable(f"error: {self.message}")
        where = self.path
        if self.line:
            where += f":{self.line}:{self.column or 1}"
        return printable(f"{where}: error: {self.message}")


def errors_in(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that are errors (warnings do not fail a check)."""
    return [p for p in problems if p.severity == "error"]
