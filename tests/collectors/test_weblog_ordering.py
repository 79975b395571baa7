"""Lines put in time order before a backfill aggregates them: in memory, or in sorted runs merged from disk."""

from __future__ import annotations

import io
import random

import pytest

from collectors.weblog.ordering import READ_LIMIT, NotOrderable, OrderedLines, line_time, ordered_stream
from tests.collectors.realsample import days_of_lines
from tests.collectors.realsample import line_time as stamp_time


def _shuffled() -> list[bytes]:
    lines = [line.encode() for day in days_of_lines(2, copies_per_day=4) for line in day]
    random.Random(5).shuffle(lines)
    return lines


@pytest.mark.parametrize("chunk_bytes", [64 << 20, 4096])  # all in memory; many runs on disk
def test_lines_come_out_in_time_then_line_order_whatever_the_chunking(chunk_bytes: int) -> None:
    lines = _shuffled()
    ordered = OrderedLines(io.BytesIO(b"".join(lines)), line_time("combined"), chunk_bytes=chunk_bytes)
    out = list(ordered)
    assert out == sorted(lines, key=lambda b: (stamp_time(b.decode()), b))
    assert ordered.lines == len(lines) and ordered.bytes_read == sum(map(len, lines))
    assert chunk_bytes > 10_000 or len(ordered._runs) > 10  # noqa: SLF001 - the small chunks did spill


def test_headers_first_lines_without_time_next_and_a_long_line_cut_in_bounded_memory() -> None:
    long_line = b"x" * (3 * READ_LIMIT) + b"\n"
    data = b"".join(_shuffled()[:5]) + b"junk\n" + long_line + b"#Version: 1.0\n" + b"last line, no newline"
    stream, ordered = ordered_stream(io.BytesIO(data), "combined")
    out = stream.read().split(b"\n")
    assert out[0] == b"#Version: 1.0"
    assert set(out[1:4]) == {b"junk", b"x" * READ_LIMIT, b"last line, no newline"}  # no time: first, cut
    assert [stamp_time(x.decode()) for x in out[4:9]] == sorted(stamp_time(x.decode()) for x in out[4:9])
    assert ordered.lines == 9


def test_a_file_whose_fields_header_changes_cannot_be_sorted() -> None:
    data = b"#Fields: date time c-ip\n2024-01-01 00:00:01 1.2.3.4\n#Fields: date time cs-method\n"
    with pytest.raises(NotOrderable):
        list(OrderedLines(io.BytesIO(data), lambda line: 0))
