"""``ingest`` in any order: a shuffled, newest-first, multi-day or overlapping log stores what the sorted lines store.

Each case writes real log lines (re-dated copies, see ``realsample``) in some order, ingests
them, and compares every access-log measurement, point by point after merging the parts,
with what the same lines sorted by time store; and counts: lines written = requests
stored. Both backends: the embedded store and a real influxd.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.weblog.backfill import IngestRequest, ingest_file
from store.base import TimeSeriesStore
from store.parts import merge_parts
from store.sketch import estimate_b64
from store.state import StateDB
from tests.collectors.realsample import days_of_lines, line_time, real_lines

SALT = b"order test salt"
MEASUREMENTS = ("http", "visitors", "networks", "ingest")
JUNK = ["this is not a log line\n", '1.2.3.4 - - [17/May/2015:10:05:00 +0000] "GET / HTTP/1.1" 2x0 5 "-" "x"\n']


@pytest.fixture
def store(any_store: TimeSeriesStore) -> TimeSeriesStore:
    return any_store


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateDB]:
    db = StateDB(tmp_path / "state.db")
    yield db
    db.close()


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines))
    return path


def _ingest(path: Path, store: TimeSeriesStore, state: StateDB, source: str, force: bool = False):  # noqa: ANN202
    return ingest_file(path, store, state, IngestRequest(site="shop", source=source, salt=SALT, force=force))


def _value(v: object) -> object:
    return round(float(v), 9) if isinstance(v, (int, float)) else v


def stored(store: TimeSeriesStore, source: str) -> dict[str, list[tuple]]:
    """Every access-log point of ``source``, parts merged, as comparable tuples (source tag left out)."""
    out = {}
    for m in MEASUREMENTS:
        pts = merge_parts(store.points(m, 0, 2_000_000_000, where={"source": source}))
        out[m] = sorted((p.time, tuple(sorted((k, v) for k, v in p.tags.items() if k != "source")),
                         tuple(sorted((k, _value(v)) for k, v in p.fields.items()))) for p in pts)
    return out


def requests(store: TimeSeriesStore, source: str) -> int:
    df = store.query("http", 0, 2_000_000_000, fields=["requests"], where={"source": source})
    return int(df["requests"].sum()) if len(df) else 0


def _reference(tmp_path: Path, store: TimeSeriesStore, state: StateDB, lines: list[str]) -> dict[str, list]:
    ordered = sorted((line for line in lines if line not in JUNK), key=line_time) + JUNK
    st = _ingest(_write(tmp_path / "sorted.log", ordered), store, state, "sorted").stats
    assert st is not None and st.late == 0
    assert requests(store, "sorted") == len(lines) - len(JUNK)
    return stored(store, "sorted")


def _check(tmp_path: Path, store: TimeSeriesStore, state: StateDB, lines: list[str], files: list[list[str]],
           *, exact: bool = True) -> None:
    expected = _reference(tmp_path, store, state, lines)
    for i, content in enumerate(files):
        st = _ingest(_write(tmp_path / f"case{i}.log", content), store, state, "case").stats
        assert st is not None and st.late == 0 and st.lines == len(content)
    assert requests(store, "case") == len(lines) - len(JUNK)
    got = stored(store, "case")
    if not exact:
        got, expected = _mergeable(got), _mergeable(expected)
    for m in MEASUREMENTS:
        assert got[m] == expected[m], m
        assert got[m], f"nothing stored in {m}"


# Per-bucket figures of one part that parts cannot add back exactly: percentiles of requests per
# client and distinct user-agent families (a max across parts); the uniques sketch is compared by
# its estimate, as a union of sketches is not byte for byte the sketch of all visitors at once.
_NOT_ADDITIVE = ("rpc_p50", "rpc_p90", "ua_families")


def _mergeable(points: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    def fields(f: tuple) -> tuple:
        return tuple((k, round(estimate_b64([v]), 6) if k == "uniques" else v) for k, v in f
                     if k not in _NOT_ADDITIVE)

    return {**points, "visitors": [(t, tags, fields(f)) for t, tags, f in points["visitors"]]}


def test_a_shuffled_log_stores_what_its_sorted_lines_store(tmp_path: Path, store: TimeSeriesStore,
                                                           state: StateDB) -> None:
    lines = [line for day in days_of_lines(1, copies_per_day=20, minute_step=1) for line in day] + JUNK
    shuffled = lines[:]
    random.Random(17).shuffle(shuffled)
    _check(tmp_path, store, state, lines, [shuffled])


def test_a_newest_first_export_stores_what_its_sorted_lines_store(tmp_path: Path, store: TimeSeriesStore,
                                                                  state: StateDB) -> None:
    lines = [line for day in days_of_lines(1, copies_per_day=20, minute_step=3) for line in day] + JUNK
    _check(tmp_path, store, state, lines, [sorted(lines, key=lambda s: -line_time(s) if s not in JUNK else 0)])


def test_several_days_in_one_file_in_any_order_store_what_the_sorted_lines_store(
        tmp_path: Path, store: TimeSeriesStore, state: StateDB) -> None:
    days = days_of_lines(3)
    lines = [line for day in days for line in day] + JUNK
    _check(tmp_path, store, state, lines, [days[2] + JUNK[:1] + days[0] + days[1] + JUNK[1:]])


def test_overlapping_files_store_what_their_sorted_lines_store(tmp_path: Path, store: TimeSeriesStore,
                                                               state: StateDB) -> None:
    """Two servers' logs over the same hours (each client on one of them), ingested one after the other.

    Each file is its own part: every count adds up exactly; per-bucket percentiles and
    agent-family counts are each part's own (see ``_NOT_ADDITIVE``).
    """
    lines = [line for day in days_of_lines(2) for line in day]
    first = [line for line in lines if int(line.split(" ")[0].split(".")[-1]) % 2 == 0]
    second = [line for line in lines if line not in first]
    assert first and second and line_time(second[0]) < line_time(first[-1])  # they do overlap in time
    _check(tmp_path, store, state, lines + JUNK, [first + JUNK[:1], JUNK[1:] + second[::-1]], exact=False)


def test_two_files_sharing_a_source_add_up_and_ingesting_again_changes_nothing(
        tmp_path: Path, store: TimeSeriesStore, state: StateDB) -> None:
    base = real_lines()
    a = _write(tmp_path / "web1.log", base)
    b = _write(tmp_path / "web2.log", base[::-1])  # the same seconds, another server's order
    assert _ingest(a, store, state, "shop").stats.parsed == len(base)
    assert _ingest(b, store, state, "shop").stats.parsed == len(base)
    assert requests(store, "shop") == 2 * len(base)
    before = stored(store, "shop")
    again = _ingest(a, store, state, "shop")
    assert again.stats is None and "already ingested" in again.skipped
    forced = _ingest(a, store, state, "shop", force=True)
    assert forced.stats is not None and forced.stats.parsed == len(base)
    assert requests(store, "shop") == 2 * len(base)
    assert stored(store, "shop") == before


CADDY = Path(__file__).parent / "real_samples" / "caddy_json" / "matomo_caddy_json.log"  # origin in its README
_CADDY_TS = re.compile(r'"ts":[0-9.]+')


def _when(line: str) -> float:
    """A line's time as the server wrote it: the bracketed stamp, or Caddy's ``ts``."""
    m = _CADDY_TS.search(line)
    return float(m.group(0)[5:]) if m else line_time(line)


def test_a_log_that_turns_to_json_lines_part_way_is_sorted_by_the_time_of_both(
        tmp_path: Path, store: TimeSeriesStore, state: StateDB) -> None:
    """Combined lines, then the server's log switched to Caddy JSON (real lines, re-dated into the same
    hour): shuffled, the file stores what its lines in time order store, none late."""
    combined = [line for day in days_of_lines(1, copies_per_day=20, minute_step=1) for line in day]
    start, caddy = line_time(combined[0]), CADDY.read_text().splitlines(keepends=True)
    js = [_CADDY_TS.sub(f'"ts":{start + 60 * k + i / 10:.1f}', line, count=1)
          for k in range(20) for i, line in enumerate(caddy)]
    lines = combined + js
    times = sorted(map(_when, js))
    assert line_time(combined[0]) <= times[0] < times[-1] < line_time(combined[-1])  # the two formats interleave
    reference = _ingest(_write(tmp_path / "sorted.log", sorted(lines, key=_when)), store, state, "sorted").stats
    assert reference is not None and reference.late == 0 and requests(store, "sorted") == len(lines)
    shuffled = lines[:]
    random.Random(5).shuffle(shuffled)
    st = _ingest(_write(tmp_path / "mixed.log", shuffled), store, state, "mixed").stats
    assert st is not None and (st.lines, st.parsed, st.late) == (len(lines), len(lines), 0)
    assert requests(store, "mixed") == len(lines)
    got, expected = stored(store, "mixed"), stored(store, "sorted")
    for m in MEASUREMENTS:
        assert got[m] == expected[m], m
