"""Following one log file by descriptor: rotation by rename+create, copytruncate, late creation, restarts.

A file is known by its identity (device, inode and a hash of its first line) and the
byte offset up to which whole lines were read. Only complete lines are returned; a line
still being written stays in the file until its newline arrives (or the file was
rotated away, when the rest is read as it is).
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

HEAD_BYTES = 4096


def head_hash(data: bytes) -> str:
    """Hash of a file's first line (or first 4 KiB); "" while the file has no full line yet."""
    nl = data.find(b"\n")
    if nl < 0:
        return ""
    return hashlib.sha1(data[: nl + 1]).hexdigest()[:16]


def _read_head(fd: int) -> str:
    return head_hash(os.pread(fd, HEAD_BYTES, 0))


class FollowedFile:
    def __init__(self, path: Path, *, max_bytes: int = 8 << 20, from_end: bool = False) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.fd: int | None = None
        self.dev = self.ino = 0
        self.head = ""
        self.offset = 0
        self.from_end = from_end
        self.problem: str | None = None  # last problem, for the Sources page

    # -- identity ----------------------------------------------------------------------------
    def state(self) -> dict:
        return {"dev": self.dev, "ino": self.ino, "head": self.head, "offset": self.offset}

    def restore(self, data: dict) -> list[str]:
        """Resume from a checkpoint; returns lines of the old file if it was rotated meanwhile."""
        self.dev, self.ino = int(data.get("dev", 0)), int(data.get("ino", 0))
        self.head, self.offset = str(data.get("head", "")), int(data.get("offset", 0))
        self.from_end = False
        lines: list[str] = []
        try:
            st = self.path.stat()
        except OSError:
            st = None
        if st is not None and (st.st_dev, st.st_ino) == (self.dev, self.ino):
            return lines
        rotated = self._find_rotated()
        if rotated is not None:
            try:
                self.fd = os.open(rotated, os.O_RDONLY)
                if _read_head(self.fd) == self.head or not self.head:
                    lines = self._drain_old()
            except OSError as exc:
                log.warning("accesslog: cannot read rotated %s (%s); lines after offset %d are lost", rotated, exc,
                            self.offset)
            self._close()
        self.dev = self.ino = 0
        self.head, self.offset = "", 0
        return lines

    def _find_rotated(self) -> Path | None:
        """A sibling (``access.log.1``...) that is the file the checkpoint was taken on."""
        try:
            siblings = [p for p in self.path.parent.iterdir() if p.name.startswith(self.path.name) and p != self.path]
        except OSError:
            return None
        for p in siblings:
            try:
                st = p.stat()
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == (self.dev, self.ino):
                return p
        return None

    # -- reading -----------------------------------------------------------------------------
    def _close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _open(self, st: os.stat_result) -> bool:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            self.problem = f"cannot open {self.path}: {exc}"
            return False
        fst = os.fstat(fd)
        head = _read_head(fd)
        same = (fst.st_dev, fst.st_ino) == (self.dev, self.ino) and (not self.head or head == self.head)
        if not same:
            self.dev, self.ino, self.head = fst.st_dev, fst.st_ino, head
            self.offset = fst.st_size if self.from_end else 0
        self.from_end = False
        self.fd = fd
        self.problem = None
        return True

    def _read(self, final: bool = False) -> list[str]:
        assert self.fd is not None
        out: list[str] = []
        while True:
            data = os.pread(self.fd, self.max_bytes, self.offset)
            if not data:
                break
            end = data.rfind(b"\n")
            if end < 0:
                if final or len(data) >= self.max_bytes:  # finished file, or one absurdly long line
                    end = len(data) - 1
                else:
                    break
            chunk = data[: end + 1]
            if not self.head and self.offset == 0:
                self.head = head_hash(chunk)
            self.offset += len(chunk)
            out.extend(chunk.decode("utf-8", "surrogateescape").splitlines())
            if len(data) < self.max_bytes:
                if final and end + 1 < len(data):
                    continue
                break
        return out

    def _read_copy(self) -> list[str]:
        """After copytruncate: the rest of our file from its copy (same first line), so no line is lost."""
        try:
            siblings = [p for p in self.path.parent.iterdir() if p.name.startswith(self.path.name) and p != self.path]
        except OSError:
            return []
        for p in sorted(siblings, key=lambda q: q.stat().st_mtime, reverse=True):
            try:
                with p.open("rb") as f:
                    if head_hash(f.read(HEAD_BYTES)) != self.head or not self.head:
                        continue
                    f.seek(self.offset)
                    rest = f.read()
            except OSError:
                continue
            return rest.decode("utf-8", "surrogateescape").splitlines()
        return []

    def _drain_old(self) -> list[str]:
        return self._read(final=True)

    def poll(self) -> list[str]:
        """Complete lines appended since the last call (from the old file first after a rotation)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            st = None
        except OSError as exc:
            self.problem = f"cannot stat {self.path}: {exc}"
            return []
        lines: list[str] = []
        if self.fd is not None:
            fst = os.fstat(self.fd)
            if st is None or (st.st_dev, st.st_ino) != (fst.st_dev, fst.st_ino):
                # renamed away (and maybe recreated): finish the old file, then switch
                lines = self._drain_old()
                self._close()
                self.dev = self.ino = 0
                self.head, self.offset = "", 0
            else:
                if fst.st_size < self.offset or (self.offset and _read_head(self.fd) not in ("", self.head)):
                    log.info("accesslog: %s was truncated; reading it from the start", self.path)
                    lines = self._read_copy()
                    self.offset = 0
                    self.head = _read_head(self.fd)
                return lines + self._read()
        if st is None:
            if self.problem is None:
                self.problem = f"{self.path} does not exist yet; waiting for it"
            return lines
        if self._open(st):
            if st.st_size < self.offset:
                self.offset = 0
            lines.extend(self._read())
        return lines

    def close(self) -> None:
        self._close()
