"""Where notifications go: the channel protocol, URL masking and the configured channels.

One module per receiver: ``apprise_channel`` (email, Slack, Teams, webhooks…) and
``alertmanager`` (Prometheus Alertmanager).

A channel sends one event or raises ``ChannelError`` with a reason fit for a log: its
``name`` is the URL with secrets masked, and no message of ours ever holds the secret URL.
Its ``key`` is a stable id for the state DB (a hash for Apprise URLs, which hold tokens).

"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from alerts.notify.message import Note, NotifyEvent


class ChannelError(RuntimeError):
    """A channel could not deliver; the message says why (without secrets)."""


class Channel(Protocol):
    key: str    # stable id, stored in the state DB
    kind: str   # metrics label: the Apprise scheme or "alertmanager"
    name: str   # for logs: the URL with secrets masked
    refreshes: bool  # open incidents must be re-sent every so often (Alertmanager)

    def send(self, event: NotifyEvent) -> None:
        """Deliver the event or raise ChannelError."""

    def send_note(self, note: Note) -> None:
        """Deliver a message that is not about an incident (a campaign ahead) or raise ChannelError."""


def mask_url(url: str) -> str:
    """The URL with its password, path and query hidden: safe to log."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        user = f"{parts.username}:****@" if parts.password else ("****@" if parts.username else "")
        return urlunsplit((parts.scheme, user + host, "/…" if parts.path.strip("/") else "", "", ""))
    except ValueError:
        return "<unparsable URL>"


def build_channels(urls: list[str], alertmanager_url: str | None,
                   dashboard_url: str | None = None) -> tuple[list[Channel], list[str]]:
    """The configured channels, and a message for each URL that cannot be used (the rest still work)."""
    from alerts.notify.alertmanager import AlertmanagerChannel
    from alerts.notify.apprise_channel import AppriseChannel

    channels: list[Channel] = []
    problems: list[str] = []
    for i, url in enumerate(urls, 1):
        try:
            channels.append(AppriseChannel(url, dashboard_url))
        except ChannelError as exc:
            problems.append(f"notify.urls entry {i}: {exc}")
    if alertmanager_url:
        channels.append(AlertmanagerChannel(alertmanager_url, dashboard_url))
    return channels, problems
