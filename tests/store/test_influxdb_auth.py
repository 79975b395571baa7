"""Authentication: user/password against a real influxd with auth on; Token against a hand-written 2.x/3.x server.

influxd 1.6 has no Token scheme (it arrived in 1.8), so the Token tests talk to a local
server answering as InfluxDB 2.x and 3.x v1-compatibility endpoints do in their public
API docs: 204 on /write, the 1.x JSON results shape on /query, and for a bad token the
2.x error body {"code": "unauthorized", "message": "unauthorized access"}.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from store.base import Point, StoreError
from store.influxdb import InfluxStore
from tests.services import free_port, influxd

pytestmark = pytest.mark.service

T0 = 1_699_999_200
TOKEN = "s3cr3t-t0ken=="


@pytest.fixture(scope="module")
def influxd_with_auth(tmp_path_factory):
    svc = influxd(tmp_path_factory.mktemp("influxd-auth"), auth=True)
    r = httpx.post(f"{svc.url}/query", data={"q": "CREATE USER admin WITH PASSWORD 's3cret' WITH ALL PRIVILEGES"})
    assert r.status_code == 200, r.text
    yield svc
    svc.stop()


def test_user_and_password_write_and_query_with_auth_enabled(influxd_with_auth):
    store = InfluxStore(influxd_with_auth.url, "authdb", username="admin", password="s3cret")
    store.write([Point("http", {"site": "a", "source": "t"}, {"requests": 4}, T0)])
    assert store.query("http", T0, T0 + 10, fields=["requests"])["requests"].tolist() == [4.0]
    store.close()


def test_a_wrong_password_is_a_clear_error_and_writes_wait_in_the_spool(influxd_with_auth, tmp_path):
    store = InfluxStore(influxd_with_auth.url, "authdb", username="admin", password="nope",
                        spool_dir=tmp_path, retries=1)
    with pytest.raises(StoreError, match="401.*authorization failed"):
        store.query("http", T0, T0 + 10, fields=["requests"])
    store.write([Point("http", {"site": "b", "source": "t"}, {"requests": 1}, T0)])
    assert store.spool_depth() == 1  # kept until the credentials are fixed
    store.close()


class RecordedInflux(BaseHTTPRequestHandler):
    """Answers like an InfluxDB 2.x or 3.x v1-compatibility endpoint; records each request."""

    version_header: dict[str, str] = {}
    requests: list[dict] = []

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _reply(self, status: int, body: dict | None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for k, v in self.version_header.items():
            self.send_header(k, v)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        if self.command == "POST" and url.path == "/query":
            params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
        self.requests.append({"method": self.command, "path": url.path, "params": params,
                              "headers": dict(self.headers), "body": raw.decode()})
        if self.headers.get("Authorization") != f"Token {TOKEN}":
            return self._reply(401, {"code": "unauthorized", "message": "unauthorized access"})
        if url.path == "/write":
            return self._reply(204, None)
        q = params.get("q", "")
        if q.startswith("CREATE"):
            return self._reply(400, {"code": "invalid", "message": "InfluxQL statement is not supported"})
        if q.startswith("SELECT"):
            return self._reply(200, {"results": [{"statement_id": 0, "series": [
                {"name": "http", "tags": {"site": "a"}, "columns": ["time", "requests"],
                 "values": [[T0, 12], [T0 + 60, 30]]}]}]})
        return self._reply(200, {"results": [{"statement_id": 0}]})

    do_GET = do_POST = _handle


@pytest.fixture(params=["2.x", "3.x"])
def recorded_influx(request) -> Iterator[tuple[str, type[RecordedInflux]]]:
    headers = ({"X-Influxdb-Build": "OSS", "X-Influxdb-Version": "v2.7.11"} if request.param == "2.x"
               else {"X-Influxdb-Version": "3.0.0"})
    handler = type("Handler", (RecordedInflux,), {"version_header": headers, "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def test_token_auth_sends_the_token_scheme_and_gzip_line_protocol(recorded_influx):
    url, handler = recorded_influx
    store = InfluxStore(url, "mydb", token=TOKEN, retries=1)
    assert store.write([Point("http", {"site": "a b", "source": "t"}, {"requests": 3, "p": 0.5}, T0)]) == 1
    writes = [r for r in handler.requests if r["path"] == "/write"]
    assert len(writes) == 1
    w = writes[0]
    assert w["headers"]["Authorization"] == f"Token {TOKEN}"
    assert w["headers"]["Content-Encoding"] == "gzip"
    assert w["params"] == {"db": "mydb", "precision": "s"}
    assert w["body"] == f"http,site=a\\ b,source=t requests=3i,p=0.5 {T0}\n"
    df = store.query("http", T0, T0 + 120, fields=["requests"], group_by=["site"], every=60)
    assert df["requests"].tolist() == [12.0, 30.0] and df["site"].tolist() == ["a", "a"]
    q = handler.requests[-1]
    assert q["headers"]["Authorization"] == f"Token {TOKEN}"
    assert q["params"]["db"] == "mydb" and q["params"]["epoch"] == "s"
    assert q["params"]["q"].startswith('SELECT sum("requests") AS "requests" FROM "http" WHERE')
    store.close()


def test_a_refused_create_database_is_tolerated_as_dbrp_managed(recorded_influx):
    url, handler = recorded_influx
    store = InfluxStore(url, "mydb", token=TOKEN, retries=1)
    assert handler.requests[0]["params"]["q"] == 'CREATE DATABASE "mydb"'
    assert store.write([Point("http", {"source": "t"}, {"requests": 1}, T0)]) == 1
    assert sum(r["path"] == "/query" for r in handler.requests) == 1  # not asked again
    store.close()


def test_a_bad_token_is_a_clear_error_naming_the_status(recorded_influx, tmp_path):
    url, _ = recorded_influx
    store = InfluxStore(url, "mydb", token="wrong", retries=1, spool_dir=tmp_path)
    with pytest.raises(StoreError, match="401.*unauthorized access"):
        store.query("http", T0, T0 + 10, fields=["requests"])
    store.write([Point("http", {"source": "t"}, {"requests": 1}, T0)])
    assert store.spool_depth() == 1
    store.close()


def test_token_and_username_together_are_refused():
    with pytest.raises(ValueError, match="either a token or a username"):
        InfluxStore("http://127.0.0.1:9", "db", token="t", username="u", retries=1, timeout=0.2)
