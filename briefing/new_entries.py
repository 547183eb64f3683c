"""`briefing new evidence` and `briefing new source`: fill-in-the-blanks entries that never overwrite anything.

Placeholders read TODO; `briefing check` reports any TODO left as an error, so a scaffold can never
reach a reader half filled in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import tempfile
from pathlib import Path

from .atomic import write_text
from .errors import BriefingError
from .spec import ID_RE
from .workspace import load_scale
from .yamlsafe import Scalar, YamlError, YList, YMap, parse, read_text

PACKAGE_SCHEMA = Path(__file__).resolve().parent / "schema"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-")


def _fresh(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`… whichever is not taken."""
    n, candidate = 1, base
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _check_id(value: str, what: str) -> str:
    if not ID_RE.match(value):
        raise BriefingError(f"--id '{value}' is not a valid {what} id (letters, digits, and _ . : -; no spaces)")
    return value


def _workspace(root: Path) -> Path:
    root = Path(root)
    if not (root / "briefing.yaml").is_file():
        raise BriefingError("no briefing.yaml: is this a workspace? (create one with `briefing init DIR`)",
                            str(root / "briefing.yaml"))
    return root


def _yaml_text(value: str) -> str:
    """A value as a YAML scalar: a JSON string is always valid YAML."""
    return json.dumps(" ".join(value.split()), ensure_ascii=False)


def schema_ref(root: Path, name: str, folder: str = "evidence") -> str:
    """The schema path an editor resolves from a file in `folder`: the workspace's schema/, else the package's."""
    own = root / "schema" / name
    target = own if own.is_file() or (root / "schema").is_dir() else PACKAGE_SCHEMA / name
    with contextlib.suppress(ValueError):  # a different drive (Windows): fall back to the absolute path
        return Path(os.path.relpath(target.resolve(), (root / folder).resolve())).as_posix()
    return target.resolve().as_posix()


def _evidence_ids(root: Path) -> set[str]:
    """Every evidence id and file stem in use (read leniently: the workspace may be half edited)."""
    folder = root / "evidence"
    taken = set()
    if folder.is_dir():
        for path in folder.iterdir():
            taken.add(path.stem)
            if path.suffix in (".yaml", ".yml") and path.is_file():
                with contextlib.suppress(OSError, UnicodeError):
                    m = re.search(r"^id:\s*['\"]?([^'\"\s#]+)", path.read_text("utf-8"), re.M)
                    if m:
                        taken.add(m.group(1))
    return taken


def _levels(root: Path) -> list[str]:
    scale = load_scale(root, [])
    return list(scale.keys) if scale else ["high", "moderate", "low", "unsubstantiated"]


EVIDENCE = """\
# yaml-language-server: $schema={schema}
# A new claim, scaffolded by `briefing new evidence`. Replace every TODO, then run `briefing check`
# (it refuses to build while a TODO is left). docs/evidence-format.md explains each field.
id: {id}  # stable and unique: editions track claims by id, so keep it once published
title: {title}
claim: >
  TODO the claim in your own words: who says what, about whom, and when.
date: {date}  # of the event or the report: 2026-06-30, 2026-06 or 2026
confidence: TODO  # one of: {levels}; the sources must support it
reason: >
  TODO why this confidence: how many independent origins, and whether any has a stake.
  A reason is required whenever the confidence changes between editions.
sources:  # ids from sources.yaml (`briefing new source` adds one)
  - id: TODO-source-id
  #   locator: "a short quote or a page"
  # - another-source-id
# Optional fields: uncomment those that apply.
# actors:
#   - {{name: Anthropic, role: accuser}}
# figures:  # numbers, each with the source that reports it
#   - {{metric: exchanges, actor: Example Lab, value: 1000000, unit: exchanges, approx: true, source: source-id}}
# disputes:
#   - {{by: Example Lab, text: Denies the allegation., source: source-id}}
# caveats:
#   - A caveat the reader must keep in mind.
# tags: [{tag}]
# section: not_shown  # documented | alleged | not_shown: only ever less certain than the level puts it
# event: A short label  # puts the claim on the timeline
"""


def new_evidence(root: Path, eid: str | None = None, title: str = "",
                 today: dt.date | None = None) -> tuple[Path, int]:
    """Create evidence/<id>.yaml from the template; returns its path and the line of the first TODO."""
    root = _workspace(root)
    today = today or dt.date.today()  # the scaffold's default date: the one place the clock is read
    taken = _evidence_ids(root)
    if eid:
        eid = _check_id(eid, "evidence")
        if eid in taken:
            raise BriefingError(f"evidence '{eid}' already exists; choose another --id (nothing was written)",
                                f"evidence/{eid}.yaml")
    else:
        eid = _fresh(f"{today:%Y-%m}-{_slug(title) or 'new-claim'}", taken)
    text = EVIDENCE.format(
        schema=schema_ref(root, "evidence.schema.json"), id=eid, date=today.isoformat(),
        title=_yaml_text(title) if title.strip() else "TODO a short title",
        levels=", ".join(_levels(root)), tag=f"{today:%Y-%m}")
    path = root / "evidence" / f"{eid}.yaml"
    _create(path, text)
    return path, _first_todo(text)


def _first_todo(text: str) -> int:
    return next((n for n, line in enumerate(text.splitlines(), 1)
                 if "TODO" in line and not line.lstrip().startswith("#")), 1)


def _create(path: Path, text: str) -> None:
    """Write a new file atomically, refusing to replace one that exists (even one created meanwhile)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise BriefingError(f"cannot write: {exc.strerror or exc}", str(path)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.link(tmp, path)  # atomic, and fails if the name exists: no window in which we could clobber
    except FileExistsError:
        raise BriefingError(f"{path.name} already exists; nothing was written", str(path)) from None
    except OSError as exc:
        raise BriefingError(f"cannot write: {exc.strerror or exc}", str(path)) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


SOURCE = """\

{i}# Added by `briefing new source`: replace every TODO, then cite `{id}` from evidence.
{i}- id: {id}
{i}  type: webpage  # a CSL type: article-newspaper, post-weblog, report, webpage …
{i}  title: {title}
{i}  container-title: TODO the outlet  # newspaper, site or journal
{i}  issued: {date}  # publication date: 2026-06-30, 2026-06 or 2026
{i}  URL: https://example.org/TODO
{i}  kind: news  # primary | news | analysis | academic | filing | commentary
{i}  # publisher: The publisher
{i}  # author:
{i}  #   - {{family: Surname, given: Given}}  # or - literal: An Organisation
{i}  # interested: true  # the publisher is a party to what it reports
{i}  # derived_from: [source-id]  # it merely relays that source: no independent origin
{i}  # retracted: "why"  # retracted or discredited: claims resting on it are capped
"""

NEW_SOURCES_FILE = """\
# yaml-language-server: $schema={schema}
# Every document the evidence cites, in CSL YAML plus kind, interested, derived_from and retracted.
references:
"""


def new_source(root: Path, sid: str | None = None, title: str = "",
               today: dt.date | None = None) -> tuple[Path, int, str]:
    """Append a source entry to sources.yaml, keeping the file's text; returns path, line and the new id."""
    root = _workspace(root)
    today = today or dt.date.today()
    path = root / "sources.yaml"
    if path.exists():
        original, problems = read_text(path, "sources.yaml")
        if original is None:
            p = problems[0]
            raise BriefingError(p.message, p.path, p.line, p.column)
    else:
        original = NEW_SOURCES_FILE.format(schema=schema_ref(root, "sources.schema.json", "."))
    refs, indent = _references(original)
    taken = {str(rid.value) for r in refs if isinstance(r, YMap) and isinstance(rid := r.get("id"), Scalar)}
    if sid:
        sid = _check_id(sid, "source")
        if sid in taken:
            raise BriefingError(f"source '{sid}' already exists; choose another --id (nothing was written)",
                                "sources.yaml")
    else:
        sid = _fresh(_slug(title) or f"source-{today.isoformat()}", taken)
    text = original if original.endswith("\n") or not original else original + "\n"
    entry = SOURCE.format(i=" " * indent, id=sid, date=today.isoformat(),
                          title=_yaml_text(title) if title.strip() else "TODO the title as published")
    if "\r\n" in text:
        entry = entry.replace("\n", "\r\n")  # keep the file's line endings
    new_text = text + entry
    after, _ = _references(new_text)  # the appended text must land in the list, as its last entry
    last = after[-1] if after else None
    if len(after) != len(refs) + 1 or not isinstance(last, YMap) or not isinstance(last_id := last.get("id"), Scalar) \
            or str(last_id.value) != sid:
        raise BriefingError("cannot append to the references list safely; add the entry by hand", "sources.yaml")
    line = len(text.splitlines()) + entry.splitlines().index(f"{' ' * indent}- id: {sid}") + 1
    if path.exists() and path.read_text("utf-8-sig") != original:
        raise BriefingError("sources.yaml changed while the entry was being added; run the command again",
                            "sources.yaml")
    write_text(path, new_text)
    return path, line, sid


def _references(text: str) -> tuple[YList, int]:
    """The parsed references list and the indentation of its dashes; refuses layouts it cannot append to."""
    try:
        tree = parse(text, "sources.yaml")
    except YamlError as fault:
        raise BriefingError(fault.message, "sources.yaml", fault.pos.line, fault.pos.column) from None
    if not isinstance(tree, YMap) or "references" not in tree:
        raise BriefingError("sources.yaml has no `references:` list; add one, then run the command again",
                            "sources.yaml")
    key = tree.key_pos["references"]
    if any(p.line > key.line for k, p in tree.key_pos.items() if k != "references"):
        raise BriefingError("`references:` is not the last key of sources.yaml; move it last to append to it",
                            "sources.yaml", key.line)
    refs = tree["references"]
    if isinstance(refs, Scalar) and refs.is_null and not refs.quoted:
        return YList(), 2
    lines = text.splitlines()
    if not isinstance(refs, YList) or not lines[refs.pos.line - 1].lstrip().startswith("-"):
        raise BriefingError("`references` is not a block list (one `- id:` entry per line); cannot append to it",
                            "sources.yaml", refs.pos.line, refs.pos.column)
    first = lines[refs.pos.line - 1]
    return refs, len(first) - len(first.lstrip())
