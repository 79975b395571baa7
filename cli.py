"""Surgewatch's one command line: worker, ingest, analyze, detect, plan, demo and the rest.

Each command imports its implementation lazily, so ``--help`` and quick commands start fast.
``./surgewatch ARGS`` is the same as ``.venv/bin/python cli.py ARGS``.
"""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(
    help="Surgewatch: one shared view of traffic spikes and campaigns for marketing and IT.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def analyze(
    log: list[Path] = typer.Option(..., "--log", help="Access log (combined format, plain or .gz); repeatable."),
    campaigns: Path | None = typer.Option(None, "--campaigns", help="JSON list of announced campaigns."),
    fmt: str = typer.Option("table", "--format", help="json or table"),
) -> None:
    """Find the traffic spikes in access logs and say campaign, organic, bot or mixed."""
    from alerts.analyze_cli import run

    raise typer.Exit(run(log, campaigns, fmt))


@app.command()
def detect(
    csv: Path = typer.Option(..., "--csv", help="CSV with a 'timestamp,value' header."),
    fmt: str = typer.Option("table", "--format", help="json or table"),
) -> None:
    """Score every row of a time series for anomalies (rises and drops), causally."""
    from alerts.detect_cli import run

    raise typer.Exit(run(csv, fmt))


if __name__ == "__main__":
    app()
