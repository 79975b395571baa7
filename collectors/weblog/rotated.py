"""Rotated pieces of a followed log: finding which one holds some content, and reading one to its end.

Log rotation leaves the file's older contents beside it as ``access.log.1``,
``access.log.2.gz`` (or ``access.log-20240101[.gz]`` with logrotate's ``dateext``).
``find_content`` looks for a content identity in the file and those pieces (newest
first, gzip decompressed); ``pieces_after`` lists the pieces written after a given one,
oldest first; ``Rotated`` reads a piece (plain or gzip) from an offset to its end, a
bounded read at a time, keeping its position for the checkpoint.
"""

from __future__ import annotations

import gzip
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from collectors.weblog.identity import GZIP_MAGIC, ContentId, file_id, read_head, rotation_order

log = logging.getLogger(__name__)


def siblings(path: Path) -> list[Path]:
    """Rotated pieces of ``path`` beside it, oldest first."""
    try:
        names = [p.name for p in path.parent.iterdir()]
    except OSError:
        return []
    ranked = [(key, name) for name in names if (key := rotation_order(name, path.name)) is not None]
    return [path.parent / name for _, name in sorted(ranked)]


def find_content(path: Path, content: ContentId | None, dev: int, ino: int, *,
                 exclude_live: bool = False) -> Path | None:
    """The file (``path`` or a rotated piece, newest first) holding ``content``; by device and inode without one."""
    candidates = ([] if exclude_live else [path]) + siblings(path)[::-1]
    for c in candidates:
        try:
            if content is not None:
                if content.matches(read_head(c)):
                    return c
            elif ino:
                st = c.stat()
                if (st.st_dev, st.st_ino) == (dev, ino):
                    return c
        except (OSError, EOFError):
            continue
    return None


def pieces_after(path: Path, piece: Path) -> list[Path]:
    """The rotated pieces of ``path`` newer than ``piece``, oldest first (the live file not included)."""
    pieces = siblings(path)
    return pieces[pieces.index(piece) + 1:] if piece in pieces else []


@dataclass
class ReadRecord:
    """Content read since the last checkpoint, for the registry (``store.files``)."""

    key: str     # ContentId.key
    path: str
    offset: int  # bytes of it read from its start
    lines: int


class Rotated:
    """One piece read from ``offset`` (in its decompressed content) to its end."""

    def __init__(self, path: Path, offset: int, content: ContentId | None) -> None:
        self.path, self.offset, self.content = path, offset, content
        self.done = False
        self.lines = 0
        self._f: BinaryIO | None = None
        self._carry = b""
        self._stat: os.stat_result | None = None

    def _open(self) -> BinaryIO:
        with self.path.open("rb") as raw:
            gz = raw.read(2) == GZIP_MAGIC
        f: BinaryIO = gzip.open(self.path, "rb") if gz else self.path.open("rb")  # type: ignore[assignment]  # noqa: SIM115
        self._stat = os.fstat(f.fileno()) if not gz else self.path.stat()
        if self.content is None:
            self.content = file_id(self.path)
        f.seek(self.offset)
        return f

    def read(self, max_bytes: int) -> list[str]:
        """Up to ``max_bytes`` more of the piece, as whole lines (the last one too, at its end)."""
        if self.done:
            return []
        if self._f is None:
            self._f = self._open()
        data = self._f.read(max_bytes)
        if len(data) < max_bytes:  # the end: what is left is the piece's last line, newline or not
            chunk, self._carry = self._carry + data, b""
            self.done = True
            self._f.close()
            self._f = None
        else:
            data = self._carry + data
            end = data.rfind(b"\n") + 1
            chunk, self._carry = data[:end], data[end:]
        self.offset += len(chunk)
        out = chunk.decode("utf-8", "replace").splitlines()
        self.lines += len(out)
        return out

    def position_state(self) -> dict:
        """The checkpoint while this piece is being read (as ``follow.Position.state``)."""
        try:
            if self.content is None:  # not opened yet: its identity all the same, so a restart finds it
                self.content = file_id(self.path)
            if self._stat is None:
                self._stat = self.path.stat()
        except (OSError, EOFError):
            pass
        st, c = self._stat, self.content
        return {"dev": st.st_dev if st else 0, "ino": st.st_ino if st else 0, "digest": c.digest if c else "",
                "length": c.length if c else 0, "header": c.header if c else 0, "offset": self.offset}

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None

    def records(self) -> list[ReadRecord]:
        """What this piece gave, for the registry of contents read."""
        if self.content is None:
            return []
        return [ReadRecord(self.content.key, str(self.path), self.offset, self.lines)]
