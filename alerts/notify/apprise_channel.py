"""The Apprise receiver: one URL each (``mailto://``, ``slack://``, ``msteams://``, ``json://``…)."""

from __future__ import annotations

import hashlib
import logging

from alerts.notify.channels import ChannelError, mask_url
from alerts.notify.message import Note, NotifyEvent, body, title


class AppriseChannel:
    """One Apprise URL (``mailto://``, ``slack://``, ``msteams://``, ``json://``…)."""

    refreshes = False

    def __init__(self, url: str, dashboard_url: str | None = None, min_interval: float | None = None) -> None:
        """``min_interval``: seconds between two sends to this URL (default: Apprise's own for the service)."""
        import apprise

        self._apprise = apprise.Apprise()
        quiet = logging.getLogger("apprise")
        was, quiet.disabled = quiet.disabled, True  # Apprise logs a URL it cannot parse whole, secrets and all
        try:
            plugin = apprise.Apprise.instantiate(url)
        finally:
            quiet.disabled = was
        self.kind = url.split("://", 1)[0].lower() if "://" in url else "unknown"
        if plugin is None:
            raise ChannelError(f"{self.kind}://… (rest hidden, it may hold a token): not a URL Apprise knows; "
                               "see the Apprise wiki for your service's URL "
                               "(e.g. mailtos://user:pass@smtp.example.com?to=oncall@example.com)")
        self.name = plugin.url(privacy=True) or mask_url(url)
        if min_interval is not None:
            plugin.request_rate_per_sec = min_interval  # Apprise's name; it holds seconds between requests
        self._apprise.add(plugin)
        self.key = "apprise:" + hashlib.sha256(url.encode()).hexdigest()[:16]
        self.dashboard_url = dashboard_url

    def send(self, event: NotifyEvent) -> None:
        self._notify(title(event), body(event, self.dashboard_url))

    def send_note(self, note: Note) -> None:
        self._notify(note.title, note.body(self.dashboard_url))

    def _notify(self, title: str, body: str) -> None:
        import apprise

        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = self._apprise.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
        if not ok:
            reason = " / ".join(ln.split(" - ", 2)[-1] for ln in captured.getvalue().splitlines() if ln.strip())
            raise ChannelError(reason or "the service did not accept the notification")
