"""The compact geo tables answer exactly as geoip2fast does, from a cache built once."""

from __future__ import annotations

import ipaddress
import random
from pathlib import Path

import pytest
from geoip2fast import GeoIP2Fast

from collectors.weblog import geo_tables


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> geo_tables.GeoTables:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SURGEWATCH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        return geo_tables.load()


def test_tables_give_the_country_and_asn_geoip2fast_gives(tables: geo_tables.GeoTables) -> None:
    ref = GeoIP2Fast(geoip2fast_data_file=geo_tables.DATA_FILE)
    rng = random.Random(7)
    addrs = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(3000)]
    addrs += [str(ipaddress.IPv6Address((0x2000 + rng.randrange(0x1000)) << 112 | rng.getrandbits(112)))
              for _ in range(3000)]
    addrs += ["0.0.0.0", "255.255.255.255", "10.1.2.3", "8.8.8.8", "::", "::1", "::ffff:81.2.69.1", "2a00:1450::1"]
    got = [tables.lookup(a) for a in addrs]
    want = [(r.country_code, r.asn_name) for r in map(ref.lookup, addrs)]
    assert got == want
    assert sum(1 for c, _ in got if c not in ("--", "")) > 1000  # most public addresses have a country


def test_tables_are_cached_once_and_memory_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURGEWATCH_CACHE_DIR", str(tmp_path))
    geo_tables.load()
    built = list(tmp_path.iterdir())
    assert len(built) == 1 and (built[0] / "hi.npy").exists()
    again = geo_tables.load()
    assert list(tmp_path.iterdir()) == built
    assert again.lookup("8.8.8.8")[1] == "GOOGLE"


def test_a_broken_cache_is_rebuilt_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURGEWATCH_CACHE_DIR", str(tmp_path))
    geo_tables.load()
    (next(tmp_path.iterdir()) / "hi.npy").write_bytes(b"not numpy")
    assert geo_tables.load().lookup("8.8.8.8")[1] == "GOOGLE"


def test_text_that_is_not_an_address_has_no_facts(tables: geo_tables.GeoTables) -> None:
    assert tables.lookup("999.1.1.1") == ("", "")
    assert tables.lookup("localhost") == ("", "")
