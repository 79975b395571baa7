"""Settings of the time-series store, opening the configured backend, and the unknown-key check.

``unknown_keys`` is the one check every settings section uses (the TOML file, the
environment and each ``[collectors.<kind>]`` section): a misspelt key stops start-up with
the key, its section and the closest valid key, instead of being silently ignored.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from store.base import TimeSeriesStore


def closest(word: str, options: list[str]) -> str:
    """``did you mean `x`?`` for the closest option, or the list of valid ones."""
    near = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if near:
        return f"did you mean `{near[0]}`?"
    return f"valid keys: {', '.join(sorted(options)) or 'none'}"


class UnknownKey(NamedTuple):
    section: tuple[str, ...]  # () for the top level
    key: str
    near: str | None          # the closest valid key, if one is close
    valid: tuple[str, ...]

    def text(self) -> str:
        where = f"in [{'.'.join(self.section)}]" if self.section else "at the top level"
        hint = f"did you mean `{self.near}`?" if self.near else f"valid keys: {', '.join(sorted(self.valid))}"
        return f"unknown key `{self.key}` {where}: {hint}"

    def env_text(self) -> str:
        var = "SURGEWATCH_" + "__".join(p.upper() for p in (*self.section, self.key))
        near = "SURGEWATCH_" + "__".join(p.upper() for p in (*self.section, self.near)) if self.near else None
        return f"{var} is not a known setting" + (f": did you mean {near}?" if near else "")


def unknown_keys(model: type[BaseModel], data: Any, section: tuple[str, ...] = (), *,
                 ignore: tuple[str, ...] = ()) -> list[UnknownKey]:
    """Each key of ``data`` (and of its nested sections) that ``model`` does not know."""
    if not isinstance(data, dict):
        return []
    fields = model.model_fields
    names = [n for n in fields] + [f.alias for f in fields.values() if f.alias]
    out = []
    for key, value in data.items():
        if key in ignore:
            continue
        if key not in names:
            near = difflib.get_close_matches(str(key), names + list(ignore), n=1, cutoff=0.6)
            out.append(UnknownKey(section, str(key), near[0] if near else None, tuple(names)))
            continue
        inner = fields[key].annotation if key in fields else None
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            out += unknown_keys(inner, value, (*section, str(key)))
    return out


def http_url(value: str, example: str) -> str:
    """A base URL without its trailing slash, or a ValueError saying what is expected."""
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{value!r} is not an http:// or https:// URL, e.g. {example}")
    return value.rstrip("/")


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["embedded", "influxdb"] = Field(
        "embedded", description="embedded (SQLite file, no server) or influxdb (v1 HTTP API: 1.x, 2.x, 3.x)."
    )
    path: Path = Field(Path("data/surgewatch.db"), description="File of the embedded store.")
    influx_url: str = Field("http://127.0.0.1:8086", description="InfluxDB base URL.")
    influx_database: str = Field("surgewatch", description="Database (1.x) or DBRP-mapped bucket (2.x/3.x).")
    influx_username: str | None = Field(None, description="User for InfluxDB 1.x auth.")
    influx_password: SecretStr | None = Field(None, description="Password for InfluxDB 1.x auth (secret).")
    influx_token: SecretStr | None = Field(None, description="API token for InfluxDB 2.x/3.x (secret).")
    influx_gzip: bool = Field(True, description="Compress writes with gzip.")
    spool_dir: Path = Field(Path("data/spool"), description="Where writes wait while InfluxDB is unreachable.")
    spool_max_mb: int = Field(512, ge=1, description="Spool size bound; the oldest data is dropped (and counted).")
    raw_retention_days: int = Field(7, ge=1, description="Days the raw 10 s buckets are kept.")
    rollup_1m_days: int = Field(90, ge=1, description="Days the 1-minute rollups are kept.")
    rollup_1h_days: int = Field(730, ge=1, description="Days the 1-hour rollups are kept.")

    @field_validator("influx_url")
    @classmethod
    def _url(cls, v: str) -> str:
        return http_url(v, "http://127.0.0.1:8086")


def open_store(settings: StoreSettings, *, readonly: bool = False) -> TimeSeriesStore:
    """Open the configured backend."""
    if settings.backend == "influxdb":
        from store.influxdb import InfluxStore

        return InfluxStore(
            settings.influx_url,
            settings.influx_database,
            username=settings.influx_username,
            password=settings.influx_password.get_secret_value() if settings.influx_password else None,
            token=settings.influx_token.get_secret_value() if settings.influx_token else None,
            gzip=settings.influx_gzip,
            spool_dir=None if readonly else settings.spool_dir,
            spool_max_bytes=settings.spool_max_mb * 1024 * 1024,
        )
    from store.embedded import EmbeddedStore

    return EmbeddedStore(settings.path, readonly=readonly)
