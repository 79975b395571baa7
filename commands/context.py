"""What every command needs: the settings (or a clear exit), the state DB, and who the command line acts as."""

from __future__ import annotations

from typing import Any

import typer


def settings() -> Any:
    """Load settings or exit with the configuration error (exit code 2)."""
    import logging

    from config import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        typer.echo(f"surgewatch: {exc}", err=True)
        raise typer.Exit(2) from None
    from rich.console import Console
    from rich.logging import RichHandler

    # Log lines go to stderr: standard output carries only a command's result (one JSON object with --format json).
    logging.basicConfig(level=settings.log_level, format="%(name)s: %(message)s", datefmt="[%X]",
                        handlers=[RichHandler(console=Console(stderr=True), show_path=False, rich_tracebacks=False)])
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return settings


def state() -> Any:
    """The configured state DB."""
    from store.state import StateDB

    return StateDB(settings().state.path)


def cli_user() -> Any:
    """Who the command line acts as in the audit log: the operating-system user."""
    from auth.roles import os_identity

    return os_identity()
