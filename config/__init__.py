"""Settings: one ``surgewatch.toml`` with every value overridable by ``SURGEWATCH_*`` variables.

Nested keys use a double underscore: ``SURGEWATCH_STORE__BACKEND=influxdb`` overrides
``[store] backend``. Secrets (tokens, passwords) are read only from the environment or
from files in ``SURGEWATCH_SECRETS_DIR`` (one file per key, e.g. ``store__influx_token``),
never from the TOML file (in any form: a key, an entry of an array of tables, a password
inside a URL), and never printed. An invalid value stops start-up with a message naming the
key, the bad value and what is allowed; an unknown key, in any section (collectors
included), stops it with the key, its section and the closest valid key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from auth.settings import SignInSettings
from capacity.settings import CapacitySettings
from store.settings import StoreSettings, UnknownKey, http_url, unknown_keys

SECRET_KEYS = {("store", "influx_password"), ("store", "influx_token"), ("notify", "urls"),
               ("collectors", "cloudflare", "api_token"), ("collectors", "mailchimp", "api_key"),
               ("dashboard", "oidc", "client_secret"), ("dashboard", "oidc", "cookie_secret")}
SECRET_NAMES = {path[-1] for path in SECRET_KEYS} | {"password", "token", "api_key", "api_token", "secret",
                                                    "client_secret", "cookie_secret"}
URL_KEYS = ("influx_url", "alertmanager_url", "dashboard_url", "url", "server")


class ConfigError(ValueError):
    """The configuration is invalid; the message names each bad key and what is allowed."""


class StateSettings(BaseModel):
    path: Path = Field(Path("data/state.db"), description="SQLite state DB: campaigns, incidents, checkpoints.")


class WorkerSettings(BaseModel):
    metrics_host: str = Field("127.0.0.1", description="Address of the worker's Prometheus /metrics endpoint.")
    metrics_port: int = Field(9108, ge=0, le=65535, description="Port of /metrics (0 disables it).")
    detect_every: int = Field(10, ge=1, le=3600, description="Seconds between spike-detection runs.")
    poll_every: float = Field(2.0, gt=0, le=3600, description="Seconds between collector polls.")
    rollup_every: int = Field(60, ge=10, le=3600, description="Seconds between rollup and retention runs.")


class DashboardSettings(SignInSettings):
    """Where the dashboard listens and how it shows things; sign-in settings come from ``SignInSettings``."""

    host: str = Field("127.0.0.1", description="Address the Streamlit dashboard listens on.")
    port: int = Field(8501, ge=1, le=65535, description="Port of the dashboard.")
    timezone: str = Field("UTC", description="Time zone the pages show times in (IANA name, e.g. Europe/Paris).")
    refresh_seconds: int = Field(10, ge=2, le=600, description="How often live parts of the pages refresh.")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r}; use an IANA name such as UTC, Europe/Paris or Asia/Tokyo"
            ) from None
        return v


class AlertSettings(BaseModel):
    min_rps: float = Field(2.0, ge=0, le=100_000,
                           description="A spike adds at least this many requests/s over the baseline.")
    sensitivity: float = Field(5.0, ge=2, le=50, description="How many robust spreads above baseline is a spike.")


NOTIFY_VERDICTS = ("campaign", "organic", "bot", "mixed", "drop", "errors", "stale")


class NotifySettings(BaseModel):
    urls: list[SecretStr] = Field(default_factory=list, description="Apprise URLs to notify on-call (secret).")
    alertmanager_url: str | None = Field(None, description="Prometheus Alertmanager to post incidents to.")
    dashboard_url: str | None = Field(None, description="Dashboard address; messages link to ?incident=<id> there.")
    verdicts: list[str] = Field(default_factory=lambda: list(NOTIFY_VERDICTS),
                                description="Verdicts a new incident is notified for (default: all).")
    min_confidence: float = Field(0.0, ge=0, le=1, description="New incidents below this confidence are not notified.")
    hold_seconds: int = Field(0, ge=0, le=3600,
                              description="A new incident is notified once it has gone on this long since it was "
                                          "detected (0: at once); one that ends sooner is never notified.")
    alertmanager_refresh: int = Field(120, ge=10, le=3600,
                                      description="Seconds between re-posts of open incidents to Alertmanager.")

    @field_validator("alertmanager_url", "dashboard_url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        return http_url(v, "http://127.0.0.1:9093") if v else None

    @field_validator("verdicts")
    @classmethod
    def _verdicts(cls, v: list[str]) -> list[str]:
        unknown = [x for x in v if x not in NOTIFY_VERDICTS]
        if unknown:
            raise ValueError(f"unknown verdict(s) {', '.join(unknown)}; use some of {', '.join(NOTIFY_VERDICTS)}")
        return v


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SURGEWATCH_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    site: str = Field("default", description="Name of the monitored site, tagged on every point.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    store: StoreSettings = Field(default_factory=StoreSettings)
    state: StateSettings = Field(default_factory=StateSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    capacity: CapacitySettings = Field(default_factory=CapacitySettings)
    collectors: dict[str, Any] = Field(default_factory=dict, description="Per-collector sections, see README.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("SURGEWATCH_CONFIG", "surgewatch.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, _CheckedEnv(settings_cls, env_settings)]
        secrets_dir = os.environ.get("SURGEWATCH_SECRETS_DIR")
        if secrets_dir:
            sources.append(_SecretFiles(settings_cls, Path(secrets_dir)))
        if toml_path.is_file():
            sources.append(_TomlWithoutSecrets(settings_cls, toml_file=toml_path))
        return tuple(sources)


class _TomlWithoutSecrets(TomlConfigSettingsSource):
    """The TOML file, refusing secrets and unknown keys in it (secrets belong in the environment or secret files)."""

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        name = str(self.toml_file_path)
        found = secrets_in(data)
        if found:
            where, env = found[0]
            raise ConfigError(f"{name}: {where} is a secret and may not be written in the file; "
                              f"set {env} in the environment or a secret file instead")
        problems = unknown_keys(Settings, data) + _unknown_collector_keys(data.get("collectors"))
        if problems:
            raise ConfigError(f"{name}: " + "\n  ".join(p.text() for p in problems))
        return data


class _CheckedEnv(PydanticBaseSettingsSource):
    """``SURGEWATCH_*`` variables, refusing a misspelt nested key (``SURGEWATCH_STORE__BAKEND``)."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self.inner = inner

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        data = self.inner()
        problems = [p for p in unknown_keys(Settings, data) if p.section]
        if problems:
            raise ConfigError("environment: " + "\n  ".join(p.env_text() for p in problems))
        return data


def secrets_in(data: Any, path: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Where the data holds a secret (a secret key, in a table or an array of tables, or a URL with a
    password), with the environment variable it belongs in."""
    out: list[tuple[str, str]] = []
    if isinstance(data, list):
        for i, item in enumerate(data):
            out += [(f"{where} (entry {i + 1})", env) for where, env in secrets_in(item, path)]
        return out
    if not isinstance(data, dict):
        return out
    for key, value in data.items():
        here = (*path, str(key))
        env = "SURGEWATCH_" + "__".join(p.upper() for p in here)
        if key in SECRET_NAMES and value not in (None, "", []):
            out.append((".".join(here), env))
        elif isinstance(value, str) and _has_password(value):
            out.append((".".join(here) + " (a password inside the URL)", env))
        else:
            out += secrets_in(value, here)
    return out


def _has_password(value: str) -> bool:
    from urllib.parse import urlsplit

    try:
        return "://" in value and urlsplit(value).password is not None
    except ValueError:
        return False


def _unknown_collector_keys(collectors: Any) -> list[UnknownKey]:
    """Unknown keys of each ``[collectors.<kind>]`` section, checked against the collector's own settings."""
    from collectors.registry import unknown_section_keys

    if not isinstance(collectors, dict):
        return []
    return [p for kind, sections in collectors.items() for p in unknown_section_keys(kind, sections)]


class _SecretFiles(PydanticBaseSettingsSource):
    """Secrets from files named like the nested key: ``store__influx_token``."""

    def __init__(self, settings_cls: type[BaseSettings], directory: Path) -> None:
        super().__init__(settings_cls)
        self.directory = directory

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if not self.directory.is_dir():
            raise ConfigError(f"SURGEWATCH_SECRETS_DIR={self.directory} is not a directory")
        for path in SECRET_KEYS:
            f = self.directory / "__".join(path)
            if f.is_file():
                node = out
                for key in path[:-1]:
                    node = node.setdefault(key, {})
                node[path[-1]] = f.read_text().strip()
        return out


def _explain(exc: ValidationError) -> str:
    lines = ["invalid configuration (surgewatch.toml or SURGEWATCH_* variables):"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        env = "SURGEWATCH_" + "__".join(str(p).upper() for p in err["loc"])
        value = err.get("input")
        shown = "<secret>" if any(s[-1] in key for s in SECRET_KEYS) else repr(mask(value))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "is not a known setting (check the spelling; see README, Configuration)"
        lines.append(f"  {key} (env {env}) = {shown}: {msg}")
    return "\n".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, or raise ConfigError with a message a person can act on."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"cannot read the configuration: {exc}") from None


def mask(value: Any) -> Any:
    """The value safe to print: secrets replaced, passwords inside URLs hidden (recursively)."""
    from urllib.parse import urlsplit, urlunsplit

    if isinstance(value, dict):
        return {k: "**********" if k in SECRET_NAMES and value[k] not in (None, "", []) else mask(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, str) and _has_password(value):
        parts = urlsplit(value)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, f"{parts.username}:****@{host}", parts.path, parts.query, ""))
    return value


def printable(settings: Settings) -> dict[str, Any]:
    """The effective settings as JSON data with every secret masked (``./surgewatch config``)."""
    return mask(settings.model_dump(mode="json"))
