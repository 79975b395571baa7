"""No line crashes the access-log path: random and hostile lines are parsed or counted, never raised.

Hypothesis feeds random text and log-shaped junk to every parser and to both backfill paths;
the hand-written cases are the ones users met (six quotes in a line, a log turning to JSON
part-way, invalid UTF-8, a line of megabytes).
"""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.weblog.formats import FORMATS, MAX_LINE, parser_for
from collectors.weblog.linereader import CUT_BYTES, bounded_lines
from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import ingest_lines
from collectors.weblog.reasons import Reason
from collectors.weblog.record import LogRecord
from collectors.weblog.stream_ingest import ingest_stream
from store.embedded import EmbeddedStore
from tests.collectors.logsamples import T0, combined, stamp

SALT = b"h" * 32
END = 4_000_000_000
OPTS = WeblogOptions().model_copy(update={"open_window_seconds": 10**10})
LOG_FORMAT = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer"'
PARSERS = [*FORMATS, LOG_FORMAT]

_pieces = st.sampled_from(['"', "\\", "\\x22", "[", "]", " ", "\t", "-", "{", "}", ":", ",", "#Fields: date time",
                           "GET / HTTP/1.1", "200", "81.2.69.142", "2001:db8::1", "unix:", "\x00", "\u00a0", "\ud800",
                           stamp(T0), '{"status":', "\u2028", "é", "\x16\x03\x01"])
hostile = st.one_of(st.text(max_size=300), st.lists(_pieces, max_size=40).map("".join),
                    st.builds(lambda a, b: combined(T0)[:a] + b + combined(T0)[a:], st.integers(0, 200),
                              st.lists(_pieces, max_size=8).map("".join)))


@settings(max_examples=300, deadline=None)
@given(line=hostile)
def test_no_parser_raises_on_any_line(line: str) -> None:
    for fmt in PARSERS:
        out = parser_for(fmt)(line)
        assert isinstance(out, LogRecord | Reason), fmt


def _stored(store: EmbeddedStore) -> int:
    return sum(int(p.fields["requests"]) for p in store.points("http", 0, END))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(junk=st.lists(hostile, min_size=1, max_size=15), fmt=st.sampled_from(["auto", "combined", "json", "iis"]))
def test_both_backfill_paths_count_every_line_of_hostile_input(junk: list[str], fmt: str) -> None:
    good = [combined(T0 + i) for i in range(5)]
    lines = [x.replace("\n", " ").replace("\r", " ") for x in junk] + good
    totals = []
    for block_lines in (None, 3):
        store = EmbeddedStore(":memory:")
        stats = ingest_lines(lines, store, site="s", source="t", fmt=fmt, salt=SALT, options=OPTS,
                             block_lines=block_lines)
        assert stats.lines == len(lines)
        assert stats.lines == _stored(store) + sum(stats.malformed.values()) + stats.comments + stats.late
        totals.append((_stored(store), dict(stats.malformed), stats.comments))
    assert totals[0] == totals[1]


def test_six_quotes_and_few_spaces_do_not_abort_the_block_path() -> None:
    odd = ['a "b"c"d"e"f"g', '81.2.69.142 - - [14/Nov/2023:22:13:20 +0000] "GET / HTTP/1.1"x"y" "z" "w"',
           '1 2 3 [x] "a" b "c" "d" "e"']
    lines = [combined(T0), *odd, combined(T0 + 1)]
    store = EmbeddedStore(":memory:")
    stats = ingest_lines(lines, store, site="s", source="t", salt=SALT, options=OPTS)
    assert (_stored(store), stats.malformed) == (2, {"no_match": 2, "bad_timestamp": 1})


def test_a_log_that_turns_to_json_lines_half_way_is_read_line_by_line() -> None:
    clf = [combined(T0 + i, target=f"/c{i}") for i in range(40)]
    js = [json.dumps({"time_iso8601": f"2023-11-14T22:14:{i:02d}+00:00", "remote_addr": "81.2.69.142",
                      "request": f"GET /j{i} HTTP/1.1", "status": "200", "body_bytes_sent": "5"}) for i in range(30)]
    data = ("\n".join(clf + js + clf[:5]) + "\n").encode()
    store = EmbeddedStore(":memory:")
    stats = ingest_stream(io.BytesIO(data), store, site="s", source="t", fmt="auto", salt=SALT, options=OPTS)
    assert (stats.lines, _stored(store), stats.malformed) == (75, 75, {})


def test_invalid_utf8_is_counted_bad_encoding_on_both_paths() -> None:
    lines = [combined(T0 + i).encode() for i in range(6)]
    lines[2] = lines[2].replace(b"Chrome", b"Chr\xffome")
    lines[4] = lines[4].replace(b"GET /", b"GET /\xc3(")
    data = b"\n".join(lines) + b"\n"
    for fmt in ("auto", "json"):  # json: not a block format, so the per-line reader
        store = EmbeddedStore(":memory:")
        stats = ingest_stream(io.BytesIO(data), store, site="s", source="t", fmt=fmt, salt=SALT, options=OPTS)
        assert stats.malformed.get("bad_encoding") == 2, fmt
    store = EmbeddedStore(":memory:")
    stats = ingest_stream(io.BytesIO(data), store, site="s", source="t", fmt="auto", salt=SALT, options=OPTS)
    assert (_stored(store), stats.malformed) == (4, {"bad_encoding": 2})


@pytest.mark.parametrize("ordered", [False, True])
@pytest.mark.parametrize("fmt", ["auto", "json"])
def test_a_line_of_megabytes_is_too_long_and_read_in_bounded_pieces(fmt: str, ordered: bool) -> None:
    good = combined(T0).encode() + b"\n"
    data = good * 3 + b"x" * (3 << 20) + b"\n" + good * 2 + b"y" * (MAX_LINE + 10)  # the last one unterminated
    store = EmbeddedStore(":memory:")
    stats = ingest_stream(io.BytesIO(data), store, site="s", source="t", fmt=fmt, salt=SALT, options=OPTS,
                          ordered=ordered)  # ordered: as `ingest` reads it, the long line among the sniffed ones
    expected = {"too_long": 2} if fmt == "auto" else {"too_long": 2, "bad_json": 5}
    assert stats.lines == 7 and stats.malformed == expected
    assert _stored(store) == (5 if fmt == "auto" else 0)
    assert max(len(line.encode("utf-8", "surrogateescape")) for line in bounded_lines(io.BytesIO(data))) <= CUT_BYTES


def test_garbage_and_empty_requests_are_traffic_of_their_status() -> None:
    base = f'81.2.69.142 - - [{stamp(T0)}]'
    lines = [f'{base} "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03" 400 157 "-" "-"',
             f'{base} "" 400 0 "-" "-"', f'{base} "-" 408 0 "-" "-"',
             f'{base} "MGLNDD_81.2.69.142_443" 400 166 "-" "-"',
             f'{base} "GET / HTTP/1.1" 200 5 "-" "-"']
    for block_lines in (None, 3):
        store = EmbeddedStore(":memory:")
        stats = ingest_lines(lines, store, site="s", source="t", salt=SALT, options=OPTS, block_lines=block_lines)
        by = {}
        for p in store.points("http", 0, END):
            key = (p.tags["method"], p.tags["status"])
            by[key] = by.get(key, 0) + int(p.fields["requests"])
        assert stats.malformed == {} and by == {("other", "4xx"): 4, ("GET", "2xx"): 1}, block_lines


def test_hostname_and_unix_socket_peers_count_with_country_and_network_none() -> None:
    lines = [combined(T0, ip="localhost"), combined(T0, ip="unix:"), combined(T0, ip="monitoring-server"),
             combined(T0, ip="999.1.1.1"), combined(T0, ip="10.0.0.2, 10.0.0.1, 81.2.69.142")]
    store = EmbeddedStore(":memory:")
    stats = ingest_lines(lines, store, site="s", source="t", salt=SALT, options=OPTS)
    assert stats.malformed == {"bad_address": 1}  # 999.1.1.1 is neither an address nor a name
    countries = {}
    for p in store.points("http", 0, END):
        countries[p.tags["country"]] = countries.get(p.tags["country"], 0) + int(p.fields["requests"])
    assert countries == {"none": 3, "GB": 1}
    nets = {p.tags["prefix"] for p in store.points("networks", 0, END)}
    assert nets == {"none", "81.2.69.0/24"}


def test_the_right_most_untrusted_hop_of_a_forwarded_list_is_the_client() -> None:
    line = combined(T0, ip="81.2.69.142, 10.0.0.7, 10.0.0.1")
    opts = OPTS.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]})
    store = EmbeddedStore(":memory:")
    ingest_lines([line], store, site="s", source="t", salt=SALT, options=opts)
    assert {p.tags["country"] for p in store.points("http", 0, END)} == {"GB"}
    store = EmbeddedStore(":memory:")
    ingest_lines([line], store, site="s", source="t", salt=SALT, options=OPTS)  # no trusted proxy: the peer
    assert {p.tags["prefix"] for p in store.points("networks", 0, END)} == {"10.0.0.0/24"}


def test_the_live_tail_says_once_when_nothing_it_reads_is_in_a_known_format(caplog: pytest.LogCaptureFixture) -> None:
    from collectors.weblog.pipeline import WeblogPipeline

    pipe = WeblogPipeline(EmbeddedStore(":memory:"), site="s", source="web1", fmt="auto", options=OPTS, salt=SALT)
    syslog = [f"May  1 12:00:{i:02d} host sshd[42]: Accepted key for root from 81.2.69.142 port 22\n"
              for i in range(60)]
    with caplog.at_level("WARNING"):
        pipe.feed(syslog)
        pipe.feed(syslog)
    warnings = [r.getMessage() for r in caplog.records if "no known access-log format" in r.getMessage()]
    assert len(warnings) == 1 and "web1" in warnings[0] and "--format" in warnings[0]
    assert "81.2.69.142" not in warnings[0] and "81.2.69.0/24" in warnings[0]
    assert pipe.stats.malformed == {"no_match": 120}


def test_nginx_main_format_forwarded_list_after_the_agent_names_the_client_behind_trusted_proxies() -> None:
    lines = [combined(T0 + i, ip="10.0.0.1", extra=' "81.2.69.142, 10.0.0.9"') for i in range(3)]
    lines += [combined(T0 + 5, ip="10.0.0.1", extra=' "-"'), combined(T0 + 6, ip="81.2.69.143", extra=' "10.1.1.1"')]
    opts = OPTS.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]})
    seen = []
    for block_lines in (None, 3):
        store = EmbeddedStore(":memory:")
        ingest_lines(lines, store, site="s", source="t", salt=SALT, options=opts, block_lines=block_lines)
        nets = {}
        for p in store.points("networks", 0, END):
            nets[p.tags["prefix"]] = nets.get(p.tags["prefix"], 0) + int(p.fields["requests"])
        seen.append(nets)
    # the proxy's own line without a forwarded address stays the proxy's; an untrusted peer's header is ignored
    assert seen[0] == seen[1] == {"81.2.69.0/24": 4, "10.0.0.0/24": 1}
