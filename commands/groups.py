"""The `alerts` and `users` command groups: on-call's incidents, silences and review; local dashboard users."""

from __future__ import annotations

from pathlib import Path  # noqa: F401 - typer reads the annotations

import typer

from commands.context import cli_user as _cli_user
from commands.context import state as _state

alerts_app = typer.Typer(help="Incidents for on-call: list, show, correct a verdict, link to a campaign.",
                         no_args_is_help=True)


@alerts_app.command("list")
def alerts_list(
    status: str | None = typer.Option(None, help="open or closed (default: all)."),
    fmt: str = typer.Option("table", "--format", help="table, json, keda, hpa, aws-cli or terraform."),
) -> None:
    """Incidents, newest first, with the detector's verdict and on-call's correction."""
    from commands.alerts import run_list

    raise typer.Exit(run_list(_state(), status=status, fmt=fmt))


@alerts_app.command("show")
def alerts_show(incident: str = typer.Argument(..., help="Incident id (see `alerts list`).")) -> None:
    """One incident with its evidence, block suggestion, verdict history and feedback, as JSON."""
    from commands.alerts import run_show

    raise typer.Exit(run_show(_state(), incident))


@alerts_app.command("verdict")
def alerts_verdict(
    incident: str = typer.Argument(..., help="Incident id."),
    verdict: str = typer.Argument(..., help="campaign, organic, bot or mixed."),
    comment: str = typer.Option("", help="Why."),
) -> None:
    """Mark the detector's verdict wrong: record the right one."""
    from commands.alerts import run_correct

    raise typer.Exit(run_correct(_state(), incident, user=_cli_user(), verdict=verdict, campaign=None, comment=comment))


@alerts_app.command("link")
def alerts_link(
    incident: str = typer.Argument(..., help="Incident id."),
    campaign: str = typer.Argument(..., help="Campaign id or name (see `campaigns list`)."),
    comment: str = typer.Option("", help="Why."),
) -> None:
    """Link a surge to the campaign behind it, after the fact."""
    from commands.alerts import run_correct

    raise typer.Exit(run_correct(_state(), incident, user=_cli_user(), verdict=None, campaign=campaign,
                                 comment=comment))


@alerts_app.command("review")
def alerts_review(
    days: float = typer.Option(30.0, help="Incidents of the last this many days."),
    fmt: str = typer.Option("table", "--format", help="table, json, or csv (the labelled incidents)"),
) -> None:
    """How the detector did by on-call's corrections: confusion table, people called bot, attacks missed."""
    from commands.alerts import run_review

    raise typer.Exit(run_review(_state(), days=days, fmt=fmt))


@alerts_app.command("silence")
def alerts_silence(
    match: list[str] = typer.Option(..., "--match", help="label=value (site, verdict, severity, incident, alertname,"
                                    " campaign); repeat for several."),
    duration: str = typer.Option("2h", "--for", help="How long: 30m, 2h, 1d (at most 30d)."),
    comment: str = typer.Option("", help="Why."),
) -> None:
    """Hold back notifications of matching incidents for a while (e.g. a known launch)."""
    from commands.alerts import run_add

    raise typer.Exit(run_add(_state(), match, duration, user=_cli_user(), comment=comment))


@alerts_app.command("silences")
def alerts_silences(fmt: str = typer.Option("table", "--format", help="table or json")) -> None:
    """Silences in force now."""
    from commands.alerts import run_silences

    raise typer.Exit(run_silences(_state(), fmt=fmt))


users_app = typer.Typer(help="Local dashboard users (dashboard.sign_in = local): add, list, remove, passwd.",
                        no_args_is_help=True)
ROLE_HELP = "viewer (reads), marketing (campaigns), oncall (verdicts, links, silences) or admin (all, users)."


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="User name (letters, digits, . _ @ + -)."),
    role: str = typer.Option(..., "--role", help=ROLE_HELP),
    stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Add a user; the password is asked for (twice) or read from standard input, never from the command line."""
    from commands.users import run_add

    raise typer.Exit(run_add(_state(), name, role, stdin=stdin, by=_cli_user()))


@users_app.command("passwd")
def users_passwd(
    name: str = typer.Argument(..., help="User name."),
    role: str | None = typer.Option(None, "--role", help="Also change the role: " + ROLE_HELP),
    stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Set a user's password (and role); their sessions end and a lock is lifted."""
    from commands.users import run_passwd

    raise typer.Exit(run_passwd(_state(), name, role, stdin=stdin, by=_cli_user()))


@users_app.command("remove")
def users_remove(name: str = typer.Argument(..., help="User name.")) -> None:
    """Remove a user; their sessions end at once."""
    from commands.users import run_remove

    raise typer.Exit(run_remove(_state(), name, by=_cli_user()))


@users_app.command("list")
def users_list(fmt: str = typer.Option("table", "--format", help="table or json")) -> None:
    """The users, their roles and whether they are locked."""
    from commands.users import run_list

    raise typer.Exit(run_list(_state(), fmt=fmt, by=_cli_user()))
