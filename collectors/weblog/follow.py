"""Following one log file: rotation by rename, rename + gzip, copytruncate, late creation, restarts.

As Filebeat and Fluent Bit do, the file being read is known by its content
(``collectors.weblog.identity``: a hash of its first bytes after the header lines)
together with its device and inode, and by the byte offset up to which whole lines were
read (``Position``, the checkpoint). Only complete lines are returned; a line still being
written stays in the file until its newline arrives (or the file was rotated away, when
the rest is read as it is).

On a restart, the checkpointed content is looked for in the file and in its rotated
siblings (``access.log.1``, ``access.log.2.gz``, ``access.log-20240101``), plain or
gzipped: the piece holding it is read from the offset to its end, then every newer
piece from its start, then the live file: rename, rename + gzip, copytruncate and
several rotations while the worker was stopped are all caught up (``Rotated``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from collectors.weblog.identity import HEADER_BYTES, IDENTITY_BYTES, ContentId, content_id
from collectors.weblog.rotated import ReadRecord, Rotated, find_content, pieces_after

log = logging.getLogger(__name__)


@dataclass
class Position:
    """Which content is being read, on which device and inode, and up to which byte."""

    dev: int = 0
    ino: int = 0
    digest: str = ""  # ContentId.digest, "" before the file has data
    length: int = 0   # bytes the digest covers
    header: int = 0
    offset: int = 0

    @property
    def content(self) -> ContentId | None:
        return ContentId(self.digest, self.length, self.header) if self.digest else None

    def state(self) -> dict:
        return asdict(self)

    @classmethod
    def from_state(cls, data: dict) -> Position:
        known = {k: data[k] for k in ("dev", "ino", "digest", "length", "header", "offset") if k in data}
        pos = cls(**{k: (str(v) if k == "digest" else int(v)) for k, v in known.items()})  # type: ignore[arg-type]
        return pos


def split_lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "surrogateescape").splitlines()


class FollowedFile:
    def __init__(self, path: Path, *, max_bytes: int = 8 << 20, from_end: bool = False,
                 stored: Callable[[str], int] | None = None) -> None:
        self.path = Path(path)
        self.stored = stored  # bytes of a content (by ContentId.key) already stored by ``ingest``
        self.max_bytes = max_bytes
        self.fd: int | None = None
        self.pos = Position()
        self.from_end = from_end
        self.problem: str | None = None  # last problem, for the Sources page
        self.backlog: list[Rotated] = []  # rotated pieces to read before the live file (after a restart)
        self.caught_up = True              # the last poll read everything there was
        self.read: dict[str, ReadRecord] = {}
        self._lines_in_content = 0

    # -- checkpoints -------------------------------------------------------------------------
    def state(self) -> dict:
        if self.backlog:  # still catching up: the piece being read is the position
            return self.backlog[0].position_state()
        return self.pos.state()

    def restore(self, data: dict) -> None:
        """Resume from a checkpoint: the content it names is found (in the file or a rotated piece) and caught up."""
        pos = Position.from_state(data)
        self.from_end = False
        found = find_content(self.path, pos.content, pos.dev, pos.ino)
        if found is None:
            if pos.offset:
                log.warning("accesslog: the content %s was reading (offset %d) is neither in it nor in a rotated "
                            "piece beside it; reading %s from its start", self.path, pos.offset, self.path)
            return
        if found == self.path:
            self.pos = pos
            return
        self.backlog = [Rotated(found, pos.offset, pos.content), *(Rotated(p, 0, None)
                                                                   for p in pieces_after(self.path, found))]
        log.info("accesslog: %s was rotated while stopped; catching up from %s (offset %d) and %d newer piece(s)",
                 self.path, found.name, pos.offset, len(self.backlog) - 1)

    # -- reading -----------------------------------------------------------------------------
    def _close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _identity(self) -> ContentId | None:
        assert self.fd is not None
        return content_id(os.pread(self.fd, HEADER_BYTES + IDENTITY_BYTES, 0))

    def _open(self) -> bool:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            self.problem = f"cannot open {self.path}: {exc}"
            return False
        self.fd = fd
        fst = os.fstat(fd)
        head = os.pread(fd, HEADER_BYTES + IDENTITY_BYTES, 0)
        cid = content_id(head)
        known = self.pos.content
        same = (known.matches(head) if known is not None
                else (fst.st_dev, fst.st_ino) == (self.pos.dev, self.pos.ino) and self.pos.ino != 0)
        if not same or fst.st_size < self.pos.offset:
            offset = fst.st_size if self.from_end else self._ingested(fd, cid)
            self.pos = Position(fst.st_dev, fst.st_ino, offset=offset)
            self._lines_in_content = 0
        self.pos.dev, self.pos.ino = fst.st_dev, fst.st_ino
        self._learn(cid)
        self.from_end = False
        self.problem = None
        return True

    def _ingested(self, fd: int, cid: ContentId | None) -> int:
        """Where to start new content: after what ``ingest`` already stored of it (at a line's end), else 0."""
        done = self.stored(cid.key) if self.stored is not None and cid is not None else 0
        if done and os.pread(fd, 1, done - 1) == b"\n":
            log.info("accesslog: the first %d bytes of %s were stored by ingest; reading on from there", done,
                     self.path)
            return done
        return 0

    def _learn(self, cid: ContentId | None) -> None:
        """Take the content identity as it grows (a file shorter than IDENTITY_BYTES has a shorter one)."""
        if cid is not None and cid.length > self.pos.length:
            self.pos.digest, self.pos.length, self.pos.header = cid.digest, cid.length, cid.header

    def _read(self, final: bool = False) -> list[str]:
        assert self.fd is not None
        out: list[str] = []
        while True:
            data = os.pread(self.fd, self.max_bytes, self.pos.offset)
            if not data:
                break
            end = data.rfind(b"\n")
            if end < 0:
                if final or len(data) >= self.max_bytes:  # finished file, or one absurdly long line
                    end = len(data) - 1
                else:
                    break
            chunk = data[: end + 1]
            self.pos.offset += len(chunk)
            out.extend(split_lines(chunk))
            if len(data) < self.max_bytes:
                if final and end + 1 < len(data):
                    continue
                break
            if not final:
                self.caught_up = False  # more than one read's worth waits: the next poll goes on
                break
        if self.pos.length < IDENTITY_BYTES:
            self._learn(self._identity())
        self._note(out)
        return out

    def _note(self, lines: list[str]) -> None:
        self._lines_in_content += len(lines)
        cid = self.pos.content
        if cid is not None and lines:
            self.read[cid.key] = ReadRecord(cid.key, str(self.path), self.pos.offset, self._lines_in_content)

    def _read_copy(self) -> list[str]:
        """After copytruncate: the rest of our content from its copy, so no line is lost."""
        known = self.pos.content
        found = find_content(self.path, known, 0, 0, exclude_live=True) if known is not None else None
        if found is None:
            return []
        piece = Rotated(found, self.pos.offset, known)
        lines: list[str] = []
        while not piece.done:
            lines.extend(piece.read(self.max_bytes))
        return lines

    def _read_backlog(self) -> list[str]:
        """One bounded read of the oldest piece still to read (and the next ones, as each ends)."""
        lines: list[str] = []
        while self.backlog:
            piece = self.backlog[0]
            try:
                lines.extend(piece.read(self.max_bytes))
            except (OSError, EOFError) as exc:
                log.warning("accesslog: cannot read the rotated piece %s (%s); going on with the next", piece.path,
                            exc)
                piece.done = True
            if piece.done:
                for rec in piece.records():
                    self.read[rec.key] = rec
                self.backlog.pop(0)
            else:
                self.caught_up = False
                return lines
        return lines

    def poll(self) -> list[str]:
        """Complete lines appended since the last call (rotated pieces first, after a restart or a rotation)."""
        self.caught_up = True
        if self.backlog:
            lines = self._read_backlog()
            if self.backlog:
                return lines
        else:
            lines = []
        try:
            st = self.path.stat()
        except FileNotFoundError:
            st = None
        except OSError as exc:
            self.problem = f"cannot stat {self.path}: {exc}"
            return lines
        if self.fd is not None:
            fst = os.fstat(self.fd)
            if st is None or (st.st_dev, st.st_ino) != (fst.st_dev, fst.st_ino):
                # renamed away (and maybe recreated, or gzipped): finish the old file, then switch
                lines.extend(self._read(final=True))
                self._close()
                self.pos = Position()
                self._lines_in_content = 0
            else:
                known = self.pos.content
                head = os.pread(self.fd, HEADER_BYTES + IDENTITY_BYTES, 0)
                if fst.st_size < self.pos.offset or (known is not None and not known.matches(head) and head):
                    log.info("accesslog: %s was truncated; reading it from the start", self.path)
                    lines.extend(self._read_copy())
                    self.pos = Position(fst.st_dev, fst.st_ino)
                    self._lines_in_content = 0
                return lines + self._read()
        if st is None:
            if self.problem is None:
                self.problem = f"{self.path} does not exist yet; waiting for it"
            return lines
        if self._open():
            lines.extend(self._read())
        return lines

    def close(self) -> None:
        self._close()
        for piece in self.backlog:
            piece.close()

