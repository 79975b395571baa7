"""Campaign files by their extension (.json, .csv, .ics): read row by row, or strictly for the commands."""

from __future__ import annotations

from pathlib import Path

from campaigns import bounds
from campaigns.csv_file import campaigns_to_csv, rows_from_csv
from campaigns.ics_file import campaigns_to_ics, rows_from_ics
from campaigns.json_file import campaigns_to_json, rows_from_json
from campaigns.model import Campaign, CampaignError, Row

__all__ = ["ROW_READERS", "campaigns_from_csv", "campaigns_from_ics", "campaigns_from_json", "campaigns_to_csv",
           "campaigns_to_ics", "campaigns_to_json", "load_campaigns", "read_rows"]


def _read(path: Path) -> str:
    try:
        size = Path(path).stat().st_size
        if size > bounds.FILE_MAX_BYTES:
            raise CampaignError(f"campaign file {path} is {size / 1e6:.1f} MB; one file may be at most "
                                f"{bounds.FILE_MAX_BYTES // (1024 * 1024)} MB (split it)")
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CampaignError(f"cannot read campaign file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CampaignError(f"campaign file {path} is not UTF-8 text; save it as UTF-8 and try again") from None


ROW_READERS = {".json": rows_from_json, ".csv": rows_from_csv, ".ics": rows_from_ics}


def read_rows(path: str | Path) -> list[Row]:
    """Each row, item or event of a campaign file by its extension; CampaignError when the file is unreadable."""
    path = Path(path)
    reader = ROW_READERS.get(path.suffix.lower())
    if reader is None:
        raise CampaignError(f"{path}: unknown campaign file type {path.suffix or '(none)'}; use .json, .csv or .ics")
    return reader(_read(path), name=str(path))


def _strict(rows: list[Row]) -> list[Campaign]:
    for row in rows:
        if isinstance(row, CampaignError):
            raise row
    return rows  # type: ignore[return-value]


def campaigns_from_json(text: str, *, name: str = "campaigns JSON") -> list[Campaign]:
    return _strict(rows_from_json(text, name=name))


def campaigns_from_csv(text: str, *, name: str = "campaigns CSV") -> list[Campaign]:
    return _strict(rows_from_csv(text, name=name))


def campaigns_from_ics(text: str, *, name: str = "campaigns ICS") -> list[Campaign]:
    return _strict(rows_from_ics(text, name=name))


def load_campaigns(path: str | Path) -> list[Campaign]:
    """Load a campaign file by its extension (.json, .csv, .ics); the first bad row raises CampaignError."""
    return _strict(read_rows(path))
