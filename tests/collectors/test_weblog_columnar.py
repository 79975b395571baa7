"""The block-at-a-time backfill writes exactly the points the per-line path writes."""

from __future__ import annotations

import random

import pytest

from collectors.weblog.arrowlines import groups, lines_array
from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import ingest_lines
from simulate.scenarios import build
from store.embedded import EmbeddedStore
from store.sketch import estimate_b64
from tests.collectors.logsamples import T0, combined

SALT = b"c" * 32
END = 2_000_000_000
MEASUREMENTS = ("http", "visitors", "networks", "ingest")


def _points(store: EmbeddedStore) -> dict[str, dict]:
    return {m: {(p.time, tuple(sorted(p.tags.items()))): p.fields for p in store.points(m, 0, END)}
            for m in MEASUREMENTS}


def _both(lines: list[str], **kw: object) -> tuple[dict, dict, object, object]:
    out = []
    for block_lines in (97, None):  # small blocks cut anywhere, as a live tail reads, and whole blocks
        store = EmbeddedStore(":memory:")
        stats = ingest_lines(lines, store, site="shop", source="t", salt=SALT, block_lines=block_lines, **kw)
        out.append((_points(store), stats))
    (a, sa), (b, sb) = out
    return a, b, sa, sb


def _messy(lines: list[str], seed: int) -> list[str]:
    """Malformed, late, out-of-order, escaped and odd-whitespace lines mixed into a clean log."""
    rng = random.Random(seed)
    out = list(lines)
    n = len(out)
    a, b, c, d = out[n // 3], out[n // 2], out[n // 4], out[n // 5]
    extras = [(0, ""), (n // 3, "   "), (n // 3, "not a log line"), (n // 3, "x" * 17_000),
              (n // 3, a.replace('] "', '] "BROKEN')), (n // 3, a.replace("/Mar/", "/Mxr/")),
              (n // 2, b.replace('" 200 ', '" 2x0 ')), (n // 2, "999.1.1.1" + b[b.index(" "):]),
              (n // 2, b.replace('" "Mozilla', '" "Moz\\"illa')), (n // 2, b.replace(" - - ", "\u00a0- - ")),
              (n // 4, c.rsplit('"', 4)[0].rstrip(' "')), (n // 5, d + " 0.042")]
    for pos, e in sorted(extras, reverse=True):
        out.insert(pos + rng.randrange(3), e)
    for _ in range(20):  # a few lines moved back in time: some in the open window, some late
        i = rng.randrange(n // 2, len(out))
        out.insert(i, lines[max(0, min(n - 1, i) - rng.choice((50, 500, 20_000)))])
    return out


@pytest.mark.parametrize(("scenario", "seed"), [("campaign_plus_scraper", 1), ("credential_stuffing", 2),
                                                ("viral_social", 3), ("scraper", 4)])
def test_columnar_backfill_writes_the_same_points_as_the_per_line_path(scenario: str, seed: int) -> None:
    sim = build(scenario, seed, history_hours=0.3, surge_hours=0.3, scale=0.3)
    lines = _messy(list(sim.lines()), seed)
    a, b, sa, sb = _both(lines, options=WeblogOptions(rate_limit_per_minute=20, campaign_min_requests=5,
                                                      max_campaigns=3))
    _assert_same_points(a, b)
    assert (sa.lines, sa.parsed, sa.late, sa.malformed) == (sb.lines, sb.parsed, sb.late, sb.malformed)
    assert sa.samples == sb.samples
    assert sa.late > 0 and sa.malformed.get("no_match") and sa.malformed.get("bad_address")
    assert {k[1][0][1] for k in a["visitors"]} >= {"human", "automated"}


def _assert_same_points(a: dict, b: dict) -> None:
    for m in MEASUREMENTS:
        assert a[m].keys() == b[m].keys(), m
        for key, fields in a[m].items():
            other = b[m][key]
            if m == "visitors":
                assert estimate_b64([fields.pop("uniques")]) == estimate_b64([other.pop("uniques")])
            assert fields == other, (m, key)


@pytest.mark.parametrize(("scenario", "seed", "top_automated"), [("credential_stuffing", 6, 25),
                                                                 ("l7_botnet", 7, 500)])
def test_columnar_backfill_keeps_the_same_automated_networks_as_the_per_line_path(
        scenario: str, seed: int, top_automated: int) -> None:
    sim = build(scenario, seed, history_hours=0.2, surge_hours=0.2, scale=0.5, bot_factor=8.0)
    lines = _messy(list(sim.lines()), seed)
    a, b, _, _ = _both(lines, options=WeblogOptions(top_networks=5, top_automated_networks=top_automated))
    _assert_same_points(a, b)
    per_bucket: dict[int, int] = {}
    for t, _tags in a["networks"]:
        per_bucket[t] = per_bucket.get(t, 0) + 1
    assert max(per_bucket.values()) > 5 + 1  # automated networks were kept beyond the top 5 (and "other")
    assert max(per_bucket.values()) <= 5 + top_automated + 1


def test_columnar_backfill_keeps_malformed_counts_before_the_first_request_in_its_first_bucket() -> None:
    lines = ["garbage", "", combined(T0 + 20), combined(T0 + 3), "more garbage", combined(T0 + 400)]
    a, b, sa, sb = _both(lines)
    assert a == b
    assert sa.malformed == sb.malformed == {"no_match": 2, "empty": 1}


def test_columnar_samples_hold_no_raw_address_or_user_agent() -> None:
    bad = combined(T0, ip="81.2.69.142", target="/x?email=a@b.example&utm_source=news").replace(" 200 ", " 2x0 ")
    _, _, _, sb = _both([combined(T0), bad])
    text = repr(sb.samples)
    assert "81.2.69.142" not in text and "a@b.example" not in text and "Mozilla/5.0 (" not in text
    assert "81.2.69.0/24" in text


def test_lines_array_keeps_each_newline_and_a_last_unterminated_line() -> None:
    assert lines_array(b"a\nbb\n\nc").to_pylist() == ["a\n", "bb\n", "\n", "c"]


def test_groups_puts_equal_rows_together_even_for_64_bit_values() -> None:
    import numpy as np

    big = np.array([2**62, -(2**62), 2**62, 5], np.int64)
    first, inv = groups(np.array([1, 1, 1, 2]), big)
    assert len(first) == 3 and inv[0] == inv[2] and len({inv[0], inv[1], inv[3]}) == 3


@pytest.mark.parametrize(("find_at_most", "ascii_only"), [(0, False), (2_000, False), (0, True), (2_000, True)])
def test_byte_screen_sends_exactly_the_odd_and_too_long_lines_to_the_per_line_parser(
        find_at_most: int, ascii_only: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.compute as pc

    from collectors.weblog import arrowlines as columnar
    from collectors.weblog.arrowlines import _ODD, MAX_LINE, _odd_or_too_long

    monkeypatch.setattr(columnar, "_FIND_AT_MOST", find_at_most)  # numpy scan, or bytes.find
    base = combined(T0)
    odd = ["\\", "\x0b", "\x1c", "\x1f"]
    plain = ["~", "\t", "\x1b", "x" * 9000]
    if not ascii_only:
        odd += ["\x85", "\xa0", "\u1680", "\u2000", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
        plain += ["é", "€", "日本", "\u2010", "\u200b", "\ufffd", "ü" * 9000]
    texts = [base.replace("Mozilla", "Moz" + c + "illa") + "\n" for c in odd + plain] + ["x" * (MAX_LINE + 1) + "\n"]
    rng = random.Random(5)
    rng.shuffle(texts)
    data = "".join(texts).encode("utf-8")
    assert data.isascii() == ascii_only
    lines = lines_array(data)
    want = [any(c in t for c in odd) or len(t) > MAX_LINE for t in texts]
    assert _odd_or_too_long(lines, data).tolist() == want
    assert pc.match_substring_regex(lines, _ODD).to_pylist() == [any(c in t for c in odd) for t in texts]
