"""Surgewatch's one command line: worker, ingest, analyze, detect, plan, demo and the rest.

Each command imports its implementation lazily, so ``--help`` and quick commands start fast.
``./surgewatch ARGS`` is the same as ``.venv/bin/python cli.py ARGS``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from commands.context import settings as _settings
from commands.groups import alerts_app, users_app

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
    from commands.analyze import run

    raise typer.Exit(run(log, campaigns, fmt))


@app.command()
def detect(
    csv: Path = typer.Option(..., "--csv", help="CSV with a 'timestamp,value' header."),
    fmt: str = typer.Option("table", "--format", help="json or table"),
) -> None:
    """Alert on a time series, causally: one alert per anomalous stretch, rises and drops alike."""
    from commands.detect import run

    raise typer.Exit(run(csv, fmt))


@app.command()
def replay(
    log: list[Path] = typer.Option(..., "--log", help="Access log (plain or .gz); repeatable."),
    campaigns: Path | None = typer.Option(None, "--campaigns", help="Announced campaigns (JSON, CSV or ICS)."),
    fmt: str = typer.Option("table", "--format", help="json or table"),
    step: int = typer.Option(10, "--step", help="Seconds between detection runs (the worker's: 10)."),
) -> None:
    """Replay past logs through the live detection and print what on-call would have seen, in time order."""
    from commands.replay import run

    raise typer.Exit(run(log, campaigns, fmt, _settings(), step))


@app.command()
def ingest(
    files: list[Path] = typer.Argument(..., help="Access-log files (plain or .gz) or a CloudFront log folder."),
    fmt: str = typer.Option("auto", "--format", help="auto (detected from the first lines), a format name from "
                            "README (combined, iis, caddy, alb, ...) or an nginx log_format."),
    site: str | None = typer.Option(None, "--site", help="Site tag (default: the configured site)."),
    source: str | None = typer.Option(None, "--source",
                                      help="Source tag (default: file:<name>, rotation suffix such as .2.gz dropped)."),
    force: bool = typer.Option(False, "--force", help="Ingest files that were ingested before."),
    store_path: Path | None = typer.Option(None, "--store-path", help="Embedded store file to use."),
    state_path: Path | None = typer.Option(None, "--state-path", help="State DB (default: the configured one)."),
) -> None:
    """Backfill access logs into the store, with a progress bar and a summary."""
    from commands.ingest import run

    raise typer.Exit(run(files, fmt=fmt, site=site, source=source, force=force, store_path=store_path,
                         state_path=state_path))


@app.command()
def worker() -> None:
    """Run the collectors, detection, rollups and retention until SIGTERM/SIGINT."""
    settings = _settings()
    from collectors.registry import CollectorConfigError
    from store.base import StoreError
    from worker import Worker

    try:
        w = Worker(settings)
    except (CollectorConfigError, StoreError) as exc:
        typer.echo(f"surgewatch worker: {exc}", err=True)
        raise typer.Exit(2) from None
    w.run_forever()


@app.command()
def dashboard(
    host: str | None = typer.Option(None, help="Address to listen on (default: dashboard.host)."),
    port: int | None = typer.Option(None, help="Port (default: dashboard.port)."),
) -> None:
    """Serve the Streamlit dashboard (refused on a non-loopback address without sign-in; README, Security)."""
    from auth.launch import LaunchError, run

    settings = _settings()
    try:
        code = run(settings.dashboard, host or settings.dashboard.host, port or settings.dashboard.port)
    except LaunchError as exc:
        typer.echo(f"surgewatch dashboard: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


@app.command()
def health(url: str | None = typer.Option(None, help="URL to check (default: the worker's /metrics).")) -> None:
    """Exit 0 when the worker (or the given URL) answers; for container health checks."""
    import urllib.request

    if url is None:
        settings = _settings()
        host = "127.0.0.1" if settings.worker.metrics_host in ("0.0.0.0", "::") else settings.worker.metrics_host
        url = f"http://{host}:{settings.worker.metrics_port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 - a configured local URL
            ok = 200 <= r.status < 300
    except OSError as exc:
        typer.echo(f"unhealthy: {url}: {exc}", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(0 if ok else 1)


@app.command("notify-test")
def notify_test() -> None:
    """Send one sample notification to every configured channel and say which went through."""
    from commands.notify import run

    raise typer.Exit(run(_settings()))


@app.command("config")
def show_config() -> None:
    """Check the configuration and print the effective settings (secrets masked)."""
    import json

    from config import printable

    typer.echo(json.dumps(printable(_settings()), indent=2))


@app.command()
def demo(
    seed: int = typer.Option(7, help="Seed of the simulated traffic."),
    history_hours: float = typer.Option(6.0, help="Hours of past traffic written first, as the baseline."),
    rps: float = typer.Option(8.0, help="Baseline requests per second of page views and assets."),
    port: int = typer.Option(8501, help="Port of the dashboard."),
    speed: float = typer.Option(1.0, help="Run the live scenario this many times faster."),
    duration: float | None = typer.Option(None, help="Stop after this many seconds (default: until Ctrl-C)."),
    no_dashboard: bool = typer.Option(False, "--no-dashboard", help="Run without the dashboard."),
) -> None:
    """Run the simulated shop, the worker and the dashboard on the embedded store (data/demo)."""
    _settings()
    from demo import run

    raise typer.Exit(run(seed=seed, history_hours=history_hours, rps=rps, port=port, speed=speed,
                         duration=duration, open_dashboard=not no_dashboard))


@app.command()
def simulate(
    scenario: str = typer.Argument(..., help="Scenario name, e.g. campaign_surge, credential_stuffing, quiet_day."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same log."),
    out: Path = typer.Option(..., "--out", help="Access log to write (gzip when it ends in .gz)."),
    campaigns_out: Path | None = typer.Option(None, "--campaigns-out", help="Write announced campaigns (JSON)."),
    truth_out: Path | None = typer.Option(None, "--truth-out", help="Write ground-truth labels (JSON)."),
    history_hours: float = typer.Option(4.0, "--history-hours", help="Hours of baseline before the surge."),
    surge_hours: float = typer.Option(2.0, "--surge-hours", help="Hours from the surge start to the end."),
    base_rps: float | None = typer.Option(None, "--base-rps", help="Mean baseline requests/s (default 5-15)."),
    scale: float | None = typer.Option(None, "--scale", help="Multiply every volume (e.g. 0.1 for small logs)."),
) -> None:
    """Generate a realistic combined access log for a traffic scenario, with its campaigns and truth."""
    from simulate.command import run

    raise typer.Exit(run(scenario, seed=seed, out=out, campaigns_out=campaigns_out, truth_out=truth_out,
                         history_hours=history_hours, surge_hours=surge_hours, base_rps=base_rps, scale=scale))


@app.command()
def plan(
    campaign: str | None = typer.Argument(None, help="Campaign id or name (see `campaigns list`)."),
    fmt: str = typer.Option("table", "--format", help="table, json, keda, hpa, aws-cli or terraform."),
    every: bool = typer.Option(False, "--all", help="Plan every upcoming planned campaign."),
    audience: int | None = typer.Option(None, "--audience", min=1, help="Audience to plan for (default: the "
                                        "campaign's)."),
) -> None:
    """Forecast a campaign's traffic and say when to scale up, to how many instances, and back down, at what cost."""
    from commands.plan import run

    raise typer.Exit(run(_settings(), campaign, fmt, every=every, audience=audience))


@app.command()
def report(
    campaign: str = typer.Argument(..., help="Campaign id or name (see `campaigns list`)."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv (the series per 10 minutes)."),
) -> None:
    """How a campaign went: visits and leads from its link, over the usual, cost per lead all in, forecast vs actual."""
    from commands.report import run

    raise typer.Exit(run(_settings(), campaign, fmt))


reference_app = typer.Typer(help="The reference data the detector relies on (published network ranges, agents).",
                             no_args_is_help=True)
app.add_typer(reference_app, name="reference")


@reference_app.command("refresh")
def reference_refresh(
    source: list[str] = typer.Option([], "--source", help="Only this source (repeatable), e.g. googlebot, aws."),
    base_url: str | None = typer.Option(None, "--base-url", help="Fetch every file from this mirror instead."),
    url: list[str] = typer.Option([], "--url", help="NAME=URL for one source (repeatable), e.g. azure=URL."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Directory of the data files (default: the "
                                         "package's, or SURGEWATCH_REFERENCE_DIR)."),
) -> None:
    """Download the published ranges again where the network allows; a source that fails keeps its old file."""
    from reference.refresh import run

    raise typer.Exit(run(source, base_url, url, data_dir))


campaigns_app = typer.Typer(help="Import, list and export announced campaigns (state DB).", no_args_is_help=True)
app.add_typer(campaigns_app, name="campaigns")


def _state_path(state: Path | None) -> Path:
    return state if state is not None else _settings().state.path


@campaigns_app.command("import")
def campaigns_import(
    files: list[Path] = typer.Argument(..., help="Campaign files: .json, .csv or .ics."),
    site: str | None = typer.Option(None, "--site", help="Set this site on every imported campaign."),
    state: Path | None = typer.Option(None, "--state", help="State DB (default: [state] path)."),
) -> None:
    """Import campaign files; bad rows are reported by file, row and field and skipped."""
    from commands.campaigns import run_import

    raise typer.Exit(run_import(files, _state_path(state), site))


@campaigns_app.command("list")
def campaigns_list(
    site: str | None = typer.Option(None, "--site", help="Only this site."),
    fmt: str = typer.Option("table", "--format", help="table, json, keda, hpa, aws-cli or terraform."),
    state: Path | None = typer.Option(None, "--state", help="State DB (default: [state] path)."),
) -> None:
    """List the campaigns in the state DB."""
    from commands.campaigns import run_list

    raise typer.Exit(run_list(_state_path(state), site, fmt))


@campaigns_app.command("export")
def campaigns_export(
    fmt: str = typer.Option("json", "--format", help="ics or json"),
    out: Path | None = typer.Option(None, "--out", help="File to write (default: standard output)."),
    site: str | None = typer.Option(None, "--site", help="Only this site."),
    state: Path | None = typer.Option(None, "--state", help="State DB (default: [state] path)."),
) -> None:
    """Export the campaigns as ICS (for calendars) or JSON."""
    from commands.campaigns import run_export

    raise typer.Exit(run_export(_state_path(state), fmt, out, site))


@app.command()
def traffic(
    start: str = typer.Option(..., "--from", help="Start, ISO 8601 with Z or an offset (rounded down to 10 s)."),
    end: str = typer.Option(..., "--to", help="End, excluded, ISO 8601 with Z or an offset (rounded down to 10 s)."),
    site: str | None = typer.Option(None, "--site", help="Only this site (default: every site)."),
    by: str | None = typer.Option(None, "--by", help="source, actor or status."),
    fmt: str = typer.Option("table", "--format", help="json or table"),
) -> None:
    """Requests stored in [from, to), in total and by source, actor or status: check them against your logs."""
    from commands.traffic import run

    raise typer.Exit(run(_settings, start, end, site=site, by=by, fmt=fmt))


@app.command()
def sources(fmt: str = typer.Option("table", "--format", help="json or table")) -> None:
    """Is data flowing? Every collector's last data, lag, lines/s, malformed lines, files; the store and spool."""
    from commands.sources import run

    raise typer.Exit(run(_settings, fmt))


app.add_typer(alerts_app, name="alerts")
app.add_typer(users_app, name="users")


if __name__ == "__main__":
    app()
