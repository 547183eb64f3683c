"""The build context: the caches one build keeps, or a warm process (watch) keeps across its builds.

No cache that grows with the input lives in a module. A caller that wants builds to share work
(watch rebuilding on every save) makes one context and passes it to each build; any other build
gets a fresh one and shares nothing. What stays at module level only memoises a constant of the
installation (where pandoc is, matplotlib's one-time set-up, a regex per word list) and says so
where it is defined.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from .parse_cache import ParseCache
from .templating import CompiledTemplates, compiled_templates_folder
from .yamlsafe import ParsedFiles


@dataclass(frozen=True)
class BuildContext:
    """The caches a build reads and fills: compiled templates, the YAML files' trees, pandoc's parses and the
    formatted references, all keyed by content."""

    templates: CompiledTemplates = field(default_factory=CompiledTemplates)
    # None: not kept (a one-shot build). Each grows with the input, so only a process that builds again keeps it.
    parses: ParseCache | None = field(default_factory=ParseCache)
    yaml: ParsedFiles | None = field(default_factory=ParsedFiles)
    references: OrderedDict[str, Any] | None = field(default_factory=OrderedDict)  # bounded by references.Cache

    @property
    def warm(self) -> bool:
        """Whether this context keeps work in memory for further builds (a warm process, such as watch)."""
        return self.parses is not None


def user_context(*, warm: bool) -> BuildContext:
    """A fresh context whose compiled templates are also kept in the user's private cache folder, so that the
    next process (the next `briefing build`) does not compile them again. `warm` (watch: it builds again) keeps
    the in-memory caches too; a one-shot build keeps none of them, as they would only add to its peak memory."""
    templates = CompiledTemplates(compiled_templates_folder())
    return BuildContext(templates) if warm else BuildContext(templates, parses=None, yaml=None, references=None)
