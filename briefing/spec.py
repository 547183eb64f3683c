"""The declared shape of every workspace file: one source of truth for validation and JSON Schema."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import Problem
from .model import Pos
from .yamlsafe import Node, Scalar, YList, YMap, plain

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
SAFE_URL_RE = re.compile(r"^(https?://|mailto:)", re.I)


# The stated limits (docs/evidence-format.md): every date the briefing prints or plots lies in
# these years, and every number is finite and below this magnitude, so no renderer meets a surprise.
MIN_YEAR, MAX_YEAR = 1900, 2199
MAX_NUMBER = 10**15
YEARS = f"years {MIN_YEAR} to {MAX_YEAR}"

# YAML 1.1 number forms PyYAML resolves silently. The value read differs from the digits written
# (0755 -> 493, 1:30 -> 90, 0x1F -> 31, 0b11 -> 3), so each is refused; `1_000` means what it
# says to PyYAML but is text to YAML 1.2 tools, so it is only warned about.
_YAML11_FORMS = (
    (re.compile(r"^[-+]?0b[01_]+$"), "binary"),
    (re.compile(r"^[-+]?0x[0-9a-fA-F_]+$"), "hexadecimal"),
    (re.compile(r"^[-+]?0[0-7_]+$"), "octal (a leading zero)"),
    (re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$"), "base 60 (the colon)"),
)


def is_date(text: str) -> bool:
    """True for a real ISO date, possibly partial (2026-02-23, 2026-02 or 2026), in the stated years."""
    if not DATE_RE.match(text):
        return False
    parts = [int(p) for p in text.split("-")] + [1, 1]
    try:
        dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return MIN_YEAR <= parts[0] <= MAX_YEAR


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def human_date(iso: str) -> str:
    """'2026-02-23' -> '23 February 2026'; partial dates stay partial."""
    parts = [int(p) for p in iso.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    if len(parts) == 2:
        return f"{MONTHS[parts[1] - 1]} {parts[0]}"
    return f"{parts[2]} {MONTHS[parts[1] - 1]} {parts[0]}"


@dataclass(frozen=True)
class Field:
    """One field: its kind, whether required, and a one-line description for docs and the schema."""

    kind: str  # str | id | date | number | int | bool | color | url | enum | list | map | citation | names | ids
    doc: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    item: Field | None = None
    fields: dict[str, Field] = field(default_factory=dict)
    extra: frozenset[str] = frozenset()  # other keys accepted and passed through (CSL variables)
    open_keys: bool = False  # a map whose keys are free names, each holding `item`
    bounds: tuple[float, float] | None = None  # a number's inclusive range; a list's number of entries


def S(doc: str, required: bool = False) -> Field:  # noqa: N802 - a terse constructor keeps the specs readable
    return Field("str", doc, required)


def _lst(item: Field, doc: str, required: bool = False) -> Field:
    return Field("list", doc, required, item=item)


def _map(doc: str, fields: dict[str, Field], required: bool = False, extra: frozenset[str] = frozenset()) -> Field:
    return Field("map", doc, required, fields=fields, extra=extra)


SECTIONS = ("documented", "alleged", "not_shown")
CHART_KINDS = ("bar", "timeline", "confidence")
SOURCE_KINDS = ("primary", "news", "analysis", "academic", "filing", "commentary")

# CSL 1.0.2 variables (and common Zotero export keys): accepted in sources.yaml and passed to citeproc.
CSL_VARIABLES = frozenset("""
abstract annote archive archive_collection archive_location archive-place authority
call-number chapter-number citation-key citation-label citation-number collection-number
collection-title container-title container-title-short dimensions division DOI edition
event event-title event-place first-reference-note-number genre ISBN ISSN issue
jurisdiction keyword language license locator medium note number number-of-pages
number-of-volumes original-publisher original-publisher-place original-title page
page-first part-number part-title PMCID PMID printing-number publisher-place
references reviewed-genre reviewed-title scale section source status supplement-number
title-short translator editor collection-editor composer container-author director
editorial-director illustrator interviewer original-author recipient reviewed-author
accessed available-date event-date original-date submitted version volume
volume-title year-suffix shortTitle journalAbbreviation
""".split())

NAME = _map("A CSL name: family and given, or literal for an organisation", {
    "family": S("Family name"), "given": S("Given names"), "literal": S("An organisation's name"),
    "suffix": S("Suffix"), "dropping-particle": S("Particle"), "non-dropping-particle": S("Particle"),
})

CITATION = Field("citation", "A source id, or a mapping with the id and a locator (quote or page)", fields={
    "id": Field("id", "The cited source's id", True),
    "locator": S("Where in the source: a short quote or a page"),
})

FIGURE = _map("A number a source reports", {
    "metric": Field("id", "What is measured, e.g. exchanges", True),
    "actor": S("Who the number is about", True),
    "value": Field("number", "The number itself, without separators", True),
    "unit": S("Unit, e.g. accounts; defaults to its metric's unit in charts.yaml"),
    "approx": Field("bool", "true when the source gives it as approximate"),
    "source": Field("id", "The id of the source that reports this value", True),
    "note": S("A short note on the figure"),
})

EVIDENCE = _map("One claim", {
    "id": Field("id", "Stable id, unique in the workspace", True),
    "title": S("A short title", True),
    "claim": S("The claim, in the analyst's words", True),
    "date": Field("date", "Date of the event or report: 2026-02-23, 2026-02 or 2026", True),
    "confidence": Field("id", "A key of the confidence scale", True),
    "sources": _lst(CITATION, "The sources the claim rests on", True),
    "actors": _lst(_map("An actor and its role", {
        "name": S("Name", True), "role": S("Role, e.g. accuser, accused, researcher", True)}),
        "Who is involved, and how"),
    "figures": _lst(FIGURE, "Structured figures, each with the source that reports it"),
    "disputes": _lst(_map("A dispute or denial", {
        "by": S("Who disputes it", True), "text": S("What they say", True),
        "source": Field("id", "The source recording the dispute")}), "Disputes and denials"),
    "caveats": _lst(S("A caveat"), "Caveats a reader must keep in mind"),
    "tags": _lst(Field("id", "A tag"), "Tags for grouping and queries"),
    "section": Field("enum", "Optional hint: place the claim in a less certain section", choices=SECTIONS),
    "reason": S("Why the claim has this confidence (required when it changes between editions)"),
    "event": S("A short label: puts the claim on the timeline"),
    "alleged_by": _lst(S("A name"), "Who makes the claim, when that is not its actors with role accuser"),
})

SOURCE = _map("A source, in CSL YAML plus kind, interested, derived_from and retracted", {
    "id": Field("id", "Stable id, cited from evidence", True),
    "type": S("The CSL item type, e.g. article-newspaper, post-weblog, report, webpage"),
    "title": S("Title", True),
    "container-title": S("The outlet: newspaper, site or journal"),
    "publisher": S("Publisher"),
    "author": Field("names", "Authors: a list of CSL names, or one string"),
    "issued": Field("csldate", "Publication date: 2026-02-23, {date-parts: [[2026, 2, 23]]} or {literal: text}"),
    **{k: Field("csldate", f"CSL date ({k}), in the same forms as issued")
       for k in ("accessed", "original-date", "event-date", "submitted", "available-date")},
    "URL": Field("url", "Address (http, https or mailto)"),
    "kind": Field("enum", "What sort of source this is", True, choices=SOURCE_KINDS),
    "interested": Field("bool", "true when the publisher is a party to what it reports"),
    "derived_from": Field("ids", "The source(s) this one merely relays"),
    "retracted": S("Why the source was retracted or discredited"),
    "retracted_on": Field("date", "When it was retracted: 2026-03-04, 2026-03 or 2026 (needs retracted)"),
}, extra=CSL_VARIABLES)

SOURCES_FILE = _map("The sources list", {
    "references": _lst(SOURCE, "The sources", True),
})

META = _map("The briefing's title block and defaults", {
    "title": S("Title", True),
    "subtitle": S("Subtitle"),
    "date": Field("date", "The briefing's date, printed on it (never the clock)", True),
    "edition": S("Edition, e.g. 2", True),
    "organisation": S("Issuing organisation"),
    "author": S("Author or team"),
    "marking": S("Handling marking, e.g. For internal use", True),
    "audience": Field("id", "The default audience"),
})

LEVEL = _map("A confidence level", {
    "key": Field("id", "Key used in evidence files", True),
    "label": S("Label printed on claims", True),
    "meaning": S("One-line meaning, printed in the methodology note", True),
    "color": Field("color", "Colour as #RRGGBB", True),
    "section": Field("enum", "Which part of the briefing it belongs to", True, choices=SECTIONS),
    "requires": _map("The sourcing the level requires", {
        "origins": Field("int", "Minimum number of independent origins"),
        "disinterested": Field("int", "Minimum number of origins that are not interested parties"),
    }),
    "likelihood": _lst(S("A likelihood term, e.g. very likely"), "The likelihood terms (ICD 203) that fit this"
                       " level; a recognised term not listed here is flagged (default: the packaged level"
                       " with the same key, else every term)"),
})

WORDING = _map("The estimative-language check: which words a claim's confidence allows", {
    "categorical": _lst(S("A word or phrase, e.g. is established"), "Words that state a thing as settled"
                        " fact (default: the packaged list)"),
    "categorical_from": Field("id", "The least confident level allowed to use them (default: the most"
                              " confident level)"),
    "likelihood": _lst(S("A likelihood term"), "Every likelihood term the check recognises; the levels say"
                       " which fit (default: the packaged list)"),
})

SCALE = _map("The confidence scale", {
    "name": S("Name of the scale", True),
    "anchor": S("The practice the scale is anchored to", True),
    "levels": _lst(LEVEL, "The levels, most confident first", True),
    "wording": WORDING,
})

JUDGEMENT = _map("An analytic judgement", {
    "id": Field("id", "Stable id", True),
    "title": S("A short title"),
    "text": S("The judgement, in the analyst's words", True),
    "rests_on": _lst(Field("id", "An evidence id"), "The evidence it rests on"),
    "audiences": _lst(Field("id", "An audience name"), "Only for these audiences (default: all)"),
})

ANALYSIS = Field("map", "Judgements by section name", open_keys=True,
                 item=_lst(JUDGEMENT, "Judgements in this section"))

CHART = _map("A chart declaration", {
    "id": Field("id", "Stable id", True),
    "kind": Field("enum", "What to draw", True, choices=CHART_KINDS),
    "title": S("Title", True),
    "caption": S("Caption text"),
    "metrics": _lst(Field("id", "A figure metric"), "bar: which metrics"),
    "tags": _lst(Field("id", "A tag"), "Only claims with one of these tags"),
    "log_scale": Field("bool", "bar: logarithmic value axis"),
})

METRIC = _map("A metric: what figures measure, with the label and unit printed for them", {
    "id": Field("id", "The id figures give as their metric", True),
    "label": S("The human label, e.g. Wholesale price", True),
    "unit": S("The unit printed after every value, e.g. USD/MWh, km or %"),
})

CHARTS_FILE = _map("The charts and the metrics they draw", {
    "charts": _lst(CHART, "Chart declarations", True),
    "metrics": _lst(METRIC, "Metric declarations: a label and unit per figure metric"),
})


def _visible(text: str) -> bool:
    """True if the text shows anything: not only spaces and invisible format characters (U+200B, U+00AD ...)."""
    return any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in text)


class Checker:
    """Converts a YAML node tree against a Field, collecting problems instead of stopping."""

    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.problems: list[Problem] = []

    def err(self, pos: Pos, msg: str) -> None:
        self.problems.append(Problem.at(pos, "error", msg))

    def warn(self, pos: Pos, msg: str) -> None:
        self.problems.append(Problem.at(pos, "warning", msg))

    def convert(self, node: Node, f: Field, name: str, parent_pos: Pos) -> Any:
        """Return the plain value for `node`, or None after recording why it is invalid."""
        pos = getattr(node, "pos", parent_pos)
        if isinstance(node, Scalar) and node.is_null and not node.quoted:
            if f.kind == "color":  # `brand: #1B7837` unquoted is a comment, so the key is empty
                self.err(pos, f"'{name}' has no colour; quote it, as in \"#1B7837\": an unquoted # starts a comment")
            elif f.required:
                self.err(pos, f"'{name}' is empty; it is required")
            return None
        handler = getattr(self, "_" + f.kind)
        return handler(node, f, name, pos)

    # -- scalars ---------------------------------------------------------------------------
    def _scalar(self, node: Node, name: str, pos: Pos, what: str) -> Scalar | None:
        if not isinstance(node, Scalar):
            self.err(pos, f"'{name}' must be {what}, not a {'list' if isinstance(node, list) else 'mapping'}")
            return None
        return node

    def _text(self, node: Scalar, name: str) -> str | None:
        v = node.value
        if node.quoted:
            return node.raw
        if isinstance(v, str):
            return v
        if isinstance(v, bool):
            self.err(node.pos, f"'{name}': `{node.raw}` is read by YAML as {str(v).lower()}, not text;"
                     f" quote it (\"{node.raw}\")")
            return None
        if isinstance(v, (dt.date, dt.datetime)):
            self.warn(node.pos, f"'{name}': `{node.raw}` is read by YAML as a date; kept as text,"
                      " but quote it so other tools agree")
        return node.raw  # numbers keep their written form: 1.10 stays "1.10"

    def _str(self, node: Node, f: Field, name: str, pos: Pos) -> str | None:
        scalar = self._scalar(node, name, pos, "text")
        if scalar is None:
            return None
        text = self._text(scalar, name)
        if text is not None and f.required and not _visible(text):
            self.err(scalar.pos, f"'{name}' is empty; it is required")
            return None
        return text

    def _id(self, node: Node, f: Field, name: str, pos: Pos) -> str | None:
        text = self._str(node, f, name, pos)
        if text is not None and not ID_RE.match(text):
            self.err(node.pos, f"'{name}': `{text}` is not a valid id (letters, digits, and _ . : -;"
                     " no spaces)")
            return None
        return text

    def _enum(self, node: Node, f: Field, name: str, pos: Pos) -> str | None:
        text = self._str(node, f, name, pos)
        if text is not None and text not in f.choices:
            self.err(node.pos, f"'{name}': `{text}` is not one of: {', '.join(f.choices)}{_hint(text, f.choices)}")
            return None
        return text

    def _url(self, node: Node, f: Field, name: str, pos: Pos) -> str | None:
        text = self._str(node, f, name, pos)
        if text is not None and not SAFE_URL_RE.match(text.strip()):
            self.err(node.pos, f"'{name}': only http, https and mailto addresses are allowed, not `{text[:60]}`")
            return None
        return text.strip() if text else text

    def _color(self, node: Node, f: Field, name: str, pos: Pos) -> str | None:
        text = self._str(node, f, name, pos)
        if text is not None and not COLOR_RE.match(text):
            self.err(node.pos, f"'{name}': `{text}` is not a colour like \"#1B7837\"")
            return None
        return text.upper() if text else text

    def _date(self, node: Node, f: Field, name: str, pos: Pos) -> str | None:
        scalar = self._scalar(node, name, pos, "a date")
        if scalar is None:
            return None
        v = scalar.value
        if isinstance(v, dt.datetime):
            v = v.date()
        if isinstance(v, dt.date):
            if MIN_YEAR <= v.year <= MAX_YEAR:
                return v.isoformat()
            self.err(scalar.pos, f"'{name}': {v.year} is outside the dates a briefing can show ({YEARS})")
            return None
        if isinstance(v, int) and not isinstance(v, bool) and 1000 <= v <= 9999:
            if MIN_YEAR <= v <= MAX_YEAR:
                return str(v)
            self.err(scalar.pos, f"'{name}': {v} is outside the dates a briefing can show ({YEARS})")
            return None
        text = scalar.raw.strip()
        if is_date(text):
            return text
        if DATE_RE.match(text) and is_date(f"{MIN_YEAR}{text[4:]}"):
            self.err(scalar.pos, f"'{name}': {text[:4]} is outside the dates a briefing can show ({YEARS})")
            return None
        self.err(scalar.pos, f"'{name}': `{scalar.raw}` is not a date; write it as 2026-02-23, 2026-02 or 2026")
        return None

    def _csldate(self, node: Node, f: Field, name: str, pos: Pos) -> str | None:
        """A CSL date: an ISO date, {date-parts: [[y, m, d]]} (two lists: a range), or {literal: text}."""
        if not isinstance(node, YMap):
            return self._date(node, f, name, pos)
        forms = "write it as 2026-02-23, {date-parts: [[2026, 2, 23]]} or {literal: Spring 2026}"
        for key in node:
            if key not in ("date-parts", "literal"):
                self.err(node.key_pos[key], f"'{name}': the CSL date form '{key}' is not supported; {forms}")
                return None
        if "literal" in node:
            if "date-parts" in node:
                self.err(node.pos, f"'{name}': give date-parts or literal, not both")
                return None
            text = self._str(node["literal"], Field("str", required=True), f"{name}.literal", node.pos)
            return None if text is None else "literal:" + " ".join(text.split())
        parts = node["date-parts"]
        if not isinstance(parts, YList) or not 1 <= len(parts) <= 2:
            self.err(node.key_pos["date-parts"], f"'{name}': date-parts must look like [[2026, 2, 23]]"
                     " (or two lists for a range)")
            return None
        out = []
        for part in parts:
            iso = self._date_parts(part, name, getattr(part, "pos", node.pos))
            if iso is None:
                return None
            out.append(iso)
        if len(out) == 2 and out[1] < out[0][:len(out[1])]:
            self.err(node.key_pos["date-parts"], f"'{name}': the range ends ({out[1]}) before it starts ({out[0]})")
            return None
        return "/".join(out)

    def _date_parts(self, part: Node, name: str, pos: Pos) -> str | None:
        """One CSL date-parts list, [2026], [2026, 2] or [2026, 2, 23], as an ISO date."""
        if not isinstance(part, YList) or not 1 <= len(part) <= 3 or not all(
                isinstance(p, Scalar) and isinstance(p.value, int) and not isinstance(p.value, bool)
                and not p.quoted for p in part):
            self.err(pos, f"'{name}': date-parts must look like [[2026, 2, 23]]: one to three whole numbers")
            return None
        nums = [p.value for p in part if isinstance(p, Scalar) and isinstance(p.value, int)]  # all, as checked
        iso = "-".join(f"{p:02d}" if i else f"{p:04d}" for i, p in enumerate(nums)) if nums[0] >= 0 else ""
        if not is_date(iso):
            why = (f"{nums[0]} is outside the dates a briefing can show ({YEARS})"
                   if iso and not MIN_YEAR <= nums[0] <= MAX_YEAR else f"{nums} is not a real date")
            self.err(pos, f"'{name}': {why}")
            return None
        return iso

    def _number(self, node: Node, f: Field, name: str, pos: Pos) -> int | float | None:
        scalar = self._scalar(node, name, pos, "a number")
        if scalar is None:
            return None
        v = scalar.value
        if not isinstance(v, (int, float)) or isinstance(v, bool) or scalar.quoted:
            self.err(scalar.pos, f"'{name}': `{scalar.raw}` is not a number; write digits only, e.g. 13000000")
            return None
        raw = scalar.raw.strip()
        for form, what in _YAML11_FORMS:
            if form.match(raw):
                self.err(scalar.pos, f"'{name}': `{raw}` is a YAML 1.1 {what} number, read as {v:g} rather than"
                         " what it shows; write the value in plain decimal digits")
                return None
        if v != v or v in (float("inf"), float("-inf")):
            self.err(scalar.pos, f"'{name}': `{raw}` is not a finite number; write the value in digits")
            return None
        if abs(v) > MAX_NUMBER:
            self.err(scalar.pos, f"'{name}': `{raw[:40]}{'…' if len(raw) > 40 else ''}` is beyond the limit of"
                     f" ±{MAX_NUMBER:.0e}".replace("e+", "e"))
            return None
        if f.bounds and not f.bounds[0] <= v <= f.bounds[1]:
            self.err(node.pos, f"'{name}': {raw} is out of range; use {f.bounds[0]:g} to {f.bounds[1]:g}")
            return None
        if "_" in raw:
            self.warn(scalar.pos, f"'{name}': `{raw}` uses _ as a digit separator, which only YAML 1.1 reads as"
                      f" a number; write {v}")
        return v

    def _int(self, node: Node, f: Field, name: str, pos: Pos) -> int | None:
        v = self._number(node, f, name, pos)
        if v is not None and (not isinstance(v, int) or v < 0):
            self.err(node.pos, f"'{name}': must be a whole number of 0 or more")
            return None
        return v

    def _bool(self, node: Node, f: Field, name: str, pos: Pos) -> bool | None:
        scalar = self._scalar(node, name, pos, "true or false")
        if scalar is None:
            return None
        if isinstance(scalar.value, bool) and not scalar.quoted:
            if scalar.raw.lower() not in ("true", "false"):
                self.warn(scalar.pos, f"'{name}': `{scalar.raw}` is a YAML 1.1 boolean; write"
                          f" {str(scalar.value).lower()} so every reader agrees")
            return scalar.value
        self.err(scalar.pos, f"'{name}': `{scalar.raw}` must be true or false")
        return None

    # -- compound values ----------------------------------------------------------------------
    def _list(self, node: Node, f: Field, name: str, pos: Pos) -> list[Any] | None:
        item_spec = f.item
        assert item_spec is not None  # a list Field always says what it holds
        if not isinstance(node, YList):
            if isinstance(node, Scalar) and item_spec.kind in ("str", "id", "citation") and not node.is_null:
                node_list = YList([node])  # a single value where a list is expected is forgiven
                node_list.pos = node.pos
                node = node_list
            else:
                self.err(pos, f"'{name}' must be a list")
                return None
        if f.required and not node:
            self.err(node.pos, f"'{name}' is empty; it needs at least one entry")
        elif f.bounds and not f.bounds[0] <= len(node) <= f.bounds[1]:
            self.err(node.pos, f"'{name}' has {len(node)} entries; give {f.bounds[0]:g} to {f.bounds[1]:g}")
        out = []
        for i, item in enumerate(node):
            v = self.convert(item, item_spec, f"{name}[{i + 1}]", node.pos)
            if v is not None:
                out.append(v)
        return out

    def _charts(self, node: Node, f: Field, name: str, pos: Pos) -> str | list[Any] | None:
        """An audience's charts: the word `all`, or a list of chart ids."""
        if isinstance(node, Scalar) and not node.quoted and node.value == "all":
            return "all"
        if not isinstance(node, YList):
            self.err(pos, f"'{name}': write `all` or a list of chart ids, e.g. [timeline]; [] for none")
            return None
        return self._list(node, Field("list", item=Field("id")), name, pos)

    def _ids(self, node: Node, f: Field, name: str, pos: Pos) -> list[Any] | None:
        return self._list(node, Field("list", item=Field("id")), name, pos)

    def _map(self, node: Node, f: Field, name: str, pos: Pos) -> dict[str, Any] | None:
        if not isinstance(node, YMap):
            what = "a list" if isinstance(node, list) else f"`{getattr(node, 'raw', node)}`"
            self.err(pos, f"'{name}' must be a mapping of keys to values, not {what}")
            return None
        if f.open_keys:
            assert f.item is not None  # an open map says what each key holds
            return {k: self.convert(v, f.item, k, node.key_pos[k]) for k, v in node.items()}
        out: dict[str, Any] = {"__pos__": node.pos, "__key_pos__": node.key_pos}
        for key, value in node.items():
            spec = f.fields.get(key)
            if spec is None:
                if key in f.extra:
                    out[key] = _plainish(value)
                    continue
                self.err(node.key_pos[key], f"unknown key '{key}'{_hint(key, list(f.fields))}")
                continue
            out[key] = self.convert(value, spec, key, node.key_pos[key])
        for key, spec in f.fields.items():
            if spec.required and key not in node:
                self.err(node.pos, f"missing required key '{key}' ({spec.doc.lower()})")
        return out

    def _citation(self, node: Node, f: Field, name: str, pos: Pos) -> dict[str, Any] | None:
        if isinstance(node, YMap):
            return self._map(node, _map(f.doc, f.fields), name, pos)
        cid = self._id(node, Field("id", required=True), name, pos)
        return None if cid is None else {"id": cid, "__pos__": node.pos, "__key_pos__": {}}

    def _names(self, node: Node, f: Field, name: str, pos: Pos) -> list[dict[str, Any]] | None:
        if isinstance(node, Scalar):
            text = self._str(node, Field("str"), name, pos)
            return None if text is None else [{"literal": text}]
        if isinstance(node, YList):
            out = []
            for i, item in enumerate(node):
                if isinstance(item, Scalar):
                    t = self._str(item, Field("str"), f"{name}[{i + 1}]", node.pos)
                    if t:
                        out.append({"literal": t})
                else:
                    v = self._map(item, NAME, f"{name}[{i + 1}]", node.pos)
                    if v is not None:
                        out.append({k: v[k] for k in v if not k.startswith("__") and v[k]})
            return out
        self.err(pos, f"'{name}' must be a name or a list of names")
        return None


def _plainish(node: Node) -> Any:
    return plain(node)


def _hint(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


# -- JSON Schema export ---------------------------------------------------------------------
def json_schema(f: Field, title: str = "") -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) equivalent of a Field, for editors."""
    out = _js(f)
    if title:
        out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **out}
    return out


def _js(f: Field) -> dict[str, Any]:
    d: dict[str, Any] = {"description": f.doc} if f.doc else {}
    k = f.kind
    if k in ("str",):
        d["type"] = "string"
    elif k == "id":
        d.update(type="string", pattern=ID_RE.pattern)
    elif k == "url":
        d.update(type="string", pattern="^(https?://|mailto:)")
    elif k == "color":
        d.update(type="string", pattern=COLOR_RE.pattern)
    elif k == "enum":
        d.update(type="string", enum=list(f.choices))
    elif k == "date":
        d["anyOf"] = [{"type": "string", "pattern": DATE_RE.pattern}, {"type": "integer"}]
    elif k == "csldate":
        d["anyOf"] = [{"type": "string", "pattern": DATE_RE.pattern}, {"type": "integer"},
                      {"type": "object", "properties": {"date-parts": {"type": "array", "minItems": 1,
                                                                       "maxItems": 2}},
                       "required": ["date-parts"], "additionalProperties": False},
                      {"type": "object", "properties": {"literal": {"type": "string"}},
                       "required": ["literal"], "additionalProperties": False}]
    elif k == "number":
        d["type"] = "number"
        if f.bounds:
            d.update(minimum=f.bounds[0], maximum=f.bounds[1])
    elif k == "int":
        d.update(type="integer", minimum=0)
    elif k == "bool":
        d["type"] = "boolean"
    elif k == "list":
        assert f.item is not None
        d.update(type="array", items=_js(f.item))
        if f.bounds:
            d.update(minItems=int(f.bounds[0]), maxItems=int(f.bounds[1]))
    elif k == "charts":
        d["anyOf"] = [{"const": "all"}, {"type": "array", "items": {"type": "string", "pattern": ID_RE.pattern}}]
    elif k == "ids":
        d["anyOf"] = [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
    elif k == "names":
        d["anyOf"] = [{"type": "string"}, {"type": "array", "items": {"anyOf": [{"type": "string"}, _js(NAME)]}}]
    elif k == "citation":
        d["anyOf"] = [{"type": "string", "pattern": ID_RE.pattern}, _js(_map("", f.fields))]
    elif k == "map":
        d["type"] = "object"
        if f.open_keys:
            assert f.item is not None
            d["additionalProperties"] = _js(f.item)
        else:
            d["properties"] = {name: _js(sub) for name, sub in f.fields.items()}
            req = [name for name, sub in f.fields.items() if sub.required]
            if req:
                d["required"] = req
            d["additionalProperties"] = bool(f.extra)
    return d


def _colors(required: bool) -> Field:
    return _map("Colours, each \"#RRGGBB\"", {name: Field("color", doc, required) for name, doc in (
        ("brand", "Headings, rules, the title block, table and box edges"),
        ("text", "Body text"),
        ("muted", "Captions, subtitles, running heads and page numbers"),
        ("rule", "Thin rules: table lines, the title block's rule"),
        ("link", "Links"),
        ("allegation", "The bar beside an allegation"),
        ("allegation_fill", "The shading behind an allegation"),
        ("disputed", "The word Disputed, and who disputes"),
        ("code_background", "The shading behind code"),
        ("quote_rule", "The bar beside a quotation"),
        ("quote_text", "Quotation text"),
    )})


def _theme(doc: str, required: bool) -> Field:
    return _map(doc, {
        "colors": Field("map", "Colours, each \"#RRGGBB\"", required, fields=_colors(required).fields),
        "charts": _map("The charts' colours (each level's colour is the scale file's)", {
            "palette": Field("list", "One colour per metric, in order of first use, 1 to 12", required,
                             item=Field("color", "Colour as \"#RRGGBB\""), bounds=(1, 12)),
            "ink": Field("color", "Labels and values", required),
            "muted": Field("color", "Axis titles, dates and notes", required),
            "axis": Field("color", "Axis lines, ticks and timeline stems", required),
            "grid": Field("color", "Grid lines, and the edge of a chart with no data", required),
        }, required),
        "fonts": _map("Fonts", {"docx": S("The font name Word uses for the DOCX", required)}, required),
        "sizes": _map("Sizes in points", {
            "body": Field("number", "Body text of the PDF and the HTML, 6 to 16", required, bounds=(6, 16)),
            "docx_body": Field("number", "Body text of the DOCX, 6 to 16", required, bounds=(6, 16)),
        }, required),
    })


# The packaged templates/theme.yaml declares every key; a workspace's theme.yaml and an audience's
# `theme:` give only the keys they change.
THEME = _theme("The house look: colours, fonts and sizes shared by the PDF, DOCX and HTML", True)
THEME_OVERRIDE = _theme("Changes to the house look (templates/theme.yaml): only the keys given", False)

AUDIENCE = _map("An audience: who the briefing is for, and what it contains", {
    "description": S("One line: who it is for and what they get", True),
    "template": S("The template that composes the briefing (default: base.md.j2)"),
    "sections": _lst(Field("id", "A section template in templates/sections/"), "Sections, in order", True),
    "charts": Field("charts", "Which charts to draw: all (every chart in charts.yaml, the default),"
                    " or a list of chart ids ([] for none)"),
    "chart_kinds": _lst(Field("enum", "A chart kind", choices=CHART_KINDS), "Only charts of these kinds"
                        " (default: every kind)"),
    "ledger": Field("bool", "Append the claims ledger"),
    "marking": S("Overrides briefing.yaml's marking"),
    "paper": Field("enum", "Paper size", choices=("A4", "Letter")),
    "brand_color": Field("color", "Colour of headings and the title block"),
    "logo": S("An image in the workspace, printed in the title block"),
    "body_font": S("A TrueType font file in the workspace for body text (default: DejaVu Sans)"),
    "font_size": Field("number", "PDF body text size in points, 6 to 16 (default: 10)"),
    "docx_font": S("The Word font name for the DOCX (default: Calibri)"),
    "page_budget": Field("int", "Warn when the PDF has more pages than this"),
    "claims_per_section": Field("int", "Show at most this many claims per section, those judgements rest on"
                                " first (default: 0, all)"),
    "full_edition": Field("id", "The audience named for the claims left out (default: analyst)"),
    "rank_by": _lst(Field("id", "An analysis.yaml section, e.g. bottom_line"), "Judgement sections whose"
                    " evidence a condensed list shows first"),
    "tags": Field("map", "Named groups of evidence tags the templates query, e.g. legal: [legal-avenue]",
                  open_keys=True, item=_lst(Field("id", "A tag"), "Tags")),
    "theme": Field("map", "Changes to the theme (templates/theme.yaml) for this audience: only the keys given",
                   fields=THEME_OVERRIDE.fields),
})

SCHEMAS = {
    "evidence": (EVIDENCE, "briefing evidence item"),
    "sources": (SOURCES_FILE, "briefing sources (CSL YAML)"),
    "briefing": (META, "briefing.yaml"),
    "scale": (SCALE, "briefing confidence scale"),
    "analysis": (ANALYSIS, "briefing analysis"),
    "charts": (CHARTS_FILE, "briefing charts"),
    "audience": (AUDIENCE, "briefing audience"),
    "theme": (THEME_OVERRIDE, "briefing theme"),
}
