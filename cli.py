"""Surgewatch's one command line: worker, ingest, analyze, detect, plan, demo and the rest.

Each command imports its implementation lazily, so ``--help`` and quick commands start fast.
``./surgewatch ARGS`` is the same as ``.venv/bin/python cli.py ARGS``.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Surgewatch: one shared view of traffic spikes and campaigns for marketing and IT.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


if __name__ == "__main__":
    app()
