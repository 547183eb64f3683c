"""Hypothesis strategies for whole workspaces over the documented schema (docs/evidence-format.md).

A workspace is drawn as a dict of file paths to YAML *text*, so that scalars can be written exactly as a
user might type them: YAML 1.1 number forms (`0755`, `1:30`, `0x1F`, `.nan`), unquoted dates, 400-digit
integers. Ids come from small pools so that cross-references mostly resolve, and sometimes dangle.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

AUDIENCES = ("executive", "analyst", "board", "policy")
LEVELS = ("high", "moderate", "low", "unsubstantiated")
KINDS = ("primary", "news", "analysis", "academic", "filing", "commentary")
SECTIONS = ("documented", "alleged", "not_shown")
CHART_KINDS = ("bar", "timeline", "confidence")
# Chart ids the packaged audiences ask for, and one they do not.
CHART_IDS = ("extraction-scale", "timeline", "confidence-profile", "figures")
SOURCE_IDS = ("src-a", "src-b", "src.c", "S:d", "src_e")
BAD_IDS = ("", "has space", "-lead", "ü-id", "x" * 300, "a/b")
SCALE_KEYS = ("certain", "likely", "Likely", "doubtful", "x.y", "high")
SECTION_TEMPLATES = ("bottom_line", "what_changed", "quantified", "key_figures", "documented", "alleged",
                     "why_it_matters", "not_shown", "implications", "policy_options", "methodology", "references",
                     "ledger", "legal_avenues", "policy_timeline", "at_a_glance", "decisions")
CLAIM_IDS = ("claim-a", "claim-b", "c.3", "C_4")
METRICS = ("exchanges", "accounts", "tonnes", "usd")
TAGS = ("legal-avenue", "policy-timeline", "february-2026", "t")
ACTORS = ("Anthropic", "MiniMax", "Ministry of Water", "Fine cut from $5m to $3m", "$\\frac{$", "مختبر الدولة",
          "北京实验室", "Cafe\u0301 Ltd", "𝔘nion 😀", "A <b>bold</b> & *firm*")


@dataclass(frozen=True)
class Raw:
    """A scalar written into the YAML text verbatim (unquoted), as a user might type it."""

    text: str


# Pieces of text a user may paste: markup of every output format, `$` (matplotlib's math mode), odd Unicode.
PIECES = ("*bold*", "_em_", "`code`", "# not a heading", "[link](https://x.org)", "](javascript:x)", "<b>", "</w:t>",
          "&amp;", "\\textbf{x}", "$5m", "$\\frac{$", "$x^2$", "50%", "{{ x }}", "{% if %}", "[@src-a]", "::: {.x}",
          "| a | b |", "---", "\\", "~~", "^sup^", "@cite", "مرحبا بالعالم", "שלום", "e\u0301", "Ångström", "𝔘𝔫𝔦",
          "😀", "中文文本", "\u200f", "\u00ad", "“quoted”", "TODO-free", "  ", "x")
WORD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co")), min_size=1, max_size=8)
TEXT = st.lists(st.one_of(st.sampled_from(PIECES), WORD, st.just(" ")), min_size=1, max_size=10).map("".join).filter(
    lambda s: any(ch.isalnum() for ch in s) and "todo" not in s.lower())
LONG_TEXT = st.integers(50, 400).map(lambda n: ("Long words here " * n)[: n * 3])
SOME_TEXT = st.one_of(*[TEXT] * 7, LONG_TEXT)
# YAML 1.1 reads these unquoted scalars as booleans, null, dates or sexagesimal numbers, not text.
BAD_TEXT = st.sampled_from([Raw(t) for t in ("no", "on", "~", "null", "2026-02-23", "12:30", "0x1F", "[]", "{}")])

GOOD_NUMBER = st.one_of(st.integers(-10**6, 10**12), st.floats(-1e15, 1e15, allow_nan=False),
                        st.floats(allow_nan=False, allow_infinity=False), st.just(0))
BAD_NUMBER = st.sampled_from([Raw(t) for t in (".nan", ".inf", "-.inf", "0755", "1:30", "0x1F", "0b101", "1_000",
                                               "+12", "1e3", "1.5e300", "1.0e-300", "-0.0", "9" * 400, "0o17",
                                               "12,000", "190:20:30", "0.5e-5", "~")])
# The documented limits (docs/evidence-format.md, "Limits"): years 1900 to 2199.
GOOD_DATE = st.one_of(
    st.sampled_from(["2026", "2026-02", "2026-02-23", "1900-01-01", "2199-12-31", "1900-01", "2000-02-29"]),
    st.sampled_from([Raw("2026-02-23"), Raw("2026")]),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31)).map(
        lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"),
    st.integers(1900, 2199),
)
BAD_DATE = st.one_of(
    st.sampled_from(["2026-02-30", "2026-13", "2026-00-10", "26-02-01", "2026/02/23", "", "1900-02-29", "0000",
                     "0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"]),
    st.sampled_from([Raw("2026-02-23T10:00:00"), Raw("20260223"), Raw("2026-02-23 10:00"), Raw("1:30")]),
    st.integers(-5, 1899) | st.integers(2200, 10**6),
)
GOOD_ISSUED = st.one_of(
    GOOD_DATE,
    st.builds(lambda y, m, d: {"date-parts": [[y, m, d]]}, st.integers(1900, 2199), st.integers(1, 12),
              st.integers(1, 28)),
    st.builds(lambda y: {"date-parts": [[y]]}, st.integers(1900, 2199)),
    st.just({"literal": "Spring 2026"}),
)
BAD_ISSUED = st.one_of(
    BAD_DATE,
    st.builds(lambda p: {"date-parts": [p]}, st.lists(st.integers(-10, 100000), min_size=0, max_size=4)),
    st.sampled_from([{"literal": "Spring 2026"}, {"raw": "2026-02-23"}, {"date-parts": "2026"}, {"season": 1},
                     {"date-parts": [[2026, 2], [2026, 5]]}, {"date-parts": [[Raw(".nan")]]},
                     {"date-parts": [[2026, 2, 30]]}, {"date-parts": []}]),
)


class Mix:
    """Draws a good value, or with probability `bad` (fixed per workspace) a hostile one."""

    def __init__(self, draw, bad: float):
        self.draw, self.bad = draw, bad

    def __call__(self, good, bad=None):
        # Hostile when the draw is high: hypothesis leans to small draws, and shrinks towards the good value.
        if bad is not None and self.draw(st.integers(0, 99)) >= 100 - self.bad * 100:
            return self.draw(bad)
        return self.draw(good)

    def maybe(self, d: dict, key: str, strategy, p: float = 0.5, bad=None) -> None:
        """Set d[key] with probability about p."""
        if self.draw(st.integers(0, 99)) < p * 100:
            d[key] = self(strategy, bad)

    def ident(self, pool) -> str:
        """An id from the pool, or a dangling one no file defines."""
        return self(st.sampled_from(pool), st.just("missing-id"))


@st.composite
def source(draw, mix: Mix, sid: str, source_ids) -> dict:
    s = {"id": sid, "type": draw(st.sampled_from(["report", "article-newspaper", "post-weblog", "webpage", "book",
                                                  "article-journal"])),
         "title": mix(SOME_TEXT, BAD_TEXT), "kind": mix(st.sampled_from(KINDS), st.just("rumour"))}
    mix.maybe(s, "container-title", TEXT)
    mix.maybe(s, "publisher", TEXT)
    mix.maybe(s, "author", st.one_of(TEXT, st.lists(st.one_of(
        st.builds(lambda t: {"literal": t}, TEXT), st.builds(lambda f, g: {"family": f, "given": g}, TEXT, TEXT)),
        max_size=3)))
    mix.maybe(s, "issued", GOOD_ISSUED, 0.8, BAD_ISSUED)
    mix.maybe(s, "URL", st.sampled_from(["https://example.org/a", "http://x.org/$5m?a=1&b=<2>_*x*_", "mailto:a@b.c"]),
              0.5, st.sampled_from(["javascript:alert(1)", "ftp://x"]))
    mix.maybe(s, "interested", st.booleans())
    others = source_ids[:source_ids.index(sid)]  # relays point back only: no cycles unless hostile
    if others and draw(st.integers(0, 9)) < 3:
        s["derived_from"] = mix(st.lists(st.sampled_from(others), min_size=1, max_size=2),
                                st.sampled_from([sid, [sid], "missing-id", []]))
    mix.maybe(s, "retracted", TEXT, 0.15)
    return s


@st.composite
def claim(draw, mix: Mix, cid: str, source_ids, levels) -> dict:
    def ref(_):
        sid = mix.ident(source_ids)
        return {"id": sid, "locator": draw(TEXT)} if draw(st.booleans()) else sid

    c = {"id": mix(st.just(cid), st.sampled_from(BAD_IDS)), "title": mix(SOME_TEXT, BAD_TEXT),
         "claim": mix(SOME_TEXT, BAD_TEXT), "date": mix(GOOD_DATE, BAD_DATE),
         "confidence": mix(st.sampled_from(levels[1:] * 2 + levels[:1]), st.sampled_from(["hihg", "High"])),
         "sources": [ref(i) for i in range(draw(st.integers(mix(st.just(1), st.just(0)), 3)))]}
    mix.maybe(c, "actors", st.lists(st.builds(lambda n, r: {"name": n, "role": r}, st.sampled_from(ACTORS),
                                              st.sampled_from(["accuser", "accused", "researcher", "$x$"])),
                                    max_size=3))
    if draw(st.booleans()):
        c["figures"] = [{"metric": draw(st.sampled_from(METRICS)), "actor": draw(st.sampled_from(ACTORS)),
                         "value": mix(GOOD_NUMBER, BAD_NUMBER),
                         "unit": draw(st.sampled_from(["exchanges", "$", "%", "t", "", "$m"])),
                         "approx": draw(st.booleans()), "source": mix.ident(source_ids)}
                        for _ in range(draw(st.integers(1, 3)))]
    if draw(st.integers(0, 9)) < 3:
        c["disputes"] = [{"by": draw(st.sampled_from(ACTORS)), "text": draw(TEXT), "source": mix.ident(source_ids)}
                         for _ in range(draw(st.integers(1, 2)))]
    mix.maybe(c, "caveats", st.lists(TEXT, max_size=2), 0.3)
    mix.maybe(c, "tags", st.lists(st.sampled_from(TAGS), max_size=2))
    mix.maybe(c, "section", st.just("not_shown"), 0.3, st.sampled_from(SECTIONS))
    mix.maybe(c, "event", SOME_TEXT)
    mix.maybe(c, "reason", TEXT, 0.3)
    return c


@st.composite
def scale(draw, mix: Mix) -> dict:
    """A workspace's own confidence scale: most confident first."""
    keys = draw(st.lists(st.sampled_from(SCALE_KEYS), min_size=mix(st.just(2), st.just(0)), max_size=4,
                         unique_by=mix(st.just(str.lower), st.just(str))))
    levels = []
    for i, key in enumerate(keys):
        level = {"key": key, "label": draw(TEXT), "meaning": draw(TEXT),
                 "color": mix(st.sampled_from(["#1B7837", "#b35806", "#000000", "#FFFFFF"]), st.just("red")),
                 "section": mix(st.just(SECTIONS[min(i, 2)]), st.sampled_from(SECTIONS))}
        if i < len(keys) - 1:
            level["requires"] = {"origins": mix(st.integers(0, 2), st.integers(-1, 10**6)),
                                 "disinterested": mix(st.integers(0, 1), st.just(Raw(".inf")))}
        levels.append(level)
    return {"name": draw(TEXT), "anchor": draw(TEXT), "levels": levels}


@st.composite
def audience_options(draw, mix: Mix) -> dict:
    """A workspace's own version of a packaged audience (templates/audiences/NAME.yaml)."""
    a = {"description": draw(TEXT),
         "sections": mix(st.lists(st.sampled_from(SECTION_TEMPLATES), min_size=1, max_size=6, unique=True),
                         st.just(["no_such_section"]))}
    mix.maybe(a, "charts", st.lists(st.sampled_from(CHART_IDS), max_size=3, unique=True), 0.5,
              st.just(["no-such-chart"]))
    mix.maybe(a, "claims_per_section", st.integers(0, 5), 0.3, st.just(-1))
    mix.maybe(a, "rank_by", st.lists(st.sampled_from(["bottom_line", "implications"]), max_size=2), 0.3)
    mix.maybe(a, "font_size", st.one_of(st.integers(6, 16), st.floats(6, 16)), 0.3,
              st.sampled_from([0, 2, 100, Raw(".nan")]))
    mix.maybe(a, "paper", st.sampled_from(["A4", "Letter"]), 0.3, st.just("A5"))
    mix.maybe(a, "brand_color", st.sampled_from(["#1F3A5F", "#ffffff"]), 0.3, st.just("blue"))
    mix.maybe(a, "marking", SOME_TEXT, 0.3)
    mix.maybe(a, "ledger", st.booleans(), 0.3)
    mix.maybe(a, "page_budget", st.integers(0, 3), 0.2)
    mix.maybe(a, "full_edition", st.sampled_from(AUDIENCES), 0.2)
    return a


@st.composite
def workspaces(draw) -> tuple[dict[str, str], str]:
    """A workspace, {relative path: YAML text}, and the audience to build. Some are drawn with no hostile value."""
    mix = Mix(draw, draw(st.sampled_from([0.0, 0.0, 0.03, 0.1, 0.3])))
    audience = draw(st.sampled_from(AUDIENCES))
    source_ids = draw(st.lists(st.sampled_from(SOURCE_IDS), min_size=1, max_size=4, unique=True))
    claim_ids = draw(st.lists(st.sampled_from(CLAIM_IDS), min_size=1, max_size=3, unique=True))
    files: dict[str, str] = {}
    levels = LEVELS
    if draw(st.integers(0, 3)) == 0:
        own = draw(scale(mix))
        files["scale.yaml"] = dump(own)
        levels = tuple(level["key"] for level in own["levels"]) or LEVELS
    if draw(st.integers(0, 4)) == 0:
        files[f"templates/audiences/{audience}.yaml"] = dump(draw(audience_options(mix)))
    meta = {"title": mix(SOME_TEXT, BAD_TEXT), "date": mix(GOOD_DATE, BAD_DATE),
            "edition": mix(st.one_of(st.just("1"), TEXT), GOOD_NUMBER),
            "marking": draw(st.one_of(st.just("For internal use"), SOME_TEXT))}
    mix.maybe(meta, "subtitle", SOME_TEXT)
    mix.maybe(meta, "organisation", TEXT)
    mix.maybe(meta, "audience", st.sampled_from(AUDIENCES), 0.2, st.just("nobody"))
    files["briefing.yaml"] = dump(meta)
    files["sources.yaml"] = dump({"references": [draw(source(mix, i, source_ids)) for i in source_ids]})
    for cid in claim_ids:
        files[f"evidence/{cid}.yaml"] = dump(draw(claim(mix, cid, source_ids, levels)))
    if draw(st.booleans()):
        sections = draw(st.lists(st.sampled_from(["bottom_line", "why_it_matters", "implications", "policy_options",
                                                  "other_notes"]), min_size=1, max_size=3, unique=True))
        ids = iter(range(100))
        analysis = {}
        for section in sections:
            analysis[section] = []
            for _ in range(draw(st.integers(1, 2))):
                j = {"id": f"j{next(ids)}", "text": draw(TEXT),
                     "rests_on": [mix.ident(claim_ids) for _ in range(draw(st.integers(0, 2)))]}
                mix.maybe(j, "title", TEXT, 0.3)
                mix.maybe(j, "audiences", st.lists(st.sampled_from(AUDIENCES), min_size=1, max_size=2), 0.3,
                          st.just(["board-x"]))
                analysis[section].append(j)
        files["analysis.yaml"] = dump(analysis)
    if draw(st.booleans()):
        chart_ids = draw(st.lists(st.sampled_from(CHART_IDS), min_size=mix(st.just(1), st.just(0)), max_size=4,
                                  unique=True))
        if chart_ids and mix(st.just(False), st.just(True)):
            chart_ids.append(chart_ids[0])  # a duplicate id
        charts = []
        for cid in chart_ids:
            c = {"id": cid, "kind": draw(st.sampled_from(CHART_KINDS)), "title": draw(SOME_TEXT)}
            mix.maybe(c, "caption", TEXT, 0.3)
            if c["kind"] == "bar":
                mix.maybe(c, "metrics", st.lists(st.sampled_from(METRICS), max_size=2))
                mix.maybe(c, "log_scale", st.booleans())
            mix.maybe(c, "tags", st.lists(st.sampled_from(TAGS), min_size=1, max_size=1), 0.2)
            charts.append(c)
        files["charts.yaml"] = dump({"charts": charts})
    return files, audience


def write(root: Path, files: dict[str, str]) -> Path:
    """Write the drawn files under root."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    (root / "evidence").mkdir(parents=True, exist_ok=True)
    return root


def _scalar(value) -> str:
    if isinstance(value, Raw):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if "e" in repr(value) or "." in repr(value) else f"{value!r}.0"
    # JSON's double-quoted strings are YAML double-quoted scalars (the characters are printable, never escaped).
    return json.dumps(value, ensure_ascii=False)


def _lines(value, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        out = []
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{k}:")
                out += _lines(v, indent + 2)
            else:
                out.append(f"{pad}{k}: {_lines(v, 0)[0]}")
        return out
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            inner = _lines(item, indent + 2)
            out.append(f"{pad}- {inner[0][indent + 2:]}")
            out += inner[1:]
        return out
    return [pad + _scalar(value)]


def dump(value) -> str:
    """Block-style YAML text of value, with Raw scalars written verbatim."""
    return "\n".join(_lines(value, 0)) + "\n"
