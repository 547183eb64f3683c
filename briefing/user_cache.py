"""The user's private cache folder: where a new process finds work an earlier one did (compiled templates).

Only code-free data may live in a workspace's out/ (anyone who can write there could replace it).
Compiled templates are code, so they live under the user's own cache folder ($XDG_CACHE_HOME, else
~/.cache), in a folder this user owns and no one else may write, as Python's own bytecode lives
beside the interpreter: whoever can replace them could already replace the user's programs.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def cache_root() -> Path:
    """$XDG_CACHE_HOME/briefing, else ~/.cache/briefing (not created)."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "briefing"


def private_folder(*parts: str) -> Path | None:
    """A folder under `cache_root()` that only this user can write, made if missing; None where that cannot be
    made sure of (no such folder, another owner, a link, open permissions), and the caller then keeps nothing."""
    if not hasattr(os, "getuid"):  # no owner to check (Windows): keep nothing rather than guess
        return None
    root = cache_root()
    folder = root.joinpath(*parts)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for path in (root, *(root.joinpath(*parts[:i + 1]) for i in range(len(parts)))):
            st = os.lstat(path)
            if st.st_uid != os.getuid() or not stat.S_ISDIR(st.st_mode) or st.st_mode & 0o022:
                return None
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        return None
    return folder
