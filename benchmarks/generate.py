"""Make a synthetic workspace of N evidence items, valid under `briefing check`, for the scale benchmark.

    python benchmarks/generate.py 600 /tmp/ws600

The workspace looks like a real one at scale: one claim per file at every confidence level, each
citing sources whose `derived_from` chains relay a smaller set of origins; dated claims with actors,
figures (bar chart), events (timeline), disputes, caveats and tags; judgements in analysis.yaml
resting on claims; and the three chart kinds in charts.yaml. Output is deterministic for a given N.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

ACTORS = ["Northwind", "Bluepeak", "Coralbay", "Dunmore", "Eastgate", "Fairhold", "Glenrock", "Harrow"]
METRICS = {"exchanges": "exchanges", "accounts": "accounts"}
WORDS = ("model capability distillation access traffic account campaign frontier query output lab "
         "export control policy evidence reported analysts regulator contract terms service rival "
         "estimate volume agentic coding reasoning weights training cost lead months filing").split()
MAX_EVENTS = 40  # a timeline shows tens of events, not thousands
LEVELS = ("high", "moderate", "low", "unsubstantiated")


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _date(i: int) -> str:
    # Spread over 30 months, 2024-01 to 2026-06; a day in every month that has one.
    month = i % 30
    return f"{2024 + month // 12}-{month % 12 + 1:02d}-{i % 28 + 1:02d}"


def sources(n_items: int) -> list[dict]:
    """Origins (interested primaries, disinterested analyses) and news items relaying them."""
    n = max(8, -(-n_items // 16) * 4)  # blocks of four: primary, analysis, and two news relaying the primary
    out = []
    for i in range(n):
        sid = f"src-{i:05d}"
        role = i % 4
        s = {"id": sid, "type": "report", "title": f"Report {i} on {WORDS[i % len(WORDS)]}",
             "issued": _date(i), "URL": f"https://example.org/r/{i}"}
        if role == 0:
            s.update(kind="primary", interested=True, publisher=ACTORS[i % len(ACTORS)])
        elif role == 1:
            s.update(kind="analysis", publisher="Independent Review")
        else:
            # News relays the primary before it: chains of length one or two.
            s.update(type="article-newspaper", kind="news", **{"container-title": f"Daily {i % 7}"})
            s["derived_from"] = [f"src-{(i - role):05d}"] if role == 2 else [f"src-{i - 1:05d}"]
        out.append(s)
    return out


def _cited(i: int, level: str, n_src: int) -> list:
    """Sources that satisfy the level's rule: two origins, one disinterested, for `high`."""
    block = (i // 4) % (n_src // 4) * 4  # four consecutive items, one per level, share a block
    primary, analysis, news, relay = (f"src-{block + k:05d}" for k in range(4))
    if level == "high":
        return [{"id": analysis, "locator": "section 2"}, primary, news]
    return [news] if level == "moderate" else [relay] if level == "low" else [primary]


def item(i: int, n_items: int, n_src: int, rng: random.Random) -> dict:
    """One evidence file's content."""
    level = LEVELS[i % len(LEVELS)]
    src = _cited(i, level, n_src)
    first = src[0]["id"] if isinstance(src[0], dict) else src[0]
    accuser, accused = ACTORS[i % len(ACTORS)], ACTORS[(i + 3) % len(ACTORS)]
    d = {"id": f"item-{i:05d}", "title": _sentence(rng, 6)[:-1], "claim": _sentence(rng, 40),
         "date": _date(i), "confidence": level, "sources": src,
         "actors": [{"name": accuser, "role": "accuser"}, {"name": accused, "role": "accused"}],
         "tags": [f"topic-{i % 12}"]}
    if level != "high":
        d["reason"] = _sentence(rng, 10)
    if i % 10 == 0:
        metric = "exchanges" if i % 20 == 0 else "accounts"
        # One value per actor and metric, so sources agree (disagreement is a warning per pair).
        value = (ACTORS.index(accused) + 1) * (1_000_000 if metric == "exchanges" else 1_000)
        d["figures"] = [{"metric": metric, "actor": accused, "value": value, "unit": METRICS[metric],
                         "approx": True, "source": first}]
    if level == "moderate" and i % 3 == 0:
        d["disputes"] = [{"by": accused, "text": _sentence(rng, 8), "source": first}]
    if i % 5 == 1:
        d["caveats"] = [_sentence(rng, 12)]
    step = max(1, n_items // MAX_EVENTS)
    if i % step == 0 and i // step < MAX_EVENTS:
        d["event"] = f"Event {i // step + 1}: {WORDS[i % len(WORDS)]}"
    return d


def analysis(n_items: int) -> dict:
    """Judgements, each resting on a handful of claims."""
    def judgements(prefix: str, k: int) -> list[dict]:
        return [{"id": f"{prefix}-{j}", "title": f"Judgement {j}", "text": " ".join(WORDS[j:j + 20]) + ".",
                 "rests_on": [f"item-{(j * 7 + m) % n_items:05d}" for m in range(4)]} for j in range(k)]

    return {"bottom_line": judgements("bl", 3), "why_it_matters": judgements("why", 2),
            "implications": judgements("imp", 3)}


CHARTS = {"charts": [
    {"id": "extraction-scale", "kind": "bar", "title": "Reported extraction by actor",
     "caption": "Figures reported for each actor.", "metrics": ["exchanges", "accounts"], "log_scale": True},
    {"id": "timeline", "kind": "timeline", "title": "Events", "caption": "Dated events in the evidence."},
    {"id": "confidence-profile", "kind": "confidence", "title": "Confidence profile",
     "caption": "Claims at each confidence level."},
]}


def generate(n_items: int, root: Path, *, audience: str | None = None) -> Path:
    """Write the workspace into `root` (created; must not hold another workspace) and return it."""
    root = Path(root)
    (root / "evidence").mkdir(parents=True, exist_ok=True)
    rng = random.Random(n_items)
    srcs = sources(n_items)
    meta = {"title": f"Synthetic briefing of {n_items} claims", "date": "2026-06-30", "edition": "1",
            "organisation": "Benchmark Unit", "marking": "For internal use"}
    if audience:
        meta["audience"] = audience

    def dump(rel: str, data) -> None:
        (root / rel).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100),
                                encoding="utf-8")

    dump("briefing.yaml", meta)
    dump("sources.yaml", {"references": srcs})
    dump("analysis.yaml", analysis(n_items))
    dump("charts.yaml", CHARTS)
    for i in range(n_items):
        dump(f"evidence/item-{i:05d}.yaml", item(i, n_items, len(srcs), rng))
    return root


def main(argv: list[str] | None = None) -> int:
    """Command line: generate N DIR [--audience NAME]."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("items", type=int, help="number of evidence items")
    p.add_argument("dir", type=Path, help="folder to write the workspace into")
    p.add_argument("--audience", help="the default audience written to briefing.yaml")
    args = p.parse_args(argv)
    print(generate(args.items, args.dir, audience=args.audience))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
