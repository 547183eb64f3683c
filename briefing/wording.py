"""Estimative language: words more certain than the confidence behind them.

The scale says which words each level may use (see docs/evidence-format.md). A claim is held to
its own (effective) level; a judgement to the weakest claim it rests on. Words inside quotation
marks are the source's, not ours, and a categorical word right after a negation hedges rather
than asserts ("does not prove"), so neither is flagged.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import Problem
from .model import Level, Pos, Workspace
from .sourcing import effective_level

# Quotation marks that enclose someone else's words. Straight single quotes count only when they
# stand apart from letters, so apostrophes (Anthropic's) never open a quotation.
QUOTED = re.compile(r'"[^"]*"|“[^”]*”|„[^“”]*[“”]|«[^»]*»|‹[^›]*›|‘[^’]*’(?!\w)|(?<!\w)\'[^\']*\'(?!\w)')
NEGATIONS = frozenset("not no never nor neither nothing none nobody hardly without cannot".split())
NEGATION_WINDOW = 3  # words before a categorical word that can negate it: "has not been confirmed"
WORD = re.compile(r"[\w’']+")


@dataclass(frozen=True)
class Hit:
    """One flagged word: where it starts in the (whitespace-normalised) text, and why."""

    start: int
    term: str
    kind: str  # categorical | likelihood


def find(text: str, level: Level, levels: tuple[Level, ...], categorical: tuple[str, ...],
         categorical_from: str, vocabulary: tuple[str, ...]) -> list[Hit]:
    """The words in `text` that are more certain than `level` allows."""
    keys = [lv.key for lv in levels]
    allowed_categorical = categorical_from in keys and keys.index(level.key) <= keys.index(categorical_from)
    terms = {t.casefold(): "likelihood" for t in vocabulary}
    terms.update({t.casefold(): "categorical" for t in categorical})  # a word on both lists is categorical
    if not terms:
        return []
    quoted = [m.span() for m in QUOTED.finditer(text)]
    fits = {t.casefold() for t in level.likelihood}
    pattern = _pattern(tuple(terms))
    out = []
    for m in pattern.finditer(text):
        if any(a <= m.start() < b for a, b in quoted):
            continue
        term = " ".join(m.group(1).casefold().split())
        kind = terms[term]
        if kind == "categorical" and not allowed_categorical and not _negated(text, m.start()):
            out.append(Hit(m.start(), m.group(1), kind))
        elif kind == "likelihood" and term not in fits:
            out.append(Hit(m.start(), m.group(1), kind))
    return out


# Memoises a pure function of its argument (a scale's word list -> its regex), bounded: no build state.
@functools.lru_cache(maxsize=8)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for the word lists, built once per scale (a check runs it over every claim)."""
    # Longest first, so "very likely" is one term, not "likely" inside it.
    return re.compile(r"(?<![\w’'-])(" + "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in
                                                  sorted(terms, key=len, reverse=True)) + r")(?![\w-])",
                      re.IGNORECASE)


def _negated(text: str, start: int) -> bool:
    """True when one of the few words before `start` negates it ("not", "no", "doesn't" ...)."""
    before = WORD.findall(text[:start])[-NEGATION_WINDOW:]
    return any(w.casefold() in NEGATIONS or w.casefold().endswith(("n't", "n’t")) for w in before)


def check(ws: Workspace) -> list[Problem]:
    """A warning for every word a claim's or judgement's confidence does not allow."""
    scale = ws.scale
    if not scale.levels:
        return []
    out: list[Problem] = []
    for e in ws.evidence:
        level = effective_level(ws, e)
        if level is None:
            continue  # an unknown level is reported as an error elsewhere
        for name, text in (("title", e.title), ("claim", e.claim)):
            out += _report(ws, level, f"claim '{e.id}' ({level.label.lower()})", name, text,
                           dict(e.key_pos), e.pos)
    for _section, items in ws.analysis:
        for j in items:
            weakest = _weakest(ws, j.rests_on)
            if weakest is None:
                continue
            eid, level = weakest
            who = f"judgement '{j.id}' (weakest evidence: '{eid}', {level.label.lower()})"
            for name, text in (("title", j.title), ("text", j.text)):
                out += _report(ws, level, who, name, text, dict(j.key_pos), j.pos)
    return out


def _weakest(ws: Workspace, ids: Iterable[str]) -> tuple[str, Level] | None:
    """The least confident claim among `ids` (as shown, after any retraction cap), with its level."""
    shown = [(eid, effective_level(ws, item)) for eid in dict.fromkeys(ids) if (item := ws.item(eid))]
    found = [(eid, lv) for eid, lv in shown if lv is not None]
    return max(found, key=lambda x: x[1].rank) if found else None


def _report(ws: Workspace, level: Level, who: str, field: str, text: str, key_pos: dict[str, Pos],
            pos: Pos) -> list[Problem]:
    scale = ws.scale
    if not text:
        return []
    out = []
    for hit in find(text, level, scale.levels, scale.categorical, scale.categorical_from, scale.likelihood):
        key = key_pos.get(field, pos)
        at = locate(ws.lines.get(key.path, ()), key, text, hit.start)
        said = f"{who} says \"{hit.term}\" in its {field}"
        if hit.kind == "categorical":
            top = scale.get(scale.categorical_from)
            msg = (f"{said}: categorical wording needs {top.label.lower() if top else scale.categorical_from};"
                   " hedge it or strengthen the evidence")
        else:
            msg = (f"{said}: that likelihood does not fit {level.label.lower()}, which allows:"
                   f" {', '.join(level.likelihood) or 'no likelihood term'}")
        out.append(Problem.at(at, "warning", msg))
    return out


def locate(lines: tuple[str, ...], key: Pos, text: str, start: int) -> Pos:
    """Where character `start` of a field's normalised text is written, from the field's key onwards.

    The loader joins a folded or plain scalar's words with single spaces; walking the file's words
    after the key (in the file's lines, kept at load) finds the same word again. When the file does
    not line up (escapes, odd quoting) the key's own position is the answer.
    """
    words = text.split(" ")
    index = text[:start].count(" ")
    within = start - len(" ".join(words[:index])) - (1 if index else 0)
    if not lines:  # the file's lines, as loaded
        return key
    tokens: list[tuple[int, int, str]] = []
    for n in range(key.line - 1, len(lines)):
        begin = key.column - 1 if n == key.line - 1 else 0
        tokens += [(n + 1, begin + m.start() + 1, m.group()) for m in re.finditer(r"\S+", lines[n][begin:])]
        if len(tokens) > index + 4:
            break
    # Skip the key itself ("claim:") and a block indicator (">", "|-"), then expect the first word.
    for skip in range(min(3, len(tokens))):
        first = tokens[skip][2]
        lead = len(first) - len(first.lstrip("\"'"))
        if first[lead:].startswith(words[0]):
            break
    else:
        return key
    if skip + index >= len(tokens):
        return key
    line, col, token = tokens[skip + index]
    if index == 0:
        col, token = col + lead, token[lead:]
    if not token.startswith(words[index]) and not words[index].startswith(token):
        return key
    return Pos(key.path, line, col + within)
