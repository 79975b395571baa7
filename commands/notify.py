"""``surgewatch notify-test``: send one sample notification to every configured channel.

On-call's first check after configuring ``[notify]``: each channel is named (secrets
masked) with whether the sample went through and, if not, why. Nothing is stored; the
Alertmanager sample alert ends by itself after 5 minutes.
"""

from __future__ import annotations

from typing import Any

import typer

from alerts.notify.channels import ChannelError, build_channels
from alerts.notify.message import NotifyEvent, sample_incident


def run(settings: Any) -> int:
    """0 when every channel took the sample, 1 when one failed, 2 when none is configured."""
    n = settings.notify
    channels, problems = build_channels([u.get_secret_value() for u in n.urls], n.alertmanager_url, n.dashboard_url)
    for p in problems:
        typer.echo(f"FAILED  {p}")
    if not channels and not problems:
        typer.echo("no notification channel is configured: set SURGEWATCH_NOTIFY__URLS (Apprise URLs, secret) "
                   "and/or [notify] alertmanager_url", err=True)
        return 2
    event = NotifyEvent("test", sample_incident(settings.site))
    failed = len(problems)
    for ch in channels:
        try:
            ch.send(event)
        except ChannelError as exc:
            failed += 1
            typer.echo(f"FAILED  {ch.name}: {exc}")
        else:
            typer.echo(f"ok      {ch.name}")
    return 1 if failed else 0
