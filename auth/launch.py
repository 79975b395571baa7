"""Start the Streamlit dashboard with its sign-in in place, or refuse to and say why.

OIDC's secrets are written to a private directory (mode 0700, the file 0600) handed to Streamlit
with ``--secrets.files`` and removed when the dashboard stops. Behind an authenticating proxy the
server must see the proxy's own address (uvicorn would otherwise replace it with an
``X-Forwarded-For`` value), so forwarded addresses are not believed at all.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from auth.exposure import refusal
from auth.oidc import OidcConfigError, secrets_toml
from auth.settings import SignInSettings

ROOT = Path(__file__).resolve().parents[1]


class LaunchError(ValueError):
    """The dashboard must not start so; the message says why and what to set."""


def streamlit_args(settings: SignInSettings, host: str, port: int, secrets_dir: Path | None) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", host,
            "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "viewer", "--client.showErrorDetails", "none",  # messages, never tracebacks
            *(["--secrets.files", str(secrets_dir / "secrets.toml")] if secrets_dir else [])]


def run(settings: SignInSettings, host: str, port: int) -> int:
    """Serve the dashboard until it stops (SIGTERM/SIGINT are passed on); its exit code."""
    why = refusal(settings, host)
    if why:
        raise LaunchError(why)
    secrets_dir = None
    env = dict(os.environ)
    if settings.sign_in == "proxy":
        env["FORWARDED_ALLOW_IPS"] = ""
    try:
        if settings.sign_in == "oidc":
            try:
                text = secrets_toml(settings, host, port)
            except OidcConfigError as exc:
                raise LaunchError(str(exc)) from None
            secrets_dir = Path(tempfile.mkdtemp(prefix="surgewatch-dashboard-"))
            target = secrets_dir / "secrets.toml"
            target.touch(mode=0o600)
            target.write_text(text)
        proc = subprocess.Popen(streamlit_args(settings, host, port, secrets_dir), env=env)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda s, _f: proc.send_signal(s))
        return proc.wait()
    finally:
        if secrets_dir is not None:
            shutil.rmtree(secrets_dir, ignore_errors=True)
