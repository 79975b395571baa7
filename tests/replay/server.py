"""A local HTTP server replaying recorded API responses, for testing third-party API clients.

Routes map (method, path) to a list of replies served in order (the last one repeats), or
to a function of the request. Every request is recorded (method, path, query, headers,
JSON body) so tests can assert what the client sent: auth, pagination, filters.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

RECORDED = Path(__file__).parent


def recorded(name: str) -> Any:
    """A recorded response body, e.g. ``recorded("cloudflare/page1.json")``."""
    return json.loads((RECORDED / name).read_text())


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


Responder = list[Reply] | Callable[[Request], Reply]


class ReplayServer:
    """Start with ``with ReplayServer() as srv:``; ``srv.url`` is its base URL."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Responder] = {}
        self.requests: list[Request] = []
        self._served: dict[tuple[str, str], int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode(errors="replace")
                req = Request(self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                              {k.lower(): v for k, v in self.headers.items()}, body)
                server.requests.append(req)
                reply = server._reply(req)
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def route(self, method: str, path: str, responder: Responder | Reply) -> None:
        self.routes[(method, path)] = [responder] if isinstance(responder, Reply) else responder

    def _reply(self, req: Request) -> Reply:
        key = (req.method, req.path)
        responder = self.routes.get(key)
        if responder is None:
            return Reply({"error": f"no recorded response for {req.method} {req.path}"}, status=404)
        if callable(responder):
            return responder(req)
        i = self._served.get(key, 0)
        self._served[key] = i + 1
        return responder[min(i, len(responder) - 1)]

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
