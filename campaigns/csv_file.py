"""Campaigns as CSV: one column per field, lists joined by ``;``; read row by row and written back."""

from __future__ import annotations

import csv
import io

from campaigns.model import FIELDS, Campaign, CampaignError, Row, _row


def rows_from_csv(text: str, *, name: str = "campaigns CSV") -> list[Row]:
    """Each row of a CSV campaign list (lists separated by ``;``)."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "name" not in reader.fieldnames or "start" not in reader.fieldnames:
        raise CampaignError(f"{name}: the header must name at least the columns name and start "
                            f"(allowed columns: {', '.join(FIELDS)})")
    out: list[Row] = []
    for row_no, row in enumerate(reader, start=2):
        if None in row:
            out.append(CampaignError(f"{name}, row {row_no}: more values than header columns"))
            continue
        values = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        if values:
            out.append(_row(values, f"{name}, row {row_no}"))
    return out


def campaigns_to_csv(campaigns: list[Campaign]) -> str:
    """Export campaigns as CSV, one column per field, lists joined by ``;`` (the form CSV import reads back)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for c in campaigns:
        row = c.to_json_dict()
        writer.writerow({k: ";".join(v) if isinstance(v, list) else "" if v is None else v
                         for k, v in row.items() if k in FIELDS})
    return out.getvalue()
