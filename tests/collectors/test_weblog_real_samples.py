"""Every format on real logs from other projects' test fixtures (origins in real_samples/README.md).

The expected counts were worked out by reading each file: how many lines, which are header
lines, which hold no request at all, the statuses written. Each file goes through the backfill
(auto-detected format) and, for the same lines, through the per-line path the live tail runs;
both must store every request, count every other line, and agree.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from collectors.weblog.formats import parser_for, sniff
from collectors.weblog.options import WeblogOptions
from collectors.weblog.ordering import NotOrderable
from collectors.weblog.pipeline import IngestStats, ingest_lines
from collectors.weblog.record import LogRecord
from collectors.weblog.stream_ingest import ingest_stream
from store.embedded import EmbeddedStore

SAMPLES = Path(__file__).parent / "real_samples"
# ingress-nginx's default log-format-upstream (its docs, "Log format")
INGRESS_LOG_FORMAT = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" $request_length $request_time [$proxy_upstream_name] '
                      '[$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length '
                      '$upstream_response_time $upstream_status $req_id')
SALT = b"r" * 32
END = 4_000_000_000
# these fixtures jump between days and years; a backfill has no lateness window to apply to them
OPTS = WeblogOptions().model_copy(update={"open_window_seconds": 10**10})

# file: (format sniffed, lines, requests, malformed by reason, header lines, requests by status class,
#        requests whose method counts as "other": neither GET, POST nor HEAD, or no method at all)
CASES = {
    "alb/matomo_alb.log": ("alb", 1, 1, {}, 0, {"2xx": 1}, 0),
    # both end with an empty line; "- - -" and "- http://www.example.com:80- -" are requests ALB answered 400
    "alb/filebeat_example-alb-http.log": ("alb", 10, 9, {"empty": 1}, 0, {"1xx": 2, "2xx": 4, "4xx": 2, "5xx": 1}, 2),
    "alb/filebeat_application-lb-http.log": ("alb", 11, 10, {"empty": 1}, 0, {"2xx": 3, "4xx": 1, "5xx": 6}, 0),
    "caddy_json/matomo_caddy_json.log": ("json", 3, 3, {}, 0, {"2xx": 3}, 0),
    "cloudfront/matomo_amazon_cloudfront_web.log": ("cloudfront", 3, 1, {}, 2, {"2xx": 1}, 0),
    "combined/filebeat_nginx_access.log": ("combined", 13, 13, {}, 0, {"2xx": 3, "3xx": 2, "4xx": 8}, 0),
    "combined/filebeat_nginx_test.log": ("combined", 7, 7, {}, 0, {"2xx": 4, "4xx": 3}, 1),
    "common/filebeat_apache_test.log": ("combined", 7, 7, {}, 0, {"2xx": 2, "4xx": 5}, 2),
    "common/lnav_access_log.0": ("combined", 3, 3, {}, 0, {"2xx": 2, "4xx": 1}, 0),
    "common/lnav_bad_access_log.0": ("combined", 3, 2, {"no_match": 1}, 0, {"2xx": 2}, 0),
    "iis/filebeat_iis_test.log": ("iis", 17, 5, {}, 12, {"2xx": 3, "4xx": 2}, 0),
    "iis/filebeat_iis_test-iis-7.5.log": ("iis", 8, 3, {"bad_address": 1}, 4, {"2xx": 3}, 0),
    "iis/filebeat_iis_test-ipv6zone.log": ("iis", 5, 1, {}, 4, {"2xx": 1}, 0),
    "iis/filebeat_iis_access-azure.log": ("iis", 3, 1, {}, 2, {"2xx": 1}, 0),
    "iis/filebeat_iis_test-x-forward-for.log": ("iis", 9, 9, {}, 0, {"2xx": 9}, 0),  # no header: IIS defaults + XFF
    "common/filebeat_apache_darwin-2.4.23.log": ("combined", 6, 6, {}, 0, {"2xx": 2, "4xx": 4}, 1),
    "iis/lnav_w3c.0": ("iis", 5, 1, {}, 4, {"2xx": 1}, 0),
    "iis/matomo_iis.log": ("iis", 5, 1, {}, 4, {"2xx": 1}, 0),
    "ingress_nginx/filebeat_ingress_controller_test.log": ("combined", 13, 13, {}, 0,
                                                           {"2xx": 9, "4xx": 2, "5xx": 2}, 4),
    "nginx_json/matomo_nginx_json.log": ("json", 2, 2, {}, 0, {"2xx": 2}, 2),
    "traefik_clf/filebeat_traefik_test.log": ("combined", 2, 2, {}, 0, {"3xx": 2}, 0),
    "traefik_clf/matomo_traefik.log": ("combined", 1, 1, {}, 0, {"3xx": 1}, 0),
    "traefik_json/matomo_traefik_json.log": ("json", 1, 1, {}, 0, {"2xx": 1}, 0),
    "vhost_combined/filebeat_apache_test-vhost.log": ("combined", 1, 1, {}, 0, {"2xx": 1}, 0),
    "vhost_combined/filebeat_nginx_test-with-host.log": ("combined", 10, 10, {}, 0, {"2xx": 6, "4xx": 4}, 2),
    "vhost_combined/matomo_common_vhost.log": ("combined", 1, 1, {}, 0, {"3xx": 1}, 0),
}


def _stored(store: EmbeddedStore) -> tuple[int, dict[str, int], int]:
    total, by_class, other = 0, {}, 0
    for p in store.points("http", 0, END):
        n = int(p.fields["requests"])
        total += n
        by_class[p.tags["status"]] = by_class.get(p.tags["status"], 0) + n
        other += n if p.tags["method"] == "other" else 0
    return total, by_class, other


def test_every_sample_file_is_listed() -> None:
    files = {str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*") if p.is_file() and p.name != "README.md"}
    assert files == set(CASES)


def _ordered(data: bytes, store: EmbeddedStore) -> IngestStats:
    """As ``ingest`` reads a file: sorted by time, in file order when its ``#Fields`` header changes mid-way."""
    try:
        return ingest_stream(io.BytesIO(data), store, site="s", source="f", fmt="auto", salt=SALT, options=OPTS,
                             ordered=True)
    except NotOrderable:
        return ingest_stream(io.BytesIO(data), store, site="s", source="f", fmt="auto", salt=SALT, options=OPTS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_sample_is_stored_line_for_line(name: str) -> None:
    fmt, n_lines, requests, malformed, headers, by_class, other = CASES[name]
    data = (SAMPLES / name).read_bytes()
    assert len(data.decode().splitlines()) == n_lines
    assert sniff(data.decode().splitlines()) == fmt
    results = []
    for how in ("ordered", "bytes", "lines"):
        store = EmbeddedStore(":memory:")
        if how == "ordered":  # what `ingest` runs: the lines sorted by time first
            st = _ordered(data, store)
        elif how == "bytes":  # the same in file order
            st = ingest_stream(io.BytesIO(data), store, site="s", source="f", fmt="auto", salt=SALT, options=OPTS)
        else:  # text lines, as the live tail reads them
            st = ingest_lines(io.StringIO(data.decode()), store, site="s", source="f", fmt="auto", salt=SALT,
                              options=OPTS)
        stored, classes, others = _stored(store)
        assert st.lines == n_lines == stored + sum(st.malformed.values()) + st.comments + st.late, how
        assert (stored, st.late, dict(st.malformed), st.comments) == (requests, 0, malformed, headers), how
        assert classes == by_class and others == other, how
        results.append((stored, classes, others, dict(st.malformed)))
    assert results[0] == results[1] == results[2]


def test_the_given_format_reads_the_same_as_auto_detection() -> None:
    for name, given in (("iis/filebeat_iis_test.log", "iis"), ("caddy_json/matomo_caddy_json.log", "caddy"),
                        ("traefik_json/matomo_traefik_json.log", "traefik_json"), ("alb/matomo_alb.log", "alb"),
                        ("vhost_combined/matomo_common_vhost.log", "vhost_combined"),
                        ("ingress_nginx/filebeat_ingress_controller_test.log", "ingress_nginx"),
                        ("ingress_nginx/filebeat_ingress_controller_test.log", INGRESS_LOG_FORMAT)):
        lines = (SAMPLES / name).read_text().splitlines()
        a, b = parser_for(given), parser_for("auto")
        assert [a(x) for x in lines] == [b(x) for x in lines], name


def _records(name: str) -> list[LogRecord]:
    parse = parser_for("auto")
    return [r for r in map(parse, (SAMPLES / name).read_text().splitlines()) if isinstance(r, LogRecord)]


def test_fields_read_from_each_json_and_w3c_format() -> None:
    caddy = _records("caddy_json/matomo_caddy_json.log")
    assert [(r.ts, r.remote, r.method, r.target, r.size) for r in caddy][0] == (1703373474, "1.2.3.4", "GET",
                                                                              "/beta/", 3609)
    assert caddy[1].referer == "https://example.com/beta/" and caddy[1].ua.startswith("Mozilla/5.0 (Macintosh")
    (traefik,) = _records("traefik_json/matomo_traefik_json.log")
    # StartUTC 2023-08-11T11:39:21Z; DownstreamStatus 200 (the origin's 504 is not what the client got)
    assert (traefik.ts, traefik.remote, traefik.status, traefik.size, traefik.ua) == (
        1691753961, "172.0.0.1", 200, 15, "Prometheus/2.40.5")
    iis = _records("iis/filebeat_iis_test.log")
    # 2018-01-01 08:09:10 UTC; "+" stands for a space in the agent; the query joins the stem
    assert (iis[0].ts, iis[0].target, iis[0].remote) == (1514794150, "/?q=100", "81.2.69.143")
    assert iis[0].ua == "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:57.0) Gecko/20100101 Firefox/57.0"
    (cf,) = _records("cloudfront/matomo_amazon_cloudfront_web.log")
    assert cf.ua.startswith("Mozilla/5.0 (Windows; U; Windows NT 6.1; de-DE)") and cf.ts == 1400807591
    xff = _records("iis/filebeat_iis_test-x-forward-for.log")
    assert {(r.remote, r.xff) for r in xff} == {("192.168.7.63", "192.168.198.23")}
    (zone,) = _records("iis/filebeat_iis_test-ipv6zone.log")
    assert zone.remote == "::1%0"
    (alb,) = _records("alb/matomo_alb.log")
    assert (alb.remote, alb.target, alb.ts) == ("1.2.3.4", "/path/index.html", 1577840104)


def test_client_field_forms_of_real_logs() -> None:
    recs = _records("vhost_combined/filebeat_nginx_test-with-host.log")
    # "example.com 10.0.0.2, 10.0.0.1, 81.2.69.143 - - ..." : the peer is the last hop, the others are XFF
    assert (recs[2].remote, recs[2].xff) == ("81.2.69.143", "10.0.0.2, 10.0.0.1")
    # 'example.com:80 "10.5.102.222, 175.16.199.1, 204.246.1.1" 10.2.1.185 - - ...': a quoted XFF, then the peer
    assert (recs[4].remote, recs[4].xff) == ("10.2.1.185", "10.5.102.222, 175.16.199.1, 204.246.1.1")
    assert [r.remote for r in recs[6:9]] == ["127.0.0.1", "unix:", "localhost"]
    assert [(r.method, r.status) for r in recs[6:8]] == [("", 400), ("", 400)]  # "" and "hello": method other


def test_redacted_real_lines_hold_no_full_address_nor_agent() -> None:
    import re

    from collectors.weblog.geo import mask
    from collectors.weblog.privacy import redact

    checked = 0
    for path in sorted(SAMPLES.rglob("*")):
        if not path.is_file() or path.name == "README.md":
            continue
        parse = parser_for("auto")
        for line in path.read_text().splitlines():
            rec = parse(line)
            if not isinstance(rec, LogRecord):
                continue
            out = redact(line)
            for addr in re.findall(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])", line):
                if mask(addr) is not None:
                    assert addr not in out, (path.name, out)
            for product in re.findall(r"[A-Za-z][\w-]*/\d[\w.]*", rec.ua):  # Firefox/57.0, curl/7.46.0, ...
                assert product not in out, (path.name, out)
            checked += 1
    assert checked > 100
