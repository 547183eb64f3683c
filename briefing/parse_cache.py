"""pandoc's parse of each part of the briefing, kept by a digest of everything pandoc read.

A part is a few kB of the composed Markdown (pandoc.chunks cuts it), so after one edit a build parses
one part again and reads the rest from here: from the warm process's memory (watch), else from the
output folder's cache (`out/.cache/parses`), which the next `briefing build` reads.
"""

from __future__ import annotations

import os
import tempfile
from collections import OrderedDict
from pathlib import Path

MEMORY_BYTES = 64 * 1024 * 1024  # pandoc's JSON a warm process keeps: the default briefing's is 0.3 MB
MAX_FILES = 512  # parts kept on disk; the least recently used go first


class ParseCache:
    """pandoc's outputs in memory, by key, the least recently used forgotten beyond a size in bytes.

    Held by a build context (briefing/context.py), never by the module, so two builds share it only
    when their caller says so.
    """

    def __init__(self, max_bytes: int = MEMORY_BYTES) -> None:
        self._max = max_bytes
        self._size = 0
        self._out: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        """The output stored under `key`, if any."""
        out = self._out.get(key)
        if out is not None:
            self._out.move_to_end(key)
        return out

    def put(self, key: str, out: bytes) -> None:
        """Store `out`, forgetting the least recently used beyond the size."""
        self.drop(key)
        self._out[key] = out
        self._size += len(out)
        while self._size > self._max and len(self._out) > 1:
            self._size -= len(self._out.popitem(last=False)[1])

    def drop(self, key: str) -> None:
        """Forget `key` (a damaged output)."""
        old = self._out.pop(key, None)
        if old is not None:
            self._size -= len(old)


class PartStore:
    """Parts' outputs in a warm process's memory and in a folder on disk; either may be absent."""

    def __init__(self, folder: Path | None, memory: ParseCache | None = None, max_files: int = MAX_FILES) -> None:
        self.folder = Path(folder) if folder is not None else None
        self._memory = memory
        self._max_files = max_files

    def get(self, key: str) -> bytes | None:
        """The stored output, from memory, else from disk; None if neither has it."""
        out = self._memory.get(key) if self._memory is not None else None
        if out is not None or self.folder is None:
            return out
        path = self.folder / f"{key}.json"
        try:
            out = path.read_bytes()
            os.utime(path)  # recently used: kept when the folder is pruned
        except OSError:
            return None
        if self._memory is not None:
            self._memory.put(key, out)
        return out

    def put(self, key: str, out: bytes) -> None:
        """Store an output; a folder that cannot be written only costs a later parse."""
        if self._memory is not None:
            self._memory.put(key, out)
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=self.folder)
            with os.fdopen(fd, "wb") as f:
                f.write(out)
            os.replace(tmp, self.folder / f"{key}.json")
        except OSError:
            pass

    def drop(self, key: str) -> None:
        """Forget a damaged output, in memory and on disk."""
        if self._memory is not None:
            self._memory.drop(key)
        if self.folder is not None:
            (self.folder / f"{key}.json").unlink(missing_ok=True)

    def prune(self) -> None:
        """Remove the least recently used files beyond the limit (each edit of a part leaves one behind)."""
        if self.folder is None:
            return
        try:
            files = [(e.stat().st_mtime_ns, e.path) for e in os.scandir(self.folder)
                     if e.name.endswith(".json") and not e.name.startswith(".")]
        except OSError:
            return
        for _, path in sorted(files)[:max(len(files) - self._max_files, 0)]:
            try:
                os.unlink(path)
            except OSError:
                pass  # another build removed it first
