"""Arrow helpers of the block engine: a block of bytes as an array of lines, screens, codes and groups.

``lines_array`` makes one Arrow string array of a block's whole lines without copying;
``_valid_lines`` finds lines that are not UTF-8; ``_odd_or_too_long`` the lines the block
parser leaves to the format's own parser; ``_Codes`` interns values as small ints and
``groups`` groups rows by equal values in several columns (the aggregation's group-by).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from collectors.weblog.formats import MAX_LINE

# characters Python's ``\s`` matches but RE2's does not, and the backslash (escaped quotes)
_ODD = r'[\\\x0b\x1c-\x1f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]'
# first bytes of those characters in UTF-8: a line without any of them has none
_ODD_BYTES = np.zeros(256, bool)
_ODD_BYTES[[0x5C, 0x0B, 0x1C, 0x1D, 0x1E, 0x1F, 0xC2, 0xE1, 0xE2, 0xE3]] = True
_ODD_ASCII = [bytes([b]) for b in np.flatnonzero(_ODD_BYTES[:128]).tolist()]
_FIND_AT_MOST = 2_000
_HEAD = r"^\S+ \S+ \S+ \[[^\]]*\] $"
_MIDDLE = r"^ \S+ \S+ $"
_DIGITS = r"^[0-9]{1,18}$"


class _Codes:
    """Interns values as small ints, so columns of strings become numpy arrays of codes."""

    def __init__(self) -> None:
        self.index: dict = {}
        self.values: list = []

    def code(self, value: object) -> int:
        c = self.index.get(value)
        if c is None:
            c = self.index[value] = len(self.values)
            self.values.append(value)
        return c

    def many(self, values: list) -> np.ndarray:
        return np.fromiter((self.code(v) for v in values), np.int64, len(values))


def lines_array(data: bytes) -> pa.StringArray:
    """Whole lines of ``data`` (each keeping its newline, as a text file yields them), as one Arrow array."""
    nb = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(nb == 10) + 1
    if len(data) and data[-1] != 10:
        ends = np.append(ends, len(data))
    offsets = np.concatenate(([0], ends)).astype(np.int32)
    return pa.StringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data))


def _valid_lines(data: bytes) -> tuple[pa.StringArray, bytes, np.ndarray | None]:
    """The lines of ``data``, their bytes, and which lines were not UTF-8 (None: all were).

    A line that is not UTF-8 is counted ``bad_encoding``; its bytes are replaced (``errors="replace"``)
    only so that the block stays one valid Arrow array and its redacted sample can be shown.
    """
    lines = lines_array(data)
    try:
        lines.validate(full=True)  # checks UTF-8 without building a Python str of the block
        return lines, data, None
    except pa.ArrowInvalid:
        pass
    pieces = data.split(b"\n")
    bad = np.zeros(len(pieces), bool)
    for i, piece in enumerate(pieces):
        try:
            piece.decode("utf-8")
        except UnicodeDecodeError:
            bad[i] = True
            pieces[i] = piece.decode("utf-8", "replace").encode("utf-8")
    data = b"\n".join(pieces)
    lines = lines_array(data)
    return lines, data, bad[:len(lines)]


def _odd_or_too_long(lines: pa.StringArray, data: bytes) -> np.ndarray:
    """Lines longer than ``MAX_LINE`` characters or holding an ``_ODD`` character: for the per-line parser.

    ``data`` is the block's bytes (``lines``' data buffer). Raw bytes are screened first (a line
    with no byte that can start such a character, and no more bytes than ``MAX_LINE``, cannot be
    one); only the few candidates are checked exactly. In an all-ASCII block (the usual case)
    the few such bytes are found with ``bytes.find`` (memchr) instead of a numpy pass over every byte.
    """
    n = len(lines)
    offs = np.frombuffer(lines.buffers()[1], np.int32, n + 1, lines.offset * 4)
    hits = _ascii_odd_bytes(data) if data.isascii() else None
    if hits is None:
        hits = np.flatnonzero(_ODD_BYTES[np.frombuffer(data, np.uint8)])
    cand = np.zeros(n, bool)
    cand[np.searchsorted(offs, hits, "right") - 1] = True
    cand |= np.diff(offs) > MAX_LINE
    idx = np.flatnonzero(cand)
    out = np.zeros(n, bool)
    if len(idx):
        some = lines.take(pa.array(idx))
        out[idx] = _np(pc.match_substring_regex(some, _ODD)) | (_np(pc.utf8_length(some)) > MAX_LINE)
    return out


def _ascii_odd_bytes(data: bytes) -> np.ndarray | None:
    """Where the odd ASCII bytes are in ``data`` (memchr per byte value); None if there are too many to list."""
    found: list[int] = []
    for b in _ODD_ASCII:
        i = data.find(b)
        while i >= 0:
            if len(found) >= _FIND_AT_MOST:
                return None
            found.append(i)
            i = data.find(b, i + 1)
    return np.array(found, np.int64)


def _dict(arr: pa.Array) -> tuple[np.ndarray, list]:
    enc = pc.dictionary_encode(arr)
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), enc.dictionary.to_pylist()


def _np(arr: pa.Array) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False)


def groups(*cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows grouped by equal values in ``cols``: (index of each group's first row, group of each row)."""
    key = np.zeros(len(cols[0]), np.int64)
    for c in cols:
        c = np.asarray(c, np.int64)
        lo = int(c.min())
        span = int(c.max()) - lo + 1
        if span > 1 << 24:
            c = np.unique(c, return_inverse=True)[1].ravel()
            lo, span = 0, int(c.max()) + 1
        if int(key.max()) * span + span >= 1 << 62:
            key = np.unique(key, return_inverse=True)[1].ravel().astype(np.int64)
        key = key * span + (c - lo)
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    return first, inv.ravel()


def _or(value: int | None, default: int) -> int:
    return default if value is None else value
