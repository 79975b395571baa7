"""Start the real services the tests need (influxd, nginx, varnishd, prometheus, alertmanager, chromium...).

Each starter picks a free loopback port, writes its config into a temp dir, starts the
binary in the foreground, polls a ready URL, and hands back a ``Service`` to stop. A
missing binary skips the test, or fails it under ``CI=true`` so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_binary(name: str) -> str:
    """The path of ``name``; skip the test (fail under CI=true) when it is not installed."""
    path = shutil.which(name)
    if path is None:
        msg = f"{name} is not installed; install it with apt-get (see ./surgewatch test)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@dataclass
class Service:
    """A running service process, its port, its temp dir and its log."""

    name: str
    cmd: list[str]
    port: int
    url: str
    ready_url: str
    directory: Path
    log_path: Path
    proc: subprocess.Popen | None = None
    extra: dict = field(default_factory=dict)

    def start(self, timeout: float = 20) -> Service:
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the life of the process
        self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.directory)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode} before it was ready:\n{self.log()}")
            try:
                if httpx.get(self.ready_url, timeout=1).status_code < 500:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"{self.name} was not ready at {self.ready_url} within {timeout}s:\n{self.log()}")

    def restart(self, timeout: float = 20) -> Service:
        """Stop (if running) and start again with the same command, port and state dir."""
        self.stop()
        return self.start(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


INFLUXD_CONF = """\
reporting-enabled = false
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{d}/meta"
[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:{port}"
  auth-enabled = {auth}
  log-enabled = false
[logging]
  level = "warn"
"""


def influxd(tmpdir: str | Path, auth: bool = False, port: int | None = None) -> Service:
    """A started influxd (1.x) keeping all state in ``tmpdir`` (``Service.restart()`` reuses both)."""
    binary = require_binary("influxd")
    d = Path(tmpdir)
    d.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    conf = d / "influxdb.conf"
    conf.write_text(INFLUXD_CONF.format(d=d, port=port, rpc_port=free_port(), auth=str(auth).lower()))
    url = f"http://127.0.0.1:{port}"
    svc = Service("influxd", [binary, "run", "-config", str(conf)], port, url, f"{url}/ping", d,
                  d / "influxd.log")
    return svc.start()


NGINX_CONF = """\
user root;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log {d}/access.log combined;
  client_body_temp_path {d}/tmp_body; proxy_temp_path {d}/tmp_proxy; fastcgi_temp_path {d}/tmp_fcgi;
  uwsgi_temp_path {d}/tmp_uwsgi; scgi_temp_path {d}/tmp_scgi;
  server {{
    listen 127.0.0.1:{port};
    root {d}/www;
    location / {{ try_files $uri $uri/ =404; }}
  }}
}}
"""


def nginx(tmpdir: str | Path, files: dict[str, str] | None = None) -> Service:
    """A started nginx serving ``files`` (path → text) from ``tmpdir``/www; its access log is ``extra['log']``."""
    binary = require_binary("nginx")
    d = Path(tmpdir)
    (d / "www").mkdir(parents=True, exist_ok=True)
    for name, text in (files or {"index.html": "<h1>hello</h1>\n"}).items():
        (d / "www" / name).write_text(text)
    port = free_port()
    conf = d / "nginx.conf"
    conf.write_text(NGINX_CONF.format(d=d, port=port))
    url = f"http://127.0.0.1:{port}"
    svc = Service("nginx", [binary, "-c", str(conf), "-p", f"{d}/", "-e", str(d / "error.log"), "-g", "daemon off;"],
                  port, url, f"{url}/", d, d / "nginx.log", extra={"log": d / "access.log"})
    return svc.start()


def varnishd(tmpdir: str | Path, backend_port: int) -> Service:
    """A started varnishd caching 127.0.0.1:``backend_port``; its instance dir (for -n) is ``extra['instance']``."""
    binary = require_binary("varnishd")
    d = Path(tmpdir)
    d.mkdir(parents=True, exist_ok=True)
    port = free_port()
    instance = d / "varnish"
    url = f"http://127.0.0.1:{port}"
    cmd = [binary, "-F", "-a", f"127.0.0.1:{port}", "-b", f"127.0.0.1:{backend_port}", "-n", str(instance),
           "-s", "malloc,64m", "-T", "none"]
    svc = Service("varnishd", cmd, port, url, f"{url}/", d, d / "varnishd.log", extra={"instance": instance})
    return svc.start(timeout=30)


PROMETHEUS_CONF = """\
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: {job}
    static_configs: [{{targets: ['127.0.0.1:{target}']}}]
"""


def prometheus(tmpdir: str | Path, target_port: int, job: str = "surgewatch") -> Service:
    """A started prometheus scraping 127.0.0.1:``target_port`` every second (first sample after ~6 s)."""
    binary = require_binary("prometheus")
    d = Path(tmpdir)
    d.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = d / "prom.yml"
    conf.write_text(PROMETHEUS_CONF.format(job=job, target=target_port))
    url = f"http://127.0.0.1:{port}"
    cmd = [binary, f"--config.file={conf}", f"--storage.tsdb.path={d / 'data'}",
           f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]
    return Service("prometheus", cmd, port, url, f"{url}/-/ready", d, d / "prometheus.log").start()


ALERTMANAGER_CONF = """\
route: {receiver: blackhole, group_by: ['alertname'], group_wait: 1s, group_interval: 1s, repeat_interval: 1h}
receivers:
  - name: blackhole
"""


def alertmanager(tmpdir: str | Path) -> Service:
    """A started Prometheus Alertmanager (no cluster, one receiver that sends nowhere); API at ``url``/api/v2."""
    binary = require_binary("prometheus-alertmanager")
    d = Path(tmpdir)
    d.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = d / "am.yml"
    conf.write_text(ALERTMANAGER_CONF)
    url = f"http://127.0.0.1:{port}"
    cmd = [binary, f"--config.file={conf}", f"--storage.path={d / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
           "--cluster.listen-address=", "--log.level=warn"]
    return Service("alertmanager", cmd, port, url, f"{url}/-/ready", d, d / "alertmanager.log").start()


NGINX_AUTH_PROXY_CONF = """\
user root;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {d}/tmp_body; proxy_temp_path {d}/tmp_proxy; fastcgi_temp_path {d}/tmp_fcgi;
  uwsgi_temp_path {d}/tmp_uwsgi; scgi_temp_path {d}/tmp_scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://127.0.0.1:{backend_port};
      proxy_bind {source};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_read_timeout 86400;
{headers}
    }}
  }}
}}
"""


def nginx_auth_proxy(tmpdir: str | Path, backend_port: int, headers: dict[str, str], source: str = "127.0.0.1"
                     ) -> Service:
    """A started nginx in front of 127.0.0.1:``backend_port`` (websockets included) that sets ``headers`` on every
    request, as an authenticating proxy does once it has signed the person in; it connects from ``source``."""
    binary = require_binary("nginx")
    d = Path(tmpdir)
    d.mkdir(parents=True, exist_ok=True)
    port = free_port()
    lines = "\n".join(f'      proxy_set_header {k} "{v}";' for k, v in headers.items())
    conf = d / "nginx.conf"
    conf.write_text(NGINX_AUTH_PROXY_CONF.format(d=d, port=port, backend_port=backend_port, source=source,
                                                 headers=lines))
    url = f"http://127.0.0.1:{port}"
    svc = Service("nginx", [binary, "-c", str(conf), "-p", f"{d}/", "-e", str(d / "error.log"), "-g", "daemon off;"],
                  port, url, f"{url}/_stcore/health", d, d / "nginx.log")
    return svc.start()


def oidc_provider(tmpdir: str | Path, users: list[dict]) -> Service:
    """A started OpenID Connect provider (the ``oidc-provider-mock`` package: a real Authlib authorization server)
    on loopback; ``users`` are its predefined users' claims (each with a ``sub``), one button each on its form."""
    import json
    import sys

    d = Path(tmpdir)
    d.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cmd = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    for claims in users:
        cmd += ["--user-claims", json.dumps(claims)]
    url = f"http://127.0.0.1:{port}"
    return Service("oidc-provider-mock", cmd, port, url, f"{url}/.well-known/openid-configuration", d,
                   d / "oidc.log").start()
