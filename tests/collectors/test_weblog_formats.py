"""The parse step: every supported format, timestamps with offsets, malformed reasons."""

from __future__ import annotations

import pytest

from collectors.weblog.formats import parser_for, sniff
from collectors.weblog.reasons import Reason
from collectors.weblog.record import LogRecord
from tests.collectors.logsamples import CHROME, T0, combined, stamp


def test_combined_with_offset_is_converted_to_utc() -> None:
    rec = parser_for("combined")(combined(T0, offset_minutes=-7 * 60, target="/a?b=1"))
    assert isinstance(rec, LogRecord)
    assert rec.ts == T0 and rec.target == "/a?b=1" and rec.status == 200 and rec.size == 512 and rec.ua == CHROME


def test_combined_with_request_time_reads_the_same_request() -> None:
    rec = parser_for("combined")(combined(T0, offset_minutes=330, extra=" 0.123"))
    assert isinstance(rec, LogRecord) and rec.ts == T0 and rec.method == "GET"


def test_varnishncsa_absolute_url_becomes_a_path() -> None:
    line = ('127.0.0.1 - - [23/Nov/2026:10:44:48 +0000] "GET http://127.0.0.1:18181/shop?x=1 HTTP/1.1" 200 14 '
            '"http://ref.example/" "TestAgent/1.0"')
    rec = parser_for("varnishncsa")(line)
    assert isinstance(rec, LogRecord) and rec.target == "/shop?x=1" and rec.referer == "http://ref.example/"


def test_nginx_log_format_string_is_compiled() -> None:
    fmt = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
           '"$http_user_agent" "$http_x_forwarded_for" rt=$request_time')
    line = ('10.0.0.1 - - [14/Nov/2023:23:13:20 +0100] "POST /login HTTP/1.1" 401 12 "-" "curl/8.0" '
            '"203.0.113.9, 10.0.0.2" rt=0.004')
    rec = parser_for(fmt)(line)
    assert rec == LogRecord(T0, "10.0.0.1", "POST", "/login", 401, 12, "", "curl/8.0", "203.0.113.9, 10.0.0.2", "")


def test_nginx_json_with_hex_escapes_is_decoded() -> None:
    line = (r'{"time_iso8601":"2023-11-15T00:13:20+02:00","remote_addr":"81.2.69.142",'
            r'"request":"GET /caf\xC3\xA9?q=\x22x\x22 HTTP/1.1","status":"404","body_bytes_sent":"7",'
            r'"http_referer":"","http_user_agent":"Mozilla/5.0 \x22quoted\x22"}')
    rec = parser_for("json")(line)
    assert isinstance(rec, LogRecord)
    assert rec.ts == T0 and rec.target == '/café?q="x"' and rec.ua == 'Mozilla/5.0 "quoted"' and rec.status == 404


def test_cloudfront_reads_fields_header_and_decodes_user_agent() -> None:
    parse = parser_for("cloudfront")
    header = ("#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
              "cs(Referer) cs(User-Agent) cs-uri-query")
    line = ("2023-11-14\t22:13:20\tLAX1\t392\t192.0.2.100\tGET\td111.cloudfront.net\t/index.html\t200\t-\t"
            "Mozilla/5.0%20(Windows%20NT%2010.0)\tutm_campaign=spring")
    assert parse("#Version: 1.0") is Reason.COMMENT
    assert parse(header) is Reason.COMMENT
    rec = parse(line)
    assert rec == LogRecord(T0, "192.0.2.100", "GET", "/index.html?utm_campaign=spring", 200, 392, "",
                            "Mozilla/5.0 (Windows NT 10.0)", "")


@pytest.mark.parametrize(("line", "reason"), [
    ("", Reason.EMPTY),
    ("hello world", Reason.NO_MATCH),
    (combined(T0).replace("14/Nov/2023", "14/Foo/2023"), Reason.BAD_TIMESTAMP),
    (combined(T0).replace(" 200 ", " 2x0 "), Reason.BAD_STATUS),
])
def test_malformed_lines_get_their_reason(line: str, reason: Reason) -> None:
    assert parser_for("combined")(line) is reason


def test_bad_json_is_its_own_reason() -> None:
    assert parser_for("json")('{"time": ') is Reason.BAD_JSON


def test_sniff_recognises_each_format() -> None:
    assert sniff([combined(T0)]) == "combined"
    assert sniff(["", '{"remote_addr": "1.2.3.4"}']) == "json"
    assert sniff(["#Version: 1.0", "#Fields: date time x-edge-location c-ip cs-method cs-uri-stem sc-status"]) \
        == "cloudfront"
    assert sniff(["#Software: Microsoft Internet Information Services 10.0"]) == "iis"
    assert sniff(["hello world", "", "still not a log"]) is None


def test_unknown_format_name_says_what_to_use() -> None:
    with pytest.raises(ValueError, match="log_format"):
        parser_for("apache-ish")


def test_log_format_tolerates_fields_added_after_its_end() -> None:
    fmt = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
           '"$http_user_agent"')
    parse = parser_for(fmt)
    base = combined(T0)
    for extra in ("", " 0.004", ' "-" rt=0.004 uct="0.000"', "\t42"):
        rec = parse(base + extra)
        assert isinstance(rec, LogRecord) and (rec.ts, rec.status, rec.size) == (T0, 200, 512), extra
    status_last = parser_for("$remote_addr [$time_local] $request_method $uri $status")
    rec = status_last(f"81.2.69.142 [{stamp(T0)}] GET /a 404 extra fields")
    assert isinstance(rec, LogRecord) and rec.status == 404 and rec.target == "/a"


def test_json_keys_of_other_servers_are_read() -> None:
    gcp = ('{"httpRequest":{"requestMethod":"POST","requestUrl":"https://ex.com/api/x?utm_source=a","status":201,'
           '"responseSize":"12","userAgent":"curl/8.0","remoteIp":"81.2.69.142:5555"},"timestamp":"2023-11-14T22:13:20Z"}')
    rec = parser_for("json")(gcp)
    assert isinstance(rec, LogRecord)
    assert (rec.ts, rec.remote, rec.method, rec.target, rec.status, rec.size) == (
        T0, "81.2.69.142", "POST", "/api/x?utm_source=a", 201, 12)
    envoy = ('{"start_time":"2023-11-14T22:13:20.000Z","method":"GET","path":"/a","response_code":503,'
             '"bytes_sent":7,"downstream_remote_address":"[2001:db8::1]:443","user_agent":"x"}')
    rec = parser_for("json")(envoy)
    assert isinstance(rec, LogRecord) and (rec.remote, rec.status) == ("2001:db8::1", 503)
