"""The parse step's output: one request as the log wrote it (still raw; never stored)."""

from __future__ import annotations

from typing import NamedTuple

from collectors.weblog.reasons import Reason
from collectors.weblog.timestamps import parse_any


class LogRecord(NamedTuple):
    ts: int           # epoch seconds, UTC
    remote: str       # the peer address the server saw
    method: str
    target: str       # path and query string, as requested
    status: int
    size: int         # response bytes
    referer: str      # "" when absent
    ua: str           # "" when absent
    xff: str = ""     # X-Forwarded-For, "" when absent
    cfip: str = ""    # CF-Connecting-IP, "" when absent


def strip_absolute(target: str) -> str:
    """``http://host/path?q`` (varnishncsa, proxies) → ``/path?q``; other targets unchanged."""
    if target[:1] == "/":
        return target
    scheme = target.find("://")
    if scheme < 0:
        return target
    slash = target.find("/", scheme + 3)
    return target[slash:] if slash >= 0 else "/"


def dash(value: str) -> str:
    """nginx writes ``-`` for an empty variable."""
    return "" if value == "-" else value


def split_request(request: str) -> tuple[str, str] | None:
    """``GET /path HTTP/1.1`` → (method, target); None when it is not a request line."""
    parts = request.split(" ")
    if len(parts) == 3 and parts[0].isalpha() and parts[1]:
        return parts[0], strip_absolute(parts[1])
    if len(parts) == 2 and parts[0].isalpha() and parts[1][:1] == "/":  # HTTP/0.9
        return parts[0], parts[1]
    if len(parts) > 3 and parts[0].isalpha() and parts[-1].startswith("HTTP/"):  # a space left unescaped
        return parts[0], strip_absolute(" ".join(parts[1:-1]))
    return None


def request_of(request: str) -> tuple[str, str]:
    """(method, target) of a logged request line; ("", "") for one that is not a request line.

    A TLS handshake sent to a plain-HTTP port (``\\x16\\x03\\x01...``), an empty request (``""``),
    a timed-out connection (``"-"``) or a scanner's junk still got a status from the server: it is
    traffic of that status whose method counts as ``other``.
    """
    return split_request(request) or ("", "")


_ALIASES = {
    # nginx variables, common JSON keys, Caddy (nested ``request``, flattened) and Traefik JSON fields
    # (and Google Cloud's ``httpRequest`` object, Envoy's default JSON keys)
    "remote": ("remote_addr", "remote_ip", "client_ip", "c_ip", "ip", "remote_host", "request_remote_ip",
               "clienthost", "httprequest_remoteip", "downstream_remote_address", "request_remote_addr"),
    "time": ("time_local", "time_iso8601", "timestamp", "@timestamp", "startutc", "start_time", "time", "msec", "ts",
             "date"),
    "request": ("request",),
    "method": ("request_method", "method", "cs_method", "requestmethod", "httprequest_requestmethod",
               "request_type"),
    "uri": ("request_uri", "uri", "url", "path", "cs_uri_stem", "requestpath", "httprequest_requesturl",
            "request_path"),
    "args": ("args", "query_string", "cs_uri_query"),
    "status": ("status", "sc_status", "status_code", "downstreamstatus", "response_code", "httprequest_status"),
    "size": ("body_bytes_sent", "bytes_sent", "sc_bytes", "bytes", "size", "response_size",
             "downstreamcontentsize", "length", "httprequest_responsesize"),
    "referer": ("http_referer", "referer", "referrer", "cs_referer", "request_headers_referer", "request_referer",
                "httprequest_referer"),
    "ua": ("http_user_agent", "user_agent", "agent", "cs_user_agent", "request_headers_user_agent",
           "request_user_agent", "httprequest_useragent"),
    "xff": ("http_x_forwarded_for", "x_forwarded_for", "request_headers_x_forwarded_for",
            "request_x_forwarded_for"),
    "cfip": ("http_cf_connecting_ip", "cf_connecting_ip", "request_headers_cf_connecting_ip",
             "request_cf_connecting_ip"),
}


def _pick(fields: dict, role: str) -> str:
    for key in _ALIASES[role]:
        value = fields.get(key)
        if value is not None and value != "":
            return str(value)
    return ""


def _without_port(addr: str) -> str:
    """``1.2.3.4:5678`` → ``1.2.3.4``, ``[2001:db8::1]:443`` → ``2001:db8::1``; anything else unchanged."""
    if addr[:1] == "[" and "]" in addr:
        return addr[1:addr.index("]")]
    host, sep, port = addr.rpartition(":")
    return host if sep and port.isdigit() and host.count(":") == 0 and host else addr


def record_from_fields(fields: dict) -> LogRecord | Reason:
    """A record from named values (nginx variable names or common JSON keys)."""
    remote = _without_port(dash(_pick(fields, "remote")))
    ts = parse_any(_pick(fields, "time"))
    if ts is None:
        return Reason.BAD_TIMESTAMP
    request = _pick(fields, "request")
    if request:
        method, target = request_of(request)
    else:
        method, target = _pick(fields, "method"), strip_absolute(_pick(fields, "uri"))
        if not target or (method and not method.isalpha()):
            return Reason.BAD_REQUEST
        args = dash(_pick(fields, "args"))
        if args and "?" not in target:
            target = f"{target}?{args}"
    status = _pick(fields, "status")
    if len(status) != 3 or not status.isdigit():
        return Reason.BAD_STATUS
    size = _pick(fields, "size")
    return LogRecord(ts, remote, method, target, int(status), int(size) if size.isdigit() else 0,
                     dash(_pick(fields, "referer")), dash(_pick(fields, "ua")),
                     dash(_pick(fields, "xff")), dash(_pick(fields, "cfip")))
